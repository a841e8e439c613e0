#pragma once
// TokenDataset: a stream of token ids, cut into (x, y) batches for
// next-token prediction: x is B windows of T tokens, y the same windows
// shifted by one.
//
// sample() draws window starts uniformly from a Generator, so the seed (and
// the generator's state, which checkpoints save) fixes the batches.

#include <cstdint>
#include <string>
#include <vector>

#include "tinylm/core/rng.hpp"
#include "tinylm/core/tensor.hpp"

namespace tinylm::data {

struct Batch {
  Tensor<int32_t> x;  // (B, T) inputs
  Tensor<int32_t> y;  // (B, T) targets: x shifted left by one
};

class TokenDataset {
 public:
  TokenDataset() = default;
  TokenDataset(std::vector<int32_t> tokens, std::string name) : tokens_(std::move(tokens)), name_(std::move(name)) {}

  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  const std::vector<int32_t>& tokens() const { return tokens_; }
  const std::string& name() const { return name_; }

  /// Throws unless one window of T tokens plus its target fits.
  void check_fits(int64_t T) const {
    TINYLM_CHECK(T > 0 && size() >= T + 1, name_, ": ", size(), " tokens cannot fill one block of ", T,
                 " (a block needs block_size + 1 tokens)");
  }

  /// B random windows of T tokens.
  Batch sample(int64_t B, int64_t T, Generator& gen) const {
    check_fits(T);
    Batch b{Tensor<int32_t>::empty({B, T}), Tensor<int32_t>::empty({B, T})};
    const auto starts = static_cast<uint64_t>(size() - T);  // last start leaves room for the target
    for (int64_t i = 0; i < B; ++i) {
      const int64_t s = static_cast<int64_t>(gen.below(starts));
      std::copy(tokens_.begin() + s, tokens_.begin() + s + T, b.x.data() + i * T);
      std::copy(tokens_.begin() + s + 1, tokens_.begin() + s + T + 1, b.y.data() + i * T);
    }
    return b;
  }

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
      const auto s = tokens_.begin() + i * slice + at;
      std::copy(s, s + T, b.x.data() + i * T);
      std::copy(s + 1, s + T + 1, b.y.data() + i * T);
    }
    return b;
  }

  /// Chunks of T + 1 tokens with stride T: every token but the first is a
  /// target exactly once, and each chunk's first token only gives context.
  /// The common evaluation set for models of any context length.
  std::vector<std::vector<int32_t>> chunks(int64_t T) const {
    check_fits(T);
    std::vector<std::vector<int32_t>> out;
    for (int64_t s = 0; s + T + 1 <= size(); s += T) out.emplace_back(tokens_.begin() + s, tokens_.begin() + s + T + 1);
    return out;
  }

  /// Splits off the last `fraction` of the tokens: {first part, last part}.
  std::pair<TokenDataset, TokenDataset> split(double fraction) const {
    TINYLM_CHECK(fraction > 0 && fraction < 1, "TokenDataset::split: fraction must be in (0, 1), got ", fraction);
    const auto cut = static_cast<std::ptrdiff_t>(static_cast<double>(size()) * (1.0 - fraction));
    return {TokenDataset({tokens_.begin(), tokens_.begin() + cut}, name_ + " (train split)"),
            TokenDataset({tokens_.begin() + cut, tokens_.end()}, name_ + " (validation split)")};
  }

 private:
  std::vector<int32_t> tokens_;
  std::string name_ = "data";
};

}  // namespace tinylm::data
