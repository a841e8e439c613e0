#pragma once
// Elementwise maps, fills and strided copies, device-neutral
// (kernels/dispatch.hpp; the CPU versions are in kernels/cpu/elementwise.hpp,
// the CUDA ones in kernels/cuda/elementwise.hpp). A map runs on a CUDA
// device when its function is one the CUDA library was built for
// (kernels/functors.hpp: fn::CudaUnary, CudaBinary, CudaTernary); any other
// function, a lambda say, runs on the CPU only.

#include <cstdint>
#include <type_traits>

#include "tinylm/kernels/cpu/elementwise.hpp"
#include "tinylm/kernels/dispatch.hpp"
#include "tinylm/kernels/functors.hpp"
#ifdef TINYLM_CUDA
#include "tinylm/kernels/cuda/elementwise.hpp"
#endif

namespace tinylm::kernels {

/// out[i] = op(in[i]) for i < n.
template <class To, class Ti, class Op>
void map(Device device, To* out, const Ti* in, int64_t n, Op op) {
#ifdef TINYLM_CUDA
  if constexpr (fn::CudaUnary<To, Ti, Op>::value)
    if (device.is_cuda()) return cuda::map(device.index(), out, in, n, op);
#endif
  require_cpu(device, "map");
  cpu::map(out, in, n, op);
}

/// out[i] = op(a[i], b[i]) for i < n.
template <class To, class Ta, class Tb, class Op>
void map2(Device device, To* out, const Ta* a, const Tb* b, int64_t n, Op op) {
#ifdef TINYLM_CUDA
  if constexpr (fn::CudaBinary<To, Ta, Tb, Op>::value)
    if (device.is_cuda()) return cuda::map2(device.index(), out, a, b, n, op);
#endif
  require_cpu(device, "map2");
  cpu::map2(out, a, b, n, op);
}

template <class T>
void fill(Device device, T* out, T value, int64_t n) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::fill(device.index(), out, value, n);
#endif
  require_cpu(device, "fill");
  cpu::fill(out, value, n);
}

/// out (contiguous, `shape`) = op(a, b), a and b read through strides (0 broadcasts).
template <class To, class Ta, class Tb, class Op>
void binary_strided(Device device, To* out, const Ta* a, const int64_t* a_strides, const Tb* b,
                    const int64_t* b_strides, const int64_t* shape, int ndim, Op op) {
#ifdef TINYLM_CUDA
  if constexpr (fn::CudaBinary<To, Ta, Tb, Op>::value)
    if (device.is_cuda()) return cuda::binary_strided(device.index(), out, a, a_strides, b, b_strides, shape, ndim, op);
#endif
  require_cpu(device, "binary_strided");
  cpu::binary_strided(out, a, a_strides, b, b_strides, shape, ndim, op);
}

/// out (contiguous, `shape`) = op(a, b, c), all read through strides.
template <class To, class Ta, class Tb, class Tc, class Op>
void ternary_strided(Device device, To* out, const Ta* a, const int64_t* a_strides, const Tb* b,
                     const int64_t* b_strides, const Tc* c, const int64_t* c_strides, const int64_t* shape, int ndim,
                     Op op) {
#ifdef TINYLM_CUDA
  if constexpr (fn::CudaTernary<To, Ta, Tb, Tc, Op>::value)
    if (device.is_cuda())
      return cuda::ternary_strided(device.index(), out, a, a_strides, b, b_strides, c, c_strides, shape, ndim, op);
#endif
  require_cpu(device, "ternary_strided");
  cpu::ternary_strided(out, a, a_strides, b, b_strides, c, c_strides, shape, ndim, op);
}

/// dst (strided) = src (strided), both of `shape`.
template <class T>
void copy_strided(Device device, T* dst, const int64_t* dst_strides, const T* src, const int64_t* src_strides,
                  const int64_t* shape, int ndim) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::copy_strided(device.index(), dst, dst_strides, src, src_strides, shape, ndim);
#endif
  require_cpu(device, "copy_strided");
  cpu::copy_strided(dst, dst_strides, src, src_strides, shape, ndim);
}

/// dst (strided) += src (strided), both of `shape`; dst must not overlap itself.
template <class T>
void add_strided(Device device, T* dst, const int64_t* dst_strides, const T* src, const int64_t* src_strides,
                 const int64_t* shape, int ndim) {
#ifdef TINYLM_CUDA
  if constexpr (FloatElement<T>)
    if (device.is_cuda()) return cuda::add_strided(device.index(), dst, dst_strides, src, src_strides, shape, ndim);
#endif
  require_cpu(device, "add_strided");
  cpu::add_strided(dst, dst_strides, src, src_strides, shape, ndim);
}

}  // namespace tinylm::kernels
