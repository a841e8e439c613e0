#pragma once
// embedding(weight, idx): rows of weight [V, C] picked by integer ids of any
// shape; out is idx.shape + [C]. Backward scatter-adds g's rows into a
// zero [V, C] gradient (kernels/cpu/embedding.hpp).

#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/kernels/embedding.hpp"
#include "tinylm/kernels/index.hpp"
#include "tinylm/ops/detail.hpp"

namespace tinylm {

template <FloatElement T, IndexElement I>
Tensor<T> embedding(const Tensor<T>& weight, const Tensor<I>& idx) {
  detail::check_defined(weight, "embedding", "weight");
  detail::check_defined(idx, "embedding", "idx");
  detail::check_same_device(weight, idx, "embedding");
  TINYLM_CHECK(weight.dim() == 2, "embedding: weight is ", weight.shape(), ": expected [V, C]");
  const int64_t V = weight.size(0), C = weight.size(1), N = idx.numel();
  const Tensor<I> ic = detail::contiguous_data(idx);
  const int64_t bad = kernels::find_invalid_index(ic.device(), ic.data(), N, V);
  TINYLM_CHECK(bad < 0, "embedding: index ", static_cast<int64_t>(detail::read_element(ic.data() + bad, ic.device())),
               " at position ", bad, " is out of range for ", V, " rows");
  const Tensor<T> wc = detail::contiguous_data(weight);
  Shape out_shape = idx.shape();
  out_shape.push_back(C);
  Tensor<T> out = Tensor<T>::empty(out_shape, weight.device());
  kernels::embedding_forward(weight.device(), out.data(), wc.data(), ic.data(), N, C);
  if (autograd::needs_grad(weight)) {
    autograd::record(out, "embedding", {weight}, [ic, V, C, N](const Tensor<T>& g) {
      const Tensor<T> gc = detail::contiguous_data(g);
      Tensor<T> dw = Tensor<T>::empty({V, C}, g.device());
      kernels::fill(g.device(), dw.data(), T(0), dw.numel());
      kernels::embedding_backward(g.device(), dw.data(), gc.data(), ic.data(), N, C);
      return std::vector{dw};
    });
  }
  return out;
}

}  // namespace tinylm

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm {
TINYLM_EXTERN_TEMPLATE Tensor<float> embedding(const Tensor<float>&, const Tensor<int32_t>&);
TINYLM_EXTERN_TEMPLATE Tensor<float> embedding(const Tensor<float>&, const Tensor<int64_t>&);
}  // namespace tinylm
#endif
