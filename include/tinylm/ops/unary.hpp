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

/// y = f(x); backward dx = g * d(saved), where saved is x or y.
template <class T, class F, class D>
Tensor<T> unary_op(const Tensor<T>& x, const char* name, F f, D dfdsaved, bool save_output) {
  check_defined(x, name, "x");
  Tensor<T> out = map_unary<T>(x, f);
  if (autograd::needs_grad(x)) {
    const Tensor<T> saved = save_output ? out.detach() : x.detach();
    autograd::record(out, name, {x}, [saved, dfdsaved](const Tensor<T>& g) {
      return std::vector{map_binary<T>(g, saved, "backward", [dfdsaved](T gv, T s) { return gv * dfdsaved(s); })};
    });
  }
  return out;
}

}  // namespace detail

template <FloatElement T>
Tensor<T> exp(const Tensor<T>& x) {
  return detail::unary_op(
      x, "exp", [](T v) { return std::exp(v); }, [](T y) { return y; }, true);
}

template <FloatElement T>
Tensor<T> log(const Tensor<T>& x) {
  return detail::unary_op(
      x, "log", [](T v) { return std::log(v); }, [](T v) { return T(1) / v; }, false);
}

template <FloatElement T>
Tensor<T> sqrt(const Tensor<T>& x) {
  return detail::unary_op(
      x, "sqrt", [](T v) { return std::sqrt(v); }, [](T y) { return T(0.5) / y; }, true);
}

template <FloatElement T>
Tensor<T> tanh(const Tensor<T>& x) {
  return detail::unary_op(
      x, "tanh", [](T v) { return std::tanh(v); }, [](T y) { return T(1) - y * y; }, true);
}

template <FloatElement T>
Tensor<T> sigmoid(const Tensor<T>& x) {
  return detail::unary_op(
      x, "sigmoid",
      [](T v) {
        // Written so that neither branch overflows exp().
        return v >= T(0) ? T(1) / (T(1) + std::exp(-v)) : std::exp(v) / (T(1) + std::exp(v));
      },
      [](T y) { return y * (T(1) - y); }, true);
}

template <FloatElement T>
Tensor<T> relu(const Tensor<T>& x) {
  return detail::unary_op(
      x, "relu", [](T v) { return v > T(0) ? v : T(0); }, [](T v) { return v > T(0) ? T(1) : T(0); }, false);
}

template <FloatElement T>
Tensor<T> sin(const Tensor<T>& x) {
  return detail::unary_op(
      x, "sin", [](T v) { return std::sin(v); }, [](T v) { return std::cos(v); }, false);
}

template <FloatElement T>
Tensor<T> cos(const Tensor<T>& x) {
  return detail::unary_op(
      x, "cos", [](T v) { return std::cos(v); }, [](T v) { return -std::sin(v); }, false);
}

template <FloatElement T>
Tensor<T> abs(const Tensor<T>& x) {
  return detail::unary_op(
      x, "abs", [](T v) { return std::fabs(v); }, [](T v) { return v > T(0)   ? T(1)
                                                                   : v < T(0) ? T(-1)
                                                                              : T(0); }, false);
}

/// SiLU (swish): x * sigmoid(x), the activation of SwiGLU and LLaMA's MLP.
template <FloatElement T>
Tensor<T> silu(const Tensor<T>& x) {
  auto sig = [](T v) { return v >= T(0) ? T(1) / (T(1) + std::exp(-v)) : std::exp(v) / (T(1) + std::exp(v)); };
  return detail::unary_op(
      x, "silu", [sig](T v) { return v * sig(v); },
      [sig](T v) {
        const T s = sig(v);
        return s * (T(1) + v * (T(1) - s));
      },
      false);
}

}  // namespace tinylm
