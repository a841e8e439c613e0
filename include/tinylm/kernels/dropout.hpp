#pragma once
// The dropout mask, device-neutral (kernels/cpu/dropout.hpp).

#include <cstdint>

#include "tinylm/core/rng.hpp"
#include "tinylm/kernels/cpu/dropout.hpp"
#include "tinylm/kernels/dispatch.hpp"

namespace tinylm::kernels {

template <class T>
void dropout_mask(Device device, T* mask, int64_t n, double p, Generator& gen) {
  require_cpu(device, "dropout_mask");
  cpu::dropout_mask(mask, n, p, gen);
}

}  // namespace tinylm::kernels
