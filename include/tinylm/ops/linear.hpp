#pragma once
// linear(x, W, b): y = x @ W + b for x [..., in], W [in, out], b [out].
//
// W is stored [in, out] (GPT-2's Conv1D layout), so the forward is a plain
// GEMM. The bias is fused: each GEMM thread starts its rows of C as b and
// accumulates the product into them. Backward, over the N = numel / in rows:
//
//   dx = dy @ W^T      dW = x^T @ dy      db = sum over rows of dy
//
// dW is one [in, N] x [N, out] GEMM with the transpose read in place.

#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/kernels/gemm.hpp"
#include "tinylm/kernels/reduce.hpp"
#include "tinylm/ops/detail.hpp"

namespace tinylm {

template <FloatElement T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b = Tensor<T>()) {
  detail::check_defined(x, "linear", "x");
  detail::check_defined(w, "linear", "weight");
  TINYLM_CHECK(w.dim() == 2, "linear: weight is ", w.shape(), ": expected [in, out]");
  TINYLM_CHECK(x.dim() >= 1 && x.size(-1) == w.size(0), "linear: x is ", x.shape(), ", weight is ", w.shape(),
               ": x.shape[-1] must equal weight.shape[0] (", x.dim() ? x.size(-1) : 0, " != ", w.size(0), ")");
  const int64_t in = w.size(0), out_f = w.size(1), N = x.numel() / std::max<int64_t>(in, 1);
  TINYLM_CHECK(!b.defined() || b.shape() == Shape{out_f}, "linear: weight is ", w.shape(), ", bias is ", b.shape(),
               ": bias must be [", out_f, "]");
  const Tensor<T> xc = detail::contiguous_data(x), wc = detail::contiguous_data(w);
  Shape out_shape = x.shape();
  out_shape[out_shape.size() - 1] = out_f;
  Tensor<T> out = Tensor<T>::empty(out_shape, x.device());
  const Tensor<T> bc = b.defined() ? detail::contiguous_data(b) : Tensor<T>();
  kernels::gemm<T>(x.device(), {.M = N,
                                .N = out_f,
                                .K = in,
                                .a = {xc.data(), in},
                                .b = {wc.data(), out_f},
                                .c = out.data(),
                                .ldc = out_f,
                                .bias = bc.defined() ? bc.data() : nullptr});
  if (autograd::needs_grad(x, w, b)) {
    const bool gx = x.requires_grad(), gw = w.requires_grad(), gb = b.requires_grad();
    autograd::record(out, "linear", {x, w, b},
                     [xc = xc.detach(), wc = wc.detach(), N, in, out_f, gx, gw, gb](const Tensor<T>& g) {
                       const Tensor<T> gc = detail::contiguous_data(g);
                       const Device dev = g.device();
                       Tensor<T> dx, dw, db;
                       if (gx) {  // dx = dy @ W^T
                         dx = Tensor<T>::empty(xc.shape(), dev);
                         kernels::gemm<T>(dev, {.M = N,
                                                .N = in,
                                                .K = out_f,
                                                .a = {gc.data(), out_f},
                                                .b = {.data = wc.data(), .ld = out_f, .transposed = true},
                                                .c = dx.data(),
                                                .ldc = in});
                       }
                       if (gw) {  // dW = x^T @ dy
                         dw = Tensor<T>::empty({in, out_f}, dev);
                         kernels::gemm<T>(dev, {.M = in,
                                                .N = out_f,
                                                .K = N,
                                                .a = {.data = xc.data(), .ld = in, .transposed = true},
                                                .b = {gc.data(), out_f},
                                                .c = dw.data(),
                                                .ldc = out_f});
                       }
                       if (gb) {  // db = sum over rows of dy
                         db = Tensor<T>::empty({out_f}, dev);
                         kernels::sum_axis(dev, db.data(), gc.data(), int64_t{1}, N, out_f);
                       }
                       return std::vector{dx, dw, db};
                     });
  }
  return out;
}

}  // namespace tinylm

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm {
TINYLM_EXTERN_TEMPLATE Tensor<float> linear(const Tensor<float>&, const Tensor<float>&, const Tensor<float>&);
}  // namespace tinylm
#endif
