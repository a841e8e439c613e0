#pragma once
// GELU, both forms, forward and backward.
//
// tanh approximation (GPT-2):  y = 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
//   dy/dx = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
// exact:                       y = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2))
//   dy/dx = Phi(x) + x phi(x),  phi(x) = exp(-x^2 / 2) / sqrt(2 pi)

#include <cmath>
#include <cstdint>

#include "tinylm/kernels/cpu/elementwise.hpp"
#include "tinylm/kernels/cpu/math.hpp"

namespace tinylm::kernels::cpu {

inline constexpr double kSqrt2OverPi = 0.7978845608028654;
inline constexpr double kGeluCoeff = 0.044715;
inline constexpr double kInvSqrt2 = 0.7071067811865476;
inline constexpr double kInvSqrt2Pi = 0.3989422804014327;

template <class T>
void gelu_tanh_forward(T* out, const T* x, int64_t n) {
  map(out, x, n, [](T v) {
    const T u = T(kSqrt2OverPi) * (v + T(kGeluCoeff) * v * v * v);
    return T(0.5) * v * (T(1) + vtanh(u));
  });
}

/// dx = dy * gelu'(x)
template <class T>
void gelu_tanh_backward(T* dx, const T* dy, const T* x, int64_t n) {
  map2(dx, dy, x, n, [](T g, T v) {
    const T u = T(kSqrt2OverPi) * (v + T(kGeluCoeff) * v * v * v);
    const T th = vtanh(u);
    const T du = T(kSqrt2OverPi) * (T(1) + T(3 * kGeluCoeff) * v * v);
    return g * (T(0.5) * (T(1) + th) + T(0.5) * v * (T(1) - th * th) * du);
  });
}

template <class T>
void gelu_erf_forward(T* out, const T* x, int64_t n) {
  map(out, x, n, [](T v) { return T(0.5) * v * (T(1) + std::erf(v * T(kInvSqrt2))); });
}

template <class T>
void gelu_erf_backward(T* dx, const T* dy, const T* x, int64_t n) {
  map2(dx, dy, x, n, [](T g, T v) {
    const T cdf = T(0.5) * (T(1) + std::erf(v * T(kInvSqrt2)));
    const T pdf = T(kInvSqrt2Pi) * vexp(T(-0.5) * v * v);
    return g * (cdf + v * pdf);
  });
}

}  // namespace tinylm::kernels::cpu
