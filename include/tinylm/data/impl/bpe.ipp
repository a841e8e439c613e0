#pragma once
// The bodies of data/bpe.hpp's functions: included by that header in a header-only
// build, compiled once into tinylm_compiled otherwise (core/config.hpp).

#include "tinylm/data/bpe.hpp"

namespace tinylm::data {

TINYLM_DECL BPETokenizer::BPETokenizer(std::vector<std::string> tokens,
                                       std::vector<std::pair<std::string, int32_t>> specials, SplitPattern pattern,
                                       std::vector<int32_t> ranks, std::vector<std::pair<int32_t, int32_t>> merges)
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
    TINYLM_CHECK(special_text_.emplace(id, text).second, "BPETokenizer: special tokens '", special_text_[id], "' and '",
                 text, "' share id ", id);
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
    TINYLM_CHECK(merges_.emplace(detail::pair_key(a, b), std::pair{static_cast<int32_t>(r), it->second}).second,
                 "BPETokenizer: merge ", r, " (", a, ", ", b, ") is listed twice");
  }
}

TINYLM_DECL BPETokenizer BPETokenizer::from_gpt2_files(const std::string& encoder_json, const std::string& vocab_bpe) {
  const io::Json enc = io::Json::parse(read_text_file(encoder_json), encoder_json);
  const std::string merges = read_text_file(vocab_bpe);
  std::unordered_map<std::string, int32_t> id_of;  // token text as written -> id
  int32_t max_id = -1;
  for (const auto& [token, id] : enc.as_object(encoder_json)) {
    const int64_t v = id.as_int(encoder_json + " entry '" + token + "'");
    // Ids are dense: none reaches the number of tokens (which also bounds what is allocated from them).
    const auto n = static_cast<int64_t>(enc.as_object().size());
    TINYLM_CHECK(v >= 0 && v < n, encoder_json, ": token '", token, "' has id ", v, ", out of range for ", n,
                 " tokens");
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
    TINYLM_CHECK(detail::from_byte_unicode(by_id[static_cast<std::size_t>(id)], tokens[static_cast<std::size_t>(id)]),
                 encoder_json, ": token '", by_id[static_cast<std::size_t>(id)],
                 "' is not written in GPT-2's byte-to-unicode map");
    ranks[static_cast<std::size_t>(id)] = static_cast<int32_t>(rank);
  }
  std::vector<std::pair<std::string, int32_t>> specials;
  for (std::size_t id = 0; id < by_id.size(); ++id)
    if (taken[id] && !is_ordinary[id]) specials.emplace_back(by_id[id], static_cast<int32_t>(id));
  return BPETokenizer(std::move(tokens), std::move(specials), SplitPattern::GPT2, std::move(ranks),
                      std::move(merge_pairs));
}

TINYLM_DECL int64_t BPETokenizer::add_special_tokens(const std::vector<std::string>& texts) {
  int64_t added = 0;
  for (const auto& text : texts) {
    TINYLM_CHECK(!text.empty(), "BPETokenizer::add_special_tokens: a special token is empty");
    if (special_index_.count(text)) continue;
    TINYLM_CHECK(vocab_size_ < 0x7FFFFFFF, "BPETokenizer::add_special_tokens: no id left for '", text, "'");
    const auto id = static_cast<int32_t>(vocab_size_);
    special_index_.emplace(text, id);
    special_text_.emplace(id, text);
    specials_.emplace_back(text, id);
    ++vocab_size_;
    ++added;
  }
  return added;
}

TINYLM_DECL std::vector<int32_t> BPETokenizer::encode_ordinary(std::string_view text) const {
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

TINYLM_DECL std::vector<std::vector<int32_t>> BPETokenizer::encode_ordinary_batch(
    const std::vector<std::string_view>& texts) const {
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

TINYLM_DECL std::vector<int32_t> BPETokenizer::encode(std::string_view text, const SpecialOptions& opt) const {
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

TINYLM_DECL void BPETokenizer::encode_chunk(std::string_view chunk, std::vector<int32_t>& out, Cache& cache) const {
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

TINYLM_DECL std::vector<int32_t> BPETokenizer::merge_short(std::string_view chunk) const {
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

TINYLM_DECL std::vector<int32_t> BPETokenizer::merge_long(std::string_view chunk) const {
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

TINYLM_DECL std::string BPETokenizer::printable(const std::string& bytes) {
  std::string s;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7F) s.push_back(static_cast<char>(c));
    else s += tinylm::detail::str_cat("\\x", "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]);
  }
  return s;
}

}  // namespace tinylm::data

namespace tinylm::data::detail {

TINYLM_DECL const std::array<char32_t, 256>& gpt2_byte_to_unicode() {
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

TINYLM_DECL std::string to_byte_unicode(std::string_view bytes) {
  std::string out;
  for (unsigned char b : bytes) utf8_append(out, gpt2_byte_to_unicode()[b]);
  return out;
}

TINYLM_DECL bool from_byte_unicode(std::string_view text, std::string& out) {
  static const auto inverse = [] {
    std::unordered_map<char32_t, char> m;
    for (int b = 0; b < 256; ++b) m[gpt2_byte_to_unicode()[static_cast<std::size_t>(b)]] = static_cast<char>(b);
    return m;
  }();
  out.clear();
  std::vector<char32_t> cps;
  try {
    cps = utf8_decode(text);
  } catch (const Error&) {
    return false;
  }
  for (char32_t c : cps) {
    auto it = inverse.find(c);
    if (it == inverse.end()) return false;
    out.push_back(it->second);
  }
  return true;
}

}  // namespace tinylm::data::detail
