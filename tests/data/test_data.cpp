#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "helpers.hpp"

using tinylm::data::CharTokenizer;
namespace data = tinylm::data;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("tinylm_test_" + std::to_string(::getpid()) + "_" + name)).string();
}

}  // namespace

TEST_CASE("char tokenizer: sorted vocabulary, round trip, UTF-8") {
  const auto tok = CharTokenizer::from_text("hello, wörld");
  CHECK(tok.vocab_size() == 10);  // ' ' , d e h l o r w ö
  const auto ids = tok.encode("world");
  CHECK(tok.decode(ids) == "world");
  CHECK(tok.encode(" ") == std::vector<int32_t>{0});  // ' ' sorts first
  CHECK(tok.decode(tok.encode("ö")) == "ö");
  CHECK(CharTokenizer::from_string(tok.to_string()) == tok);
}

TEST_CASE("char tokenizer: unknown characters get the chosen policy") {
  const auto tok = CharTokenizer::from_text("abc");
  CHECK_THROWS_WITH_AS(tok.encode("abz"),
                       "CharTokenizer::encode: character 'z' (U+007A) at position 2 is not in the vocabulary",
                       tinylm::Error);
  CHECK(tok.encode("azb", CharTokenizer::Unknown::Skip) == std::vector<int32_t>{0, 1});
  CHECK(tok.encode("azb", CharTokenizer::Unknown::Replace, 2) == std::vector<int32_t>{0, 2, 1});
  CHECK_THROWS_WITH_AS(tok.decode(std::vector<int32_t>{0, 3}),
                       "CharTokenizer::decode: id 3 at position 1 is out of range for a vocabulary of 3",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(CharTokenizer::from_text("a\xff"), "CharTokenizer: invalid UTF-8 at byte 1", tinylm::Error);
  CHECK_THROWS_WITH_AS(CharTokenizer::from_text(""), "CharTokenizer: cannot build a vocabulary from empty text",
                       tinylm::Error);
}

TEST_CASE("token shards round trip in llm.c's layout, and malformed shards are named") {
  const std::string path = temp_path("shard.bin");
  const std::vector<uint16_t> tokens{1, 2, 50256, 7};
  data::write_shard(path, tokens);
  CHECK(std::filesystem::file_size(path) == 1024 + 8);
  CHECK(data::read_shard(path) == tokens);
  {
    std::ifstream in(path, std::ios::binary);
    int32_t header[3];
    in.read(reinterpret_cast<char*>(header), sizeof header);
    CHECK(header[0] == 20240520);
    CHECK(header[1] == 1);
    CHECK(header[2] == 4);
  }
  std::filesystem::resize_file(path, 1024 + 6);
  CHECK_THROWS_WITH_AS(
      data::read_shard(path),
      ("read_shard: '" + path + "': header (byte 8) says 4 tokens, which need 1032 bytes, but the file has 1030")
          .c_str(),
      tinylm::Error);
  {
    std::ofstream out(path, std::ios::binary);
    out << "not a shard";
  }
  CHECK_THROWS_WITH_AS(data::read_shard(path),
                       ("read_shard: '" + path + "' has 11 bytes, fewer than the 1024-byte header").c_str(),
                       tinylm::Error);
  std::filesystem::remove(path);
  CHECK_THROWS_WITH_AS(data::read_shard(path), ("read_shard: cannot open '" + path + "'").c_str(), tinylm::Error);
}

TEST_CASE("token ids go to the uint16 layout when the vocabulary fits, else to llm.c's 32-bit one") {
  const std::string path = temp_path("shard_ids.bin");
  auto header = [&] {
    std::ifstream in(path, std::ios::binary);
    std::array<int32_t, 3> h{};
    in.read(reinterpret_cast<char*>(h.data()), sizeof h);
    return h;
  };
  const std::vector<int32_t> small{0, 65535, 300};
  data::write_shard_ids(path, small, 65536);
  CHECK(header() == std::array<int32_t, 3>{20240520, 1, 3});
  CHECK(std::filesystem::file_size(path) == 1024 + 6);
  CHECK(data::read_shard_ids(path) == small);
  CHECK(data::read_shard(path) == std::vector<uint16_t>{0, 65535, 300});

  const std::vector<int32_t> big{65536, 0, 200018, 7};
  data::write_shard_ids(path, big, 200019);
  CHECK(header() == std::array<int32_t, 3>{20240801, 7, 4});
  CHECK(std::filesystem::file_size(path) == 1024 + 16);
  CHECK(data::read_shard_ids(path) == big);
  CHECK_THROWS_WITH_AS(
      data::read_shard(path),
      ("read_shard: '" + path + "' holds uint32 tokens (magic 20240801); read it with read_shard_ids").c_str(),
      tinylm::Error);
  std::filesystem::resize_file(path, 1024 + 14);
  CHECK_THROWS_WITH_AS(
      data::read_shard_ids(path),
      ("read_shard: '" + path + "': header (byte 8) says 4 tokens, which need 1040 bytes, but the file has 1038")
          .c_str(),
      tinylm::Error);

  CHECK_THROWS_WITH_AS(data::write_shard_ids(path, std::vector<int32_t>{3, 200019}, 200019),
                       "write_shard_ids: id 200019 at position 1 is out of range for a vocabulary of 200019",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(data::write_shard_ids(path, std::vector<int32_t>{-1}, 10),
                       "write_shard_ids: id -1 at position 0 is out of range for a vocabulary of 10", tinylm::Error);
  CHECK(std::filesystem::file_size(path) == 1024 + 14);  // a refused write leaves the old file

  {
    std::ofstream out(path, std::ios::binary);
    const int32_t h[256] = {20240801, 1, 0};
    out.write(reinterpret_cast<const char*>(h), sizeof h);
  }
  CHECK_THROWS_WITH_AS(data::read_shard_ids(path),
                       ("read_shard: '" + path + "': version 1 at byte 4, expected 7 for magic 20240801").c_str(),
                       tinylm::Error);
  {
    std::ofstream out(path, std::ios::binary);
    const int32_t h[256] = {12345, 1, 0};
    out.write(reinterpret_cast<const char*>(h), sizeof h);
  }
  CHECK_THROWS_WITH_AS(
      data::read_shard_ids(path),
      ("read_shard: '" + path +
       "': magic number 12345 at byte 0, expected 20240520 (uint16 tokens) or 20240801 (uint32 tokens)")
          .c_str(),
      tinylm::Error);
  std::filesystem::remove(path);
}

TEST_CASE("text files: missing and empty files are errors") {
  const std::string path = temp_path("empty.txt");
  std::ofstream(path).close();
  CHECK_THROWS_WITH_AS(data::read_text_file(path), ("read_text_file: '" + path + "' is empty").c_str(), tinylm::Error);
  std::filesystem::remove(path);
  CHECK_THROWS_WITH_AS(data::read_text_file(path), ("read_text_file: cannot open '" + path + "'").c_str(),
                       tinylm::Error);
}

TEST_CASE("batches: y is x shifted by one, reproducible by seed, and too-short data is an error") {
  std::vector<int32_t> t(100);
  for (int i = 0; i < 100; ++i) t[i] = i;
  const data::TokenDataset ds(t, "toy");
  tinylm::Generator g1(5), g2(5);
  const auto a = ds.sample(4, 10, g1), b = ds.sample(4, 10, g2);
  CHECK(a.x.to_vector() == b.x.to_vector());
  const auto x = a.x.to_vector(), y = a.y.to_vector();
  for (int i = 0; i < 40; ++i) CHECK(y[i] == x[i] + 1);
  const auto [train, val] = ds.split(0.1);
  CHECK(train.size() == 90);
  CHECK(val[0] == 90);
  CHECK_THROWS_WITH_AS(
      val.sample(1, 10, g1),
      "toy (validation split): 10 tokens cannot fill one block of 10 (a block needs block_size + 1 tokens)",
      tinylm::Error);
}

TEST_CASE("synthetic corpus: deterministic, English-like, and its entropy is the text's true log-probability") {
  const auto c = data::generate_synthetic(20000, 3);
  CHECK(c.text.size() == 20000);
  CHECK(data::generate_synthetic(20000, 3).text == c.text);
  CHECK(data::generate_synthetic(20000, 4).text != c.text);
  for (char ch : c.text)
    CHECK((std::isalpha(static_cast<unsigned char>(ch)) || std::string(" .,!?\n").find(ch) != std::string::npos));

  // Re-derive every choice from the text alone with the grammar's tables and
  // add up -ln p: this must equal the generator's own account.
  using namespace data::detail;
  const Grammar& g = Grammar::get();
  auto zipf_p = [](std::size_t i, std::size_t n) {
    double total = 0;
    for (std::size_t k = 0; k < n; ++k) total += 1.0 / double(k + 1);
    return 1.0 / double(i + 1) / total;
  };
  std::size_t pos = 0, last_complete = 0;
  double nats = 0, nats_complete = 0;
  Role role = kStart;
  bool start = true;
  while (pos < c.text.size()) {
    double p = 0;
    if (!start && (c.text[pos] == '.' || c.text[pos] == '!' || c.text[pos] == '?')) {
      if (pos + 1 >= c.text.size()) break;
      for (const auto& t : g.next[role])
        if (t.to == kEnd) p = t.p;
      const double pp = c.text[pos] == '.' ? 0.8 : 0.1, ps = c.text[pos + 1] == ' ' ? 0.85 : 0.15;
      nats += -std::log(p * pp * ps);
      pos += 2;
      role = kStart;
      start = true;
    } else {
      std::size_t b = pos + (c.text[pos] == ',' ? 2 : (start ? 0 : 1));
      std::size_t e = b;
      while (e < c.text.size() && std::isalpha(static_cast<unsigned char>(c.text[e]))) ++e;
      if (e >= c.text.size()) break;  // the last word may be cut off
      std::string w = c.text.substr(b, e - b);
      const auto& names = g.words[kSubjName];
      if (start && std::find(names.begin(), names.end(), w) == names.end())  // sentence start: capitalized
        w[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(w[0])));
      int matches = 0;
      Role next = kStart;
      for (const auto& t : g.next[role]) {
        const auto& list = g.words[t.to];
        auto it = std::find(list.begin(), list.end(), w);
        if (it == list.end()) continue;
        ++matches;
        next = t.to;
        p = t.p * zipf_p(std::size_t(it - list.begin()), list.size());
      }
      REQUIRE(matches == 1);  // unambiguous: exactly one way to produce this word here
      nats += -std::log(p);
      role = next;
      start = false;
      pos = e;
    }
    last_complete = pos;
    nats_complete = nats;
  }
  double generator_nats = 0;
  for (std::size_t i = 0; i < last_complete; ++i) generator_nats += c.surprisal[i];
  CHECK(generator_nats == doctest::Approx(nats_complete).epsilon(1e-12));
  CHECK(c.entropy() > 0.4);
  CHECK(c.entropy() < 0.8);
}

TEST_CASE("stream batches continue each other per stream; chunks cover every target once") {
  std::vector<int32_t> t(50);
  for (int i = 0; i < 50; ++i) t[i] = i;
  const data::TokenDataset ds(t, "toy");
  // 2 streams over slices [0, 25) and [25, 50); windows of 4 continue each other
  const auto a = ds.stream(2, 4, 0), b = ds.stream(2, 4, 1);
  CHECK(a.x.to_vector() == std::vector<int32_t>{0, 1, 2, 3, 25, 26, 27, 28});
  CHECK(a.y.to_vector() == std::vector<int32_t>{1, 2, 3, 4, 26, 27, 28, 29});
  CHECK(b.x.to_vector() == std::vector<int32_t>{4, 5, 6, 7, 29, 30, 31, 32});
  CHECK(ds.stream(2, 4, 6).x.to_vector() == ds.stream(2, 4, 0).x.to_vector());  // 6 windows per stream, then wrap
  const auto ch = ds.chunks(9);
  REQUIRE(ch.size() == 5);
  CHECK(ch[0].front() == 0);
  CHECK(ch[1].front() == 9);  // stride T: chunk k's context token is chunk k-1's last target
  CHECK(ch[4].back() == 45);
  CHECK_THROWS_WITH_AS(ds.stream(10, 9, 0), "toy: 50 tokens cannot hold 10 streams of 10 tokens", tinylm::Error);
}
