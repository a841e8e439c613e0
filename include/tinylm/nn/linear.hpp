#pragma once
// nn::Linear: y = x @ W + b, W stored [in, out] (GPT-2's Conv1D layout, so
// checkpoints map onto Hugging Face names without transposes).
// Initialized like PyTorch's nn.Linear: W, b ~ U(-1/sqrt(in), 1/sqrt(in)).
//
// A Linear can carry a low-rank adapter (LoRA, Hu et al. 2021):
//
//   y = x W + b + (alpha / r) * dropout(x) A B      A (in, r), B (r, out)
//
// A starts ~ U(-1/sqrt(in), 1/sqrt(in)) and B at zero, so an adapted layer
// first computes what the base does. The adapter's tensors are parameters
// of the layer, named lora_A.weight and lora_B.weight as Hugging Face's peft
// names them (stored transposed here, [in, r] and [r, out], in the layer's
// own [in, out] layout; nn/lora.hpp transposes them to and from peft's
// files). merge_lora() adds the update into W (the adapter then stops
// adding its own term), unmerge_lora() takes it out again, remove_lora()
// drops the adapter. nn/lora.hpp adds adapters to a model's layers by name.
//
// A float32 Linear can keep a bf16 copy of W (set_bf16_weights, from
// nn/bf16_copy.hpp; for a whole model, nn/bf16_weights.hpp): while no
// gradient is asked for, forward then computes x W with the copy, reading
// half the bytes (ops/bf16_weights.hpp). Merging an adapter refreshes it.

#include <algorithm>
#include <cmath>
#include <memory>
#include <type_traits>

#include "tinylm/nn/bf16_copy.hpp"
#include "tinylm/nn/dropout.hpp"
#include "tinylm/nn/init.hpp"
#include "tinylm/nn/module.hpp"
#include "tinylm/ops/arithmetic.hpp"
#include "tinylm/ops/linear.hpp"

namespace tinylm::nn {

/// The low-rank update a Linear carries (see the file comment).
template <FloatElement Float>
struct LoRAAdapter {
  /// One adapter matrix as a module of its own, so that its name is
  /// `lora_A.weight` as in peft.
  struct Matrix : Module<Float> {
    explicit Matrix(Tensor<Float> w) { weight = this->register_parameter("weight", std::move(w), Decay::Yes); }
    Tensor<Float> weight;
  };

  LoRAAdapter(int64_t in, int64_t out, int64_t r, double alpha, double dropout, uint64_t seed)
      : gen(seed),
        lora_A(Tensor<Float>::empty({in, r})),
        lora_B(Tensor<Float>::zeros({r, out})),
        lora_dropout(dropout, gen),
        rank(r),
        alpha(alpha),
        scale(alpha / static_cast<double>(r)) {
    init::uniform_(lora_A.weight, 1.0 / std::sqrt(static_cast<double>(in)), gen);
  }

  /// The update the adapter adds to W: scale * A B, (in, out).
  Tensor<Float> delta() const { return linear(lora_A.weight, lora_B.weight) * scale; }

  Generator gen;  // A's initial values, then dropout's masks
  Matrix lora_A, lora_B;
  Dropout<Float> lora_dropout;
  int64_t rank;
  double alpha, scale;
  bool merged = false;
};

template <FloatElement Float>
class Linear : public Module<Float>, public Bf16Copyable<Float> {
 public:
  Linear(int64_t in, int64_t out, Generator& gen, bool bias = true)
      : Bf16Copyable<Float>("Linear"), in_(in), out_(out) {
    TINYLM_CHECK(in > 0 && out > 0, "Linear: sizes must be positive, got in = ", in, ", out = ", out);
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    weight = this->register_parameter("weight", Tensor<Float>::empty({in, out}), Decay::Yes);
    init::uniform_(weight, bound, gen);
    if (bias) {
      this->bias = this->register_parameter("bias", Tensor<Float>::empty({out}), Decay::No);
      init::uniform_(this->bias, bound, gen);
    }
  }

  Tensor<Float> forward(const Tensor<Float>& x) const {
    Tensor<Float> y = base_forward(x);
    if (lora_ && !lora_->merged)
      y = y + linear(linear(lora_->lora_dropout.forward(x), lora_->lora_A.weight), lora_->lora_B.weight) * lora_->scale;
    return y;
  }

  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }

  // ---- the adapter ------------------------------------------------------

  /// Gives the layer a rank-r adapter (error if it has one), in the mode
  /// (train or eval) the layer is in. Its A is drawn from a generator
  /// seeded with `seed`, which then draws the dropout masks.
  LoRAAdapter<Float>& add_lora(int64_t r, double alpha, double dropout, uint64_t seed) {
    TINYLM_CHECK(!lora_, "Linear: the layer already has a LoRA adapter");
    TINYLM_CHECK(r > 0 && r <= std::min(in_, out_), "Linear: LoRA rank must be in [1, ", std::min(in_, out_),
                 "] for a ", in_, " -> ", out_, " layer, got ", r);
    TINYLM_CHECK(alpha > 0, "Linear: LoRA alpha must be positive, got ", alpha);
    lora_ = std::make_unique<LoRAAdapter<Float>>(in_, out_, r, alpha, dropout, seed);
    this->register_module("lora_A", lora_->lora_A);
    this->register_module("lora_B", lora_->lora_B);
    this->register_module("lora_dropout", lora_->lora_dropout);
    lora_->lora_dropout.train(this->is_training());
    return *lora_;
  }
  bool has_lora() const { return lora_ != nullptr; }
  LoRAAdapter<Float>* lora() { return lora_.get(); }
  const LoRAAdapter<Float>* lora() const { return lora_.get(); }

  /// W += scale * A B; the adapter stops adding its term.
  void merge_lora() {
    TINYLM_CHECK(lora_ && !lora_->merged, "Linear: merge_lora needs an unmerged adapter");
    add_delta(1.0);
    lora_->merged = true;
  }
  /// W -= scale * A B; the adapter adds its term again.
  void unmerge_lora() {
    TINYLM_CHECK(lora_ && lora_->merged, "Linear: unmerge_lora needs a merged adapter");
    add_delta(-1.0);
    lora_->merged = false;
  }
  /// Drops the adapter; a merged one stays in W.
  void remove_lora() {
    TINYLM_CHECK(lora_, "Linear: the layer has no LoRA adapter");
    this->unregister_module("lora_A");
    this->unregister_module("lora_B");
    this->unregister_module("lora_dropout");
    lora_.reset();
  }

  Tensor<Float> weight;  // (in, out)
  Tensor<Float> bias;    // (out), undefined without bias

 private:
  Tensor<Float> base_forward(const Tensor<Float>& x) const {
    if constexpr (std::is_same_v<Float, float>)
      if (const Bf16Matrix* w16 = this->bf16_weights(); w16 && !autograd::needs_grad(x, weight, bias))
        return linear(x, *w16, bias);
    return linear(x, weight, bias);
  }
  const Tensor<Float>& bf16_source() const override { return weight; }

  void add_delta(double sign) {
    {
      NoGradGuard no_grad;
      Tensor<Float> w = weight;
      w.copy_(weight + lora_->delta() * sign);
    }
    this->refresh_bf16_weights();
  }

  int64_t in_, out_;
  std::unique_ptr<LoRAAdapter<Float>> lora_;
};

}  // namespace tinylm::nn
