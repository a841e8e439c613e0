#pragma once
// Scaled dot-product attention over the last two dims:
//
//   attention(q, k, v, mask) = softmax(q @ k^T / sqrt(HS) + additive [hidden keys left out]) @ v
//
// q is [..., Tq, HS], k and v are [..., Tk, HS] with the same leading dims
// (usually B, NH); Tq != Tk is cross-attention. AttentionMask says which
// keys a query must not see (true always means "must not see"): the causal
// rule (query i, the last Tq of Tk positions, sees keys j <= Tk - Tq + i),
// padding keys per sequence (key_padding (B, Tk), or key_lengths (B)), any
// bool pattern `blocked` broadcasting to (B, NH, Tq, Tk), and an `additive`
// mask broadcasting to the same shape, added to the scaled scores (-inf
// hides a key; it may require grad, as a learned position bias does). A
// query that sees no key at all (a padding query under a padding mask)
// gets zeros and passes zero gradient, never NaN. key_padding matches
// PyTorch's nn.MultiheadAttention key_padding_mask and masked_fill, and is
// the opposite of F.scaled_dot_product_attention's bool attn_mask (true
// there means "may attend").
//
// scaled_dot_product_attention() is the fused kernel (kernels/cpu/attention.hpp:
// blocks of 64 queries, each an exact softmax over a 64 x Tk tile of scores,
// so the Tq x Tk matrix is never stored; a hand-written backward that
// recomputes the tiles); it saves q, k, v, the output and one log-sum-exp
// per query. It reads 4-D views in place (heads split from a [B, T, C]
// tensor, a KV cache), as long as each row of HS is contiguous, and lays its
// output out like q, so that merging heads back is a view too.
// packed_qkv_attention() is the same kernel on a packed [B, T, 3C]
// projection, returning [B, T, C] and a [B, T, 3C] gradient directly.
//
// attention_weights() and attention_reference() are the same computation
// from matmul, masked_fill and softmax, whose gradients come from those
// ops' backward rules: the version to read, the one that can return the
// weights (a model that shows its attention, or drops some out), and the
// one the fused kernel is tested against.

#include <cmath>
#include <limits>
#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/core/config.hpp"
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
  check_same_device(q, k, op);
  check_same_device(q, v, op);
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

/// What attention must not look at, and what it adds to the scores. `true`
/// always means "must not see". Every field may be left out; all of them
/// combine (a key is hidden when any of them hides it).
template <FloatElement T>
struct AttentionMask {
  Tensor<bool> key_padding{};     // (B, Tk): true at padding keys, for every head and query
  Tensor<int64_t> key_lengths{};  // (B): keys at positions >= key_lengths[b] are padding
  Tensor<bool> blocked{};         // broadcasts to (B, NH, Tq, Tk): true where query i must not see key j
  Tensor<T> additive{};           // broadcasts to (B, NH, Tq, Tk): added to the scaled scores (-inf hides;
                                  // may require grad, e.g. a learned position bias)
  bool causal = false;            // query i (the last Tq of Tk positions) sees keys j <= Tk - Tq + i
};

namespace detail {

/// The mask's parts as the kernel reads them, checked against q (B, NH, Tq, HS) and Tk.
template <class T>
struct KernelMask {
  Tensor<int64_t> lengths;  // [B], contiguous
  Tensor<bool> blocked;     // a (B, NH, Tq, Tk) view
  Tensor<T> additive;       // a (B, NH, Tq, Tk) view (expand: its gradient sums back to the mask's shape)

