// GELU, dropout's mask, AdamW, softmax and LayerNorm on a CUDA device
// (declared in nn.hpp). Per-element arithmetic: kernels/formulas.hpp and
// kernels/philox.hpp, shared with the CPU kernels.

#include "tinylm/kernels/cuda/launch.cuh"
#include "tinylm/kernels/cuda/nn.hpp"
#include "tinylm/kernels/formulas.hpp"
#include "tinylm/kernels/philox.hpp"

namespace tinylm::kernels::cuda {

namespace f = tinylm::kernels::formula;

namespace {

template <class T>
__global__ void gelu_kernel(T* out, const T* x, int64_t n, bool erf_form) {
  TINYLM_CUDA_FOR(i, n) out[i] = erf_form ? f::gelu_erf(x[i]) : f::gelu_tanh(x[i]);
}

template <class T>
__global__ void gelu_backward_kernel(T* dx, const T* dy, const T* x, int64_t n, bool erf_form) {
  TINYLM_CUDA_FOR(i, n) dx[i] = dy[i] * (erf_form ? f::gelu_erf_grad(x[i]) : f::gelu_tanh_grad(x[i]));
}

template <class T>
__global__ void dropout_kernel(T* mask, int64_t n, uint64_t key, uint64_t threshold, T scale) {
  TINYLM_CUDA_FOR(i, n) mask[i] = philox::dropout_element(static_cast<uint64_t>(i), key, threshold, scale);
}

template <class T>
__global__ void adam_kernel(T* p, const T* g, T* m, T* v, int64_t n, f::AdamStep<T> step) {
  TINYLM_CUDA_FOR(i, n) {
    T mi = m[i], vi = v[i];
    step.moments(p[i], g[i], mi, vi);
    m[i] = mi;
    v[i] = vi;
    p[i] = step.param(p[i], mi, sqrt(vi));
  }
}

/// Softmax over contiguous rows of n: one block per row.
template <class T>
__global__ void softmax_rows_kernel(T* out, const T* in, int64_t rows, int64_t n, bool log) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* x = in + r * n;
    T* y = out + r * n;
    T m = -INFINITY;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) m = x[j] > m ? x[j] : m;
    m = f::softmax_shift(detail::block_reduce(m, detail::Max{}));
    T s = 0;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) s += f::exp(x[j] - m);
    s = detail::block_reduce(s, detail::Sum{});
    if (log) {
      const T lse = m + ::log(s);
      for (int64_t j = threadIdx.x; j < n; j += blockDim.x) y[j] = x[j] - lse;
    } else {
      const T inv = T(1) / s;
      for (int64_t j = threadIdx.x; j < n; j += blockDim.x) y[j] = f::exp(x[j] - m) * inv;
    }
  }
}

/// Softmax over the middle axis of [outer, n, inner], inner > 1: one thread per (outer, inner) column.
template <class T>
__global__ void softmax_columns_kernel(T* out, const T* in, int64_t outer, int64_t n, int64_t inner, bool log) {
  TINYLM_CUDA_FOR(k, outer * inner) {
    const int64_t base = (k / inner) * n * inner + k % inner;
    const T* x = in + base;
    T* y = out + base;
    T m = -INFINITY;
    for (int64_t j = 0; j < n; ++j) m = x[j * inner] > m ? x[j * inner] : m;
    m = f::softmax_shift(m);
    T s = 0;
    for (int64_t j = 0; j < n; ++j) s += f::exp(x[j * inner] - m);
    if (log) {
      const T lse = m + ::log(s);
      for (int64_t j = 0; j < n; ++j) y[j * inner] = x[j * inner] - lse;
    } else {
      const T inv = T(1) / s;
      for (int64_t j = 0; j < n; ++j) y[j * inner] = f::exp(x[j * inner] - m) * inv;
    }
  }
}

/// dx_j = y_j (dy_j - sum_k dy_k y_k), or dy_j - exp(y_j) sum_k dy_k for log-softmax: one thread per column.
template <class T>
__global__ void softmax_backward_kernel(T* dx, const T* dy, const T* y, int64_t outer, int64_t n, int64_t inner,
                                        bool log) {
  TINYLM_CUDA_FOR(k, outer * inner) {
    const int64_t base = (k / inner) * n * inner + k % inner;
    T s = 0;
    for (int64_t j = 0; j < n; ++j) s += log ? dy[base + j * inner] : dy[base + j * inner] * y[base + j * inner];
    for (int64_t j = 0; j < n; ++j) {
      const int64_t o = base + j * inner;
      dx[o] = log ? dy[o] - f::exp(y[o]) * s : y[o] * (dy[o] - s);
    }
  }
}

