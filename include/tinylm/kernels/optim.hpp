#pragma once
// Fused optimizer updates, device-neutral (formulas in kernels/cpu/optim.hpp).

#include <cstdint>

#include "tinylm/kernels/cpu/optim.hpp"
#include "tinylm/kernels/dispatch.hpp"
#ifdef TINYLM_CUDA
#include "tinylm/kernels/cuda/nn.hpp"
#endif

namespace tinylm::kernels {

template <class T>
void adam_update(Device device, T* p, const T* g, T* m, T* v, int64_t n, double lr, double beta1, double beta2,
                 double eps, double weight_decay, bool decoupled, int64_t step) {
#ifdef TINYLM_CUDA
  if (device.is_cuda())
    return cuda::adam_update(device.index(), p, g, m, v, n, lr, beta1, beta2, eps, weight_decay, decoupled, step);
#endif
  require_cpu(device, "adam_update");
  cpu::adam_update(p, g, m, v, n, lr, beta1, beta2, eps, weight_decay, decoupled, step);
}

template <class T>
void sgd_update(Device device, T* p, const T* g, T* buf, int64_t n, double lr, double momentum, double weight_decay,
                bool nesterov) {
  require_cpu(device, "sgd_update");
  cpu::sgd_update(p, g, buf, n, lr, momentum, weight_decay, nesterov);
}

}  // namespace tinylm::kernels
