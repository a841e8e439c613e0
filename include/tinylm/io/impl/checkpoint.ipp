#pragma once
// The bodies of io/checkpoint.hpp's functions: included by that header in a header-only
// build, compiled once into tinylm_compiled otherwise (core/config.hpp).

#include "tinylm/io/checkpoint.hpp"

namespace tinylm::io {

TINYLM_DECL std::map<std::string, std::string> tokenizer_metadata(const data::CharTokenizer& tok) {
  std::map<std::string, std::string> m{{kTokenizerKey, tok.to_string()}, {kTokenizerKindKey, "char"}};
  const auto specials = tok.special_tokens();
  if (!specials.empty()) {
    Json j = Json::object();
    for (const auto& sp : specials) j.set(sp.text, static_cast<int64_t>(sp.id));
    m[kSpecialTokensKey] = j.dump();
  }
  return m;
}

TINYLM_DECL data::CharTokenizer char_tokenizer_from(const std::map<std::string, std::string>& metadata,
                                                    const std::string& what) {
  auto vocab = metadata.find(kTokenizerKey);
  TINYLM_CHECK(vocab != metadata.end(), what, " has no '", kTokenizerKey, "' in its metadata: no tokenizer was saved");
  auto kind = metadata.find(kTokenizerKindKey);
  TINYLM_CHECK(kind == metadata.end() || kind->second == "char", what, ": its tokenizer is '", kind->second,
               "', not 'char'");
  std::vector<data::CharTokenizer::Special> specials;
  if (auto it = metadata.find(kSpecialTokensKey); it != metadata.end()) {
    const Json j = Json::parse(it->second, what + " " + kSpecialTokensKey);
    for (const auto& [text, id] : j.as_object(kSpecialTokensKey))
      specials.push_back({text, static_cast<int32_t>(id.as_int(text))});
  }
  try {
    return data::CharTokenizer::from_string(vocab->second, specials);
  } catch (const Error& e) {
    throw Error(tinylm::detail::str_cat(what, ": ", e.what()));
  }
}

TINYLM_DECL Json to_json(const nn::GPTConfig& c) {
  Json j = Json::object();
  j.set("vocab_size", c.vocab_size);
  j.set("block_size", c.block_size);
  j.set("n_layer", c.n_layer);
  j.set("n_head", c.n_head);
  j.set("n_embd", c.n_embd);
  j.set("dropout", c.dropout);
  return j;
}

TINYLM_DECL nn::GPTConfig gpt_config_from_json(const Json& j, const std::string& what) {
  auto get = [&](const char* key) -> const Json& {
    const Json* v = j.find(key);
    TINYLM_CHECK(v, what, ": model config has no '", key, "'");
    return *v;
  };
  nn::GPTConfig c;
  c.vocab_size = get("vocab_size").as_int("vocab_size");
  c.block_size = get("block_size").as_int("block_size");
  c.n_layer = get("n_layer").as_int("n_layer");
  c.n_head = get("n_head").as_int("n_head");
  c.n_embd = get("n_embd").as_int("n_embd");
  c.dropout = get("dropout").as_number("dropout");
  c.validate();
  return c;
}

TINYLM_DECL void check_config_fits(const SafetensorsFile& f, const nn::GPTConfig& c) {
  const int64_t n = c.num_parameters();
  TINYLM_CHECK(static_cast<uint64_t>(n) <= f.data_bytes() / 2, "checkpoint '", f.path(), "': its config (n_layer ",
               c.n_layer, ", n_embd ", c.n_embd, ", vocab_size ", c.vocab_size, ", block_size ", c.block_size,
               ") describes ", n, " parameters, but the file holds only ", f.data_bytes(), " bytes of tensor data");
}

TINYLM_DECL nn::GPTConfig read_gpt_config(const SafetensorsFile& f) {
  auto it = f.metadata().find("tinylm.config");
  TINYLM_CHECK(it != f.metadata().end(), "checkpoint '", f.path(),
               "' has no 'tinylm.config' in its metadata: it was not written by tinylm's save_gpt");
  const nn::GPTConfig c = gpt_config_from_json(Json::parse(it->second, "checkpoint '" + f.path() + "' tinylm.config"),
                                               "checkpoint '" + f.path() + "'");
  check_config_fits(f, c);
  return c;
}

TINYLM_DECL std::string to_string(const Generator::State& s) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %d %a", s.s[0], s.s[1], s.s[2],
                s.s[3], s.has_cached_normal ? 1 : 0, s.cached_normal);
  return buf;
}

TINYLM_DECL Generator::State generator_state_from_string(const std::string& text, const std::string& what) {
  std::vector<std::string> fields;
  for (std::size_t pos = 0; pos <= text.size();) {
    const std::size_t sp = std::min(text.find(' ', pos), text.size());
    fields.push_back(text.substr(pos, sp - pos));
    pos = sp + 1;
  }
  auto bad = [&](const std::string& why) {
    return Error(tinylm::detail::str_cat(what, ": generator state '", text, "': ", why));
  };
  if (fields.size() != 6) throw bad("expected 6 fields separated by single spaces");
  Generator::State s;
  for (int i = 0; i < 4; ++i) {
    const std::string& f = fields[static_cast<std::size_t>(i)];
    errno = 0;
    char* end = nullptr;
    const unsigned long long v =
        f.empty() || f.find_first_not_of("0123456789") != std::string::npos ? 0 : std::strtoull(f.c_str(), &end, 10);
    if (end != f.c_str() + f.size() || errno != 0)
      throw bad("word " + std::to_string(i) + " is not a 64-bit unsigned integer");
    s.s[static_cast<std::size_t>(i)] = v;
  }
  if (fields[4] != "0" && fields[4] != "1") throw bad("field 5 must be 0 or 1");
  s.has_cached_normal = fields[4] == "1";
  try {
    s.cached_normal = parse_number(fields[5], "the cached normal");
  } catch (const Error& e) {
    throw bad(e.what());
  }
  if ((s.s[0] | s.s[1] | s.s[2] | s.s[3]) == 0)
    throw bad("all four words are zero, a state the generator never leaves (it would draw 0 forever)");
  return s;
}

TINYLM_DECL std::size_t training_state_model_tensors(const SafetensorsFile& f) {
  return static_cast<std::size_t>(std::count_if(f.names().begin(), f.names().end(),
                                                [](const std::string& n) { return n.starts_with(kStateModelPrefix); }));
}

}  // namespace tinylm::io