/// One block per row: two-pass mean and variance, then the normalised, scaled row.
template <class T>
__global__ void layernorm_forward_kernel(T* out, T* mean, T* rstd, const T* x, const T* w, const T* b, int64_t N,
                                         int64_t C, T eps) {
  for (int64_t r = blockIdx.x; r < N; r += gridDim.x) {
    const T* xr = x + r * C;
    T* yr = out + r * C;
    T s = 0;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) s += xr[c];
    const T m = detail::block_reduce(s, detail::Sum{}) / static_cast<T>(C);
    T v = 0;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) v += (xr[c] - m) * (xr[c] - m);
    const T rs = f::layernorm_rstd(detail::block_reduce(v, detail::Sum{}) / static_cast<T>(C), eps);
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x)
      yr[c] = f::layernorm_xhat(xr[c], m, rs) * (w ? w[c] : T(1)) + (b ? b[c] : T(0));
    if (threadIdx.x == 0) {
      if (mean) mean[r] = m;
      if (rstd) rstd[r] = rs;
    }
  }
}

/// dx, one block per row.
template <class T>
__global__ void layernorm_dx_kernel(T* dx, const T* dy, const T* x, const T* mean, const T* rstd, const T* w, int64_t N,
                                    int64_t C) {
  for (int64_t r = blockIdx.x; r < N; r += gridDim.x) {
    const T* xr = x + r * C;
    const T* dyr = dy + r * C;
    const T m = mean[r], rs = rstd[r];
    T sg = 0, sgx = 0;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
      const T g = dyr[c] * (w ? w[c] : T(1));
      sg += g;
      sgx += g * f::layernorm_xhat(xr[c], m, rs);
    }
    sg = detail::block_reduce(sg, detail::Sum{}) / static_cast<T>(C);
    sgx = detail::block_reduce(sgx, detail::Sum{}) / static_cast<T>(C);
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
      const T g = dyr[c] * (w ? w[c] : T(1));
      dx[r * C + c] = f::layernorm_dx(g, f::layernorm_xhat(xr[c], m, rs), rs, sg, sgx);
    }
  }
}

/// dw and db: one thread per column, rows summed in order.
template <class T>
__global__ void layernorm_dwdb_kernel(T* dw, T* db, const T* dy, const T* x, const T* mean, const T* rstd, int64_t N,
                                      int64_t C) {
  TINYLM_CUDA_FOR(c, C) {
    T sw = 0, sb = 0;
    for (int64_t r = 0; r < N; ++r) {
      const T d = dy[r * C + c];
      sw += d * f::layernorm_xhat(x[r * C + c], mean[r], rstd[r]);
      sb += d;
    }
    if (dw) dw[c] = sw;
    if (db) db[c] = sb;
  }
}

template <class T>
__global__ void lstm_forward_kernel(T* h, T* c, T* act, const T* gates, const T* c_prev, int64_t B, int64_t H) {
  TINYLM_CUDA_FOR(e, B * H) {
    const int64_t b = e / H, j = e % H;
    const T* a = gates + b * 4 * H;
    T* s = act + b * 4 * H;
    const T i = f::sigmoid(a[j]), fg = f::sigmoid(a[H + j]), g = f::tanh(a[2 * H + j]), o = f::sigmoid(a[3 * H + j]);
    const T cj = fg * c_prev[e] + i * g;
    s[j] = i, s[H + j] = fg, s[2 * H + j] = g, s[3 * H + j] = o;
    c[e] = cj;
    h[e] = o * f::tanh(cj);
  }
}

template <class T>
__global__ void lstm_backward_kernel(T* dgates, T* dc_prev, const T* dh, const T* dc, const T* act, const T* c_prev,
                                     const T* c, int64_t B, int64_t H) {
  TINYLM_CUDA_FOR(e, B * H) {
    const int64_t b = e / H, j = e % H;
    const T* s = act + b * 4 * H;
    T* d = dgates + b * 4 * H;
    const T i = s[j], fg = s[H + j], g = s[2 * H + j], o = s[3 * H + j];
    const T tc = f::tanh(c[e]);
    const T dhj = dh ? dh[e] : T(0);
    const T dcj = (dc ? dc[e] : T(0)) + dhj * o * (T(1) - tc * tc);
    d[j] = dcj * g * i * (T(1) - i);
    d[H + j] = dcj * c_prev[e] * fg * (T(1) - fg);
    d[2 * H + j] = dcj * i * (T(1) - g * g);
    d[3 * H + j] = dhj * tc * o * (T(1) - o);
    dc_prev[e] = dcj * fg;
  }
}

}  // namespace

template <class T>
void gelu_tanh_forward(int device, T* out, const T* x, int64_t n) {
  if (n > 0) TINYLM_LAUNCH(gelu_kernel<T>, detail::blocks_for(n), out, x, n, false);
}
template <class T>
void gelu_tanh_backward(int device, T* dx, const T* dy, const T* x, int64_t n) {
  if (n > 0) TINYLM_LAUNCH(gelu_backward_kernel<T>, detail::blocks_for(n), dx, dy, x, n, false);
}
template <class T>
void gelu_erf_forward(int device, T* out, const T* x, int64_t n) {
  if (n > 0) TINYLM_LAUNCH(gelu_kernel<T>, detail::blocks_for(n), out, x, n, true);
}
template <class T>
void gelu_erf_backward(int device, T* dx, const T* dy, const T* x, int64_t n) {
  if (n > 0) TINYLM_LAUNCH(gelu_backward_kernel<T>, detail::blocks_for(n), dx, dy, x, n, true);
}

