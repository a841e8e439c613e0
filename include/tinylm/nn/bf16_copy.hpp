#pragma once
// The bf16 copy a layer keeps of its weight matrix for generation.
//
// nn::Linear and nn::Embedding derive from Bf16Copyable: a float32 layer
// can hold a copy of its weight rounded to bf16 (ops/bf16_weights.hpp),
// which its products read while no gradient is asked for. The copy is a
// snapshot of the weight when it was made; the layer refreshes it when it
// changes the weight itself (a LoRA merge, a resize). nn::Bf16Weights
// makes and drops the copies of a whole model.

#include <memory>
#include <string>
#include <type_traits>

#include "tinylm/core/error.hpp"
#include "tinylm/ops/bf16_weights.hpp"

namespace tinylm::nn {

template <FloatElement Float>
class Bf16Copyable {
 public:
  /// `layer` names the layer in errors ("Linear").
  explicit Bf16Copyable(const char* layer) : layer_(layer) {}
  virtual ~Bf16Copyable() = default;

  /// Makes (on) or drops (off) the bf16 copy of the layer's weight matrix:
  /// a snapshot of it now. Float32 layers only (tinylm::Error otherwise).
  void set_bf16_weights(bool on) {
    if (!on) {
      copy_.reset();
      return;
    }
    if constexpr (std::is_same_v<Float, float>) copy_ = std::make_shared<const Bf16Matrix>(bf16_source());
    else throw Error(std::string(layer_) + ": bf16 weights are copies of float32 weights; this layer's are double");
  }
  /// The bf16 copy, or null.
  const Bf16Matrix* bf16_weights() const { return copy_.get(); }

 protected:
  /// The weight matrix the copy is made from.
  virtual const Tensor<Float>& bf16_source() const = 0;
  /// Takes the copy again if there is one: the layer changed its weight.
  void refresh_bf16_weights() {
    if (copy_) set_bf16_weights(true);
  }

 private:
  const char* layer_;
  std::shared_ptr<const Bf16Matrix> copy_;
};

}  // namespace tinylm::nn
