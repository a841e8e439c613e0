#pragma once
// The bodies of data/text.hpp's functions: included by that header in a header-only
// build, compiled once into tinylm_compiled otherwise (core/config.hpp).

#include "tinylm/data/text.hpp"

namespace tinylm::data {

TINYLM_DECL std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  TINYLM_CHECK(in.good(), "read_text_file: cannot open '", path, "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  TINYLM_CHECK(!in.bad(), "read_text_file: error while reading '", path, "'");
  std::string s = ss.str();
  TINYLM_CHECK(!s.empty(), "read_text_file: '", path, "' is empty");
  return s;
}

TINYLM_DECL std::vector<char32_t> utf8_decode(std::string_view s, const std::string& what) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    int len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
    TINYLM_CHECK(len > 0 && i + len <= s.size(), what, ": invalid UTF-8 at byte ", i);
    char32_t cp = len == 1 ? b0 : b0 & (0x7F >> len);
    for (int k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      TINYLM_CHECK((b & 0xC0) == 0x80, what, ": invalid UTF-8 at byte ", i + k);
      cp = (cp << 6) | (b & 0x3F);
    }
    const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    TINYLM_CHECK(!overlong && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF), what, ": invalid UTF-8 at byte ", i);
    out.push_back(cp);
    i += static_cast<std::size_t>(len);
  }
  return out;
}

TINYLM_DECL std::string read_text_prefix(const std::string& path, std::size_t max_bytes) {
  TextChunks chunks(path, std::clamp<std::size_t>(max_bytes / 4, 1, TextChunks::kDefaultChunkBytes));
  std::string out, piece;
  while (out.size() < max_bytes && chunks.next(piece)) out += piece;
  return out;
}

}  // namespace tinylm::data

namespace tinylm::data {

TINYLM_DECL TextChunks::TextChunks(std::string path, std::size_t chunk_bytes)
    : path_(std::move(path)), chunk_(chunk_bytes), in_(path_, std::ios::binary) {
  TINYLM_CHECK(chunk_ >= 1, "TextChunks: chunk_bytes must be >= 1");
  TINYLM_CHECK(in_.good(), "read_text_file: cannot open '", path_, "'");
  in_.seekg(0, std::ios::end);
  size_ = static_cast<uint64_t>(in_.tellg());
  in_.seekg(0);
  TINYLM_CHECK(in_.good(), "read_text_file: cannot read '", path_, "'");
  TINYLM_CHECK(size_ > 0, "read_text_file: '", path_, "' is empty");
}

}  // namespace tinylm::data
