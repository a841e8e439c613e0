// Corpora larger than memory: text read a piece at a time (TextChunks),
// tokenized into a shard as it goes (ShardWriter), and token shards mapped
// rather than read (TokenDataset::map_shard / tokenize_file). Each path is
// checked against the in-memory one it replaces.

#include <filesystem>
#include <fstream>

#include "helpers.hpp"

namespace data = tinylm::data;
namespace fs = std::filesystem;

namespace {

const std::string kStreamData = TINYLM_GOLDEN_DIR "/../data";

/// A fresh, empty directory for one test.
std::string scratch_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("tinylm_streaming_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::string write_text(const std::string& dir, const std::string& name, const std::string& bytes) {
  const std::string path = (fs::path(dir) / name).string();
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::vector<int32_t> all_tokens(const data::TokenDataset& d) { return d.slice(0, d.size()); }

std::vector<std::string> pieces_of(const std::string& path, std::size_t chunk) {
  data::TextChunks text(path, chunk);
  std::vector<std::string> out;
  uint64_t offset = 0;
  for (std::string piece; text.next(piece);) {
    CHECK(text.offset() == offset);
    offset += piece.size();
    out.push_back(piece);
  }
  CHECK(offset == text.file_size());
  return out;
}

}  // namespace

TEST_CASE("TextChunks: the pieces are the file, each cut at a line end between two printable characters") {
  const std::string dir = scratch_dir("chunks");
  const std::string corpus = data::read_text_file(kStreamData + "/bpe/train_corpus.txt");
  const std::string path = write_text(dir, "corpus.txt", corpus);
  for (std::size_t chunk :
       {std::size_t{1}, std::size_t{7}, std::size_t{100}, std::size_t{4096}, std::size_t{1} << 24}) {
    INFO("chunk " << chunk);
    const auto pieces = pieces_of(path, chunk);
    std::string joined;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      joined += pieces[i];
      if (i + 1 < pieces.size()) CHECK(data::is_text_cut_point(joined + pieces[i + 1].substr(0, 1), joined.size()));
    }
    CHECK(joined == corpus);
    if (chunk >= corpus.size()) CHECK(pieces.size() == 1);
    if (chunk == 4096) CHECK(pieces.size() > corpus.size() / 8192);  // pieces of about the size asked for
  }
  // No cut point at all: one piece, however small the chunks.
  const std::string one_line(10000, 'x');
  CHECK(pieces_of(write_text(dir, "line.txt", one_line), 16) == std::vector<std::string>{one_line});
  // "a\n\nb" has no cut point (the line ends are a run of whitespace); "a\nb\nc" has two.
  CHECK(pieces_of(write_text(dir, "run.txt", "a\n\nb"), 1).size() == 1);
  CHECK(pieces_of(write_text(dir, "two.txt", "a\nb\nc"), 1) == std::vector<std::string>{"a\n", "b\n", "c"});
  // Not cut inside a UTF-8 sequence or before a space.
  CHECK(pieces_of(write_text(dir, "utf8.txt", "\xc3\xa9\nb\n c\nd"), 1) ==
        std::vector<std::string>{"\xc3\xa9\nb\n c\n", "d"});
  const std::string empty = write_text(dir, "empty.txt", "");
  CHECK_THROWS_WITH_AS(data::TextChunks(empty, 16), ("read_text_file: '" + empty + "' is empty").c_str(),
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(data::TextChunks(dir + "/none.txt"),
                       ("read_text_file: cannot open '" + dir + "/none.txt'").c_str(), tinylm::Error);
  CHECK(data::read_text_prefix(path, 1000).size() >= 1000);
  CHECK(data::read_text_prefix(path, 1000).size() < corpus.size() / 4);
  CHECK(corpus.starts_with(data::read_text_prefix(path, 1000)));
  CHECK(data::read_text_prefix(path, std::size_t{1} << 30) == corpus);
  fs::remove_all(dir);
}

TEST_CASE("tokenize_file: text tokenized a piece at a time equals the whole text tokenized at once") {
  const std::string dir = scratch_dir("tokenize");
  const std::string corpus = data::read_text_file(kStreamData + "/bpe/train_corpus.txt");
  const std::string path = write_text(dir, "corpus.txt", corpus);
  const auto chars = data::CharTokenizer::from_text(corpus);
  CHECK(data::CharTokenizer::from_text_files({path}) == chars);
  const auto gpt2 =
      data::BPETokenizer::from_gpt2_files(kStreamData + "/gpt2/encoder.json", kStreamData + "/gpt2/vocab.bpe");
  const auto char_ids = chars.encode(corpus);
  const auto bpe_ids = gpt2.encode_ordinary(corpus);
  for (std::size_t chunk : {std::size_t{64}, std::size_t{5000}, std::size_t{1} << 24}) {
    INFO("chunk " << chunk);
    const auto c = data::TokenDataset::tokenize_file(
        path, chars.vocab_size(), [&](std::string_view s) { return chars.encode(s); }, dir, chunk);
    CHECK(c.mapped());
    CHECK(all_tokens(c) == char_ids);
    const auto b = data::TokenDataset::tokenize_file(
        path, gpt2.vocab_size(), [&](std::string_view s) { return gpt2.encode_ordinary(s); }, dir, chunk);
    CHECK(all_tokens(b) == bpe_ids);
  }
  // Nothing is left on disk: the shard was never given a name.
  CHECK(fs::is_empty(fs::path(dir)) == false);  // corpus.txt
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  CHECK(files == 1);
  // An encoding error names the file and where the piece starts.
  const auto abc = data::CharTokenizer::from_text("abc\n");
  const std::string bad = write_text(dir, "bad.txt", "abc\nabc\nabz\n");
  CHECK_THROWS_WITH_AS(data::TokenDataset::tokenize_file(
                           bad, abc.vocab_size(), [&](std::string_view s) { return abc.encode(s); }, dir, 4),
                       ("'" + bad +
                        "', in the piece at byte 8: CharTokenizer::encode: character 'z' (U+007A) at position "
                        "2 is not in the vocabulary")
                           .c_str(),
                       tinylm::Error);
  fs::remove_all(dir);
}

TEST_CASE("CharTokenizer::from_text_files: every character of every file, as from_text of their concatenation") {
  const std::string dir = scratch_dir("chars");
  const std::string a = write_text(dir, "a.txt", "h\xc3\xa9llo\nw\xe2\x82\xacrld\n"),
                    b = write_text(dir, "b.txt", "zebra \xf0\x9f\x98\x80\n");
  CHECK(data::CharTokenizer::from_text_files({a, b}) ==
        data::CharTokenizer::from_text("h\xc3\xa9llo\nw\xe2\x82\xacrld\nzebra \xf0\x9f\x98\x80\n"));
  const std::string bad = write_text(dir, "bad.txt", "ok\nok\n\xff\n");
  CHECK_THROWS_AS(data::CharTokenizer::from_text_files({a, bad}), tinylm::Error);
  fs::remove_all(dir);
}

TEST_CASE("map_shard: a mapped shard gives the tokens, batches and splits of the same tokens in memory") {
  const std::string dir = scratch_dir("map");
  std::vector<int32_t> ids(5000);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>((i * 7919) % 60000);
  for (int64_t vocab : {int64_t{60000}, int64_t{70000}}) {  // uint16 and uint32 layouts
    INFO("vocab " << vocab);
    const std::string path = dir + "/ids.bin";
    data::write_shard_ids(path, ids, vocab);
    const auto mapped = data::TokenDataset::map_shard(path, vocab);
    const data::TokenDataset memory(ids, path);
    CHECK(mapped.mapped());
    CHECK(!memory.mapped());
    CHECK(all_tokens(mapped) == ids);
    CHECK(mapped[4999] == ids[4999]);
    tinylm::Generator g1(3), g2(3);
    const auto x = mapped.sample(8, 33, g1), y = memory.sample(8, 33, g2);
    CHECK(x.x.to_vector() == y.x.to_vector());
    CHECK(x.y.to_vector() == y.y.to_vector());
    CHECK(mapped.stream(4, 16, 5).x.to_vector() == memory.stream(4, 16, 5).x.to_vector());
    CHECK(mapped.chunks(100) == memory.chunks(100));
    const auto parts = mapped.split(0.1);  // no structured binding: Clang 14 cannot capture one in CHECK_THROWS
    const auto& train = parts.first;
    const auto& val = parts.second;
    CHECK(train.size() == 4500);
    CHECK(val.slice(0, val.size()) == std::vector<int32_t>(ids.begin() + 4500, ids.end()));
    CHECK(val[0] == ids[4500]);
    CHECK_THROWS_WITH_AS(val[500], (path + " (validation split): token 500 is out of range for 500 tokens").c_str(),
                         tinylm::Error);
    const auto top = std::max_element(ids.begin(), ids.end());
    const std::string at = std::to_string(*top) + " at position " + std::to_string(top - ids.begin());
    CHECK_THROWS_WITH_AS(
        data::TokenDataset::map_shard(path, *top),
        ("'" + path + "': token " + at + " is not below the vocabulary size " + std::to_string(*top)).c_str(),
        tinylm::Error);
  }
  data::write_shard_ids(dir + "/empty.bin", {}, 10);
  CHECK_THROWS_WITH_AS(data::TokenDataset::map_shard(dir + "/empty.bin"),
                       ("'" + dir + "/empty.bin' holds no tokens").c_str(), tinylm::Error);
  write_text(dir, "short.bin", "abc");
  CHECK_THROWS_WITH_AS(data::TokenDataset::map_shard(dir + "/short.bin"),
                       ("read_shard: '" + dir + "/short.bin' has 3 bytes, fewer than the 1024-byte header").c_str(),
                       tinylm::Error);
  CHECK_THROWS_AS(data::TokenDataset::map_shard(dir), tinylm::Error);  // a directory
  fs::remove_all(dir);
}

TEST_CASE("ShardWriter: written a piece at a time, the shard write_shard_ids writes; unfinished, nothing") {
  const std::string dir = scratch_dir("writer");
  std::vector<int32_t> ids{0, 1, 65535, 7, 42};
  for (int64_t vocab : {int64_t{65536}, int64_t{100000}}) {
    fs::remove(dir + "/w.bin");
    {
      data::ShardWriter w(dir + "/w.bin", vocab);
      w.append(std::span<const int32_t>(ids).first(2));
      w.append(std::span<const int32_t>(ids).subspan(2));
      CHECK(w.size() == 5);
      CHECK(!fs::exists(dir + "/w.bin"));  // not before finish()
      w.finish();
    }
    data::write_shard_ids(dir + "/ref.bin", ids, vocab);
    CHECK(data::read_text_file(dir + "/w.bin") == data::read_text_file(dir + "/ref.bin"));
    CHECK(data::read_shard_ids(dir + "/w.bin") == ids);
  }
  {
    data::ShardWriter w(dir + "/gone.bin", 10);
    w.append(std::vector<int32_t>{1, 2, 3});
    CHECK_THROWS_WITH_AS(w.append(std::vector<int32_t>{4, 10}),
                         "ShardWriter: id 10 at position 4 is out of range for a vocabulary of 10", tinylm::Error);
  }  // destroyed unfinished: no file, no temporary
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.path().filename().string().starts_with("gone") ? 1 : 0;
  CHECK(files == 0);
  fs::remove_all(dir);
}
