#pragma once
// lm::NGramLM: a count-based n-gram language model of any order from 1 to 8
// over token ids, with add-k, interpolated Kneser-Ney and modified
// Kneser-Ney smoothing.
//
// Counting. Every n-gram of order 1..N inside each training sequence is
// counted by packing it into a 128-bit key (bits_per_token x n bits),
// sorting and run-length encoding: no hashing, one pass per order.
//
// Kneser-Ney (Chen & Goodman 1998, as KenLM implements it). The top order
// uses raw counts; a lower order uses continuation counts a(g) = the number
// of distinct tokens seen before g (the start of a sequence counts as one),
// except n-grams beginning with <s>, which keep raw counts. For context h,
// with T(h) = sum_w a(hw) and N_k(h) the number of w with a(hw) = k (3: >= 3),
//
//   p(w | h) = max(a(hw) - D(a(hw)), 0) / T(h) + gamma(h) p(w | h')
//   gamma(h) = (D_1 N_1(h) + D_2 N_2(h) + D_3 N_3+(h)) / T(h)
//
// where h' is h without its first token, the recursion ends in the uniform
// distribution over the predictable tokens, and a context never seen backs
// off fully (p(w|h) = p(w|h')). Modified KN has three discounts per order
// from the counts of counts n_1..n_4 of that order's counts:
//
//   Y = n_1 / (n_1 + 2 n_2),  D_1 = 1 - 2Y n_2/n_1,  D_2 = 2 - 3Y n_3/n_2,  D_3 = 3 - 4Y n_4/n_3
//
// and plain (interpolated) KN one, D = Y, unless a fixed discount is given.
// When the counts cannot support these estimates (tiny corpora), an order
// falls back to KenLM's discounts 0.5, 1, 1.5, so that every context keeps
// some probability for unseen tokens.
//
// Add-k: p(w | h) = (c(hw) + k) / (c(h) + k V), raw counts of the longest
// available context, no backoff (k = 1 is Laplace).
//
// <s> (vocab.bos) is context only: it is never predicted and gets
// probability 0; V above counts the predictable tokens.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "tinylm/core/error.hpp"
#include "tinylm/core/rng.hpp"
#include "tinylm/kernels/cpu/parallel.hpp"
#include "tinylm/lm/lm_eval.hpp"

namespace tinylm::lm {

/// The tokens an n-gram model predicts over and their printable names.
struct NGramVocab {
  std::vector<std::string> tokens;
  int32_t bos = -1;  // sentence start: context only (word mode), -1 if none
  int32_t eos = -1;  // sentence end, -1 if none
  int32_t unk = -1;  // stand-in for out-of-vocabulary tokens, -1 if none

  int64_t size() const { return static_cast<int64_t>(tokens.size()); }
  bool predictable(int32_t id) const { return id != bos; }
  int64_t predictable_count() const { return size() - (bos >= 0 ? 1 : 0); }
};

enum class Smoothing { AddK, KneserNey, ModifiedKneserNey };

inline Smoothing parse_smoothing(const std::string& s) {
  if (s == "addk") return Smoothing::AddK;
  if (s == "kn") return Smoothing::KneserNey;
  if (s == "mkn") return Smoothing::ModifiedKneserNey;
  throw Error("smoothing must be addk, kn or mkn, got '" + s + "'");
}

struct NGramOptions {
  int order = 3;
  Smoothing smoothing = Smoothing::ModifiedKneserNey;
  double k = 1.0;         // add-k
  double discount = 0.0;  // plain KN: 0 estimates D = n1 / (n1 + 2 n2) per order
};

namespace detail {

using NGramKey = unsigned __int128;

struct ContextStats {
  double raw_total = 0, adj_total = 0;
  int64_t n1 = 0, n2 = 0, n3 = 0;  // continuations with count 1, 2, >= 3
};

/// Every n-gram of one order, sorted by key, and per context its totals.
struct Level {
  std::vector<NGramKey> keys;
  std::vector<int64_t> raw, adj;
  std::vector<NGramKey> ctx_keys;
  std::vector<ContextStats> ctx;
  double D[4] = {0, 0, 0, 0};  // D[k] for count k (3: >= 3)

