// Reductions and index checks on a CUDA device (declared in reduce.hpp).

#include <cstdint>
#include <limits>

#include "tinylm/kernels/cuda/launch.cuh"
#include "tinylm/kernels/cuda/reduce.hpp"
#include "tinylm/kernels/formulas.hpp"

namespace tinylm::kernels::cuda {

namespace {

/// inner == 1: one block per row of n, a fixed tree over its threads' strided partial sums.
template <class T>
__global__ void sum_rows_kernel(T* out, const T* in, int64_t rows, int64_t n) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    T s = 0;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) s += in[r * n + j];
    s = detail::block_reduce(s, detail::Sum{});
    if (threadIdx.x == 0) out[r] = s;
  }
}

/// inner > 1: one thread per (outer, inner) column, summing its n values in order
/// (neighbouring threads read neighbouring addresses).
template <class T>
__global__ void sum_columns_kernel(T* out, const T* in, int64_t outer, int64_t n, int64_t inner) {
  TINYLM_CUDA_FOR(k, outer * inner) {
    const T* src = in + (k / inner) * n * inner + k % inner;
    T s = 0;
    for (int64_t j = 0; j < n; ++j) s += src[j * inner];
    out[k] = s;
  }
}

template <class T, class I>
__global__ void max_axis_kernel(T* out, I* arg, const T* in, int64_t outer, int64_t n, int64_t inner) {
  TINYLM_CUDA_FOR(k, outer * inner) {
    T best;
    const int64_t best_j = formula::argmax_strided(in + (k / inner) * n * inner + k % inner, n, inner, best);
    out[k] = best;
    if (arg) arg[k] = static_cast<I>(best_j);
  }
}

template <class T, class I>
__global__ void max_axis_backward_kernel(T* dx, const T* dout, const I* arg, int64_t outer, int64_t n, int64_t inner) {
  TINYLM_CUDA_FOR(e, outer * n * inner) {
    const int64_t i = e % inner, j = (e / inner) % n, o = e / (n * inner);
    dx[e] = static_cast<int64_t>(arg[o * inner + i]) == j ? dout[o * inner + i] : T(0);
  }
}

/// The grid of the two-stage reductions: a function of n alone, so the
/// partial sums, and the bits of the result, do not depend on the device.
constexpr unsigned kMaxPartials = 1024;
unsigned partial_blocks(int64_t n) {
  const unsigned b = detail::blocks_for(n);
  return b < kMaxPartials ? b : kMaxPartials;
}

template <class T>
__global__ void sum_squares_partial_kernel(double* partial, const T* x, int64_t n) {
  double s = 0;
  TINYLM_CUDA_FOR(i, n) s += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  s = detail::block_reduce(s, detail::Sum{});
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

/// One block: out[0] = op over partial[0, m).
template <class T, class Op>
__global__ void finish_kernel(T* out, const T* partial, unsigned m, T identity, Op op) {
  T s = identity;
  for (unsigned i = threadIdx.x; i < m; i += blockDim.x) s = op(s, partial[i]);
  s = detail::block_reduce(s, op);
  if (threadIdx.x == 0) out[0] = s;
}

constexpr int64_t kNone = std::numeric_limits<int64_t>::max();

/// Per block: the smallest i in the block's grid-stride share with bad(x[i]), or kNone.
template <class T, class Bad>
__global__ void first_partial_kernel(int64_t* partial, const T* x, int64_t n, Bad bad) {
  int64_t first = kNone;
  TINYLM_CUDA_FOR(i, n) {
    if (bad(x[i])) {
      first = i;
      break;  // later i of this thread are larger
    }
  }
  first = detail::block_reduce(first, detail::Min{});
  if (threadIdx.x == 0) partial[blockIdx.x] = first;
}

struct NonFinite {
  template <class T>
  __device__ bool operator()(T v) const {
    return !isfinite(static_cast<double>(v));
  }
};

struct OutOfRange {
  int64_t limit;
  bool has_allowed;
  int64_t allowed;
  template <class I>
  __device__ bool operator()(I i) const {
    const int64_t v = static_cast<int64_t>(i);
    return (v < 0 || v >= limit) && !(has_allowed && v == allowed);
  }
};

template <class T, class Bad>
int64_t first_where(int device, const T* x, int64_t n, Bad bad) {
  if (n <= 0) return -1;
  const unsigned blocks = partial_blocks(n);
  detail::DeviceBuffer<int64_t> partial(device, blocks + 1);
  TINYLM_LAUNCH(first_partial_kernel, blocks, partial.get(), x, n, bad);
  TINYLM_LAUNCH(finish_kernel, 1, partial.get() + blocks, partial.get(), blocks, kNone, detail::Min{});
  int64_t first = kNone;
  tinylm::cuda::copy(&first, Device::cpu(), partial.get() + blocks, Device::cuda(device), sizeof first);
  return first == kNone ? -1 : first;
}

}  // namespace

