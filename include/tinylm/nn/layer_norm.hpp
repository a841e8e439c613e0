#pragma once
// nn::LayerNorm over the last dim, with a gain (ones) and a bias (zeros).
// eps defaults to 1e-5, as in GPT-2 and PyTorch.

#include "tinylm/nn/module.hpp"
#include "tinylm/ops/layer_norm.hpp"

namespace tinylm::nn {

template <FloatElement Float>
class LayerNorm : public Module<Float> {
 public:
  explicit LayerNorm(int64_t dim, double eps = 1e-5) : eps_(eps) {
    TINYLM_CHECK(dim > 0, "LayerNorm: size must be positive, got ", dim);
    weight = this->register_parameter("weight", Tensor<Float>::ones({dim}), Decay::No);
    bias = this->register_parameter("bias", Tensor<Float>::zeros({dim}), Decay::No);
  }

  Tensor<Float> forward(const Tensor<Float>& x) const { return layer_norm(x, weight, bias, eps_); }

  Tensor<Float> weight;  // (C)
  Tensor<Float> bias;    // (C)

 private:
  double eps_;
};

}  // namespace tinylm::nn
