#pragma once
// LoRA on a whole model: adapters on the Linear layers whose names a
// config picks, the base frozen, merged into the weights and out again.
//
// ```cpp
// #include <tinylm/nn/gpt.hpp>
// #include <tinylm/nn/lora.hpp>
//
// int main() {
//   tinylm::nn::GPT<float> model({64, 16, 2, 2, 16}, /*seed*/ 1);
//   tinylm::nn::LoRAConfig cfg;
//   cfg.r = 4;
//   cfg.alpha = 8;
//   cfg.target_modules = {"c_attn", "c_proj"};  // names end with these (after a '.')
//   // per block: attn.c_attn, attn.c_proj and mlp.c_proj; everything else frozen
//   const auto adapted = tinylm::nn::add_lora(model, cfg);
//   // ... train model.trainable_parameters() ...
//   tinylm::nn::merge_lora(model);   // W += (alpha / r) A B in every adapted layer
//   tinylm::nn::remove_lora(model);  // a plain GPT again, with the merged weights
//   return adapted.size() == 6 && model.num_trainable_parameters() == 0 ? 0 : 1;
// }
// ```
//
// A layer is picked as peft picks it: its dotted name equals one of
// target_modules or ends with "." and one of them; or, when target_regex is
// set, the whole name matches the regular expression (ECMAScript). Only
// nn::Linear layers can carry adapters. io/peft.hpp saves and loads the
// adapters alone in peft's format.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tinylm/core/config.hpp"
#include "tinylm/nn/linear.hpp"

namespace tinylm::nn {

struct LoRAConfig {
  int64_t r = 8;       // rank of the update
  double alpha = 16;   // the update is scaled by alpha / r
  double dropout = 0;  // on the adapter's input, in training mode
  std::vector<std::string> target_modules{"c_attn"};
  std::string target_regex;  // when set, used instead of target_modules
  uint64_t seed = 0;         // A's initial values and dropout; each layer its own stream

  void validate() const {
    TINYLM_CHECK(r > 0, "LoRAConfig: r must be positive, got ", r);
    TINYLM_CHECK(alpha > 0, "LoRAConfig: alpha must be positive, got ", alpha);
    TINYLM_CHECK(dropout >= 0 && dropout < 1, "LoRAConfig: dropout must be in [0, 1), got ", dropout);
    TINYLM_CHECK(!target_regex.empty() || !target_modules.empty(),
                 "LoRAConfig: name the layers to adapt (target_modules or target_regex)");
  }

  /// Whether the layer named `name` gets an adapter.
  bool targets(const std::string& name) const;
};

/// The model's layers that carry an adapter, by name, in model order.
template <FloatElement Float>
std::vector<std::pair<std::string, Linear<Float>*>> lora_layers(Module<Float>& model) {
  std::vector<std::pair<std::string, Linear<Float>*>> out;
  for (auto& [name, m] : model.named_modules())
    if (auto* lin = dynamic_cast<Linear<Float>*>(m); lin && lin->has_lora()) out.emplace_back(name, lin);
  return out;
}

/// Adds a cfg.r adapter to every Linear layer cfg picks and, when
/// freeze_base, freezes every other parameter; returns the adapted layers'
/// names. Picking no layer, or a layer that has an adapter already, is an
/// error, and then the model is left as it was.
template <FloatElement Float>
std::vector<std::string> add_lora(Module<Float>& model, const LoRAConfig& cfg, bool freeze_base = true) {
  cfg.validate();
  std::vector<std::pair<std::string, Linear<Float>*>> picked;
  for (auto& [name, m] : model.named_modules()) {
    auto* lin = dynamic_cast<Linear<Float>*>(m);
    if (!lin || !cfg.targets(name)) continue;
    TINYLM_CHECK(!lin->has_lora(), "add_lora: layer '", name, "' already has an adapter");
    TINYLM_CHECK(cfg.r <= std::min(lin->in_features(), lin->out_features()), "add_lora: rank ", cfg.r,
                 " is larger than layer '", name, "' (", lin->in_features(), " -> ", lin->out_features(), ")");
    picked.emplace_back(name, lin);
  }
  if (picked.empty()) {
    std::string wanted = cfg.target_regex;
    for (const auto& t : cfg.target_modules) wanted += (wanted.empty() ? "" : ", ") + t;
    throw Error("add_lora: no Linear layer of the model matches the targets (" + wanted + ")");
  }
  if (freeze_base) model.freeze();
  std::vector<std::string> names;
  uint64_t stream = 0;
  for (auto& [name, lin] : picked) {
    lin->add_lora(cfg.r, cfg.alpha, cfg.dropout, cfg.seed * 0x9E3779B97F4A7C15ull + ++stream);
    names.push_back(name);
  }
  return names;
}

/// Merges every adapter into its layer's weight (see Linear::merge_lora).
template <FloatElement Float>
void merge_lora(Module<Float>& model) {
  for (auto& [name, lin] : lora_layers(model))
    if (!lin->lora()->merged) lin->merge_lora();
}

/// Takes every merged adapter out of its layer's weight again.
template <FloatElement Float>
void unmerge_lora(Module<Float>& model) {
  for (auto& [name, lin] : lora_layers(model))
    if (lin->lora()->merged) lin->unmerge_lora();
}

/// Drops every adapter (merged ones stay in the weights); returns how many.
template <FloatElement Float>
int64_t remove_lora(Module<Float>& model) {
  const auto layers = lora_layers(model);
  for (auto& [name, lin] : layers) lin->remove_lora();
  return static_cast<int64_t>(layers.size());
}

}  // namespace tinylm::nn

#if !defined(TINYLM_SEPARATE_COMPILATION)
#include "tinylm/nn/impl/lora.ipp"
#endif
