#pragma once
// Reductions over the middle axis of [outer, n, inner], device-neutral
// (kernels/dispatch.hpp; formulas in kernels/cpu/reduce.hpp, the CUDA
// kernels in kernels/cuda/reduce.hpp).

#include <cstdint>

#include "tinylm/kernels/cpu/reduce.hpp"
#include "tinylm/kernels/dispatch.hpp"
#ifdef TINYLM_CUDA
#include "tinylm/kernels/cuda/reduce.hpp"
#endif

namespace tinylm::kernels {

template <class T>
void sum_axis(Device device, T* out, const T* in, int64_t outer, int64_t n, int64_t inner) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::sum_axis(device.index(), out, in, outer, n, inner);
#endif
  require_cpu(device, "sum_axis");
  cpu::sum_axis(out, in, outer, n, inner);
}

template <class T, class I>
void max_axis(Device device, T* out, I* arg, const T* in, int64_t outer, int64_t n, int64_t inner) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::max_axis(device.index(), out, arg, in, outer, n, inner);
#endif
  require_cpu(device, "max_axis");
  cpu::max_axis(out, arg, in, outer, n, inner);
}

template <class T, class I>
void max_axis_backward(Device device, T* dx, const T* dout, const I* arg, int64_t outer, int64_t n, int64_t inner) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::max_axis_backward(device.index(), dx, dout, arg, outer, n, inner);
#endif
  require_cpu(device, "max_axis_backward");
  cpu::max_axis_backward(dx, dout, arg, outer, n, inner);
}

/// sum of x_i^2 in double, the same bits for a given thread count.
template <class T>
double sum_squares(Device device, const T* x, int64_t n) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::sum_squares(device.index(), x, n);
#endif
  require_cpu(device, "sum_squares");
  return cpu::sum_squares(x, n);
}

/// The index of the first NaN or infinity in x[0, n), or -1.
template <class T>
int64_t first_non_finite(Device device, const T* x, int64_t n) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::first_non_finite(device.index(), x, n);
#endif
  require_cpu(device, "first_non_finite");
  return cpu::first_non_finite(x, n);
}

}  // namespace tinylm::kernels
