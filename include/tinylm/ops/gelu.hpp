#pragma once
// GELU, fused, in both forms (formulas in kernels/cpu/activation.hpp):
//
//   gelu(x)                      exact, x * Phi(x) (PyTorch's default)
//   gelu(x, GeluApprox::Tanh)    GPT-2's tanh approximation
//
// Backward: dx = g * gelu'(x); saves x. gelu_tanh_reference() builds the
// tanh form from primitive ops, for reading and for testing the fused one.

#include <cmath>
#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/kernels/activation.hpp"
#include "tinylm/ops/arithmetic.hpp"
#include "tinylm/ops/detail.hpp"
#include "tinylm/ops/unary.hpp"

namespace tinylm {

enum class GeluApprox { None, Tanh };

template <FloatElement T>
Tensor<T> gelu(const Tensor<T>& x, GeluApprox approx = GeluApprox::None) {
  detail::check_defined(x, "gelu", "x");
  const Tensor<T> xc = detail::contiguous_data(x);
  Tensor<T> out = Tensor<T>::empty(x.shape(), x.device());
  if (approx == GeluApprox::Tanh) kernels::gelu_tanh_forward(x.device(), out.data(), xc.data(), x.numel());
  else kernels::gelu_erf_forward(x.device(), out.data(), xc.data(), x.numel());
  if (autograd::needs_grad(x)) {
    autograd::record(out, approx == GeluApprox::Tanh ? "gelu_tanh" : "gelu", {x},
                     [xc = xc.detach(), approx](const Tensor<T>& g) {
                       const Tensor<T> gc = detail::contiguous_data(g);
                       const Device dev = xc.device();
                       Tensor<T> dx = Tensor<T>::empty(xc.shape(), dev);
                       if (approx == GeluApprox::Tanh)
                         kernels::gelu_tanh_backward(dev, dx.data(), gc.data(), xc.data(), xc.numel());
                       else kernels::gelu_erf_backward(dev, dx.data(), gc.data(), xc.data(), xc.numel());
                       return std::vector{dx};
                     });
  }
  return out;
}

/// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) from primitive ops.
template <FloatElement T>
Tensor<T> gelu_tanh_reference(const Tensor<T>& x) {
  const Tensor<T> inner = (x + pow(x, 3) * kernels::kGeluCoeff) * kernels::kSqrt2OverPi;
  return x * 0.5 * (tanh(inner) + 1.0);
}

}  // namespace tinylm

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm {
TINYLM_EXTERN_TEMPLATE Tensor<float> gelu(const Tensor<float>&, GeluApprox);
}  // namespace tinylm
#endif
