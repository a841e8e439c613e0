#pragma once
// Scaled dot-product attention over the last two dims:
//
//   attention(q, k, v, causal) = softmax(q @ k^T / sqrt(HS) [masked]) @ v
//
// q is [..., Tq, HS], k and v are [..., Tk, HS] with the same leading dims
// (usually B, NH). With causal = true, query i (the last Tq of Tk positions)
// sees keys j <= Tk - Tq + i.
//
// scaled_dot_product_attention() is the fused kernel (kernels/cpu/attention.hpp:
// blocks of 64 queries, each an exact softmax over a 64 x Tk tile of scores,
// so the Tq x Tk matrix is never stored; a hand-written backward that
// recomputes the tiles); it saves q, k, v, the output and one log-sum-exp
// per query. It reads 4-D views in place
// (heads split from a [B, T, C] tensor, a KV cache), as long as each row of
// HS is contiguous, and lays its output out like q, so that merging heads
// back is a view too. packed_qkv_attention() is the same kernel on a packed
// [B, T, 3C] projection, returning [B, T, C] and a [B, T, 3C] gradient
// directly. attention_reference() is the same computation from matmul,
// masked_fill and softmax, whose gradients come from those ops' backward
// rules: the version to read, and the one the fused kernels are tested
// against.
//
// With a mask (padding, or any pattern), attention runs the composition:
//
//   attention_weights(q, k, blocked, causal)   softmax over keys [..., Tq, Tk]
//   scaled_dot_product_attention(q, k, v, blocked, causal) = weights @ v
//
// `blocked` is a bool tensor that broadcasts to [..., Tq, Tk], true where a
// query must not see a key: eq(ids, pad).reshape({B, 1, 1, Tk}) blocks
// padding keys for every head and query. This is the sense of PyTorch's
// nn.MultiheadAttention key_padding_mask and of masked_fill, and the
// opposite of F.scaled_dot_product_attention's bool attn_mask (true there
// means "may attend"). Blocked scores are set to the lowest finite value,
// not -inf, so a query whose keys are all blocked (a padding query under a
// padding mask) gets uniform weights instead of NaN, and its NaN cannot
// reach the rows that matter through the next layer's keys and values.

#include <cmath>
#include <limits>
#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/kernels/attention.hpp"
#include "tinylm/ops/arithmetic.hpp"
#include "tinylm/ops/compare.hpp"
#include "tinylm/ops/detail.hpp"
#include "tinylm/ops/matmul.hpp"
#include "tinylm/ops/softmax.hpp"
#include "tinylm/ops/view.hpp"

