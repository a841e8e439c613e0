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
// online softmax, no Tq x Tk matrix, hand-written backward); it saves q, k,
// v, the output and one log-sum-exp per query. attention_reference() is the
// same computation from matmul, masked_fill and softmax, whose gradients
// come from those ops' backward rules: the version to read, and the one the
// fused kernel is tested against.

#include <cmath>
#include <limits>
#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/kernels/cpu/attention.hpp"
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
  TINYLM_CHECK(q.dim() >= 2 && k.dim() == q.dim() && v.dim() == q.dim(), op, ": q is ", q.shape(), ", k is ",
               k.shape(), ", v is ", v.shape(), ": expected [..., T, HS] with the same number of dims");
  bool ok = k.shape() == v.shape() && q.size(-1) == k.size(-1);
  for (int d = 0; ok && d + 2 < q.dim(); ++d) ok = q.shape()[d] == k.shape()[d];
  TINYLM_CHECK(ok, op, ": q is ", q.shape(), ", k is ", k.shape(), ", v is ", v.shape(),
               ": k and v must match, and share q's leading dims and head size");
}

}  // namespace detail

/// Fused attention (see the file comment).
template <FloatElement T>
Tensor<T> scaled_dot_product_attention(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v,
                                       bool causal = true) {
  detail::check_attention(q, k, v, "scaled_dot_product_attention");
  const int64_t Tq = q.size(-2), Tk = k.size(-2), HS = q.size(-1);
  TINYLM_CHECK(!causal || Tq <= Tk, "scaled_dot_product_attention: causal attention needs Tq <= Tk, got ", Tq,
               " > ", Tk);
  const int64_t BH = q.numel() / std::max<int64_t>(Tq * HS, 1);
  const T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(HS)));
  const Tensor<T> qc = detail::contiguous_data(q), kc = detail::contiguous_data(k), vc = detail::contiguous_data(v);
  Tensor<T> out = Tensor<T>::empty(q.shape());
  Tensor<T> lse = Tensor<T>::empty({BH, Tq});
  kernels::cpu::attention_forward(out.data(), lse.data(), qc.data(), kc.data(), vc.data(), BH, Tq, Tk, HS, scale,
                                  causal);
  if (autograd::needs_grad(q, k, v)) {
    autograd::record(out, "attention", {q, k, v},
                     [qc = qc.detach(), kc = kc.detach(), vc = vc.detach(), o = out.detach(), lse, BH, Tq, Tk, HS,
                      scale, causal](const Tensor<T>& g) {
                       const Tensor<T> gc = detail::contiguous_data(g);
                       Tensor<T> dq = Tensor<T>::empty(qc.shape()), dk = Tensor<T>::empty(kc.shape()),
                                 dv = Tensor<T>::empty(vc.shape());
                       kernels::cpu::attention_backward(dq.data(), dk.data(), dv.data(), gc.data(), qc.data(),
                                                        kc.data(), vc.data(), o.data(), lse.data(), BH, Tq, Tk, HS,
                                                        scale, causal);
                       return std::vector{dq, dk, dv};
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

}  // namespace tinylm
