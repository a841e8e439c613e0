#pragma once
// The bodies of data/bpe_train.hpp's functions: included by that header in a header-only
// build, compiled once into tinylm_compiled otherwise (core/config.hpp).

#include "tinylm/data/bpe_train.hpp"

namespace tinylm::data {

TINYLM_DECL BPETokenizer train_bpe(const std::vector<std::string_view>& texts, const BPETrainOptions& opt) {
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
  const auto key = detail::pair_key;
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

}  // namespace tinylm::data
