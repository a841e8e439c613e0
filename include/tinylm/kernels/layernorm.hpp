#pragma once
// LayerNorm, device-neutral (formulas in kernels/cpu/layernorm.hpp).

#include <cstdint>

#include "tinylm/kernels/cpu/layernorm.hpp"
#include "tinylm/kernels/dispatch.hpp"
#ifdef TINYLM_CUDA
#include "tinylm/kernels/cuda/nn.hpp"
#endif

namespace tinylm::kernels {

template <class T>
void layernorm_forward(Device device, T* out, T* mean, T* rstd, const T* x, const T* w, const T* b, int64_t N,
                       int64_t C, T eps) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::layernorm_forward(device.index(), out, mean, rstd, x, w, b, N, C, eps);
#endif
  require_cpu(device, "layernorm_forward");
  cpu::layernorm_forward(out, mean, rstd, x, w, b, N, C, eps);
}

template <class T>
void layernorm_backward(Device device, T* dx, T* dw, T* db, const T* dy, const T* x, const T* mean, const T* rstd,
                        const T* w, int64_t N, int64_t C) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::layernorm_backward(device.index(), dx, dw, db, dy, x, mean, rstd, w, N, C);
#endif
  require_cpu(device, "layernorm_backward");
  cpu::layernorm_backward(dx, dw, db, dy, x, mean, rstd, w, N, C);
}

}  // namespace tinylm::kernels
