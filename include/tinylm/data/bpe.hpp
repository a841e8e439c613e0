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
#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <functional>
#include <map>
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
#include "tinylm/kernels/cpu/parallel.hpp"

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

/// Cuts text into pieces of about `size` bytes where the pre-tokenizer's
/// chunks would not change: after a lone newline that ASCII non-space
/// characters surround (no chunk of either pattern crosses there, nor looks
/// across it; a byte >= 0x80 might be part of a Unicode space, so it does
/// not count as non-space). Appends the pieces to `out`.
inline void split_safely(std::string_view text, std::size_t size, std::vector<std::string_view>& out) {
  auto solid = [&](std::size_t i) {
    const auto c = static_cast<unsigned char>(text[i]);
    return c < 0x80 && std::isspace(c) == 0;
  };
  while (text.size() > size) {
    std::size_t p = std::max<std::size_t>(size, 2);
    while (p < text.size() && !(text[p - 1] == '\n' && solid(p - 2) && solid(p))) ++p;
    out.push_back(text.substr(0, p));
    text.remove_prefix(p);
  }
  if (!text.empty()) out.push_back(text);
}

/// What GPT-2's pattern sees in a character.
enum class CharClass : uint8_t { Letter, Number, Space, Other, Invalid };

/// The class of the character at s[i] and its length in bytes (an invalid
/// byte is a character of one byte, as PCRE2 with MATCH_INVALID_UTF skips
/// it). Space is Unicode's White_Space (separators, \t-\r, U+0085), as in
/// tiktoken; letters and numbers are \p{L} and \p{N}, from utf8proc.
inline std::pair<CharClass, int> char_class(std::string_view s, std::size_t i) {
  static constexpr auto ascii = [] {
    std::array<CharClass, 128> t{};
    for (int c = 0; c < 128; ++c) {
      t[static_cast<std::size_t>(c)] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ? CharClass::Letter
                                       : c >= '0' && c <= '9'                           ? CharClass::Number
                                       : c == ' ' || (c >= 9 && c <= 13)                ? CharClass::Space
                                                                                        : CharClass::Other;
    }
    return t;
  }();
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return {ascii[b0], 1};
  const int len = (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + static_cast<std::size_t>(len) > s.size()) return {CharClass::Invalid, 1};
  char32_t cp = b0 & (0x7F >> len);
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((b & 0xC0) != 0x80) return {CharClass::Invalid, 1};
    cp = (cp << 6) | (b & 0x3F);
  }
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return {CharClass::Invalid, 1};
  if (cp == 0x85) return {CharClass::Space, len};
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: return {CharClass::Letter, len};
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: return {CharClass::Number, len};
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP: return {CharClass::Space, len};
    default: return {CharClass::Other, len};
  }
}

/// GPT-2's pattern as a hand-written scanner, the alternatives in the
/// pattern's order: a contraction; an optional space and a run of letters,
/// of numbers or of other characters; a run of whitespace that leaves its
/// last character to the next chunk when a non-space follows; a single
/// whitespace character. Invalid bytes, a run at a time, are chunks of
/// their own. Tested equal to PCRE2 running the pattern.
template <class F>
void split_gpt2_scan(std::string_view text, F&& on_chunk) {
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const std::size_t start = i;
    const auto [c, len] = char_class(text, i);
    if (c == CharClass::Invalid) {
      std::size_t k = i + 1;
      while (k < n && char_class(text, k).first == CharClass::Invalid) ++k;
      on_chunk(text.substr(start, k - start));
      i = k;
      continue;
    }
    if (text[i] == '\'' && i + 1 < n) {  // 's 't 'm 'd 'll 've 're
      const char a = text[i + 1], b = i + 2 < n ? text[i + 2] : '\0';
      std::size_t m = a == 's' || a == 't' || a == 'm' || a == 'd'                                 ? 2
                      : (a == 'l' && b == 'l') || (a == 'v' && b == 'e') || (a == 'r' && b == 'e') ? 3
                                                                                                   : 0;
      if (m) {
        on_chunk(text.substr(start, m));
        i += m;
        continue;
      }
    }
    std::size_t j = i;
    CharClass run = c;
    if (text[i] == ' ' && i + 1 < n) {  // an optional space before a run
      const CharClass next = char_class(text, i + 1).first;
      if (next == CharClass::Letter || next == CharClass::Number || next == CharClass::Other) {
        j = i + 1;
        run = next;
      }
    }
    if (run != CharClass::Space) {
      std::size_t k = j;
      while (k < n) {
        const auto [ck, lk] = char_class(text, k);
        if (ck != run) break;
        k += static_cast<std::size_t>(lk);
      }
      on_chunk(text.substr(start, k - start));
      i = k;
      continue;
    }
    std::size_t k = i, last = i, count = 0;  // whitespace
    while (k < n) {
      const auto [ck, lk] = char_class(text, k);
      if (ck != CharClass::Space) break;
      last = k;
      k += static_cast<std::size_t>(lk);
      ++count;
    }
    const bool solid_next = k < n && char_class(text, k).first != CharClass::Invalid;
    if (solid_next && count >= 2) k = last;  // \s+(?!\S): the last one goes with what follows
    on_chunk(text.substr(start, k - start));
    i = k;
  }
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace detail

