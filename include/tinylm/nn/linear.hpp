#pragma once
// nn::Linear: y = x @ W + b, W stored [in, out] (GPT-2's Conv1D layout, so
// checkpoints map onto Hugging Face names without transposes).
// Initialized like PyTorch's nn.Linear: W, b ~ U(-1/sqrt(in), 1/sqrt(in)).

#include <cmath>

#include "tinylm/nn/init.hpp"
#include "tinylm/nn/module.hpp"
#include "tinylm/ops/linear.hpp"

namespace tinylm::nn {

template <FloatElement Float>
class Linear : public Module<Float> {
 public:
  Linear(int64_t in, int64_t out, Generator& gen, bool bias = true) : in_(in), out_(out) {
    TINYLM_CHECK(in > 0 && out > 0, "Linear: sizes must be positive, got in = ", in, ", out = ", out);
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    weight = this->register_parameter("weight", Tensor<Float>::empty({in, out}), Decay::Yes);
    init::uniform_(weight, bound, gen);
    if (bias) {
      this->bias = this->register_parameter("bias", Tensor<Float>::empty({out}), Decay::No);
      init::uniform_(this->bias, bound, gen);
    }
  }

  Tensor<Float> forward(const Tensor<Float>& x) const { return linear(x, weight, bias); }

  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }

  Tensor<Float> weight;  // (in, out)
  Tensor<Float> bias;    // (out), undefined without bias

 private:
  int64_t in_, out_;
};

}  // namespace tinylm::nn
