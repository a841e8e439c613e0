#pragma once
// The bodies of data/char_tokenizer.hpp's functions: included by that header in a header-only
// build, compiled once into tinylm_compiled otherwise (core/config.hpp).

#include "tinylm/data/char_tokenizer.hpp"

namespace tinylm::data {

TINYLM_DECL CharTokenizer CharTokenizer::from_text(std::string_view text) {
  std::vector<char32_t> cps = utf8_decode(text, "CharTokenizer");
  TINYLM_CHECK(!cps.empty(), "CharTokenizer: cannot build a vocabulary from empty text");
  std::sort(cps.begin(), cps.end());
  cps.erase(std::unique(cps.begin(), cps.end()), cps.end());
  return CharTokenizer(std::move(cps));
}

TINYLM_DECL CharTokenizer CharTokenizer::from_text_files(const std::vector<std::string>& paths) {
  std::vector<char32_t> cps;
  std::vector<bool> ascii(128, false);
  for (const std::string& path : paths) {
    TextChunks text(path);
    for (std::string piece; text.next(piece);) {
      std::vector<char32_t> got;
      try {
        got = utf8_decode(piece, "CharTokenizer");
      } catch (const Error& e) {
        throw Error(tinylm::detail::str_cat("'", path, "', in the piece at byte ", text.offset(), ": ", e.what()));
      }
      for (char32_t c : got) {
        if (c < 128) ascii[c] = true;
        else cps.push_back(c);
      }
      std::sort(cps.begin(), cps.end());
      cps.erase(std::unique(cps.begin(), cps.end()), cps.end());
    }
  }
  for (char32_t c = 0; c < 128; ++c)
    if (ascii[c]) cps.push_back(c);
  TINYLM_CHECK(!cps.empty(), "CharTokenizer: cannot build a vocabulary from empty text");
  std::sort(cps.begin(), cps.end());
  return CharTokenizer(std::move(cps));
}

TINYLM_DECL CharTokenizer CharTokenizer::from_string(std::string_view vocab, const std::vector<Special>& specials) {
  std::vector<char32_t> cps = utf8_decode(vocab, "CharTokenizer vocabulary");
  TINYLM_CHECK(!cps.empty(), "CharTokenizer: empty vocabulary");
  const auto total = static_cast<int64_t>(cps.size() + specials.size());
  std::vector<char32_t> chars(static_cast<std::size_t>(total), kSpecial);
  std::vector<std::string> special_text(static_cast<std::size_t>(total));
  for (const Special& sp : specials) {
    TINYLM_CHECK(sp.id >= 0 && sp.id < total, "CharTokenizer: special token '", sp.text, "' has id ", sp.id,
                 ", outside the vocabulary of ", total);
    TINYLM_CHECK(!sp.text.empty(), "CharTokenizer: special token ", sp.id, " is empty");
    TINYLM_CHECK(special_text[static_cast<std::size_t>(sp.id)].empty(), "CharTokenizer: id ", sp.id,
                 " is given to two special tokens");
    special_text[static_cast<std::size_t>(sp.id)] = sp.text;
  }
  std::size_t next = 0;
  for (std::size_t id = 0; id < chars.size(); ++id)
    if (special_text[id].empty()) chars[id] = cps[next++];
  CharTokenizer t(std::move(chars), std::move(special_text));
  TINYLM_CHECK(t.index_.size() == cps.size(), "CharTokenizer: vocabulary has a repeated character");
  TINYLM_CHECK(t.special_index_.size() == specials.size(), "CharTokenizer: a special token is given twice");
  return t;
}

TINYLM_DECL int64_t CharTokenizer::add_tokens(std::string_view chars) {
  int64_t added = 0;
  for (char32_t c : utf8_decode(chars, "CharTokenizer::add_tokens"))
    if (index_.emplace(c, static_cast<int32_t>(chars_.size())).second) {
      chars_.push_back(c);
      special_text_.emplace_back();
      ++added;
    }
  return added;
}

TINYLM_DECL int64_t CharTokenizer::add_special_tokens(const std::vector<std::string>& tokens) {
  int64_t added = 0;
  for (const std::string& text : tokens) {
    TINYLM_CHECK(!text.empty(), "CharTokenizer::add_special_tokens: a special token cannot be empty");
    (void)utf8_decode(text, "CharTokenizer::add_special_tokens");
    if (special_index_.emplace(text, static_cast<int32_t>(chars_.size())).second) {
      chars_.push_back(kSpecial);
      special_text_.push_back(text);
      ++added;
    }
  }
  return added;
}

TINYLM_DECL std::string CharTokenizer::to_string() const {
  std::string s;
  for (std::size_t id = 0; id < chars_.size(); ++id)
    if (special_text_[id].empty()) utf8_append(s, chars_[id]);
  return s;
}

TINYLM_DECL std::vector<int32_t> CharTokenizer::encode(std::string_view text, Unknown policy,
                                                       int32_t replacement) const {
  return encode_impl(text, policy, replacement, false, "CharTokenizer::encode");
}

TINYLM_DECL std::string CharTokenizer::printable(const std::string& ch) {
  if (ch == "\n") return "\\n";
  if (ch == "\t") return "\\t";
  if (ch.size() == 1 && static_cast<unsigned char>(ch[0]) < 0x20) return "?";
  return ch;
}

}  // namespace tinylm::data
