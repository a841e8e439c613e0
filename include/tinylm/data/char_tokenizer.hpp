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
//
// Special tokens (add_special_tokens: "<|endoftext|>", "<|user|>") are
// strings of one id each, appended like characters. encode() reads text as
// plain characters (tiktoken's encode_ordinary): a special token's text in
// a user's input never becomes its id. encode_with_special() turns each
// occurrence of a special token's text into its id (the longest one where
// several start at the same place) and the rest into characters. decode()
// writes a special token's text. to_string() keeps only the characters;
// special_tokens() gives the rest, and from_string(vocab, specials) puts
// both back at their ids.

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tinylm/core/config.hpp"
#include "tinylm/data/text.hpp"

namespace tinylm::data {

class CharTokenizer {
 public:
  enum class Unknown { Error, Skip, Replace };

  /// The vocabulary of every distinct character in `text`.
  static CharTokenizer from_text(std::string_view text);

  /// The vocabulary of every distinct character in the text files at
  /// `paths`, read a piece at a time (TextChunks): what from_text would give
  /// for their concatenation, for files of any size.
  static CharTokenizer from_text_files(const std::vector<std::string>& paths);

  /// A special token and its id.
  struct Special {
    std::string text;
    int32_t id = 0;
    friend bool operator==(const Special&, const Special&) = default;
  };

  /// The inverse of to_string() and special_tokens(): the characters in id
  /// order, filling the ids the special tokens do not take.
  static CharTokenizer from_string(std::string_view vocab, const std::vector<Special>& specials = {});

  /// Appends each character of `chars` that the vocabulary lacks, in order,
  /// with the next ids; existing ids do not change. Returns how many it added.
  int64_t add_tokens(std::string_view chars);

  /// Appends each special token the vocabulary lacks, in order, with the
  /// next ids; existing ids do not change. Returns how many it added.
  int64_t add_special_tokens(const std::vector<std::string>& tokens);

  /// The special tokens with their ids, in id order.
  std::vector<Special> special_tokens() const {
    std::vector<Special> out;
    for (std::size_t id = 0; id < special_text_.size(); ++id)
      if (!special_text_[id].empty()) out.push_back({special_text_[id], static_cast<int32_t>(id)});
    return out;
  }

  /// The id of a special token, or -1 if the vocabulary lacks it.
  int32_t special_id(std::string_view text) const {
    auto it = special_index_.find(std::string(text));
    return it == special_index_.end() ? -1 : it->second;
  }

  /// The characters in id order (special tokens left out; see special_tokens()).
  std::string to_string() const;

  int64_t vocab_size() const { return static_cast<int64_t>(chars_.size()); }

  /// The id of one character, or -1 if the vocabulary lacks it.
  int32_t id(char32_t c) const {
    auto it = index_.find(c);
    return it == index_.end() ? -1 : it->second;
  }

  /// Plain characters only: a special token's text is read as characters.
  std::vector<int32_t> encode(std::string_view text, Unknown policy = Unknown::Error, int32_t replacement = 0) const;

  /// Each special token's text becomes its id; the rest is characters.
  std::vector<int32_t> encode_with_special(std::string_view text, Unknown policy = Unknown::Error,
                                           int32_t replacement = 0) const {
    return encode_impl(text, policy, replacement, true, "CharTokenizer::encode_with_special");
  }

  template <class I>
  std::string decode(const std::vector<I>& ids) const {
    std::string s;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto id = static_cast<int64_t>(ids[i]);
      TINYLM_CHECK(id >= 0 && id < vocab_size(), "CharTokenizer::decode: id ", id, " at position ", i,
                   " is out of range for a vocabulary of ", vocab_size());
      const auto k = static_cast<std::size_t>(id);
      if (special_text_[k].empty()) utf8_append(s, chars_[k]);
      else s += special_text_[k];
    }
    return s;
  }

  friend bool operator==(const CharTokenizer& a, const CharTokenizer& b) {
    return a.chars_ == b.chars_ && a.special_text_ == b.special_text_;
  }

 private:
  static constexpr char32_t kSpecial = 0xFFFFFFFF;  // chars_ at a special token's id: no code point

  explicit CharTokenizer(std::vector<char32_t> chars, std::vector<std::string> special_text = {})
      : chars_(std::move(chars)), special_text_(std::move(special_text)) {
    special_text_.resize(chars_.size());
    for (std::size_t i = 0; i < chars_.size(); ++i) {
      if (special_text_[i].empty()) index_[chars_[i]] = static_cast<int32_t>(i);
      else special_index_[special_text_[i]] = static_cast<int32_t>(i);
    }
  }

  std::vector<int32_t> encode_impl(std::string_view text, Unknown policy, int32_t replacement, bool specials,
                                   const char* op) const {
    TINYLM_CHECK(policy != Unknown::Replace || (replacement >= 0 && replacement < vocab_size()), op,
                 ": replacement id ", replacement, " is not in the vocabulary of ", vocab_size());
    std::vector<int32_t> ids;
    std::size_t done = 0, position = 0;  // bytes encoded, and characters before them
    auto plain = [&](std::string_view piece) {
      const std::vector<char32_t> cps = utf8_decode(piece, op);
      for (char32_t c : cps) {
        auto it = index_.find(c);
        if (it != index_.end()) ids.push_back(it->second);
        else if (policy == Unknown::Replace) ids.push_back(replacement);
        else if (policy == Unknown::Error) {
          std::string ch;
          utf8_append(ch, c);
          throw Error(tinylm::detail::str_cat(op, ": character '", printable(ch), "' (U+", hex(c), ") at position ",
                                              position, " is not in the vocabulary"));
        }
        ++position;
      }
    };
    if (specials && !special_index_.empty()) {
      for (std::size_t at = 0; at < text.size();) {
        std::size_t best = 0;
        int32_t best_id = -1;
        for (const auto& [sp, id] : special_index_)
          if (sp.size() > best && text.compare(at, sp.size(), sp) == 0) {
            best = sp.size();
            best_id = id;
          }
        if (best_id < 0) {
          ++at;
          continue;
        }
        plain(text.substr(done, at - done));
        ids.push_back(best_id);
        position += utf8_decode(text.substr(at, best), op).size();
        at += best;
        done = at;
      }
    }
    plain(text.substr(done));
    return ids;
  }
  static std::string hex(char32_t c) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04X", static_cast<unsigned>(c));
    return buf;
  }
  static std::string printable(const std::string& ch);

  std::vector<char32_t> chars_;            // by id; kSpecial where a special token is
  std::vector<std::string> special_text_;  // by id; empty for characters
  std::unordered_map<char32_t, int32_t> index_;
  std::map<std::string, int32_t> special_index_;
};

}  // namespace tinylm::data

#if !defined(TINYLM_SEPARATE_COMPILATION)
#include "tinylm/data/impl/char_tokenizer.ipp"
#endif
