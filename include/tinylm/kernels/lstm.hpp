#pragma once
// The fused LSTM cell, device-neutral (formulas in kernels/cpu/lstm.hpp).

#include <cstdint>

#include "tinylm/kernels/cpu/lstm.hpp"
#include "tinylm/kernels/dispatch.hpp"
#ifdef TINYLM_CUDA
#include "tinylm/kernels/cuda/nn.hpp"
#endif

namespace tinylm::kernels {

template <class T>
void lstm_cell_forward(Device device, T* h, T* c, T* act, const T* gates, const T* c_prev, int64_t B, int64_t H) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::lstm_cell_forward(device.index(), h, c, act, gates, c_prev, B, H);
#endif
  require_cpu(device, "lstm_cell_forward");
  cpu::lstm_cell_forward(h, c, act, gates, c_prev, B, H);
}

/// dh or dc may be null (a zero gradient).
template <class T>
void lstm_cell_backward(Device device, T* dgates, T* dc_prev, const T* dh, const T* dc, const T* act, const T* c_prev,
                        const T* c, int64_t B, int64_t H) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::lstm_cell_backward(device.index(), dgates, dc_prev, dh, dc, act, c_prev, c, B, H);
#endif
  require_cpu(device, "lstm_cell_backward");
  cpu::lstm_cell_backward(dgates, dc_prev, dh, dc, act, c_prev, c, B, H);
}

}  // namespace tinylm::kernels
