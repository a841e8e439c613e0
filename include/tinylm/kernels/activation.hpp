#pragma once
// GELU, both forms, device-neutral (formulas in kernels/formulas.hpp).

#include <cstdint>

#include "tinylm/kernels/cpu/activation.hpp"
#include "tinylm/kernels/dispatch.hpp"
#ifdef TINYLM_CUDA
#include "tinylm/kernels/cuda/nn.hpp"
#endif

namespace tinylm::kernels {

using formula::kGeluCoeff;
using formula::kSqrt2OverPi;

template <class T>
void gelu_tanh_forward(Device device, T* out, const T* x, int64_t n) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::gelu_tanh_forward(device.index(), out, x, n);
#endif
  require_cpu(device, "gelu_tanh_forward");
  cpu::gelu_tanh_forward(out, x, n);
}

template <class T>
void gelu_tanh_backward(Device device, T* dx, const T* dy, const T* x, int64_t n) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::gelu_tanh_backward(device.index(), dx, dy, x, n);
#endif
  require_cpu(device, "gelu_tanh_backward");
  cpu::gelu_tanh_backward(dx, dy, x, n);
}

template <class T>
void gelu_erf_forward(Device device, T* out, const T* x, int64_t n) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::gelu_erf_forward(device.index(), out, x, n);
#endif
  require_cpu(device, "gelu_erf_forward");
  cpu::gelu_erf_forward(out, x, n);
}

template <class T>
void gelu_erf_backward(Device device, T* dx, const T* dy, const T* x, int64_t n) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::gelu_erf_backward(device.index(), dx, dy, x, n);
#endif
  require_cpu(device, "gelu_erf_backward");
  cpu::gelu_erf_backward(dx, dy, x, n);
}

}  // namespace tinylm::kernels
