#pragma once
// CharTokenizer: one token per Unicode code point that occurs in the
// training text, ids in code-point order (for ASCII text this is the
// tokenizer of nanoGPT's shakespeare_char). add_tokens() appends new
// characters after the existing ids, so a trained model's ids stay valid
// (grow its embedding with GPT::resize_token_embeddings).
//
// A character the vocabulary lacks gets the policy the caller chooses:
// Unknown::Error (the default; the message names the character and its
// position), Unknown::Skip, or Unknown::Replace with a given id. It is saved
// with a model as the vocabulary string (to_string / from_string).

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tinylm/data/text.hpp"

namespace tinylm::data {

class CharTokenizer {
 public:
  enum class Unknown { Error, Skip, Replace };

  /// The vocabulary of every distinct character in `text`.
  static CharTokenizer from_text(std::string_view text) {
    std::vector<char32_t> cps = utf8_decode(text, "CharTokenizer");
    TINYLM_CHECK(!cps.empty(), "CharTokenizer: cannot build a vocabulary from empty text");
    std::sort(cps.begin(), cps.end());
    cps.erase(std::unique(cps.begin(), cps.end()), cps.end());
    return CharTokenizer(std::move(cps));
  }

  /// The inverse of to_string(): the vocabulary's characters, in id order.
  static CharTokenizer from_string(std::string_view vocab) {
    std::vector<char32_t> cps = utf8_decode(vocab, "CharTokenizer vocabulary");
    TINYLM_CHECK(!cps.empty(), "CharTokenizer: empty vocabulary");
    CharTokenizer t(std::move(cps));
    TINYLM_CHECK(t.index_.size() == t.chars_.size(), "CharTokenizer: vocabulary has a repeated character");
    return t;
  }

  /// Appends each character of `chars` that the vocabulary lacks, in order,
  /// with the next ids; existing ids do not change. Returns how many it added.
  int64_t add_tokens(std::string_view chars) {
    int64_t added = 0;
    for (char32_t c : utf8_decode(chars, "CharTokenizer::add_tokens"))
      if (index_.emplace(c, static_cast<int32_t>(chars_.size())).second) {
        chars_.push_back(c);
        ++added;
      }
    return added;
  }

  std::string to_string() const {
    std::string s;
    for (char32_t c : chars_) utf8_append(s, c);
    return s;
  }

  int64_t vocab_size() const { return static_cast<int64_t>(chars_.size()); }

  /// The id of one character, or -1 if the vocabulary lacks it.
  int32_t id(char32_t c) const {
    auto it = index_.find(c);
    return it == index_.end() ? -1 : it->second;
  }

  std::vector<int32_t> encode(std::string_view text, Unknown policy = Unknown::Error, int32_t replacement = 0) const {
    TINYLM_CHECK(policy != Unknown::Replace || (replacement >= 0 && replacement < vocab_size()),
                 "CharTokenizer::encode: replacement id ", replacement, " is not in the vocabulary of ", vocab_size());
    const std::vector<char32_t> cps = utf8_decode(text, "CharTokenizer::encode");
    std::vector<int32_t> ids;
    ids.reserve(cps.size());
    for (std::size_t i = 0; i < cps.size(); ++i) {
      auto it = index_.find(cps[i]);
      if (it != index_.end()) {
        ids.push_back(it->second);
        continue;
      }
      if (policy == Unknown::Skip) continue;
      if (policy == Unknown::Replace) {
        ids.push_back(replacement);
        continue;
      }
      std::string ch;
      utf8_append(ch, cps[i]);
      throw Error(detail::str_cat("CharTokenizer::encode: character '", printable(ch), "' (U+", hex(cps[i]),
                                  ") at position ", i, " is not in the vocabulary"));
    }
    return ids;
  }

  template <class I>
  std::string decode(const std::vector<I>& ids) const {
    std::string s;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto id = static_cast<int64_t>(ids[i]);
      TINYLM_CHECK(id >= 0 && id < vocab_size(), "CharTokenizer::decode: id ", id, " at position ", i,
                   " is out of range for a vocabulary of ", vocab_size());
      utf8_append(s, chars_[static_cast<std::size_t>(id)]);
    }
    return s;
  }

  friend bool operator==(const CharTokenizer& a, const CharTokenizer& b) { return a.chars_ == b.chars_; }

 private:
  explicit CharTokenizer(std::vector<char32_t> chars) : chars_(std::move(chars)) {
    for (std::size_t i = 0; i < chars_.size(); ++i) index_[chars_[i]] = static_cast<int32_t>(i);
  }
  static std::string hex(char32_t c) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04X", static_cast<unsigned>(c));
    return buf;
  }
  static std::string printable(const std::string& ch) {
    if (ch == "\n") return "\\n";
    if (ch == "\t") return "\\t";
    if (ch.size() == 1 && static_cast<unsigned char>(ch[0]) < 0x20) return "?";
    return ch;
  }

  std::vector<char32_t> chars_;
  std::unordered_map<char32_t, int32_t> index_;
};

}  // namespace tinylm::data
