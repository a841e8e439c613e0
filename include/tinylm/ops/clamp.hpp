#pragma once
// Bounds: clamp to an interval, and elementwise minimum / maximum of two
// tensors (NumPy broadcasting).
//
//   clamp(x, lo, hi)   y = min(max(x, lo), hi)      dx = g * [lo <= x <= hi]
//   minimum(a, b)      y = min(a, b)                da = g * ([a < b] + [a == b] / 2)
//   maximum(a, b)      y = max(a, b)                da = g * ([a > b] + [a == b] / 2)
//
// Either bound of clamp may be left out (std::nullopt). At a tie, minimum
// and maximum split the gradient evenly between a and b, as PyTorch does; a
// NaN in either input gives NaN, as in PyTorch.

#include <cmath>
#include <optional>
#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/ops/detail.hpp"
#include "tinylm/ops/reduce.hpp"

namespace tinylm {

/// x limited to [lo, hi]; a missing bound does not limit.
template <class T>
Tensor<T> clamp(const Tensor<T>& x, std::optional<double> lo, std::optional<double> hi) {
  detail::check_defined(x, "clamp", "x");
  TINYLM_CHECK(!lo || !hi || *lo <= *hi, "clamp: min (", lo ? *lo : 0.0, ") is greater than max (", hi ? *hi : 0.0,
               ")");
  const bool has_lo = lo.has_value(), has_hi = hi.has_value();
  const T l = has_lo ? static_cast<T>(*lo) : T(0), h = has_hi ? static_cast<T>(*hi) : T(0);
  Tensor<T> out = detail::map_unary<T>(x, kernels::fn::Clamp<T>{has_lo, has_hi, l, h});
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(x)) {
      autograd::record(out, "clamp", {x}, [x = x.detach(), has_lo, has_hi, l, h](const Tensor<T>& g) {
        return std::vector{detail::map_binary<T>(g, x, "clamp", kernels::fn::ClampGrad<T>{has_lo, has_hi, l, h})};
      });
    }
  }
  return out;
}

namespace detail {

/// minimum (take_max false) or maximum of a and b, recorded as `name`.
template <class T>
Tensor<T> min_max(const Tensor<T>& a, const Tensor<T>& b, bool take_max, const char* name) {
  check_defined(a, name, "a");
  check_defined(b, name, "b");
  Tensor<T> out = map_binary<T>(a, b, name, kernels::fn::MinMax{take_max});
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(a, b)) {
      const bool ga = a.requires_grad(), gb = b.requires_grad();
      autograd::record(out, name, {a, b}, [a = a.detach(), b = b.detach(), ga, gb, take_max, name](const Tensor<T>& g) {
        // Share of g that goes to a: 1 where a wins, 1/2 at a tie, 0 where b wins.
        const Tensor<T> to_a = map_binary<T>(a, b, name, kernels::fn::MinMaxShare{take_max});
        Tensor<T> da, db;
        if (ga) da = sum_to(map_binary<T>(g, to_a, name, kernels::fn::Mul{}), a.shape());
        if (gb) db = sum_to(map_binary<T>(g, to_a, name, kernels::fn::MulOneMinus{}), b.shape());
        return std::vector{da, db};
      });
    }
  }
  return out;
}

}  // namespace detail

/// Elementwise min(a, b) with broadcasting.
template <class T>
Tensor<T> minimum(const Tensor<T>& a, const Tensor<T>& b) {
  return detail::min_max(a, b, false, "minimum");
}

/// Elementwise max(a, b) with broadcasting.
template <class T>
Tensor<T> maximum(const Tensor<T>& a, const Tensor<T>& b) {
  return detail::min_max(a, b, true, "maximum");
}

}  // namespace tinylm
