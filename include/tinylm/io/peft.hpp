#pragma once
// LoRA adapters alone, in Hugging Face peft's format: a directory with
//
//   adapter_config.json        {"peft_type": "LORA", "r": 4, "lora_alpha": 8,
//                               "target_modules": ["c_attn"], ...}
//   adapter_model.safetensors  base_model.model.<layer>.lora_A.weight (r, in)
//                              base_model.model.<layer>.lora_B.weight (out, r)
//
// <layer> is the model's own dotted name (transformer.h.0.attn.c_attn for a
// GPT). peft stores A and B as torch Linear weights, [out, in]; tinylm's
// layers hold them [in, out], so they are transposed on the way in and out.
// save_peft_adapter writes what peft's PeftModel.from_pretrained reads (for
// GPT-2's Conv1D layers, fan_in_fan_out true); load_peft_adapter adds the
// adapters the config names to a model (freezing the rest) and loads them.
// What tinylm's LoRA does not compute (bias training, per-layer ranks,
// rsLoRA, DoRA, extra saved modules) is refused by name, not ignored.

#include <filesystem>
#include <map>
#include <string>

#include "tinylm/data/text.hpp"
#include "tinylm/io/json.hpp"
#include "tinylm/io/safetensors.hpp"
#include "tinylm/nn/lora.hpp"

