#pragma once
// Embedding lookup and its scatter-add backward, device-neutral
// (kernels/cpu/embedding.hpp).

#include <cstdint>

#include "tinylm/kernels/cpu/embedding.hpp"
#include "tinylm/kernels/dispatch.hpp"
#ifdef TINYLM_CUDA
#include "tinylm/kernels/cuda/lm.hpp"
#endif

namespace tinylm::kernels {

template <class T, class I>
void embedding_forward(Device device, T* out, const T* weight, const I* idx, int64_t N, int64_t C) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::embedding_forward(device.index(), out, weight, idx, N, C);
#endif
  require_cpu(device, "embedding_forward");
  cpu::embedding_forward(out, weight, idx, N, C);
}

/// Accumulates into dweight.
template <class T, class I>
void embedding_backward(Device device, T* dweight, const T* dout, const I* idx, int64_t N, int64_t C) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::embedding_backward(device.index(), dweight, dout, idx, N, C);
#endif
  require_cpu(device, "embedding_backward");
  cpu::embedding_backward(dweight, dout, idx, N, C);
}

}  // namespace tinylm::kernels
