#pragma once
// Index validation, device-neutral (kernels/cpu/index.hpp).

#include <cstdint>
#include <optional>

#include "tinylm/kernels/cpu/index.hpp"
#include "tinylm/kernels/dispatch.hpp"
#ifdef TINYLM_CUDA
#include "tinylm/kernels/cuda/reduce.hpp"
#endif

namespace tinylm::kernels {

/// The first position whose index is outside [0, limit) and is not
/// `allowed`, or -1.
template <class I>
int64_t find_invalid_index(Device device, const I* index, int64_t n, int64_t limit,
                           std::optional<int64_t> allowed = std::nullopt) {
#ifdef TINYLM_CUDA
  if (device.is_cuda())
    return cuda::find_invalid_index(device.index(), index, n, limit, allowed.has_value(), allowed.value_or(0));
#endif
  require_cpu(device, "find_invalid_index");
  return cpu::find_invalid_index(index, n, limit, allowed);
}

}  // namespace tinylm::kernels
