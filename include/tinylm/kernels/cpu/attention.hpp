#pragma once
// Fused scaled dot-product attention, forward and backward, one head at a
// time, one block of up to 64 queries at a time: the Tq x Tk score matrix
// is never stored, only a 64 x Tk tile of it per thread.
//
// Per head, queries q_i (Tq of them), keys k_j and values v_j (Tk of them),
// all of size HS, and an optional additive mask M:
//
//   S_ij = scale * q_i . k_j + M_ij     scores          (a GEMM per block of queries)
//   P_ij = exp(S_ij - L_i)              L_i = log sum_j exp(S_ij) over the visible keys
//   O    = P V                          output          (a GEMM)
//
// A key is hidden from query i (P_ij = 0) when it is in the future (causal:
// j > Tk - Tq + i), at or past the sequence's key length, blocked by the
// bool mask, or when M_ij = -inf. A query that sees no key at all gets
// O_i = 0 and L_i = -inf, and passes no gradient: zeros, never NaN. Key
// lengths and the causal rule also shorten the tile: hidden keys at the end
// of a row are never multiplied.
//
// Forward saves only L (Tq numbers per head). Backward recomputes each tile
// of P from Q, K, M and L, and with D_i = dO_i . O_i (= sum_j dP_ij P_ij):
//
//   dP = dO V^T                         (a GEMM)
//   dM = P * (dP - D)                   the softmax Jacobian-vector product
//   dS = dM * scale
//   dQ = dS K,  dK += dS^T Q,  dV += P^T dO      (three GEMMs)
//
// dM (the additive mask's gradient) is written in full, (B * NH, Tq, Tk),
// only when asked for; the op sums it over the dims the mask broadcast.
//
// The products run through the same GEMM as matmul, so the attention
// kernel computes at GEMM speed, and in bf16 when the matmul precision
// asks for it (bf16_products, as gemm takes it). Heads are independent:
// threads split the B*NH heads, and each head's GEMMs run on its thread.
//
// Every operand is a HeadLayout: any strides over batch, head and position,
// rows of HS contiguous. That lets the kernel read q, k and v in place from
// a packed [B, T, 3C] projection or a KV cache, and write [B, T, C] rows
// that the output projection reads as they are: splitting and merging heads
// costs no pass over memory of its own. A thread first gathers the rows of
// the head it works on into contiguous buffers (a few hundred KB, which stay
// in its L2 cache for all of that head's GEMMs): the GEMMs on rows spread
// thousands of bytes apart ran 15% slower than on packed ones.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "tinylm/kernels/cpu/gemm.hpp"
#include "tinylm/kernels/cpu/math.hpp"
#include "tinylm/kernels/cpu/parallel.hpp"
#include "tinylm/kernels/types.hpp"