namespace tinylm::io {

inline constexpr const char* kPeftPrefix = "base_model.model.";

/// peft's adapter_config.json for `cfg`.
inline Json peft_config_json(const nn::LoRAConfig& cfg, const std::string& base_model = "") {
  Json j = Json::object();
  j.set("peft_type", "LORA");
  j.set("task_type", "CAUSAL_LM");
  j.set("base_model_name_or_path", base_model.empty() ? Json() : Json(base_model));
  j.set("r", cfg.r);
  j.set("lora_alpha", cfg.alpha);
  j.set("lora_dropout", cfg.dropout);
  if (!cfg.target_regex.empty()) {
    j.set("target_modules", cfg.target_regex);
  } else {
    Json t = Json::array();
    for (const auto& m : cfg.target_modules) t.push_back(Json(m));
    j.set("target_modules", t);
  }
  j.set("fan_in_fan_out", true);  // tinylm's layers are [in, out], as GPT-2's Conv1D
  j.set("bias", "none");
  j.set("inference_mode", true);
  j.set("init_lora_weights", true);
  j.set("modules_to_save", Json());
  return j;
}

/// The LoRAConfig of a peft adapter_config.json; `what` names it in errors.
inline nn::LoRAConfig lora_config_from_peft(const Json& j, const std::string& what) {
  TINYLM_CHECK(j.is_object(), what, ": expected a JSON object");
  auto field = [&](const char* key) -> const Json* { return j.find(key); };
  auto is_empty = [](const Json* v) {
    return !v || v->kind() == Json::Kind::Null || (v->is_object() && v->as_object().empty()) ||
           (v->is_array() && v->as_array().empty()) || (v->kind() == Json::Kind::Bool && !v->as_bool());
  };
  const Json* type = field("peft_type");
  TINYLM_CHECK(type && type->is_string() && type->as_string() == "LORA", what,
               ": peft_type must be \"LORA\" (tinylm loads LoRA adapters only)");
  const Json* bias = field("bias");
  TINYLM_CHECK(!bias || (bias->is_string() && bias->as_string() == "none"), what,
               ": bias must be \"none\"; tinylm's adapters train no biases");
  for (const char* key : {"rank_pattern", "alpha_pattern", "modules_to_save", "layers_to_transform", "use_rslora",
                          "use_dora", "layer_replication"})
    TINYLM_CHECK(is_empty(field(key)), what, ": '", key, "' is set; tinylm's LoRA does not support it");
  nn::LoRAConfig cfg;
  const Json* r = field("r");
  TINYLM_CHECK(r && r->is_number(), what, ": 'r' (the rank) is missing or not a number");
  cfg.r = r->as_int("r");
  const Json* alpha = field("lora_alpha");
  cfg.alpha = alpha ? alpha->as_number("lora_alpha") : 8.0;  // peft's default
  const Json* dropout = field("lora_dropout");
  cfg.dropout = dropout ? dropout->as_number("lora_dropout") : 0.0;
  const Json* targets = field("target_modules");
  TINYLM_CHECK(targets && (targets->is_string() || targets->is_array()), what,
               ": 'target_modules' must be a list of layer names or a regular expression");
  if (targets->is_string()) {
    cfg.target_regex = targets->as_string();
    cfg.target_modules.clear();
  } else {
    cfg.target_modules.clear();
    for (const auto& t : targets->as_array()) cfg.target_modules.push_back(t.as_string("target_modules entry"));
  }
  try {
    cfg.validate();
  } catch (const Error& e) {
    throw Error(what + ": " + e.what());
  }
  return cfg;
}

/// Writes the model's adapters to `dir` (created if needed) as peft does.
template <FloatElement T>
void save_peft_adapter(const std::string& dir, nn::Module<T>& model, const nn::LoRAConfig& cfg,
                       const std::string& base_model = "") {
  namespace fs = std::filesystem;
  const auto layers = nn::lora_layers(model);
  TINYLM_CHECK(!layers.empty(), "save_peft_adapter: the model has no LoRA adapters");
  SafetensorsWriter w;
  for (const auto& [name, lin] : layers) {
    TINYLM_CHECK(!lin->lora()->merged, "save_peft_adapter: layer '", name,
                 "' has its adapter merged into its weight; unmerge it first");
    TINYLM_CHECK(lin->lora()->rank == cfg.r && lin->lora()->alpha == cfg.alpha, "save_peft_adapter: layer '", name,
                 "' has rank ", lin->lora()->rank, " and alpha ", lin->lora()->alpha, ", the config says ", cfg.r,
                 " and ", cfg.alpha);
    w.add(kPeftPrefix + name + ".lora_A.weight", lin->lora()->lora_A.weight.transpose(0, 1).contiguous());
    w.add(kPeftPrefix + name + ".lora_B.weight", lin->lora()->lora_B.weight.transpose(0, 1).contiguous());
  }
  fs::create_directories(dir);
  w.save((fs::path(dir) / "adapter_model.safetensors").string());
  write_file_atomic((fs::path(dir) / "adapter_config.json").string(), {peft_config_json(cfg, base_model).dump(), "\n"});
}

/// Adds the adapters of the peft directory `dir` to `model` (freezing the
/// rest of it) and loads their weights; returns their config. Every tensor
/// of the file must belong to a layer the config picks and every picked
/// layer must have both of its tensors with the shapes it needs; otherwise
/// the error names the first that does not, and the model is left as it was.
template <FloatElement T>
nn::LoRAConfig load_peft_adapter(const std::string& dir, nn::Module<T>& model) {
  namespace fs = std::filesystem;
  const std::string config_path = (fs::path(dir) / "adapter_config.json").string();
  const std::string weights_path = (fs::path(dir) / "adapter_model.safetensors").string();
  TINYLM_CHECK(fs::exists(config_path), "load_peft_adapter: '", dir, "' has no adapter_config.json");
  TINYLM_CHECK(fs::exists(weights_path), "load_peft_adapter: '", dir,
               "' has no adapter_model.safetensors (adapter_model.bin, PyTorch's pickle format, is not read)");
  const nn::LoRAConfig cfg =
      lora_config_from_peft(Json::parse(data::read_text_file(config_path), config_path), config_path);
  const SafetensorsFile f = SafetensorsFile::read(weights_path);

  // Which layers the config picks, and the file's tensor for each of their
  // matrices; a GPT2Model's names lack GPT2LMHeadModel's "transformer.".
  std::map<std::string, std::pair<Tensor<T>, Tensor<T>>> tensors;  // layer -> (A, B), tinylm's layout
  std::map<std::string, bool> used;
  for (const auto& n : f.names()) used[n] = false;
  int64_t picked = 0;
  for (const auto& entry : model.named_modules()) {  // not a structured binding: Clang 14 cannot capture one
    const std::string& name = entry.first;
    auto* lin = dynamic_cast<nn::Linear<T>*>(entry.second);
    if (!lin || !cfg.targets(name)) continue;
    ++picked;
    auto stored = [&](const char* which) {
      std::string key = kPeftPrefix + name + "." + which + ".weight";
      if (!f.contains(key) && name.starts_with("transformer."))
        key = kPeftPrefix + name.substr(12) + "." + which + ".weight";
      TINYLM_CHECK(f.contains(key), "load_peft_adapter: '", weights_path, "' has no tensor ", kPeftPrefix, name, ".",
                   which, ".weight for the layer the config picks");
      used[key] = true;
      return f.get<T>(key);
    };
    const Tensor<T> A = stored("lora_A"), B = stored("lora_B");
    const Shape want_A{cfg.r, lin->in_features()}, want_B{lin->out_features(), cfg.r};
    TINYLM_CHECK(A.shape() == want_A && B.shape() == want_B, "load_peft_adapter: layer '", name, "' needs lora_A ",
                 want_A, " and lora_B ", want_B, "; '", weights_path, "' has ", A.shape(), " and ", B.shape());
    tensors[name] = {A.transpose(0, 1).contiguous(), B.transpose(0, 1).contiguous()};
  }
  for (const auto& [key, u] : used)
    TINYLM_CHECK(u, "load_peft_adapter: '", weights_path, "' has tensor '", key,
                 "', which belongs to no layer the config picks");
  TINYLM_CHECK(picked > 0, "load_peft_adapter: no layer of the model matches the config's target modules");
  nn::add_lora(model, cfg);
  NoGradGuard no_grad;
  for (auto& [name, lin] : nn::lora_layers(model)) {
    const auto it = tensors.find(name);
    if (it == tensors.end()) continue;  // an adapter the model had before
    lin->lora()->lora_A.weight.copy_(it->second.first);
    lin->lora()->lora_B.weight.copy_(it->second.second);
  }
  return cfg;
}

}  // namespace tinylm::io
