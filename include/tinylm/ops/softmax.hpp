#pragma once
// softmax(x, dim) and log_softmax(x, dim); formulas and the max-subtraction
// trick in kernels/cpu/softmax.hpp. Both save only their output.

#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/kernels/softmax.hpp"
#include "tinylm/ops/detail.hpp"

namespace tinylm {

namespace detail {

template <class T>
Tensor<T> softmax_op(const Tensor<T>& x, int64_t dim, bool log, const char* name) {
  check_defined(x, name, "x");
  const int d = normalize_dim(dim, x.dim(), name);
  const Tensor<T> xc = contiguous_data(x);
  const Shape& s = x.shape();
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; ++i) outer *= s[i];
  for (int i = d + 1; i < s.size(); ++i) inner *= s[i];
  const int64_t n = s.size() ? s[d] : 1;
  Tensor<T> out = Tensor<T>::empty(s, x.device());
  kernels::softmax_forward(x.device(), out.data(), xc.data(), outer, n, inner, log);
  if (autograd::needs_grad(x)) {
    autograd::record(out, name, {x}, [y = out.detach(), outer, n, inner, log](const Tensor<T>& g) {
      const Tensor<T> gc = contiguous_data(g);
      Tensor<T> dx = Tensor<T>::empty(y.shape(), y.device());
      kernels::softmax_backward(y.device(), dx.data(), gc.data(), y.data(), outer, n, inner, log);
      return std::vector{dx};
    });
  }
  return out;
}

}  // namespace detail

template <FloatElement T>
Tensor<T> softmax(const Tensor<T>& x, int64_t dim) {
  return detail::softmax_op(x, dim, false, "softmax");
}

template <FloatElement T>
Tensor<T> log_softmax(const Tensor<T>& x, int64_t dim) {
  return detail::softmax_op(x, dim, true, "log_softmax");
}

}  // namespace tinylm
