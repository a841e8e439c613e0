// BPETokenizer: GPT-2's ids equal to tiktoken's (and Hugging Face
// tokenizers') on tests/data/bpe/gpt2_golden.json, special-token semantics,
// exact round trips of any bytes, the pre-tokenizer's chunks, streaming
// decode, and the errors for malformed files.

#include <filesystem>
#include <fstream>

#include "helpers.hpp"

using tinylm::data::BPETokenizer;
using tinylm::data::SpecialOptions;

namespace {

const std::string kData = TINYLM_GOLDEN_DIR "/../data";

const BPETokenizer& gpt2() {
  static const BPETokenizer t = BPETokenizer::from_gpt2_files(kData + "/gpt2/encoder.json", kData + "/gpt2/vocab.bpe");
  return t;
}

std::string write_temp(const std::string& name, const std::string& content) {
  const std::string path = (std::filesystem::temp_directory_path() / ("tinylm_bpe_" + name)).string();
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

}  // namespace

TEST_CASE("GPT-2's files: 50,257 tokens, <|endoftext|> special, tiktoken's known cases") {
  const auto& t = gpt2();
  CHECK(t.vocab_size() == 50257);
  CHECK(t.num_ordinary_tokens() == 50256);
  CHECK(t.special_id("<|endoftext|>") == 50256);
  CHECK(t.encode_ordinary("hello world") == std::vector<int32_t>{31373, 995});
  CHECK(t.encode_ordinary("indivisible") == std::vector<int32_t>{521, 452, 12843});
  CHECK(t.encode_ordinary(" ") == std::vector<int32_t>{220});
  CHECK(t.encode_ordinary("\t") == std::vector<int32_t>{197});
  CHECK(t.encode_ordinary("") == std::vector<int32_t>{});
  CHECK(t.token_bytes(995) == " world");
}

TEST_CASE("every golden case equals tiktoken's ids, token for token, and decodes back") {
  // GPT-2's merges (as Hugging Face applies them), and tiktoken's rule on the same ranks: the same ids.
  std::vector<std::string> tokens;
  for (int32_t id = 0; id < 50256; ++id) tokens.push_back(gpt2().token_bytes(id));
  const BPETokenizer by_ranks(tokens, {{"<|endoftext|>", 50256}});
  CHECK(by_ranks.merges().empty());
  CHECK(gpt2().merges().size() == 50000);
  const auto cases = tinylm::io::Json::parse(tinylm::data::read_text_file(kData + "/bpe/gpt2_golden.json"));
  int n = 0;
  for (const auto& c : cases.as_array()) {
    const std::string name = c.find("name")->as_string(), text = c.find("text")->as_string();
    INFO(name);
    std::vector<int32_t> want;
    for (const auto& id : c.find("ids")->as_array()) want.push_back(static_cast<int32_t>(id.as_int()));
    const bool special = c.find("special") != nullptr;
    const auto got = special ? gpt2().encode(text, {.allow_all = true}) : gpt2().encode_ordinary(text);
    CHECK(got == want);
    CHECK((special ? by_ranks.encode(text, {.allow_all = true}) : by_ranks.encode_ordinary(text)) == want);
    CHECK(gpt2().decode(got) == text);
    ++n;
  }
  CHECK(n == 23);
}

TEST_CASE("special tokens: never silently an id; allowed, an error, or plain text, as asked") {
  const auto& t = gpt2();
  const std::string text = "a<|endoftext|>b";
  const std::vector<int32_t> ordinary = t.encode_ordinary(text);
  CHECK(std::find(ordinary.begin(), ordinary.end(), 50256) == ordinary.end());
  CHECK_THROWS_WITH_AS(t.encode(text),
                       "BPETokenizer::encode: the text holds the special token '<|endoftext|>' at byte 1, which is "
                       "not allowed; allow it, or have disallowed special tokens read as text",
                       tinylm::Error);
  CHECK(t.encode(text, {.disallowed = SpecialOptions::Disallowed::Text}) == ordinary);
  const auto allowed = t.encode(text, {.allowed = {"<|endoftext|>"}});
  CHECK(allowed == std::vector<int32_t>{t.encode_ordinary("a")[0], 50256, t.encode_ordinary("b")[0]});
  CHECK(t.decode(allowed) == text);
  CHECK(t.encode("no special here") == t.encode_ordinary("no special here"));
  CHECK_THROWS_WITH_AS(t.encode("x", {.allowed = {"<|im_start|>"}}),
                       "BPETokenizer::encode: '<|im_start|>' is allowed but is not a special token", tinylm::Error);
  // User-defined special tokens, the longest where two start at one place.
  std::vector<std::string> bytes;
  for (int b = 0; b < 256; ++b) bytes.emplace_back(1, static_cast<char>(b));
  BPETokenizer small(bytes, {{"<|a|>", 256}, {"<|a|><|b|>", 257}, {"<|b|>", 258}});
  CHECK(small.vocab_size() == 259);
  CHECK(small.encode("x<|a|><|b|>y<|b|>", {.allow_all = true}) == std::vector<int32_t>{'x', 257, 'y', 258});
  CHECK(small.encode("<|a|>", {.allowed = {"<|a|>"}}) == std::vector<int32_t>{256});
  CHECK_THROWS_WITH_AS(BPETokenizer(bytes, {{"<|x|>", 65}}),
                       "BPETokenizer: special token '<|x|>' has id 65, which the ordinary token 'A' has",
                       tinylm::Error);
  // Special tokens may come first, as in RoBERTa's <s> = 0: their ids are gaps among the ordinary ones.
  std::vector<std::string> gapped{""};
  gapped.insert(gapped.end(), bytes.begin(), bytes.end());
  BPETokenizer first(gapped, {{"<s>", 0}});
  CHECK(first.vocab_size() == 257);
  CHECK(first.num_ordinary_tokens() == 256);
  CHECK(first.encode("<s>a", {.allow_all = true}) == std::vector<int32_t>{0, 'a' + 1});
  CHECK(first.decode(std::vector<int32_t>{0, 'b' + 1}) == "<s>b");
  CHECK_THROWS_WITH_AS(BPETokenizer(gapped, {}), "BPETokenizer: token 0 is empty and no special token has its id",
                       tinylm::Error);
}

TEST_CASE("decode(encode(x)) == x for random byte strings, valid UTF-8 or not") {
  tinylm::Generator gen(1);
  const std::vector<std::string> pieces{
      "a", "e",    " ",    "  ",   "\n",       "\r\n",         "'s",   "'ll",           "1",  "23", "é", "日",
      "😀", "\xc3", "\xa9", "\xff", "\xe6\x97", "\xf0\x9f\x98", "\x80", "<|endoftext|>", "\t", ".",  "x"};
  for (int c = 0; c < 3000; ++c) {
    std::string s;
    const auto n = gen.below(40);
    for (uint64_t i = 0; i < n; ++i) {
      if (c % 3 == 0) s.push_back(static_cast<char>(gen.below(256)));  // raw bytes
      else s += pieces[gen.below(pieces.size())];                      // pieces, whole and broken
    }
    const auto ids = gpt2().encode_ordinary(s);
    REQUIRE_MESSAGE(gpt2().decode(ids) == s, "case " << c);
    for (int32_t id : ids) REQUIRE(id < 50256);
  }
}

TEST_CASE("a million 'x' is one chunk, merged in O(n log n), and comes back whole") {
  const std::string text(1000000, 'x');
  const auto ids = gpt2().encode_ordinary(text);
  CHECK(gpt2().decode(ids) == text);
  CHECK(ids.size() < text.size() / 4);
  // (The golden 20,000-x and 5,000-space runs check the heap merge against tiktoken.)
}

TEST_CASE("pre-tokenizer: GPT-2's and GPT-4's chunks, and bytes that are not UTF-8 as chunks of their own") {
  using tinylm::data::Pretokenizer;
  using tinylm::data::SplitPattern;
  using V = std::vector<std::string_view>;
  const Pretokenizer p2(SplitPattern::GPT2), p4(SplitPattern::GPT4);
  CHECK(p2.split("Hello world's  123\tok!!\n\n x") ==
        V{"Hello", " world", "'s", " ", " 123", "\t", "ok", "!!", "\n\n", " x"});
  CHECK(p4.split("Hello world'S  1234567\tok!!\n\n x") ==
        V{"Hello", " world", "'S", " ", " ", "123", "456", "7", "\tok", "!!\n\n", " x"});
  CHECK(p2.split("\xff\xfe"
                 "abc \xc3"
                 "d") == V{"\xff\xfe", "abc", " ", "\xc3", "d"});
  CHECK(p2.split("") == V{});
}

TEST_CASE("Utf8Stream holds back an incomplete character until its bytes come") {
  tinylm::data::Utf8Stream s;
  const std::string text = "é😀a";  // 2 + 4 + 1 bytes
  std::string out;
  std::vector<std::string> pieces;
  for (char c : text) pieces.push_back(s.push(std::string(1, c)));
  CHECK(pieces == std::vector<std::string>{"", "é", "", "", "", "😀", "a"});
  CHECK(s.push("\xe6\x97") == "");
  CHECK(s.flush() == "\xe6\x97");  // what never completed comes out at the end
  CHECK(s.push("\xff"
               "b\x80") ==
        "\xff"
        "b\x80");  // bytes that start nothing pass through
}

TEST_CASE("malformed GPT-2 files: the error names the file, the line and what was wrong") {
  const std::string enc = kData + "/gpt2/encoder.json";
  const std::string merges = write_temp("vocab.bpe", "#version: 0.2\nĠ t\nnot_a_token x\n");
  CHECK_THROWS_WITH_AS(BPETokenizer::from_gpt2_files(enc, merges),
                       (merges + ":3: unknown token 'not_a_token' in a merge").c_str(), tinylm::Error);
  const std::string bad_line = write_temp("vocab2.bpe", "#version: 0.2\nĠt\n");
  CHECK_THROWS_WITH_AS(BPETokenizer::from_gpt2_files(enc, bad_line),
                       (bad_line + ":2: expected two tokens separated by one space").c_str(), tinylm::Error);
  const std::string small = write_temp("encoder.json", R"({"a": 0, "b": 1})");
  CHECK_THROWS_WITH_AS(BPETokenizer::from_gpt2_files(small, bad_line), (small + ": no token for byte 0 ('Ā')").c_str(),
                       tinylm::Error);
  const std::string dup = write_temp("dup.json", R"({"a": 0, "b": 0})");
  CHECK_THROWS_WITH_AS(BPETokenizer::from_gpt2_files(dup, bad_line), (dup + ": id 0 is given to two tokens").c_str(),
                       tinylm::Error);
  CHECK_THROWS_AS(BPETokenizer::from_gpt2_files(kData + "/gpt2/missing.json", merges), tinylm::Error);
  std::filesystem::remove(merges);
  std::filesystem::remove(bad_line);
  std::filesystem::remove(small);
  std::filesystem::remove(dup);
}

TEST_CASE("train_bpe: the merges of a plain reference trainer, on 0.85 MB, with 1 thread and with 2") {
  const std::string corpus = tinylm::data::read_text_file(kData + "/bpe/train_corpus.txt");
  const auto golden = tinylm::io::Json::parse(tinylm::data::read_text_file(kData + "/bpe/train_merges.json"));
  std::vector<std::pair<int32_t, int32_t>> want;
  for (const auto& m : golden.find("merges")->as_array())
    want.emplace_back(static_cast<int32_t>(m.as_array()[0].as_int()), static_cast<int32_t>(m.as_array()[1].as_int()));
  tinylm::data::BPETrainOptions opt;
  opt.vocab_size = golden.find("vocab_size")->as_int() + 1;  // and one special token
  opt.min_frequency = golden.find("min_frequency")->as_int();
  opt.special_tokens = {"<|endoftext|>"};
  std::vector<std::string> lines;
  opt.progress = [&](const std::string& line) { lines.push_back(line); };
  const int threads = tinylm::num_threads();
  for (int n : {1, 2}) {
    INFO(n << " threads");
    tinylm::set_num_threads(n);
    // The corpus as 2 texts, cut where no chunk crosses: the same counts, so the same merges.
    std::size_t cut = 400000;
    auto solid = [&](std::size_t i) { return corpus[i] > ' ' && static_cast<unsigned char>(corpus[i]) < 0x80; };
    while (!(corpus[cut - 1] == '\n' && solid(cut - 2) && solid(cut))) ++cut;
    const std::string_view all(corpus);
    const auto t = tinylm::data::train_bpe({all.substr(0, cut), all.substr(cut)}, opt);
    CHECK(t.merges() == want);
    CHECK(t.vocab_size() == opt.vocab_size);
    CHECK(t.special_id("<|endoftext|>") == opt.vocab_size - 1);
    CHECK(t.decode(t.encode_ordinary(corpus)) == corpus);
    CHECK(t.encode_ordinary(corpus).size() < corpus.size() / 2);  // the merges compress their own text
    // Twice the corpus as one 1.7 MB text (counted in pieces) or as two: the same merges.
    const std::string twice = corpus + corpus;
    CHECK(tinylm::data::train_bpe({twice}, opt).merges() == tinylm::data::train_bpe({corpus, corpus}, opt).merges());
  }
  tinylm::set_num_threads(threads);
  CHECK(lines.back() ==
        "bpe: " + std::to_string(want.size()) + " merges, vocabulary " + std::to_string(opt.vocab_size));
  // Training stops early at min_frequency: "ab" twice, nothing else repeats.
  const auto small = tinylm::data::train_bpe({"ab ab xyz"}, {.vocab_size = 300, .min_frequency = 2});
  CHECK(small.merges() == std::vector<std::pair<int32_t, int32_t>>{{'a', 'b'}});  // " ab" is seen once: not merged
  CHECK_THROWS_WITH_AS(tinylm::data::train_bpe({"x"}, {.vocab_size = 200}),
                       "train_bpe: vocab_size 200 is below the 256 bytes plus 0 special tokens", tinylm::Error);
}

TEST_CASE("files: tokenizer.json, .tiktoken and llm.c's .bin written and read back give the same ids") {
  namespace d = tinylm::data;
  const std::string corpus = d::read_text_file(kData + "/bpe/train_corpus.txt");
  const std::string sample = corpus.substr(0, 20000) + "<|endoftext|> naïve 日本 😀 \xff";
  for (auto pattern : {d::SplitPattern::GPT2, d::SplitPattern::GPT4}) {
    INFO("pattern " << static_cast<int>(pattern));
    const auto trained =
        d::train_bpe({corpus}, {.vocab_size = 600, .pattern = pattern, .special_tokens = {"<|endoftext|>"}});
    const auto want = trained.encode(sample, {.allow_all = true});
    const std::string json = write_temp("tokenizer.json", "");
    d::save_hf_json(trained, json);
    const auto hf = d::load_hf_json(json);
    CHECK(hf.encode(sample, {.allow_all = true}) == want);
    CHECK(hf.merges() == trained.merges());
    CHECK(d::load_bpe(json).vocab_size() == 600);
    const std::string tiktoken = write_temp("t.tiktoken", "");
    d::save_tiktoken(trained, tiktoken);
    const auto tk = d::load_tiktoken(tiktoken, pattern, {{"<|endoftext|>", 599}});
    CHECK(tk.vocab_size() == 600);
    CHECK(tk.decode(tk.encode(sample, {.allow_all = true})) == sample);
    std::filesystem::remove(json);
    std::filesystem::remove(tiktoken);
  }
  // GPT-2's own files, through tokenizer.json and .tiktoken: still tiktoken's ids.
  const std::string json = write_temp("gpt2.json", ""), tiktoken = write_temp("gpt2.tiktoken", "");
  d::save_hf_json(gpt2(), json);
  d::save_tiktoken(gpt2(), tiktoken);
  const auto a = d::load_hf_json(json),
             b = d::load_tiktoken(tiktoken, d::SplitPattern::GPT2, {{"<|endoftext|>", 50256}});
  CHECK(a.encode_ordinary("hello world") == std::vector<int32_t>{31373, 995});
  CHECK(b.encode_ordinary("indivisible") == std::vector<int32_t>{521, 452, 12843});
  CHECK(a.encode_ordinary(sample) == gpt2().encode_ordinary(sample));
  CHECK(b.encode_ordinary(sample) == gpt2().encode_ordinary(sample));
  // llm.c: header, then every token's length and bytes.
  const std::string bin = write_temp("gpt2_tokenizer.bin", "");
  d::save_llmc_tokenizer(gpt2(), 50256, bin);
  const std::string raw = d::read_text_file(bin);
  int32_t header[4];
  std::memcpy(header, raw.data(), sizeof header);
  CHECK(header[0] == 20240328);
  CHECK(header[1] == 2);
  CHECK(header[2] == 50257);
  CHECK(header[3] == 50256);
  CHECK(static_cast<unsigned char>(raw[1024]) == 1);  // token 0 is "!"
  CHECK(raw[1025] == '!');
  CHECK(raw.size() > 1024 + 50257);
  std::filesystem::remove(json);
  std::filesystem::remove(tiktoken);
  std::filesystem::remove(bin);
}

TEST_CASE("malformed tokenizer.json and .tiktoken files: the error names the file and the entry") {
  namespace d = tinylm::data;
  const std::string t1 = write_temp("bad1.tiktoken", "IQ== 0\nnot-base64 1\n");
  CHECK_THROWS_WITH_AS(d::load_tiktoken(t1), (t1 + ":2: 'not-base64' is not base64").c_str(), tinylm::Error);
  const std::string t2 = write_temp("bad2.tiktoken", "IQ== 0\nIg== 0\n");
  CHECK_THROWS_WITH_AS(d::load_tiktoken(t2), (t2 + ":2: rank 0 is given twice").c_str(), tinylm::Error);
  const std::string t3 = write_temp("bad3.tiktoken", "IQ== 0\nIg== 2\n");
  CHECK_THROWS_WITH_AS(d::load_tiktoken(t3),
                       (t3 + ": no token has rank 1 (ranks must run 0, 1, 2, ... without gaps)").c_str(),
                       tinylm::Error);
  const std::string t4 = write_temp("bad4.tiktoken", "IQ== 0\n");
  CHECK_THROWS_WITH_AS(
      d::load_tiktoken(t4),
      (t4 + ": BPETokenizer: the vocabulary has no token for byte 0; a byte-level BPE needs all 256").c_str(),
      tinylm::Error);
  const std::string j1 = write_temp("bad1.json", R"({"model": {"type": "WordPiece"}})");
  CHECK_THROWS_WITH_AS(d::load_hf_json(j1),
                       (j1 + ": model.type is not 'BPE' (only byte-level BPE tokenizers are read)").c_str(),
                       tinylm::Error);
  const std::string j2 = write_temp(
      "bad2.json",
      R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}, "pre_tokenizer": {"type": "ByteLevel"}})");
  CHECK_THROWS_WITH_AS(d::load_hf_json(j2), (j2 + ": merge 0 names the unknown token 'b'").c_str(), tinylm::Error);
  const std::string j3 =
      write_temp("bad3.json", R"({"model": {"type": "BPE"}, "pre_tokenizer": {"type": "Whitespace"}})");
  CHECK_THROWS_WITH_AS(d::load_hf_json(j3), (j3 + ": pre_tokenizer type 'Whitespace' is not supported").c_str(),
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(d::load_bpe("/nonexistent/x.txt"),
                       "load_bpe: '/nonexistent/x.txt' is not a tokenizer.json, a .tiktoken file or a directory of "
                       "GPT-2's files",
                       tinylm::Error);
  for (const auto& f : {t1, t2, t3, t4, j1, j2, j3}) std::filesystem::remove(f);
}

