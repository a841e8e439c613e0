#pragma once
// Checkpoints.
//
// Model file: a safetensors file with every GPT parameter under its Hugging
// Face GPT-2 name (transformer.wte.weight, transformer.h.0.attn.c_attn.weight
// stored [in, out], ...) and the model config in __metadata__
// ("tinylm.config", JSON), plus whatever the caller adds (the tokenizer).
// Loading accepts names with or without the "transformer." prefix and skips
// GPT-2's non-parameter buffers (attn.bias, attn.masked_bias) and the tied
// lm_head.weight, so Hugging Face GPT-2 files load too.
//
// The tokenizer a model was trained with goes into the same metadata, under
// kTokenizerKey (its saved form, e.g. CharTokenizer::to_string()),
// kTokenizerKindKey ("char") and, when it has special tokens,
// kSpecialTokensKey (a JSON object of text -> id); gpt_train writes them and
// --init checks them. tokenizer_metadata() and char_tokenizer_from() write
// and read all three.
//
// Any other module (an LSTMLM, a user's own) saves and loads its
// state_dict() by name the same way: save_module / load_module.
//
// Training-state file: the optimizer's buffers by name (exp_avg.<param>, ...),
// the step, and the states of the random generators, in a second
// safetensors file beside the model file, so a run resumes exactly.
// Both writes are atomic.

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tinylm/core/checked.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/core/rng.hpp"
#include "tinylm/data/char_tokenizer.hpp"
#include "tinylm/io/safetensors.hpp"
#include "tinylm/nn/gpt.hpp"
#include "tinylm/optim/optimizer.hpp"

