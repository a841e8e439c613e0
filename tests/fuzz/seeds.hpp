#pragma once
// Seed inputs for every fuzz target, made by tinylm itself: a model file
// and a training state of the tiny GPT, a tokenizer in each file format, an
// ARPA file, a token shard, conversations, ... Each is a valid input, so
// the fuzzer starts from the paths that succeed. write_seeds(dir) writes
// them as dir/<target>/<name>; the unit tests check that each one loads.

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "targets.hpp"

namespace fuzz {

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// target -> name -> bytes.
using Seeds = std::map<std::string, std::map<std::string, std::string>>;

/// Writes with `write(path)` into a temporary file and returns its bytes.
template <class Write>
std::string bytes_of(const std::string& name, Write write) {
  const std::string path = scratch_file(name, "");
  write(path);
  return slurp(path);
}

inline Seeds make_seeds() {
  using tinylm::io::Json;
  Seeds s;
  // Models and training states.
  tinylm::nn::GPT<float> model(tiny_config(), 1);
  const auto chars = tinylm::data::CharTokenizer::from_text("abcd\n");
  const std::string model_file = bytes_of("seed.safetensors", [&](const std::string& p) {
    tinylm::io::save_gpt(p, model, tinylm::io::tokenizer_metadata(chars));
  });
  tinylm::optim::AdamW<float> opt(model.named_parameters(), {1e-3});
  {
    const auto x = tinylm::Tensor<int32_t>::from_vector({1, 2, 3, 4}, {1, 4});
    model.forward(x, x).loss.backward();
    opt.step();
  }
  tinylm::io::TrainingState st;
  st.step = 1;
  st.generators["data"] = tinylm::Generator(3).state();
  st.generators["dropout"] = tinylm::Generator(4).state();
  const std::string state_file =
      bytes_of("seed.train.safetensors", [&](const std::string& p) { tinylm::io::save_training_state(p, opt, st); });
  s["safetensors"]["model"] = model_file;
  s["safetensors"]["train_state"] = state_file;
  s["json"]["config"] = tinylm::io::to_json(model.config()).dump();
  s["json"]["hf_config"] = tinylm::io::hf_config(model.config(), 4).dump();
  s["json"]["escapes"] = R"({"a":[1,-2.5e-3,true,false,null,"\u00e9\ud83d\ude00\n"],"b":{}})";
  s["hf_config"]["gpt2"] = tinylm::io::hf_config(model.config(), 4).dump();
  // Tokenizers.
  tinylm::data::BPETrainOptions bo;
  bo.vocab_size = 270;
  bo.special_tokens = {"<|endoftext|>"};
  const auto bpe = tinylm::data::train_bpe({"the cat sat on the mat; the cat ran. the hat, the cat"}, bo);
  s["tokenizer"]["tokenizer_json"] = std::string(1, '\0') + tinylm::data::to_hf_json(bpe).dump();
  s["tokenizer"]["tiktoken"] = std::string(1, '\1') + bytes_of("seed.tiktoken", [&](const std::string& p) {
                                 tinylm::data::save_tiktoken(bpe, p);
                               });
  s["json"]["tokenizer_json"] = tinylm::data::to_hf_json(bpe).dump();
  {  // GPT-2's two files, in both names: the vocabulary as JSON, the merges as lines.
    const Json hf = tinylm::data::to_hf_json(bpe);
    std::string merges = "#version: 0.2\n";
    for (const auto& m : hf.at("model").at("merges").as_array())
      merges +=
          (m.is_string() ? m.as_string() : m.as_array()[0].as_string() + " " + m.as_array()[1].as_string()) + "\n";
    const std::string vocab = hf.at("model").at("vocab").dump();
    s["tokenizer"]["gpt2_files"] = std::string(1, '\2') + vocab + std::string(1, '\0') + merges;
    s["tokenizer"]["hf_files"] = std::string(1, '\3') + vocab + std::string(1, '\0') + merges;
  }
  {
    auto c = tinylm::data::CharTokenizer::from_text("hello world");
    c.add_special_tokens({"<|end|>"});
    const auto meta = tinylm::io::tokenizer_metadata(c);
    // The target reads a length byte (at most 64) and that many bytes of specials, then the vocabulary.
    s["char_tokenizer"]["with_special"] =
        std::string(1, static_cast<char>(meta.at(tinylm::io::kSpecialTokensKey).size())) +
        meta.at(tinylm::io::kSpecialTokensKey) + meta.at(tinylm::io::kTokenizerKey);
  }
  // An ARPA file.
  {
    const tinylm::lm::NGramVocab v{{"<unk>", "<s>", "</s>", "the", "a", "b"}, 1, 2, 0};
    const auto lm = tinylm::lm::NGramLM::train({{1, 3, 4, 5, 2}, {1, 3, 5, 2}, {1, 4, 4, 2}}, v,
                                               {3, tinylm::lm::Smoothing::ModifiedKneserNey, 1.0, 0.0});
    s["arpa"]["mkn3"] = bytes_of("seed.arpa", [&](const std::string& p) { tinylm::lm::write_arpa(p, lm); });
  }
  // Token shards, both widths.
  const std::vector<int32_t> ids{0, 1, 2, 3, 65535, 7};
  s["shard"]["u16"] =
      bytes_of("seed16.bin", [&](const std::string& p) { tinylm::data::write_shard_ids(p, ids, 65536); });
  s["shard"]["u32"] =
      bytes_of("seed32.bin", [&](const std::string& p) { tinylm::data::write_shard_ids(p, ids, 70000); });
  // Text: lines with cut points between them, a run of blank lines, UTF-8.
  s["text_corpus"]["lines"] = std::string(1, '\x05') + "the cat\nsat on\n\n the mat.\n\xc3\xa9t\xc3\xa9\nend";
  // Conversations.
  tinylm::lm::Conversation conv{
      {tinylm::lm::Role::System, "a b c."}, {tinylm::lm::Role::User, "abc?"}, {tinylm::lm::Role::Assistant, "xyz."}};
  s["chat_jsonl"]["two_lines"] =
      std::string(1, '\0') + tinylm::lm::conversation_to_json(conv) + "\n\n" + tinylm::lm::conversation_to_json(conv);
  {
    auto tok = tinylm::data::CharTokenizer::from_text("abc xyz?.");
    tok.add_special_tokens(tinylm::lm::ChatTokens{}.all());
    const tinylm::lm::ChatFormat format(tok);
    std::string bytes;
    for (int32_t id : format.render(conv).ids) bytes += static_cast<char>(id);
    s["chat_parse"]["rendered"] = bytes;
  }
  // Request bodies of serve's API, one per endpoint, with every field it reads.
  {
    Json chat = Json::object();
    chat.set("model", "tiny");
    Json msgs = Json::array();
    Json system = Json::object();
    system.set("role", tinylm::lm::role_name(conv[0].role));
    system.set("content", conv[0].content);
    msgs.push_back(system);
    Json parts = Json::object();
    parts.set("type", "text");
    parts.set("text", "abc?");
    Json user = Json::object();
    user.set("role", "user");
    user.set("content", Json::array({parts}));
    msgs.push_back(user);
    chat.set("messages", msgs);
    chat.set("temperature", 0.5);
    chat.set("top_p", 0.9);
    chat.set("max_tokens", int64_t{8});
    chat.set("seed", int64_t{7});
    chat.set("stream", true);
    Json so = Json::object();
    so.set("include_usage", true);
    chat.set("stream_options", so);
    chat.set("stop", Json::array({Json("."), Json("?")}));
    s["http_body"]["chat"] = chat.dump();
    Json completion = Json::object();
    completion.set("prompt", Json::array({Json("abc")}));
    completion.set("max_completion_tokens", int64_t{4});
    completion.set("echo", true);
    completion.set("n", int64_t{1});
    completion.set("logprobs", false);
    s["http_body"]["completion"] = completion.dump();
  }
  s["flags"]["each_kind"] = std::string("--text\0cuda:1\0--int=-5\0--num\0001.5e3\0--switch\0--many\0x\0--many=y", 48);
  // The structured targets: bytes that choose small, consistent headers.
  std::string pattern;
  for (int i = 0; i < 96; ++i) pattern += static_cast<char>((i * 37 + 11) % 7);
  s["safetensors_structured"]["small"] = pattern;
  s["checkpoint_structured"]["small"] = pattern;
  return s;
}

/// Writes make_seeds() as dir/<target>/<name>.
inline void write_seeds(const std::filesystem::path& dir) {
  for (const auto& [target, files] : make_seeds()) {
    std::filesystem::create_directories(dir / target);
    for (const auto& [name, bytes] : files) {
      std::ofstream out(dir / target / name, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
  }
}

}  // namespace fuzz
