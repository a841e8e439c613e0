// Embedding and cross-entropy on a CUDA device (declared in lm.hpp).

#include <cstdint>
#include <cub/device/device_radix_sort.cuh>
#include <utility>

#include "tinylm/kernels/cuda/launch.cuh"
#include "tinylm/kernels/cuda/lm.hpp"
#include "tinylm/kernels/formulas.hpp"

namespace tinylm::kernels::cuda {

namespace f = tinylm::kernels::formula;

namespace {

template <class T, class I>
__global__ void embedding_forward_kernel(T* out, const T* weight, const I* idx, int64_t N, int64_t C) {
  TINYLM_CUDA_FOR(e, N * C) out[e] = weight[static_cast<int64_t>(idx[e / C]) * C + e % C];
}

__global__ void iota_kernel(int64_t* out, int64_t n) { TINYLM_CUDA_FOR(i, n) out[i] = i; }

/// keys/pos: the indices sorted, and their positions. The thread of a
/// segment's first sorted slot walks that segment for its column.
template <class T, class I>
__global__ void embedding_backward_kernel(T* dweight, const T* dout, const I* keys, const int64_t* pos, int64_t N,
                                          int64_t C) {
  TINYLM_CUDA_FOR(e, N * C) {
    const int64_t s = e / C, c = e % C;
    if (s > 0 && keys[s - 1] == keys[s]) continue;
    T* dst = dweight + static_cast<int64_t>(keys[s]) * C + c;
    T acc = *dst;
    for (int64_t t = s; t < N && keys[t] == keys[s]; ++t) acc += dout[pos[t] * C + c];
    *dst = acc;
  }
}

/// One block per row: lse and the row's loss.
template <class T, class I>
__global__ void cross_entropy_rows_kernel(T* loss, T* lse, const T* x, const I* targets, int64_t N, int64_t V,
                                          int64_t ignore_index, T label_smoothing) {
  for (int64_t r = blockIdx.x; r < N; r += gridDim.x) {
    const T* xr = x + r * V;
    T m = -INFINITY;
    for (int64_t j = threadIdx.x; j < V; j += blockDim.x) m = xr[j] > m ? xr[j] : m;
    m = detail::block_reduce(m, detail::Max{});
    T s = 0, sx = 0;
    for (int64_t j = threadIdx.x; j < V; j += blockDim.x) {
      s += f::exp(xr[j] - m);
      sx += xr[j];
    }
    s = detail::block_reduce(s, detail::Sum{});
    if (label_smoothing != T(0)) sx = detail::block_reduce(sx, detail::Sum{});
    if (threadIdx.x == 0) {
      const T l = m + ::log(s);
      lse[r] = l;
      const int64_t t = static_cast<int64_t>(targets[r]);
      if (t == ignore_index) {
        loss[r] = T(0);
      } else {
        T v = l - (T(1) - label_smoothing) * xr[t];
        if (label_smoothing != T(0)) v -= label_smoothing / static_cast<T>(V) * sx;
        loss[r] = v;
      }
    }
  }
}

/// One block: the sum of the kept rows' losses (a fixed tree) and their count.
template <class T, class I>
__global__ void cross_entropy_total_kernel(T* total, int64_t* count, const T* loss, const I* targets, int64_t N,
                                           int64_t ignore_index) {
  T s = 0;
  int64_t k = 0;
  for (int64_t r = threadIdx.x; r < N; r += blockDim.x)
    if (static_cast<int64_t>(targets[r]) != ignore_index) {
      s += loss[r];
      ++k;
    }
  s = detail::block_reduce(s, detail::Sum{});
  k = detail::block_reduce(k, detail::Sum{});
  if (threadIdx.x == 0) {
    *total = s;
    *count = k;
  }
}

template <class T, class I>
__global__ void cross_entropy_backward_kernel(T* dx, const T* x, const T* lse, const I* targets, int64_t N, int64_t V,
                                              int64_t ignore_index, T scale, T label_smoothing) {
  const T uniform = scale * label_smoothing / static_cast<T>(V);
  TINYLM_CUDA_FOR(e, N * V) {
    const int64_t r = e / V, j = e % V;
    const int64_t t = static_cast<int64_t>(targets[r]);
    if (t == ignore_index) {
      dx[e] = T(0);
      continue;
    }
    T d = scale * f::exp(x[e] - lse[r]) - uniform;
    if (j == t) d -= scale * (T(1) - label_smoothing);
    dx[e] = d;
  }
}

}  // namespace

template <class T, class I>
void embedding_forward(int device, T* out, const T* weight, const I* idx, int64_t N, int64_t C) {
  if (N * C > 0) TINYLM_LAUNCH((embedding_forward_kernel<T, I>), detail::blocks_for(N * C), out, weight, idx, N, C);
}

template <class T, class I>
void embedding_backward(int device, T* dweight, const T* dout, const I* idx, int64_t N, int64_t C) {
  if (N * C == 0) return;
  detail::DeviceBuffer<I> keys(device, N);
  detail::DeviceBuffer<int64_t> pos_in(device, N), pos(device, N);
  TINYLM_LAUNCH(iota_kernel, detail::blocks_for(N), pos_in.get(), N);
  DeviceGuard guard(device);
  std::size_t scratch_bytes = 0;
  TINYLM_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, scratch_bytes, idx, keys.get(), pos_in.get(), pos.get(), N,
                                                    0, int(sizeof(I) * 8), stream(device)));
  detail::DeviceBuffer<unsigned char> scratch(device, static_cast<int64_t>(scratch_bytes));
  TINYLM_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(scratch.get(), scratch_bytes, idx, keys.get(), pos_in.get(),
                                                    pos.get(), N, 0, int(sizeof(I) * 8), stream(device)));
  TINYLM_LAUNCH((embedding_backward_kernel<T, I>), detail::blocks_for(N * C), dweight, dout, keys.get(), pos.get(), N,
                C);
}