namespace tinylm::io {

/// Metadata keys of the tokenizer saved beside a model's weights.
inline constexpr const char* kTokenizerKey = "tinylm.tokenizer";
inline constexpr const char* kTokenizerKindKey = "tinylm.tokenizer_kind";
inline constexpr const char* kSpecialTokensKey = "tinylm.special_tokens";

/// The metadata entries that save `tok` with a model (see the file comment).
TINYLM_DECL std::map<std::string, std::string> tokenizer_metadata(const data::CharTokenizer& tok);

/// The CharTokenizer saved in a model file's metadata; `what` names the file in errors.
TINYLM_DECL data::CharTokenizer char_tokenizer_from(const std::map<std::string, std::string>& metadata,
                                                    const std::string& what);

TINYLM_DECL Json to_json(const nn::GPTConfig& c);

TINYLM_DECL nn::GPTConfig gpt_config_from_json(const Json& j, const std::string& what);

/// Checks that the file can hold the model `c` describes before anything
/// is built from it: its parameters, at 2 bytes each (the smallest float
/// dtype), must fit the file's data, so a small file cannot make a loader
/// allocate a model of any size it claims.
TINYLM_DECL void check_config_fits(const SafetensorsFile& f, const nn::GPTConfig& c);

/// The config a tinylm model file was saved with, checked against the file's size.
TINYLM_DECL nn::GPTConfig read_gpt_config(const SafetensorsFile& f);

template <FloatElement T>
void save_gpt(const std::string& path, const nn::GPT<T>& model,
              const std::map<std::string, std::string>& metadata = {}) {
  SafetensorsWriter w;
  for (const auto& p : model.named_parameters()) w.add(p.name, p.tensor);
  w.set_metadata("format", "pt");
  w.set_metadata("tinylm.config", to_json(model.config()).dump());
  for (const auto& [k, v] : metadata) w.set_metadata(k, v);
  w.save(path);
}

/// Loads a model file's weights into `model`, by GPT-2's names with or
/// without the "transformer." prefix; the causal-mask buffers
/// (attn.bias, attn.masked_bias) and the tied lm_head.weight are skipped.
/// Strict (the default): every parameter must be present with the model's
/// shape and nothing else may be (the error lists what is missing,
/// unexpected or mis-shaped). Not strict: the tensors the model has are
/// loaded and the report lists the rest of each side.
template <FloatElement T>
typename nn::Module<T>::LoadReport load_gpt_weights(const SafetensorsFile& f, nn::GPT<T>& model, bool strict = true) {
  const std::string prefix = "transformer.";
  std::set<std::string> params;
  for (const auto& p : model.named_parameters()) params.insert(p.name);
  nn::StateDict<T> state;
  std::vector<std::string> skipped;
  for (const std::string& name : f.names()) {
    if (name.ends_with(".attn.bias") || name.ends_with(".attn.masked_bias") || name == "lm_head.weight") continue;
    const std::string full = name.rfind(prefix, 0) == 0 ? name : prefix + name;
    if (!strict && !params.count(full)) {
      skipped.push_back(name);  // not read: it need not even be a float tensor
      continue;
    }
    state.emplace_back(full, f.get<T>(name));
  }
  try {
    auto report = model.load_state_dict(state, strict);
    report.unexpected.insert(report.unexpected.end(), skipped.begin(), skipped.end());
    return report;
  } catch (const Error& e) {
    throw Error(tinylm::detail::str_cat("checkpoint '", f.path(), "': ", e.what()));
  }
}

/// Builds the GPT a model file describes (its config) and loads its
/// weights. The model is built without drawing initial weights first
/// (nn::init::NoInitGuard); `seed` seeds only its dropout stream.
template <FloatElement T = float>
std::unique_ptr<nn::GPT<T>> load_gpt(const std::string& path, uint64_t seed = 0) {
  const SafetensorsFile f = SafetensorsFile::read(path);
  std::unique_ptr<nn::GPT<T>> model;
  {
    nn::init::NoInitGuard no_init;
    model = std::make_unique<nn::GPT<T>>(read_gpt_config(f), seed);
  }
  load_gpt_weights(f, *model);
  return model;
}

/// Writes any module's parameters by name, with `metadata` (atomically).
template <FloatElement T>
void save_module(const std::string& path, const nn::Module<T>& module,
                 const std::map<std::string, std::string>& metadata = {}) {
  SafetensorsWriter w;
  for (const auto& p : module.named_parameters()) w.add(p.name, p.tensor);
  w.set_metadata("format", "pt");
  for (const auto& [k, v] : metadata) w.set_metadata(k, v);
  w.save(path);
}

/// Loads parameters by name into `module` (see Module::load_state_dict for
/// `strict` and the report); returns the report and leaves the file's
/// metadata in *metadata when asked.
template <FloatElement T>
typename nn::Module<T>::LoadReport load_module(const std::string& path, nn::Module<T>& module, bool strict = true,
                                               std::map<std::string, std::string>* metadata = nullptr) {
  const SafetensorsFile f = SafetensorsFile::read(path);
  nn::StateDict<T> state;
  for (const std::string& name : f.names()) state.emplace_back(name, f.get<T>(name));
  if (metadata) *metadata = f.metadata();
  try {
    return module.load_state_dict(state, strict);
  } catch (const Error& e) {
    throw Error(tinylm::detail::str_cat("checkpoint '", path, "': ", e.what()));
  }
}

// ---- training state ---------------------------------------------------------

TINYLM_DECL std::string to_string(const Generator::State& s);

/// The state to_string wrote: four unsigned 64-bit words, 0 or 1 (a normal
/// is cached) and the cached normal as a hexadecimal float. Anything else,
/// and the all-zero state (a fixed point of xoshiro256**: it would draw 0
/// forever), is an Error naming `what`.
TINYLM_DECL Generator::State generator_state_from_string(const std::string& text, const std::string& what);

struct TrainingState {
  int64_t step = 0;
  std::map<std::string, Generator::State> generators;
  std::map<std::string, std::string> info;  // anything else the trainer recorded
};

/// The prefix of a model's parameters inside a training-state file.
inline constexpr const char* kStateModelPrefix = "model.";

/// Writes the optimizer's buffers, the step and the generator states to
/// `path` (atomically); with `model`, also the model's parameters (as
/// "model.<name>"), so that the one file is a whole checkpoint: a run
/// resumed from it cannot pair weights of one step with optimizer moments
/// of another, whatever moment a save was killed at.
template <FloatElement T>
void save_training_state(const std::string& path, const optim::Optimizer<T>& opt, const TrainingState& st,
                         const nn::Module<T>* model = nullptr) {
  SafetensorsWriter w;
  for (const auto& [name, t] : opt.state()) w.add(name, t);
  if (model)
    for (const auto& p : model->named_parameters()) w.add(kStateModelPrefix + p.name, p.tensor);
  w.set_metadata("tinylm.step", std::to_string(st.step));
  w.set_metadata("tinylm.optimizer_steps", std::to_string(opt.steps()));
  for (const auto& [name, g] : st.generators) w.set_metadata("tinylm.rng." + name, to_string(g));
  for (const auto& [k, v] : st.info) w.set_metadata("tinylm.info." + k, v);
  w.save(path);
}

/// How many model parameters a training-state file holds (0: it was saved without the model).
TINYLM_DECL std::size_t training_state_model_tensors(const SafetensorsFile& f);

/// Whether a training-state file holds the model's parameters too.
inline bool training_state_has_model(const SafetensorsFile& f) { return training_state_model_tensors(f) > 0; }

/// Reads a training state, copying the optimizer's buffers into `opt` by
/// name and, with `model`, the parameters the file holds into `model` (the
/// file must hold them: save_training_state with a model). Everything is
/// checked before anything is copied: on an error, `opt` and `model` are
/// as they were.
template <FloatElement T>
TrainingState load_training_state(const SafetensorsFile& f, optim::Optimizer<T>& opt, nn::Module<T>* model = nullptr) {
  const std::string& path = f.path();
  const std::string what = "training state '" + path + "'";
  TrainingState st;
  auto meta = [&](const std::string& key) -> const std::string& {
    auto it = f.metadata().find(key);
    TINYLM_CHECK(it != f.metadata().end(), what, " has no '", key, "' in its metadata");
    return it->second;
  };
  st.step = parse_int(meta("tinylm.step"), what + ": tinylm.step");
  const int64_t opt_steps = parse_int(meta("tinylm.optimizer_steps"), what + ": tinylm.optimizer_steps");
  TINYLM_CHECK(st.step >= 0 && opt_steps >= 0, what, ": step ", st.step, " and optimizer step ", opt_steps,
               " must not be negative");
  for (const auto& [k, v] : f.metadata()) {
    if (k.rfind("tinylm.rng.", 0) == 0) st.generators[k.substr(11)] = generator_state_from_string(v, what);
    else if (k.rfind("tinylm.info.", 0) == 0) st.info[k.substr(12)] = v;
  }
  const auto buffers = opt.state();
  std::string missing;
  for (const auto& [name, t] : buffers) {
    if (!f.contains(name)) {
      missing += (missing.empty() ? "" : ", ") + name;
      continue;
    }
    TINYLM_CHECK(f.entry(name).shape == t.shape(), what, ": '", name, "' is ", f.entry(name).shape,
                 ", the optimizer's is ", t.shape());
  }
  TINYLM_CHECK(missing.empty(), what, " does not match the optimizer; missing: ", missing);
  const std::size_t n_model = training_state_model_tensors(f);
  TINYLM_CHECK(f.names().size() - n_model == buffers.size(), what, " holds ", f.names().size() - n_model,
               " optimizer buffers, the optimizer has ", buffers.size(), " (a different optimizer?)");
  nn::StateDict<T> weights;
  if (model) {
    TINYLM_CHECK(n_model > 0, what, " holds no model parameters (it was saved without the model)");
    for (const auto& name : f.names())
      if (name.starts_with(kStateModelPrefix))
        weights.emplace_back(name.substr(std::string_view(kStateModelPrefix).size()), f.get<T>(name));
  }
  std::vector<Tensor<T>> loaded;
  for (const auto& [name, t] : buffers) loaded.push_back(f.get<T>(name));
  if (model) {
    try {
      model->load_state_dict(weights, true);  // checks every shape before it copies
    } catch (const Error& e) {
      throw Error(tinylm::detail::str_cat(what, ": ", e.what()));
    }
  }
  {
    NoGradGuard no_grad;
    std::size_t i = 0;
    for (const auto& [name, t] : buffers) {
      Tensor<T> dst = t;
      dst.copy_(loaded[i++]);
    }
  }
  opt.set_steps(opt_steps);
  opt.state_loaded();
  return st;
}

/// load_training_state of the file at `path`.
template <FloatElement T>
TrainingState load_training_state(const std::string& path, optim::Optimizer<T>& opt, nn::Module<T>* model = nullptr) {
  return load_training_state(SafetensorsFile::read(path), opt, model);
}

}  // namespace tinylm::io

#if !defined(TINYLM_SEPARATE_COMPILATION)
#include "tinylm/io/impl/checkpoint.ipp"
#endif

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm::io {
TINYLM_EXTERN_TEMPLATE void save_gpt(const std::string&, const nn::GPT<float>&,
                                     const std::map<std::string, std::string>&);
TINYLM_EXTERN_TEMPLATE nn::Module<float>::LoadReport load_gpt_weights(const SafetensorsFile&, nn::GPT<float>&, bool);
TINYLM_EXTERN_TEMPLATE void save_training_state(const std::string&, const optim::Optimizer<float>&,
                                                const TrainingState&, const nn::Module<float>*);
TINYLM_EXTERN_TEMPLATE TrainingState load_training_state(const SafetensorsFile&, optim::Optimizer<float>&,
                                                         nn::Module<float>*);
}  // namespace tinylm::io
#endif
