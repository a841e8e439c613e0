#pragma once
// WordTokenizer: the usual setting of n-gram toolkits. Words are the
// whitespace-separated strings of the training text; each line is a
// sentence, wrapped in <s> ... </s>. Words the vocabulary lacks map to
// <unk>. Ids: 0 = <unk>, 1 = <s>, 2 = </s>, then the training words in
// order of first appearance.

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tinylm/core/error.hpp"

namespace tinylm::data {

class WordTokenizer {
 public:
  static constexpr int32_t kUnk = 0, kBos = 1, kEos = 2;

  /// The vocabulary of every word in `text`.
  static WordTokenizer from_text(std::string_view text) {
    WordTokenizer t;
    for (const auto& line : lines(text))
      for (const auto& w : words(line)) t.add(w);
    TINYLM_CHECK(t.words_.size() > 3, "WordTokenizer: the text holds no words");
    return t;
  }
  /// A vocabulary from its word list (ids in order; the first three must be <unk> <s> </s>).
  static WordTokenizer from_words(std::vector<std::string> list) {
    TINYLM_CHECK(list.size() >= 3 && list[0] == "<unk>" && list[1] == "<s>" && list[2] == "</s>",
                 "WordTokenizer: a word list must start with <unk> <s> </s>");
    WordTokenizer t;
    t.words_.clear();
    t.index_.clear();
    for (auto& w : list) t.add(w);
    return t;
  }

  int64_t vocab_size() const { return static_cast<int64_t>(words_.size()); }
  const std::vector<std::string>& words() const { return words_; }
  const std::string& word(int32_t id) const {
    TINYLM_CHECK(id >= 0 && id < vocab_size(), "WordTokenizer: id ", id, " is out of range for ", vocab_size(),
                 " words");
    return words_[static_cast<std::size_t>(id)];
  }

  /// One sequence per non-empty line: <s> w1 ... wn </s>. `oov` counts the
  /// words mapped to <unk>.
  std::vector<std::vector<int32_t>> encode(std::string_view text, int64_t* oov = nullptr) const {
    std::vector<std::vector<int32_t>> out;
    for (const auto& line : lines(text)) {
      const auto ws = words(line);
      if (ws.empty()) continue;
      std::vector<int32_t> seq{kBos};
      for (const auto& w : ws) {
        auto it = index_.find(w);
        if (it == index_.end() && oov) ++*oov;
        seq.push_back(it == index_.end() ? kUnk : it->second);
      }
      seq.push_back(kEos);
      out.push_back(std::move(seq));
    }
    return out;
  }

 private:
  WordTokenizer() {
    for (const char* s : {"<unk>", "<s>", "</s>"}) add(s);
  }
  void add(const std::string& w) {
    if (index_.emplace(w, static_cast<int32_t>(words_.size())).second) words_.push_back(w);
  }
  static std::vector<std::string> lines(std::string_view text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
      const std::size_t end = std::min(text.find('\n', start), text.size());
      out.emplace_back(text.substr(start, end - start));
      start = end + 1;
    }
    return out;
  }
  static std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
  }

  std::vector<std::string> words_;
  std::unordered_map<std::string, int32_t> index_;
};

}  // namespace tinylm::data
