#pragma once
// exp and tanh that the compiler can vectorize.
//
// glibc's expf/tanhf are scalar calls unless the program is built with
// -ffast-math, and in GELU and softmax they were a third of a training
// step. vexp() and vtanh() are kernels/formulas.hpp's exp and tanh (the
// same arithmetic the CUDA kernels use): branch-free, so loops over them
// vectorize. For double (gradcheck, tests) the std functions are used:
// there speed does not matter and exactness does.
//
// They are forced inline: a loop only vectorizes when the function is
// inlined into it, and GCC's inliner gives up on them in big callers (a
// single-threaded GELU ran 4x slower through an out-of-line vexp call).

#include <cmath>
#include <cstdint>

#include "tinylm/kernels/formulas.hpp"

#if defined(__AVX512F__) || defined(__AVX__)
#include <immintrin.h>
#endif

namespace tinylm::kernels::cpu {

#if defined(__GNUC__)
#define TINYLM_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define TINYLM_ALWAYS_INLINE inline
#endif

TINYLM_ALWAYS_INLINE float vexp(float x) { return formula::exp(x); }
TINYLM_ALWAYS_INLINE double vexp(double x) { return formula::exp(x); }
TINYLM_ALWAYS_INLINE float vtanh(float x) { return formula::tanh(x); }
TINYLM_ALWAYS_INLINE double vtanh(double x) { return formula::tanh(x); }

/// x[i] = sqrt(x[i]) for i < n, correctly rounded like std::sqrt. A loop
/// over std::sqrt stays scalar unless the program is built with
/// -fno-math-errno (the call may set errno), so this uses the vector square
/// root instructions directly where the target has them.
inline void vsqrt_inplace(float* x, int64_t n) {
  int64_t i = 0;
#if defined(__AVX512F__)
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, _mm512_sqrt_ps(_mm512_loadu_ps(x + i)));
#elif defined(__AVX__)
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_sqrt_ps(_mm256_loadu_ps(x + i)));
#endif
  for (; i < n; ++i) x[i] = std::sqrt(x[i]);
}

inline void vsqrt_inplace(double* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = std::sqrt(x[i]);
}

}  // namespace tinylm::kernels::cpu
