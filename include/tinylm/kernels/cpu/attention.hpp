#pragma once
// Fused scaled dot-product attention, forward and backward, one head at a
// time, without ever forming the Tq x Tk score matrix.
//
// Per head, queries q_i (Tq of them), keys k_j and values v_j (Tk of them),
// all of size HS; with a causal mask, query i sees keys j <= Tk - Tq + i.
//
//   s_ij = scale * q_i . k_j            scores
//   p_ij = exp(s_ij - L_i)              probabilities, L_i = log sum_j exp(s_ij)
//   o_i  = sum_j p_ij v_j               output
//
// Forward streams over keys in tiles of 64 with an online softmax: keep the
// running max m and sum l; when a tile raises the max to m', rescale the
// partial output and sum by exp(m - m'). It saves only L (Tq numbers per
// head) for backward. Backward recomputes p_ij from q, k and L:
//
//   D_i   = do_i . o_i                  (= sum_j p_ij dp_ij)
//   dv_j += p_ij do_i
//   dp_ij = do_i . v_j
//   ds_ij = p_ij (dp_ij - D_i)          the softmax Jacobian-vector product
//   dq_i += scale * ds_ij k_j
//   dk_j += scale * ds_ij q_i
//
// Heads are independent, so threads split the B*NH heads: no races, no atomics.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "tinylm/kernels/cpu/parallel.hpp"

namespace tinylm::kernels::cpu {

namespace detail {

template <class T>
T dot(const T* a, const T* b, int64_t n) {
  T s = T(0);
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

template <class T>
void axpy(T* y, T a, const T* x, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

inline constexpr int64_t kAttentionTile = 64;

}  // namespace detail

/// q, out [BH, Tq, HS]; k, v [BH, Tk, HS]; lse [BH, Tq]. All contiguous.
template <class T>
void attention_forward(T* out, T* lse, const T* q, const T* k, const T* v, int64_t BH, int64_t Tq, int64_t Tk,
                       int64_t HS, T scale, bool causal) {
  parallel_for(BH, Tq * Tk * HS, [&](int64_t h0, int64_t h1) {
    T s[detail::kAttentionTile];
    for (int64_t h = h0; h < h1; ++h) {
      const T* qh = q + h * Tq * HS;
      const T* kh = k + h * Tk * HS;
      const T* vh = v + h * Tk * HS;
      for (int64_t i = 0; i < Tq; ++i) {
        const T* qi = qh + i * HS;
        T* oi = out + (h * Tq + i) * HS;
        std::fill(oi, oi + HS, T(0));
        const int64_t jend = causal ? Tk - Tq + i + 1 : Tk;
        T m = -std::numeric_limits<T>::infinity(), l = T(0);
        for (int64_t j0 = 0; j0 < jend; j0 += detail::kAttentionTile) {
          const int64_t n = std::min(detail::kAttentionTile, jend - j0);
          T tile_max = -std::numeric_limits<T>::infinity();
          for (int64_t t = 0; t < n; ++t) {
            s[t] = scale * detail::dot(qi, kh + (j0 + t) * HS, HS);
            tile_max = std::max(tile_max, s[t]);
          }
          const T m_new = std::max(m, tile_max);
          const T correction = std::exp(m - m_new);  // 0 on the first tile
          l *= correction;
          for (int64_t c = 0; c < HS; ++c) oi[c] *= correction;
          for (int64_t t = 0; t < n; ++t) {
            const T p = std::exp(s[t] - m_new);
            l += p;
            detail::axpy(oi, p, vh + (j0 + t) * HS, HS);
          }
          m = m_new;
        }
        const T inv = l > T(0) ? T(1) / l : T(0);
        for (int64_t c = 0; c < HS; ++c) oi[c] *= inv;
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
    for (int64_t h = h0; h < h1; ++h) {
      const T* qh = q + h * Tq * HS;
      const T* kh = k + h * Tk * HS;
      const T* vh = v + h * Tk * HS;
      T* dkh = dk + h * Tk * HS;
      T* dvh = dv + h * Tk * HS;
      std::fill(dkh, dkh + Tk * HS, T(0));
      std::fill(dvh, dvh + Tk * HS, T(0));
      for (int64_t i = 0; i < Tq; ++i) {
        const T* qi = qh + i * HS;
        const T* doi = dout + (h * Tq + i) * HS;
        T* dqi = dq + (h * Tq + i) * HS;
        std::fill(dqi, dqi + HS, T(0));
        const T D = detail::dot(doi, out + (h * Tq + i) * HS, HS);
        const T L = lse[h * Tq + i];
        const int64_t jend = causal ? Tk - Tq + i + 1 : Tk;
        for (int64_t j = 0; j < jend; ++j) {
          const T* kj = kh + j * HS;
          const T* vj = vh + j * HS;
          const T p = std::exp(scale * detail::dot(qi, kj, HS) - L);
          detail::axpy(dvh + j * HS, p, doi, HS);
          const T ds = p * (detail::dot(doi, vj, HS) - D) * scale;
          detail::axpy(dqi, ds, kj, HS);
          detail::axpy(dkh + j * HS, ds, qi, HS);
        }
      }
    }
  });
}

}  // namespace tinylm::kernels::cpu
