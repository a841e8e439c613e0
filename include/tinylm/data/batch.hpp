#pragma once
// TokenDataset: a stream of token ids, cut into (x, y) batches for
// next-token prediction: x is B windows of T tokens, y the same windows
// shifted by one.
//
// sample() draws window starts uniformly from a Generator, so the seed (and
// the generator's state, which checkpoints save) fixes the batches.
//
// The tokens live in memory (a vector) or in a token shard mapped from disk
// (map_shard, tokenize_file), which streams a corpus larger than memory:
// only the windows drawn are read, from the page cache.

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tinylm/core/config.hpp"
#include "tinylm/core/mapped_file.hpp"
#include "tinylm/core/rng.hpp"
#include "tinylm/core/tensor.hpp"
#include "tinylm/data/shard.hpp"
#include "tinylm/data/text.hpp"

namespace tinylm::data {

struct Batch {
  Tensor<int32_t> x;  // (B, T) inputs
  Tensor<int32_t> y;  // (B, T) targets: x shifted left by one
};

class TokenDataset {
 public:
  TokenDataset() = default;
  /// Tokens in memory.
  TokenDataset(std::vector<int32_t> tokens, std::string name);

  /// A token shard (data/shard.hpp, either layout), mapped rather than read:
  /// windows are read from the page cache as they are drawn, so a shard
  /// larger than memory trains. Every token is checked once, in one pass
  /// that holds no more than a page at a time, to be below `vocab_size`
  /// (0: only that it fits an int32 id); an empty shard is an error.
  static TokenDataset map_shard(const std::string& path, int64_t vocab_size = 0);

  /// The text file at `text_path` tokenized by `encode` (a callable taking a
  /// std::string_view, returning std::vector<int32_t> of ids below
  /// `vocab_size`), a piece at a time (TextChunks), into a shard that is
  /// mapped and never named (ShardWriter::finish_mapped): memory holds one
  /// piece of text and its ids, whatever the file's size. The shard's
  /// temporary lives in `scratch_dir`; its disk space is freed when the
  /// dataset and its copies are gone.
  template <class Encode>
  static TokenDataset tokenize_file(const std::string& text_path, int64_t vocab_size, Encode&& encode,
                                    const std::string& scratch_dir,
                                    std::size_t chunk_bytes = TextChunks::kDefaultChunkBytes) {
    TextChunks text(text_path, chunk_bytes);
    ShardWriter out((std::filesystem::path(scratch_dir) / "tokens.bin").string(), vocab_size);
    for (std::string piece; text.next(piece);) {
      std::vector<int32_t> ids;
      try {
        ids = encode(std::string_view(piece));
      } catch (const Error& e) {
        throw Error(tinylm::detail::str_cat("'", text_path, "', in the piece at byte ", text.offset(), ": ", e.what()));
      }
      out.append(ids);
    }
    const int64_t n = static_cast<int64_t>(out.size());
    TINYLM_CHECK(n > 0, "'", text_path, "' holds no tokens");
    MappedFile map = out.finish_mapped();
    return from_mapped(std::move(map), vocab_size <= 65536 ? 2 : 4, n, 0, text_path);
  }

  int64_t size() const { return size_; }
  const std::string& name() const { return name_; }
  /// Whether the tokens are a mapped file rather than memory.
  bool mapped() const { return src_ && src_->owned.empty() && size_ > 0; }

  /// Token i (0 <= i < size()).
  int32_t operator[](int64_t i) const {
    TINYLM_CHECK(i >= 0 && i < size_, name_, ": token ", i, " is out of range for ", size_, " tokens");
    int32_t t;
    read(i, 1, &t);
    return t;
  }
  /// Tokens [begin, end), copied.
  std::vector<int32_t> slice(int64_t begin, int64_t end) const {
    TINYLM_CHECK(0 <= begin && begin <= end && end <= size_, name_, ": tokens [", begin, ", ", end,
                 ") are out of range for ", size_, " tokens");
    std::vector<int32_t> out(static_cast<std::size_t>(end - begin));
    read(begin, end - begin, out.data());
    return out;
  }

