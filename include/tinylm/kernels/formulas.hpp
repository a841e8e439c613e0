#pragma once
// The per-element arithmetic of tinylm's kernels, written once for every
// backend: each function here is TINYLM_HD (`__host__ __device__` when nvcc
// compiles it, a plain forced-inline function otherwise), so the CPU loops
// (kernels/cpu/) and the CUDA kernels (kernels/cuda/) run the same formula,
// and the CPU tests check the arithmetic the GPU does. What is per-row or
// per-tensor (the reductions, the loops, the threads) stays with each
// backend; what one element goes through lives here.
//
//   exp (float)      Cephes' single-precision exp: x = n ln2 + r with
//                    |r| <= ln2 / 2, a degree-6 polynomial for e^r, 2^n from
//                    the exponent bits; branch-free; within 2 ulp of expf
//                    over [-87, 88], 0 below, inf above, NaN through.
//                    double uses the library's exp.
//   tanh             1 - 2 / (e^{2x} + 1): about 1e-7 absolute in float.
//   sigmoid          1 / (1 + e^{-x}).
//   gelu_tanh        GPT-2's GELU and its derivative:
//                      y  = 0.5 x (1 + tanh u),  u = sqrt(2/pi) (x + 0.044715 x^3)
//                      y' = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
//   gelu_erf         y = x Phi(x);  y' = Phi(x) + x phi(x)
//   layernorm        xhat = (x - mean) * rstd, y = xhat w + b;
//                    dx = rstd (g - mean(g) - xhat mean(g xhat)), g = dy w
//   softmax          e = exp(x - m), m the row's max (0 when every x is
//                    -inf, so that -inf - -inf never makes a NaN)
//   AdamW            see AdamStep below (PyTorch's order of operations).
//
// exp, tanh, sigmoid and gelu_tanh (with its derivative) also take
// FloatLanes, a CPU register's worth of floats (GCC's and Clang's vector
// extension: 16 lanes with AVX-512, 8 with AVX, 4 otherwise), and run the
// same steps on every lane, the selects as blends. A plain loop over the
// float versions stays scalar under GCC's default -ftrapping-math (it will
// not turn the selects after trapping arithmetic into blends), so the CPU
// kernels call these on whole registers and the float versions on the
// tail (kernels/cpu/lanes.hpp).

#include <bit>
#include <cmath>
#include <cstdint>

#include "tinylm/core/host_device.hpp"

#if !defined(__CUDACC__) && (defined(__GNUC__) || defined(__clang__))
#define TINYLM_FLOAT_LANES 1
#if defined(__AVX512F__) || defined(__AVX__) || defined(__SSE4_1__)
#include <immintrin.h>
#endif
#endif

