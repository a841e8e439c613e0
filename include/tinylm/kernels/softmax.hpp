#pragma once
// Softmax and log-softmax, device-neutral (formulas in kernels/cpu/softmax.hpp).

#include <cstdint>

#include "tinylm/kernels/cpu/softmax.hpp"
#include "tinylm/kernels/dispatch.hpp"
#ifdef TINYLM_CUDA
#include "tinylm/kernels/cuda/nn.hpp"
#endif

namespace tinylm::kernels {

template <class T>
void softmax_forward(Device device, T* out, const T* in, int64_t outer, int64_t n, int64_t inner, bool log) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::softmax_forward(device.index(), out, in, outer, n, inner, log);
#endif
  require_cpu(device, "softmax_forward");
  cpu::softmax_forward(out, in, outer, n, inner, log);
}

template <class T>
void softmax_backward(Device device, T* dx, const T* dy, const T* y, int64_t outer, int64_t n, int64_t inner,
                      bool log) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::softmax_backward(device.index(), dx, dy, y, outer, n, inner, log);
#endif
  require_cpu(device, "softmax_backward");
  cpu::softmax_backward(dx, dy, y, outer, n, inner, log);
}

}  // namespace tinylm::kernels
