#pragma once
// gather and scatter along an axis, device-neutral (kernels/cpu/gather.hpp).

#include <cstdint>

#include "tinylm/kernels/cpu/gather.hpp"
#include "tinylm/kernels/dispatch.hpp"
#ifdef TINYLM_CUDA
#include "tinylm/core/dtype.hpp"
#include "tinylm/kernels/cuda/index.hpp"
#endif

namespace tinylm::kernels {

template <class T, class I>
void gather_forward(Device device, T* out, const T* x, const I* index, int64_t outer, int64_t n, int64_t m,
                    int64_t inner) {
#ifdef TINYLM_CUDA
  if constexpr (FloatElement<T> && IndexElement<I>)
    if (device.is_cuda()) return cuda::gather_forward(device.index(), out, x, index, outer, n, m, inner);
#endif
  require_cpu(device, "gather_forward");
  cpu::gather_forward(out, x, index, outer, n, m, inner);
}

/// Overwrites dx.
template <class T, class I>
void gather_backward(Device device, T* dx, const T* dout, const I* index, int64_t outer, int64_t n, int64_t m,
                     int64_t inner) {
#ifdef TINYLM_CUDA
  if constexpr (FloatElement<T> && IndexElement<I>)
    if (device.is_cuda()) return cuda::gather_backward(device.index(), dx, dout, index, outer, n, m, inner);
#endif
  require_cpu(device, "gather_backward");
  cpu::gather_backward(dx, dout, index, outer, n, m, inner);
}

/// Writes (or adds) src into out at `index`; out keeps its other values.
template <class T, class I>
void scatter(Device device, T* out, const T* src, const I* index, int64_t outer, int64_t n, int64_t m, int64_t inner,
             bool add) {
#ifdef TINYLM_CUDA
  if constexpr (FloatElement<T> && IndexElement<I>)
    if (device.is_cuda()) return cuda::scatter(device.index(), out, src, index, outer, n, m, inner, add);
#endif
  require_cpu(device, "scatter");
  cpu::scatter(out, src, index, outer, n, m, inner, add);
}

template <class T, class I>
void index_select_forward(Device device, T* out, const T* x, const I* index, int64_t outer, int64_t n, int64_t m,
                          int64_t inner) {
#ifdef TINYLM_CUDA
  if constexpr (FloatElement<T> && IndexElement<I>)
    if (device.is_cuda()) return cuda::index_select_forward(device.index(), out, x, index, outer, n, m, inner);
#endif
  require_cpu(device, "index_select_forward");
  cpu::index_select_forward(out, x, index, outer, n, m, inner);
}

/// Overwrites dx.
template <class T, class I>
void index_select_backward(Device device, T* dx, const T* dout, const I* index, int64_t outer, int64_t n, int64_t m,
                           int64_t inner) {
#ifdef TINYLM_CUDA
  if constexpr (FloatElement<T> && IndexElement<I>)
    if (device.is_cuda()) return cuda::index_select_backward(device.index(), dx, dout, index, outer, n, m, inner);
#endif
  require_cpu(device, "index_select_backward");
  cpu::index_select_backward(dx, dout, index, outer, n, m, inner);
}

}  // namespace tinylm::kernels
