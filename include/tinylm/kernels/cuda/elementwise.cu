// Fills and strided copies on a CUDA device (declared in elementwise.hpp).

#include "tinylm/kernels/cuda/elementwise.hpp"
#include "tinylm/kernels/cuda/launch.cuh"

namespace tinylm::kernels::cuda {

namespace {

template <class T>
__global__ void fill_kernel(T* out, T value, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = value;
}

template <class T>
__global__ void copy_strided_kernel(T* dst, const T* src, detail::StridedPair s, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t od, os;
    s.offsets(i, od, os);
    dst[od] = src[os];
  }
}

}  // namespace

template <class T>
void fill(int device, T* out, T value, int64_t n) {
  if (n == 0) return;
  DeviceGuard guard(device);
  fill_kernel<<<detail::blocks_for(n), detail::kThreads, 0, stream(device)>>>(out, value, n);
  TINYLM_CUDA_CHECK_LAUNCH();
}

template <class T>
void copy_strided(int device, T* dst, const int64_t* dst_strides, const T* src, const int64_t* src_strides,
                  const int64_t* shape, int ndim) {
  int64_t n = 1;
  for (int d = 0; d < ndim; ++d) n *= shape[d];
  if (n == 0) return;
  DeviceGuard guard(device);
  copy_strided_kernel<<<detail::blocks_for(n), detail::kThreads, 0, stream(device)>>>(
      dst, src, detail::strided_pair(shape, dst_strides, src_strides, ndim), n);
  TINYLM_CUDA_CHECK_LAUNCH();
}

#define TINYLM_INSTANTIATE(T)                 \
  template void fill<T>(int, T*, T, int64_t); \
  template void copy_strided<T>(int, T*, const int64_t*, const T*, const int64_t*, const int64_t*, int);
TINYLM_INSTANTIATE(float)
TINYLM_INSTANTIATE(double)
TINYLM_INSTANTIATE(int64_t)
TINYLM_INSTANTIATE(int32_t)
TINYLM_INSTANTIATE(int16_t)
TINYLM_INSTANTIATE(uint16_t)
TINYLM_INSTANTIATE(uint8_t)
TINYLM_INSTANTIATE(bool)
#undef TINYLM_INSTANTIATE

}  // namespace tinylm::kernels::cuda
