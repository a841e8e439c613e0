#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "helpers.hpp"

namespace lm = tinylm::lm;

namespace {

struct Corpus {
  std::vector<std::vector<int32_t>> seqs;
  lm::NGramVocab vocab;
};

// The corpora of tests/golden/make_ngram_golden.py.
Corpus chars() { return {{{0, 1, 4, 0, 2, 0, 3, 0, 1, 4, 0, 0, 1, 2}}, {{"a", "b", "c", "d", "r"}, -1, -1, -1}}; }
Corpus words() {
  return {{{1, 3, 4, 5, 2}, {1, 3, 6, 5, 2}, {1, 3, 4, 7, 2}, {1, 6, 7, 2}, {1, 3, 4, 5, 5, 2}},
          {{"<unk>", "<s>", "</s>", "the", "cat", "sat", "dog", "ran"}, 1, 2, 0}};
}

lm::NGramLM train(const Corpus& c, const std::string& smoothing, int order, double k) {
  return lm::NGramLM::train(c.seqs, c.vocab, {order, lm::parse_smoothing(smoothing), k > 0 ? k : 1.0, 0.0});
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("tinylm_test_" + std::to_string(::getpid()) + "_" + name)).string();
}

}  // namespace

TEST_CASE("n-gram probabilities match the independent Python implementation, every smoothing, orders 1-3") {
  std::ifstream in(TINYLM_GOLDEN_DIR "/ngram_golden.txt");
  REQUIRE(in.good());
  std::map<std::string, lm::NGramLM> models;
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string corpus, smoothing, bar;
    int order;
    double k, p;
    f >> corpus >> smoothing >> order >> k;
    std::vector<int32_t> ctx;
    for (std::string t; f >> t && t != "|";) ctx.push_back(std::stoi(t));
    int32_t w;
    f >> w >> p;
    const std::string key = corpus + smoothing + std::to_string(order) + std::to_string(k);
    if (!models.count(key)) models.emplace(key, train(corpus == "chars" ? chars() : words(), smoothing, order, k));
    INFO(line);
    CHECK(models.at(key).prob(ctx.data(), int64_t(ctx.size()), w) == doctest::Approx(p).epsilon(1e-12));
    ++checked;
  }
  CHECK(checked == 1552);
}

TEST_CASE("hand-computed values: add-1 unigram and a Kneser-Ney bigram") {
  // chars: a appears 6 times in 14 tokens over 5 letters: (6 + 1) / (14 + 5)
  CHECK(train(chars(), "addk", 1, 1.0).prob(nullptr, 0, 0) == doctest::Approx(7.0 / 19.0));
  // words, KN order 2, p(cat | the):
  //   bigram counts of counts n1 = 6, n2 = 2 -> D = 6 / (6 + 4) = 0.6; "the" is followed by cat 3x, dog 1x
  //   -> gamma(the) = 0.6 * 2 / 4 = 0.3
  //   unigram continuation counts: the 1, cat 1, sat 3, </s> 2, dog 2, ran 2 (T = 11), n1 = 2, n2 = 3
  //   -> D = 2 / (2 + 6) = 0.25, gamma = 0.25 * 6 / 11, uniform over 7 predictable tokens
  const double p1 = (1 - 0.25) / 11 + 0.25 * 6 / 11 / 7;
  const int32_t the = 3;
  CHECK(train(words(), "kn", 2, 0).prob(&the, 1, 4) == doctest::Approx((3 - 0.6) / 4 + 0.3 * p1).epsilon(1e-14));
}

TEST_CASE("every smoothing gives a distribution that sums to 1 in every context, <s> never predicted") {
  tinylm::Generator g(3);
  std::vector<std::vector<int32_t>> seqs(20);
  for (auto& s : seqs) {
    s.push_back(1);
    for (int i = 0, n = 3 + int(g.below(12)); i < n; ++i) s.push_back(3 + int32_t(g.below(9)));
    s.push_back(2);
  }
  lm::NGramVocab v{{"<unk>", "<s>", "</s>", "a", "b", "c", "d", "e", "f", "g", "h", "i"}, 1, 2, 0};
  for (auto sm : {"addk", "kn", "mkn"})
    for (int order : {1, 2, 4, 6}) {
      INFO(sm << " order " << order);
      const auto m = lm::NGramLM::train(seqs, v, {order, lm::parse_smoothing(sm), 0.3, 0.0});
      for (int trial = 0; trial < 60; ++trial) {
        std::vector<int32_t> ctx{1};
        for (int i = 0, n = int(g.below(7)); i < n; ++i) ctx.push_back(3 + int32_t(g.below(9)));
        double s = 0;
        for (int32_t w = 0; w < 12; ++w) s += m.prob(ctx.data(), int64_t(ctx.size()), w);
        CHECK(s == doctest::Approx(1.0).epsilon(1e-12));
        CHECK(m.prob(ctx.data(), int64_t(ctx.size()), 1) == 0.0);
      }
    }
}

