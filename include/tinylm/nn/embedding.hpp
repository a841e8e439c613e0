#pragma once
// nn::Embedding: a [V, C] table of vectors looked up by integer id.
// Initialized N(0, 1) like PyTorch's nn.Embedding.

#include "tinylm/nn/init.hpp"
#include "tinylm/nn/module.hpp"
#include "tinylm/ops/embedding.hpp"

namespace tinylm::nn {

template <FloatElement Float>
class Embedding : public Module<Float> {
 public:
  Embedding(int64_t num, int64_t dim, Generator& gen) {
    TINYLM_CHECK(num > 0 && dim > 0, "Embedding: sizes must be positive, got ", num, " x ", dim);
    weight = this->register_parameter("weight", Tensor<Float>::empty({num, dim}), Decay::No);
    init::normal_(weight, 1.0, gen);
  }

  /// (...) ids -> (..., C)
  template <IndexElement I>
  Tensor<Float> forward(const Tensor<I>& idx) const {
    return embedding(weight, idx);
  }

  Tensor<Float> weight;  // (V, C)
};

}  // namespace tinylm::nn