template <class T>
void dropout_mask(int device, T* mask, int64_t n, uint64_t key, uint64_t threshold, T scale) {
  if (n > 0) TINYLM_LAUNCH(dropout_kernel<T>, detail::blocks_for(n), mask, n, key, threshold, scale);
}

template <class T>
void adam_update(int device, T* p, const T* g, T* m, T* v, int64_t n, double lr, double beta1, double beta2, double eps,
                 double weight_decay, bool decoupled, int64_t step) {
  const auto s = f::AdamStep<T>::make(lr, beta1, beta2, eps, weight_decay, decoupled, step);
  if (n > 0) TINYLM_LAUNCH(adam_kernel<T>, detail::blocks_for(n), p, g, m, v, n, s);
}

template <class T>
void softmax_forward(int device, T* out, const T* in, int64_t outer, int64_t n, int64_t inner, bool log) {
  if (outer * n * inner == 0) return;
  if (inner == 1) TINYLM_LAUNCH(softmax_rows_kernel<T>, detail::row_blocks(outer), out, in, outer, n, log);
  else TINYLM_LAUNCH(softmax_columns_kernel<T>, detail::blocks_for(outer * inner), out, in, outer, n, inner, log);
}

template <class T>
void softmax_backward(int device, T* dx, const T* dy, const T* y, int64_t outer, int64_t n, int64_t inner, bool log) {
  if (outer * n * inner == 0) return;
  TINYLM_LAUNCH(softmax_backward_kernel<T>, detail::blocks_for(outer * inner), dx, dy, y, outer, n, inner, log);
}

template <class T>
void layernorm_forward(int device, T* out, T* mean, T* rstd, const T* x, const T* w, const T* b, int64_t N, int64_t C,
                       T eps) {
  if (N == 0) return;
  TINYLM_LAUNCH(layernorm_forward_kernel<T>, detail::row_blocks(N), out, mean, rstd, x, w, b, N, C, eps);
}

template <class T>
void layernorm_backward(int device, T* dx, T* dw, T* db, const T* dy, const T* x, const T* mean, const T* rstd,
                        const T* w, int64_t N, int64_t C) {
  if (C == 0) return;
  if (N > 0) TINYLM_LAUNCH(layernorm_dx_kernel<T>, detail::row_blocks(N), dx, dy, x, mean, rstd, w, N, C);
  if (dw || db) TINYLM_LAUNCH(layernorm_dwdb_kernel<T>, detail::blocks_for(C), dw, db, dy, x, mean, rstd, N, C);
}

template <class T>
void lstm_cell_forward(int device, T* h, T* c, T* act, const T* gates, const T* c_prev, int64_t B, int64_t H) {
  if (B * H > 0) TINYLM_LAUNCH(lstm_forward_kernel<T>, detail::blocks_for(B * H), h, c, act, gates, c_prev, B, H);
}

template <class T>
void lstm_cell_backward(int device, T* dgates, T* dc_prev, const T* dh, const T* dc, const T* act, const T* c_prev,
                        const T* c, int64_t B, int64_t H) {
  if (B * H > 0)
    TINYLM_LAUNCH(lstm_backward_kernel<T>, detail::blocks_for(B * H), dgates, dc_prev, dh, dc, act, c_prev, c, B, H);
}

#define TINYLM_INSTANTIATE(T)                                                                                     \
  template void gelu_tanh_forward<T>(int, T*, const T*, int64_t);                                                 \
  template void gelu_tanh_backward<T>(int, T*, const T*, const T*, int64_t);                                      \
  template void gelu_erf_forward<T>(int, T*, const T*, int64_t);                                                  \
  template void gelu_erf_backward<T>(int, T*, const T*, const T*, int64_t);                                       \
  template void dropout_mask<T>(int, T*, int64_t, uint64_t, uint64_t, T);                                         \
  template void adam_update<T>(int, T*, const T*, T*, T*, int64_t, double, double, double, double, double, bool,  \
                               int64_t);                                                                          \
  template void softmax_forward<T>(int, T*, const T*, int64_t, int64_t, int64_t, bool);                           \
  template void softmax_backward<T>(int, T*, const T*, const T*, int64_t, int64_t, int64_t, bool);                \
  template void layernorm_forward<T>(int, T*, T*, T*, const T*, const T*, const T*, int64_t, int64_t, T);         \
  template void layernorm_backward<T>(int, T*, T*, T*, const T*, const T*, const T*, const T*, const T*, int64_t, \
                                      int64_t);                                                                   \
  template void lstm_cell_forward<T>(int, T*, T*, T*, const T*, const T*, int64_t, int64_t);                      \
  template void lstm_cell_backward<T>(int, T*, T*, const T*, const T*, const T*, const T*, const T*, int64_t, int64_t);
TINYLM_INSTANTIATE(float)
TINYLM_INSTANTIATE(double)
#undef TINYLM_INSTANTIATE

}  // namespace tinylm::kernels::cuda
