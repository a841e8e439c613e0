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
inline const std::array<char32_t, 256>& gpt2_byte_to_unicode() {
  static const std::array<char32_t, 256> map = [] {
    std::array<char32_t, 256> m{};
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      m[static_cast<std::size_t>(b)] = printable ? static_cast<char32_t>(b) : next++;
    }
    return m;
  }();
  return map;
}
/// A token's bytes in GPT-2's byte-to-unicode map, as the JSON files write them.
inline std::string to_byte_unicode(std::string_view bytes) {
  std::string out;
  for (unsigned char b : bytes) utf8_append(out, gpt2_byte_to_unicode()[b]);
  return out;
}

/// The inverse; false if a character is not in the map.
inline bool from_byte_unicode(std::string_view text, std::string& out) {
  static const auto inverse = [] {
    std::unordered_map<char32_t, char> m;
    for (int b = 0; b < 256; ++b) m[gpt2_byte_to_unicode()[static_cast<std::size_t>(b)]] = static_cast<char>(b);
    return m;
  }();
  out.clear();
  std::vector<char32_t> cps;
  try {
    cps = utf8_decode(text);
  } catch (const Error&) {
    return false;
  }
  for (char32_t c : cps) {
    auto it = inverse.find(c);
    if (it == inverse.end()) return false;
    out.push_back(it->second);
  }
  return true;
}

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
               std::vector<std::pair<int32_t, int32_t>> merges = {})
      : pre_(pattern), tokens_(std::move(tokens)), ranks_(std::move(ranks)), merge_list_(std::move(merges)) {
    if (ranks_.empty()) {
      ranks_.resize(tokens_.size());
      for (std::size_t i = 0; i < ranks_.size(); ++i) ranks_[i] = static_cast<int32_t>(i);
    }
    TINYLM_CHECK(ranks_.size() == tokens_.size(), "BPETokenizer: ", tokens_.size(), " tokens but ", ranks_.size(),
                 " ranks");
    for (auto& [text, id] : specials) {
      TINYLM_CHECK(!text.empty(), "BPETokenizer: a special token is empty");
      TINYLM_CHECK(id >= 0, "BPETokenizer: special token '", text, "' has id ", id);
      TINYLM_CHECK(id >= static_cast<int32_t>(tokens_.size()) || tokens_[static_cast<std::size_t>(id)].empty(),
                   "BPETokenizer: special token '", text, "' has id ", id, ", which the ordinary token '",
                   printable(tokens_[static_cast<std::size_t>(id)]), "' has");
      TINYLM_CHECK(special_index_.emplace(text, id).second, "BPETokenizer: special token '", text, "' is given twice");
      TINYLM_CHECK(special_text_.emplace(id, text).second, "BPETokenizer: special tokens '", special_text_[id],
                   "' and '", text, "' share id ", id);
      specials_.emplace_back(text, id);
    }
    index_.reserve(tokens_.size());
    for (std::size_t id = 0; id < tokens_.size(); ++id) {
      const std::string& t = tokens_[id];
      if (t.empty()) {
        TINYLM_CHECK(special_text_.count(static_cast<int32_t>(id)), "BPETokenizer: token ", id,
                     " is empty and no special token has its id");
        continue;
      }
      TINYLM_CHECK(index_.emplace(t, static_cast<int32_t>(id)).second, "BPETokenizer: token ", id, " ('", printable(t),
                   "') is a duplicate of token ", index_.find(t)->second);
    }
    byte_id_.fill(-1);
    for (int b = 0; b < 256; ++b) {
      auto it = index_.find(std::string(1, static_cast<char>(b)));
      TINYLM_CHECK(it != index_.end(), "BPETokenizer: the vocabulary has no token for byte ", b,
                   "; a byte-level BPE needs all 256");
      byte_id_[static_cast<std::size_t>(b)] = it->second;
    }
    vocab_size_ = static_cast<int64_t>(tokens_.size());
    for (const auto& s : specials_) vocab_size_ = std::max<int64_t>(vocab_size_, s.second + 1);
    const auto n = static_cast<int32_t>(tokens_.size());
    for (std::size_t r = 0; r < merge_list_.size(); ++r) {
      const auto [a, b] = merge_list_[r];
      TINYLM_CHECK(a >= 0 && a < n && b >= 0 && b < n && !tokens_[static_cast<std::size_t>(a)].empty() &&
                       !tokens_[static_cast<std::size_t>(b)].empty(),
                   "BPETokenizer: merge ", r, " (", a, ", ", b, ") names a token that is not an ordinary one");
      auto it = index_.find(tokens_[static_cast<std::size_t>(a)] + tokens_[static_cast<std::size_t>(b)]);
      TINYLM_CHECK(it != index_.end(), "BPETokenizer: merge ", r, " joins tokens ", a, " and ", b, " into '",
                   printable(tokens_[static_cast<std::size_t>(a)] + tokens_[static_cast<std::size_t>(b)]),
                   "', which is not a token");
      TINYLM_CHECK(merges_.emplace(detail::pair_key(a, b), std::pair{static_cast<int32_t>(r), it->second}).second,
                   "BPETokenizer: merge ", r, " (", a, ", ", b, ") is listed twice");
    }
  }

  /// OpenAI's GPT-2 files: encoder.json (token -> id, tokens in GPT-2's
  /// byte-to-unicode map) and vocab.bpe (a version line, then one merge
  /// "a b" per line in rank order). Entries that are neither a byte nor a
  /// merge's result (<|endoftext|>) are special tokens.
  static BPETokenizer from_gpt2_files(const std::string& encoder_json, const std::string& vocab_bpe) {
    const io::Json enc = io::Json::parse(read_text_file(encoder_json), encoder_json);
    const std::string merges = read_text_file(vocab_bpe);
    std::unordered_map<std::string, int32_t> id_of;  // token text as written -> id
    int32_t max_id = -1;
    for (const auto& [token, id] : enc.as_object(encoder_json)) {
      const int64_t v = id.as_int(encoder_json + " entry '" + token + "'");
      // Ids are dense: none reaches the number of tokens (which also bounds what is allocated from them).
      const auto n = static_cast<int64_t>(enc.as_object().size());
      TINYLM_CHECK(v >= 0 && v < n, encoder_json, ": token '", token, "' has id ", v, ", out of range for ", n,
                   " tokens");
      TINYLM_CHECK(id_of.emplace(token, static_cast<int32_t>(v)).second, encoder_json, ": token '", token,
                   "' appears twice");
      max_id = std::max(max_id, static_cast<int32_t>(v));
    }
    std::vector<std::string> by_id(static_cast<std::size_t>(max_id + 1));
    std::vector<bool> taken(by_id.size(), false);
    for (const auto& [token, id] : id_of) {
      TINYLM_CHECK(!taken[static_cast<std::size_t>(id)], encoder_json, ": id ", id, " is given to two tokens");
      taken[static_cast<std::size_t>(id)] = true;
      by_id[static_cast<std::size_t>(id)] = token;
    }
    // Ordinary tokens: the 256 bytes and every merge's result, in rank order.
    std::vector<int32_t> ordinary;
    std::vector<bool> is_ordinary(by_id.size(), false);
    for (int b = 0; b < 256; ++b) {
      std::string written;
      utf8_append(written, detail::gpt2_byte_to_unicode()[static_cast<std::size_t>(b)]);
      auto it = id_of.find(written);
      TINYLM_CHECK(it != id_of.end(), encoder_json, ": no token for byte ", b, " ('", written, "')");
      ordinary.push_back(it->second);
      is_ordinary[static_cast<std::size_t>(it->second)] = true;
    }
    std::vector<std::pair<int32_t, int32_t>> merge_pairs;
    std::size_t line_no = 0, pos = 0;
    while (pos < merges.size()) {
      std::size_t end = merges.find('\n', pos);
      if (end == std::string::npos) end = merges.size();
      std::string_view line(merges.data() + pos, end - pos);
      pos = end + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty() || (line_no == 1 && line.starts_with("#version"))) continue;
      const std::size_t sp = line.find(' ');
      TINYLM_CHECK(sp != std::string_view::npos && sp > 0 && sp + 1 < line.size() &&
                       line.find(' ', sp + 1) == std::string_view::npos,
                   vocab_bpe, ":", line_no, ": expected two tokens separated by one space");
      const std::string a(line.substr(0, sp)), b(line.substr(sp + 1));
      for (const std::string* t : {&a, &b})
        TINYLM_CHECK(id_of.count(*t), vocab_bpe, ":", line_no, ": unknown token '", *t, "' in a merge");
      auto it = id_of.find(a + b);
      TINYLM_CHECK(it != id_of.end(), vocab_bpe, ":", line_no, ": the merge of '", a, "' and '", b, "' is not in ",
                   encoder_json);
      TINYLM_CHECK(!is_ordinary[static_cast<std::size_t>(it->second)], vocab_bpe, ":", line_no, ": '", a + b,
                   "' is made by an earlier merge already");
      ordinary.push_back(it->second);
      is_ordinary[static_cast<std::size_t>(it->second)] = true;
      merge_pairs.emplace_back(id_of[a], id_of[b]);
    }
    // Ordinary ids must be 0..n-1 (a token's id is what the model's embedding rows follow).
    std::vector<std::string> tokens(ordinary.size());
    std::vector<int32_t> ranks(ordinary.size());
    for (std::size_t rank = 0; rank < ordinary.size(); ++rank) {
      const int32_t id = ordinary[rank];
      TINYLM_CHECK(id < static_cast<int32_t>(ordinary.size()), encoder_json, ": ordinary token '",
                   by_id[static_cast<std::size_t>(id)], "' has id ", id, " beyond the ", ordinary.size(),
                   " bytes and merges");
      TINYLM_CHECK(detail::from_byte_unicode(by_id[static_cast<std::size_t>(id)], tokens[static_cast<std::size_t>(id)]),
                   encoder_json, ": token '", by_id[static_cast<std::size_t>(id)],
                   "' is not written in GPT-2's byte-to-unicode map");
      ranks[static_cast<std::size_t>(id)] = static_cast<int32_t>(rank);
    }
    std::vector<std::pair<std::string, int32_t>> specials;
    for (std::size_t id = 0; id < by_id.size(); ++id)
      if (taken[id] && !is_ordinary[id]) specials.emplace_back(by_id[id], static_cast<int32_t>(id));
    return BPETokenizer(std::move(tokens), std::move(specials), SplitPattern::GPT2, std::move(ranks),
                        std::move(merge_pairs));
  }

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
  int64_t add_special_tokens(const std::vector<std::string>& texts) {
    int64_t added = 0;
    for (const auto& text : texts) {
      TINYLM_CHECK(!text.empty(), "BPETokenizer::add_special_tokens: a special token is empty");
      if (special_index_.count(text)) continue;
      TINYLM_CHECK(vocab_size_ < 0x7FFFFFFF, "BPETokenizer::add_special_tokens: no id left for '", text, "'");
      const auto id = static_cast<int32_t>(vocab_size_);
      special_index_.emplace(text, id);
      special_text_.emplace(id, text);
      specials_.emplace_back(text, id);
      ++vocab_size_;
      ++added;
    }
    return added;
  }
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
  std::vector<int32_t> encode_ordinary(std::string_view text) const {
    if (text.size() > kParallelPiece) {
      std::vector<std::string_view> pieces;
      detail::split_safely(text, kParallelPiece, pieces);
      std::vector<int32_t> out;
      for (auto& ids : encode_ordinary_batch(pieces)) out.insert(out.end(), ids.begin(), ids.end());
      return out;
    }
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 1);
    Cache cache;
    encode_ordinary_into(text, out, cache);
    return out;
  }

  /// encode_ordinary of each text, the texts spread over the threads.
  std::vector<std::vector<int32_t>> encode_ordinary_batch(const std::vector<std::string_view>& texts) const {
    std::vector<std::vector<int32_t>> out(texts.size());
    std::size_t bytes = 0;
    for (auto t : texts) bytes += t.size();
    const auto per_text = static_cast<int64_t>(bytes / std::max<std::size_t>(texts.size(), 1));
    kernels::cpu::parallel_for(static_cast<int64_t>(texts.size()), per_text * 16, [&](int64_t begin, int64_t end) {
      Cache cache;
      for (int64_t i = begin; i < end; ++i) {
        const auto k = static_cast<std::size_t>(i);
        out[k].reserve(texts[k].size() / 3 + 1);
        encode_ordinary_into(texts[k], out[k], cache);
      }
    });
    return out;
  }

  /// Text with special tokens handled as `opt` says (see the file comment).
  std::vector<int32_t> encode(std::string_view text, const SpecialOptions& opt = {}) const {
    std::vector<const std::pair<std::string, int32_t>*> allowed;
    for (const auto& s : specials_) {
      const bool ok = opt.allow_all || std::find(opt.allowed.begin(), opt.allowed.end(), s.first) != opt.allowed.end();
      if (ok) {
        allowed.push_back(&s);
      } else if (opt.disallowed == SpecialOptions::Disallowed::Error) {
        const std::size_t at = text.find(s.first);
        TINYLM_CHECK(at == std::string_view::npos, "BPETokenizer::encode: the text holds the special token '", s.first,
                     "' at byte ", at,
                     ", which is not allowed; allow it, or have disallowed special tokens read as text");
      }
    }
    for (const std::string& a : opt.allowed)
      TINYLM_CHECK(special_index_.count(a), "BPETokenizer::encode: '", a, "' is allowed but is not a special token");
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 1);
    Cache cache;
    std::size_t done = 0;
    while (done < text.size()) {
      std::size_t best_at = std::string_view::npos;
      const std::pair<std::string, int32_t>* best = nullptr;
      for (const auto* s : allowed) {  // the earliest allowed special, the longest where several start there
        const std::size_t at = text.find(s->first, done);
        if (at == std::string_view::npos) continue;
        if (at < best_at || (at == best_at && s->first.size() > best->first.size())) {
          best_at = at;
          best = s;
        }
      }
      if (!best) break;
      encode_ordinary_into(text.substr(done, best_at - done), out, cache);
      out.push_back(best->second);
      done = best_at + best->first.size();
    }
    encode_ordinary_into(text.substr(done), out, cache);
    return out;
  }

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

  void encode_chunk(std::string_view chunk, std::vector<int32_t>& out, Cache& cache) const {
    if (chunk.size() == 1) {
      out.push_back(byte_id_[static_cast<unsigned char>(chunk[0])]);
      return;
    }
    if (merges_.empty()) {  // (with merges, a whole-chunk token may not be what the merges make)
      if (auto it = index_.find(chunk); it != index_.end()) {
        out.push_back(it->second);
        return;
      }
    }
    if (auto it = cache.find(chunk); it != cache.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
    std::vector<int32_t> ids = chunk.size() <= 256 ? merge_short(chunk) : merge_long(chunk);
    out.insert(out.end(), ids.begin(), ids.end());
    if (cache.size() < kCacheLimit) cache.emplace(std::string(chunk), std::move(ids));
  }

  /// The ids after merging, by repeated scans for the lowest-ranked
  /// adjacent pair (O(n^2), fastest for short chunks).
  std::vector<int32_t> merge_short(std::string_view chunk) const {
    constexpr int32_t kNone = INT32_MAX;
    const std::size_t n = chunk.size();
    std::vector<std::size_t> start(n + 1);
    std::vector<int32_t> id(n), rank(n), made(n);  // per part; rank/made: of the part merged with the next
    for (std::size_t i = 0; i <= n; ++i) start[i] = i;
    for (std::size_t i = 0; i < n; ++i) id[i] = byte_id_[static_cast<unsigned char>(chunk[i])];
    auto update = [&](std::size_t i) {  // pair (i, i + 1)
      rank[i] = kNone;
      if (i + 1 >= id.size()) return;
      const auto [r, m] = merge_of(id[i], id[i + 1], chunk.substr(start[i], start[i + 2] - start[i]));
      if (r >= 0) rank[i] = r, made[i] = m;
    };
    for (std::size_t i = 0; i < n; ++i) update(i);
    while (id.size() > 1) {
      std::size_t best = 0;
      for (std::size_t i = 1; i + 1 < id.size(); ++i)
        if (rank[i] < rank[best]) best = i;
      if (rank[best] == kNone) break;
      id[best] = made[best];
      const auto at = static_cast<std::ptrdiff_t>(best) + 1;
      start.erase(start.begin() + at);
      id.erase(id.begin() + at);
      rank.erase(rank.begin() + at);
      made.erase(made.begin() + at);
      update(best);
      if (best > 0) update(best - 1);
    }
    return id;
  }

  /// The same merges with a heap of pairs and a linked list of parts,
  /// O(n log n): stale heap entries are skipped when popped. Ties go to the
  /// leftmost pair, as in the scan.
  std::vector<int32_t> merge_long(std::string_view chunk) const {
    const std::size_t n = chunk.size();
    std::vector<std::size_t> end(n), next(n), prev(n);
    std::vector<int32_t> id(n);
    std::vector<bool> alive(n, true);
    for (std::size_t i = 0; i < n; ++i) {
      end[i] = i + 1;
      next[i] = i + 1;
      prev[i] = i == 0 ? SIZE_MAX : i - 1;
      id[i] = byte_id_[static_cast<unsigned char>(chunk[i])];
    }
    // rank, left part's start, right part's end, and the two ids (stale if the parts changed)
    using Entry = std::tuple<int32_t, std::size_t, std::size_t, int32_t, int32_t, int32_t>;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
    auto push = [&](std::size_t left) {
      const std::size_t right = next[left];
      if (right >= n) return;
      const auto [r, m] = merge_of(id[left], id[right], chunk.substr(left, end[right] - left));
      if (r >= 0) heap.emplace(r, left, end[right], id[left], id[right], m);
    };
    for (std::size_t i = 0; i + 1 < n; ++i) push(i);
    while (!heap.empty()) {
      const auto [r, left, stop, ia, ib, made] = heap.top();
      heap.pop();
      if (!alive[left] || next[left] >= n || end[next[left]] != stop || id[left] != ia || id[next[left]] != ib)
        continue;  // stale
      const std::size_t right = next[left];
      alive[right] = false;
      end[left] = end[right];
      next[left] = next[right];
      id[left] = made;
      if (next[left] < n) prev[next[left]] = left;
      push(left);
      if (prev[left] != SIZE_MAX) push(prev[left]);
    }
    std::vector<int32_t> ids;
    for (std::size_t i = 0; i < n; i = next[i]) ids.push_back(id[i]);
    return ids;
  }

  static std::string printable(const std::string& bytes) {
    std::string s;
    for (unsigned char c : bytes) {
      if (c >= 0x20 && c < 0x7F) s.push_back(static_cast<char>(c));
      else s += tinylm::detail::str_cat("\\x", "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]);
    }
    return s;
  }

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