/// Splits text into the chunks BPE merges within (see the file comment).
/// GPT-2's pattern runs as a hand-written scanner with utf8proc's Unicode
/// categories (Engine::Scanner, the default for it: benchmarks/bpe_compare.sh
/// measured it faster than PCRE2's JIT), GPT-4's as PCRE2 running the
/// pattern. Thread-safe: each call has its own match data.
class Pretokenizer {
 public:
  enum class Engine { Auto, Pcre2, Scanner };

  explicit Pretokenizer(SplitPattern pattern = SplitPattern::GPT2, Engine engine = Engine::Auto) : pattern_(pattern) {
    TINYLM_CHECK(engine != Engine::Scanner || pattern == SplitPattern::GPT2,
                 "Pretokenizer: the scanner knows GPT-2's pattern only");
    scan_ = pattern == SplitPattern::GPT2 && engine != Engine::Pcre2;
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
    if (scan_) {
      detail::split_gpt2_scan(text, on_chunk);
      return;
    }
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
  bool scan_ = false;
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
      TINYLM_CHECK(merges_.emplace(pair_key(a, b), std::pair{static_cast<int32_t>(r), it->second}).second,
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
      tokens[static_cast<std::size_t>(id)] = to_bytes(by_id[static_cast<std::size_t>(id)], encoder_json);
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
      auto it = merges_.find(pair_key(ia, ib));
      return it == merges_.end() ? std::pair{-1, -1} : it->second;
    }
    auto it = index_.find(joined);
    return it == index_.end() ? std::pair{-1, -1} : std::pair{ranks_[static_cast<std::size_t>(it->second)], it->second};
  }
  static uint64_t pair_key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
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

/// What train_bpe() learns.
struct BPETrainOptions {
  int64_t vocab_size = 4096;  // 256 bytes + the merges + the special tokens
  int64_t min_frequency = 2;  // a pair seen fewer times is never merged (training stops there)
  SplitPattern pattern = SplitPattern::GPT2;
  std::vector<std::string> special_tokens;  // ids after the merges, in this order
  /// Called now and then with a line of progress ("bpe: merge 1000 of 3840 ...").
  std::function<void(const std::string&)> progress;
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
inline BPETokenizer train_bpe(const std::vector<std::string_view>& texts, const BPETrainOptions& opt) {
  const auto n_special = static_cast<int64_t>(opt.special_tokens.size());
  TINYLM_CHECK(opt.vocab_size >= 256 + n_special, "train_bpe: vocab_size ", opt.vocab_size, " is below the ", 256,
               " bytes plus ", n_special, " special tokens");
  TINYLM_CHECK(opt.min_frequency >= 1, "train_bpe: min_frequency must be >= 1, got ", opt.min_frequency);
  const Pretokenizer pre(opt.pattern);

  // 1. Distinct chunks and how often each occurs, counted in parallel over
  //    pieces of about 1 MB. A piece ends after a lone newline that
  //    non-space characters surround: no chunk of either pattern crosses
  //    there, nor looks across it, so the counts are those of the whole text.
  std::vector<std::string_view> pieces;
  for (std::string_view text : texts) detail::split_safely(text, std::size_t{1} << 20, pieces);
  std::vector<std::unordered_map<std::string, int64_t, detail::StringHash, std::equal_to<>>> counts(pieces.size());
  kernels::cpu::parallel_for(static_cast<int64_t>(pieces.size()), 1 << 20, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      auto& c = counts[static_cast<std::size_t>(t)];
      pre.split(pieces[static_cast<std::size_t>(t)], [&](std::string_view chunk) {
        auto it = c.find(chunk);
        if (it == c.end()) c.emplace(std::string(chunk), 1);
        else ++it->second;
      });
    }
  });
  std::map<std::string, int64_t> chunks;  // ordered: the word list, and so everything after, is deterministic
  for (auto& c : counts)
    for (auto& [chunk, n] : c) chunks[chunk] += n;
  counts.clear();
  if (opt.progress)
    opt.progress(tinylm::detail::str_cat("bpe: ", chunks.size(), " distinct chunks in ", texts.size(), " texts"));

