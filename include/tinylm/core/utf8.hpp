#pragma once
// UTF-8: encoding a code point, text out of a stream of bytes
// (data::Utf8Stream), and making bytes well-formed text.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace tinylm {

inline void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// The length (1 to 4) of the well-formed UTF-8 sequence that starts at
/// s[i], or 0 when the bytes there are not one (a stray continuation
/// byte, an overlong form, a surrogate, a code point above U+10FFFF, a
/// truncated sequence).
inline std::size_t utf8_sequence_at(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return 1;
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the first continuation byte
  if (b >= 0xC2 && b <= 0xDF) need = 1;
  else if (b >= 0xE0 && b <= 0xEF) need = 2, lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
  else if (b >= 0xF0 && b <= 0xF4) need = 3, lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
  else return 0;
  if (s.size() - i <= need) return 0;
  for (std::size_t k = 1; k <= need; ++k, lo = 0x80, hi = 0xBF) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if (c < lo || c > hi) return 0;
  }
  return need + 1;
}

/// The bytes with each ill-formed UTF-8 sequence replaced by U+FFFD, one
/// for each maximal subpart (as the Unicode standard recommends and
/// Python's errors="replace" does): text that JSON or a page can carry.
/// A model's tokens decode to bytes, and a byte-level BPE can end or
/// interleave them anywhere.
inline std::string utf8_replace_invalid(std::string_view s) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      out += s[i++];
      continue;
    }
    int need = 0;                        // continuation bytes the lead byte wants
    unsigned char lo = 0x80, hi = 0xBF;  // the range of the first of them
    if (b >= 0xC2 && b <= 0xDF) need = 1;
    else if (b >= 0xE0 && b <= 0xEF) need = 2, lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
    else if (b >= 0xF0 && b <= 0xF4) need = 3, lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
    std::size_t j = i + 1;
    int got = 0;
    for (; got < need && j < s.size(); ++j, ++got, lo = 0x80, hi = 0xBF) {
      const auto c = static_cast<unsigned char>(s[j]);
      if (c < lo || c > hi) break;
    }
    if (need > 0 && got == need) out.append(s.substr(i, j - i));
    else out += kReplacement;
    i = j;
  }
  return out;
}

}  // namespace tinylm

namespace tinylm::data {

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
