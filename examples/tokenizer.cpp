// tokenizer: train, use and measure byte-level BPE tokenizers.
//
//   tokenizer train  --input FILE [--input FILE ...] --vocab-size N [--pattern gpt2|gpt4]
//                    [--special TOKEN ...] [--min-frequency N] --out tokenizer.json
//   tokenizer encode --tokenizer T [--input FILE ...] [--allow-special] [--shard OUT.bin]
//   tokenizer decode --tokenizer T [--input FILE]
//   tokenizer stats  --tokenizer T --input FILE [--input FILE ...]
//
// T is a tokenizer.json, a .tiktoken file, a directory with encoder.json and
// vocab.bpe, or `gpt2` (GPT-2's files, as committed under tests/data/gpt2).
// encode reads the files (or standard input) and prints the ids, one line
// per input; with --shard it writes them as an llm.c token shard instead
// (uint16 tokens for up to 65,536 in the vocabulary, llm.c's 32-bit layout
// beyond), each input preceded by <|endoftext|> when the tokenizer has it
// (llm.c's convention for documents). decode reads ids (whitespace-separated) and
// writes the bytes they stand for. stats prints bytes per token.

#include <cstdio>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <tinylm/tinylm.hpp>

#include "flags.hpp"

namespace {

namespace data = tinylm::data;

struct Options {
  std::vector<std::string> input, special;
  std::string tokenizer, out, shard, pattern = "gpt2";
  int64_t vocab_size = 0, min_frequency = 2;
  bool allow_special = false;
};

const char* kUsage =
    "usage: tokenizer train|encode|decode|stats [flags]\n"
    "  train  --input FILE... --vocab-size N [--pattern gpt2|gpt4] [--special TOKEN]... --out tokenizer.json\n"
    "  encode --tokenizer T [--input FILE]... [--allow-special] [--shard OUT.bin]\n"
    "  decode --tokenizer T [--input FILE]\n"
    "  stats  --tokenizer T --input FILE...\n"
    "T: a tokenizer.json, a .tiktoken file, a directory with encoder.json and vocab.bpe, or gpt2\n";

std::string read_stdin() {
  std::ostringstream ss;
  ss << std::cin.rdbuf();
  return ss.str();
}

data::BPETokenizer load(const std::string& t) {
  if (t.empty()) throw examples::UsageError("--tokenizer is needed");
  return data::load_bpe(t == "gpt2" ? std::string(TINYLM_GPT2_DIR) : t);
}

std::vector<std::string> inputs(const Options& o, bool stdin_if_none) {
  std::vector<std::string> texts;
  for (const auto& f : o.input) texts.push_back(data::read_text_file(f));
  if (texts.empty()) {
    if (!stdin_if_none) throw examples::UsageError("--input is needed");
    texts.push_back(read_stdin());
  }
  return texts;
}

int train(const Options& o) {
  if (o.out.empty()) throw examples::UsageError("--out is needed");
  if (o.vocab_size <= 0) throw examples::UsageError("--vocab-size is needed");
  if (o.pattern != "gpt2" && o.pattern != "gpt4")
    throw examples::UsageError("--pattern must be gpt2 or gpt4, got '" + o.pattern + "'");
  const auto texts = inputs(o, false);
  std::vector<std::string_view> views(texts.begin(), texts.end());
  data::BPETrainOptions opt;
  opt.vocab_size = o.vocab_size;
  opt.min_frequency = o.min_frequency;
  opt.pattern = o.pattern == "gpt2" ? data::SplitPattern::GPT2 : data::SplitPattern::GPT4;
  opt.special_tokens = o.special;
  opt.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  const auto tok = data::train_bpe(views, opt);
  if (tok.vocab_size() < o.vocab_size)
    std::fprintf(stderr, "note: every pair left is seen fewer than %lld times: the vocabulary stops at %lld\n",
                 static_cast<long long>(o.min_frequency), static_cast<long long>(tok.vocab_size()));
  data::save_hf_json(tok, o.out);
  std::printf("wrote %s: %lld tokens (%zu merges, %zu special)\n", o.out.c_str(),
              static_cast<long long>(tok.vocab_size()), tok.merges().size(), tok.special_tokens().size());
  return 0;
}

int encode(const Options& o) {
  const auto tok = load(o.tokenizer);
  const auto texts = inputs(o, true);
  data::SpecialOptions sp;
  sp.allow_all = o.allow_special;
  sp.disallowed = data::SpecialOptions::Disallowed::Text;
  if (!o.shard.empty()) {
    const int32_t eot = tok.special_id("<|endoftext|>");
    std::vector<int32_t> ids;
    for (const auto& t : texts) {
      if (eot >= 0) ids.push_back(eot);
      const auto part = tok.encode(t, sp);
      ids.insert(ids.end(), part.begin(), part.end());
    }
    data::write_shard_ids(o.shard, ids, tok.vocab_size());
    std::printf("wrote %s: %zu tokens (%s)\n", o.shard.c_str(), ids.size(),
                tok.vocab_size() <= 65536 ? "uint16" : "uint32");
    return 0;
  }
  for (const auto& t : texts) {
    std::string line;
    for (int32_t id : tok.encode(t, sp)) {
      if (!line.empty()) line.push_back(' ');
      line += std::to_string(id);
    }
    std::printf("%s\n", line.c_str());
  }
  return 0;
}

int decode(const Options& o) {
  const auto tok = load(o.tokenizer);
  const std::string text = o.input.empty() ? read_stdin() : data::read_text_file(o.input.at(0));
  std::istringstream in(text);
  std::vector<int64_t> ids;
  for (std::string word; in >> word;) {
    char* end = nullptr;
    const long long v = std::strtoll(word.c_str(), &end, 10);
    if (*end != '\0') throw tinylm::Error("decode: '" + word + "' is not a token id");
    ids.push_back(v);
  }
  const std::string bytes = tok.decode(ids);
  std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  return 0;
}

int stats(const Options& o) {
  const auto tok = load(o.tokenizer);
  const auto texts = inputs(o, false);
  std::size_t bytes = 0, tokens = 0;
  for (const auto& t : texts) {
    bytes += t.size();
    tokens += tok.encode_ordinary(t).size();
  }
  std::printf("%zu bytes, %zu tokens, %.3f bytes per token (vocabulary %lld)\n", bytes, tokens,
              tokens ? double(bytes) / double(tokens) : 0.0, static_cast<long long>(tok.vocab_size()));
  return 0;
}

int run(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  Options o;
  examples::Flags flags("tokenizer " + command, kUsage);
  flags.add("input", &o.input, "an input file (train, stats: needed; encode, decode: standard input without one)");
  flags.add("tokenizer", &o.tokenizer, "the tokenizer to use");
  flags.add("out", &o.out, "train: where to write tokenizer.json");
  flags.add("vocab-size", &o.vocab_size, "train: tokens in all, the 256 bytes and the special tokens included");
  flags.add("min-frequency", &o.min_frequency, "train: a pair seen fewer times is not merged");
  flags.add("pattern", &o.pattern, "train: the pre-tokenizer's split pattern, gpt2 or gpt4");
  flags.add("special", &o.special, "train: a special token, added after the merges");
  flags.add("allow-special", &o.allow_special, "encode: special tokens' text becomes their ids (else plain text)");
  flags.add("shard", &o.shard, "encode: write an llm.c token shard here instead of printing ids");
  if (!flags.parse(argc - 1, argv + 1)) return 0;
  if (command == "train") return train(o);
  if (command == "encode") return encode(o);
  if (command == "decode") return decode(o);
  if (command == "stats") return stats(o);
  throw examples::UsageError("unknown command '" + command + "': train, encode, decode or stats");
}

}  // namespace

int main(int argc, char** argv) { return examples::run_main("tokenizer", argc, argv, run); }
