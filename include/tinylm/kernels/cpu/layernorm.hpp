#pragma once
// LayerNorm over the last dimension of N rows of C values, fused (the
// per-element formulas: kernels/formulas.hpp).
//
// Forward, per row:   mean = sum(x) / C
//                     rstd = 1 / sqrt(sum((x - mean)^2) / C + eps)
//                     xhat = (x - mean) * rstd
//                     y    = xhat * w + b
// saves mean and rstd [N] for backward. Backward, with g = dy * w:
//
//   dx = rstd * (g - mean(g) - xhat * mean(g * xhat))
//   dw = sum over rows of dy * xhat,   db = sum over rows of dy
//
// The variance is computed from the mean in a second pass over the row
// (two-pass), which is as accurate as Welford's update for rows this short.
// w, b (and dw, db) may be null: no affine transform.

#include <cstdint>
#include <vector>

#include "tinylm/kernels/cpu/parallel.hpp"
#include "tinylm/kernels/formulas.hpp"

namespace tinylm::kernels::cpu {

template <class T>
void layernorm_forward(T* out, T* mean, T* rstd, const T* x, const T* w, const T* b, int64_t N, int64_t C, T eps) {
  parallel_for(N, C * 4, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* xr = x + r * C;
      T* yr = out + r * C;
      T s = T(0);
#pragma omp simd reduction(+ : s)
      for (int64_t c = 0; c < C; ++c) s += xr[c];
      const T m = s / static_cast<T>(C);
      T v = T(0);
#pragma omp simd reduction(+ : v)
      for (int64_t c = 0; c < C; ++c) v += (xr[c] - m) * (xr[c] - m);
      const T rs = formula::layernorm_rstd(v / static_cast<T>(C), eps);
      if (w && b) {
#pragma omp simd
        for (int64_t c = 0; c < C; ++c) yr[c] = formula::layernorm_xhat(xr[c], m, rs) * w[c] + b[c];
      } else {
        for (int64_t c = 0; c < C; ++c)
          yr[c] = formula::layernorm_xhat(xr[c], m, rs) * (w ? w[c] : T(1)) + (b ? b[c] : T(0));
      }
      if (mean) mean[r] = m;
      if (rstd) rstd[r] = rs;
    }
  });
}

/// dx is overwritten; dw and db are overwritten with this call's sums.
template <class T>
void layernorm_backward(T* dx, T* dw, T* db, const T* dy, const T* x, const T* mean, const T* rstd, const T* w,
                        int64_t N, int64_t C) {
  const int threads = num_threads();
  // Without a weight, g = dy: multiply by ones, so that the loops below
  // read w unconditionally (a load under "w ? w[c] : 1" keeps them scalar).
  std::vector<T> ones;
  if (!w) ones.assign(static_cast<std::size_t>(C), T(1));
  const T* wv = w ? w : ones.data();
  // Per-thread partial sums for dw and db, combined in thread order.
  std::vector<T> partial(static_cast<std::size_t>(2 * C * threads), T(0));
  int64_t chunk = N;
  int used = 1;
  {
    const int64_t want = std::min<int64_t>(threads, std::max<int64_t>(1, N * C * 6 / kParallelGrain));
    used = static_cast<int>(std::min<int64_t>(want, N));
    chunk = (N + used - 1) / used;
  }
  parallel_for(used, chunk * C * 6, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      T* pdw = partial.data() + 2 * C * t;
      T* pdb = pdw + C;
      for (int64_t r = t * chunk; r < std::min(N, (t + 1) * chunk); ++r) {
        const T* xr = x + r * C;
        const T* dyr = dy + r * C;
        T* dxr = dx + r * C;
        const T m = mean[r], rs = rstd[r];
        T sg = T(0), sgx = T(0);
#pragma omp simd reduction(+ : sg, sgx)
        for (int64_t c = 0; c < C; ++c) {
          const T xhat = formula::layernorm_xhat(xr[c], m, rs);
          const T g = dyr[c] * wv[c];
          sg += g;
          sgx += g * xhat;
        }
        sg /= static_cast<T>(C);
        sgx /= static_cast<T>(C);
#pragma omp simd
        for (int64_t c = 0; c < C; ++c) {
          const T xhat = formula::layernorm_xhat(xr[c], m, rs);
          const T g = dyr[c] * wv[c];
          dxr[c] = formula::layernorm_dx(g, xhat, rs, sg, sgx);
          pdw[c] += dyr[c] * xhat;
          pdb[c] += dyr[c];
        }
      }
    }
  });
  for (int64_t c = 0; c < C; ++c) {
    T sw = T(0), sb = T(0);
    for (int t = 0; t < used; ++t) {
      sw += partial[static_cast<std::size_t>(2 * C * t + c)];
      sb += partial[static_cast<std::size_t>(2 * C * t + C + c)];
    }
    if (dw) dw[c] = sw;
    if (db) db[c] = sb;
  }
}

}  // namespace tinylm::kernels::cpu
