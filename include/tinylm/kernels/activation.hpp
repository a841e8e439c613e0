#pragma once
// GELU, both forms, device-neutral (formulas in kernels/formulas.hpp).

#include <cstdint>

#include "tinylm/kernels/cpu/activation.hpp"
#include "tinylm/kernels/dispatch.hpp"

namespace tinylm::kernels {

using formula::kGeluCoeff;
using formula::kSqrt2OverPi;

template <class T>
void gelu_tanh_forward(Device device, T* out, const T* x, int64_t n) {
  require_cpu(device, "gelu_tanh_forward");
  cpu::gelu_tanh_forward(out, x, n);
}

template <class T>
void gelu_tanh_backward(Device device, T* dx, const T* dy, const T* x, int64_t n) {
  require_cpu(device, "gelu_tanh_backward");
  cpu::gelu_tanh_backward(dx, dy, x, n);
}

template <class T>
void gelu_erf_forward(Device device, T* out, const T* x, int64_t n) {
  require_cpu(device, "gelu_erf_forward");
  cpu::gelu_erf_forward(out, x, n);
}

template <class T>
void gelu_erf_backward(Device device, T* dx, const T* dy, const T* x, int64_t n) {
  require_cpu(device, "gelu_erf_backward");
  cpu::gelu_erf_backward(dx, dy, x, n);
}

}  // namespace tinylm::kernels