  kernels::AttentionMaskArgs<T> args() const {
    kernels::AttentionMaskArgs<T> a;
    if (lengths.defined()) a.key_lengths = lengths.data();
    if (blocked.defined())
      a.blocked = {blocked.data(), blocked.stride(0), blocked.stride(1), blocked.stride(2), blocked.stride(3)};
    if (additive.defined())
      a.additive = {additive.data(), additive.stride(0), additive.stride(1), additive.stride(2), additive.stride(3)};
    return a;
  }
};

template <class T>
KernelMask<T> kernel_mask(const AttentionMask<T>& mask, const Shape& scores, Device device, const char* op) {
  const int64_t B = scores[0], Tq = scores[2], Tk = scores[3];
  auto on_device = [&](const auto& t, const char* part) {
    TINYLM_CHECK(!t.defined() || t.device() == device, op, ": the mask's ", part, " is on ", t.device(), " and q on ",
                 device, "; move one with .to(device) first");
  };
  on_device(mask.key_padding, "key_padding");
  on_device(mask.key_lengths, "key_lengths");
  on_device(mask.blocked, "blocked");
  on_device(mask.additive, "additive");
  KernelMask<T> km;
  TINYLM_CHECK(!mask.causal || Tq <= Tk, op, ": causal attention needs Tq <= Tk, got ", Tq, " > ", Tk);
  Tensor<bool> blocked;
  if (mask.key_padding.defined()) {
    TINYLM_CHECK(mask.key_padding.shape() == (Shape{B, Tk}), op, ": key_padding is ", mask.key_padding.shape(),
                 ": expected [B, Tk] = [", B, ", ", Tk, "]");
    blocked = mask.key_padding.reshape({B, 1, 1, Tk});
  }
  if (mask.blocked.defined()) {
    TINYLM_CHECK(
        mask.blocked.dim() <= 4 && broadcast_shapes(scores, mask.blocked.shape(), op, "scores", "blocked") == scores,
        op, ": blocked is ", mask.blocked.shape(), ": it must broadcast to the scores' shape ", scores,
        " (B, NH, Tq, Tk)");
    blocked = blocked.defined() ? logical_or(blocked, mask.blocked) : mask.blocked;
  }
  if (blocked.defined()) {
    km.blocked = blocked.expand(scores);
    if (km.blocked.numel() > 0 && km.blocked.stride(3) != 1 && km.blocked.stride(3) != 0)
      km.blocked = km.blocked.contiguous();
  }
  if (mask.additive.defined()) {
    TINYLM_CHECK(
        mask.additive.dim() <= 4 && broadcast_shapes(scores, mask.additive.shape(), op, "scores", "additive") == scores,
        op, ": additive is ", mask.additive.shape(), ": it must broadcast to the scores' shape ", scores,
        " (B, NH, Tq, Tk)");
    km.additive = mask.additive.expand(scores);
  }
  if (mask.key_lengths.defined()) {
    TINYLM_CHECK(mask.key_lengths.shape() == Shape{B}, op, ": key_lengths is ", mask.key_lengths.shape(),
                 ": expected [B] = [", B, "]");
    km.lengths = mask.key_lengths.contiguous();
    const std::vector<int64_t> lengths = km.lengths.to_vector();  // from any device
    for (int64_t b = 0; b < B; ++b) {
      const int64_t n = lengths[static_cast<std::size_t>(b)];
      TINYLM_CHECK(n >= 0 && n <= Tk, op, ": key_lengths[", b, "] is ", n, ": it must be in [0, Tk] = [0, ", Tk, "]");
    }
  }
  return km;
}

}  // namespace detail

