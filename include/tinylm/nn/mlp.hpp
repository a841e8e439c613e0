#pragma once
// nn::MLP: the transformer's feed-forward block,
//
//   x (B, T, C) -> c_fc -> GELU (tanh form, as GPT-2) -> c_proj -> dropout -> (B, T, C)
//
// with a hidden width of 4C.

#include "tinylm/nn/dropout.hpp"
#include "tinylm/nn/linear.hpp"
#include "tinylm/ops/gelu.hpp"

namespace tinylm::nn {

template <FloatElement Float>
class MLP : public Module<Float> {
 public:
  MLP(int64_t C, double dropout_p, Generator& init_gen, Generator& dropout_gen)
      : c_fc(C, 4 * C, init_gen), c_proj(4 * C, C, init_gen), dropout(dropout_p, dropout_gen) {
    this->register_module("c_fc", c_fc);
    this->register_module("c_proj", c_proj);
    this->register_module("dropout", dropout);
  }

  Tensor<Float> forward(const Tensor<Float>& x) const {
    const Tensor<Float> h = gelu(c_fc.forward(x), GeluApprox::Tanh);  // (B, T, 4C)
    return dropout.forward(c_proj.forward(h));                        // (B, T, C)
  }

  Linear<Float> c_fc;
  Linear<Float> c_proj;
  Dropout<Float> dropout;
};

}  // namespace tinylm::nn