namespace tinylm {

namespace detail {

template <class T>
void check_attention(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const char* op) {
  check_defined(q, op, "q");
  check_defined(k, op, "k");
  check_defined(v, op, "v");
  TINYLM_CHECK(q.dim() >= 2 && k.dim() == q.dim() && v.dim() == q.dim(), op, ": q is ", q.shape(), ", k is ", k.shape(),
               ", v is ", v.shape(), ": expected [..., T, HS] with the same number of dims");
  bool ok = k.shape() == v.shape() && q.size(-1) == k.size(-1);
  for (int d = 0; ok && d + 2 < q.dim(); ++d) ok = q.shape()[d] == k.shape()[d];
  TINYLM_CHECK(ok, op, ": q is ", q.shape(), ", k is ", k.shape(), ", v is ", v.shape(),
               ": k and v must match, and share q's leading dims and head size");
}

/// An operand as the kernel can read it: a 4-D tensor whose rows of HS are
/// contiguous as it is, anything else as a contiguous copy.
template <class T>
Tensor<T> attention_operand(const Tensor<T>& x) {
  if (x.dim() == 4 && (x.stride(3) == 1 || x.size(3) == 1)) return x;
  return contiguous_data(x);
}

/// Where x's heads live. A 4-D x is [B, NH, T, HS] with its own strides;
/// any other (contiguous) x is [L, 1, T, HS] for its L leading elements.
template <class P, class T>
kernels::HeadLayout<P> head_layout(const Tensor<T>& x, P data) {
  if (x.dim() == 4) return {data, x.stride(0), x.stride(1), x.stride(2)};
  return {data, x.size(-2) * x.size(-1), 0, x.size(-1)};
}

/// A new tensor of x's shape with x's order of heads and positions: when x
/// is heads split from [B, T, C] (positions further apart than heads), the
/// memory is [B, T, NH, HS] and merging heads back costs nothing.
template <class T>
Tensor<T> empty_heads_like(const Tensor<T>& x) {
  if (x.dim() == 4 && x.stride(2) > x.stride(1) && x.size(1) > 1) {
    const int64_t B = x.size(0), NH = x.size(1), Tn = x.size(2), HS = x.size(3);
    return Tensor<T>::empty({B, Tn, NH, HS}, x.device()).alias(x.shape(), {Tn * NH * HS, HS, NH * HS, 1}, 0);
  }
  return Tensor<T>::empty(x.shape(), x.device());
}

}  // namespace detail

/// Fused attention (see the file comment).
template <FloatElement T>
Tensor<T> scaled_dot_product_attention(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, bool causal = true) {
  detail::check_attention(q, k, v, "scaled_dot_product_attention");
  const int64_t Tq = q.size(-2), Tk = k.size(-2), HS = q.size(-1);
  TINYLM_CHECK(!causal || Tq <= Tk, "scaled_dot_product_attention: causal attention needs Tq <= Tk, got ", Tq, " > ",
               Tk);
  const bool four_d = q.dim() == 4;
  const int64_t B = four_d ? q.size(0) : q.numel() / std::max<int64_t>(Tq * HS, 1), NH = four_d ? q.size(1) : 1;
  const kernels::AttentionShape shape{B, NH, Tq, Tk, HS, causal};
  const T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(HS)));
  const Tensor<T> qc = detail::attention_operand(q), kc = detail::attention_operand(k),
                  vc = detail::attention_operand(v);
  Tensor<T> out = detail::empty_heads_like(qc);
  Tensor<T> lse = Tensor<T>::empty({B * NH, Tq}, q.device());
  auto in = [](const Tensor<T>& x) { return detail::head_layout(x, static_cast<const T*>(x.data())); };
  auto inout = [](const Tensor<T>& x) { return detail::head_layout(x, x.data()); };
  kernels::attention_forward(q.device(), inout(out), lse.data(), in(qc), in(kc), in(vc), shape, scale);
  if (autograd::needs_grad(q, k, v)) {
    autograd::record(out, "attention", {q, k, v},
                     [qc = qc.detach(), kc = kc.detach(), vc = vc.detach(), o = out.detach(), lse, shape, scale, in,
                      inout](const Tensor<T>& g) {
                       const Tensor<T> gc = detail::attention_operand(g);
                       const Tensor<T> dq = detail::empty_heads_like(qc), dk = detail::empty_heads_like(kc),
                                       dv = detail::empty_heads_like(vc);
                       kernels::attention_backward(gc.device(), inout(dq), inout(dk), inout(dv), in(gc), in(qc), in(kc),
                                                   in(vc), in(o), lse.data(), shape, scale);
                       return std::vector{dq, dk, dv};
                     });
  }
  return out;
}

/// Attention on a packed projection: qkv [B, T, 3C] holds q, k and v side by
/// side, each C = n_head * HS channels with head h at channels h*HS..h*HS+HS.
/// Returns [B, T, C] with the heads side by side. The same numbers as
/// splitting qkv into heads, scaled_dot_product_attention and merging the
/// heads, without a copy either way, and the gradient is one [B, T, 3C]
/// tensor written in place.
template <FloatElement T>
Tensor<T> packed_qkv_attention(const Tensor<T>& qkv, int64_t n_head, bool causal = true) {
  detail::check_defined(qkv, "packed_qkv_attention", "qkv");
  TINYLM_CHECK(n_head > 0 && qkv.dim() == 3 && qkv.size(2) % (3 * n_head) == 0, "packed_qkv_attention: qkv is ",
               qkv.shape(), " with n_head ", n_head, ": expected [B, T, 3 * C] with C a multiple of n_head");
  const int64_t B = qkv.size(0), Tn = qkv.size(1), C = qkv.size(2) / 3, HS = C / n_head;
  const kernels::AttentionShape shape{B, n_head, Tn, Tn, HS, causal};
  const T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(HS, 1))));
  const Tensor<T> xc = detail::contiguous_data(qkv);
  Tensor<T> out = Tensor<T>::empty({B, Tn, C}, qkv.device());
  Tensor<T> lse = Tensor<T>::empty({B * n_head, Tn}, qkv.device());
  // q, k, v: (b, h, t) at b*T*3C + h*HS + t*3C, plus 0, C or 2C. out: rows of C.
  auto packed = [=](auto* p, int64_t part) {
    return kernels::HeadLayout<decltype(p)>{p + part * C, Tn * 3 * C, HS, 3 * C};
  };
  auto rows = [=](auto* p) { return kernels::HeadLayout<decltype(p)>{p, Tn * C, HS, C}; };
  const T* x = xc.data();
  if (out.numel() > 0)
    kernels::attention_forward(qkv.device(), rows(out.data()), lse.data(), packed(x, 0), packed(x, 1), packed(x, 2),
                               shape, scale);
  if (autograd::needs_grad(qkv)) {
    autograd::record(out, "packed_qkv_attention", {qkv},
                     [xc = xc.detach(), o = out.detach(), lse, shape, scale, packed, rows](const Tensor<T>& g) {
                       const Tensor<T> gc = detail::contiguous_data(g);
                       Tensor<T> dx = Tensor<T>::empty(xc.shape(), xc.device());
                       const T* x = xc.data();
                       T* d = dx.data();
                       if (dx.numel() > 0)
                         kernels::attention_backward(gc.device(), packed(d, 0), packed(d, 1), packed(d, 2),
                                                     rows(static_cast<const T*>(gc.data())), packed(x, 0), packed(x, 1),
                                                     packed(x, 2), rows(static_cast<const T*>(o.data())), lse.data(),
                                                     shape, scale);
                       return std::vector{dx};
                     });
  }
  return out;
}

