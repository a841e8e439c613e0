#pragma once
// Hugging Face GPT-2 model directories, both ways:
//
//   config.json        n_embd, n_layer, n_head, n_positions, vocab_size,
//                      layer_norm_epsilon, activation_function, ...
//   model.safetensors  the weights under GPT-2's names (with or without
//                      "transformer."), lm_head.weight tied or stored
//   tokenizer.json     (optional) the BPE tokenizer
//
// load_hf_gpt2(dir) builds an nn::GPT from config.json (checking that it is
// a model tinylm's GPT computes: GPT-2's tanh GELU, LayerNorm eps 1e-5,
// tied embeddings) and loads model.safetensors with every shape checked;
// the attn.bias / attn.masked_bias buffers are skipped, and a stored
// lm_head.weight must equal the token embedding. save_hf_gpt2(dir, model)
// writes the directory that transformers' GPT2LMHeadModel.from_pretrained
// and AutoTokenizer.from_pretrained read. Writes are atomic, file by file.

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>

#include "tinylm/core/config.hpp"
#include "tinylm/data/bpe_files.hpp"
#include "tinylm/io/checkpoint.hpp"

namespace tinylm::io {

/// The GPTConfig of a Hugging Face GPT-2 config.json; `what` names it in errors.
TINYLM_DECL nn::GPTConfig gpt_config_from_hf(const Json& j, const std::string& what);

/// config.json for a tinylm GPT (GPT2LMHeadModel).
TINYLM_DECL Json hf_config(const nn::GPTConfig& c, int64_t eos_token_id = -1);

/// A model from a Hugging Face GPT-2 directory (see the file comment).
template <FloatElement T = float>
std::unique_ptr<nn::GPT<T>> load_hf_gpt2(const std::string& dir, uint64_t seed = 0) {
  namespace fs = std::filesystem;
  const std::string config = (fs::path(dir) / "config.json").string();
  const std::string weights = (fs::path(dir) / "model.safetensors").string();
  TINYLM_CHECK(fs::exists(config), "load_hf_gpt2: '", dir, "' has no config.json");
  TINYLM_CHECK(fs::exists(weights), "load_hf_gpt2: '", dir, "' has no model.safetensors");
  const nn::GPTConfig cfg = gpt_config_from_hf(Json::parse(data::read_text_file(config), config), config);
  const SafetensorsFile f = SafetensorsFile::read(weights);
  check_config_fits(f, cfg);
  std::unique_ptr<nn::GPT<T>> model;
  {
    nn::init::NoInitGuard no_init;
    model = std::make_unique<nn::GPT<T>>(cfg, seed);
  }
  load_gpt_weights(f, *model);
  if (f.contains("lm_head.weight")) {
    const Tensor<T> head = f.get<T>("lm_head.weight");
    TINYLM_CHECK(head.shape() == model->wte.weight.shape() && head.to_vector() == model->wte.weight.to_vector(),
                 "load_hf_gpt2: '", weights, "' stores an lm_head.weight that differs from the token embedding; ",
                 "tinylm's GPT ties them");
  }
  return model;
}

/// Writes `model` (and `tokenizer`, when given) as a Hugging Face GPT-2
/// directory, creating it if needed.
template <FloatElement T>
void save_hf_gpt2(const std::string& dir, const nn::GPT<T>& model, const data::BPETokenizer* tokenizer = nullptr) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  int64_t eos = -1;
  if (tokenizer) {
    TINYLM_CHECK(tokenizer->vocab_size() <= model.config().vocab_size, "save_hf_gpt2: the tokenizer has ",
                 tokenizer->vocab_size(), " tokens, more than the model's ", model.config().vocab_size);
    eos = tokenizer->special_id("<|endoftext|>");
    data::save_hf_json(*tokenizer, (fs::path(dir) / "tokenizer.json").string());
  }
  save_gpt((fs::path(dir) / "model.safetensors").string(), model);
  write_file_atomic((fs::path(dir) / "config.json").string(), {hf_config(model.config(), eos).dump(), "\n"});
}

}  // namespace tinylm::io

#if !defined(TINYLM_SEPARATE_COMPILATION)
#include "tinylm/io/impl/hf.ipp"
#endif
