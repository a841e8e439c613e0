#pragma once
// Fills, strided copies and elementwise maps on a CUDA device: the
// declarations g++ sees. The kernels are in elementwise.cu, compiled by nvcc
// into the tinylm_cuda library (CMake: TINYLM_CUDA) for the element types
// instantiated there; the maps for the functions of kernels/functors.hpp
// that fn::CudaUnary and fn::CudaBinary name.
// Pointers are device pointers; shapes and strides are host arrays of ndim
// (at most Shape::kMaxDims) values. Work goes to the device's stream
// (core/cuda_runtime.hpp) and is not waited for.

#include <cstdint>

namespace tinylm::kernels::cuda {

/// out[i] = value for i < n.
template <class T>
void fill(int device, T* out, T value, int64_t n);

/// dst (strided) = src (strided), both of `shape`; a stride of 0 broadcasts.
template <class T>
void copy_strided(int device, T* dst, const int64_t* dst_strides, const T* src, const int64_t* src_strides,
                  const int64_t* shape, int ndim);

/// out[i] = f(in[i]) for i < n.
template <class To, class Ti, class F>
void map(int device, To* out, const Ti* in, int64_t n, F f);

/// out[i] = f(a[i], b[i]) for i < n.
template <class To, class Ta, class Tb, class F>
void map2(int device, To* out, const Ta* a, const Tb* b, int64_t n, F f);

/// out (contiguous, `shape`) = f(a, b), a and b read through strides (0 broadcasts).
template <class To, class Ta, class Tb, class F>
void binary_strided(int device, To* out, const Ta* a, const int64_t* a_strides, const Tb* b, const int64_t* b_strides,
                    const int64_t* shape, int ndim, F f);

/// out (contiguous, `shape`) = f(c, a, b), all three read through strides.
template <class To, class Tc, class Ta, class Tb, class F>
void ternary_strided(int device, To* out, const Tc* c, const int64_t* c_strides, const Ta* a, const int64_t* a_strides,
                     const Tb* b, const int64_t* b_strides, const int64_t* shape, int ndim, F f);

/// dst (strided) += src (strided), both of `shape`; dst must not overlap itself.
template <class T>
void add_strided(int device, T* dst, const int64_t* dst_strides, const T* src, const int64_t* src_strides,
                 const int64_t* shape, int ndim);

}  // namespace tinylm::kernels::cuda
