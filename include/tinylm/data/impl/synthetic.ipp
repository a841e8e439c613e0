#pragma once
// The bodies of data/synthetic.hpp's functions: included by that header in a header-only
// build, compiled once into tinylm_compiled otherwise (core/config.hpp).

#include "tinylm/data/synthetic.hpp"

namespace tinylm::data {

TINYLM_DECL SyntheticCorpus generate_synthetic(int64_t n_chars, uint64_t seed) {
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

namespace tinylm::data::detail {

TINYLM_DECL Grammar Grammar::make() {
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

}  // namespace tinylm::data::detail