TEST_CASE("load_bpe reads a directory of Hugging Face's vocab.json and merges.txt as GPT-2's files") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "tinylm_test_bpe_hf_slow";
  fs::create_directories(dir);
  fs::copy_file(kData + "/gpt2/encoder.json", dir / "vocab.json", fs::copy_options::overwrite_existing);
  CHECK_THROWS_WITH_AS(tinylm::data::load_bpe(dir.string()),
                       ("load_bpe: directory '" + dir.string() +
                        "' has no tokenizer.json, vocab.json and merges.txt, or encoder.json and vocab.bpe")
                           .c_str(),
                       tinylm::Error);
  fs::copy_file(kData + "/gpt2/vocab.bpe", dir / "merges.txt", fs::copy_options::overwrite_existing);
  const auto tok = tinylm::data::load_bpe(dir.string());
  CHECK(tok.encode_ordinary("hello world") == std::vector<int32_t>{31373, 995});
  CHECK(tok.merges().size() == gpt2().merges().size());
  CHECK(tok.special_id("<|endoftext|>") == 50256);
  fs::remove_all(dir);
}

TEST_CASE("a trained BPE written as tokenizer.json: Hugging Face tokenizers gives tinylm's ids") {
  namespace d = tinylm::data;
  const std::string corpus = d::read_text_file(kData + "/bpe/train_corpus.txt");
  const auto golden = tinylm::io::Json::parse(d::read_text_file(kData + "/bpe/trained_hf_ids.json"));
  const std::string text = golden.find("text")->as_string();
  for (const auto& named : {std::pair{"gpt2", d::SplitPattern::GPT2}, std::pair{"gpt4", d::SplitPattern::GPT4}}) {
    const char* name = named.first;  // (Clang 14 cannot capture a structured binding in INFO's lambda)
    const d::SplitPattern pattern = named.second;
    INFO(name);
    std::vector<int32_t> want;
    for (const auto& id : golden.find(name)->as_array()) want.push_back(static_cast<int32_t>(id.as_int()));
    const auto t =
        d::train_bpe({corpus}, {.vocab_size = 2000, .pattern = pattern, .special_tokens = {"<|endoftext|>"}});
    CHECK(t.encode(text, {.allow_all = true}) == want);
  }
}

