#pragma once
// The bodies of data/bpe_files.hpp's functions: included by that header in a header-only
// build, compiled once into tinylm_compiled otherwise (core/config.hpp).

#include "tinylm/data/bpe_files.hpp"

namespace tinylm::data::detail {

TINYLM_DECL std::string base64_encode(std::string_view bytes) {
  static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kDigits[(v >> 18) & 63]);
    out.push_back(kDigits[(v >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kDigits[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < bytes.size() ? kDigits[v & 63] : '=');
  }
  return out;
}

TINYLM_DECL bool base64_decode(std::string_view text, std::string& out) {
  auto digit = [](char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  out.clear();
  if (text.empty() || text.size() % 4 != 0) return false;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
    if (pad == 1 && text[i + 2] == '=') return false;
    uint32_t v = 0;
    for (int k = 0; k < 4 - pad; ++k) {
      const int d = digit(text[i + static_cast<std::size_t>(k)]);
      if (d < 0) return false;
      v |= static_cast<uint32_t>(d) << (18 - 6 * k);
    }
    out.push_back(static_cast<char>(v >> 16));
    if (pad < 2) out.push_back(static_cast<char>((v >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(v & 0xFF));
  }
  return true;
}

}  // namespace tinylm::data::detail

namespace tinylm::data {

TINYLM_DECL BPETokenizer load_tiktoken(const std::string& path, SplitPattern pattern,
                                       std::vector<std::pair<std::string, int32_t>> specials) {
  const std::string text = read_text_file(path);
  std::vector<std::string> tokens;
  std::size_t pos = 0, line_no = 0;
  std::string bytes;
  const std::size_t max_rank =
      static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1 + specials.size();
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.empty()) continue;
    const std::size_t sp = line.find(' ');
    TINYLM_CHECK(sp != std::string_view::npos, path, ":", line_no, ": expected '<base64 token> <rank>'");
    TINYLM_CHECK(detail::base64_decode(line.substr(0, sp), bytes), path, ":", line_no, ": '", line.substr(0, sp),
                 "' is not base64");
    const std::string rank_text(line.substr(sp + 1));
    std::size_t used = 0;
    long long rank = -1;
    try {
      rank = std::stoll(rank_text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    TINYLM_CHECK(used == rank_text.size() && rank >= 0, path, ":", line_no, ": rank '", rank_text,
                 "' is not a non-negative integer");
    // Ranks are dense (holes only for the given special tokens): none reaches the lines plus the specials.
    TINYLM_CHECK(static_cast<std::size_t>(rank) < max_rank, path, ":", line_no, ": rank ", rank,
                 " is out of range for ", max_rank, " tokens (the file's lines and the special tokens)");
    const auto r = static_cast<std::size_t>(rank);
    if (r >= tokens.size()) tokens.resize(r + 1);
    TINYLM_CHECK(tokens[r].empty(), path, ":", line_no, ": rank ", rank, " is given twice");
    tokens[r] = bytes;
  }
  for (std::size_t id = 0; id < tokens.size(); ++id) {
    if (!tokens[id].empty()) continue;
    bool special = false;
    for (const auto& s : specials) special = special || s.second == static_cast<int32_t>(id);
    TINYLM_CHECK(special, path, ": no token has rank ", id, " (ranks must run 0, 1, 2, ... without gaps)");
  }
  try {
    return BPETokenizer(std::move(tokens), std::move(specials), pattern);
  } catch (const Error& e) {
    throw Error(tinylm::detail::str_cat(path, ": ", e.what()));
  }
}

TINYLM_DECL void save_tiktoken(const BPETokenizer& tok, const std::string& path) {
  std::string out;
  for (int32_t id = 0; id < tok.vocab_size(); ++id)
    if (tok.is_ordinary(id)) out += detail::base64_encode(tok.token_bytes(id)) + " " + std::to_string(id) + "\n";
  write_file_atomic(path, {out});
}

TINYLM_DECL io::Json to_hf_json(const BPETokenizer& tok) {
  using io::Json;
  auto obj = [](std::initializer_list<std::pair<const char*, Json>> kv) {
    Json j = Json::object();
    for (const auto& [k, v] : kv) j.set(k, v);
    return j;
  };
  Json added = Json::array();
  for (const auto& [text, id] : tok.special_tokens())
    added.push_back(obj({{"id", static_cast<int64_t>(id)},
                         {"content", text},
                         {"single_word", false},
                         {"lstrip", false},
                         {"rstrip", false},
                         {"normalized", false},
                         {"special", true}}));
  auto byte_level = [&](bool use_regex) {
    return obj({{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", use_regex}});
  };
  Json pre;
  if (tok.pretokenizer().pattern() == SplitPattern::GPT2) {
    pre = byte_level(true);
  } else {
    Json seq = Json::array();
    seq.push_back(obj({{"type", "Split"},
                       {"pattern", obj({{"Regex", detail::canonical_pattern(SplitPattern::GPT4)}})},
                       {"behavior", "Isolated"},
                       {"invert", false}}));
    seq.push_back(byte_level(false));
    pre = obj({{"type", "Sequence"}, {"pretokenizers", seq}});
  }
  Json vocab = Json::object();
  for (int32_t id = 0; id < tok.vocab_size(); ++id)
    if (tok.is_ordinary(id)) vocab.set(detail::to_byte_unicode(tok.token_bytes(id)), static_cast<int64_t>(id));
  TINYLM_CHECK(!tok.merges().empty() || tok.num_ordinary_tokens() == 256,
               "to_hf_json: this tokenizer merges by ranks only (a .tiktoken file); Hugging Face's BPE needs the "
               "merges");
  Json merges = Json::array();
  for (const auto& [a, b] : tok.merges())
    merges.push_back(detail::to_byte_unicode(tok.token_bytes(a)) + " " + detail::to_byte_unicode(tok.token_bytes(b)));
  return obj({{"version", "1.0"},
              {"truncation", nullptr},
              {"padding", nullptr},
              {"added_tokens", added},
              {"normalizer", nullptr},
              {"pre_tokenizer", pre},
              {"post_processor", nullptr},
              {"decoder", byte_level(true)},
              {"model", obj({{"type", "BPE"},
                             {"dropout", nullptr},
                             {"unk_token", nullptr},
                             {"continuing_subword_prefix", nullptr},
                             {"end_of_word_suffix", nullptr},
                             {"fuse_unk", false},
                             {"byte_fallback", false},
                             {"ignore_merges", false},
                             {"vocab", vocab},
                             {"merges", merges}})}});
}

TINYLM_DECL void save_hf_json(const BPETokenizer& tok, const std::string& path) {
  write_file_atomic(path, {to_hf_json(tok).dump(), "\n"});
}

TINYLM_DECL BPETokenizer load_hf_json(const std::string& path) {
  using io::Json;
  const Json j = Json::parse(read_text_file(path), path);
  auto member = [&](const Json& o, const char* key, const std::string& where) -> const Json& {
    const Json* m = o.find(key);
    TINYLM_CHECK(m, path, ": ", where, " has no '", key, "'");
    return *m;
  };
  const Json& model = member(j, "model", "the file");
  TINYLM_CHECK(model.find("type") && model.find("type")->as_string() == "BPE", path,
               ": model.type is not 'BPE' (only byte-level BPE tokenizers are read)");
  // The pre-tokenizer: GPT-2's ByteLevel, or GPT-4's pattern split before a ByteLevel.
  const Json& pre = member(j, "pre_tokenizer", "the file");
  SplitPattern pattern = SplitPattern::GPT2;
  auto type_of = [&](const Json& o) { return o.find("type") ? o.find("type")->as_string() : std::string(); };
  if (type_of(pre) == "ByteLevel") {
    const Json* re = pre.find("use_regex");
    TINYLM_CHECK(!re || re->as_bool("pre_tokenizer.use_regex"), path,
                 ": a ByteLevel pre_tokenizer without its regex is not supported");
  } else if (type_of(pre) == "Sequence") {
    const auto& parts = member(pre, "pretokenizers", "pre_tokenizer").as_array();
    const Json* regex = parts.size() == 2 && type_of(parts[0]) == "Split" && parts[0].find("pattern")
                            ? parts[0].find("pattern")->find("Regex")
                            : nullptr;
    TINYLM_CHECK(regex && type_of(parts[1]) == "ByteLevel" &&
                     regex->as_string() == detail::canonical_pattern(SplitPattern::GPT4),
                 path, ": the pre_tokenizer is neither GPT-2's nor GPT-4's");
    pattern = SplitPattern::GPT4;
  } else {
    throw Error(tinylm::detail::str_cat(path, ": pre_tokenizer type '", type_of(pre), "' is not supported"));
  }
  std::vector<std::pair<std::string, int32_t>> specials;
  if (const Json* added = j.find("added_tokens")) {
    const std::size_t max_id = member(model, "vocab", "model").as_object().size() + added->as_array().size();
    for (const Json& a : added->as_array()) {
      const int64_t id = member(a, "id", "an added token").as_int("an added token's id");
      TINYLM_CHECK(id >= 0 && static_cast<std::size_t>(id) < max_id, path, ": added token id ", id,
                   " is out of range for ", max_id, " tokens");
      specials.emplace_back(member(a, "content", "an added token").as_string(), static_cast<int32_t>(id));
    }
  }
  auto is_special = [&](int64_t id) {
    for (const auto& s : specials)
      if (s.second == id) return true;
    return false;
  };
  std::vector<std::string> tokens;
  std::unordered_map<std::string, int32_t> id_of;  // as written
  std::string bytes;
  for (const auto& [text, idj] : member(model, "vocab", "model").as_object()) {
    const int64_t id = idj.as_int("model.vocab['" + text + "']");
    // Ids are dense: none reaches the vocabulary's size plus the added tokens.
    const std::size_t max_id = member(model, "vocab", "model").as_object().size() + specials.size();
    TINYLM_CHECK(id >= 0 && static_cast<std::size_t>(id) < max_id, path, ": vocab token '", text, "' has id ", id,
                 ", out of range for ", max_id, " tokens");
    TINYLM_CHECK(id_of.emplace(text, static_cast<int32_t>(id)).second, path, ": vocab token '", text,
                 "' appears twice");
    if (is_special(id)) continue;
    TINYLM_CHECK(detail::from_byte_unicode(text, bytes), path, ": vocab token '", text,
                 "' is not written in the byte-level alphabet");
    if (static_cast<std::size_t>(id) >= tokens.size()) tokens.resize(static_cast<std::size_t>(id) + 1);
    TINYLM_CHECK(tokens[static_cast<std::size_t>(id)].empty(), path, ": id ", id, " is given to two vocab tokens");
    tokens[static_cast<std::size_t>(id)] = bytes;
  }
  std::vector<std::pair<int32_t, int32_t>> merges;
  const auto& list = member(model, "merges", "model").as_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string a, b;
    if (list[i].is_string()) {  // "a b"
      const std::string& m = list[i].as_string();
      const std::size_t sp = m.find(' ');
      TINYLM_CHECK(sp != std::string::npos && m.find(' ', sp + 1) == std::string::npos, path, ": merge ", i, " ('", m,
                   "') is not two tokens separated by one space");
      a = m.substr(0, sp);
      b = m.substr(sp + 1);
    } else {  // ["a", "b"]
      const auto& pair = list[i].as_array("merge");
      TINYLM_CHECK(pair.size() == 2, path, ": merge ", i, " is not a pair");
      a = pair[0].as_string();
      b = pair[1].as_string();
    }
    for (const std::string* t : {&a, &b})
      TINYLM_CHECK(id_of.count(*t), path, ": merge ", i, " names the unknown token '", *t, "'");
    merges.emplace_back(id_of[a], id_of[b]);
  }
  try {
    return BPETokenizer(std::move(tokens), std::move(specials), pattern, {}, std::move(merges));
  } catch (const Error& e) {
    throw Error(tinylm::detail::str_cat(path, ": ", e.what()));
  }
}

TINYLM_DECL void save_llmc_tokenizer(const BPETokenizer& tok, int32_t eot, const std::string& path) {
  TINYLM_CHECK(eot >= 0 && eot < tok.vocab_size(), "save_llmc_tokenizer: end-of-text id ", eot,
               " is out of range for a vocabulary of ", tok.vocab_size());
  std::string header(256 * 4, '\0');
  const int32_t fields[4] = {20240328, 2, static_cast<int32_t>(tok.vocab_size()), eot};
  std::memcpy(header.data(), fields, sizeof fields);
  std::string body;
  for (int32_t id = 0; id < tok.vocab_size(); ++id) {
    const std::string& b = tok.token_bytes(id);
    TINYLM_CHECK(b.size() < 256, "save_llmc_tokenizer: token ", id, " is ", b.size(),
                 " bytes long; llm.c's format holds at most 255");
    body.push_back(static_cast<char>(b.size()));
    body += b;
  }
  write_file_atomic(path, {header, body});
}

TINYLM_DECL bool has_bpe_files(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  return fs::exists(dir / "tokenizer.json") || (fs::exists(dir / "vocab.json") && fs::exists(dir / "merges.txt")) ||
         (fs::exists(dir / "encoder.json") && fs::exists(dir / "vocab.bpe"));
}

TINYLM_DECL BPETokenizer load_bpe(const std::string& path) {
  namespace fs = std::filesystem;
  if (fs::is_directory(path)) {
    const fs::path dir(path);
    if (fs::exists(dir / "tokenizer.json")) return load_hf_json((dir / "tokenizer.json").string());
    if (fs::exists(dir / "vocab.json") && fs::exists(dir / "merges.txt"))
      return BPETokenizer::from_gpt2_files((dir / "vocab.json").string(), (dir / "merges.txt").string());
    TINYLM_CHECK(fs::exists(dir / "encoder.json") && fs::exists(dir / "vocab.bpe"), "load_bpe: directory '", path,
                 "' has no tokenizer.json, vocab.json and merges.txt, or encoder.json and vocab.bpe");
    return BPETokenizer::from_gpt2_files((dir / "encoder.json").string(), (dir / "vocab.bpe").string());
  }
  if (path.ends_with(".tiktoken")) return load_tiktoken(path);
  TINYLM_CHECK(path.ends_with(".json"), "load_bpe: '", path,
               "' is not a tokenizer.json, a .tiktoken file or a directory of GPT-2's files");
  return load_hf_json(path);
}

}  // namespace tinylm::data
