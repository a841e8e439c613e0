#pragma once
// Triangular masks, device-neutral (kernels/cpu/mask.hpp).

#include <cstdint>

#include "tinylm/kernels/cpu/mask.hpp"
#include "tinylm/kernels/dispatch.hpp"

namespace tinylm::kernels {

template <class T>
void tril(Device device, T* out, const T* x, int64_t batch, int64_t R, int64_t C, int64_t k) {
  require_cpu(device, "tril");
  cpu::tril(out, x, batch, R, C, k);
}

inline void causal_mask(Device device, bool* m, int64_t Tq, int64_t Tk) {
  require_cpu(device, "causal_mask");
  cpu::causal_mask(m, Tq, Tk);
}

}  // namespace tinylm::kernels
