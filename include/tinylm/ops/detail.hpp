#pragma once
// Helpers every op uses: a contiguous read of an input, and running an
// elementwise kernel over broadcast operands into a new tensor. None of
// these record graph nodes; ops do that themselves, beside the forward.

#include <type_traits>

#include "tinylm/autograd/node.hpp"
#include "tinylm/core/tensor.hpp"
#include "tinylm/kernels/copy.hpp"
#include "tinylm/kernels/elementwise.hpp"

namespace tinylm::detail {

/// `t` itself when already contiguous, else a contiguous copy (no graph).
using kernels::contiguous_data;

/// out = f(a) elementwise, as a new contiguous tensor.
template <class To, class T, class F>
Tensor<To> map_unary(const Tensor<T>& a, F f) {
  const Tensor<T> ac = contiguous_data(a);
  Tensor<To> out = Tensor<To>::empty(a.shape(), a.device());
  kernels::map(a.device(), out.data(), ac.data(), a.numel(), f);
  return out;
}

/// out = f(a, b) elementwise with NumPy broadcasting.
template <class To, class Ta, class Tb, class F>
Tensor<To> map_binary(const Tensor<Ta>& a, const Tensor<Tb>& b, const char* op, F f) {
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  Tensor<To> out = Tensor<To>::empty(shape, a.device());
  if (a.is_contiguous() && b.is_contiguous() && a.shape() == shape && b.shape() == shape) {
    kernels::map2(a.device(), out.data(), a.data(), b.data(), shape.numel(), f);
    return out;
  }
  const Shape sa = broadcast_strides(a.shape(), a.strides(), shape);
  const Shape sb = broadcast_strides(b.shape(), b.strides(), shape);
  kernels::binary_strided(a.device(), out.data(), a.data(), sa.data(), b.data(), sb.data(), shape.data(), shape.size(),
                          f);
  return out;
}

/// Throws unless `t` is defined; `what` names the argument in the message.
template <class T>
void check_defined(const Tensor<T>& t, const char* op, const char* what) {
  TINYLM_CHECK(t.defined(), op, ": ", what, " is an undefined tensor");
}

}  // namespace tinylm::detail
