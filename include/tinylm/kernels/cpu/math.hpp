#pragma once
// exp and tanh for the CPU kernels, and rows of exp on whole registers.
//
// glibc's expf/tanhf are scalar calls unless the program is built with
// -ffast-math, and in GELU and softmax they were a third of a training
// step. vexp() and vtanh() are kernels/formulas.hpp's exp and tanh (the
// same arithmetic the CUDA kernels use); exp_shifted() and
// sum_exp_shifted() run a row through the FloatLanes form of the same exp.
// For double (gradcheck, tests) the std functions are used: there speed
// does not matter and exactness does.
//
// They are forced inline: GCC's inliner gives up on them in big callers,
// and a call per element (a single-threaded GELU once ran 4x slower through
// an out-of-line vexp) costs more than the arithmetic. A loop over them is
// still scalar under GCC's default -ftrapping-math; the hot loops use the
// FloatLanes forms.

#include <cmath>
#include <cstdint>

#include "tinylm/kernels/cpu/lanes.hpp"
#include "tinylm/kernels/formulas.hpp"

#if defined(__AVX512F__) || defined(__AVX__)
#include <immintrin.h>
#endif

namespace tinylm::kernels::cpu {

TINYLM_ALWAYS_INLINE float vexp(float x) { return formula::exp(x); }
TINYLM_ALWAYS_INLINE double vexp(double x) { return formula::exp(x); }
TINYLM_ALWAYS_INLINE float vtanh(float x) { return formula::tanh(x); }
TINYLM_ALWAYS_INLINE double vtanh(double x) { return formula::tanh(x); }

/// y[j] = exp(x[j] - shift) for j < n (y may be x), and their sum; for
/// float, a register at a time (kernels/cpu/lanes.hpp).
template <class T>
T exp_shifted(T* y, const T* x, int64_t n, T shift) {
  return sum_lanes<T>(n, [&](auto lanes, int64_t j) {
    using V = decltype(lanes);
    const V e = formula::exp(load_as<V>(x + j) - shift);
    store_as(y + j, e);
    return e;
  });
}

/// The sum of exp(x[j] - shift) for j < n, a register at a time as exp_shifted.
template <class T>
T sum_exp_shifted(const T* x, int64_t n, T shift) {
  return sum_lanes<T>(n, [&](auto lanes, int64_t j) {
    using V = decltype(lanes);
    return formula::exp(load_as<V>(x + j) - shift);
  });
}

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
