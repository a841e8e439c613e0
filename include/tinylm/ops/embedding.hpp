#pragma once
// embedding(weight, idx): rows of weight [V, C] picked by integer ids of any
// shape; out is idx.shape + [C]. Backward scatter-adds g's rows into a
// zero [V, C] gradient (kernels/cpu/embedding.hpp).

#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/kernels/cpu/embedding.hpp"
#include "tinylm/ops/detail.hpp"

namespace tinylm {

template <FloatElement T, IndexElement I>
Tensor<T> embedding(const Tensor<T>& weight, const Tensor<I>& idx) {
  detail::check_defined(weight, "embedding", "weight");
  detail::check_defined(idx, "embedding", "idx");
  TINYLM_CHECK(weight.dim() == 2, "embedding: weight is ", weight.shape(), ": expected [V, C]");
  const int64_t V = weight.size(0), C = weight.size(1), N = idx.numel();
  const Tensor<I> ic = detail::contiguous_data(idx);
  for (int64_t i = 0; i < N; ++i) {
    const int64_t v = static_cast<int64_t>(ic.data()[i]);
    TINYLM_CHECK(v >= 0 && v < V, "embedding: index ", v, " at position ", i, " is out of range for ", V, " rows");
  }
  const Tensor<T> wc = detail::contiguous_data(weight);
  Shape out_shape = idx.shape();
  out_shape.push_back(C);
  Tensor<T> out = Tensor<T>::empty(out_shape);
  kernels::cpu::embedding_forward(out.data(), wc.data(), ic.data(), N, C);
  if (autograd::needs_grad(weight)) {
    autograd::record(out, "embedding", {weight}, [ic, V, C, N](const Tensor<T>& g) {
      const Tensor<T> gc = detail::contiguous_data(g);
      Tensor<T> dw = Tensor<T>::zeros({V, C});
      kernels::cpu::embedding_backward(dw.data(), gc.data(), ic.data(), N, C);
      return std::vector{dw};
    });
  }
  return out;
}

}  // namespace tinylm
