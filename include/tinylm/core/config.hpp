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
// (src/tinylm.cpp.in) instead of in every translation unit that calls
// them. A function compiled that way is marked TINYLM_DECL: `inline` in a
// header-only build, nothing in the library. Every translation unit of a
// program must build the same way.

#if defined(TINYLM_SEPARATE_COMPILATION)
#define TINYLM_DECL
#else
#define TINYLM_DECL inline
#endif
