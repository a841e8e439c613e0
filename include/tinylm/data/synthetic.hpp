#pragma once
// The built-in synthetic corpus: English-like sentences from a small
// probabilistic grammar, with the exact entropy of the text it produced.
//
// The grammar is a Markov chain over word roles (subject determiner,
// adjective, noun, verb, object, adverb, preposition, conjunction, end of
// sentence); each role emits a word drawn from its own list with Zipf
// weights (w_i proportional to 1 / (i + 1)). The word lists that can follow
// any one role are disjoint, and every word ends at a space or punctuation
// mark, so the text determines the sequence of choices that produced it.
// The probability of the text is then the product of the probabilities of
// those choices, and
//
//   entropy = sum over choices of -ln p(choice) / number of characters
//
// is the best cross-entropy (nats per character) any model can reach on
// this text: the floor a trained model's loss is measured against. Each
// choice's surprisal is recorded at the first character it emitted, so the
// entropy of any span (a validation split, say) is a sum over the span.

#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "tinylm/core/config.hpp"
#include "tinylm/core/error.hpp"
#include "tinylm/core/rng.hpp"

namespace tinylm::data {

struct SyntheticCorpus {
  std::string text;
  std::vector<double> surprisal;  // nats, per character (0 except at a choice's first character)

  /// Nats per character over characters [begin, end).
  double entropy(std::size_t begin, std::size_t end) const {
    TINYLM_CHECK(begin < end && end <= text.size(), "SyntheticCorpus::entropy: bad span [", begin, ", ", end, ") of ",
                 text.size(), " characters");
    double s = 0;
    for (std::size_t i = begin; i < end; ++i) s += surprisal[i];
    return s / static_cast<double>(end - begin);
  }
  double entropy() const { return entropy(0, text.size()); }
};

namespace detail {

enum Role {
  kStart,
  kSubjDet,
  kSubjAdj,
  kSubjNoun,
  kSubjName,
  kVerbT,
  kVerbI,
  kObjDet,
  kObjAdj,
  kObjNoun,
  kObjName,
  kAdverb,
  kPrep,
  kPrepDet,
  kPrepAdj,
  kPrepNoun,
  kConj,
  kEnd,
  kNumRoles
};

struct Transition {
  Role to;
  double p;
};

struct Grammar {
  std::array<std::vector<std::string>, kNumRoles> words;
  std::array<std::vector<Transition>, kNumRoles> next;

  static const Grammar& get() {
    static const Grammar g = make();
    return g;
  }

 private:
  static Grammar make();
};

/// Index drawn with Zipf weights 1/(i+1) over n items; sets p to its probability.
inline std::size_t zipf(Generator& gen, std::size_t n, double& p) {
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) total += 1.0 / static_cast<double>(i + 1);
  double u = gen.uniform() * total;
  std::size_t i = 0;
  for (; i + 1 < n; ++i) {
    u -= 1.0 / static_cast<double>(i + 1);
    if (u < 0) break;
  }
  p = 1.0 / static_cast<double>(i + 1) / total;
  return i;
}

/// Draws one of the choices (probabilities summing to 1); sets p.
template <class Choices>
std::size_t choose(Generator& gen, const Choices& probs, double& p) {
  double u = gen.uniform();
  std::size_t i = 0;
  for (; i + 1 < probs.size(); ++i) {
    u -= probs[i];
    if (u < 0) break;
  }
  p = probs[i];
  return i;
}

}  // namespace detail

/// Generates at least n_chars characters (cut to exactly n_chars) from `seed`.
TINYLM_DECL SyntheticCorpus generate_synthetic(int64_t n_chars, uint64_t seed);

}  // namespace tinylm::data

#if !defined(TINYLM_SEPARATE_COMPILATION)
#include "tinylm/data/impl/synthetic.ipp"
#endif