  int64_t find(NGramKey k) const {
    auto it = std::lower_bound(keys.begin(), keys.end(), k);
    return it != keys.end() && *it == k ? it - keys.begin() : -1;
  }
  const ContextStats* context(NGramKey k) const {
    auto it = std::lower_bound(ctx_keys.begin(), ctx_keys.end(), k);
    return it != ctx_keys.end() && *it == k ? &ctx[static_cast<std::size_t>(it - ctx_keys.begin())] : nullptr;
  }
};

/// Sorted distinct keys with how often each occurs.
inline void run_length(std::vector<NGramKey>& all, std::vector<NGramKey>& keys, std::vector<int64_t>& counts) {
  std::sort(all.begin(), all.end());
  keys.clear();
  counts.clear();
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    while (j < all.size() && all[j] == all[i]) ++j;
    keys.push_back(all[i]);
    counts.push_back(static_cast<int64_t>(j - i));
    i = j;
  }
}

}  // namespace detail

class NGramLM {
 public:
  /// Counts `sequences` (token ids of `vocab`) and builds the model.
  static NGramLM train(const std::vector<std::vector<int32_t>>& sequences, NGramVocab vocab, NGramOptions opt) {
    TINYLM_CHECK(opt.order >= 1, "NGramLM: order must be at least 1, got ", opt.order);
    TINYLM_CHECK(vocab.size() > 0, "NGramLM: empty vocabulary");
    TINYLM_CHECK(opt.smoothing != Smoothing::AddK || opt.k > 0, "NGramLM: add-k needs k > 0, got ", opt.k);
    TINYLM_CHECK(opt.discount >= 0 && opt.discount <= 1, "NGramLM: a fixed discount must be in (0, 1], got ",
                 opt.discount);
    NGramLM m;
    m.vocab_ = std::move(vocab);
    m.opt_ = opt;
    m.bits_ = std::max(1, static_cast<int>(std::bit_width(static_cast<uint64_t>(m.vocab_.size()))));
    TINYLM_CHECK(m.bits_ * opt.order <= 128, "NGramLM: order ", opt.order, " over ", m.vocab_.size(), " tokens needs ",
                 m.bits_ * opt.order, " bits per n-gram; at most 128 are supported");
    int64_t total = 0;
    for (const auto& s : sequences) {
      for (std::size_t i = 0; i < s.size(); ++i)
        TINYLM_CHECK(s[i] >= 0 && s[i] < m.vocab_.size(), "NGramLM: token ", s[i], " at position ", i,
                     " is out of range for a vocabulary of ", m.vocab_.size());
      total += static_cast<int64_t>(s.size());
    }
    TINYLM_CHECK(total > 0, "NGramLM: the training data is empty");
    m.count(sequences);
    return m;
  }

  int order() const { return opt_.order; }
  const NGramOptions& options() const { return opt_; }
  const NGramVocab& vocab() const { return vocab_; }
  /// Distinct n-grams of every order stored (the model's "parameters").
  int64_t num_ngrams() const {
    int64_t n = 0;
    for (const auto& l : levels_) n += static_cast<int64_t>(l.keys.size());
    return n;
  }
  /// Discount D_k (k = 1, 2, 3) used at order n.
  double discount(int n, int k) const { return levels_.at(static_cast<std::size_t>(n - 1)).D[k]; }

  /// p(w | context), where context holds the `len` tokens before w (only the
  /// last order - 1 matter).
  double prob(const int32_t* context, int64_t len, int32_t w) const {
    TINYLM_CHECK(w >= 0 && w < vocab_.size(), "NGramLM::prob: token ", w, " is out of range for a vocabulary of ",
                 vocab_.size());
    if (!vocab_.predictable(w)) return 0.0;
    const int m = static_cast<int>(std::min<int64_t>(len, opt_.order - 1));
    const int32_t* h = context + (len - m);
    if (opt_.smoothing == Smoothing::AddK) {
      const detail::Level& L = levels_[static_cast<std::size_t>(m)];
      const detail::ContextStats* c = L.context(pack(h, m));
      const int64_t i = L.find(pack(h, m, w));
      const double count = i >= 0 ? static_cast<double>(L.raw[static_cast<std::size_t>(i)]) : 0.0;
      const double T = c ? c->raw_total : 0.0;
      return (count + opt_.k) / (T + opt_.k * static_cast<double>(vocab_.predictable_count()));
    }
    double p = 1.0 / static_cast<double>(vocab_.predictable_count());
    for (int n = 1; n <= m + 1; ++n) {  // interpolate upwards from the uniform distribution
      const detail::Level& L = levels_[static_cast<std::size_t>(n - 1)];
      const int32_t* hn = h + (m - (n - 1));
      const detail::ContextStats* c = L.context(pack(hn, n - 1));
      if (!c || c->adj_total <= 0) continue;  // unseen context: back off fully
      const int64_t i = L.find(pack(hn, n - 1, w));
      const double a = i >= 0 ? static_cast<double>(L.adj[static_cast<std::size_t>(i)]) : 0.0;
      const double gamma = (L.D[1] * c->n1 + L.D[2] * c->n2 + L.D[3] * c->n3) / c->adj_total;
      p = std::max(a - L.D[std::min<int64_t>(static_cast<int64_t>(a), 3)], 0.0) / c->adj_total + gamma * p;
    }
    return p;
  }

