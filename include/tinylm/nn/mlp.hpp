#pragma once
// nn::MLP: the transformer's feed-forward block.
//
//   plain:  x (B, T, C) -> c_fc -> act -> c_proj -> dropout -> (B, T, C)
//   gated:  x -> act(c_gate(x)) * c_fc(x) -> c_proj -> dropout   (GLU; SwiGLU with act = SiLU)
//
// The hidden width is MLPConfig::hidden (4C when 0), the activation GELU in
// its tanh form (GPT-2's), exact GELU, SiLU or ReLU. Dropout draws from the
// generator it is given, or from default_generator() without one (and from
// none at probability 0).
// MLP(C, dropout, init_gen, dropout_gen) is GPT-2's: 4C, GELU tanh, biases.

#include <memory>

#include "tinylm/core/config.hpp"
#include "tinylm/nn/dropout.hpp"
#include "tinylm/nn/linear.hpp"
#include "tinylm/ops/gelu.hpp"
#include "tinylm/ops/unary.hpp"

namespace tinylm::nn {

enum class Activation { GeluTanh, Gelu, Silu, Relu };

/// act(x) for one of the activations MLP offers.
template <FloatElement Float>
Tensor<Float> activate(const Tensor<Float>& x, Activation act) {
  switch (act) {
    case Activation::GeluTanh: return gelu(x, GeluApprox::Tanh);
    case Activation::Gelu: return gelu(x);
    case Activation::Silu: return silu(x);
    case Activation::Relu: return relu(x);
  }
  throw Error("activate: unknown activation");
}

struct MLPConfig {
  int64_t hidden = 0;  // hidden width; 0 means 4 * C
  Activation activation = Activation::GeluTanh;
  bool gated = false;  // act(c_gate(x)) * c_fc(x) (SwiGLU with Silu), as LLaMA's MLP
  double dropout = 0.0;
  bool bias = true;
};

template <FloatElement Float>
class MLP : public Module<Float> {
  MLPConfig cfg_;  // declared first: members are built in declaration order, and the layers use it

 public:
  /// Without `dropout_gen`, dropout (if cfg.dropout > 0) draws from default_generator().
  MLP(int64_t C, const MLPConfig& cfg, Generator& init_gen, Generator* dropout_gen = nullptr)
      : cfg_(checked(C, cfg)),
        c_fc(C, hidden(), init_gen, cfg.bias),
        c_proj(hidden(), C, init_gen, cfg.bias),
        dropout(dropout_gen ? Dropout<Float>(cfg.dropout, *dropout_gen) : Dropout<Float>(cfg.dropout)) {
    this->register_module("c_fc", c_fc);
    if (cfg.gated) {
      c_gate = std::make_unique<Linear<Float>>(C, hidden(), init_gen, cfg.bias);
      this->register_module("c_gate", *c_gate);
    }
    this->register_module("c_proj", c_proj);
    this->register_module("dropout", dropout);
  }
  /// GPT-2's: hidden 4C, GELU (tanh), biases, dropout p.
  MLP(int64_t C, double dropout_p, Generator& init_gen, Generator& dropout_gen)
      : MLP(C, MLPConfig{0, Activation::GeluTanh, false, dropout_p, true}, init_gen, &dropout_gen) {}

  Tensor<Float> forward(const Tensor<Float>& x) const {
    Tensor<Float> h = activate(cfg_.gated ? c_gate->forward(x) : c_fc.forward(x), cfg_.activation);  // (B, T, H)
    if (cfg_.gated) h = h * c_fc.forward(x);
    return dropout.forward(c_proj.forward(h));  // (B, T, C)
  }

  const MLPConfig& config() const { return cfg_; }
  int64_t hidden() const { return cfg_.hidden; }

  Linear<Float> c_fc;
  Linear<Float> c_proj;
  std::unique_ptr<Linear<Float>> c_gate;  // only when gated
  Dropout<Float> dropout;

 private:
  static MLPConfig checked(int64_t C, MLPConfig cfg) {
    TINYLM_CHECK(C > 0 && cfg.hidden >= 0, "MLP: C must be positive and hidden >= 0, got C = ", C,
                 ", hidden = ", cfg.hidden);
    if (cfg.hidden == 0) cfg.hidden = 4 * C;
    return cfg;
  }
};

}  // namespace tinylm::nn

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm::nn {
TINYLM_EXTERN_TEMPLATE Tensor<float> activate(const Tensor<float>&, Activation);
}  // namespace tinylm::nn
#endif
