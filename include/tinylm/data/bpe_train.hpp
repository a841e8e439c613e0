#pragma once
// Training a byte-level BPE from text (train_bpe): see its comment.

#include <algorithm>
#include <functional>
#include <map>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tinylm/core/config.hpp"
#include "tinylm/data/bpe.hpp"
#include "tinylm/kernels/cpu/parallel.hpp"

namespace tinylm::data {

/// What train_bpe() learns.
struct BPETrainOptions {
  int64_t vocab_size = 4096;  // 256 bytes + the merges + the special tokens
  int64_t min_frequency = 2;  // a pair seen fewer times is never merged (training stops there)
  SplitPattern pattern = SplitPattern::GPT2;
  std::vector<std::string> special_tokens{};  // ids after the merges, in this order
  /// Called now and then with a line of progress ("bpe: merge 1000 of 3840 ...").
  std::function<void(const std::string&)> progress{};
};

/// Learns a byte-level BPE from texts: counts the distinct chunks the
/// pre-tokenizer makes (in parallel over the texts), then merges, one pair
/// at a time, the adjacent pair of tokens seen most often over all chunks,
/// counting each chunk as often as it occurs. Pair counts are kept up to
/// date incrementally: each pair knows the chunks it occurs in, and a
/// max-heap of (count, pair) is refreshed lazily (an entry whose count is
/// out of date is pushed back with the current one). Ties go to the pair
/// of smaller (left id, right id), so the result depends on the texts only.
/// Ids: byte b is token b; merge i makes token 256 + i; then the special
/// tokens.
TINYLM_DECL BPETokenizer train_bpe(const std::vector<std::string_view>& texts, const BPETrainOptions& opt);

}  // namespace tinylm::data

#if !defined(TINYLM_SEPARATE_COMPILATION)
#include "tinylm/data/impl/bpe_train.ipp"
#endif
