#pragma once
// Generating with bf16 weights: half the bytes read per token.
//
// Decoding a token reads every weight of the model once; on a CPU it runs
// at the speed memory delivers them (README, "Decoding at memory speed").
// While a Bf16Weights lives, every nn::Linear of a float32 model, and every
// nn::Embedding (the LM head tied to one reads it), keeps a bf16 copy of
// its weight matrix, rounded to nearest, and computes its products with the
// copy whenever no gradient is asked for (generate() runs under
// NoGradGuard): float32 activations, float32 sums, each weight read as two
// bytes. Biases, LayerNorm and lookups stay float32; so does a step that
// asks for gradients, which reads the float32 weights being trained.
//
//   tinylm::nn::Bf16Weights bf16(model);       // copies every weight matrix once
//   auto out = tinylm::lm::generate(model, prompts, opt);
//
// The copies are a snapshot: weights changed while one lives (an optimizer
// step, a checkpoint loaded) are not what generation reads until the next
// Bf16Weights. Make one before generation starts, not while another thread
// runs the model. Its destructor drops the copies it made.

#include <cstdint>
#include <vector>

#include "tinylm/nn/bf16_copy.hpp"
#include "tinylm/nn/embedding.hpp"
#include "tinylm/nn/linear.hpp"
#include "tinylm/nn/module.hpp"

namespace tinylm::nn {

class Bf16Weights {
 public:
  /// Copies the weight matrix of every layer in `model` that can keep a
  /// copy (Linear, Embedding: Bf16Copyable) and has none yet (a CPU model;
  /// throws tinylm::Error otherwise).
  explicit Bf16Weights(Module<float>& model) {
    try {
      for (auto& [name, m] : model.named_modules()) {
        auto* layer = dynamic_cast<Bf16Copyable<float>*>(m);
        if (!layer || layer->bf16_weights()) continue;
        layer->set_bf16_weights(true);
        layers_.push_back(layer);
        bytes_ += layer->bf16_weights()->bytes();
      }
    } catch (...) {
      drop();
      throw;
    }
  }
  ~Bf16Weights() { drop(); }
  Bf16Weights(const Bf16Weights&) = delete;
  Bf16Weights& operator=(const Bf16Weights&) = delete;

  /// The bytes of the copies this made.
  int64_t bytes() const { return bytes_; }

 private:
  void drop() {
    for (Bf16Copyable<float>* layer : layers_) layer->set_bf16_weights(false);
    layers_.clear();
  }

  std::vector<Bf16Copyable<float>*> layers_;
  int64_t bytes_ = 0;
};

}  // namespace tinylm::nn