/// Fused attention with masks (see the file comment and AttentionMask):
/// q (B, NH, Tq, HS), k and v (B, NH, Tk, HS) -> (B, NH, Tq, HS); any other
/// rank [..., T, HS] works for the causal rule, `blocked` and `additive`
/// (which then broadcast to [..., Tq, Tk]). A query that sees no key gets
/// zeros and passes no gradient.
template <FloatElement T>
Tensor<T> scaled_dot_product_attention(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v,
                                       const AttentionMask<T>& mask) {
  constexpr const char* op = "scaled_dot_product_attention";
  detail::check_attention(q, k, v, op);
  const int64_t Tq = q.size(-2), Tk = k.size(-2), HS = q.size(-1);
  if (q.dim() != 4) {  // as [L, 1, T, HS]: the same kernel, masks broadcast over the leading dims
    TINYLM_CHECK(!mask.key_padding.defined() && !mask.key_lengths.defined(), op, ": q is ", q.shape(),
                 ": key_padding and key_lengths need 4-D (B, NH, T, HS) operands");
    Shape scores = q.shape();
    scores[static_cast<int>(scores.size()) - 1] = Tk;
    const int64_t L = q.numel() / std::max<int64_t>(Tq * HS, 1);
    auto as4 = [&](const auto& t, int64_t rows, int64_t cols) {
      using U = typename std::decay_t<decltype(t)>::value_type;
      if (!t.defined()) return Tensor<U>();
      TINYLM_CHECK(t.dim() <= static_cast<int64_t>(scores.size()) &&
                       broadcast_shapes(scores, t.shape(), op, "scores", "mask") == scores,
                   op, ": a mask of shape ", t.shape(), " does not broadcast to the scores' shape ", scores);
      return t.expand(scores).reshape({L, 1, rows, cols});
    };
    AttentionMask<T> m4{
        .blocked = as4(mask.blocked, Tq, Tk), .additive = as4(mask.additive, Tq, Tk), .causal = mask.causal};
    return scaled_dot_product_attention(q.reshape({L, 1, Tq, HS}), k.reshape({L, 1, Tk, HS}), v.reshape({L, 1, Tk, HS}),
                                        m4)
        .reshape(q.shape());
  }
  const int64_t B = q.size(0), NH = q.size(1);
  const detail::KernelMask<T> km = detail::kernel_mask(mask, Shape{B, NH, Tq, Tk}, q.device(), op);
  const kernels::AttentionShape shape{B, NH, Tq, Tk, HS, mask.causal};
  const T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(HS, 1))));
  const Tensor<T> qc = detail::attention_operand(q), kc = detail::attention_operand(k),
                  vc = detail::attention_operand(v);
  Tensor<T> out = detail::empty_heads_like(qc);
  Tensor<T> lse = Tensor<T>::empty({B * NH, Tq}, q.device());
  auto in = [](const Tensor<T>& x) { return detail::head_layout(x, static_cast<const T*>(x.data())); };
  auto inout = [](const Tensor<T>& x) { return detail::head_layout(x, x.data()); };
  if (out.numel() > 0)
    kernels::attention_forward(q.device(), inout(out), lse.data(), in(qc), in(kc), in(vc), shape, scale, km.args());
  if (autograd::needs_grad(q, k, v, km.additive)) {
    const bool grad_mask = km.additive.defined() && km.additive.requires_grad();
    autograd::record(
        out, "attention", {q, k, v, km.additive},
        [qc = qc.detach(), kc = kc.detach(), vc = vc.detach(), o = out.detach(), lse, shape, scale, in, inout,
         km = detail::KernelMask<T>{km.lengths, km.blocked, km.additive.defined() ? km.additive.detach() : km.additive},
         grad_mask](const Tensor<T>& g) {
          const Tensor<T> gc = detail::attention_operand(g);
          const Tensor<T> dq = detail::empty_heads_like(qc), dk = detail::empty_heads_like(kc),
                          dv = detail::empty_heads_like(vc);
          Tensor<T> dm =
              grad_mask ? Tensor<T>::zeros({shape.B, shape.NH, shape.Tq, shape.Tk}, g.device()) : Tensor<T>();
          if (gc.numel() > 0)
            kernels::attention_backward(gc.device(), inout(dq), inout(dk), inout(dv),
                                        dm.defined() ? dm.data() : nullptr, in(gc), in(qc), in(kc), in(vc), in(o),
                                        lse.data(), shape, scale, km.args());
          return std::vector{dq, dk, dv, dm};
        });
  }
  return out;
}

/// Fused attention, causal or not, without other masks.
template <FloatElement T>
Tensor<T> scaled_dot_product_attention(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, bool causal = true) {
  return scaled_dot_product_attention(q, k, v, AttentionMask<T>{.causal = causal});
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
                                                     static_cast<T*>(nullptr), rows(static_cast<const T*>(gc.data())),
                                                     packed(x, 0), packed(x, 1), packed(x, 2),
                                                     rows(static_cast<const T*>(o.data())), lse.data(), shape, scale);
                       return std::vector{dx};
                     });
  }
  return out;
}

namespace detail {

/// Every way the mask hides a key, as one bool tensor broadcasting to the
/// scores [..., Tq, Tk] (undefined when nothing is hidden), for the
/// compositions below.
template <class T>
Tensor<bool> hidden_keys(const AttentionMask<T>& mask, const Shape& scores, Device device, const char* op) {
  const int64_t Tq = scores[scores.size() - 2], Tk = scores.back();
  TINYLM_CHECK(!mask.causal || Tq <= Tk, op, ": causal attention needs Tq <= Tk, got ", Tq, " > ", Tk);
  Tensor<bool> hidden;
  auto add = [&](const Tensor<bool>& m) { hidden = hidden.defined() ? logical_or(hidden, m) : m; };
  if (mask.key_padding.defined() || mask.key_lengths.defined()) {
    TINYLM_CHECK(scores.size() == 4, op,
                 ": key_padding and key_lengths need 4-D (B, NH, T, HS) operands, the scores are ", scores);
    const int64_t B = scores[0];
    if (mask.key_padding.defined()) {
      TINYLM_CHECK(mask.key_padding.shape() == (Shape{B, Tk}), op, ": key_padding is ", mask.key_padding.shape(),
                   ": expected [B, Tk] = [", B, ", ", Tk, "]");
      add(mask.key_padding.reshape({B, 1, 1, Tk}));
    }
    if (mask.key_lengths.defined()) {
      TINYLM_CHECK(mask.key_lengths.shape() == Shape{B}, op, ": key_lengths is ", mask.key_lengths.shape(),
                   ": expected [B] = [", B, "]");
      add(ge(Tensor<int64_t>::arange(0, Tk).reshape({1, 1, 1, Tk}), mask.key_lengths.reshape({B, 1, 1, 1})));
    }
  }
  if (mask.blocked.defined()) {
    TINYLM_CHECK(mask.blocked.dim() <= static_cast<int64_t>(scores.size()) &&
                     broadcast_shapes(scores, mask.blocked.shape(), op, "scores", "blocked") == scores,
                 op, ": blocked is ", mask.blocked.shape(), ": it must broadcast to the scores' shape ", scores);
    add(mask.blocked);
  }
  if (mask.causal) add(causal_mask(Tq, Tk, device));
  return hidden;
}

}  // namespace detail

