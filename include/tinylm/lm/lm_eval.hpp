#pragma once
// The evaluation convention shared by every language model here:
//
//   Each test sequence is scored token by token; token i is scored given the
//   tokens before it in its sequence (a model of order n looks at the last
//   n - 1 of them). The first token of a sequence only gives context and is
//   never scored: with a character stream that is the stream's first
//   character, with word-level sentences it is <s>.
//
// Cross-entropy is the mean of -ln p over the scored tokens, in nats per
// token; perplexity is exp of it. Tokens outside the model's training
// vocabulary arrive as <unk>, are scored as <unk>, and are counted.

#include <cmath>
#include <cstdint>
#include <vector>

namespace tinylm::lm {

struct LMScore {
  double nats = 0;     // sum of -ln p over scored tokens
  int64_t tokens = 0;  // scored tokens
  int64_t oov = 0;     // scored tokens that were <unk>
  double nats_per_token() const { return tokens ? nats / static_cast<double>(tokens) : 0.0; }
  double perplexity() const { return std::exp(nats_per_token()); }
};

/// Scores `sequences` with any model that has prob(context, length, token).
template <class Model>
LMScore evaluate_lm(const Model& model, const std::vector<std::vector<int32_t>>& sequences, int32_t unk) {
  LMScore s;
  for (const auto& seq : sequences)
    for (std::size_t i = 1; i < seq.size(); ++i) {
      const double p = model.prob(seq.data(), static_cast<int64_t>(i), seq[i]);
      s.nats -= std::log(p);
      ++s.tokens;
      if (seq[i] == unk) ++s.oov;
    }
  return s;
}

}  // namespace tinylm::lm