template <class T>
void sum_axis(int device, T* out, const T* in, int64_t outer, int64_t n, int64_t inner) {
  if (outer * inner == 0) return;
  if (inner == 1) TINYLM_LAUNCH(sum_rows_kernel<T>, detail::row_blocks(outer), out, in, outer, n);
  else TINYLM_LAUNCH(sum_columns_kernel<T>, detail::blocks_for(outer * inner), out, in, outer, n, inner);
}

template <class T, class I>
void max_axis(int device, T* out, I* arg, const T* in, int64_t outer, int64_t n, int64_t inner) {
  if (outer * inner == 0 || n == 0) return;
  TINYLM_LAUNCH((max_axis_kernel<T, I>), detail::blocks_for(outer * inner), out, arg, in, outer, n, inner);
}

template <class T, class I>
void max_axis_backward(int device, T* dx, const T* dout, const I* arg, int64_t outer, int64_t n, int64_t inner) {
  const int64_t total = outer * n * inner;
  if (total == 0) return;
  TINYLM_LAUNCH((max_axis_backward_kernel<T, I>), detail::blocks_for(total), dx, dout, arg, outer, n, inner);
}

template <class T>
double sum_squares(int device, const T* x, int64_t n) {
  if (n <= 0) return 0.0;
  const unsigned blocks = partial_blocks(n);
  detail::DeviceBuffer<double> partial(device, blocks + 1);
  TINYLM_LAUNCH(sum_squares_partial_kernel<T>, blocks, partial.get(), x, n);
  TINYLM_LAUNCH(finish_kernel, 1, partial.get() + blocks, partial.get(), blocks, 0.0, detail::Sum{});
  double total = 0;
  tinylm::cuda::copy(&total, Device::cpu(), partial.get() + blocks, Device::cuda(device), sizeof total);
  return total;
}

template <class T>
int64_t first_non_finite(int device, const T* x, int64_t n) {
  return first_where(device, x, n, NonFinite{});
}

template <class I>
int64_t find_invalid_index(int device, const I* index, int64_t n, int64_t limit, bool has_allowed, int64_t allowed) {
  return first_where(device, index, n, OutOfRange{limit, has_allowed, allowed});
}

#define TINYLM_INSTANTIATE(T)                                                                                \
  template void sum_axis<T>(int, T*, const T*, int64_t, int64_t, int64_t);                                   \
  template void max_axis<T, int64_t>(int, T*, int64_t*, const T*, int64_t, int64_t, int64_t);                \
  template void max_axis_backward<T, int64_t>(int, T*, const T*, const int64_t*, int64_t, int64_t, int64_t); \
  template double sum_squares<T>(int, const T*, int64_t);                                                    \
  template int64_t first_non_finite<T>(int, const T*, int64_t);
TINYLM_INSTANTIATE(float)
TINYLM_INSTANTIATE(double)
#undef TINYLM_INSTANTIATE

#define TINYLM_INSTANTIATE(unused, I) \
  template int64_t find_invalid_index<I>(int, const I*, int64_t, int64_t, bool, int64_t);
TINYLM_CUDA_INDEX_TYPES(TINYLM_INSTANTIATE, void)
#undef TINYLM_INSTANTIATE

}  // namespace tinylm::kernels::cuda