/// softmax(q @ k^T / sqrt(HS) + additive) over the keys the mask leaves,
/// [..., Tq, Tk], from primitive ops: a row that sees no key is all zeros.
template <FloatElement T>
Tensor<T> attention_weights(const Tensor<T>& q, const Tensor<T>& k, const AttentionMask<T>& mask) {
  detail::check_attention(q, k, k, "attention_weights");
  const int64_t HS = q.size(-1);
  Tensor<T> scores = matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(HS)));  // (..., Tq, Tk)
  if (mask.additive.defined()) {
    TINYLM_CHECK(mask.additive.dim() <= scores.dim() &&
                     broadcast_shapes(scores.shape(), mask.additive.shape(), "attention_weights", "scores",
                                      "additive") == scores.shape(),
                 "attention_weights: additive is ", mask.additive.shape(), ": it must broadcast to the scores' shape ",
                 scores.shape());
    scores = scores + mask.additive;
  }
  Tensor<bool> hidden = detail::hidden_keys(mask, scores.shape(), q.device(), "attention_weights");
  if (mask.additive.defined()) {  // -inf in the additive mask hides a key too
    const Tensor<bool> minus_inf = eq(scores.detach(), -std::numeric_limits<T>::infinity());
    hidden = hidden.defined() ? logical_or(hidden, minus_inf) : minus_inf;
  }
  if (!hidden.defined()) return softmax(scores, -1);
  // Hidden scores become the lowest finite value (not -inf, whose softmax
  // over a fully hidden row is 0/0); such a row is then zeroed.
  const Tensor<T> weights = softmax(masked_fill(scores, hidden, std::numeric_limits<T>::lowest()), -1);
  const Tensor<bool> sees = gt(sum(where(hidden, T(0), Tensor<T>::ones({1})), {-1}, true), T(0.5));
  return masked_fill(weights, logical_not(sees), T(0));
}

/// attention_weights with only the causal rule and a bool mask.
template <FloatElement T>
Tensor<T> attention_weights(const Tensor<T>& q, const Tensor<T>& k, const Tensor<bool>& blocked = {},
                            bool causal = false) {
  return attention_weights(q, k, AttentionMask<T>{.blocked = blocked, .causal = causal});
}

/// The same attention as the fused kernel, from primitive ops:
/// attention_weights(q, k, mask) @ v.
template <FloatElement T>
Tensor<T> attention_reference(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v,
                              const AttentionMask<T>& mask) {
  detail::check_attention(q, k, v, "attention_reference");
  return matmul(attention_weights(q, k, mask), v);  // (..., Tq, HS)
}

/// attention_reference with only the causal rule.
template <FloatElement T>
Tensor<T> attention_reference(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, bool causal = true) {
  return attention_reference(q, k, v, AttentionMask<T>{.causal = causal});
}

/// Fused attention with a bool mask (true where a query must not see a
/// key) and, optionally, the causal rule.
template <FloatElement T>
Tensor<T> scaled_dot_product_attention(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v,
                                       const Tensor<bool>& blocked, bool causal = false) {
  return scaled_dot_product_attention(q, k, v, AttentionMask<T>{.blocked = blocked, .causal = causal});
}

}  // namespace tinylm

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm {
TINYLM_EXTERN_TEMPLATE Tensor<float> scaled_dot_product_attention(const Tensor<float>&, const Tensor<float>&,
                                                                  const Tensor<float>&, const AttentionMask<float>&);
TINYLM_EXTERN_TEMPLATE Tensor<float> packed_qkv_attention(const Tensor<float>&, int64_t, bool);
}  // namespace tinylm
#endif