  struct Word {
    std::vector<int32_t> ids;
    int64_t count;
  };
  std::vector<Word> words;
  words.reserve(chunks.size());
  for (const auto& [chunk, n] : chunks) {
    Word w{{}, n};
    for (unsigned char b : chunk) w.ids.push_back(b);
    words.push_back(std::move(w));
  }
  chunks.clear();

  // 2. Pair counts and where each pair occurs.
  using Pair = std::pair<int32_t, int32_t>;
  auto key = [](int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  };
  std::unordered_map<uint64_t, int64_t> pair_count;
  std::unordered_map<uint64_t, std::vector<int32_t>> where;  // may list a word twice, or one that lost the pair
  for (std::size_t w = 0; w < words.size(); ++w)
    for (std::size_t i = 0; i + 1 < words[w].ids.size(); ++i) {
      const uint64_t k = key(words[w].ids[i], words[w].ids[i + 1]);
      pair_count[k] += words[w].count;
      auto& list = where[k];
      if (list.empty() || list.back() != static_cast<int32_t>(w)) list.push_back(static_cast<int32_t>(w));
    }
  // Max-heap on count; among equal counts the smaller pair first.
  using Entry = std::pair<int64_t, uint64_t>;
  auto later = [](const Entry& x, const Entry& y) {
    return x.first != y.first ? x.first < y.first : x.second > y.second;
  };
  std::priority_queue<Entry, std::vector<Entry>, decltype(later)> heap(later);
  for (const auto& [k, n] : pair_count) heap.emplace(n, k);

  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.emplace_back(1, static_cast<char>(b));
  std::vector<Pair> merges;
  const int64_t target = opt.vocab_size - n_special - 256;
  while (static_cast<int64_t>(merges.size()) < target && !heap.empty()) {
    const auto [n, k] = heap.top();
    heap.pop();
    auto it = pair_count.find(k);
    const int64_t now = it == pair_count.end() ? 0 : it->second;
    if (now != n) {  // out of date: back in with its current count
      if (now > 0) heap.emplace(now, k);
      continue;
    }
    if (n < opt.min_frequency) break;
    const auto a = static_cast<int32_t>(k >> 32), b = static_cast<int32_t>(k & 0xFFFFFFFFu);
    const auto made = static_cast<int32_t>(tokens.size());
    tokens.push_back(tokens[static_cast<std::size_t>(a)] + tokens[static_cast<std::size_t>(b)]);
    merges.emplace_back(a, b);
    std::vector<int32_t> list = std::move(where[k]);
    where.erase(k);
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    std::unordered_map<uint64_t, int64_t> changed;  // pairs whose count went up: pushed once each below
    for (int32_t w : list) {
      Word& word = words[static_cast<std::size_t>(w)];
      std::vector<int32_t>& ids = word.ids;
      bool any = false;
      for (std::size_t i = 0; i + 1 < ids.size(); ++i) any = any || (ids[i] == a && ids[i + 1] == b);
      if (!any) continue;  // the pair left this word in an earlier merge
      for (std::size_t i = 0; i + 1 < ids.size(); ++i) pair_count[key(ids[i], ids[i + 1])] -= word.count;
      std::vector<int32_t> merged;
      merged.reserve(ids.size());
      for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i + 1 < ids.size() && ids[i] == a && ids[i + 1] == b) {
          merged.push_back(made);
          ++i;
        } else {
          merged.push_back(ids[i]);
        }
      }
      ids = std::move(merged);
      for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
        const uint64_t pk = key(ids[i], ids[i + 1]);
        pair_count[pk] += word.count;
        if (ids[i] == made || ids[i + 1] == made) {
          auto& wl = where[pk];
          if (wl.empty() || wl.back() != w) wl.push_back(w);
          changed[pk] = 0;
        }
      }
    }
    pair_count.erase(k);
    for (const auto& [pk, unused] : changed) {
      (void)unused;
      auto pc = pair_count.find(pk);
      if (pc != pair_count.end() && pc->second > 0) heap.emplace(pc->second, pk);
    }
    if (opt.progress && merges.size() % 1000 == 0)
      opt.progress(tinylm::detail::str_cat("bpe: merge ", merges.size(), " of ", target, " (pair seen ", n, " times)"));
  }
  if (opt.progress)
    opt.progress(tinylm::detail::str_cat("bpe: ", merges.size(), " merges, vocabulary ",
                                         256 + merges.size() + opt.special_tokens.size()));
  std::vector<std::pair<std::string, int32_t>> specials;
  for (const std::string& sp : opt.special_tokens)
    specials.emplace_back(sp, static_cast<int32_t>(tokens.size() + specials.size()));
  return BPETokenizer(std::move(tokens), std::move(specials), opt.pattern, {}, std::move(merges));
}

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
