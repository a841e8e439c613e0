#pragma once
// Decoding an encoder-decoder model: greedy search and beam search.
//
// Both take the sources as one padded batch (B, S), encode them once
// (model.start), and then feed one token per row per step, the decoder's
// caches growing by one position; the cross-attention's keys and values
// are computed from the encoder's output on the first step and reused.
// Rows whose hypotheses have ended leave the batch (Cache::reorder), so a
// step costs only what is still being decoded.
//
// Greedy search takes the most probable token at every step until
// end_id (not part of the output) or max_new_tokens.
//
// Beam search keeps the beam_width most probable prefixes per source
// (sum of log-probabilities). At each step every live prefix is extended
// by every token; of the best 2 * beam_width extensions, those ending in
// end_id become finished hypotheses (while fewer than beam_width are) and
// the best beam_width others live on. A source is done when it has
// beam_width finished hypotheses (or at max_new_tokens, when its live
// prefixes are finished as they are). Finished hypotheses are ranked by
// their length-normalised score
//
//   score = sum log p / length^length_penalty      (length counts end_id)
//
// so length_penalty 0 ranks by probability alone and 1 by the mean
// log-probability per token. beam_width 1 is greedy search.
//
// The model is anything with the calls of EncoderDecoderLM below;
// nn::Seq2Seq is one.

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "tinylm/autograd/grad_mode.hpp"
#include "tinylm/core/tensor.hpp"
#include "tinylm/ops/copy.hpp"
#include "tinylm/ops/view.hpp"

