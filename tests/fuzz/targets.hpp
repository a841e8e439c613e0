#pragma once
// tinylm's fuzz targets: one function per parser, each taking the fuzzer's
// bytes. A target passes its input to the parser the way a user's file or
// request reaches it (through a file where the parser reads files) and
// accepts one outcome besides success: a tinylm::Error. Anything else (an
// other exception, a crash, a sanitizer report, a broken invariant checked
// with FUZZ_ASSERT) is a finding.
//
// Two kinds of target:
//   raw          the bytes are the file (json, safetensors, tokenizer, ...);
//   structured   the bytes are numbers that choose a header's fields (dims,
//                offsets, dtypes, config values, metadata), written as a
//                well-formed file, so that the fuzzer explores the checks
//                behind the syntax instead of the syntax
//                (safetensors_structured, checkpoint_structured).
//
// tests/fuzz/fuzz_main.cpp makes one libFuzzer binary of them (the target
// named by TINYLM_FUZZ_TARGET); tests/fuzz/test_regressions.cpp replays the
// committed regression inputs and seeds through the same functions in the
// unit tests, under the sanitizers.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <tinylm/tinylm.hpp>

#include "../../examples/flags.hpp"
#include "../../examples/openai_api.hpp"

namespace fuzz {

/// A broken invariant: abort, so that the fuzzer keeps the input.
#define FUZZ_ASSERT(cond)                                                                       \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "fuzz: invariant broken at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)

/// Reads numbers and strings off the front of the fuzzer's bytes; past the
/// end, every read gives zeros (so every input is some valid choice).
class Bytes {
 public:
  Bytes(const uint8_t* data, std::size_t size) : p_(data), n_(size) {}
  bool empty() const { return n_ == 0; }
  uint64_t u64() {
    uint64_t v = 0;
    const std::size_t k = std::min<std::size_t>(8, n_);
    std::memcpy(&v, p_, k);
    p_ += k, n_ -= k;
    return v;
  }
  uint8_t byte() {
    if (n_ == 0) return 0;
    --n_;
    return *p_++;
  }
  /// In [0, n) (n > 0).
  uint64_t below(uint64_t n) { return (n <= 256 ? byte() : u64()) % n; }
  bool flag() { return byte() & 1; }
  template <class T, std::size_t N>
  T pick(const T (&options)[N]) {
    return options[below(N)];
  }
  /// Up to `max` bytes.
  std::string text(std::size_t max) {
    const std::size_t k = std::min<std::size_t>(below(max + 1), n_);
    std::string s(reinterpret_cast<const char*>(p_), k);
    p_ += k, n_ -= k;
    return s;
  }
  /// Every byte not read yet.
  std::string rest() {
    std::string s(reinterpret_cast<const char*>(p_), n_);
    p_ += n_, n_ = 0;
    return s;
  }

