#pragma once
// nn::Embedding: a [V, C] table of vectors looked up by integer id.
// Initialized N(0, std^2), std 1 by default like PyTorch's nn.Embedding
// (GPT-2 uses 0.02; init::gpt2_ applies it to a whole model).
//
// tied_head(x) = x @ W^T is an LM head tied to the table (GPT-2's, BERT's).
// A float32 table can keep a bf16 copy of W for it (set_bf16_weights, from
// nn/bf16_copy.hpp; for a whole model, nn/bf16_weights.hpp): while no
// gradient is asked for, the head then reads the copy, half the bytes.
// Lookups read W itself. resize refreshes the copy.

#include <algorithm>
#include <memory>
#include <type_traits>

#include "tinylm/nn/bf16_copy.hpp"
#include "tinylm/nn/init.hpp"
#include "tinylm/nn/module.hpp"
#include "tinylm/ops/embedding.hpp"
#include "tinylm/ops/matmul.hpp"
#include "tinylm/ops/view.hpp"

namespace tinylm::nn {

template <FloatElement Float>
class Embedding : public Module<Float>, public Bf16Copyable<Float> {
 public:
  Embedding(int64_t num, int64_t dim, Generator& gen, double std = 1.0) : Bf16Copyable<Float>("Embedding") {
    TINYLM_CHECK(num > 0 && dim > 0, "Embedding: sizes must be positive, got ", num, " x ", dim);
    weight = this->register_parameter("weight", Tensor<Float>::empty({num, dim}), Decay::No);
    init::normal_(weight, std, gen);
  }

  /// (...) ids -> (..., C)
  template <IndexElement I>
  Tensor<Float> forward(const Tensor<I>& idx) const {
    return embedding(weight, idx);
  }

  /// (..., C) -> (..., V): x @ W^T, an LM head tied to the table.
  Tensor<Float> tied_head(const Tensor<Float>& x) const {
    if constexpr (std::is_same_v<Float, float>)
      if (const Bf16Matrix* w16 = this->bf16_weights(); w16 && !autograd::needs_grad(x, weight))
        return matmul_transposed(x, *w16);
    return matmul(x, weight.transpose(0, 1));
  }

  /// Grows (or shrinks) the table to `num` rows: the first rows keep their
  /// values, new rows are drawn from N(0, std^2). Build optimizers after.
  void resize(int64_t num, Generator& gen, double std) {
    TINYLM_CHECK(num > 0, "Embedding::resize: the number of rows must be positive, got ", num);
    const int64_t old = weight.size(0), C = weight.size(1), keep = std::min(old, num);
    Tensor<Float> w = Tensor<Float>::empty({num, C});
    std::copy(weight.data(), weight.data() + keep * C, w.data());
    if (num > old) {
      Tensor<Float> fresh = Tensor<Float>::empty({num - old, C});
      init::normal_(fresh, std, gen);
      std::copy(fresh.data(), fresh.data() + fresh.numel(), w.data() + old * C);
    }
    this->replace_parameter("weight", w);
    weight = w;
    this->refresh_bf16_weights();
  }

  Tensor<Float> weight;  // (V, C)

 private:
  const Tensor<Float>& bf16_source() const override { return weight; }
};

}  // namespace tinylm::nn
