#pragma once
// Softmax + cross-entropy, device-neutral (formulas in kernels/cpu/cross_entropy.hpp).

#include <cstdint>
#include <utility>

#include "tinylm/kernels/cpu/cross_entropy.hpp"
#include "tinylm/kernels/dispatch.hpp"
#ifdef TINYLM_CUDA
#include "tinylm/kernels/cuda/lm.hpp"
#endif

namespace tinylm::kernels {

/// Returns the sum of the kept rows' losses and their number.
template <class T, class I>
std::pair<T, int64_t> cross_entropy_forward(Device device, T* loss, T* lse, const T* x, const I* targets, int64_t N,
                                            int64_t V, int64_t ignore_index, T label_smoothing = T(0)) {
#ifdef TINYLM_CUDA
  if (device.is_cuda())
    return cuda::cross_entropy_forward(device.index(), loss, lse, x, targets, N, V, ignore_index, label_smoothing);
#endif
  require_cpu(device, "cross_entropy_forward");
  return cpu::cross_entropy_forward(loss, lse, x, targets, N, V, ignore_index, label_smoothing);
}

template <class T, class I>
void cross_entropy_backward(Device device, T* dx, const T* x, const T* lse, const I* targets, int64_t N, int64_t V,
                            int64_t ignore_index, T scale, T label_smoothing = T(0)) {
#ifdef TINYLM_CUDA
  if (device.is_cuda())
    return cuda::cross_entropy_backward(device.index(), dx, x, lse, targets, N, V, ignore_index, scale,
                                        label_smoothing);
#endif
  require_cpu(device, "cross_entropy_backward");
  cpu::cross_entropy_backward(dx, x, lse, targets, N, V, ignore_index, scale, label_smoothing);
}

}  // namespace tinylm::kernels