  /// Throws unless one window of T tokens plus its target fits.
  void check_fits(int64_t T) const {
    TINYLM_CHECK(T > 0 && size() >= T + 1, name_, ": ", size(), " tokens cannot fill one block of ", T,
                 " (a block needs block_size + 1 tokens)");
  }

  /// B random windows of T tokens.
  Batch sample(int64_t B, int64_t T, Generator& gen) const { return sample(B, T, gen, 0, 1); }

  /// Rows [part * B, (part + 1) * B) of the batch sample(parts * B, T, gen)
  /// would draw, advancing `gen` just as far: `parts` data-parallel ranks
  /// that share the generator's seed take one such batch between them.
  Batch sample(int64_t B, int64_t T, Generator& gen, int64_t part, int64_t parts) const;

  /// Window `index` of B parallel streams: stream b reads the b-th of B
  /// equal slices of the data, T tokens per window, wrapping around its
  /// slice. Consecutive windows continue each other, which is what a
  /// recurrent model trained with truncated backpropagation through time
  /// needs (carry its state from one window to the next).
  Batch stream(int64_t B, int64_t T, int64_t index) const {
    const int64_t slice = size() / std::max<int64_t>(B, 1);
    TINYLM_CHECK(B > 0 && slice >= T + 1, name_, ": ", size(), " tokens cannot hold ", B, " streams of ", T + 1,
                 " tokens");
    const int64_t windows = (slice - 1) / T;  // full windows per stream
    const int64_t at = (index % windows) * T;
    Batch b{Tensor<int32_t>::empty({B, T}), Tensor<int32_t>::empty({B, T})};
    for (int64_t i = 0; i < B; ++i) {
      read(i * slice + at, T, b.x.data() + i * T);
      read(i * slice + at + 1, T, b.y.data() + i * T);
    }
    return b;
  }

  /// Chunks of T + 1 tokens with stride T: every token but the first is a
  /// target exactly once, and each chunk's first token only gives context.
  /// The common evaluation set for models of any context length.
  std::vector<std::vector<int32_t>> chunks(int64_t T) const {
    check_fits(T);
    std::vector<std::vector<int32_t>> out;
    for (int64_t s = 0; s + T + 1 <= size(); s += T) out.push_back(slice(s, s + T + 1));
    return out;
  }

  /// Splits off the last `fraction` of the tokens: {first part, last part}.
  /// Both share this dataset's tokens (no copy).
  std::pair<TokenDataset, TokenDataset> split(double fraction) const;

 private:
  /// The tokens: a vector of int32, or a mapped shard of uint16 / uint32.
  struct Source {
    std::vector<int32_t> owned;
    MappedFile map;
    const unsigned char* bytes = nullptr;  // token 0
    std::size_t width = 4;
  };

  static TokenDataset from_mapped(MappedFile map, std::size_t width, int64_t count, int64_t vocab_size,
                                  const std::string& name);

  static int64_t token_at(const unsigned char* bytes, std::size_t width, int64_t i) {
    if (width == 2) {
      uint16_t t;
      std::memcpy(&t, bytes + 2 * i, 2);
      return t;
    }
    uint32_t t;
    std::memcpy(&t, bytes + 4 * i, 4);
    return t;
  }

  /// Copies tokens [at, at + n) of this dataset into out.
  void read(int64_t at, int64_t n, int32_t* out) const {
    const int64_t first = begin_ + at;
    if (src_->width == 4) {
      std::memcpy(out, src_->bytes + 4 * first, static_cast<std::size_t>(n) * 4);
      return;
    }
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int32_t>(token_at(src_->bytes, 2, first + i));
  }

  TokenDataset range(int64_t begin, int64_t end, std::string name) const {
    TokenDataset d;
    d.src_ = src_;
    d.begin_ = begin_ + begin;
    d.size_ = end - begin;
    d.name_ = std::move(name);
    return d;
  }

  std::shared_ptr<const Source> src_;
  int64_t begin_ = 0, size_ = 0;
  std::string name_ = "data";
};

}  // namespace tinylm::data

#if !defined(TINYLM_SEPARATE_COMPILATION)
#include "tinylm/data/impl/batch.ipp"
#endif
