#pragma once
// exp and tanh that the compiler can vectorize.
//
// glibc's expf/tanhf are scalar calls unless the program is built with
// -ffast-math, and in GELU and softmax they were a third of a training
// step. vexp() is Cephes' single-precision exp: x = n ln2 + r with
// |r| <= ln2 / 2, a degree-6 polynomial for e^r, and 2^n built from the
// exponent bits; written without branches so loops over it vectorize. It is
// within 2 ulp of expf over [-87, 88], returns 0 below and inf above, and
// passes NaN through. For double (gradcheck, tests) the std functions are
// used: there speed does not matter and exactness does.
//
// They are forced inline: a loop only vectorizes when the function is
// inlined into it, and GCC's inliner gives up on them in big callers (a
// single-threaded GELU ran 4x slower through an out-of-line vexp call).

#include <bit>
#include <cmath>
#include <cstdint>

#if defined(__AVX512F__) || defined(__AVX__)
#include <immintrin.h>
#endif

namespace tinylm::kernels::cpu {

#if defined(__GNUC__)
#define TINYLM_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define TINYLM_ALWAYS_INLINE inline
#endif

TINYLM_ALWAYS_INLINE float vexp(float x) {
  const float hi = 88.3762626647949f, lo = -87.3365478515625f;
  const bool under = x < lo;
  const bool over = x > hi;
  float xc = over ? hi : (under ? lo : x);
  float n = std::nearbyint(xc * 1.44269504088896341f);
  n = n == n ? n : 0.0f;  // NaN input: keep the integer conversion defined
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  const float z = r * r;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * z + r + 1.0f;
  const float scale = std::bit_cast<float>(static_cast<int32_t>(n + 127.0f) << 23);
  float out = y * scale;
  out = under ? 0.0f : out;
  out = over ? INFINITY : out;
  return x == x ? out : x;
}

TINYLM_ALWAYS_INLINE double vexp(double x) { return std::exp(x); }

/// tanh(x) = 1 - 2 / (e^{2x} + 1): absolute error about 1e-7 in float.
TINYLM_ALWAYS_INLINE float vtanh(float x) { return 1.0f - 2.0f / (vexp(2.0f * x) + 1.0f); }
TINYLM_ALWAYS_INLINE double vtanh(double x) { return std::tanh(x); }

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
