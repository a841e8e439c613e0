#pragma once
// cross_entropy(logits, targets, ignore_index): mean negative log-likelihood
// of integer targets under softmax(logits), fused (formulas in
// kernels/cpu/cross_entropy.hpp). logits are [N, V] (or [..., V] with
// targets [...]); rows whose target equals ignore_index are left out of the
// mean. If every row is ignored the mean is 0/0 = NaN, as in PyTorch.
//
// With label_smoothing eps (as PyTorch's F.cross_entropy), each kept row's
// target is (1 - eps) on its class plus eps / V on every class:
//
//   loss_i = (1 - eps) * -log p_{i, t_i} + eps * mean_j -log p_ij
//
// cross_entropy_reference() computes the same from primitive ops
// (log_softmax, gather, a mask, sum and div); it is what to read, and what
// the fused op is tested against.

#include <cmath>
#include <limits>
#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/kernels/cross_entropy.hpp"
#include "tinylm/kernels/index.hpp"
#include "tinylm/ops/arithmetic.hpp"
#include "tinylm/ops/compare.hpp"
#include "tinylm/ops/copy.hpp"
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
  check_same_device(logits, targets, "cross_entropy");
  TINYLM_CHECK(logits.dim() >= 2, "cross_entropy: logits are ", logits.shape(), ": expected [N, V] (or [..., V])");
  const Shape lead(logits.shape().begin(), logits.shape().end() - 1);
  TINYLM_CHECK(targets.shape() == lead, "cross_entropy: logits are ", logits.shape(), ", targets are ", targets.shape(),
               ": targets must be logits.shape[:-1] = ", lead);
  const int64_t V = logits.size(-1), N = lead.numel();
  const Tensor<I> tc = contiguous_data(targets);
  const int64_t bad = kernels::find_invalid_index(tc.device(), tc.data(), N, V, ignore_index);
  TINYLM_CHECK(bad < 0, "cross_entropy: target ",
               static_cast<int64_t>(detail::read_element(tc.data() + bad, tc.device())), " at position ", bad,
               " is out of range for ", V, " classes");
  return {N, V};
}

}  // namespace detail

/// How cross_entropy treats its targets.
struct CrossEntropyOptions {
  int64_t ignore_index = -100;   // rows with this target are left out of the mean
  double label_smoothing = 0.0;  // eps in [0, 1]: the target's weight moved to the uniform distribution
};

template <FloatElement T, IndexElement I>
Tensor<T> cross_entropy(const Tensor<T>& logits, const Tensor<I>& targets, const CrossEntropyOptions& options) {
  const int64_t ignore_index = options.ignore_index;
  TINYLM_CHECK(options.label_smoothing >= 0.0 && options.label_smoothing <= 1.0, "cross_entropy: label_smoothing is ",
               options.label_smoothing, ": it must be in [0, 1]");
  const T eps = static_cast<T>(options.label_smoothing);
  const std::pair<int64_t, int64_t> nv = detail::check_cross_entropy(logits, targets, ignore_index);
  const int64_t N = nv.first, V = nv.second;  // (plain names: the closure below captures them)
  const Tensor<T> x = detail::contiguous_data(logits);
  const Tensor<I> t = detail::contiguous_data(targets);
  Tensor<T> lse = Tensor<T>::empty({N}, x.device());
  Tensor<T> rows = Tensor<T>::empty({N}, x.device());
  const std::pair<T, int64_t> sum =
      kernels::cross_entropy_forward(x.device(), rows.data(), lse.data(), x.data(), t.data(), N, V, ignore_index, eps);
  const T total = sum.first;
  const int64_t count = sum.second;
  Tensor<T> out =
      Tensor<T>::full(Shape{}, count ? total / static_cast<T>(count) : std::numeric_limits<T>::quiet_NaN(), x.device());
  if (autograd::needs_grad(logits)) {
    autograd::record(out, "cross_entropy", {logits},
                     [x = x.detach(), t, lse, N, V, ignore_index, count, eps](const Tensor<T>& g) {
                       Tensor<T> dx = Tensor<T>::empty(x.shape(), x.device());
                       const T scale = count ? g.item() / static_cast<T>(count) : T(0);
                       kernels::cross_entropy_backward(x.device(), dx.data(), x.data(), lse.data(), t.data(), N, V,
                                                       ignore_index, scale, eps);
                       return std::vector{dx};
                     });
  }
  return out;
}

template <FloatElement T, IndexElement I>
Tensor<T> cross_entropy(const Tensor<T>& logits, const Tensor<I>& targets, int64_t ignore_index = -100) {
  return cross_entropy(logits, targets, CrossEntropyOptions{.ignore_index = ignore_index});
}

/// The same loss from primitive ops: -sum(mask * log_softmax(x)[target]) / sum(mask),
/// with label smoothing: the mean of (1 - eps) * -logp[target] + eps * mean_j -logp_j over the kept rows.
template <FloatElement T, IndexElement I>
Tensor<T> cross_entropy_reference(const Tensor<T>& logits, const Tensor<I>& targets,
                                  const CrossEntropyOptions& options) {
  const int64_t ignore_index = options.ignore_index;
  const double eps = options.label_smoothing;
  const auto [N, V] = detail::check_cross_entropy(logits, targets, ignore_index);
  const Tensor<T> logp = log_softmax(logits.reshape({N, V}), -1);           // (N, V)
  const Tensor<int64_t> t = cast<int64_t>(targets.reshape({N, 1}));         // (N, 1)
  const Tensor<bool> kept = ne(t, ignore_index);                            // (N, 1)
  const Tensor<int64_t> safe = where(kept, t, Tensor<int64_t>::zeros({}));  // ignored rows read class 0...
  const Tensor<T> keep = cast<T>(kept);                                     // ...and are masked out here
  const Tensor<T> picked = gather(logp, 1, safe);                           // (N, 1)
  if (eps == 0.0) return neg(sum(picked * keep)) / sum(keep);
  const Tensor<T> smooth = mean(logp, {1}, true);  // (N, 1)
  return neg(sum((picked * (1.0 - eps) + smooth * eps) * keep)) / sum(keep);
}

template <FloatElement T, IndexElement I>
Tensor<T> cross_entropy_reference(const Tensor<T>& logits, const Tensor<I>& targets, int64_t ignore_index = -100) {
  return cross_entropy_reference(logits, targets, CrossEntropyOptions{.ignore_index = ignore_index});
}

}  // namespace tinylm

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm {
TINYLM_EXTERN_TEMPLATE Tensor<float> cross_entropy(const Tensor<float>&, const Tensor<int32_t>&,
                                                   const CrossEntropyOptions&);
}  // namespace tinylm
#endif
