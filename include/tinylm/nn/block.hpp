#pragma once
// nn::Block: one pre-LayerNorm transformer block with residual connections,
//
//   x = x + attn(ln_1(x))
//   x = x + mlp(ln_2(x))

#include "tinylm/nn/attention.hpp"
#include "tinylm/nn/layer_norm.hpp"
#include "tinylm/nn/mlp.hpp"

namespace tinylm::nn {

template <FloatElement Float>
class Block : public Module<Float> {
 public:
  Block(int64_t C, int64_t NH, double dropout_p, Generator& init_gen, Generator& dropout_gen)
      : ln_1(C), attn(C, NH, dropout_p, init_gen, dropout_gen), ln_2(C), mlp(C, dropout_p, init_gen, dropout_gen) {
    this->register_module("ln_1", ln_1);
    this->register_module("attn", attn);
    this->register_module("ln_2", ln_2);
    this->register_module("mlp", mlp);
  }

  /// x (B, T, C) -> (B, T, C)
  Tensor<Float> forward(const Tensor<Float>& x, LayerCache<Float>* cache = nullptr) const {
    const Tensor<Float> h = x + attn.forward(ln_1.forward(x), cache);
    return h + mlp.forward(ln_2.forward(h));
  }

  /// One position for each of K sequences with caches of their own (see
  /// CausalSelfAttention::forward_rows): x (K, 1, C) -> (K, 1, C).
  Tensor<Float> forward_rows(const Tensor<Float>& x, const std::vector<LayerCache<Float>*>& caches) const {
    const Tensor<Float> h = x + attn.forward_rows(ln_1.forward(x), caches);
    return h + mlp.forward(ln_2.forward(h));
  }

  LayerNorm<Float> ln_1;
  CausalSelfAttention<Float> attn;
  LayerNorm<Float> ln_2;
  MLP<Float> mlp;
};

}  // namespace tinylm::nn