  /// gamma(h): the weight of the lower order after context h (the ARPA
  /// backoff weight); 1 for a context never seen. Not defined for add-k.
  double backoff(const int32_t* h, int64_t len) const {
    TINYLM_CHECK(len < opt_.order, "NGramLM::backoff: context of ", len, " tokens for an order-", opt_.order, " model");
    const detail::Level& L = levels_[static_cast<std::size_t>(len)];
    const detail::ContextStats* c = L.context(pack(h, static_cast<int>(len)));
    if (!c || c->adj_total <= 0) return 1.0;
    return (L.D[1] * c->n1 + L.D[2] * c->n2 + L.D[3] * c->n3) / c->adj_total;
  }

  LMScore evaluate(const std::vector<std::vector<int32_t>>& sequences) const {
    return evaluate_lm(*this, sequences, vocab_.unk);
  }

  /// Continues `context` by n tokens drawn from the model (stopping early
  /// after </s> when stop_at_eos).
  std::vector<int32_t> sample(std::vector<int32_t> context, int64_t n, Generator& gen, bool stop_at_eos = false) const {
    std::vector<double> p(static_cast<std::size_t>(vocab_.size()));
    for (int64_t step = 0; step < n; ++step) {
      for (int32_t w = 0; w < vocab_.size(); ++w)
        p[static_cast<std::size_t>(w)] = prob(context.data(), static_cast<int64_t>(context.size()), w);
      double u = gen.uniform();
      int32_t pick = 0;
      for (int32_t w = 0; w < vocab_.size(); ++w) {
        if (p[static_cast<std::size_t>(w)] <= 0) continue;
        pick = w;
        u -= p[static_cast<std::size_t>(w)];
        if (u < 0) break;
      }
      context.push_back(pick);
      if (stop_at_eos && pick == vocab_.eos) break;
    }
    return context;
  }

  /// Every n-gram key of order n with its raw and adjusted counts (for ARPA output).
  const detail::Level& level(int n) const { return levels_.at(static_cast<std::size_t>(n - 1)); }
  /// The tokens of a key of order n.
  std::vector<int32_t> unpack(detail::NGramKey key, int n) const {
    std::vector<int32_t> t(static_cast<std::size_t>(n));
    const detail::NGramKey mask = (detail::NGramKey(1) << bits_) - 1;
    for (int i = n - 1; i >= 0; --i) {
      t[static_cast<std::size_t>(i)] = static_cast<int32_t>(key & mask);
      key >>= bits_;
    }
    return t;
  }

 private:
  detail::NGramKey pack(const int32_t* t, int n) const {
    detail::NGramKey k = 0;
    for (int i = 0; i < n; ++i) k = (k << bits_) | static_cast<detail::NGramKey>(t[i]);
    return k;
  }
  detail::NGramKey pack(const int32_t* h, int n, int32_t w) const {
    return (pack(h, n) << bits_) | static_cast<detail::NGramKey>(w);
  }

