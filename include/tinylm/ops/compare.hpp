#pragma once
// Comparisons, selection and masks.
//
//   eq, ne, lt, le, gt, ge (tensor or scalar)  -> Tensor<bool>, not differentiable
//   logical_not(mask), logical_and(a, b), logical_or(a, b)   masks, broadcast
//   where(cond, a, b)       out = cond ? a : b (all broadcast)
//                           da = sum_to(g where cond), db = sum_to(g where !cond)
//   masked_fill(x, mask, v) out = mask ? v : x (mask broadcasts to x)
//                           dx = g where !mask
//   tril(x, k)              zero above the k-th diagonal of the last two dims; dx = tril(g, k)
//   causal_mask(T)          [T, T] bool, true where key j is in the future of query i (j > i),
//                           i.e. the positions causal attention must not see; causal_mask(Tq, Tk)
//                           for the last Tq queries over Tk keys (decoding with a KV cache)

#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/kernels/elementwise.hpp"
#include "tinylm/kernels/mask.hpp"
#include "tinylm/ops/arithmetic.hpp"
#include "tinylm/ops/detail.hpp"
#include "tinylm/ops/reduce.hpp"

namespace tinylm {

#define TINYLM_COMPARISON(name, Functor)                                                   \
  template <class T>                                                                       \
  Tensor<bool> name(const Tensor<T>& a, const Tensor<T>& b) {                              \
    detail::check_defined(a, #name, "a");                                                  \
    detail::check_defined(b, #name, "b");                                                  \
    return detail::map_binary<bool>(a, b, #name, kernels::fn::Functor{});                  \
  }                                                                                        \
  template <class T, Scalar S>                                                             \
  Tensor<bool> name(const Tensor<T>& a, S s) {                                             \
    detail::check_defined(a, #name, "a");                                                  \
    return detail::map_unary<bool>(a, kernels::fn::Functor##Scalar<T>{static_cast<T>(s)}); \
  }

TINYLM_COMPARISON(eq, Eq)
TINYLM_COMPARISON(ne, Ne)
TINYLM_COMPARISON(lt, Lt)
TINYLM_COMPARISON(le, Le)
TINYLM_COMPARISON(gt, Gt)
TINYLM_COMPARISON(ge, Ge)
#undef TINYLM_COMPARISON

inline Tensor<bool> logical_not(const Tensor<bool>& m) {
  detail::check_defined(m, "logical_not", "mask");
  return detail::map_unary<bool>(m, kernels::fn::LogicalNot{});
}

inline Tensor<bool> logical_and(const Tensor<bool>& a, const Tensor<bool>& b) {
  detail::check_defined(a, "logical_and", "a");
  detail::check_defined(b, "logical_and", "b");
  return detail::map_binary<bool>(a, b, "logical_and", kernels::fn::LogicalAnd{});
}

inline Tensor<bool> logical_or(const Tensor<bool>& a, const Tensor<bool>& b) {
  detail::check_defined(a, "logical_or", "a");
  detail::check_defined(b, "logical_or", "b");
  return detail::map_binary<bool>(a, b, "logical_or", kernels::fn::LogicalOr{});
}

namespace detail {

/// out = cond ? a : b over the broadcast of all three shapes.
template <class T>
Tensor<T> select_kernel(const Tensor<bool>& cond, const Tensor<T>& a, const Tensor<T>& b, const char* op) {
  const Shape shape =
      broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), op, "cond", "a"), b.shape(), op, "cond with a", "b");
  Tensor<T> out = Tensor<T>::empty(shape, a.device());
  const Shape sc = broadcast_strides(cond.shape(), cond.strides(), shape);
  const Shape sa = broadcast_strides(a.shape(), a.strides(), shape);
  const Shape sb = broadcast_strides(b.shape(), b.strides(), shape);
  kernels::ternary_strided(a.device(), out.data(), cond.data(), sc.data(), a.data(), sa.data(), b.data(), sb.data(),
                           shape.data(), shape.size(), kernels::fn::Select{});
  return out;
}

}  // namespace detail

template <class T>
Tensor<T> where(const Tensor<bool>& cond, const Tensor<T>& a, const Tensor<T>& b) {
  detail::check_defined(cond, "where", "cond");
  detail::check_defined(a, "where", "a");
  detail::check_defined(b, "where", "b");
  Tensor<T> out = detail::select_kernel(cond, a, b, "where");
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(a, b)) {
      autograd::record(out, "where", {a, b}, [cond, sa = a.shape(), sb = b.shape()](const Tensor<T>& g) {
        const Tensor<T> zero = Tensor<T>::zeros({}, g.device());
        return std::vector{sum_to(detail::select_kernel(cond, g, zero, "where"), sa),
                           sum_to(detail::select_kernel(cond, zero, g, "where"), sb)};
      });
    }
  }
  return out;
}

/// cond ? a : value, where `value` is a number.
template <class T, Scalar S>
Tensor<T> where(const Tensor<bool>& cond, const Tensor<T>& a, S value) {
  detail::check_defined(a, "where", "a");
  return where(cond, a, Tensor<T>::full({}, static_cast<T>(value), a.device()));
}

/// cond ? value : b, where `value` is a number.
template <class T, Scalar S>
Tensor<T> where(const Tensor<bool>& cond, S value, const Tensor<T>& b) {
  detail::check_defined(b, "where", "b");
  return where(cond, Tensor<T>::full({}, static_cast<T>(value), b.device()), b);
}

/// x with `value` wherever mask is true; mask broadcasts to x's shape.
template <class T, Scalar S>
Tensor<T> masked_fill(const Tensor<T>& x, const Tensor<bool>& mask, S value) {
  detail::check_defined(x, "masked_fill", "x");
  detail::check_defined(mask, "masked_fill", "mask");
  const Shape shape = broadcast_shapes(x.shape(), mask.shape(), "masked_fill", "x", "mask");
  TINYLM_CHECK(shape == x.shape(), "masked_fill: mask of shape ", mask.shape(), " does not broadcast to x's shape ",
               x.shape());
  const T v = static_cast<T>(value);
  Tensor<T> out = detail::map_binary<T>(x, mask, "masked_fill", kernels::fn::MaskedFill<T>{v});
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(x)) {
      autograd::record(out, "masked_fill", {x}, [mask](const Tensor<T>& g) {
        return std::vector{detail::map_binary<T>(g, mask, "masked_fill", kernels::fn::MaskedZero{})};
      });
    }
  }
  return out;
}

