#pragma once
// The built-in parallel corpus: sentences of the synthetic English-like
// corpus (data/synthetic.hpp's grammar) and their translations into an
// invented language by fixed rules, so that a perfect translator scores
// BLEU 100 and a program can check every rule.
//
// The rules, clause by clause (clauses are joined by ", <conjunction>"):
//   - a lexicon, word for word: every English word has one invented stem
//     (names stay as they are);
//   - adjectives come after their noun: "the small red cat" -> "DET cat
//     small red" (each word translated);
//   - agreement: every noun has a class (A or B); an adjective takes its
//     noun's suffix ("-ka" for A, "-ri" for B), and the verb takes its
//     subject's ("-ma" for A, "-tu" for B; names are A);
//   - the verb ends the clause: subject, object, then the prepositional
//     phrases and adverbs in their English order, then the verb.
//
//   "The small cat saw Anna near a red river, and Tom slept."
//   -> "Tuzu mabi fodoroka Anna bo zo neva notoka pazuma, saza Tom babima."
//
// translate_to_invented() applies the rules to any sentence the grammar can
// produce. The held-out split holds sentences with at least one adjective
// and noun that never stand together in a training sentence (a fixed
// seventh of all pairs): translating them needs the rules, not a memory.

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tinylm/core/error.hpp"
#include "tinylm/core/rng.hpp"
#include "tinylm/data/synthetic.hpp"

namespace tinylm::data {

struct ParallelPair {
  std::string source, target;
};

namespace detail {

enum class WordKind { Det, Adj, Noun, Name, VerbT, VerbI, Adverb, Prep, Conj };

/// The invented language: the English words by kind, their stems, and the
/// nouns' classes. Fixed: built from a constant seed, never the user's.
struct Lexicon {
  std::map<std::string, WordKind> kind;
  std::map<std::string, std::string> stem;
  std::map<std::string, int> noun_class;       // 0 (A) or 1 (B)
  std::map<std::string, int> adjective_index;  // position in the grammar's list
  std::map<std::string, int> noun_index;

  static const Lexicon& get() {
    static const Lexicon l = make();
    return l;
  }