/// The same attention from primitive ops.
template <FloatElement T>
Tensor<T> attention_reference(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, bool causal = true) {
  detail::check_attention(q, k, v, "attention_reference");
  const int64_t Tq = q.size(-2), Tk = k.size(-2), HS = q.size(-1);
  Tensor<T> scores = matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(HS)));  // (..., Tq, Tk)
  if (causal) scores = masked_fill(scores, causal_mask(Tq, Tk), -std::numeric_limits<T>::infinity());
  const Tensor<T> p = softmax(scores, -1);  // (..., Tq, Tk)
  return matmul(p, v);                      // (..., Tq, HS)
}

namespace detail {

/// blocked (or undefined) or'ed with the causal mask, checked to broadcast to [..., Tq, Tk].
inline Tensor<bool> attention_blocked(const Tensor<bool>& blocked, bool causal, const Shape& scores, const char* op) {
  const int64_t Tq = scores[scores.size() - 2], Tk = scores.back();
  if (blocked.defined()) {
    TINYLM_CHECK(blocked.dim() <= static_cast<int64_t>(scores.size()), op, ": blocked is ", blocked.shape(),
                 ": expected at most ", scores.size(), " dims broadcasting to the scores' ", scores);
    TINYLM_CHECK(broadcast_shapes(scores, blocked.shape(), op, "scores", "blocked") == scores, op,
                 ": blocked of shape ", blocked.shape(), " does not broadcast to the scores' shape ", scores,
                 " ([..., Tq, Tk])");
  }
  TINYLM_CHECK(!causal || Tq <= Tk, op, ": causal attention needs Tq <= Tk, got ", Tq, " > ", Tk);
  if (!causal) return blocked;
  const Tensor<bool> future = causal_mask(Tq, Tk);
  return blocked.defined() ? logical_or(blocked, future) : future;
}

}  // namespace detail

/// softmax(q @ k^T / sqrt(HS)) over the keys, with the keys `blocked` (see
/// the file comment; undefined: none) and, when causal, the future ones
/// left out: [..., Tq, Tk].
template <FloatElement T>
Tensor<T> attention_weights(const Tensor<T>& q, const Tensor<T>& k, const Tensor<bool>& blocked = {},
                            bool causal = false) {
  detail::check_attention(q, k, k, "attention_weights");
  const int64_t HS = q.size(-1);
  Tensor<T> scores = matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(HS)));  // (..., Tq, Tk)
  const Tensor<bool> mask = detail::attention_blocked(blocked, causal, scores.shape(), "attention_weights");
  if (mask.defined()) scores = masked_fill(scores, mask, std::numeric_limits<T>::lowest());
  return softmax(scores, -1);
}

/// Attention with a mask: attention_weights(q, k, blocked, causal) @ v.
/// With `blocked` undefined this is the fused kernel.
template <FloatElement T>
Tensor<T> scaled_dot_product_attention(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v,
                                       const Tensor<bool>& blocked, bool causal = false) {
  if (!blocked.defined()) return scaled_dot_product_attention(q, k, v, causal);
  detail::check_attention(q, k, v, "scaled_dot_product_attention");
  return matmul(attention_weights(q, k, blocked, causal), v);
}

}  // namespace tinylm
