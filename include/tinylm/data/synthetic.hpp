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
  static Grammar make() {
    const std::vector<std::string> det = {"the", "a", "every", "this", "that", "some", "my", "our"};
    const std::vector<std::string> adj = {"small", "old",   "quiet", "red",    "bright", "cold",    "green",
                                          "heavy", "soft",  "dark",  "little", "young",  "strange", "warm",
                                          "tired", "happy", "tall",  "gentle", "wild",   "empty"};
    const std::vector<std::string> noun = {
        "cat",   "dog",      "river", "house", "child",  "stone",  "bird",  "teacher", "garden", "window",
        "road",  "tree",     "ship",  "king",  "friend", "letter", "song",  "city",    "farmer", "lamp",
        "horse", "mountain", "book",  "door",  "cloud",  "baker",  "field", "boat",    "queen",  "apple"};
    const std::vector<std::string> name = {"Anna", "Tom", "Mira", "Leo", "Sam", "Ada", "Otto", "Nina", "Hugo", "Eva"};
    const std::vector<std::string> verb_t = {"saw",      "found",   "liked",   "carried", "painted", "heard",
                                             "followed", "built",   "watched", "opened",  "lost",    "kept",
                                             "called",   "visited", "washed",  "pushed"};
    const std::vector<std::string> verb_i = {"slept",  "ran",    "waited", "laughed", "sang",     "fell",
                                             "smiled", "stayed", "danced", "cried",   "listened", "returned"};
    const std::vector<std::string> adverb = {"slowly", "quietly", "again", "today",    "often",
                                             "never",  "always",  "soon",  "together", "outside"};
    const std::vector<std::string> prep = {"near", "under", "behind", "with", "over", "beside", "across", "into"};
    const std::vector<std::string> conj = {"and", "but", "so", "while", "because"};
    Grammar g;
    g.words[kSubjDet] = g.words[kObjDet] = g.words[kPrepDet] = det;
    g.words[kSubjAdj] = g.words[kObjAdj] = g.words[kPrepAdj] = adj;
    g.words[kSubjNoun] = g.words[kObjNoun] = g.words[kPrepNoun] = noun;
    g.words[kSubjName] = g.words[kObjName] = name;
    g.words[kVerbT] = verb_t;
    g.words[kVerbI] = verb_i;
    g.words[kAdverb] = adverb;
    g.words[kPrep] = prep;
    g.words[kConj] = conj;
    g.next[kStart] = {{kSubjDet, 0.6}, {kSubjName, 0.4}};
    g.next[kSubjDet] = {{kSubjAdj, 0.3}, {kSubjNoun, 0.7}};
    g.next[kSubjAdj] = {{kSubjAdj, 0.1}, {kSubjNoun, 0.9}};
    g.next[kSubjNoun] = g.next[kSubjName] = {{kVerbT, 0.55}, {kVerbI, 0.45}};
    g.next[kVerbT] = {{kObjDet, 0.7}, {kObjName, 0.3}};
    g.next[kVerbI] = {{kEnd, 0.4}, {kAdverb, 0.3}, {kPrep, 0.3}};
    g.next[kObjDet] = {{kObjAdj, 0.3}, {kObjNoun, 0.7}};
    g.next[kObjAdj] = {{kObjAdj, 0.1}, {kObjNoun, 0.9}};
    g.next[kObjNoun] = g.next[kObjName] = {{kEnd, 0.5}, {kAdverb, 0.15}, {kPrep, 0.2}, {kConj, 0.15}};
    g.next[kAdverb] = {{kEnd, 0.7}, {kConj, 0.3}};
    g.next[kPrep] = {{kPrepDet, 1.0}};
    g.next[kPrepDet] = {{kPrepAdj, 0.25}, {kPrepNoun, 0.75}};
    g.next[kPrepAdj] = {{kPrepAdj, 0.1}, {kPrepNoun, 0.9}};
    g.next[kPrepNoun] = {{kEnd, 0.6}, {kConj, 0.25}, {kAdverb, 0.15}};
    g.next[kConj] = {{kSubjDet, 0.6}, {kSubjName, 0.4}};
    g.next[kEnd] = {{kStart, 1.0}};
    return g;
  }
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
inline SyntheticCorpus generate_synthetic(int64_t n_chars, uint64_t seed) {
  using namespace detail;
  TINYLM_CHECK(n_chars > 0, "generate_synthetic: need a positive number of characters, got ", n_chars);
  const Grammar& g = Grammar::get();
  Generator gen(seed);
  SyntheticCorpus c;
  c.text.reserve(static_cast<std::size_t>(n_chars) + 64);
  c.surprisal.reserve(static_cast<std::size_t>(n_chars) + 64);
  auto emit = [&](const std::string& s, double nats) {
    c.text += s;
    c.surprisal.push_back(nats);
    c.surprisal.resize(c.text.size(), 0.0);
  };
  Role role = kStart;
  bool sentence_start = true;
  while (static_cast<int64_t>(c.text.size()) < n_chars) {
    const auto& next = g.next[role];
    std::vector<double> probs;
    for (const auto& t : next) probs.push_back(t.p);
    double p_trans = 1.0;
    role = next[choose(gen, probs, p_trans)].to;
    const double s_trans = -std::log(p_trans);
    if (role == kStart) continue;  // END -> START is certain: nothing to emit
    if (role == kEnd) {
      static const std::array<double, 3> punct_p = {0.8, 0.1, 0.1};
      static const std::array<double, 2> sep_p = {0.85, 0.15};
      double pp = 1.0, ps = 1.0;
      const std::size_t pi = choose(gen, punct_p, pp);
      const std::size_t si = choose(gen, sep_p, ps);
      emit(std::string(1, ".!?"[pi]) + (si == 0 ? " " : "\n"), s_trans - std::log(pp) - std::log(ps));
      sentence_start = true;
      continue;
    }
    double pw = 1.0;
    std::string word = g.words[role][zipf(gen, g.words[role].size(), pw)];
    std::string out;
    if (role == kConj) out = ", " + word;
    else if (sentence_start) out = word;
    else out = " " + word;
    if (sentence_start) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
    sentence_start = false;
    emit(out, s_trans - std::log(pw));
  }
  c.text.resize(static_cast<std::size_t>(n_chars));
  c.surprisal.resize(static_cast<std::size_t>(n_chars));
  return c;
}

}  // namespace tinylm::data