namespace tinylm::kernels::formula {

inline constexpr double kSqrt2OverPi = 0.7978845608028654;
inline constexpr double kGeluCoeff = 0.044715;
inline constexpr double kInvSqrt2 = 0.7071067811865476;
inline constexpr double kInvSqrt2Pi = 0.3989422804014327;

namespace detail {
TINYLM_HD float round_even(float x) {
#if defined(__CUDA_ARCH__)
  return rintf(x);
#else
  return std::nearbyint(x);
#endif
}
TINYLM_HD float float_from_bits(int32_t bits) {
#if defined(__CUDA_ARCH__)
  return __int_as_float(bits);
#else
  return std::bit_cast<float>(bits);
#endif
}
TINYLM_HD double exp_lib(double x) {
#if defined(__CUDA_ARCH__)
  return ::exp(x);
#else
  return std::exp(x);
#endif
}
TINYLM_HD double tanh_lib(double x) {
#if defined(__CUDA_ARCH__)
  return ::tanh(x);
#else
  return std::tanh(x);
#endif
}
template <class T>
TINYLM_HD T erf_lib(T x) {
#if defined(__CUDA_ARCH__)
  return ::erf(x);
#else
  return std::erf(x);
#endif
}
template <class T>
TINYLM_HD T sqrt_lib(T x) {
#if defined(__CUDA_ARCH__)
  return ::sqrt(x);
#else
  return std::sqrt(x);
#endif
}
}  // namespace detail

#if defined(TINYLM_FLOAT_LANES)
#if defined(__AVX512F__)
inline constexpr int kFloatLanes = 16;
#elif defined(__AVX__)
inline constexpr int kFloatLanes = 8;
#else
inline constexpr int kFloatLanes = 4;
#endif
/// kFloatLanes floats in one register, and the int32 lanes (and masks:
/// -1 true, 0 false) of the same width.
using FloatLanes = float __attribute__((vector_size(4 * kFloatLanes)));
using IntLanes = int32_t __attribute__((vector_size(4 * kFloatLanes)));
#endif

namespace detail {
/// The element type of a lane type: T itself for a scalar.
template <class T>
struct Lane {
  using type = T;
};
#if defined(TINYLM_FLOAT_LANES)
template <>
struct Lane<FloatLanes> {
  using type = float;
};
#endif
template <class T>
using lane_t = typename Lane<T>::type;

// The few operations the lane-generic formulas need beyond + - * / and
// comparisons, for a scalar and for FloatLanes.
TINYLM_HD float splat(float x, float) { return x; }
TINYLM_HD float select(bool c, float a, float b) { return c ? a : b; }
TINYLM_HD int32_t to_int32(float x) { return static_cast<int32_t>(x); }
#if defined(TINYLM_FLOAT_LANES)
TINYLM_HD FloatLanes splat(float x, FloatLanes) { return FloatLanes{} + x; }
TINYLM_HD FloatLanes select(IntLanes c, FloatLanes a, FloatLanes b) { return c ? a : b; }
TINYLM_HD IntLanes to_int32(FloatLanes x) { return __builtin_convertvector(x, IntLanes); }
TINYLM_HD FloatLanes float_from_bits(IntLanes bits) { return std::bit_cast<FloatLanes>(bits); }
TINYLM_HD FloatLanes round_even(FloatLanes x) {
#if defined(__AVX512F__)
  return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
#elif defined(__AVX__)
  return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
#elif defined(__SSE4_1__)
  return _mm_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
#else
  for (int i = 0; i < kFloatLanes; ++i) x[i] = std::nearbyint(x[i]);
  return x;
#endif
}
#endif

/// Cephes' expf on a float or on FloatLanes (see exp below).
template <class V>
TINYLM_HD V exp_f32(V x) {
  const float hi = 88.3762626647949f, lo = -87.3365478515625f;
  const auto under = x < lo;
  const auto over = x > hi;
  const V xc = select(over, splat(hi, x), select(under, splat(lo, x), x));
  V n = round_even(xc * 1.44269504088896341f);
  n = select(n == n, n, splat(0.0f, x));  // NaN input: keep the integer conversion defined
  V r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  const V z = r * r;
  V y = splat(1.9875691500e-4f, x);
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * z + r + 1.0f;
  const V scale = float_from_bits(to_int32(n + 127.0f) << 23);
  V out = y * scale;
  out = select(under, splat(0.0f, x), out);
  out = select(over, splat(INFINITY, x), out);
  return select(x == x, out, x);
}
}  // namespace detail

TINYLM_HD float exp(float x) { return detail::exp_f32(x); }
TINYLM_HD double exp(double x) { return detail::exp_lib(x); }

TINYLM_HD float tanh(float x) { return 1.0f - 2.0f / (exp(2.0f * x) + 1.0f); }
TINYLM_HD double tanh(double x) { return detail::tanh_lib(x); }

#if defined(TINYLM_FLOAT_LANES)
TINYLM_HD FloatLanes exp(FloatLanes x) { return detail::exp_f32(x); }
TINYLM_HD FloatLanes tanh(FloatLanes x) { return 1.0f - 2.0f / (exp(2.0f * x) + 1.0f); }
#endif

template <class T>
TINYLM_HD T sigmoid(T x) {
  using S = detail::lane_t<T>;
  return S(1) / (S(1) + exp(-x));
}

template <class T>
TINYLM_HD T gelu_tanh(T x) {
  using S = detail::lane_t<T>;
  const T u = S(kSqrt2OverPi) * (x + S(kGeluCoeff) * x * x * x);
  return S(0.5) * x * (S(1) + tanh(u));
}

/// d gelu_tanh / dx.
template <class T>
TINYLM_HD T gelu_tanh_grad(T x) {
  using S = detail::lane_t<T>;
  const T u = S(kSqrt2OverPi) * (x + S(kGeluCoeff) * x * x * x);
  const T th = tanh(u);
  const T du = S(kSqrt2OverPi) * (S(1) + S(3 * kGeluCoeff) * x * x);
  return S(0.5) * (S(1) + th) + S(0.5) * x * (S(1) - th * th) * du;
}

template <class T>
TINYLM_HD T gelu_erf(T x) {
  return T(0.5) * x * (T(1) + detail::erf_lib(x * T(kInvSqrt2)));
}

/// d gelu_erf / dx.
template <class T>
TINYLM_HD T gelu_erf_grad(T x) {
  const T cdf = T(0.5) * (T(1) + detail::erf_lib(x * T(kInvSqrt2)));
  const T pdf = T(kInvSqrt2Pi) * exp(T(-0.5) * x * x);
  return cdf + x * pdf;
}

/// 1 / sqrt(var + eps): LayerNorm's reciprocal standard deviation.
template <class T>
TINYLM_HD T layernorm_rstd(T var, T eps) {
  return T(1) / detail::sqrt_lib(var + eps);
}

/// xhat = (x - mean) * rstd.
template <class T>
TINYLM_HD T layernorm_xhat(T x, T mean, T rstd) {
  return (x - mean) * rstd;
}

/// dx from g = dy * w, the row means of g (mean_g) and of g * xhat (mean_gx).
template <class T>
TINYLM_HD T layernorm_dx(T g, T xhat, T rstd, T mean_g, T mean_gx) {
  return rstd * (g - mean_g - xhat * mean_gx);
}

/// The shift a softmax row subtracts before exp: its max, or 0 when the row
/// is all -inf (every key masked), where x - max would be NaN.
template <class T>
TINYLM_HD T softmax_shift(T row_max) {
  return row_max == -INFINITY ? T(0) : row_max;
}

/// The max of n values `stride` apart and the first index attaining it (in
/// `best` and the result); a NaN wins, as in PyTorch: a NaN anywhere makes
/// the max NaN.
template <class T>
TINYLM_HD int64_t argmax_strided(const T* src, int64_t n, int64_t stride, T& best) {
  best = src[0];
  int64_t best_j = 0;
  for (int64_t j = 1; j < n; ++j) {
    const T v = src[j * stride];
    if (v > best || (v != v && best == best)) {
      best = v;
      best_j = j;
    }
  }
  return best_j;
}

/// One AdamW / Adam step's constants, computed once per tensor on the host
/// (in double, as PyTorch does) and applied per element:
///   g' = g + wd p                       (Adam only: coupled L2)
///   m  = m + (1 - b1) (g' - m)          (lerp)
///   v  = b2 v + (1 - b2) g'^2
///   p  = p (1 - lr wd)                  (AdamW only: decoupled decay)
///   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
template <class T>
struct AdamStep {
  T step_size, decay, one_minus_beta1, beta2, one_minus_beta2, inv_bias2_sqrt, eps, weight_decay;
  bool decoupled;

