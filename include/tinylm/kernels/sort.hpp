#pragma once
// Sorting along an axis, device-neutral (kernels/cpu/sort.hpp).

#include <cstdint>

#include "tinylm/kernels/cpu/sort.hpp"
#include "tinylm/kernels/dispatch.hpp"

namespace tinylm::kernels {

template <class T, class I>
void argsort(Device device, I* idx, const T* x, int64_t outer, int64_t n, int64_t inner, int64_t k, bool descending) {
  require_cpu(device, "argsort");
  cpu::argsort(idx, x, outer, n, inner, k, descending);
}

}  // namespace tinylm::kernels
