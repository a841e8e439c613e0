#pragma once
// How tinylm's code reaches a program.
//
// Header-only (the default): every definition is in the headers, and each
// translation unit compiles the functions it uses.
//
// Separate compilation (TINYLM_SEPARATE_COMPILATION defined, as CMake's
// tinylm::compiled target does): the headers declare tinylm's heavy
// non-template functions, and their bodies, kept in the `impl/*.ipp` file
// beside each header, are compiled once into the tinylm_compiled library
// (from one source CMake generates, which includes every header and every
// .ipp file) instead of in every translation unit that calls them. A
// function compiled that way is marked TINYLM_DECL: `inline` in a
// header-only build, nothing in the library. Every translation unit of a
// program must build the same way.

#if defined(TINYLM_SEPARATE_COMPILATION)
#define TINYLM_DECL
#else
#define TINYLM_DECL inline
#endif

// The float instantiations of the most used templates (the ops, the
// autograd engine, generation, checkpoints) go into the library too. A
// header lists each one, under TINYLM_SEPARATE_COMPILATION, as
//   TINYLM_EXTERN_TEMPLATE Tensor<float> add(const Tensor<float>&, const Tensor<float>&);
// which is an explicit instantiation declaration in a program (`extern
// template`: calls go to the library's copy, nothing is instantiated) and
// the explicit instantiation definition in the library's own source, which
// defines TINYLM_COMPILING_LIBRARY. Only function templates that are not
// `inline` are listed: the language lets a compiler instantiate an inline
// one anyway.
#if defined(TINYLM_COMPILING_LIBRARY)
#define TINYLM_EXTERN_TEMPLATE template
#else
#define TINYLM_EXTERN_TEMPLATE extern template
#endif
