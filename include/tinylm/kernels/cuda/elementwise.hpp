#pragma once
// Fills and strided copies on a CUDA device: the declarations g++ sees. The
// kernels are in elementwise.cu, compiled by nvcc into the tinylm_cuda
// library (CMake: TINYLM_CUDA) for the element types instantiated there.
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

}  // namespace tinylm::kernels::cuda
