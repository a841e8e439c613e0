#pragma once
// BPETokenizer: byte-level byte-pair encoding, as GPT-2 and tiktoken do it.
//
//   text --pre-tokenizer--> chunks --merges--> token ids
//
// The pre-tokenizer splits text into chunks with a regular expression
// (GPT-2's pattern by default, or GPT-4's), run by PCRE2 with its JIT
// compiler and Unicode properties (\p{L}, \p{N}; Debian's libpcre2). Bytes
// that are not valid UTF-8 never match; each run of them is a chunk of its
// own, so every byte string, valid UTF-8 or not, encodes and decodes back
// to itself.
//
// Within a chunk, encoding starts from single bytes and repeatedly merges
// the adjacent pair whose concatenation has the lowest rank (tiktoken's
// rule; for GPT-2's files rank and id are the same). Short chunks use the
// plain quadratic scan; long ones (a million 'x') a heap over the pairs
// with lazy invalidation, O(n log n).
//
// Special tokens (<|endoftext|>, user-defined ones) follow tiktoken:
// encode_ordinary() never produces them; encode() produces the allowed ones
// where their text occurs and, for a disallowed one in the text, throws or
// reads it as plain text, as SpecialOptions says, never silently its id.
//
// from_gpt2_files() reads OpenAI's encoder.json + vocab.bpe (tokens written
// with GPT-2's byte-to-unicode map). Utf8Stream prints tokens as they are
// sampled: it holds back an incomplete UTF-8 sequence until its bytes come.

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <queue>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tinylm/core/error.hpp"
#include "tinylm/data/text.hpp"
#include "tinylm/io/json.hpp"

namespace tinylm::data {

/// The pre-tokenizer's splitting rule.
enum class SplitPattern {
  GPT2,  // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  GPT4,  // cl100k_base's: case-insensitive contractions, digits in threes, newlines kept apart
};

namespace detail {

/// The pattern as PCRE2 reads it. \s is written [\s\x{85}]: PCRE2's \s (with
/// UCP) is Unicode's separators plus the ASCII spaces, while tiktoken's (the
/// Rust regex crate's) is the White_Space property, which also holds U+0085.
inline const char* split_pattern(SplitPattern p) {
  switch (p) {
    case SplitPattern::GPT2:
      return R"('(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\x{85}\p{L}\p{N}]+|[\s\x{85}]+(?![^\s\x{85}])|[\s\x{85}]+)";
    case SplitPattern::GPT4:
      return R"('(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\x{85}\p{L}\p{N}]++[\r\n]*|[\s\x{85}]*[\r\n]|[\s\x{85}]+(?![^\s\x{85}])|[\s\x{85}]+)";
  }
  throw Error("BPETokenizer: unknown split pattern");
}

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

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace detail

/// Splits text into the chunks BPE merges within (see the file comment).
/// Thread-safe: each call has its own match data.
class Pretokenizer {
 public:
  explicit Pretokenizer(SplitPattern pattern = SplitPattern::GPT2) : pattern_(pattern) {
    int err = 0;
    PCRE2_SIZE at = 0;
    const char* p = detail::split_pattern(pattern);
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(p), PCRE2_ZERO_TERMINATED,
                                     PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &err, &at, nullptr);
    if (!code) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(err, msg, sizeof msg);
      throw Error(tinylm::detail::str_cat("Pretokenizer: the pattern does not compile at ", at, ": ",
                                          reinterpret_cast<const char*>(msg)));
    }
    code_ = std::shared_ptr<pcre2_code>(code, CodeFree{});
    jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  }

  SplitPattern pattern() const { return pattern_; }

  /// Calls on_chunk(std::string_view) for each chunk of `text`, in order;
  /// the chunks cover every byte exactly once.
  template <class F>
  void split(std::string_view text, F&& on_chunk) const {
    std::unique_ptr<pcre2_match_data, MatchDataFree> md(pcre2_match_data_create_from_pattern(code_.get(), nullptr));
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    std::size_t start = 0;
    while (start < text.size()) {
      const int rc = jit_ ? pcre2_jit_match(code_.get(), subject, text.size(), start, 0, md.get(), nullptr)
                          : pcre2_match(code_.get(), subject, text.size(), start, 0, md.get(), nullptr);
      if (rc == PCRE2_ERROR_NOMATCH) {
        on_chunk(text.substr(start));  // the rest is bytes that are not UTF-8
        return;
      }
      TINYLM_CHECK(rc > 0, "Pretokenizer: matching failed with PCRE2 error ", rc);
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
      if (ov[0] > start) on_chunk(text.substr(start, ov[0] - start));  // invalid UTF-8 before the match
      if (ov[1] > ov[0]) on_chunk(text.substr(ov[0], ov[1] - ov[0]));
      start = std::max<std::size_t>(ov[1], ov[0] + 1);
      if (ov[1] == ov[0]) on_chunk(text.substr(ov[0], 1));  // no pattern matches empty; kept whole anyway
    }
  }

