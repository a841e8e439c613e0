// lm/bleu.hpp against sacreBLEU 2.4.3's own outputs (tests/golden/make_bleu_golden.py):
// corpus BLEU with its counts, chrF, and the 13a tokenizer, on its README
// example and on corpora of tricky pieces.

#include <fstream>
#include <sstream>

#include "helpers.hpp"

namespace {

tinylm::io::Json bleu_golden() {
  std::ifstream in(TINYLM_GOLDEN_DIR "/bleu_cases.json", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return tinylm::io::Json::parse(ss.str());
}

std::vector<std::string> strings(const tinylm::io::Json& a) {
  std::vector<std::string> out;
  for (const auto& s : a.as_array()) out.push_back(s.as_string());
  return out;
}

}  // namespace

TEST_CASE("corpus BLEU, chrF and the 13a tokenizer equal sacreBLEU's on every golden case") {
  const auto golden = bleu_golden();
  const auto& cases = golden.at("cases").as_array();
  REQUIRE(cases.size() >= 15);
  for (const auto& c : cases) {
    INFO(c.at("name").as_string());
    const auto hyps = strings(c.at("hyps"));
    std::vector<std::vector<std::string>> refs;
    for (const auto& stream : c.at("refs").as_array()) refs.push_back(strings(stream));
    const auto tokenized = strings(c.at("tokenized"));
    for (std::size_t i = 0; i < hyps.size(); ++i) CHECK(tinylm::lm::tokenize_13a(hyps[i]) == tokenized[i]);
    tinylm::lm::BleuOptions o;
    const std::string smooth = c.at("smooth").as_string();
    o.smoothing = smooth == "exp"     ? tinylm::lm::BleuSmoothing::Exp
                  : smooth == "none"  ? tinylm::lm::BleuSmoothing::None
                  : smooth == "floor" ? tinylm::lm::BleuSmoothing::Floor
                                      : tinylm::lm::BleuSmoothing::AddK;
    o.effective_order = c.at("effective_order").as_bool();
    const auto bleu = tinylm::lm::corpus_bleu(hyps, refs, o);
    CHECK(bleu.score == doctest::Approx(c.at("bleu").as_number()).epsilon(1e-9));
    CHECK(std::abs(bleu.score - c.at("bleu").as_number()) < 1e-6);
    CHECK(bleu.sys_len == c.at("sys_len").as_int());
    CHECK(bleu.ref_len == c.at("ref_len").as_int());
    for (std::size_t n = 0; n < 4 && smooth != "add-k"; ++n) {  // (sacreBLEU reports add-k's counts with k added)
      CHECK(bleu.counts[n] == c.at("counts").as_array()[n].as_number());
      CHECK(bleu.totals[n] == c.at("totals").as_array()[n].as_number());
    }
    CHECK(std::abs(tinylm::lm::corpus_chrf(hyps, refs) - c.at("chrf").as_number()) < 1e-6);
  }
  // The README example, by its published figure.
  const auto& readme = cases[0];
  std::vector<std::vector<std::string>> refs;
  for (const auto& stream : readme.at("refs").as_array()) refs.push_back(strings(stream));
  CHECK(tinylm::lm::corpus_bleu(strings(readme.at("hyps")), refs).score == doctest::Approx(48.530827).epsilon(1e-8));
}

TEST_CASE("BLEU and chrF: a perfect corpus scores 100, a disjoint one 0; errors name the mismatch") {
  const std::vector<std::string> hyps{"The cat sat on the mat.", "Numbers: 3.14, 1,000 and 5-3!"};
  CHECK(tinylm::lm::corpus_bleu(hyps, {hyps}).score == doctest::Approx(100.0).epsilon(1e-12));
  CHECK(tinylm::lm::corpus_chrf(hyps, {hyps}) == doctest::Approx(100.0).epsilon(1e-12));
  CHECK(tinylm::lm::corpus_bleu({"xyz"}, {{"abc"}}).score == 0.0);
  CHECK(tinylm::lm::corpus_chrf({"xyz"}, {{"abc"}}) == 0.0);
  CHECK(tinylm::lm::tokenize_13a("He said: \"1,000.5 dollars\" -- (ok)?") ==
        "He said : \" 1,000.5 dollars \" -- ( ok ) ?");
  CHECK_THROWS_WITH_AS(tinylm::lm::corpus_bleu({"a", "b"}, {{"a"}}),
                       "corpus_bleu: reference stream 0 has 1 segments, the hypotheses 2", tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::lm::corpus_chrf({"a"}, {}), "corpus_chrf: no references", tinylm::Error);
}
