#pragma once
// Fused scaled dot-product attention, forward and backward, one head at a
// time, one block of up to 64 queries at a time: the Tq x Tk score matrix
// is never stored, only a 64 x Tk tile of it per thread.
//
// Per head, queries q_i (Tq of them), keys k_j and values v_j (Tk of them),
// all of size HS; with a causal mask, query i sees keys j <= Tk - Tq + i.
//
//   S_ij = scale * q_i . k_j            scores          (a GEMM per block of queries)
//   P_ij = exp(S_ij - L_i)              L_i = log sum_j exp(S_ij), masked entries 0
//   O    = P V                          output          (a GEMM)
//
// Forward saves only L (Tq numbers per head). Backward recomputes each tile
// of P from Q, K and L, and with D_i = dO_i . O_i (= sum_j dP_ij P_ij):
//
//   dP = dO V^T                         (a GEMM)
//   dS = P * (dP - D) * scale           the softmax Jacobian-vector product
//   dQ = dS K,  dK += dS^T Q,  dV += P^T dO      (three GEMMs)
//
// The products run through the same GEMM as matmul, so the attention
// kernel computes at GEMM speed. Heads are independent: threads split the
// B*NH heads, and each head's GEMMs run on its thread.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "tinylm/kernels/cpu/gemm.hpp"
#include "tinylm/kernels/cpu/math.hpp"
#include "tinylm/kernels/cpu/parallel.hpp"

namespace tinylm::kernels::cpu {

namespace detail {

inline constexpr int64_t kQueryBlock = 64;

/// Keys visible to query i: all Tk, or the first Tk - Tq + i + 1 when causal.
inline int64_t visible_keys(int64_t i, int64_t Tq, int64_t Tk, bool causal) {
  return causal ? std::clamp<int64_t>(Tk - Tq + i + 1, 0, Tk) : Tk;
}

}  // namespace detail

/// q, out [BH, Tq, HS]; k, v [BH, Tk, HS]; lse [BH, Tq]. All contiguous.
template <class T>
void attention_forward(T* out, T* lse, const T* q, const T* k, const T* v, int64_t BH, int64_t Tq, int64_t Tk,
                       int64_t HS, T scale, bool causal) {
  parallel_for(BH, Tq * Tk * HS, [&](int64_t h0, int64_t h1) {
    std::vector<T> s(static_cast<std::size_t>(detail::kQueryBlock * Tk));
    for (int64_t h = h0; h < h1; ++h) {
      const T* qh = q + h * Tq * HS;
      const T* kh = k + h * Tk * HS;
      const T* vh = v + h * Tk * HS;
      for (int64_t i0 = 0; i0 < Tq; i0 += detail::kQueryBlock) {
        const int64_t nb = std::min(detail::kQueryBlock, Tq - i0);
        const int64_t kn = detail::visible_keys(i0 + nb - 1, Tq, Tk, causal);  // keys the block's last row sees
        T* oblk = out + (h * Tq + i0) * HS;
        if (kn == 0) {
          std::fill(oblk, oblk + nb * HS, T(0));
          for (int64_t r = 0; r < nb; ++r) lse[h * Tq + i0 + r] = -std::numeric_limits<T>::infinity();
          continue;
        }
        gemm(s.data(), qh + i0 * HS, kh, nb, kn, HS, false, true, HS, HS, kn, scale);  // S = scale Q K^T
        for (int64_t r = 0; r < nb; ++r) {
          T* row = s.data() + r * kn;
          const int64_t n = detail::visible_keys(i0 + r, Tq, Tk, causal);
          T m = -std::numeric_limits<T>::infinity();
          for (int64_t j = 0; j < n; ++j) m = std::max(m, row[j]);
          T l = T(0);
#pragma omp simd reduction(+ : l)
          for (int64_t j = 0; j < n; ++j) {
            row[j] = vexp(row[j] - m);
            l += row[j];
          }
          const T inv = n > 0 ? T(1) / l : T(0);
#pragma omp simd
          for (int64_t j = 0; j < n; ++j) row[j] *= inv;
          std::fill(row + n, row + kn, T(0));  // the causal mask
          lse[h * Tq + i0 + r] = n > 0 ? m + std::log(l) : -std::numeric_limits<T>::infinity();
        }
        gemm(oblk, s.data(), vh, nb, HS, kn, false, false, kn, HS, HS);  // O = P V
      }
    }
  });
}

/// Overwrites dq [BH, Tq, HS], dk and dv [BH, Tk, HS].
template <class T>
void attention_backward(T* dq, T* dk, T* dv, const T* dout, const T* q, const T* k, const T* v, const T* out,
                        const T* lse, int64_t BH, int64_t Tq, int64_t Tk, int64_t HS, T scale, bool causal) {
  parallel_for(BH, 2 * Tq * Tk * HS, [&](int64_t h0, int64_t h1) {
    std::vector<T> p(static_cast<std::size_t>(detail::kQueryBlock * Tk)), ds(p.size());
    for (int64_t h = h0; h < h1; ++h) {
      const T* qh = q + h * Tq * HS;
      const T* kh = k + h * Tk * HS;
      const T* vh = v + h * Tk * HS;
      T* dkh = dk + h * Tk * HS;
      T* dvh = dv + h * Tk * HS;
      std::fill(dkh, dkh + Tk * HS, T(0));
      std::fill(dvh, dvh + Tk * HS, T(0));
      for (int64_t i0 = 0; i0 < Tq; i0 += detail::kQueryBlock) {
        const int64_t nb = std::min(detail::kQueryBlock, Tq - i0);
        const int64_t kn = detail::visible_keys(i0 + nb - 1, Tq, Tk, causal);
        const T* qblk = qh + i0 * HS;
        const T* doblk = dout + (h * Tq + i0) * HS;
        const T* oblk = out + (h * Tq + i0) * HS;
        T* dqblk = dq + (h * Tq + i0) * HS;
        if (kn == 0) {
          std::fill(dqblk, dqblk + nb * HS, T(0));
          continue;
        }
        gemm(p.data(), qblk, kh, nb, kn, HS, false, true, HS, HS, kn, scale);    // S again
        gemm(ds.data(), doblk, vh, nb, kn, HS, false, true, HS, HS, kn);         // dP = dO V^T
        for (int64_t r = 0; r < nb; ++r) {
          T* prow = p.data() + r * kn;
          T* drow = ds.data() + r * kn;
          const int64_t n = detail::visible_keys(i0 + r, Tq, Tk, causal);
          const T L = lse[h * Tq + i0 + r];
          T D = T(0);  // dO_i . O_i
          for (int64_t c = 0; c < HS; ++c) D += doblk[r * HS + c] * oblk[r * HS + c];
#pragma omp simd
          for (int64_t j = 0; j < n; ++j) {
            prow[j] = vexp(prow[j] - L);                 // P
            drow[j] = prow[j] * (drow[j] - D) * scale;   // dS
          }
          std::fill(prow + n, prow + kn, T(0));  // masked: no probability, no gradient
          std::fill(drow + n, drow + kn, T(0));
        }
        gemm(dqblk, ds.data(), kh, nb, HS, kn, false, false, kn, HS, HS);                 // dQ = dS K
        gemm(dkh, ds.data(), qblk, kn, HS, nb, true, false, kn, HS, HS, T(1), T(1));      // dK += dS^T Q
        gemm(dvh, p.data(), doblk, kn, HS, nb, true, false, kn, HS, HS, T(1), T(1));      // dV += P^T dO
      }
    }
  });
}

}  // namespace tinylm::kernels::cpu
