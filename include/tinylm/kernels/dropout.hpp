#pragma once
// The dropout mask, device-neutral (kernels/cpu/dropout.hpp).

#include <cstdint>

#include "tinylm/core/rng.hpp"
#include "tinylm/kernels/cpu/dropout.hpp"
#include "tinylm/kernels/dispatch.hpp"
#ifdef TINYLM_CUDA
#include "tinylm/kernels/cuda/nn.hpp"
#include "tinylm/kernels/philox.hpp"
#endif

namespace tinylm::kernels {

template <class T>
void dropout_mask(Device device, T* mask, int64_t n, double p, Generator& gen) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) {  // the CPU kernel's key, threshold and scale
    const uint64_t key = gen.next_u64();
    const T scale = p < 1.0 ? static_cast<T>(1.0 / (1.0 - p)) : T(0);
    return cuda::dropout_mask(device.index(), mask, n, key, philox::dropout_threshold(p), scale);
  }
#endif
  require_cpu(device, "dropout_mask");
  cpu::dropout_mask(mask, n, p, gen);
}

}  // namespace tinylm::kernels
