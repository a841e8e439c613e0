#pragma once
// What every tinylm .cu file shares: the checked launch, the grid for n
// elements, and the strided-index arithmetic. nvcc only.

#include <cstdint>

#include "tinylm/core/cuda_allocator.hpp"
#include "tinylm/core/cuda_runtime.hpp"
#include "tinylm/core/shape.hpp"

namespace tinylm::kernels::cuda {
using tinylm::cuda::DeviceGuard;
using tinylm::cuda::stream;
}  // namespace tinylm::kernels::cuda

namespace tinylm::kernels::cuda::detail {

inline constexpr int kThreads = 256;

/// Blocks for n elements at kThreads per block, each thread striding over
/// the rest (grid-stride loops), at most 65535 * 16 blocks.
inline unsigned blocks_for(int64_t n) {
  const int64_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 1 ? 1 : (b > 65535 * 16 ? 65535 * 16 : b));
}

/// Checks the launch that just happened (a bad configuration shows here;
/// a fault in the kernel shows at the next synchronizing call).
#define TINYLM_CUDA_CHECK_LAUNCH() TINYLM_CUDA_CHECK(cudaGetLastError())

/// A shape and two stride sets passed to a kernel by value.
struct StridedPair {
  int ndim;
  int64_t shape[Shape::kMaxDims];
  int64_t a[Shape::kMaxDims];
  int64_t b[Shape::kMaxDims];

  /// The offsets into a and b of row-major element i.
  __device__ void offsets(int64_t i, int64_t& oa, int64_t& ob) const {
    oa = 0;
    ob = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t idx = i % shape[d];
      i /= shape[d];
      oa += idx * a[d];
      ob += idx * b[d];
    }
  }
};

/// A shape and three stride sets passed to a kernel by value.
struct StridedTriple {
  int ndim;
  int64_t shape[Shape::kMaxDims];
  int64_t a[Shape::kMaxDims];
  int64_t b[Shape::kMaxDims];
  int64_t c[Shape::kMaxDims];

  __device__ void offsets(int64_t i, int64_t& oa, int64_t& ob, int64_t& oc) const {
    oa = ob = oc = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t idx = i % shape[d];
      i /= shape[d];
      oa += idx * a[d];
      ob += idx * b[d];
      oc += idx * c[d];
    }
  }
};

inline StridedTriple strided_triple(const int64_t* shape, const int64_t* a, const int64_t* b, const int64_t* c,
                                    int ndim) {
  StridedTriple s{};
  s.ndim = ndim;
  for (int d = 0; d < ndim; ++d) s.shape[d] = shape[d], s.a[d] = a[d], s.b[d] = b[d], s.c[d] = c[d];
  return s;
}

inline StridedPair strided_pair(const int64_t* shape, const int64_t* a, const int64_t* b, int ndim) {
  StridedPair s{};
  s.ndim = ndim;
  for (int d = 0; d < ndim; ++d) s.shape[d] = shape[d], s.a[d] = a[d], s.b[d] = b[d];
  return s;
}

}  // namespace tinylm::kernels::cuda::detail

namespace tinylm::kernels::cuda::detail {

/// Grid-stride loop over [0, n).
#define TINYLM_CUDA_FOR(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

/// The reduction of v over the block's kThreads threads with `op`, returned
/// to every thread. A fixed tree in shared memory: the same inputs give the
/// same bits every run (no atomics). Every thread of the block must call it.
template <class T, class Op>
__device__ T block_reduce(T v, Op op) {
  __shared__ T buf[kThreads];
  buf[threadIdx.x] = v;
  __syncthreads();
  for (int width = kThreads / 2; width > 0; width /= 2) {
    if (threadIdx.x < width) buf[threadIdx.x] = op(buf[threadIdx.x], buf[threadIdx.x + width]);
    __syncthreads();
  }
  const T out = buf[0];
  __syncthreads();  // buf is reused by the next call
  return out;
}

struct Sum {
  template <class T>
  __device__ T operator()(T a, T b) const {
    return a + b;
  }
};
struct Max {
  template <class T>
  __device__ T operator()(T a, T b) const {
    return a > b ? a : b;
  }
};
struct Min {
  template <class T>
  __device__ T operator()(T a, T b) const {
    return a < b ? a : b;
  }
};

/// n elements of scratch on a device from the caching allocator, returned
/// to it at scope exit. Work on the device's one stream is ordered, so a
/// block handed back while a kernel still reads it is only reused by work
/// queued after that kernel.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer(int device, int64_t n)
      : device_(device),
        bytes_(static_cast<std::size_t>(n > 0 ? n : 1) * sizeof(T)),
        data_(static_cast<T*>(tinylm::cuda::CachingAllocator::instance().allocate(bytes_, device))) {}
  ~DeviceBuffer() { tinylm::cuda::CachingAllocator::instance().deallocate(data_, bytes_, device_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return data_; }

 private:
  int device_;
  std::size_t bytes_;
  T* data_;
};

/// Launches kernel<<<grid, kThreads>>> on `device`'s stream (the caller has
/// a variable `device`) and checks the launch.
#define TINYLM_LAUNCH(kernel, grid, ...)                                                                       \
  do {                                                                                                         \
    ::tinylm::kernels::cuda::DeviceGuard guard_(device);                                                       \
    kernel<<<(grid), ::tinylm::kernels::cuda::detail::kThreads, 0, ::tinylm::kernels::cuda::stream(device)>>>( \
        __VA_ARGS__);                                                                                          \
    TINYLM_CUDA_CHECK_LAUNCH();                                                                                \
  } while (0)

/// Blocks for one block per row, at most 65535 * 16.
inline unsigned row_blocks(int64_t rows) {
  return static_cast<unsigned>(rows < 65535 * 16 ? (rows < 1 ? 1 : rows) : 65535 * 16);
}

/// Sets n elements at p on `device` to zero bits, in the device's stream.
template <class T>
void zero(int device, T* p, int64_t n) {
  if (n <= 0) return;
  DeviceGuard guard(device);
  TINYLM_CUDA_CHECK(cudaMemsetAsync(p, 0, sizeof(T) * static_cast<std::size_t>(n), stream(device)));
}

/// X(T, I) for every index type I that index tensors come in (the types
/// the CPU kernels take): the one list each .cu instantiates its index
/// kernels over.
#define TINYLM_CUDA_INDEX_TYPES(X, T) X(T, int64_t) X(T, int32_t) X(T, int16_t) X(T, uint16_t) X(T, uint8_t)

}  // namespace tinylm::kernels::cuda::detail
