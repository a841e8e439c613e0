#pragma once
// BPETokenizer: byte-level byte-pair encoding, as GPT-2 and tiktoken do it.
//
//   text --pre-tokenizer--> chunks --merges--> token ids
//
// The pre-tokenizer (data/pretokenizer.hpp) splits text into chunks by
// GPT-2's pattern or GPT-4's; bytes that are not UTF-8 are chunks of their
// own, so every byte string encodes and decodes back to itself.
//
// Within a chunk, encoding starts from single bytes and repeatedly merges
// the adjacent pair of lowest rank: by the merges when they are known
// (GPT-2's vocab.bpe, tokenizer.json, a trained tokenizer), else by
// tiktoken's rule, the pair whose joined bytes are the token of lowest
// rank. Short chunks use the plain quadratic scan; long ones (a million
// 'x') a heap over the pairs with lazy invalidation, O(n log n).
//
// Special tokens (<|endoftext|>, user-defined ones) follow tiktoken:
// encode_ordinary() never produces them; encode() produces the allowed ones
// where their text occurs and, for a disallowed one in the text, throws or
// reads it as plain text, as SpecialOptions says, never silently its id.
//
// from_gpt2_files() reads OpenAI's encoder.json + vocab.bpe (tokens written
// with GPT-2's byte-to-unicode map). Utf8Stream (core/utf8.hpp) prints tokens as
// they are sampled: it holds back an incomplete UTF-8 sequence until its bytes come.
// Training is in data/bpe_train.hpp, files in data/bpe_files.hpp.

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tinylm/core/config.hpp"
#include "tinylm/core/error.hpp"
#include "tinylm/core/utf8.hpp"
#include "tinylm/data/pretokenizer.hpp"
#include "tinylm/data/text.hpp"
#include "tinylm/io/json.hpp"
#include "tinylm/kernels/cpu/parallel.hpp"

