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
#include <cstring>
#include <type_traits>

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

/// Loads a V from p, where V is T itself or, for float, formula::FloatLanes
/// (kFloatLanes consecutive values); store_as writes one back.
template <class V, class T>
TINYLM_ALWAYS_INLINE V load_as(const T* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class V, class T>
TINYLM_ALWAYS_INLINE void store_as(T* p, const V& v) {
  std::memcpy(p, &v, sizeof v);
}

/// Calls body(V{}, j) for every j of [0, n) that a V starting at j covers:
/// for float, a FloatLanes at each multiple of kFloatLanes that fits, then a
/// float for each j of the tail; for other T, a T for each j. body is
/// generic over V and reads and writes with load_as<V> and store_as.
template <class T, class Body>
TINYLM_ALWAYS_INLINE void for_lanes(int64_t n, Body&& body) {
  int64_t j = 0;
#if defined(TINYLM_FLOAT_LANES)
  if constexpr (std::is_same_v<T, float>)
    for (; j + formula::kFloatLanes <= n; j += formula::kFloatLanes) body(formula::FloatLanes{}, j);
#endif
  for (; j < n; ++j) body(T{}, j);
}

/// y[j] = exp(x[j] - shift) for j < n (y may be x), and their sum. For
/// float, whole registers go through formula::exp on FloatLanes, summed
/// lane by lane; a plain loop over vexp stays scalar (kernels/formulas.hpp).
template <class T>
T exp_shifted(T* y, const T* x, int64_t n, T shift) {
  int64_t j = 0;
  T s = T(0);
#if defined(TINYLM_FLOAT_LANES)
  if constexpr (std::is_same_v<T, float>) {
    using formula::FloatLanes, formula::kFloatLanes;
    FloatLanes acc{};
    for (; j + kFloatLanes <= n; j += kFloatLanes) {
      FloatLanes v;
      std::memcpy(&v, x + j, sizeof v);
      v = formula::exp(v - shift);
      std::memcpy(y + j, &v, sizeof v);
      acc += v;
    }
    for (int l = 0; l < kFloatLanes; ++l) s += acc[l];
  }
#endif
  for (; j < n; ++j) {
    y[j] = vexp(x[j] - shift);
    s += y[j];
  }
  return s;
}

/// The sum of exp(x[j] - shift) for j < n, on whole registers as exp_shifted.
template <class T>
T sum_exp_shifted(const T* x, int64_t n, T shift) {
  int64_t j = 0;
  T s = T(0);
#if defined(TINYLM_FLOAT_LANES)
  if constexpr (std::is_same_v<T, float>) {
    using formula::FloatLanes, formula::kFloatLanes;
    FloatLanes acc{};
    for (; j + kFloatLanes <= n; j += kFloatLanes) {
      FloatLanes v;
      std::memcpy(&v, x + j, sizeof v);
      acc += formula::exp(v - shift);
    }
    for (int l = 0; l < kFloatLanes; ++l) s += acc[l];
  }
#endif
  for (; j < n; ++j) s += vexp(x[j] - shift);
  return s;
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
