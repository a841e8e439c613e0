#pragma once
// Model files for the encoder-decoder (nn::Seq2Seq) and the masked LM
// (nn::BertLM): safetensors with every parameter by name (the names in
// nn/seq2seq.hpp and nn/bert.hpp) and the model's config as JSON in the
// metadata ("tinylm.seq2seq_config" or "tinylm.bert_config"), so that
// load_seq2seq / load_bert rebuild the model from the file alone. Writes
// are atomic.

#include <map>
#include <memory>
#include <string>

#include "tinylm/io/checkpoint.hpp"
#include "tinylm/io/json.hpp"
#include "tinylm/nn/bert.hpp"
#include "tinylm/nn/seq2seq.hpp"

namespace tinylm::io {

inline constexpr const char* kSeq2SeqConfigKey = "tinylm.seq2seq_config";
inline constexpr const char* kBertConfigKey = "tinylm.bert_config";

namespace detail {

inline const char* activation_name(nn::Activation a) {
  switch (a) {
    case nn::Activation::GeluTanh: return "gelu_tanh";
    case nn::Activation::Gelu: return "gelu";
    case nn::Activation::Silu: return "silu";
    case nn::Activation::Relu: return "relu";
  }
  return "gelu";
}

inline nn::Activation activation_from(const std::string& s, const std::string& what) {
  for (auto a : {nn::Activation::GeluTanh, nn::Activation::Gelu, nn::Activation::Silu, nn::Activation::Relu})
    if (s == activation_name(a)) return a;
  throw Error(tinylm::detail::str_cat(what, ": unknown activation '", s, "' (gelu, gelu_tanh, silu, relu)"));
}

/// Reads member `key` of the config object, naming the file when it is missing.
struct ConfigReader {
  const Json& j;
  const std::string& what;
  const Json& operator()(const char* key) const {
    const Json* v = j.find(key);
    TINYLM_CHECK(v, what, ": model config has no '", key, "'");
    return *v;
  }
};

inline const std::string& config_text(const SafetensorsFile& f, const char* key) {
  const auto it = f.metadata().find(key);
  TINYLM_CHECK(it != f.metadata().end(), "model file '", f.path(), "' has no '", key, "' in its metadata");
  return it->second;
}

}  // namespace detail

inline Json to_json(const nn::Seq2SeqConfig& c) {
  Json j = Json::object();
  j.set("src_vocab_size", c.src_vocab_size);
  j.set("tgt_vocab_size", c.tgt_vocab_size);
  j.set("max_source_len", c.max_source_len);
  j.set("max_target_len", c.max_target_len);
  j.set("n_embd", c.n_embd);
  j.set("n_head", c.n_head);
  j.set("n_encoder_layer", c.n_encoder_layer);
  j.set("n_decoder_layer", c.n_decoder_layer);
  j.set("hidden", c.hidden);
  j.set("activation", detail::activation_name(c.activation));
  j.set("dropout", c.dropout);
  j.set("norm_first", c.norm_first);
  j.set("share_embeddings", c.share_embeddings);
  j.set("tie_output", c.tie_output);
  j.set("pad_id", static_cast<int64_t>(c.pad_id));
  return j;
}

inline nn::Seq2SeqConfig seq2seq_config_from_json(const Json& j, const std::string& what) {
  const detail::ConfigReader get{j, what};
  nn::Seq2SeqConfig c;
  c.src_vocab_size = get("src_vocab_size").as_int("src_vocab_size");
  c.tgt_vocab_size = get("tgt_vocab_size").as_int("tgt_vocab_size");
  c.max_source_len = get("max_source_len").as_int("max_source_len");
  c.max_target_len = get("max_target_len").as_int("max_target_len");
  c.n_embd = get("n_embd").as_int("n_embd");
  c.n_head = get("n_head").as_int("n_head");
  c.n_encoder_layer = get("n_encoder_layer").as_int("n_encoder_layer");
  c.n_decoder_layer = get("n_decoder_layer").as_int("n_decoder_layer");
  c.hidden = get("hidden").as_int("hidden");
  c.activation = detail::activation_from(get("activation").as_string("activation"), what);
  c.dropout = get("dropout").as_number("dropout");
  c.norm_first = get("norm_first").as_bool("norm_first");
  c.share_embeddings = get("share_embeddings").as_bool("share_embeddings");
  c.tie_output = get("tie_output").as_bool("tie_output");
  const int64_t pad = get("pad_id").as_int("pad_id");
  TINYLM_CHECK(pad >= 0 && pad <= INT32_MAX, what, ": pad_id ", pad, " is out of range");
  c.pad_id = static_cast<int32_t>(pad);
  c.validate();
  return c;
}

inline Json to_json(const nn::BertConfig& c) {
  Json j = Json::object();
  j.set("vocab_size", c.vocab_size);
  j.set("max_position", c.max_position);
  j.set("type_vocab_size", c.type_vocab_size);
  j.set("n_embd", c.n_embd);
  j.set("n_head", c.n_head);
  j.set("n_layer", c.n_layer);
  j.set("hidden", c.hidden);
  j.set("activation", detail::activation_name(c.activation));
  j.set("dropout", c.dropout);
  j.set("layer_norm_eps", c.layer_norm_eps);
  j.set("norm_first", c.norm_first);
  j.set("sentence_head", c.sentence_head);
  j.set("pad_id", static_cast<int64_t>(c.pad_id));
  return j;
}

inline nn::BertConfig bert_config_from_json(const Json& j, const std::string& what) {
  const detail::ConfigReader get{j, what};
  nn::BertConfig c;
  c.vocab_size = get("vocab_size").as_int("vocab_size");
  c.max_position = get("max_position").as_int("max_position");
  c.type_vocab_size = get("type_vocab_size").as_int("type_vocab_size");
  c.n_embd = get("n_embd").as_int("n_embd");
  c.n_head = get("n_head").as_int("n_head");
  c.n_layer = get("n_layer").as_int("n_layer");
  c.hidden = get("hidden").as_int("hidden");
  c.activation = detail::activation_from(get("activation").as_string("activation"), what);
  c.dropout = get("dropout").as_number("dropout");
  c.layer_norm_eps = get("layer_norm_eps").as_number("layer_norm_eps");
  c.norm_first = get("norm_first").as_bool("norm_first");
  c.sentence_head = get("sentence_head").as_bool("sentence_head");
  const int64_t pad = get("pad_id").as_int("pad_id");
  TINYLM_CHECK(pad >= 0 && pad <= INT32_MAX, what, ": pad_id ", pad, " is out of range");
  c.pad_id = static_cast<int32_t>(pad);
  c.validate();
  return c;
}

/// Writes the model and its config (and `metadata`) to `path`, atomically.
template <FloatElement T>
void save_seq2seq(const std::string& path, const nn::Seq2Seq<T>& model,
                  std::map<std::string, std::string> metadata = {}) {
  metadata[kSeq2SeqConfigKey] = to_json(model.config()).dump();
  save_module(path, model, metadata);
}

/// The model `path` holds, built from its config; every parameter must be
/// there with its shape (the error names the file and the parameter).
template <FloatElement T = float>
std::unique_ptr<nn::Seq2Seq<T>> load_seq2seq(const std::string& path) {
  const auto f = SafetensorsFile::read(path);
  const std::string what = "model file '" + path + "'";
  auto model = std::make_unique<nn::Seq2Seq<T>>(
      seq2seq_config_from_json(Json::parse(detail::config_text(f, kSeq2SeqConfigKey), what), what), 0);
  load_module(path, *model);
  return model;
}

template <FloatElement T>
void save_bert(const std::string& path, const nn::BertLM<T>& model, std::map<std::string, std::string> metadata = {}) {
  metadata[kBertConfigKey] = to_json(model.config()).dump();
  save_module(path, model, metadata);
}

template <FloatElement T = float>
std::unique_ptr<nn::BertLM<T>> load_bert(const std::string& path) {
  const auto f = SafetensorsFile::read(path);
  const std::string what = "model file '" + path + "'";
  auto model = std::make_unique<nn::BertLM<T>>(
      bert_config_from_json(Json::parse(detail::config_text(f, kBertConfigKey), what), what), 0);
  load_module(path, *model);
  return model;
}

}  // namespace tinylm::io
