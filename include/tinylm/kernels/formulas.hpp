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
//                    the exponent bits; branch-free so loops over it
//                    vectorize; within 2 ulp of expf over [-87, 88], 0 below,
//                    inf above, NaN through. double uses the library's exp.
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

#include <bit>
#include <cmath>
#include <cstdint>

#include "tinylm/core/host_device.hpp"

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

TINYLM_HD float exp(float x) {
  const float hi = 88.3762626647949f, lo = -87.3365478515625f;
  const bool under = x < lo;
  const bool over = x > hi;
  const float xc = over ? hi : (under ? lo : x);
  float n = detail::round_even(xc * 1.44269504088896341f);
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
  const float scale = detail::float_from_bits(static_cast<int32_t>(n + 127.0f) << 23);
  float out = y * scale;
  out = under ? 0.0f : out;
  out = over ? INFINITY : out;
  return x == x ? out : x;
}
TINYLM_HD double exp(double x) { return detail::exp_lib(x); }

TINYLM_HD float tanh(float x) { return 1.0f - 2.0f / (exp(2.0f * x) + 1.0f); }
TINYLM_HD double tanh(double x) { return detail::tanh_lib(x); }

template <class T>
TINYLM_HD T sigmoid(T x) {
  return T(1) / (T(1) + exp(-x));
}

template <class T>
TINYLM_HD T gelu_tanh(T x) {
  const T u = T(kSqrt2OverPi) * (x + T(kGeluCoeff) * x * x * x);
  return T(0.5) * x * (T(1) + tanh(u));
}

/// d gelu_tanh / dx.
template <class T>
TINYLM_HD T gelu_tanh_grad(T x) {
  const T u = T(kSqrt2OverPi) * (x + T(kGeluCoeff) * x * x * x);
  const T th = tanh(u);
  const T du = T(kSqrt2OverPi) * (T(1) + T(3 * kGeluCoeff) * x * x);
  return T(0.5) * (T(1) + th) + T(0.5) * x * (T(1) - th * th) * du;
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