namespace tinylm::lm {

template <class M>
concept EncoderDecoderLM = requires(const M& m, const Tensor<int32_t>& ids, typename M::Cache& cache,
                                    const std::vector<int64_t>& rows) {
  { m.start(ids) } -> std::same_as<typename M::Cache>;  // encodes sources (B, S): B rows
  m.forward(ids, &cache);                               // ids (K, 1) -> logits (K, 1, V)
  cache.reorder(rows);                                  // row i becomes old row rows[i]
  { m.max_length() } -> std::convertible_to<int64_t>;   // target positions, counting the start token
};

struct SearchOptions {
  int32_t start_id = 1;         // the decoder's first input (BOS)
  int32_t end_id = 2;           // ends a hypothesis (EOS), not part of the output
  int64_t max_new_tokens = 0;   // 0: as many as the model's positions allow
  int64_t beam_width = 4;       // beam search only
  double length_penalty = 1.0;  // beam search only (see the file comment)
};

struct Hypothesis {
  std::vector<int32_t> tokens;  // without start_id and end_id
  double log_prob = 0;          // sum of the log-probabilities of the tokens (and of end_id when it ended)
  double score = 0;             // log_prob / length^length_penalty (greedy: log_prob)
  bool ended = false;           // reached end_id (else it ran out of length)
};

/// Sequences of ids as a (B, max length) batch padded with pad_id.
inline Tensor<int32_t> pad_batch(const std::vector<std::vector<int32_t>>& seqs, int32_t pad_id) {
  std::size_t T = 1;
  for (const auto& s : seqs) T = std::max(T, s.size());
  auto out = Tensor<int32_t>::full({static_cast<int64_t>(seqs.size()), static_cast<int64_t>(T)}, pad_id);
  for (std::size_t b = 0; b < seqs.size(); ++b) std::copy(seqs[b].begin(), seqs[b].end(), out.data() + b * T);
  return out;
}

namespace detail {

/// log softmax of one row of logits, in double.
inline void log_softmax_row(const float* x, int64_t V, std::vector<double>& out) {
  out.resize(static_cast<std::size_t>(V));
  double m = -std::numeric_limits<double>::infinity();
  for (int64_t v = 0; v < V; ++v) m = std::max(m, static_cast<double>(x[v]));
  double s = 0;
  for (int64_t v = 0; v < V; ++v) s += std::exp(static_cast<double>(x[v]) - m);
  const double lse = m + std::log(s);
  for (int64_t v = 0; v < V; ++v) out[static_cast<std::size_t>(v)] = static_cast<double>(x[v]) - lse;
}
inline void log_softmax_row(const double* x, int64_t V, std::vector<double>& out) {
  out.resize(static_cast<std::size_t>(V));
  double m = -std::numeric_limits<double>::infinity();
  for (int64_t v = 0; v < V; ++v) m = std::max(m, x[v]);
  double s = 0;
  for (int64_t v = 0; v < V; ++v) s += std::exp(x[v] - m);
  const double lse = m + std::log(s);
  for (int64_t v = 0; v < V; ++v) out[static_cast<std::size_t>(v)] = x[v] - lse;
}

template <class M>
int64_t new_token_limit(const M& model, const SearchOptions& o) {
  const int64_t room = static_cast<int64_t>(model.max_length()) - 1;  // position 0 is the start token
  TINYLM_CHECK(room >= 1, "beam_search: the model has no position for a token after the start token");
  TINYLM_CHECK(o.max_new_tokens >= 0, "beam_search: max_new_tokens must be >= 0, got ", o.max_new_tokens);
  return o.max_new_tokens == 0 ? room : std::min(o.max_new_tokens, room);
}

/// Feeds one token per row: (K, 1) ids -> the last position's logits, contiguous (K, V).
template <class M, class Cache>
auto step(const M& model, Cache& cache, const std::vector<int32_t>& tokens) {
  const auto ids = Tensor<int32_t>::from_vector(tokens, {static_cast<int64_t>(tokens.size()), 1});
  const auto logits = model.forward(ids, &cache);
  return logits.reshape({logits.size(0), logits.size(2)}).contiguous();
}

}  // namespace detail

/// The most probable token at every step, for each row of sources (B, S).
template <EncoderDecoderLM M>
std::vector<Hypothesis> greedy_search(const M& model, const Tensor<int32_t>& sources, const SearchOptions& o = {}) {
  NoGradGuard no_grad;
  const int64_t limit = detail::new_token_limit(model, o);
  const int64_t B = sources.size(0);
  std::vector<Hypothesis> out(static_cast<std::size_t>(B));
  if (B == 0) return out;
  auto cache = model.start(sources);
  std::vector<int64_t> live(static_cast<std::size_t>(B));  // the source of each row of the cache
  std::iota(live.begin(), live.end(), 0);
  std::vector<int32_t> tokens(static_cast<std::size_t>(B), o.start_id);
  std::vector<double> logp;
  for (int64_t t = 0; t < limit && !live.empty(); ++t) {
    const auto logits = detail::step(model, cache, tokens);
    const int64_t V = logits.size(1);
    std::vector<int64_t> keep, next_live;
    std::vector<int32_t> next_tokens;
    for (std::size_t r = 0; r < live.size(); ++r) {
      detail::log_softmax_row(logits.data() + static_cast<int64_t>(r) * V, V, logp);
      const auto best = static_cast<int32_t>(std::max_element(logp.begin(), logp.end()) - logp.begin());
      Hypothesis& h = out[static_cast<std::size_t>(live[r])];
      h.log_prob += logp[static_cast<std::size_t>(best)];
      if (best == o.end_id) {
        h.ended = true;
        continue;
      }
      h.tokens.push_back(best);
      keep.push_back(static_cast<int64_t>(r));
      next_live.push_back(live[r]);
      next_tokens.push_back(best);
    }
    if (keep.size() != live.size() && !keep.empty()) cache.reorder(keep);
    live = std::move(next_live);
    tokens = std::move(next_tokens);
  }
  for (auto& h : out) h.score = h.log_prob;
  return out;
}

/// The best hypotheses of each row of sources (B, S), best first (up to
/// beam_width of them; see the file comment).
template <EncoderDecoderLM M>
std::vector<std::vector<Hypothesis>> beam_search(const M& model, const Tensor<int32_t>& sources,
                                                 const SearchOptions& o = {}) {
  TINYLM_CHECK(o.beam_width >= 1, "beam_search: beam_width must be >= 1, got ", o.beam_width);
  NoGradGuard no_grad;
  const int64_t limit = detail::new_token_limit(model, o);
  const int64_t B = sources.size(0), W = o.beam_width;
  auto normalised = [&](double log_prob, std::size_t length) {
    return log_prob / std::pow(static_cast<double>(std::max<std::size_t>(length, 1)), o.length_penalty);
  };
  struct Beam {
    int64_t source;
    std::vector<int32_t> tokens;
    double log_prob;
  };
  std::vector<std::vector<Hypothesis>> finished(static_cast<std::size_t>(B));
  if (B == 0) return finished;
  auto cache = model.start(sources);
  // Row r of the cache is beams[r]; before the first step, one row per source.
  std::vector<Beam> beams;
  for (int64_t b = 0; b < B; ++b) beams.push_back({b, {}, 0.0});
  std::vector<double> logp;
  struct Candidate {
    double log_prob;
    int64_t row;
    int32_t token;
  };
  for (int64_t t = 0; t < limit && !beams.empty(); ++t) {
    std::vector<int32_t> last;
    for (const auto& beam : beams) last.push_back(beam.tokens.empty() ? o.start_id : beam.tokens.back());
    const auto logits = detail::step(model, cache, last);
    const int64_t V = logits.size(1);
    std::vector<Beam> next;
    std::vector<int64_t> rows;
    // The rows of one source are contiguous in `beams`.
    for (std::size_t r0 = 0; r0 < beams.size();) {
      std::size_t r1 = r0;
      while (r1 < beams.size() && beams[r1].source == beams[r0].source) ++r1;
      const int64_t src = beams[r0].source;
      std::vector<Candidate> cands;
      for (std::size_t r = r0; r < r1; ++r) {
        detail::log_softmax_row(logits.data() + static_cast<int64_t>(r) * V, V, logp);
        for (int64_t v = 0; v < V; ++v)
          cands.push_back({beams[r].log_prob + logp[static_cast<std::size_t>(v)], static_cast<int64_t>(r),
                           static_cast<int32_t>(v)});
      }
      const auto n = std::min<std::size_t>(cands.size(), static_cast<std::size_t>(2 * W));
      std::partial_sort(cands.begin(), cands.begin() + static_cast<std::ptrdiff_t>(n), cands.end(),
                        [](const Candidate& a, const Candidate& b) {
                          if (a.log_prob != b.log_prob) return a.log_prob > b.log_prob;
                          return a.row != b.row ? a.row < b.row : a.token < b.token;  // ties: a fixed order
                        });
      auto& done = finished[static_cast<std::size_t>(src)];
      int64_t kept = 0;
      for (std::size_t i = 0; i < n && kept < W && static_cast<int64_t>(done.size()) < W; ++i) {
        const Candidate& c = cands[i];
        const Beam& parent = beams[static_cast<std::size_t>(c.row)];
        if (c.token == o.end_id) {
          done.push_back({parent.tokens, c.log_prob, normalised(c.log_prob, parent.tokens.size() + 1), true});
          continue;
        }
        Beam child{src, parent.tokens, c.log_prob};
        child.tokens.push_back(c.token);
        next.push_back(std::move(child));
        rows.push_back(c.row);
        ++kept;
      }
      if (static_cast<int64_t>(done.size()) >= W) {  // done: its live prefixes leave the batch
        while (!next.empty() && next.back().source == src) {
          next.pop_back();
          rows.pop_back();
        }
      }
      r0 = r1;
    }
    beams = std::move(next);
    if (!beams.empty()) cache.reorder(rows);
  }
  for (const auto& beam : beams) {  // out of length: finished as they are
    auto& done = finished[static_cast<std::size_t>(beam.source)];
    done.push_back({beam.tokens, beam.log_prob, normalised(beam.log_prob, beam.tokens.size()), false});
  }
  for (auto& done : finished) {
    std::stable_sort(done.begin(), done.end(),
                     [](const Hypothesis& a, const Hypothesis& b) { return a.score > b.score; });
    if (static_cast<int64_t>(done.size()) > W) done.resize(static_cast<std::size_t>(W));
  }
  return finished;
}

}  // namespace tinylm::lm
