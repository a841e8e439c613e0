#pragma once
// dropout(x, p, training, gen): in training, zeroes each element with
// probability p and scales the survivors by 1 / (1 - p), so the expected
// value is unchanged; in evaluation (or p = 0) returns x. Each call takes
// one key from `gen` and draws element i's keep from Philox's counter-based
// words (kernels/philox.hpp), so a seed fixes the mask on every device and
// thread count.
//
//   y = x * mask,  mask_i = [u_i >= p] / (1 - p)      dx = g * mask

#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/core/rng.hpp"
#include "tinylm/kernels/dropout.hpp"
#include "tinylm/ops/arithmetic.hpp"
#include "tinylm/ops/detail.hpp"

namespace tinylm {

template <FloatElement T>
Tensor<T> dropout(const Tensor<T>& x, double p, bool training, Generator& gen = default_generator()) {
  detail::check_defined(x, "dropout", "x");
  TINYLM_CHECK(p >= 0.0 && p <= 1.0, "dropout: probability must be in [0, 1], got ", p);
  if (!training || p == 0.0) return x;
  Tensor<T> mask = Tensor<T>::empty(x.shape(), x.device());
  kernels::dropout_mask(x.device(), mask.data(), mask.numel(), p, gen);
  Tensor<T> out = detail::map_binary<T>(x, mask, "dropout", kernels::fn::Mul{});
  if (autograd::needs_grad(x)) {
    autograd::record(out, "dropout", {x}, [mask](const Tensor<T>& g) {
      return std::vector{detail::map_binary<T>(g, mask, "dropout", kernels::fn::Mul{})};
    });
  }
  return out;
}

}  // namespace tinylm

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm {
TINYLM_EXTERN_TEMPLATE Tensor<float> dropout(const Tensor<float>&, double, bool, Generator&);
}  // namespace tinylm
#endif
