#pragma once
// Triangular masks, device-neutral (kernels/cpu/mask.hpp).

#include <cstdint>

#include "tinylm/kernels/cpu/mask.hpp"
#include "tinylm/kernels/dispatch.hpp"
#ifdef TINYLM_CUDA
#include "tinylm/core/dtype.hpp"
#include "tinylm/kernels/cuda/index.hpp"
#endif

namespace tinylm::kernels {

template <class T>
void tril(Device device, T* out, const T* x, int64_t batch, int64_t R, int64_t C, int64_t k) {
#ifdef TINYLM_CUDA
  if constexpr (FloatElement<T>)
    if (device.is_cuda()) return cuda::tril(device.index(), out, x, batch, R, C, k);
#endif
  require_cpu(device, "tril");
  cpu::tril(out, x, batch, R, C, k);
}

inline void causal_mask(Device device, bool* m, int64_t Tq, int64_t Tk) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::causal_mask(device.index(), m, Tq, Tk);
#endif
  require_cpu(device, "causal_mask");
  cpu::causal_mask(m, Tq, Tk);
}

}  // namespace tinylm::kernels
