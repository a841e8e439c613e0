#pragma once
// Drawing the next token from a row of logits.
//
//   temperature T:  p ~ softmax(logits / T); T = 0 means greedy (argmax)
//   top_k k:        keep the k largest logits (0: all)
//   top_p p:        keep the smallest set of most likely tokens whose
//                   probabilities add up to at least p (nucleus sampling; 1: all)
//
// Filters apply in that order, as in Hugging Face's generate().

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "tinylm/core/config.hpp"
#include "tinylm/core/error.hpp"
#include "tinylm/core/rng.hpp"

namespace tinylm::lm {

struct SamplingOptions {
  double temperature = 1.0;
  int64_t top_k = 0;
  double top_p = 1.0;

  void validate() const {
    TINYLM_CHECK(temperature >= 0, "sampling: temperature must be >= 0, got ", temperature);
    TINYLM_CHECK(top_k >= 0, "sampling: top_k must be >= 0, got ", top_k);
    TINYLM_CHECK(top_p > 0 && top_p <= 1, "sampling: top_p must be in (0, 1], got ", top_p);
  }
};

/// The probabilities sampling would draw from (after temperature, top-k, top-p).
template <class T>
std::vector<double> sampling_distribution(const T* logits, int64_t V, const SamplingOptions& opt) {
  opt.validate();
  std::vector<double> p(static_cast<std::size_t>(V), 0.0);
  if (opt.temperature == 0) {
    p[static_cast<std::size_t>(std::max_element(logits, logits + V) - logits)] = 1.0;
    return p;
  }
  std::vector<int64_t> order(static_cast<std::size_t>(V));
  std::iota(order.begin(), order.end(), 0);
  // Largest first, ties in index order (what a stable sort gives); a NaN
  // sorts as -inf, so the order is total and std::sort well defined.
  auto key = [&](int64_t i) {
    const T v = logits[i];
    return v == v ? v : -std::numeric_limits<T>::infinity();
  };
  auto before = [&](int64_t a, int64_t b) { return key(a) > key(b) || (key(a) == key(b) && a < b); };
  const int64_t keep = opt.top_k > 0 ? std::min(opt.top_k, V) : V;
  // Only as much order as the filters read: top-k needs its k largest in
  // order, top-p all that are kept; with neither (plain sampling, what
  // decoding mostly does) only the largest, for the softmax's shift. A
  // whole sort of a 50,257-token vocabulary was a seventh of a decoding step.
  if (keep < V) std::partial_sort(order.begin(), order.begin() + keep, order.end(), before);
  else if (opt.top_p < 1) std::sort(order.begin(), order.end(), before);
  else std::iter_swap(order.begin(), std::min_element(order.begin(), order.end(), before));
  const double m = static_cast<double>(logits[order[0]]) / opt.temperature;
  double total = 0;
  for (int64_t r = 0; r < keep; ++r) {
    const double e = std::exp(static_cast<double>(logits[order[r]]) / opt.temperature - m);
    p[order[r]] = e;
    total += e;
  }
  double cum = 0, kept = 0;
  for (int64_t r = 0; r < keep; ++r) {
    auto& q = p[order[r]];
    if (opt.top_p < 1 && cum >= opt.top_p) {
      q = 0;
      continue;
    }
    q /= total;
    cum += q;
    kept += q;
  }
  for (auto& q : p) q /= kept;
  return p;
}

/// Draws one token id from logits [V].
template <class T>
int64_t sample_logits(const T* logits, int64_t V, const SamplingOptions& opt, Generator& gen) {
  const std::vector<double> p = sampling_distribution(logits, V, opt);
  double u = gen.uniform();
  int64_t last = 0;
  for (int64_t i = 0; i < V; ++i) {
    if (p[i] <= 0) continue;
    last = i;
    u -= p[i];
    if (u < 0) return i;
  }
  return last;  // rounding left u >= 0: the last possible token
}

}  // namespace tinylm::lm

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm::lm {
TINYLM_EXTERN_TEMPLATE std::vector<double> sampling_distribution(const float*, int64_t, const SamplingOptions&);
}  // namespace tinylm::lm
#endif
