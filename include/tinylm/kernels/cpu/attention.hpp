#pragma once
// Fused scaled dot-product attention, forward and backward, one head at a
// time, one query row at a time: the Tq x Tk score matrix is never stored,
// only one row of it (Tk numbers) per thread.
//
// Per head, queries q_i (Tq of them), keys k_j and values v_j (Tk of them),
// all of size HS; with a causal mask, query i sees keys j <= Tk - Tq + i.
//
//   s_ij = scale * q_i . k_j            scores, one row at a time
//   p_ij = exp(s_ij - L_i)              L_i = m_i + log sum_j exp(s_ij - m_i),  m_i = max_j s_ij
//   o_i  = sum_j p_ij v_j               output
//
// Forward saves only L (Tq numbers per head) for backward, which recomputes
// the row of p from q, k and L:
//
//   D_i   = do_i . o_i                  (= sum_j p_ij dp_ij)
//   dv_j += p_ij do_i
//   dp_ij = do_i . v_j
//   ds_ij = p_ij (dp_ij - D_i)          the softmax Jacobian-vector product
//   dq_i  = scale * sum_j ds_ij k_j
//   dk_j += scale * ds_ij q_i
//
// Each head's K and V are first transposed into [HS, Tk] scratch so that
// every inner loop runs over keys j with unit stride and vectorizes; dK and
// dV are accumulated transposed the same way. Heads are independent, so
// threads split the B*NH heads: no races, no atomics.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "tinylm/kernels/cpu/math.hpp"
#include "tinylm/kernels/cpu/parallel.hpp"

namespace tinylm::kernels::cpu {

namespace detail {

/// dst [cols, rows] = src [rows, cols]^T
template <class T>
void transpose_into(T* dst, const T* src, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) dst[c * rows + r] = src[r * cols + c];
}

/// s[0..n) = scale * sum_c q[c] * kt[c][0..n), kt rows of stride ld.
template <class T>
void scores_row(T* s, const T* q, const T* kt, int64_t n, int64_t HS, int64_t ld, T scale) {
  std::fill(s, s + n, T(0));
  for (int64_t c = 0; c < HS; ++c) {
    const T qc = q[c];
    const T* row = kt + c * ld;
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) s[j] += qc * row[j];
  }
#pragma omp simd
  for (int64_t j = 0; j < n; ++j) s[j] *= scale;
}

}  // namespace detail

/// q, out [BH, Tq, HS]; k, v [BH, Tk, HS]; lse [BH, Tq]. All contiguous.
template <class T>
void attention_forward(T* out, T* lse, const T* q, const T* k, const T* v, int64_t BH, int64_t Tq, int64_t Tk,
                       int64_t HS, T scale, bool causal) {
  parallel_for(BH, Tq * Tk * HS, [&](int64_t h0, int64_t h1) {
    std::vector<T> kt(static_cast<std::size_t>(HS * Tk)), vt(kt.size()), s(static_cast<std::size_t>(Tk));
    for (int64_t h = h0; h < h1; ++h) {
      detail::transpose_into(kt.data(), k + h * Tk * HS, Tk, HS);
      detail::transpose_into(vt.data(), v + h * Tk * HS, Tk, HS);
      for (int64_t i = 0; i < Tq; ++i) {
        const int64_t n = causal ? Tk - Tq + i + 1 : Tk;
        T* oi = out + (h * Tq + i) * HS;
        if (n <= 0) {
          std::fill(oi, oi + HS, T(0));
          lse[h * Tq + i] = -std::numeric_limits<T>::infinity();
          continue;
        }
        detail::scores_row(s.data(), q + (h * Tq + i) * HS, kt.data(), n, HS, Tk, scale);
        T m = s[0];
        for (int64_t j = 1; j < n; ++j) m = std::max(m, s[static_cast<std::size_t>(j)]);
        T l = T(0);
#pragma omp simd reduction(+ : l)
        for (int64_t j = 0; j < n; ++j) {
          s[j] = vexp(s[j] - m);
          l += s[j];
        }
        const T inv = T(1) / l;
        for (int64_t c = 0; c < HS; ++c) {
          const T* row = vt.data() + c * Tk;
          T acc = T(0);
#pragma omp simd reduction(+ : acc)
          for (int64_t j = 0; j < n; ++j) acc += s[j] * row[j];
          oi[c] = acc * inv;
        }
        lse[h * Tq + i] = m + std::log(l);
      }
    }
  });
}

/// Overwrites dq [BH, Tq, HS], dk and dv [BH, Tk, HS].
template <class T>
void attention_backward(T* dq, T* dk, T* dv, const T* dout, const T* q, const T* k, const T* v, const T* out,
                        const T* lse, int64_t BH, int64_t Tq, int64_t Tk, int64_t HS, T scale, bool causal) {
  parallel_for(BH, 2 * Tq * Tk * HS, [&](int64_t h0, int64_t h1) {
    const auto mat = static_cast<std::size_t>(HS * Tk);
    std::vector<T> kt(mat), vt(mat), dkt(mat), dvt(mat), p(static_cast<std::size_t>(Tk)), ds(p.size());
    for (int64_t h = h0; h < h1; ++h) {
      detail::transpose_into(kt.data(), k + h * Tk * HS, Tk, HS);
      detail::transpose_into(vt.data(), v + h * Tk * HS, Tk, HS);
      std::fill(dkt.begin(), dkt.end(), T(0));
      std::fill(dvt.begin(), dvt.end(), T(0));
      for (int64_t i = 0; i < Tq; ++i) {
        const T* qi = q + (h * Tq + i) * HS;
        const T* doi = dout + (h * Tq + i) * HS;
        const T* oi = out + (h * Tq + i) * HS;
        T* dqi = dq + (h * Tq + i) * HS;
        const int64_t n = causal ? Tk - Tq + i + 1 : Tk;
        if (n <= 0) {
          std::fill(dqi, dqi + HS, T(0));
          continue;
        }
        const T L = lse[h * Tq + i];
        T D = T(0);
        for (int64_t c = 0; c < HS; ++c) D += doi[c] * oi[c];
        detail::scores_row(p.data(), qi, kt.data(), n, HS, Tk, scale);
#pragma omp simd
        for (int64_t j = 0; j < n; ++j) p[j] = vexp(p[j] - L);
        // dp_j = do_i . v_j, accumulated over c with unit stride in j
        std::fill(ds.begin(), ds.begin() + n, T(0));
        for (int64_t c = 0; c < HS; ++c) {
          const T dc = doi[c];
          const T* row = vt.data() + c * Tk;
          T* dvrow = dvt.data() + c * Tk;
#pragma omp simd
          for (int64_t j = 0; j < n; ++j) {
            ds[j] += dc * row[j];
            dvrow[j] += dc * p[j];
          }
        }
#pragma omp simd
        for (int64_t j = 0; j < n; ++j) ds[j] = p[j] * (ds[j] - D) * scale;
        for (int64_t c = 0; c < HS; ++c) {
          const T qc = qi[c];
          const T* krow = kt.data() + c * Tk;
          T* dkrow = dkt.data() + c * Tk;
          T acc = T(0);
#pragma omp simd reduction(+ : acc)
          for (int64_t j = 0; j < n; ++j) {
            acc += ds[j] * krow[j];
            dkrow[j] += qc * ds[j];
          }
          dqi[c] = acc;
        }
      }
      detail::transpose_into(dk + h * Tk * HS, dkt.data(), HS, Tk);
      detail::transpose_into(dv + h * Tk * HS, dvt.data(), HS, Tk);
    }
  });
}

}  // namespace tinylm::kernels::cpu