  void count(const std::vector<std::vector<int32_t>>& seqs) {
    const int N = opt_.order;
    levels_.assign(static_cast<std::size_t>(N), {});
    // Raw counts, one order per iteration (the orders are independent).
    std::vector<std::vector<detail::NGramKey>> starts(static_cast<std::size_t>(N));
#pragma omp parallel for schedule(dynamic, 1)
    for (int n = 1; n <= N; ++n) {
      std::vector<detail::NGramKey> all;
      for (const auto& s : seqs) {
        const auto len = static_cast<int64_t>(s.size());
        for (int64_t i = 0; i + n <= len; ++i) {
          if (n == 1 && !vocab_.predictable(s[static_cast<std::size_t>(i)])) continue;
          all.push_back(pack(s.data() + i, n));
        }
        if (len >= n) starts[static_cast<std::size_t>(n - 1)].push_back(pack(s.data(), n));
      }
      detail::Level& L = levels_[static_cast<std::size_t>(n - 1)];
      detail::run_length(all, L.keys, L.raw);
    }
    // Adjusted counts: distinct left extensions (a sequence start is one).
    for (int n = 1; n <= N; ++n) {
      detail::Level& L = levels_[static_cast<std::size_t>(n - 1)];
      if (n == N) {
        L.adj = L.raw;
        continue;
      }
      const detail::Level& up = levels_[static_cast<std::size_t>(n)];
      const detail::NGramKey mask = (detail::NGramKey(1) << (bits_ * n)) - 1;
      std::vector<detail::NGramKey> ext;
      ext.reserve(up.keys.size());
      for (detail::NGramKey k : up.keys) ext.push_back(k & mask);
      auto& st = starts[static_cast<std::size_t>(n - 1)];
      std::sort(st.begin(), st.end());
      st.erase(std::unique(st.begin(), st.end()), st.end());
      ext.insert(ext.end(), st.begin(), st.end());
      std::vector<detail::NGramKey> ext_keys;
      std::vector<int64_t> ext_counts;
      detail::run_length(ext, ext_keys, ext_counts);
      L.adj.assign(L.keys.size(), 0);
      std::size_t j = 0;  // both lists are sorted: merge
      for (std::size_t i = 0; i < L.keys.size(); ++i) {
        if (vocab_.bos >= 0 && static_cast<int32_t>(L.keys[i] >> (bits_ * (n - 1))) == vocab_.bos) {
          L.adj[i] = L.raw[i];  // <s> is never extended to the left: keep its raw count
          continue;
        }
        while (j < ext_keys.size() && ext_keys[j] < L.keys[i]) ++j;
        if (j < ext_keys.size() && ext_keys[j] == L.keys[i]) L.adj[i] = ext_counts[j];
      }
    }
    // Per-context totals and discounts.
    for (int n = 1; n <= N; ++n) {
      detail::Level& L = levels_[static_cast<std::size_t>(n - 1)];
      int64_t coc[5] = {0, 0, 0, 0, 0};  // counts of counts 1..4
      for (std::size_t i = 0; i < L.keys.size(); ++i) {
        const detail::NGramKey ctx = n == 1 ? 0 : L.keys[i] >> bits_;
        if (L.ctx_keys.empty() || L.ctx_keys.back() != ctx) {
          L.ctx_keys.push_back(ctx);
          L.ctx.emplace_back();
        }
        detail::ContextStats& c = L.ctx.back();
        const int64_t a = L.adj[i];
        c.raw_total += static_cast<double>(L.raw[i]);
        c.adj_total += static_cast<double>(a);
        if (a == 1) ++c.n1;
        else if (a == 2) ++c.n2;
        else if (a >= 3) ++c.n3;
        if (a >= 1 && a <= 4) ++coc[a];
      }
      set_discounts(L, coc);
    }
  }

  /// Chen & Goodman's estimates; when the counts of counts cannot support
  /// them (a tiny corpus: a count of counts is 0, or a discount falls outside
  /// (0, k)), the order uses KenLM's fallback discounts 0.5, 1.0, 1.5, which
  /// keep some mass for the lower order in every context.
  void set_discounts(detail::Level& L, const int64_t* coc) const {
    const double n1 = double(coc[1]), n2 = double(coc[2]), n3 = double(coc[3]), n4 = double(coc[4]);
    const bool have = n1 > 0 && n2 > 0;
    const double Y = have ? n1 / (n1 + 2 * n2) : 0.0;
    if (opt_.smoothing == Smoothing::KneserNey) {
      const double D = opt_.discount > 0 ? opt_.discount : (have && Y > 0 && Y < 1 ? Y : 0.5);
      L.D[1] = L.D[2] = L.D[3] = D;
      return;
    }
    const double D1 = have ? 1 - 2 * Y * n2 / n1 : -1;
    const double D2 = have && n3 > 0 ? 2 - 3 * Y * n3 / n2 : -1;
    const double D3 = have && n3 > 0 && n4 > 0 ? 3 - 4 * Y * n4 / n3 : -1;
    if (D1 > 0 && D1 < 1 && D2 > 0 && D2 < 2 && D3 > 0 && D3 < 3) {
      L.D[1] = D1, L.D[2] = D2, L.D[3] = D3;
    } else {
      L.D[1] = 0.5, L.D[2] = 1.0, L.D[3] = 1.5;
    }
  }

  NGramVocab vocab_;
  NGramOptions opt_;
  int bits_ = 1;
  std::vector<detail::Level> levels_;
};

}  // namespace tinylm::lm