TEST_CASE("modified Kneser-Ney discounts follow Chen & Goodman from the counts of counts") {
  // words order 2: bigram counts of counts n1 = 6, n2 = 2, n3 = 2, n4 = 1
  const auto m = train(words(), "mkn", 2, 0);
  const double Y = 6.0 / 10.0;
  CHECK(m.discount(2, 1) == doctest::Approx(1 - 2 * Y * 2 / 6));
  CHECK(m.discount(2, 2) == doctest::Approx(2 - 3 * Y * 2 / 2));
  CHECK(m.discount(2, 3) == doctest::Approx(3 - 4 * Y * 1 / 2));
}

TEST_CASE("evaluation: the first token of each sequence is context only; <unk> is scored and counted") {
  const auto m = train(words(), "mkn", 3, 0);
  const std::vector<std::vector<int32_t>> test{{1, 3, 0, 5, 2}};  // <s> the <unk> sat </s>
  const auto s = m.evaluate(test);
  CHECK(s.tokens == 4);
  CHECK(s.oov == 1);
  double nats = 0;
  for (int i = 1; i < 5; ++i) nats -= std::log(m.prob(test[0].data(), i, test[0][i]));
  CHECK(s.nats_per_token() == doctest::Approx(nats / 4));
  CHECK(s.perplexity() == doctest::Approx(std::exp(nats / 4)));
}