/// Keeps elements with column - row <= k in the last two dims; zeroes the rest.
template <class T>
Tensor<T> tril(const Tensor<T>& x, int64_t k = 0) {
  detail::check_defined(x, "tril", "x");
  TINYLM_CHECK(x.dim() >= 2, "tril: needs at least 2 dimensions, got shape ", x.shape());
  const Tensor<T> xc = detail::contiguous_data(x);
  Tensor<T> out = Tensor<T>::empty(x.shape(), x.device());
  const int64_t R = x.size(-2), C = x.size(-1), batch = x.numel() / std::max<int64_t>(R * C, 1);
  kernels::tril(x.device(), out.data(), xc.data(), batch, R, C, k);
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(x))
      autograd::record(out, "tril", {x}, [k](const Tensor<T>& g) { return std::vector{tril(g, k)}; });
  }
  return out;
}

/// [Tq, Tk] mask, true at (i, j) where key j is in the future of query i.
/// Queries are the last Tq of Tk positions (query i sits at Tk - Tq + i), so
/// Tq = Tk is the usual square mask and Tq < Tk is decoding with a KV cache.
/// Use it as masked_fill(scores, mask, -inf).
inline Tensor<bool> causal_mask(int64_t Tq, int64_t Tk, Device device = Device::cpu()) {
  TINYLM_CHECK(Tq >= 0 && Tk >= Tq, "causal_mask: need 0 <= Tq <= Tk, got Tq = ", Tq, ", Tk = ", Tk);
  Tensor<bool> m = Tensor<bool>::empty({Tq, Tk}, device);
  kernels::causal_mask(device, m.data(), Tq, Tk);
  return m;
}

/// [T, T] mask, true at (i, j) when j > i.
inline Tensor<bool> causal_mask(int64_t T, Device device = Device::cpu()) { return causal_mask(T, T, device); }

}  // namespace tinylm

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm {
TINYLM_EXTERN_TEMPLATE Tensor<float> masked_fill(const Tensor<float>&, const Tensor<bool>&, float);
}  // namespace tinylm
#endif