 private:
  static Lexicon make() {
    const auto& g = Grammar::get();
    Lexicon l;
    const std::pair<Role, WordKind> lists[] = {
        {kSubjDet, WordKind::Det},   {kSubjAdj, WordKind::Adj}, {kSubjNoun, WordKind::Noun},
        {kSubjName, WordKind::Name}, {kVerbT, WordKind::VerbT}, {kVerbI, WordKind::VerbI},
        {kAdverb, WordKind::Adverb}, {kPrep, WordKind::Prep},   {kConj, WordKind::Conj}};
    Generator gen(0x1EC51C0Dull);
    const std::string consonants = "bdfgklmnprstvz", vowels = "aeiou";
    std::vector<std::string> english;
    for (const auto& [role, kind] : lists) english.insert(english.end(), g.words[role].begin(), g.words[role].end());
    for (const auto& [role, kind] : lists) {
      int index = 0;
      for (const auto& w : g.words[role]) {
        l.kind[w] = kind;
        if (kind == WordKind::Adj) l.adjective_index[w] = index;
        if (kind == WordKind::Noun) l.noun_index[w] = index, l.noun_class[w] = index % 2;
        ++index;
        if (kind == WordKind::Name) continue;
        // One or two syllables for the small words, two or three for the rest; never a repeat.
        const bool small = kind == WordKind::Det || kind == WordKind::Prep || kind == WordKind::Conj;
        for (;;) {
          std::string s;
          const uint64_t syllables = small ? 1 + gen.below(2) : 2 + gen.below(2);
          for (uint64_t k = 0; k < syllables; ++k) {
            s += consonants[gen.below(consonants.size())];
            s += vowels[gen.below(vowels.size())];
          }
          bool taken = std::find(english.begin(), english.end(), s) != english.end();
          for (const auto& [e, t] : l.stem) taken = taken || t == s;
          if (!taken) {
            l.stem[w] = s;
            break;
          }
        }
      }
    }
    return l;
  }
};

inline const char* agreement(int noun_class, bool verb) {
  return verb ? (noun_class == 0 ? "ma" : "tu") : (noun_class == 0 ? "ka" : "ri");
}

/// Whether the adjective and noun pair belongs to the held-out combinations.
inline bool held_out_pair(const std::string& adjective, const std::string& noun) {
  const auto& l = Lexicon::get();
  return (l.adjective_index.at(adjective) * 3 + l.noun_index.at(noun)) % 7 == 0;
}

/// A noun phrase from `words[at]`: a name, or determiner, adjectives, noun.
/// Appends its translation to `out` and returns its class.
inline int noun_phrase(const std::vector<std::string>& words, std::size_t& at, std::vector<std::string>& out,
                       const std::string& sentence) {
  const auto& l = Lexicon::get();
  auto kind_at = [&](std::size_t i) {
    TINYLM_CHECK(i < words.size(), "translate_to_invented: a noun phrase is cut short in '", sentence, "'");
    const auto it = l.kind.find(words[i]);
    TINYLM_CHECK(it != l.kind.end(), "translate_to_invented: '", words[i], "' is not a word of the grammar in '",
                 sentence, "'");
    return it->second;
  };
  if (kind_at(at) == WordKind::Name) {
    out.push_back(words[at++]);
    return 0;
  }
  TINYLM_CHECK(kind_at(at) == WordKind::Det, "translate_to_invented: expected a noun phrase at '", words[at], "' in '",
               sentence, "'");
  const std::string det = words[at++];
  std::vector<std::string> adjectives;
  while (kind_at(at) == WordKind::Adj) adjectives.push_back(words[at++]);
  TINYLM_CHECK(kind_at(at) == WordKind::Noun, "translate_to_invented: expected a noun at '", words[at], "' in '",
               sentence, "'");
  const std::string noun = words[at++];
  const int cls = l.noun_class.at(noun);
  out.push_back(l.stem.at(det));
  out.push_back(l.stem.at(noun));
  for (const auto& a : adjectives) out.push_back(l.stem.at(a) + agreement(cls, false));
  return cls;
}

/// The English sentence's words (lowercased first letter, no final
/// punctuation) split into clauses at ", <conjunction>", and the mark.
inline std::vector<std::vector<std::string>> clauses_of(const std::string& sentence, char& mark,
                                                        std::vector<std::string>& conjunctions) {
  TINYLM_CHECK(!sentence.empty() && (sentence.back() == '.' || sentence.back() == '!' || sentence.back() == '?'),
               "translate_to_invented: '", sentence, "' does not end with '.', '!' or '?'");
  mark = sentence.back();
  std::string s = sentence.substr(0, sentence.size() - 1);
  const std::string first = s.substr(0, s.find_first_of(" ,"));
  if (!Lexicon::get().kind.count(first))  // "The" -> "the"; a name keeps its capital
    s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  std::vector<std::vector<std::string>> clauses(1);
  std::size_t at = 0;
  while (at < s.size()) {
    std::size_t end = s.find(' ', at);
    if (end == std::string::npos) end = s.size();
    std::string w = s.substr(at, end - at);
    at = end + 1;
    if (w.empty()) continue;
    if (w.back() == ',') {  // "word, conj": the clause ends here
      w.pop_back();
      clauses.back().push_back(w);
      std::size_t cend = s.find(' ', at);
      if (cend == std::string::npos) cend = s.size();
      conjunctions.push_back(s.substr(at, cend - at));
      at = cend + 1;
      clauses.emplace_back();
      continue;
    }
    clauses.back().push_back(w);
  }
  return clauses;
}

}  // namespace detail

/// The invented-language translation of an English sentence of the
/// grammar (see the file comment); an error names what does not parse.
inline std::string translate_to_invented(const std::string& sentence) {
  using namespace detail;
  const auto& l = Lexicon::get();
  char mark = '.';
  std::vector<std::string> conjunctions;
  const auto clauses = clauses_of(sentence, mark, conjunctions);
  std::string out;
  for (std::size_t c = 0; c < clauses.size(); ++c) {
    const auto& words = clauses[c];
    std::size_t at = 0;
    std::vector<std::string> t;
    const int subject = noun_phrase(words, at, t, sentence);
    TINYLM_CHECK(at < words.size() && l.kind.count(words[at]) &&
                     (l.kind.at(words[at]) == WordKind::VerbT || l.kind.at(words[at]) == WordKind::VerbI),
                 "translate_to_invented: expected a verb after the subject in '", sentence, "'");
    const std::string verb = words[at++];
    if (l.kind.at(verb) == WordKind::VerbT) noun_phrase(words, at, t, sentence);
    while (at < words.size()) {
      const auto it = l.kind.find(words[at]);
      TINYLM_CHECK(it != l.kind.end() && (it->second == WordKind::Adverb || it->second == WordKind::Prep),
                   "translate_to_invented: expected an adverb or a preposition at '", words[at], "' in '", sentence,
                   "'");
      if (it->second == WordKind::Adverb) {
        t.push_back(l.stem.at(words[at++]));
      } else {
        t.push_back(l.stem.at(words[at++]));
        noun_phrase(words, at, t, sentence);
      }
    }
    t.push_back(l.stem.at(verb) + agreement(subject, true));
    if (c > 0) {
      TINYLM_CHECK(l.kind.count(conjunctions[c - 1]) && l.kind.at(conjunctions[c - 1]) == WordKind::Conj,
                   "translate_to_invented: expected a conjunction at '", conjunctions[c - 1], "' in '", sentence, "'");
      out += ", " + l.stem.at(conjunctions[c - 1]);
    }
    for (const auto& w : t) out += (out.empty() ? "" : " ") + w;
  }
  out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out + mark;
}

namespace detail {

/// One sentence of the grammar (data/synthetic.hpp's chain), at most
/// max_words words long.
inline std::string random_sentence(Generator& gen, std::size_t max_words) {
  const Grammar& g = Grammar::get();
  for (;;) {
    std::string s;
    std::size_t words = 0;
    Role role = kStart;
    for (;;) {
      const auto& next = g.next[role];
      std::vector<double> probs;
      for (const auto& t : next) probs.push_back(t.p);
      double p = 1;
      role = next[choose(gen, probs, p)].to;
      if (role == kEnd) {
        static const std::array<double, 3> punct_p = {0.8, 0.1, 0.1};
        s += ".!?"[choose(gen, punct_p, p)];
        break;
      }
      const std::string& w = g.words[role][zipf(gen, g.words[role].size(), p)];
      s += role == kConj ? ", " + w : (s.empty() ? "" : " ") + w;
      ++words;
    }
    if (words > max_words) continue;
    s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
    return s;
  }
}

/// Whether the English sentence has an adjective right before a noun, or
/// before another adjective of the same noun, that is a held-out pair.
inline bool has_held_out_pair(const std::string& sentence) {
  const auto& l = Lexicon::get();
  std::vector<std::string> words;
  std::string w;
  for (char ch : sentence + " ") {
    if (std::isalpha(static_cast<unsigned char>(ch)))
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    else if (!w.empty()) words.push_back(w), w.clear();
  }
  std::vector<std::string> pending;  // adjectives waiting for their noun
  for (const auto& x : words) {
    const auto it = l.kind.find(x);
    const WordKind k = it == l.kind.end() ? WordKind::Name : it->second;
    if (k == WordKind::Adj) {
      pending.push_back(x);
      continue;
    }
    if (k == WordKind::Noun)
      for (const auto& a : pending)
        if (held_out_pair(a, x)) return true;
    pending.clear();
  }
  return false;
}

}  // namespace detail

struct ParallelCorpus {
  std::vector<ParallelPair> train, held_out;
};

/// n_train training pairs (no held-out adjective-noun pair anywhere) and
/// n_held_out held-out pairs (each with at least one), from `seed`;
/// sentences of at most max_words English words.
inline ParallelCorpus generate_parallel(int64_t n_train, int64_t n_held_out, uint64_t seed,
                                        std::size_t max_words = 30) {
  TINYLM_CHECK(n_train >= 0 && n_held_out >= 0, "generate_parallel: counts must be >= 0, got ", n_train, " and ",
               n_held_out);
  TINYLM_CHECK(max_words >= 3, "generate_parallel: max_words must be at least 3, got ", max_words);
  Generator gen(seed);
  ParallelCorpus c;
  while (static_cast<int64_t>(c.train.size()) < n_train || static_cast<int64_t>(c.held_out.size()) < n_held_out) {
    const std::string s = detail::random_sentence(gen, max_words);
    auto& split = detail::has_held_out_pair(s) ? c.held_out : c.train;
    const int64_t want = &split == &c.train ? n_train : n_held_out;
    if (static_cast<int64_t>(split.size()) < want) split.push_back({s, translate_to_invented(s)});
  }
  return c;
}

}  // namespace tinylm::data
