#pragma once
// A chat model directory, as chat_train writes it and chat reads it:
//
//   model.safetensors   the GPT (tinylm's checkpoint: config, and a
//                       character tokenizer in its metadata)
//   tokenizer.json      the BPE, when the model uses one
//   chat_template.json  the special tokens of the turns ({"bos": "<|bos|>",
//                       "system": ..., "user": ..., "assistant": ..., "end": ...})
//   config.json         the model's shape, as Hugging Face writes GPT-2's
//
// A directory without chat_template.json is a base model, not a chat model:
// load_chat_model refuses it saying so; load_model_dir takes either.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <tinylm/tinylm.hpp>

namespace examples {

/// A character tokenizer or a BPE, with the calls the chat template needs.
struct ChatTokenizer {
  std::optional<tinylm::data::CharTokenizer> chars;
  std::optional<tinylm::data::BPETokenizer> bpe;

  std::vector<int32_t> encode_ordinary(std::string_view text) const {
    return chars ? chars->encode(text) : bpe->encode_ordinary(text);
  }
  std::string decode(const std::vector<int32_t>& ids) const { return chars ? chars->decode(ids) : bpe->decode(ids); }
  int32_t special_id(std::string_view t) const { return chars ? chars->special_id(t) : bpe->special_id(t); }
  int64_t vocab_size() const { return chars ? chars->vocab_size() : bpe->vocab_size(); }
  /// Adds the template's tokens that are not there yet.
  void add_chat_tokens(const tinylm::lm::ChatTokens& t) {
    std::vector<std::string> missing;
    for (const auto& s : t.all())
      if (special_id(s) < 0) missing.push_back(s);
    if (missing.empty()) return;
    if (chars) chars->add_special_tokens(missing);
    else bpe->add_special_tokens(missing);
  }
  std::string kind() const { return chars ? "characters" : "byte-level BPE"; }
};

inline tinylm::io::Json chat_template_json(const tinylm::lm::ChatTokens& t) {
  tinylm::io::Json j = tinylm::io::Json::object();
  j.set("bos", t.bos);
  j.set("system", t.system);
  j.set("user", t.user);
  j.set("assistant", t.assistant);
  j.set("end", t.end);
  return j;
}

/// Writes the directory (creating it); every file atomically.
inline void save_chat_model(const std::string& dir, const tinylm::nn::GPT<float>& model, const ChatTokenizer& tok,
                            const tinylm::lm::ChatTokens& tokens) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  std::map<std::string, std::string> meta;
  if (tok.chars) {
    meta = tinylm::io::tokenizer_metadata(*tok.chars);
  } else {
    tinylm::data::save_hf_json(*tok.bpe, (fs::path(dir) / "tokenizer.json").string());
    meta[tinylm::io::kTokenizerKindKey] = "bpe";
  }
  tinylm::io::save_gpt((fs::path(dir) / "model.safetensors").string(), model, meta);
  tinylm::write_file_atomic((fs::path(dir) / "config.json").string(),
                            {tinylm::io::hf_config(model.config()).dump(), "\n"});
  tinylm::write_file_atomic((fs::path(dir) / "chat_template.json").string(), {chat_template_json(tokens).dump(), "\n"});
}

/// A model directory loaded: the GPT, its tokenizer, and the chat
/// template's tokens when the directory has one.
struct ChatModel {
  std::unique_ptr<tinylm::nn::GPT<float>> model;
  ChatTokenizer tokenizer;
  std::optional<tinylm::lm::ChatTokens> tokens;  // none: a base model
};

/// Loads a model directory: tinylm's own (gpt_train or chat_train wrote it:
/// model.safetensors with the tokenizer in its metadata or in
/// tokenizer.json) or a Hugging Face GPT-2 (model.safetensors with
/// tokenizer.json, or vocab.json and merges.txt), and its chat template if
/// it has one. `name` is how errors call the directory.
inline ChatModel load_model_dir(const std::string& dir, const std::string& name) {
  namespace fs = std::filesystem;
  TINYLM_CHECK(fs::is_directory(dir), name, " is not a directory");
  const std::string weights = (fs::path(dir) / "model.safetensors").string();
  TINYLM_CHECK(fs::exists(weights), name, " has no model.safetensors");
  ChatModel m;
  const auto file = tinylm::io::SafetensorsFile::read(weights);
  if (file.metadata().count("tinylm.config")) {  // tinylm's own checkpoint
    m.model = tinylm::io::load_gpt<float>(weights);
    const auto kind = file.metadata().find(tinylm::io::kTokenizerKindKey);
    if (kind != file.metadata().end() && kind->second == "bpe")
      m.tokenizer.bpe = tinylm::data::load_bpe((fs::path(dir) / "tokenizer.json").string());
    else m.tokenizer.chars = tinylm::io::char_tokenizer_from(file.metadata(), weights);
  } else {
    TINYLM_CHECK(tinylm::data::has_bpe_files(dir), name,
                 " is a Hugging Face model without its tokenizer (tokenizer.json, or vocab.json and merges.txt)");
    m.model = tinylm::io::load_hf_gpt2<float>(dir);
    m.tokenizer.bpe = tinylm::data::load_bpe(dir);
  }
  TINYLM_CHECK(m.tokenizer.vocab_size() <= m.model->config().vocab_size, name, ": the tokenizer has ",
               m.tokenizer.vocab_size(), " tokens, more than the model's ", m.model->config().vocab_size);
  const std::string templ = (fs::path(dir) / "chat_template.json").string();
  if (!fs::exists(templ)) return m;
  const auto j = tinylm::io::Json::parse(tinylm::data::read_text_file(templ), templ);
  auto field = [&](const char* key) -> std::string {
    const auto* v = j.find(key);
    TINYLM_CHECK(v && v->is_string() && !v->as_string().empty(), templ, ": '", key,
                 "' is missing or not a non-empty string");
    return v->as_string();
  };
  m.tokens = tinylm::lm::ChatTokens{field("bos"), field("system"), field("user"), field("assistant"), field("end")};
  return m;
}

/// A model directory that must have a chat template.
inline ChatModel load_chat_model(const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string name = "'" + dir + "'";
  TINYLM_CHECK(fs::is_directory(dir), name, " is not a directory (give the directory chat_train wrote)");
  TINYLM_CHECK(fs::exists(fs::path(dir) / "model.safetensors"), name, " has no model.safetensors");
  TINYLM_CHECK(fs::exists(fs::path(dir) / "chat_template.json"), name,
               " has no chat template (chat_template.json): it is a base model, not one fine-tuned to chat; "
               "fine-tune it with chat_train --base ",
               dir);
  return load_model_dir(dir, name);
}

}  // namespace examples
