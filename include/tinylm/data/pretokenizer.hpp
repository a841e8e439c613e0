#pragma once
// The BPE pre-tokenizer: splits text into the chunks byte-pair merges stay
// within, by GPT-2's split pattern or GPT-4's.
//
// GPT-2's pattern runs as a hand-written scanner that takes Unicode
// categories from utf8proc (Debian's libutf8proc); GPT-4's runs as PCRE2
// (libpcre2) with its JIT. Bytes that are not valid UTF-8 never match
// either; each run of them is a chunk of its own, so the chunks cover every
// byte string, valid UTF-8 or not.

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tinylm/core/error.hpp"

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
/// The patterns as tiktoken and Hugging Face write them (bpe.hpp's are
/// PCRE2's spelling of the same).
inline const char* canonical_pattern(SplitPattern p) {
  return p == SplitPattern::GPT2
             ? R"('(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)"
             : R"('(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+)";
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

}  // namespace detail

/// Splits text into the chunks BPE merges within (see the file comment).
/// GPT-2's pattern runs as a hand-written scanner with utf8proc's Unicode
/// categories (Engine::Scanner, the default for it: 1.5 to 3.8x PCRE2's JIT
/// in benchmarks/pretokenizer_engines), GPT-4's as PCRE2 running the
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

}  // namespace tinylm::data