namespace tinylm::data {

namespace detail {

/// GPT-2's printable stand-in for each byte: bytes that are printable
/// Latin-1 stand for themselves, the other 68 for U+0100 onwards, in order.
TINYLM_DECL const std::array<char32_t, 256>& gpt2_byte_to_unicode();
/// A token's bytes in GPT-2's byte-to-unicode map, as the JSON files write them.
TINYLM_DECL std::string to_byte_unicode(std::string_view bytes);

/// The inverse; false if a character is not in the map.
TINYLM_DECL bool from_byte_unicode(std::string_view text, std::string& out);

/// (left id, right id) as one hash key.
inline uint64_t pair_key(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace detail

/// What encode() does with special tokens.
struct SpecialOptions {
  std::vector<std::string> allowed{};  // these become their ids where their text occurs
  bool allow_all = false;              // every special token is allowed
  /// A special token's text that is not allowed: an Error (tiktoken's
  /// default) or plain text (encoded as ordinary bytes).
  enum class Disallowed { Error, Text } disallowed = Disallowed::Error;
};

class BPETokenizer {
 public:
  /// tokens[id] is the byte string of each ordinary token (every single
  /// byte among them), empty at the ids of special tokens; specials: text ->
  /// id (an id may be past the end of tokens).
  /// How a chunk's parts merge: by `merges` when given ((left id, right id)
  /// pairs in rank order, each making the token of their bytes joined, as
  /// GPT-2's vocab.bpe and Hugging Face's tokenizer.json list them), else by
  /// tiktoken's rule, the pair whose joined bytes are the token of lowest
  /// rank (ranks[id]; empty: rank = id).
  BPETokenizer(std::vector<std::string> tokens, std::vector<std::pair<std::string, int32_t>> specials,
               SplitPattern pattern = SplitPattern::GPT2, std::vector<int32_t> ranks = {},
               std::vector<std::pair<int32_t, int32_t>> merges = {});

  /// OpenAI's GPT-2 files: encoder.json (token -> id, tokens in GPT-2's
  /// byte-to-unicode map) and vocab.bpe (a version line, then one merge
  /// "a b" per line in rank order). Entries that are neither a byte nor a
  /// merge's result (<|endoftext|>) are special tokens.
  static BPETokenizer from_gpt2_files(const std::string& encoder_json, const std::string& vocab_bpe);

  /// One more than the largest id, ordinary or special.
  int64_t vocab_size() const { return vocab_size_; }
  int64_t num_ordinary_tokens() const { return static_cast<int64_t>(index_.size()); }
  /// Whether `id` is an ordinary token (a byte string BPE makes).
  bool is_ordinary(int32_t id) const {
    return id >= 0 && id < static_cast<int32_t>(tokens_.size()) && !tokens_[static_cast<std::size_t>(id)].empty();
  }
  const std::vector<std::pair<std::string, int32_t>>& special_tokens() const { return specials_; }
  /// The id of a special token, or -1.
  int32_t special_id(std::string_view text) const {
    auto it = special_index_.find(text);
    return it == special_index_.end() ? -1 : it->second;
  }
  /// Appends special tokens (the ones the vocabulary lacks) at the next
  /// ids, in order, and returns how many it added: the way a pre-trained
  /// tokenizer gets a chat template's turn tokens (then grow the model's
  /// embedding with GPT::resize_token_embeddings).
  int64_t add_special_tokens(const std::vector<std::string>& texts);
  /// The byte string of an ordinary token or the text of a special one.
  const std::string& token_bytes(int32_t id) const {
    TINYLM_CHECK(id >= 0 && id < vocab_size_, "BPETokenizer: id ", id, " is out of range for a vocabulary of ",
                 vocab_size_);
    if (is_ordinary(id)) return tokens_[static_cast<std::size_t>(id)];
    auto it = special_text_.find(id);
    TINYLM_CHECK(it != special_text_.end(), "BPETokenizer: id ", id, " is no token (a gap in the ids)");
    return it->second;
  }
  const Pretokenizer& pretokenizer() const { return pre_; }
  /// The merges in rank order (empty for a tokenizer that merges by ranks).
  const std::vector<std::pair<int32_t, int32_t>>& merges() const { return merge_list_; }

  /// Text as ordinary tokens only: a special token's text is plain text.
  /// Text over 1 MB is encoded in parallel, in pieces cut where no chunk
  /// crosses (the same ids as in one piece).
  std::vector<int32_t> encode_ordinary(std::string_view text) const;

  /// encode_ordinary of each text, the texts spread over the threads.
  std::vector<std::vector<int32_t>> encode_ordinary_batch(const std::vector<std::string_view>& texts) const;

  /// Text with special tokens handled as `opt` says (see the file comment).
  std::vector<int32_t> encode(std::string_view text, const SpecialOptions& opt = {}) const;

  /// The bytes of the tokens, concatenated (special tokens as their text).
  template <class I>
  std::string decode(const std::vector<I>& ids) const {
    std::string out;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto id = static_cast<int64_t>(ids[i]);
      TINYLM_CHECK(id >= 0 && id < vocab_size_, "BPETokenizer::decode: id ", id, " at position ", i,
                   " is out of range for a vocabulary of ", vocab_size_);
      out += token_bytes(static_cast<int32_t>(id));
    }
    return out;
  }

 private:
  using Cache = std::unordered_map<std::string, std::vector<int32_t>, detail::StringHash, std::equal_to<>>;

  void encode_ordinary_into(std::string_view text, std::vector<int32_t>& out, Cache& cache) const {
    pre_.split(text, [&](std::string_view chunk) { encode_chunk(chunk, out, cache); });
  }

  /// Merging parts [a] and [b] (ids ia, ib) whose bytes together are
  /// `joined`: the merge's rank and the id it makes, or rank -1.
  std::pair<int32_t, int32_t> merge_of(int32_t ia, int32_t ib, std::string_view joined) const {
    if (!merges_.empty()) {
      auto it = merges_.find(detail::pair_key(ia, ib));
      return it == merges_.end() ? std::pair{-1, -1} : it->second;
    }
    auto it = index_.find(joined);
    return it == index_.end() ? std::pair{-1, -1} : std::pair{ranks_[static_cast<std::size_t>(it->second)], it->second};
  }

  void encode_chunk(std::string_view chunk, std::vector<int32_t>& out, Cache& cache) const;

  /// The ids after merging, by repeated scans for the lowest-ranked
  /// adjacent pair (O(n^2), fastest for short chunks).
  std::vector<int32_t> merge_short(std::string_view chunk) const;

  /// The same merges with a heap of pairs and a linked list of parts,
  /// O(n log n): stale heap entries are skipped when popped. Ties go to the
  /// leftmost pair, as in the scan.
  std::vector<int32_t> merge_long(std::string_view chunk) const;

  static std::string printable(const std::string& bytes);

  static constexpr std::size_t kCacheLimit = 1 << 16;
  static constexpr std::size_t kParallelPiece = std::size_t{1} << 20;

  Pretokenizer pre_;
  std::vector<std::string> tokens_;  // by id: bytes
  std::vector<int32_t> ranks_;       // by id
  std::vector<std::pair<int32_t, int32_t>> merge_list_;
  std::unordered_map<std::string, int32_t, detail::StringHash, std::equal_to<>> index_;  // bytes -> id
  std::array<int32_t, 256> byte_id_{};
  /// (left id, right id) -> (rank, id made), when the merges are known (GPT-2's files, a trained
  /// tokenizer); empty: tiktoken's rule, a pair merges when its bytes are a token.
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges_;
  std::vector<std::pair<std::string, int32_t>> specials_;
  std::unordered_map<std::string, int32_t, detail::StringHash, std::equal_to<>> special_index_;
  std::unordered_map<int32_t, std::string> special_text_;
  int64_t vocab_size_ = 0;
};
}  // namespace tinylm::data

#if !defined(TINYLM_SEPARATE_COMPILATION)
#include "tinylm/data/impl/bpe.ipp"
#endif
