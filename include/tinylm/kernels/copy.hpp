#pragma once
// Dense copies of tensors, without autograd: what every op, the autograd
// engine and clone() use to get a contiguous buffer.

#include "tinylm/core/tensor.hpp"
#include "tinylm/kernels/elementwise.hpp"

namespace tinylm::kernels {

/// A new contiguous tensor with t's values (no graph).
template <class T>
Tensor<T> dense_copy(const Tensor<T>& t) {
  Tensor<T> out = Tensor<T>::empty(t.shape(), t.device());
  const Shape dst = contiguous_strides(t.shape());
  copy_strided(t.device(), out.data(), dst.data(), t.data(), t.strides().data(), t.shape().data(), t.dim());
  return out;
}

/// `t` itself when already contiguous, else dense_copy(t).
template <class T>
Tensor<T> contiguous_data(const Tensor<T>& t) {
  return t.is_contiguous() ? t : dense_copy(t);
}

}  // namespace tinylm::kernels