TEST_CASE("bad input: order 0, empty data, tokens out of range, too many bits") {
  lm::NGramVocab v{{"a", "b"}, -1, -1, -1};
  CHECK_THROWS_WITH_AS(lm::NGramLM::train({{0, 1}}, v, {0}), "NGramLM: order must be at least 1, got 0", tinylm::Error);
  CHECK_THROWS_WITH_AS(lm::NGramLM::train({{}}, v, {2}), "NGramLM: the training data is empty", tinylm::Error);
  CHECK_THROWS_WITH_AS(lm::NGramLM::train({{0, 2}}, v, {2}),
                       "NGramLM: token 2 at position 1 is out of range for a vocabulary of 2", tinylm::Error);
  lm::NGramVocab big{std::vector<std::string>(1 << 20, "w"), -1, -1, -1};
  CHECK_THROWS_WITH_AS(lm::NGramLM::train({{0}}, big, {7}),
                       "NGramLM: order 7 over 1048576 tokens needs 147 bits per n-gram; at most 128 are supported",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(lm::parse_smoothing("good-turing"), "smoothing must be addk, kn or mkn, got 'good-turing'",
                       tinylm::Error);
}

TEST_CASE("sampling draws sentences from the model") {
  const auto m = train(words(), "mkn", 3, 0);
  tinylm::Generator g(1);
  const auto s = m.sample({1}, 30, g, true);
  CHECK(s.front() == 1);
  CHECK(s.back() == 2);                                         // stopped at </s>
  for (std::size_t i = 1; i < s.size(); ++i) CHECK(s[i] != 1);  // <s> is never drawn
}

TEST_CASE("an ARPA file written by tinylm reads back to the same probabilities and perplexity") {
  for (auto sm : {"kn", "mkn"})
    for (int order : {1, 2, 3}) {
      INFO(sm << " " << order);
      const auto m = train(words(), sm, order, 0);
      const std::string path = temp_path("model.arpa");
      lm::write_arpa(path, m);
      const auto a = lm::ArpaLM::read(path);
      CHECK(a.order() == order);
      CHECK(a.words() == m.vocab().tokens);
      const std::vector<std::vector<int32_t>> test{{1, 3, 6, 5, 2}, {1, 6, 4, 7, 7, 2}, {1, 0, 3, 2}};
      CHECK(a.evaluate(test).nats_per_token() == doctest::Approx(m.evaluate(test).nats_per_token()).epsilon(1e-9));
      for (const auto& s : test)
        for (std::size_t i = 1; i < s.size(); ++i)
          CHECK(a.prob(s.data(), int64_t(i), s[i]) ==
                doctest::Approx(m.prob(s.data(), int64_t(i), s[i])).epsilon(1e-9));
      std::filesystem::remove(path);
    }
  CHECK_THROWS_WITH_AS(lm::write_arpa(temp_path("x.arpa"), train(words(), "addk", 2, 1.0)),
                       "write_arpa: ARPA holds backoff models; add-k smoothing is not one (use kn or mkn)",
                       tinylm::Error);
}

TEST_CASE("a hand-written ARPA file gives the textbook backoff values") {
  const std::string path = temp_path("hand.arpa");
  std::ofstream(path) << "\\data\\\nngram 1=4\nngram 2=2\n\n"
                         "\\1-grams:\n-99 <s> -0.5\n-0.5 a -0.25\n-0.6 b\n-0.4 </s>\n\n"
                         "\\2-grams:\n-0.2 <s> a\n-0.3 a b\n\n\\end\\\n";
  const auto m = lm::ArpaLM::read(path);
  const int32_t s = m.id("<s>"), a = m.id("a"), b = m.id("b"), e = m.id("</s>");
  CHECK(m.prob(&s, 1, a) == doctest::Approx(std::pow(10, -0.2)));         // listed bigram
  CHECK(m.prob(&a, 1, b) == doctest::Approx(std::pow(10, -0.3)));         // listed bigram
  CHECK(m.prob(&s, 1, b) == doctest::Approx(std::pow(10, -0.5 - 0.6)));   // bo(<s>) p(b)
  CHECK(m.prob(&a, 1, e) == doctest::Approx(std::pow(10, -0.25 - 0.4)));  // bo(a) p(</s>)
  CHECK(m.prob(&b, 1, e) == doctest::Approx(std::pow(10, -0.4)));         // b has no backoff: bo = 1
  const std::vector<int32_t> sab{s, a, b};
  CHECK(m.prob(sab.data(), 3, e) == doctest::Approx(std::pow(10, -0.4)));  // order 2: only "b" matters
  std::filesystem::remove(path);
}

TEST_CASE("malformed ARPA files are rejected with the line number") {
  const std::string path = temp_path("bad.arpa");
  auto expect = [&](const std::string& text, const std::string& msg) {
    std::ofstream(path) << text;
    CHECK_THROWS_WITH_AS(lm::ArpaLM::read(path), ("arpa: '" + path + "' " + msg).c_str(), tinylm::Error);
  };
  expect("hello\n", "line 1: no \\data\\ section");
  expect("\\data\\\nngram 1=2\n\n\\1-grams:\n-0.3 a\n-0.3\n\\end\\\n",
         "line 6: expected 2 or 3 fields for a 1-gram, got 1");
  expect("\\data\\\nngram 1=2\n\n\\1-grams:\n-0.3 a\nx b\n\\end\\\n", "line 6: 'x' is not a finite number");
  expect("\\data\\\nngram 1=2\n\n\\1-grams:\n-0.3 a\nnan b\n\\end\\\n", "line 6: 'nan' is not a finite number");
  expect("\\data\\\nngram 1=2\n\n\\1-grams:\n-inf a\n-0.3 b\n\\end\\\n", "line 5: '-inf' is not a finite number");
  expect("\\data\\\nngram 1=3\n\n\\1-grams:\n-0.3 a\n-0.3 b\n\\end\\\n",
         "line 7: the \\1-grams: section lists 2 entries, \\data\\ declared 3");
  expect("\\data\\\nngram 2=1\n", "line 2: malformed count line 'ngram 2=1' (expected 'ngram 1=COUNT')");
  std::filesystem::remove(path);
  CHECK_THROWS_WITH_AS(lm::ArpaLM::read(path), ("arpa: cannot open '" + path + "'").c_str(), tinylm::Error);
}

TEST_CASE("word tokenizer: sentences in <s> ... </s>, unknown words to <unk>, counted") {
  const auto tok = tinylm::data::WordTokenizer::from_text("the cat sat\n\nthe  dog ran\n");
  CHECK(tok.vocab_size() == 8);
  int64_t oov = 0;
  const auto seqs = tok.encode("the bird sat\n", &oov);
  REQUIRE(seqs.size() == 1);
  CHECK(seqs[0] == std::vector<int32_t>{1, 3, 0, 5, 2});
  CHECK(oov == 1);
  CHECK_THROWS_WITH_AS(tinylm::data::WordTokenizer::from_text(" \n \n"), "WordTokenizer: the text holds no words",
                       tinylm::Error);
}
