// Fills, strided copies and elementwise maps on a CUDA device (declared in
// elementwise.hpp).

#include "tinylm/kernels/cuda/elementwise.hpp"
#include "tinylm/kernels/cuda/launch.cuh"
#include "tinylm/kernels/functors.hpp"

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

template <class To, class Ti, class F>
__global__ void map_kernel(To* out, const Ti* in, int64_t n, F f) {
  TINYLM_CUDA_FOR(i, n) out[i] = f(in[i]);
}

template <class To, class Ta, class Tb, class F>
__global__ void map2_kernel(To* out, const Ta* a, const Tb* b, int64_t n, F f) {
  TINYLM_CUDA_FOR(i, n) out[i] = f(a[i], b[i]);
}

template <class To, class Ta, class Tb, class F>
__global__ void binary_strided_kernel(To* out, const Ta* a, const Tb* b, detail::StridedPair s, int64_t n, F f) {
  TINYLM_CUDA_FOR(i, n) {
    int64_t oa, ob;
    s.offsets(i, oa, ob);
    out[i] = f(a[oa], b[ob]);
  }
}

template <class To, class Tc, class Ta, class Tb, class F>
__global__ void ternary_strided_kernel(To* out, const Tc* c, const Ta* a, const Tb* b, detail::StridedTriple s,
                                       int64_t n, F f) {
  TINYLM_CUDA_FOR(i, n) {
    int64_t oc, oa, ob;
    s.offsets(i, oc, oa, ob);
    out[i] = f(c[oc], a[oa], b[ob]);
  }
}

template <class T>
__global__ void add_strided_kernel(T* dst, const T* src, detail::StridedPair s, int64_t n) {
  TINYLM_CUDA_FOR(i, n) {
    int64_t od, os;
    s.offsets(i, od, os);
    dst[od] += src[os];
  }
}

int64_t numel(const int64_t* shape, int ndim) {
  int64_t n = 1;
  for (int d = 0; d < ndim; ++d) n *= shape[d];
  return n;
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

template <class To, class Ti, class F>
void map(int device, To* out, const Ti* in, int64_t n, F f) {
  if (n > 0) TINYLM_LAUNCH((map_kernel<To, Ti, F>), detail::blocks_for(n), out, in, n, f);
}

template <class To, class Ta, class Tb, class F>
void map2(int device, To* out, const Ta* a, const Tb* b, int64_t n, F f) {
  if (n > 0) TINYLM_LAUNCH((map2_kernel<To, Ta, Tb, F>), detail::blocks_for(n), out, a, b, n, f);
}

template <class To, class Ta, class Tb, class F>
void binary_strided(int device, To* out, const Ta* a, const int64_t* a_strides, const Tb* b, const int64_t* b_strides,
                    const int64_t* shape, int ndim, F f) {
  const int64_t n = numel(shape, ndim);
  if (n > 0)
    TINYLM_LAUNCH((binary_strided_kernel<To, Ta, Tb, F>), detail::blocks_for(n), out, a, b,
                  detail::strided_pair(shape, a_strides, b_strides, ndim), n, f);
}

template <class To, class Tc, class Ta, class Tb, class F>
void ternary_strided(int device, To* out, const Tc* c, const int64_t* c_strides, const Ta* a, const int64_t* a_strides,
                     const Tb* b, const int64_t* b_strides, const int64_t* shape, int ndim, F f) {
  const int64_t n = numel(shape, ndim);
  if (n > 0)
    TINYLM_LAUNCH((ternary_strided_kernel<To, Tc, Ta, Tb, F>), detail::blocks_for(n), out, c, a, b,
                  detail::strided_triple(shape, c_strides, a_strides, b_strides, ndim), n, f);
}

template <class T>
void add_strided(int device, T* dst, const int64_t* dst_strides, const T* src, const int64_t* src_strides,
                 const int64_t* shape, int ndim) {
  const int64_t n = numel(shape, ndim);
  if (n > 0)
    TINYLM_LAUNCH(add_strided_kernel<T>, detail::blocks_for(n), dst, src,
                  detail::strided_pair(shape, dst_strides, src_strides, ndim), n);
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

// The maps of kernels/functors.hpp's lists (T: float, then double; the FIXED lists once).
#define TINYLM_INSTANTIATE_UNARY(To, Ti, F) template void map<To, Ti, F>(int, To*, const Ti*, int64_t, F);
#define TINYLM_INSTANTIATE_BINARY(To, Ta, Tb, F)                                                              \
  template void map2<To, Ta, Tb, F>(int, To*, const Ta*, const Tb*, int64_t, F);                              \
  template void binary_strided<To, Ta, Tb, F>(int, To*, const Ta*, const int64_t*, const Tb*, const int64_t*, \
                                              const int64_t*, int, F);
#define TINYLM_INSTANTIATE_TERNARY(To, Tc, Ta, Tb, F)                                                              \
  template void ternary_strided<To, Tc, Ta, Tb, F>(int, To*, const Tc*, const int64_t*, const Ta*, const int64_t*, \
                                                   const Tb*, const int64_t*, const int64_t*, int, F);
#define T float
TINYLM_CUDA_UNARY_FUNCTORS(TINYLM_INSTANTIATE_UNARY)
TINYLM_CUDA_BINARY_FUNCTORS(TINYLM_INSTANTIATE_BINARY)
TINYLM_CUDA_TERNARY_FUNCTORS(TINYLM_INSTANTIATE_TERNARY)
template void add_strided<T>(int, T*, const int64_t*, const T*, const int64_t*, const int64_t*, int);
#undef T
#define T double
TINYLM_CUDA_UNARY_FUNCTORS(TINYLM_INSTANTIATE_UNARY)
TINYLM_CUDA_BINARY_FUNCTORS(TINYLM_INSTANTIATE_BINARY)
TINYLM_CUDA_TERNARY_FUNCTORS(TINYLM_INSTANTIATE_TERNARY)
template void add_strided<T>(int, T*, const int64_t*, const T*, const int64_t*, const int64_t*, int);
#undef T
TINYLM_CUDA_FIXED_UNARY_FUNCTORS(TINYLM_INSTANTIATE_UNARY)
TINYLM_CUDA_FIXED_BINARY_FUNCTORS(TINYLM_INSTANTIATE_BINARY)
#undef TINYLM_INSTANTIATE_UNARY
#undef TINYLM_INSTANTIATE_BINARY
#undef TINYLM_INSTANTIATE_TERNARY

}  // namespace tinylm::kernels::cuda
