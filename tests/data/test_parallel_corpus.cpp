// The built-in parallel corpus: every pair follows the rules (checked here
// from the lexicon, rule by rule), the held-out split holds exactly the
// sentences with an adjective-noun pair training never has.

#include <set>

#include "helpers.hpp"

namespace {

using tinylm::data::translate_to_invented;

const tinylm::data::detail::Lexicon& lex() { return tinylm::data::detail::Lexicon::get(); }
std::string stem(const std::string& w) { return lex().stem.at(w); }
std::string cap(std::string s) {
  s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

}  // namespace

TEST_CASE("translate_to_invented: the lexicon, adjectives after the noun, agreement, the verb at the clause's end") {
  // cat is class A (index 0): adjectives take -ka, its verb -ma. dog is B (index 1): -ri, -tu.
  REQUIRE(lex().noun_class.at("cat") == 0);
  REQUIRE(lex().noun_class.at("dog") == 1);
  CHECK(translate_to_invented("The small red cat slept.") == cap(stem("the")) + " " + stem("cat") + " " +
                                                                 stem("small") + "ka " + stem("red") + "ka " +
                                                                 stem("slept") + "ma.");
  CHECK(translate_to_invented("A dog saw my old cat today!") == cap(stem("a")) + " " + stem("dog") + " " + stem("my") +
                                                                    " " + stem("cat") + " " + stem("old") + "ka " +
                                                                    stem("today") + " " + stem("saw") + "tu!");
  // Names stay and are class A; prepositional phrases keep their place before the verb; clauses keep theirs.
  CHECK(translate_to_invented("Anna waited near the wild dog, but Tom laughed again?") ==
        "Anna " + stem("near") + " " + stem("the") + " " + stem("dog") + " " + stem("wild") + "ri " + stem("waited") +
            "ma, " + stem("but") + " Tom " + stem("again") + " " + stem("laughed") + "ma?");
  // Stems are distinct, and none is an English word of the grammar.
  std::set<std::string> stems;
  for (const auto& [w, s] : lex().stem) {
    CHECK(stems.insert(s).second);
    CHECK_FALSE(lex().kind.count(s));
  }
}

TEST_CASE("generate_parallel: pairs follow the rules, the splits share no adjective-noun pair, the seed decides") {
  const auto c = tinylm::data::generate_parallel(3000, 300, 5);
  REQUIRE(c.train.size() == 3000);
  REQUIRE(c.held_out.size() == 300);
  for (const auto* split : {&c.train, &c.held_out})
    for (const auto& p : *split) CHECK(p.target == translate_to_invented(p.source));
  std::set<std::pair<std::string, std::string>> train_pairs, held_pairs;
  auto pairs_of = [](const std::string& s, std::set<std::pair<std::string, std::string>>& out) {
    std::vector<std::string> words;
    std::string w;
    for (char ch : s + " ") {
      if (std::isalpha(static_cast<unsigned char>(ch)))
        w += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      else if (!w.empty()) words.push_back(w), w.clear();
    }
    std::vector<std::string> adjectives;
    for (const auto& x : words) {
      const auto it = lex().kind.find(x);
      if (it != lex().kind.end() && it->second == tinylm::data::detail::WordKind::Adj) {
        adjectives.push_back(x);
        continue;
      }
      if (it != lex().kind.end() && it->second == tinylm::data::detail::WordKind::Noun)
        for (const auto& a : adjectives) out.insert({a, x});
      adjectives.clear();
    }
  };
  for (const auto& p : c.train) pairs_of(p.source, train_pairs);
  int unseen = 0;
  for (const auto& p : c.held_out) {
    std::set<std::pair<std::string, std::string>> mine;
    pairs_of(p.source, mine);
    bool has_unseen = false;
    for (const auto& ap : mine) has_unseen = has_unseen || !train_pairs.count(ap);
    unseen += has_unseen;
  }
  CHECK(unseen == 300);             // every held-out sentence has a combination training never showed
  CHECK(train_pairs.size() > 300);  // and training shows many others
  const auto again = tinylm::data::generate_parallel(10, 2, 5), other = tinylm::data::generate_parallel(10, 2, 6);
  CHECK(again.train[3].source == c.train[3].source);
  CHECK(other.train[3].source != c.train[3].source);
}

TEST_CASE("translate_to_invented: errors name the word and the sentence") {
  CHECK_THROWS_WITH_AS(translate_to_invented("The cat slept"),
                       "translate_to_invented: 'The cat slept' does not end with '.', '!' or '?'", tinylm::Error);
  CHECK_THROWS_WITH_AS(translate_to_invented("The unicorn slept."),
                       "translate_to_invented: 'unicorn' is not a word of the grammar in 'The unicorn slept.'",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(translate_to_invented("The cat the dog."),
                       "translate_to_invented: expected a verb after the subject in 'The cat the dog.'", tinylm::Error);
  CHECK_THROWS_WITH_AS(translate_to_invented("The cat saw."),
                       "translate_to_invented: a noun phrase is cut short in 'The cat saw.'", tinylm::Error);
}
