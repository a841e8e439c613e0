// gather, scatter, index_select and the triangular masks on a CUDA device
// (declared in index.hpp).

#include <cstdint>

#include "tinylm/kernels/cuda/index.hpp"
#include "tinylm/kernels/cuda/launch.cuh"

namespace tinylm::kernels::cuda {

namespace {

template <class T, class I>
__global__ void gather_kernel(T* out, const T* x, const I* index, int64_t n, int64_t m, int64_t inner, int64_t total) {
  TINYLM_CUDA_FOR(e, total) {  // e = (o * m + j) * inner + i
    const int64_t i = e % inner, o = e / (m * inner);
    out[e] = x[(o * n + static_cast<int64_t>(index[e])) * inner + i];
  }
}

/// One thread per (o, i) column: the column's writes in order of j.
template <class T, class I>
__global__ void scatter_kernel(T* out, const T* src, const I* index, int64_t outer, int64_t n, int64_t m, int64_t inner,
                               bool add) {
  TINYLM_CUDA_FOR(col, outer * inner) {
    const int64_t o = col / inner, i = col % inner;
    for (int64_t j = 0; j < m; ++j) {
      const int64_t r = (o * m + j) * inner + i;
      T& dst = out[(o * n + static_cast<int64_t>(index[r])) * inner + i];
      dst = add ? dst + src[r] : src[r];
    }
  }
}

template <class T, class I>
__global__ void index_select_kernel(T* out, const T* x, const I* index, int64_t n, int64_t m, int64_t inner,
                                    int64_t total) {
  TINYLM_CUDA_FOR(e, total) {  // e = (o * m + j) * inner + i
    const int64_t i = e % inner, j = (e / inner) % m, o = e / (m * inner);
    out[e] = x[(o * n + static_cast<int64_t>(index[j])) * inner + i];
  }
}

template <class T, class I>
__global__ void index_select_backward_kernel(T* dx, const T* dout, const I* index, int64_t outer, int64_t n, int64_t m,
                                             int64_t inner) {
  TINYLM_CUDA_FOR(col, outer * inner) {
    const int64_t o = col / inner, i = col % inner;
    for (int64_t j = 0; j < m; ++j)
      dx[(o * n + static_cast<int64_t>(index[j])) * inner + i] += dout[(o * m + j) * inner + i];
  }
}

template <class T>
__global__ void tril_kernel(T* out, const T* x, int64_t R, int64_t C, int64_t k, int64_t total) {
  TINYLM_CUDA_FOR(e, total) {
    const int64_t j = e % C, i = (e / C) % R;
    out[e] = j - i <= k ? x[e] : T(0);
  }
}

__global__ void causal_mask_kernel(bool* m, int64_t Tq, int64_t Tk) {
  TINYLM_CUDA_FOR(e, Tq * Tk) m[e] = e % Tk > Tk - Tq + e / Tk;
}

}  // namespace

template <class T, class I>
void gather_forward(int device, T* out, const T* x, const I* index, int64_t outer, int64_t n, int64_t m,
                    int64_t inner) {
  const int64_t total = outer * m * inner;
  if (total > 0) TINYLM_LAUNCH((gather_kernel<T, I>), detail::blocks_for(total), out, x, index, n, m, inner, total);
}

template <class T, class I>
void gather_backward(int device, T* dx, const T* dout, const I* index, int64_t outer, int64_t n, int64_t m,
                     int64_t inner) {
  if (outer * n * inner == 0) return;
  detail::zero(device, dx, outer * n * inner);
  if (m > 0)
    TINYLM_LAUNCH((scatter_kernel<T, I>), detail::blocks_for(outer * inner), dx, dout, index, outer, n, m, inner, true);
}

template <class T, class I>
void scatter(int device, T* out, const T* src, const I* index, int64_t outer, int64_t n, int64_t m, int64_t inner,
             bool add) {
  if (outer * m * inner > 0)
    TINYLM_LAUNCH((scatter_kernel<T, I>), detail::blocks_for(outer * inner), out, src, index, outer, n, m, inner, add);
}

template <class T, class I>
void index_select_forward(int device, T* out, const T* x, const I* index, int64_t outer, int64_t n, int64_t m,
                          int64_t inner) {
  const int64_t total = outer * m * inner;
  if (total > 0)
    TINYLM_LAUNCH((index_select_kernel<T, I>), detail::blocks_for(total), out, x, index, n, m, inner, total);
}

template <class T, class I>
void index_select_backward(int device, T* dx, const T* dout, const I* index, int64_t outer, int64_t n, int64_t m,
                           int64_t inner) {
  if (outer * n * inner == 0) return;
  detail::zero(device, dx, outer * n * inner);
  if (m > 0)
    TINYLM_LAUNCH((index_select_backward_kernel<T, I>), detail::blocks_for(outer * inner), dx, dout, index, outer, n, m,
                  inner);
}

template <class T>
void tril(int device, T* out, const T* x, int64_t batch, int64_t R, int64_t C, int64_t k) {
  const int64_t total = batch * R * C;
  if (total > 0) TINYLM_LAUNCH(tril_kernel<T>, detail::blocks_for(total), out, x, R, C, k, total);
}

void causal_mask(int device, bool* m, int64_t Tq, int64_t Tk) {
  if (Tq * Tk > 0) TINYLM_LAUNCH(causal_mask_kernel, detail::blocks_for(Tq * Tk), m, Tq, Tk);
}

#define TINYLM_INSTANTIATE(T, I)                                                                             \
  template void gather_forward<T, I>(int, T*, const T*, const I*, int64_t, int64_t, int64_t, int64_t);       \
  template void gather_backward<T, I>(int, T*, const T*, const I*, int64_t, int64_t, int64_t, int64_t);      \
  template void scatter<T, I>(int, T*, const T*, const I*, int64_t, int64_t, int64_t, int64_t, bool);        \
  template void index_select_forward<T, I>(int, T*, const T*, const I*, int64_t, int64_t, int64_t, int64_t); \
  template void index_select_backward<T, I>(int, T*, const T*, const I*, int64_t, int64_t, int64_t, int64_t);
TINYLM_CUDA_INDEX_TYPES(TINYLM_INSTANTIATE, float)
TINYLM_CUDA_INDEX_TYPES(TINYLM_INSTANTIATE, double)
#undef TINYLM_INSTANTIATE

template void tril<float>(int, float*, const float*, int64_t, int64_t, int64_t, int64_t);
template void tril<double>(int, double*, const double*, int64_t, int64_t, int64_t, int64_t);

}  // namespace tinylm::kernels::cuda