  std::vector<std::string_view> split(std::string_view text) const {
    std::vector<std::string_view> out;
    split(text, [&](std::string_view c) { out.push_back(c); });
    return out;
  }

 private:
  struct CodeFree {
    void operator()(pcre2_code* c) const { pcre2_code_free(c); }
  };
  struct MatchDataFree {
    void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
  };
  SplitPattern pattern_;
  std::shared_ptr<pcre2_code> code_;  // shared: copies of a tokenizer use one compiled pattern
  bool jit_ = false;
};

/// What encode() does with special tokens.
struct SpecialOptions {
  std::vector<std::string> allowed;  // these become their ids where their text occurs
  bool allow_all = false;            // every special token is allowed
  /// A special token's text that is not allowed: an Error (tiktoken's
  /// default) or plain text (encoded as ordinary bytes).
  enum class Disallowed { Error, Text } disallowed = Disallowed::Error;
};

class BPETokenizer {
 public:
  /// tokens[id] is the byte string of each ordinary token (every single
  /// byte among them); ranks[id] its merge priority (lower merges first;
  /// empty: rank = id). specials: text -> id, ids outside the ordinary ones.
  BPETokenizer(std::vector<std::string> tokens, std::vector<std::pair<std::string, int32_t>> specials,
               SplitPattern pattern = SplitPattern::GPT2, std::vector<int32_t> ranks = {})
      : pre_(pattern), tokens_(std::move(tokens)), ranks_(std::move(ranks)) {
    if (ranks_.empty()) {
      ranks_.resize(tokens_.size());
      for (std::size_t i = 0; i < ranks_.size(); ++i) ranks_[i] = static_cast<int32_t>(i);
    }
    TINYLM_CHECK(ranks_.size() == tokens_.size(), "BPETokenizer: ", tokens_.size(), " tokens but ", ranks_.size(),
                 " ranks");
    index_.reserve(tokens_.size());
    for (std::size_t id = 0; id < tokens_.size(); ++id) {
      const std::string& t = tokens_[id];
      TINYLM_CHECK(!t.empty(), "BPETokenizer: token ", id, " is empty");
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
    for (auto& [text, id] : specials) {
      TINYLM_CHECK(!text.empty(), "BPETokenizer: a special token is empty");
      TINYLM_CHECK(id >= static_cast<int32_t>(tokens_.size()), "BPETokenizer: special token '", text, "' has id ", id,
                   ": ids below ", tokens_.size(), " are the ordinary tokens'");
      TINYLM_CHECK(special_index_.emplace(text, id).second, "BPETokenizer: special token '", text, "' is given twice");
      for (const auto& [other, other_id] : specials_)
        TINYLM_CHECK(other_id != id, "BPETokenizer: special tokens '", other, "' and '", text, "' share id ", id);
      specials_.emplace_back(text, id);
    }
    vocab_size_ = static_cast<int64_t>(tokens_.size());
    for (const auto& s : specials_) vocab_size_ = std::max<int64_t>(vocab_size_, s.second + 1);
  }

  /// OpenAI's GPT-2 files: encoder.json (token -> id, tokens in GPT-2's
  /// byte-to-unicode map) and vocab.bpe (a version line, then one merge
  /// "a b" per line in rank order). Entries that are neither a byte nor a
  /// merge's result (<|endoftext|>) are special tokens.
  static BPETokenizer from_gpt2_files(const std::string& encoder_json, const std::string& vocab_bpe) {
    const io::Json enc = io::Json::parse(read_text_file(encoder_json), encoder_json);
    const std::string merges = read_text_file(vocab_bpe);
    std::unordered_map<char32_t, int> unicode_to_byte;
    for (int b = 0; b < 256; ++b) unicode_to_byte[detail::gpt2_byte_to_unicode()[static_cast<std::size_t>(b)]] = b;
    auto to_bytes = [&](const std::string& token, const std::string& where) {
      std::string out;
      for (char32_t c : utf8_decode(token, where)) {
        auto it = unicode_to_byte.find(c);
        if (it == unicode_to_byte.end()) return std::string();  // not in the byte map: a special token's text
        out.push_back(static_cast<char>(it->second));
      }
      return out;
    };
    std::unordered_map<std::string, int32_t> id_of;  // token text as written -> id
    int32_t max_id = -1;
    for (const auto& [token, id] : enc.as_object(encoder_json)) {
      const int64_t v = id.as_int(encoder_json + " entry '" + token + "'");
      TINYLM_CHECK(v >= 0 && v < (int64_t{1} << 31), encoder_json, ": token '", token, "' has id ", v,
                   ", out of range");
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
    }
    // Ordinary ids must be 0..n-1 (a token's id is what the model's embedding rows follow).
    std::vector<std::string> tokens(ordinary.size());
    std::vector<int32_t> ranks(ordinary.size());
    for (std::size_t rank = 0; rank < ordinary.size(); ++rank) {
      const int32_t id = ordinary[rank];
      TINYLM_CHECK(id < static_cast<int32_t>(ordinary.size()), encoder_json, ": ordinary token '",
                   by_id[static_cast<std::size_t>(id)], "' has id ", id, " beyond the ", ordinary.size(),
                   " bytes and merges");
      tokens[static_cast<std::size_t>(id)] = to_bytes(by_id[static_cast<std::size_t>(id)], encoder_json);
      ranks[static_cast<std::size_t>(id)] = static_cast<int32_t>(rank);
    }
    std::vector<std::pair<std::string, int32_t>> specials;
    for (std::size_t id = 0; id < by_id.size(); ++id)
      if (taken[id] && !is_ordinary[id]) specials.emplace_back(by_id[id], static_cast<int32_t>(id));
    return BPETokenizer(std::move(tokens), std::move(specials), SplitPattern::GPT2, std::move(ranks));
  }

  /// Ordinary tokens plus special tokens.
  int64_t vocab_size() const { return vocab_size_; }
  int64_t num_ordinary_tokens() const { return static_cast<int64_t>(tokens_.size()); }
  const std::vector<std::pair<std::string, int32_t>>& special_tokens() const { return specials_; }
  /// The id of a special token, or -1.
  int32_t special_id(std::string_view text) const {
    auto it = special_index_.find(text);
    return it == special_index_.end() ? -1 : it->second;
  }
  /// The byte string of an ordinary token or the text of a special one.
  const std::string& token_bytes(int32_t id) const {
    TINYLM_CHECK(id >= 0 && id < vocab_size_, "BPETokenizer: id ", id, " is out of range for a vocabulary of ",
                 vocab_size_);
    if (id < static_cast<int32_t>(tokens_.size())) return tokens_[static_cast<std::size_t>(id)];
    for (const auto& s : specials_)
      if (s.second == id) return s.first;
    throw Error(tinylm::detail::str_cat("BPETokenizer: id ", id, " is no token (a gap between the special ids)"));
  }
  const Pretokenizer& pretokenizer() const { return pre_; }

  /// Text as ordinary tokens only: a special token's text is plain text.
  std::vector<int32_t> encode_ordinary(std::string_view text) const {
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 1);
    Cache cache;
    encode_ordinary_into(text, out, cache);
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

  /// Rank of the token with these bytes, or -1.
  int32_t rank_of(std::string_view bytes) const {
    auto it = index_.find(bytes);
    return it == index_.end() ? -1 : ranks_[static_cast<std::size_t>(it->second)];
  }

  void encode_chunk(std::string_view chunk, std::vector<int32_t>& out, Cache& cache) const {
    if (chunk.size() == 1) {
      out.push_back(byte_id_[static_cast<unsigned char>(chunk[0])]);
      return;
    }
    if (auto it = index_.find(chunk); it != index_.end()) {
      out.push_back(it->second);
      return;
    }
    if (auto it = cache.find(chunk); it != cache.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
    std::vector<int32_t> ids;
    std::vector<std::size_t> starts = chunk.size() <= 256 ? merge_short(chunk) : merge_long(chunk);
    starts.push_back(chunk.size());
    for (std::size_t i = 0; i + 1 < starts.size(); ++i) {
      auto it = index_.find(chunk.substr(starts[i], starts[i + 1] - starts[i]));
      ids.push_back(it->second);
    }
    out.insert(out.end(), ids.begin(), ids.end());
    if (cache.size() < kCacheLimit) cache.emplace(std::string(chunk), std::move(ids));
  }

  /// The start of each part after merging, by repeated scans for the
  /// lowest-ranked adjacent pair (O(n^2), fastest for short chunks).
  std::vector<std::size_t> merge_short(std::string_view chunk) const {
    constexpr int32_t kNone = INT32_MAX;
    std::vector<std::size_t> start(chunk.size() + 1);
    for (std::size_t i = 0; i <= chunk.size(); ++i) start[i] = i;
    // rank[i]: rank of parts i and i+1 merged.
    auto pair_rank = [&](std::size_t i) {
      if (i + 2 >= start.size()) return kNone;
      const int32_t r = rank_of(chunk.substr(start[i], start[i + 2] - start[i]));
      return r < 0 ? kNone : r;
    };
    std::vector<int32_t> rank(start.size() - 1);
    for (std::size_t i = 0; i < rank.size(); ++i) rank[i] = pair_rank(i);
    while (start.size() > 2) {
      std::size_t best = 0;
      for (std::size_t i = 1; i + 2 < start.size(); ++i)
        if (rank[i] < rank[best]) best = i;
      if (rank[best] == kNone) break;
      start.erase(start.begin() + static_cast<std::ptrdiff_t>(best) + 1);
      rank.erase(rank.begin() + static_cast<std::ptrdiff_t>(best) + 1);
      rank[best] = pair_rank(best);
      if (best > 0) rank[best - 1] = pair_rank(best - 1);
    }
    start.pop_back();
    return start;
  }

  /// The same merges with a heap of pairs and a linked list of parts,
  /// O(n log n): stale heap entries are skipped when popped. Ties go to the
  /// leftmost pair, as in the scan.
  std::vector<std::size_t> merge_long(std::string_view chunk) const {
    const std::size_t n = chunk.size();
    std::vector<std::size_t> end(n), next(n), prev(n);
    std::vector<bool> alive(n, true);
    for (std::size_t i = 0; i < n; ++i) {
      end[i] = i + 1;
      next[i] = i + 1;
      prev[i] = i == 0 ? SIZE_MAX : i - 1;
    }
    using Entry = std::tuple<int32_t, std::size_t, std::size_t>;  // rank, left part's start, right part's end
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
    auto push = [&](std::size_t left) {
      const std::size_t right = next[left];
      if (right >= n) return;
      const int32_t r = rank_of(chunk.substr(left, end[right] - left));
      if (r >= 0) heap.emplace(r, left, end[right]);
    };
    for (std::size_t i = 0; i + 1 < n; ++i) push(i);
    while (!heap.empty()) {
      const auto [r, left, stop] = heap.top();
      heap.pop();
      if (!alive[left] || next[left] >= n || end[next[left]] != stop) continue;  // stale
      const std::size_t right = next[left];
      alive[right] = false;
      end[left] = end[right];
      next[left] = next[right];
      if (next[left] < n) prev[next[left]] = left;
      push(left);
      if (prev[left] != SIZE_MAX) push(prev[left]);
    }
    std::vector<std::size_t> starts;
    for (std::size_t i = 0; i < n; i = next[i]) starts.push_back(i);
    return starts;
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

  Pretokenizer pre_;
  std::vector<std::string> tokens_;                                                      // by id: bytes
  std::vector<int32_t> ranks_;                                                           // by id
  std::unordered_map<std::string, int32_t, detail::StringHash, std::equal_to<>> index_;  // bytes -> id
  std::array<int32_t, 256> byte_id_{};
  std::vector<std::pair<std::string, int32_t>> specials_;
  std::unordered_map<std::string, int32_t, detail::StringHash, std::equal_to<>> special_index_;
  int64_t vocab_size_ = 0;
};

/// Turns a stream of token bytes into text that is safe to print: push()
/// returns everything up to an incomplete UTF-8 sequence at the end, which
/// it holds back until the bytes that complete it arrive; flush() returns
/// what is held. Bytes that cannot start or continue a sequence pass
/// through as they are.
class Utf8Stream {
 public:
  std::string push(std::string_view bytes) {
    held_ += bytes;
    const std::size_t keep = incomplete_tail(held_);
    std::string out = held_.substr(0, held_.size() - keep);
    held_.erase(0, held_.size() - keep);
    return out;
  }
  std::string flush() { return std::exchange(held_, std::string()); }

 private:
  /// The length of a prefix of a UTF-8 sequence at the end of s that more
  /// bytes could complete (0 if none).
  static std::size_t incomplete_tail(const std::string& s) {
    const std::size_t n = s.size();
    for (std::size_t k = 1; k <= 3 && k <= n; ++k) {
      const auto b = static_cast<unsigned char>(s[n - k]);
      if ((b & 0xC0) == 0x80) continue;  // a continuation byte: look further back
      const std::size_t len = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 && b < 0xE0 ? 2 : 1;
      return b >= 0xC2 && b <= 0xF4 && len > k ? k : 0;
    }
    return 0;
  }
  std::string held_;
};

}  // namespace tinylm::data