TEST_CASE("over 1 MB, encode_ordinary runs in parallel pieces and gives the ids of one piece") {
  const std::string corpus = tinylm::data::read_text_file(kData + "/bpe/train_corpus.txt");
  const std::string twice = corpus + corpus;  // 1.7 MB: two pieces
  REQUIRE(twice.size() > (std::size_t{1} << 20));
  std::vector<int32_t> want = gpt2().encode_ordinary(corpus);  // under 1 MB: one piece
  const std::vector<int32_t> once = want;
  want.insert(want.end(), once.begin(), once.end());
  const int threads = tinylm::num_threads();
  for (int n : {1, 2}) {
    tinylm::set_num_threads(n);
    CHECK(gpt2().encode_ordinary(twice) == want);
  }
  tinylm::set_num_threads(threads);
  const auto batch = gpt2().encode_ordinary_batch({"hello world", "", "indivisible"});
  CHECK(batch == std::vector<std::vector<int32_t>>{{31373, 995}, {}, {521, 452, 12843}});
}

TEST_CASE("GPT-2's pattern: the hand-written scanner makes PCRE2's chunks, golden texts and random strings") {
  using tinylm::data::Pretokenizer;
  const Pretokenizer scan(tinylm::data::SplitPattern::GPT2, Pretokenizer::Engine::Scanner);
  const Pretokenizer pcre(tinylm::data::SplitPattern::GPT2, Pretokenizer::Engine::Pcre2);
  const auto cases = tinylm::io::Json::parse(tinylm::data::read_text_file(kData + "/bpe/gpt2_golden.json"));
  for (const auto& c : cases.as_array()) {
    INFO(c.find("name")->as_string());
    const std::string text = c.find("text")->as_string();
    CHECK(scan.split(text) == pcre.split(text));
  }
  tinylm::Generator gen(5);
  const std::vector<std::string> pieces{"a",
                                        "Z",
                                        "é",
                                        "e\xcc\x81",
                                        "日",
                                        "ß",
                                        "1",
                                        "٣",
                                        "Ⅻ",
                                        "½",
                                        " ",
                                        "  ",
                                        "\t",
                                        "\n",
                                        "\r\n",
                                        "\xc2\xa0",
                                        "\xe3\x80\x80",
                                        "\xc2\x85",
                                        "\xe2\x80\xa8",
                                        "\xe2\x80\x8b",
                                        "'",
                                        "'s",
                                        "'ll",
                                        "'re",
                                        "'ve",
                                        "'d",
                                        "'x",
                                        "!",
                                        ".",
                                        "😀",
                                        "\xf0\x9f\x8f\xbd",
                                        "\xff",
                                        "\xc3",
                                        "\x80",
                                        "\xed\xa0\x80",
                                        "\xf4\x90\x80\x80",
                                        "\xc0\xaf",
                                        "\x00",
                                        "\x1b",
                                        "_",
                                        "-"};
  for (int k = 0; k < 5000; ++k) {
    std::string s;
    const auto n = gen.below(16);
    for (uint64_t i = 0; i < n; ++i) s += pieces[gen.below(pieces.size())];
    REQUIRE_MESSAGE(scan.split(s) == pcre.split(s), "case " << k);
  }
  CHECK_THROWS_WITH_AS(Pretokenizer(tinylm::data::SplitPattern::GPT4, Pretokenizer::Engine::Scanner),
                       "Pretokenizer: the scanner knows GPT-2's pattern only", tinylm::Error);
}