template <class T, class I>
std::pair<T, int64_t> cross_entropy_forward(int device, T* loss, T* lse, const T* x, const I* targets, int64_t N,
                                            int64_t V, int64_t ignore_index, T label_smoothing) {
  if (N == 0) return {T(0), 0};
  TINYLM_LAUNCH((cross_entropy_rows_kernel<T, I>), detail::row_blocks(N), loss, lse, x, targets, N, V, ignore_index,
                label_smoothing);
  detail::DeviceBuffer<T> total(device, 1);
  detail::DeviceBuffer<int64_t> count(device, 1);
  TINYLM_LAUNCH((cross_entropy_total_kernel<T, I>), 1, total.get(), count.get(), loss, targets, N, ignore_index);
  std::pair<T, int64_t> out{};
  tinylm::cuda::copy(&out.first, Device::cpu(), total.get(), Device::cuda(device), sizeof(T));
  tinylm::cuda::copy(&out.second, Device::cpu(), count.get(), Device::cuda(device), sizeof(int64_t));
  return out;
}

template <class T, class I>
void cross_entropy_backward(int device, T* dx, const T* x, const T* lse, const I* targets, int64_t N, int64_t V,
                            int64_t ignore_index, T scale, T label_smoothing) {
  if (N * V > 0)
    TINYLM_LAUNCH((cross_entropy_backward_kernel<T, I>), detail::blocks_for(N * V), dx, x, lse, targets, N, V,
                  ignore_index, scale, label_smoothing);
}

#define TINYLM_INSTANTIATE(T, I)                                                                                \
  template void embedding_forward<T, I>(int, T*, const T*, const I*, int64_t, int64_t);                         \
  template void embedding_backward<T, I>(int, T*, const T*, const I*, int64_t, int64_t);                        \
  template std::pair<T, int64_t> cross_entropy_forward<T, I>(int, T*, T*, const T*, const I*, int64_t, int64_t, \
                                                             int64_t, T);                                       \
  template void cross_entropy_backward<T, I>(int, T*, const T*, const T*, const I*, int64_t, int64_t, int64_t, T, T);
TINYLM_CUDA_INDEX_TYPES(TINYLM_INSTANTIATE, float)
TINYLM_CUDA_INDEX_TYPES(TINYLM_INSTANTIATE, double)
#undef TINYLM_INSTANTIATE

}  // namespace tinylm::kernels::cuda