namespace tinylm::kernels::cpu {

using kernels::AttentionShape;
using kernels::HeadLayout;

namespace detail {

inline constexpr int64_t kQueryBlock = 64;

/// Keys visible to query i: all Tk, or the first Tk - Tq + i + 1 when causal.
inline int64_t visible_keys(int64_t i, int64_t Tq, int64_t Tk, bool causal) {
  return causal ? std::clamp<int64_t>(Tk - Tq + i + 1, 0, Tk) : Tk;
}

/// Keys visible to query i of head bh before the bool and additive masks:
/// the causal rule and the sequence's key length.
template <class T>
int64_t visible_keys(int64_t bh, int64_t i, const AttentionShape& shape, const AttentionMaskArgs<T>& mask) {
  const int64_t n = visible_keys(i, shape.Tq, shape.Tk, shape.causal);
  if (!mask.key_lengths) return n;
  return std::min(n, std::clamp<int64_t>(mask.key_lengths[bh / shape.NH], 0, shape.Tk));
}

/// Adds the additive mask to the first n scores of query i and sets blocked
/// ones to -inf.
template <class T>
void mask_scores(T* row, int64_t n, int64_t bh, int64_t i, int64_t NH, const AttentionMaskArgs<T>& mask) {
  if (mask.additive) {
    const T* a = mask.additive.row(bh, NH, i);
    const int64_t ld = mask.additive.key;
    for (int64_t j = 0; j < n; ++j) row[j] += a[j * ld];
  }
  if (mask.blocked) {
    const bool* m = mask.blocked.row(bh, NH, i);
    const int64_t ld = mask.blocked.key;
    for (int64_t j = 0; j < n; ++j)
      if (m[j * ld]) row[j] = -std::numeric_limits<T>::infinity();
  }
}

template <class T>
void fill_rows(T* x, int64_t rows, int64_t ld, int64_t n, T value) {
  for (int64_t r = 0; r < rows; ++r) std::fill(x + r * ld, x + r * ld + n, value);
}

/// `rows` rows of HS at stride ld, as contiguous rows: x itself when they
/// already are, else a copy in buf.
template <class T>
const T* gather_rows(const T* x, int64_t rows, int64_t ld, int64_t HS, std::vector<T>& buf) {
  if (ld == HS) return x;
  buf.resize(static_cast<std::size_t>(rows * HS));
  for (int64_t r = 0; r < rows; ++r) std::copy(x + r * ld, x + r * ld + HS, buf.data() + r * HS);
  return buf.data();
}

template <class T>
void scatter_rows(T* x, int64_t rows, int64_t ld, int64_t HS, const T* src) {
  for (int64_t r = 0; r < rows; ++r) std::copy(src + r * HS, src + r * HS + HS, x + r * ld);
}

}  // namespace detail

/// out (as q), lse [B * NH, Tq] contiguous.
template <class T>
void attention_forward(HeadLayout<T*> out, T* lse, HeadLayout<const T*> q, HeadLayout<const T*> k,
                       HeadLayout<const T*> v, const AttentionShape& shape, T scale,
                       const AttentionMaskArgs<T>& mask = {}, bool bf16_products = false) {
  const int64_t NH = shape.NH, Tq = shape.Tq, Tk = shape.Tk, HS = shape.HS;
  parallel_for(shape.B * NH, Tq * Tk * HS, [&](int64_t h0, int64_t h1) {
    std::vector<T> s(static_cast<std::size_t>(detail::kQueryBlock * Tk)), qbuf, kbuf, vbuf;
    for (int64_t h = h0; h < h1; ++h) {
      const T* qh = detail::gather_rows(q.at(h, NH), Tq, q.row, HS, qbuf);
      const T* kh = detail::gather_rows(k.at(h, NH), Tk, k.row, HS, kbuf);
      const T* vh = detail::gather_rows(v.at(h, NH), Tk, v.row, HS, vbuf);
      T* oh = out.at(h, NH);
      for (int64_t i0 = 0; i0 < Tq; i0 += detail::kQueryBlock) {
        const int64_t nb = std::min(detail::kQueryBlock, Tq - i0);
        const int64_t kn = detail::visible_keys(h, i0 + nb - 1, shape, mask);  // keys the block's last row sees
        T* oblk = oh + i0 * out.row;
        if (kn == 0) {
          detail::fill_rows(oblk, nb, out.row, HS, T(0));
          for (int64_t r = 0; r < nb; ++r) lse[h * Tq + i0 + r] = -std::numeric_limits<T>::infinity();
          continue;
        }
        gemm<T>({.M = nb,
                 .N = kn,
                 .K = HS,
                 .a = {qh + i0 * HS, HS},
                 .b = {.data = kh, .ld = HS, .transposed = true},
                 .c = s.data(),
                 .ldc = kn,
                 .alpha = scale},
                bf16_products);  // S = scale Q K^T
        for (int64_t r = 0; r < nb; ++r) {
          T* row = s.data() + r * kn;
          const int64_t n = detail::visible_keys(h, i0 + r, shape, mask);
          detail::mask_scores(row, n, h, i0 + r, NH, mask);
          T m = -std::numeric_limits<T>::infinity();
          for (int64_t j = 0; j < n; ++j) m = std::max(m, row[j]);
          if (m == -std::numeric_limits<T>::infinity()) {  // sees no key: a row of zeros
            std::fill(row, row + kn, T(0));
            lse[h * Tq + i0 + r] = m;
            continue;
          }
          const T l = exp_shifted(row, row, n, m);  // exp(-inf) = 0 for blocked keys
          const T inv = T(1) / l;
#pragma omp simd
          for (int64_t j = 0; j < n; ++j) row[j] *= inv;
          std::fill(row + n, row + kn, T(0));  // the causal rule and the key length
          lse[h * Tq + i0 + r] = m + std::log(l);
        }
        gemm<T>({.M = nb, .N = HS, .K = kn, .a = {s.data(), kn}, .b = {vh, HS}, .c = oblk, .ldc = out.row},
                bf16_products);  // O = P V
      }
    }
  });
}

/// Overwrites dq (as q), dk and dv (as k and v), and, when not null,
/// dadditive [B * NH, Tq, Tk] contiguous.
template <class T>
void attention_backward(HeadLayout<T*> dq, HeadLayout<T*> dk, HeadLayout<T*> dv, T* dadditive,
                        HeadLayout<const T*> dout, HeadLayout<const T*> q, HeadLayout<const T*> k,
                        HeadLayout<const T*> v, HeadLayout<const T*> out, const T* lse, const AttentionShape& shape,
                        T scale, const AttentionMaskArgs<T>& mask = {}, bool bf16_products = false) {
  const int64_t NH = shape.NH, Tq = shape.Tq, Tk = shape.Tk, HS = shape.HS;
  parallel_for(shape.B * NH, 2 * Tq * Tk * HS, [&](int64_t h0, int64_t h1) {
    std::vector<T> p(static_cast<std::size_t>(detail::kQueryBlock * Tk)), ds(p.size()), qbuf, kbuf, vbuf, dobuf,
        dkbuf(static_cast<std::size_t>(Tk * HS)), dvbuf(dkbuf.size());
    for (int64_t h = h0; h < h1; ++h) {
      const T* qh = detail::gather_rows(q.at(h, NH), Tq, q.row, HS, qbuf);
      const T* kh = detail::gather_rows(k.at(h, NH), Tk, k.row, HS, kbuf);
      const T* vh = detail::gather_rows(v.at(h, NH), Tk, v.row, HS, vbuf);
      const T* doh = detail::gather_rows(dout.at(h, NH), Tq, dout.row, HS, dobuf);
      const T* oh = out.at(h, NH);  // only read row by row (D below): no gather
      T* dqh = dq.at(h, NH);
      T* dkh = dkbuf.data();  // dK and dV accumulate over query blocks here, then go out once
      T* dvh = dvbuf.data();
      std::fill(dkbuf.begin(), dkbuf.end(), T(0));
      std::fill(dvbuf.begin(), dvbuf.end(), T(0));
      for (int64_t i0 = 0; i0 < Tq; i0 += detail::kQueryBlock) {
        const int64_t nb = std::min(detail::kQueryBlock, Tq - i0);
        const int64_t kn = detail::visible_keys(h, i0 + nb - 1, shape, mask);
        const T* qblk = qh + i0 * HS;
        const T* doblk = doh + i0 * HS;
        const T* oblk = oh + i0 * out.row;
        T* dqblk = dqh + i0 * dq.row;
        T* dmblk = dadditive ? dadditive + (h * Tq + i0) * Tk : nullptr;
        if (dmblk) detail::fill_rows(dmblk, nb, Tk, Tk, T(0));
        if (kn == 0) {
          detail::fill_rows(dqblk, nb, dq.row, HS, T(0));
          continue;
        }
        gemm<T>({.M = nb,
                 .N = kn,
                 .K = HS,
                 .a = {qblk, HS},
                 .b = {.data = kh, .ld = HS, .transposed = true},
                 .c = p.data(),
                 .ldc = kn,
                 .alpha = scale},
                bf16_products);  // S again
        gemm<T>({.M = nb,
                 .N = kn,
                 .K = HS,
                 .a = {doblk, HS},
                 .b = {.data = vh, .ld = HS, .transposed = true},
                 .c = ds.data(),
                 .ldc = kn},
                bf16_products);  // dP = dO V^T
        for (int64_t r = 0; r < nb; ++r) {
          T* prow = p.data() + r * kn;
          T* drow = ds.data() + r * kn;
          const T L = lse[h * Tq + i0 + r];
          const int64_t n = L == -std::numeric_limits<T>::infinity() ? 0 : detail::visible_keys(h, i0 + r, shape, mask);
          detail::mask_scores(prow, n, h, i0 + r, NH, mask);
          T D = T(0);  // dO_i . O_i
          for (int64_t c = 0; c < HS; ++c) D += doblk[r * HS + c] * oblk[r * out.row + c];
          exp_shifted(prow, prow, n, L);  // P
#pragma omp simd
          for (int64_t j = 0; j < n; ++j) drow[j] = prow[j] * (drow[j] - D);  // dM
          if (dmblk) std::copy(drow, drow + n, dmblk + r * Tk);
#pragma omp simd
          for (int64_t j = 0; j < n; ++j) drow[j] *= scale;  // dS
          std::fill(prow + n, prow + kn, T(0));              // hidden: no probability, no gradient
          std::fill(drow + n, drow + kn, T(0));
        }
        gemm<T>({.M = nb, .N = HS, .K = kn, .a = {ds.data(), kn}, .b = {kh, HS}, .c = dqblk, .ldc = dq.row},
                bf16_products);  // dQ = dS K
        gemm<T>({.M = kn,
                 .N = HS,
                 .K = nb,
                 .a = {.data = ds.data(), .ld = kn, .transposed = true},
                 .b = {qblk, HS},
                 .c = dkh,
                 .ldc = HS,
                 .beta = T(1)},
                bf16_products);  // dK += dS^T Q
        gemm<T>({.M = kn,
                 .N = HS,
                 .K = nb,
                 .a = {.data = p.data(), .ld = kn, .transposed = true},
                 .b = {doblk, HS},
                 .c = dvh,
                 .ldc = HS,
                 .beta = T(1)},
                bf16_products);  // dV += P^T dO
      }
      detail::scatter_rows(dk.at(h, NH), Tk, dk.row, HS, dkh);
      detail::scatter_rows(dv.at(h, NH), Tk, dv.row, HS, dvh);
    }
  });
}

}  // namespace tinylm::kernels::cpu
