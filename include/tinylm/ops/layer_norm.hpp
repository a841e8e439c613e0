#pragma once
// layer_norm(x, weight, bias, eps): normalizes over the last dim, fused
// (formulas in kernels/cpu/layernorm.hpp). weight and bias are [C] and may
// be undefined tensors (no affine transform). Saves x, mean and rstd.
//
// layer_norm_reference() builds the same from mean, sub, mul, sqrt and div,
// for reading and for testing the fused op against.

#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/kernels/layernorm.hpp"
#include "tinylm/ops/arithmetic.hpp"
#include "tinylm/ops/detail.hpp"
#include "tinylm/ops/reduce.hpp"
#include "tinylm/ops/unary.hpp"

namespace tinylm {

namespace detail {

template <class T>
void check_layer_norm(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b) {
  check_defined(x, "layer_norm", "x");
  TINYLM_CHECK(x.dim() >= 1, "layer_norm: x is a 0-d tensor; it needs a last dim to normalize over");
  const int64_t C = x.size(-1);
  TINYLM_CHECK(!w.defined() || (w.dim() == 1 && w.size(0) == C), "layer_norm: x is ", x.shape(), ", weight is ",
               w.shape(), ": weight must be one vector of x.shape[-1] = ", C, " values");
  TINYLM_CHECK(!b.defined() || (b.dim() == 1 && b.size(0) == C), "layer_norm: x is ", x.shape(), ", bias is ",
               b.shape(), ": bias must be one vector of x.shape[-1] = ", C, " values");
}

}  // namespace detail

template <FloatElement T>
Tensor<T> layer_norm(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias, double eps = 1e-5) {
  detail::check_layer_norm(x, weight, bias);
  const int64_t C = x.size(-1), N = x.numel() / std::max<int64_t>(C, 1);
  const Tensor<T> xc = detail::contiguous_data(x);
  const Tensor<T> wc = weight.defined() ? detail::contiguous_data(weight) : Tensor<T>();
  const Tensor<T> bc = bias.defined() ? detail::contiguous_data(bias) : Tensor<T>();
  const Device dev = x.device();
  Tensor<T> out = Tensor<T>::empty(x.shape(), dev);
  Tensor<T> mean = Tensor<T>::empty({N}, dev);
  Tensor<T> rstd = Tensor<T>::empty({N}, dev);
  kernels::layernorm_forward(dev, out.data(), mean.data(), rstd.data(), xc.data(), wc.defined() ? wc.data() : nullptr,
                             bc.defined() ? bc.data() : nullptr, N, C, static_cast<T>(eps));
  if (autograd::needs_grad(x, weight, bias)) {
    const bool gw = weight.requires_grad(), gb = bias.requires_grad();
    autograd::record(
        out, "layer_norm", {x, weight, bias},
        [xc = xc.detach(), wc = wc.defined() ? wc.detach() : wc, mean, rstd, N, C, gw, gb](const Tensor<T>& g) {
          const Tensor<T> gc = detail::contiguous_data(g);
          const Device dev = xc.device();
          Tensor<T> dx = Tensor<T>::empty(xc.shape(), dev);
          Tensor<T> dw = gw ? Tensor<T>::empty({C}, dev) : Tensor<T>();
          Tensor<T> db = gb ? Tensor<T>::empty({C}, dev) : Tensor<T>();
          kernels::layernorm_backward(dev, dx.data(), gw ? dw.data() : nullptr, gb ? db.data() : nullptr, gc.data(),
                                      xc.data(), mean.data(), rstd.data(), wc.defined() ? wc.data() : nullptr, N, C);
          return std::vector{dx, dw, db};
        });
  }
  return out;
}

/// (x - mean) / sqrt(var + eps) * weight + bias, from primitive ops.
template <FloatElement T>
Tensor<T> layer_norm_reference(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias, double eps = 1e-5) {
  detail::check_layer_norm(x, weight, bias);
  const Tensor<T> mu = mean(x, {-1}, true);
  const Tensor<T> xc = x - mu;
  const Tensor<T> var = mean(xc * xc, {-1}, true);  // biased, as LayerNorm uses
  Tensor<T> y = xc / sqrt(var + eps);
  if (weight.defined()) y = y * weight;
  if (bias.defined()) y = y + bias;
  return y;
}

}  // namespace tinylm

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm {
TINYLM_EXTERN_TEMPLATE Tensor<float> layer_norm(const Tensor<float>&, const Tensor<float>&, const Tensor<float>&,
                                                double);
}  // namespace tinylm
#endif