  static AdamStep make(double lr, double beta1, double beta2, double eps, double weight_decay, bool decoupled,
                       int64_t step) {
    const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(step));
    const double bc2_sqrt = std::sqrt(1.0 - std::pow(beta2, static_cast<double>(step)));
    return {static_cast<T>(lr / bc1),
            static_cast<T>(1.0 - lr * weight_decay),
            static_cast<T>(1.0 - beta1),
            static_cast<T>(beta2),
            static_cast<T>(1.0 - beta2),
            static_cast<T>(1.0 / bc2_sqrt),
            static_cast<T>(eps),
            static_cast<T>(weight_decay),
            decoupled};
  }

  /// Updates the moments m and v from the gradient g (and p, for Adam's L2).
  TINYLM_HD void moments(T p, T g, T& m, T& v) const {
    if (!decoupled) g += weight_decay * p;
    m += one_minus_beta1 * (g - m);
    v = beta2 * v + one_minus_beta2 * g * g;
  }
  /// The new parameter, given the updated m and sqrt(v).
  TINYLM_HD T param(T p, T m, T sqrt_v) const {
    if (decoupled) p *= decay;
    return p - step_size * m / (sqrt_v * inv_bias2_sqrt + eps);
  }
};

}  // namespace tinylm::kernels::formula
