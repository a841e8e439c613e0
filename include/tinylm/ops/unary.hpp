#pragma once
// Elementwise functions and their derivatives (y is the output).
//
//   exp:      y = e^x                  dx = g * y
//   log:      y = ln x                 dx = g / x
//   sqrt:     y = sqrt x               dx = g / (2 y)
//   tanh:     y = tanh x               dx = g * (1 - y^2)
//   sigmoid:  y = 1 / (1 + e^-x)       dx = g * y * (1 - y)
//   relu:     y = max(x, 0)            dx = g * [x > 0]
//   sin:      y = sin x                dx = g * cos x
//   cos:      y = cos x                dx = -g * sin x
//   abs:      y = |x|                  dx = g * sign(x)          (0 at x = 0, as PyTorch)
//   silu:     y = x * sigmoid(x)       dx = g * s * (1 + x (1 - s)),  s = sigmoid(x)
//
// Ops whose derivative is a function of y save y, not x.

#include <cmath>
#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/ops/detail.hpp"

namespace tinylm {

namespace detail {

/// y = f(x); backward dx = g * D(saved), where saved is x or y. F and D are
/// kernels/functors.hpp function objects, so both directions run on any device.
template <class T, class F, class D>
Tensor<T> unary_op(const Tensor<T>& x, const char* name, F f, D, bool save_output) {
  check_defined(x, name, "x");
  Tensor<T> out = map_unary<T>(x, f);
  if (autograd::needs_grad(x)) {
    const Tensor<T> saved = save_output ? out.detach() : x.detach();
    autograd::record(out, name, {x}, [saved](const Tensor<T>& g) {
      return std::vector{map_binary<T>(g, saved, "backward", kernels::fn::GradTimes<D>{})};
    });
  }
  return out;
}

}  // namespace detail

template <FloatElement T>
Tensor<T> exp(const Tensor<T>& x) {
  return detail::unary_op(x, "exp", kernels::fn::Exp{}, kernels::fn::Identity{}, true);
}

template <FloatElement T>
Tensor<T> log(const Tensor<T>& x) {
  return detail::unary_op(x, "log", kernels::fn::Log{}, kernels::fn::Reciprocal{}, false);
}

template <FloatElement T>
Tensor<T> sqrt(const Tensor<T>& x) {
  return detail::unary_op(x, "sqrt", kernels::fn::Sqrt{}, kernels::fn::SqrtGrad{}, true);
}

template <FloatElement T>
Tensor<T> tanh(const Tensor<T>& x) {
  return detail::unary_op(x, "tanh", kernels::fn::Tanh{}, kernels::fn::TanhGrad{}, true);
}

template <FloatElement T>
Tensor<T> sigmoid(const Tensor<T>& x) {
  return detail::unary_op(x, "sigmoid", kernels::fn::Sigmoid{}, kernels::fn::SigmoidGrad{}, true);
}

template <FloatElement T>
Tensor<T> relu(const Tensor<T>& x) {
  return detail::unary_op(x, "relu", kernels::fn::Relu{}, kernels::fn::Step{}, false);
}

template <FloatElement T>
Tensor<T> sin(const Tensor<T>& x) {
  return detail::unary_op(x, "sin", kernels::fn::Sin{}, kernels::fn::Cos{}, false);
}

template <FloatElement T>
Tensor<T> cos(const Tensor<T>& x) {
  return detail::unary_op(x, "cos", kernels::fn::Cos{}, kernels::fn::NegSin{}, false);
}

template <FloatElement T>
Tensor<T> abs(const Tensor<T>& x) {
  return detail::unary_op(x, "abs", kernels::fn::Abs{}, kernels::fn::Sign{}, false);
}

/// SiLU (swish): x * sigmoid(x), the activation of SwiGLU and LLaMA's MLP.
template <FloatElement T>
Tensor<T> silu(const Tensor<T>& x) {
  return detail::unary_op(x, "silu", kernels::fn::Silu{}, kernels::fn::SiluGrad{}, false);
}

}  // namespace tinylm
