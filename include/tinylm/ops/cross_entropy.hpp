#pragma once
// cross_entropy(logits, targets, ignore_index): mean negative log-likelihood
// of integer targets under softmax(logits), fused (formulas in
// kernels/cpu/cross_entropy.hpp). logits are [N, V] (or [..., V] with
// targets [...]); rows whose target equals ignore_index are left out of the
// mean. If every row is ignored the mean is 0/0 = NaN, as in PyTorch.
//
// cross_entropy_reference() computes the same from primitive ops
// (log_softmax, gather, a mask, sum and div); it is what to read, and what
// the fused op is tested against.

#include <cmath>
#include <limits>
#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/kernels/cpu/cross_entropy.hpp"
#include "tinylm/ops/arithmetic.hpp"
#include "tinylm/ops/detail.hpp"
#include "tinylm/ops/gather.hpp"
#include "tinylm/ops/reduce.hpp"
#include "tinylm/ops/softmax.hpp"
#include "tinylm/ops/view.hpp"

namespace tinylm {

namespace detail {

/// Checks shapes and target range; returns {N, V}.
template <class T, class I>
std::pair<int64_t, int64_t> check_cross_entropy(const Tensor<T>& logits, const Tensor<I>& targets,
                                                int64_t ignore_index) {
  check_defined(logits, "cross_entropy", "logits");
  check_defined(targets, "cross_entropy", "targets");
  TINYLM_CHECK(logits.dim() >= 2, "cross_entropy: logits are ", logits.shape(),
               ": expected [N, V] (or [..., V])");
  const Shape lead(logits.shape().begin(), logits.shape().end() - 1);
  TINYLM_CHECK(targets.shape() == lead, "cross_entropy: logits are ", logits.shape(), ", targets are ",
               targets.shape(), ": targets must be logits.shape[:-1] = ", lead);
  const int64_t V = logits.size(-1), N = lead.numel();
  const Tensor<I> tc = contiguous_data(targets);
  for (int64_t i = 0; i < N; ++i) {
    const int64_t t = static_cast<int64_t>(tc.data()[i]);
    TINYLM_CHECK(t == ignore_index || (t >= 0 && t < V), "cross_entropy: target ", t, " at position ", i,
                 " is out of range for ", V, " classes");
  }
  return {N, V};
}

}  // namespace detail

template <FloatElement T, IndexElement I>
Tensor<T> cross_entropy(const Tensor<T>& logits, const Tensor<I>& targets, int64_t ignore_index = -100) {
  const auto [N, V] = detail::check_cross_entropy(logits, targets, ignore_index);
  const Tensor<T> x = detail::contiguous_data(logits);
  const Tensor<I> t = detail::contiguous_data(targets);
  Tensor<T> lse = Tensor<T>::empty({N});
  Tensor<T> rows = Tensor<T>::empty({N});
  kernels::cpu::cross_entropy_forward(rows.data(), lse.data(), x.data(), t.data(), N, V, ignore_index);
  int64_t count = 0;
  T total = T(0);
  for (int64_t i = 0; i < N; ++i) {
    if (static_cast<int64_t>(t.data()[i]) == ignore_index) continue;
    ++count;
    total += rows.data()[i];
  }
  Tensor<T> out = Tensor<T>::scalar(count ? total / static_cast<T>(count) : std::numeric_limits<T>::quiet_NaN());
  if (autograd::needs_grad(logits)) {
    autograd::record(out, "cross_entropy", {logits},
                     [x = x.detach(), t, lse, N, V, ignore_index, count](const Tensor<T>& g) {
                       Tensor<T> dx = Tensor<T>::empty(x.shape());
                       const T scale = count ? g.item() / static_cast<T>(count) : T(0);
                       kernels::cpu::cross_entropy_backward(dx.data(), x.data(), lse.data(), t.data(), N, V,
                                                            ignore_index, scale);
                       return std::vector{dx};
                     });
  }
  return out;
}

/// The same loss from primitive ops: -sum(mask * log_softmax(x)[target]) / sum(mask).
template <FloatElement T, IndexElement I>
Tensor<T> cross_entropy_reference(const Tensor<T>& logits, const Tensor<I>& targets, int64_t ignore_index = -100) {
  const auto [N, V] = detail::check_cross_entropy(logits, targets, ignore_index);
  const Tensor<T> logp = log_softmax(logits.reshape({N, V}), -1);  // (N, V)
  const Tensor<I> tc = detail::contiguous_data(targets);
  Tensor<int64_t> safe = Tensor<int64_t>::empty({N, 1});  // ignored rows read class 0, then get masked out
  Tensor<T> keep = Tensor<T>::empty({N, 1});
  for (int64_t i = 0; i < N; ++i) {
    const bool ignored = static_cast<int64_t>(tc.data()[i]) == ignore_index;
    safe.data()[i] = ignored ? 0 : static_cast<int64_t>(tc.data()[i]);
    keep.data()[i] = ignored ? T(0) : T(1);
  }
  const Tensor<T> picked = gather(logp, 1, safe);  // (N, 1)
  return neg(sum(picked * keep)) / sum(keep);
}

}  // namespace tinylm