 private:
  const uint8_t* p_;
  std::size_t n_;
};

/// A file in this process's scratch directory holding `bytes`; the same
/// name is rewritten by every run.
inline std::string scratch_file(const std::string& name, std::string_view bytes) {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("tinylm-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  const std::string path = (dir / name).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  FUZZ_ASSERT(out.good());
  return path;
}

/// Runs f; a tinylm::Error is an accepted outcome (the input was bad).
template <class F>
void expect_error_or_success(F&& f) {
  try {
    f();
  } catch (const tinylm::Error&) {}
}

/// The tiny GPT whose files checkpoint targets load: 5 tokens, 4 positions,
/// 1 block, 4 wide.
inline tinylm::nn::GPTConfig tiny_config() { return {5, 4, 1, 1, 4, 0.0}; }

// ---- JSON ---------------------------------------------------------------------

/// Json::parse; what parses is written, and the text written parses back to
/// the same text (the writer and the reader agree).
inline int json(const uint8_t* data, std::size_t size) {
  using tinylm::io::Json;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Json j;
  try {
    j = Json::parse(text, "fuzz");
  } catch (const tinylm::Error&) {
    return 0;
  }
  std::string once;
  try {
    once = j.dump();
  } catch (const tinylm::Error&) {
    return 0;  // nothing unwritable can be parsed, but the writer may refuse
  }
  FUZZ_ASSERT(Json::parse(once, "fuzz dump").dump() == once);
  return 0;
}

/// gpt_config_from_hf on a config.json, and the tinylm config reader.
inline int hf_config(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  expect_error_or_success([&] {
    const auto j = tinylm::io::Json::parse(text, "config.json");
    const auto c = tinylm::io::gpt_config_from_hf(j, "config.json");
    FUZZ_ASSERT(c.num_parameters() > 0);
  });
  expect_error_or_success([&] { tinylm::io::gpt_config_from_json(tinylm::io::Json::parse(text), "config"); });
  return 0;
}

// ---- safetensors and checkpoints ----------------------------------------------

/// Every tensor of a safetensors file, as float and as each integer type.
inline void read_every_tensor(const tinylm::io::SafetensorsFile& f) {
  for (const auto& name : f.names()) {
    expect_error_or_success([&] { (void)f.get<float>(name); });
    expect_error_or_success([&] { (void)f.get<double>(name); });
    expect_error_or_success([&] { (void)f.get_int<int64_t>(name); });
    expect_error_or_success([&] { (void)f.get_int<int32_t>(name); });
    expect_error_or_success([&] { (void)f.get_int<uint8_t>(name); });
  }
}

/// Loads the file at `path` every way tinylm loads a checkpoint: as a
/// safetensors file, a GPT model file (its config), a module's weights, a
/// training state for AdamW on the tiny GPT, and the tokenizer in its
/// metadata.
inline void load_checkpoint_every_way(const std::string& path) {
  expect_error_or_success([&] { read_every_tensor(tinylm::io::SafetensorsFile::read(path)); });
  expect_error_or_success([&] { (void)tinylm::io::load_gpt<float>(path); });
  expect_error_or_success([&] {
    const auto f = tinylm::io::SafetensorsFile::read(path);
    (void)tinylm::io::char_tokenizer_from(f.metadata(), path);
  });
  tinylm::nn::GPT<float> model(tiny_config(), 1);
  expect_error_or_success([&] { (void)tinylm::io::load_module(path, model, /*strict=*/false); });
  tinylm::optim::AdamW<float> opt(model.named_parameters(), {1e-3});
  expect_error_or_success([&] {
    const auto st = tinylm::io::load_training_state(path, opt);
    FUZZ_ASSERT(st.step >= 0);
    for (const auto& [name, g] : st.generators) {
      tinylm::Generator gen;
      gen.set_state(g);
      (void)gen.next_u64();
    }
  });
}

/// The bytes are a safetensors file.
inline int safetensors(const uint8_t* data, std::size_t size) {
  load_checkpoint_every_way(
      scratch_file("raw.safetensors", std::string_view(reinterpret_cast<const char*>(data), size)));
  return 0;
}

/// Sizes that find overflow and boundary bugs, and any 64-bit number.
inline int64_t pick_size(Bytes& b) {
  static const int64_t sizes[] = {0,
                                  1,
                                  2,
                                  3,
                                  4,
                                  5,
                                  7,
                                  8,
                                  16,
                                  255,
                                  256,
                                  65535,
                                  int64_t{1} << 31,
                                  (int64_t{1} << 32) + 1,
                                  int64_t{1} << 61,
                                  int64_t{1} << 62,
                                  (int64_t{1} << 62) + 1,
                                  INT64_MAX,
                                  INT64_MAX / 2 + 1,
                                  -1,
                                  INT64_MIN};
  switch (b.below(3)) {
    case 0: return b.pick(sizes);
    case 1: return static_cast<int64_t>(b.below(64));
    default: return static_cast<int64_t>(b.u64());
  }
}

/// A safetensors header from the bytes: 0 to 4 tensors (a name from the
/// tiny GPT and its optimizer, a dtype, a shape, offsets that are either the
/// consistent ones or chosen), metadata entries with chosen values, then
/// 0 to 512 data bytes; written as a well-formed file.
inline std::string structured_safetensors(Bytes& b, bool checkpoint) {
  using tinylm::io::Json;
  static const char* names[] = {"transformer.wte.weight",
                                "transformer.wpe.weight",
                                "transformer.h.0.ln_1.weight",
                                "transformer.h.0.attn.c_attn.weight",
                                "transformer.h.0.mlp.c_fc.bias",
                                "transformer.ln_f.bias",
                                "exp_avg.transformer.wte.weight",
                                "exp_avg_sq.transformer.wpe.weight",
                                "lm_head.weight",
                                "w"};
  static const char* dtypes[] = {"F32", "F64", "F16", "BF16", "I64", "I32", "U8", "BOOL", "U64", "F8"};
  static const char* meta_keys[] = {"tinylm.config",         "tinylm.step",          "tinylm.optimizer_steps",
                                    "tinylm.rng.data",       "tinylm.rng.dropout",   "tinylm.tokenizer",
                                    "tinylm.special_tokens", "tinylm.tokenizer_kind"};
  Json header = Json::object();
  const std::size_t data_size = b.below(513);
  std::size_t cursor = 0;
  const uint64_t n = b.below(5);
  for (uint64_t i = 0; i < n; ++i) {
    const std::string name = b.pick(names) + (b.flag() ? std::string() : std::to_string(i));
    if (header.find(name)) continue;
    const std::string dtype = b.pick(dtypes);
    Json shape = Json::array();
    const uint64_t nd = b.below(10);
    int64_t numel = 1;
    for (uint64_t d = 0; d < nd; ++d) {
      const int64_t dim = pick_size(b);
      shape.push_back(Json(dim));
      if (__builtin_mul_overflow(numel, dim, &numel)) numel = -1;
    }
    const std::size_t item = tinylm::io::detail::dtype_size(dtype);
    int64_t begin = static_cast<int64_t>(cursor), end = begin;
    if (b.flag() && numel >= 0 && item > 0) {  // consistent offsets (with the product computed as it wraps)
      end = static_cast<int64_t>(static_cast<uint64_t>(begin) + static_cast<uint64_t>(numel) * item);  // as it wraps
    } else {
      begin = pick_size(b);
      end = pick_size(b);
    }
    if (end >= begin && begin >= 0) cursor = static_cast<std::size_t>(end);
    Json t = Json::object();
    t.set("dtype", dtype);
    t.set("shape", shape);
    t.set("data_offsets", Json::array({Json(begin), Json(end)}));
    header.set(name, t);
  }
  if (checkpoint || b.flag()) {
    Json meta = Json::object();
    const uint64_t m = b.below(6);
    for (uint64_t i = 0; i < m; ++i) {
      const std::string key = b.pick(meta_keys);
      std::string value;
      if (key == "tinylm.config") {
        Json c = Json::object();
        for (const char* k : {"vocab_size", "block_size", "n_layer", "n_head", "n_embd"})
          c.set(k, b.flag() ? Json(pick_size(b)) : Json(static_cast<int64_t>(1 + b.below(8))));
        c.set("dropout", b.flag() ? Json(0.0) : Json(static_cast<double>(b.u64() % 1000) / 500.0 - 0.5));
        value = c.dump();
      } else if (key.starts_with("tinylm.rng.")) {
        value = std::to_string(b.flag() ? 0 : b.u64()) + " " + std::to_string(b.u64()) + " " +
                std::to_string(b.flag() ? 0 : b.u64()) + " " + std::to_string(b.flag() ? 0 : b.u64()) + " " +
                std::to_string(b.below(3)) + " " + (b.flag() ? "0x1p-1" : b.text(12));
      } else if (key == "tinylm.step" || key == "tinylm.optimizer_steps") {
        value = b.flag() ? std::to_string(pick_size(b)) : b.text(24);
      } else {
        value = b.text(40);
      }
      meta.set(key, value);
    }
    header.set("__metadata__", meta);
  }
  std::string h = header.dump();
  if (b.flag()) h.append(b.below(8), ' ');
  const uint64_t len = h.size();
  std::string file(8, '\0');
  std::memcpy(file.data(), &len, 8);
  file += h;
  for (std::size_t i = 0; i < data_size; ++i) file += static_cast<char>(b.byte());
  return file;
}

/// The bytes choose a safetensors header's numbers.
inline int safetensors_structured(const uint8_t* data, std::size_t size) {
  Bytes b(data, size);
  load_checkpoint_every_way(scratch_file("structured.safetensors", structured_safetensors(b, false)));
  return 0;
}

/// The bytes choose a checkpoint's header, config and training-state metadata.
inline int checkpoint_structured(const uint8_t* data, std::size_t size) {
  Bytes b(data, size);
  load_checkpoint_every_way(scratch_file("structured.ckpt.safetensors", structured_safetensors(b, true)));
  return 0;
}

// ---- tokenizers -----------------------------------------------------------------

/// What a loaded tokenizer must do: text it encodes decodes back to itself
/// (a byte-level BPE covers every byte).
inline void check_tokenizer(const tinylm::data::BPETokenizer& tok) {
  for (const std::string text : {"Hello, world! 123", "caf\xC3\xA9 \xE2\x82\xAC\n\n  x", ""}) {
    const auto ids = tok.encode_ordinary(text);
    FUZZ_ASSERT(tok.decode(ids) == text);
  }
}

/// The first byte picks the format (tokenizer.json, .tiktoken, GPT-2's
/// encoder.json + vocab.bpe, Hugging Face's vocab.json + merges.txt); the
/// rest is the file (for two files: split at the first NUL byte).
inline int tokenizer(const uint8_t* data, std::size_t size) {
  Bytes b(data, size);
  const uint64_t kind = b.below(4);
  const std::string rest = b.rest();
  expect_error_or_success([&] {
    if (kind == 0) {
      check_tokenizer(tinylm::data::load_bpe(scratch_file("tokenizer.json", rest)));
    } else if (kind == 1) {
      check_tokenizer(tinylm::data::load_bpe(scratch_file("x.tiktoken", rest)));
    } else {
      const std::size_t cut = std::min(rest.find('\0'), rest.size());
      const std::string first = rest.substr(0, cut), second = cut < rest.size() ? rest.substr(cut + 1) : "";
      const std::string a = scratch_file(kind == 2 ? "encoder.json" : "vocab.json", first);
      const std::string m = scratch_file(kind == 2 ? "vocab.bpe" : "merges.txt", second);
      check_tokenizer(tinylm::data::BPETokenizer::from_gpt2_files(a, m));
    }
  });
  return 0;
}

/// The saved form of a CharTokenizer (a model file's metadata).
inline int char_tokenizer(const uint8_t* data, std::size_t size) {
  Bytes b(data, size);
  const std::string specials = b.text(64);
  const std::string vocab = b.rest();
  expect_error_or_success([&] {
    const auto tok = tinylm::io::char_tokenizer_from(
        {{tinylm::io::kTokenizerKey, vocab}, {tinylm::io::kSpecialTokensKey, specials}}, "fuzz");
    const auto ids = tok.encode(vocab, tinylm::data::CharTokenizer::Unknown::Skip);
    for (int32_t id : ids) FUZZ_ASSERT(id >= 0 && id < tok.vocab_size());
  });
  return 0;
}

// ---- n-grams, shards, conversations ------------------------------------------------

/// An ARPA file, then a sentence scored with it.
inline int arpa(const uint8_t* data, std::size_t size) {
  expect_error_or_success([&] {
    const auto lm =
        tinylm::lm::ArpaLM::read(scratch_file("x.arpa", std::string_view(reinterpret_cast<const char*>(data), size)));
    int64_t oov = 0;
    const auto ids = lm.ids({"a", "b", "the", "</s>"}, &oov);
    (void)lm.evaluate({ids});
  });
  return 0;
}

/// An llm.c token shard (either width), read and mapped: both agree.
inline int shard(const uint8_t* data, std::size_t size) {
  const std::string path = scratch_file("x.bin", std::string_view(reinterpret_cast<const char*>(data), size));
  std::vector<int32_t> ids;
  bool read = false;
  expect_error_or_success([&] {
    ids = tinylm::data::read_shard_ids(path);
    for (int32_t id : ids) FUZZ_ASSERT(id >= 0);
    read = true;
  });
  expect_error_or_success([&] {
    const auto d = tinylm::data::TokenDataset::map_shard(path);
    FUZZ_ASSERT(read && d.slice(0, d.size()) == ids);
  });
  return 0;
}

/// A text corpus read a piece at a time (TextChunks, pieces of 1 to 64
/// bytes): the pieces are the file, each cut where is_text_cut_point says,
/// and the characters tokenized piece by piece are those of the whole text.
inline int text_corpus(const uint8_t* data, std::size_t size) {
  Bytes b(data, size);
  const std::size_t chunk = 1 + b.below(64);
  const std::string text = b.rest();
  const std::string path = scratch_file("x.txt", text);
  expect_error_or_success([&] {
    tinylm::data::TextChunks chunks(path, chunk);
    std::string joined;
    for (std::string piece; chunks.next(piece);) {
      FUZZ_ASSERT(!piece.empty() && chunks.offset() == joined.size());
      if (!joined.empty()) FUZZ_ASSERT(tinylm::data::is_text_cut_point(joined + piece.substr(0, 1), joined.size()));
      joined += piece;
    }
    FUZZ_ASSERT(joined == text);
  });
  expect_error_or_success([&] {
    const auto tok = tinylm::data::CharTokenizer::from_text_files({path});
    const auto whole = tok.encode(text);
    const auto d = tinylm::data::TokenDataset::tokenize_file(
        path, tok.vocab_size(), [&](std::string_view s) { return tok.encode(s); },
        std::filesystem::path(path).parent_path().string(), chunk);
    FUZZ_ASSERT(d.slice(0, d.size()) == whole);
  });
  return 0;
}

/// A JSONL file of conversations in the OpenAI messages format, strict and skipping.
inline int chat_jsonl(const uint8_t* data, std::size_t size) {
  Bytes b(data, size);
  const bool skip = b.flag();
  const std::string path = scratch_file("x.jsonl", b.rest());
  expect_error_or_success([&] {
    const auto file = tinylm::lm::read_chat_jsonl(path, skip);
    for (const auto& c : file.conversations) (void)tinylm::lm::conversation_to_json(c);
  });
  return 0;
}

/// ChatFormat::parse on any ids (of a character tokenizer with the chat
/// specials); what parses renders again.
inline int chat_parse(const uint8_t* data, std::size_t size) {
  static const auto tok = [] {
    auto t = tinylm::data::CharTokenizer::from_text("abc xyz?.");
    t.add_special_tokens(tinylm::lm::ChatTokens{}.all());
    return t;
  }();
  static const tinylm::lm::ChatFormat format(tok);
  std::vector<int32_t> ids;
  for (std::size_t i = 0; i < size; ++i)
    ids.push_back(data[i] >= 250 ? -static_cast<int32_t>(data[i] - 249) : static_cast<int32_t>(data[i] % 16));
  expect_error_or_success([&] {
    const auto c = format.parse(ids);
    expect_error_or_success([&] { (void)format.prompt(c); });
  });
  return 0;
}

// ---- the server's requests ----------------------------------------------------

/// A request body of serve's OpenAI API, read as both endpoints read it
/// (examples/openai_api.hpp); a chat request's conversation is then rendered
/// into a prompt, as serve does. An ApiError (answered as a 4xx) and a
/// tinylm::Error are accepted outcomes; what parses obeys the API's ranges.
inline int http_body(const uint8_t* data, std::size_t size) {
  namespace api = examples::openai;
  static const auto tok = [] {
    auto t = tinylm::data::CharTokenizer::from_text("abc xyz?.");
    t.add_special_tokens(tinylm::lm::ChatTokens{}.all());
    return t;
  }();
  static const tinylm::lm::ChatFormat format(tok);
  const std::string body(reinterpret_cast<const char*>(data), size);
  auto check_params = [](const api::Params& p) {
    FUZZ_ASSERT(p.temperature >= 0 && p.temperature <= 2);
    FUZZ_ASSERT(p.top_p > 0 && p.top_p <= 1);
    FUZZ_ASSERT(p.max_tokens == -1 || p.max_tokens >= 1);
    FUZZ_ASSERT(p.stop.size() <= 4);
    for (const auto& s : p.stop) FUZZ_ASSERT(!s.empty());
  };
  try {
    const auto r = api::parse_chat_request(body, "tiny", 8);
    check_params(r.params);
    FUZZ_ASSERT(!r.conversation.empty() && r.conversation.size() <= 8);
    FUZZ_ASSERT(r.conversation.back().role == tinylm::lm::Role::User);
    expect_error_or_success([&] { (void)format.prompt(r.conversation); });
  } catch (const api::ApiError& e) {
    FUZZ_ASSERT(e.status == 400 || e.status == 404);
    FUZZ_ASSERT(!e.message.empty());
    (void)api::error_body(e.status, e.message, e.param, e.code);
  }
  try {
    const auto r = api::parse_completion_request(body, "tiny");
    check_params(r.params);
    FUZZ_ASSERT(!r.prompt.empty() && r.params.max_tokens >= 1);
    expect_error_or_success([&] { (void)tok.encode(r.prompt); });
  } catch (const api::ApiError& e) {
    FUZZ_ASSERT(e.status == 400 || e.status == 404);
    (void)api::error_body(e.status, e.message, e.param, e.code);
  }
  return 0;
}

// ---- command lines ----------------------------------------------------------------

/// examples::Flags on an argv split at NUL bytes, with a flag of each type.
inline int flags(const uint8_t* data, std::size_t size) {
  std::vector<std::string> args{"prog"};
  std::string cur;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0) args.push_back(std::exchange(cur, std::string()));
    else cur += static_cast<char>(data[i]);
  }
  args.push_back(cur);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::string s;
  int64_t i = 0;
  double d = 0;
  bool f = false;
  std::vector<std::string> many;
  examples::Flags fl("prog", "fuzz");
  fl.add("text", &s, "");
  fl.add("int", &i, "");
  fl.add("num", &d, "");
  fl.add("switch", &f, "");
  fl.add("many", &many, "");
  expect_error_or_success([&] {
    if (fl.parse(static_cast<int>(argv.size()), argv.data())) FUZZ_ASSERT(std::isfinite(d));
  });
  expect_error_or_success([&] { (void)tinylm::Device::parse(s); });
  return 0;
}

// ---- the registry -------------------------------------------------------------------

struct Target {
  const char* name;
  int (*run)(const uint8_t*, std::size_t);
};

inline constexpr Target kTargets[] = {
    {"json", json},
    {"hf_config", hf_config},
    {"safetensors", safetensors},
    {"safetensors_structured", safetensors_structured},
    {"checkpoint_structured", checkpoint_structured},
    {"tokenizer", tokenizer},
    {"char_tokenizer", char_tokenizer},
    {"arpa", arpa},
    {"shard", shard},
    {"text_corpus", text_corpus},
    {"chat_jsonl", chat_jsonl},
    {"chat_parse", chat_parse},
    {"http_body", http_body},
    {"flags", flags},
};

inline const Target* find_target(std::string_view name) {
  for (const Target& t : kTargets)
    if (name == t.name) return &t;
  return nullptr;
}

}  // namespace fuzz
