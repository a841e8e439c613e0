#pragma once
// GELU, both forms, forward and backward (the formulas: kernels/formulas.hpp).
//
// tanh approximation (GPT-2):  y = 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
//   dy/dx = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
// exact:                       y = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2))
//   dy/dx = Phi(x) + x phi(x),  phi(x) = exp(-x^2 / 2) / sqrt(2 pi)

#include <cstdint>

#include "tinylm/kernels/cpu/elementwise.hpp"
#include "tinylm/kernels/formulas.hpp"

namespace tinylm::kernels::cpu {

template <class T>
void gelu_tanh_forward(T* out, const T* x, int64_t n) {
  map_lanes(out, x, n, [](auto v) { return formula::gelu_tanh(v); });
}

/// dx = dy * gelu'(x)
template <class T>
void gelu_tanh_backward(T* dx, const T* dy, const T* x, int64_t n) {
  map2_lanes(dx, dy, x, n, [](auto g, auto v) { return g * formula::gelu_tanh_grad(v); });
}

template <class T>
void gelu_erf_forward(T* out, const T* x, int64_t n) {
  map(out, x, n, [](T v) { return formula::gelu_erf(v); });
}

template <class T>
void gelu_erf_backward(T* dx, const T* dy, const T* x, int64_t n) {
  map2(dx, dy, x, n, [](T g, T v) { return g * formula::gelu_erf_grad(v); });
}

}  // namespace tinylm::kernels::cpu
