#include <algorithm>
#include <cmath>

#include "helpers.hpp"

using tinylm::Tensor;
namespace lm = tinylm::lm;
namespace nn = tinylm::nn;

TEST_CASE("sampling distribution: temperature, top-k, top-p, greedy (known values)") {
  const std::vector<double> logits{std::log(0.5), std::log(0.3), std::log(0.2)};
  auto d = lm::sampling_distribution(logits.data(), 3, {1.0, 0, 1.0});
  th::check_close(d, std::vector<double>{0.5, 0.3, 0.2}, 1e-12);
  d = lm::sampling_distribution(logits.data(), 3, {1.0, 2, 1.0});
  th::check_close(d, std::vector<double>{0.625, 0.375, 0.0}, 1e-12);
  d = lm::sampling_distribution(logits.data(), 3, {1.0, 0, 0.7});  // 0.5 < 0.7, 0.5 + 0.3 >= 0.7
  th::check_close(d, std::vector<double>{0.625, 0.375, 0.0}, 1e-12);
  d = lm::sampling_distribution(logits.data(), 3, {1.0, 0, 0.4});
  th::check_close(d, std::vector<double>{1.0, 0.0, 0.0}, 1e-12);
  d = lm::sampling_distribution(logits.data(), 3, {0.5, 0, 1.0});  // p^2 renormalized
  th::check_close(d, std::vector<double>{0.25 / 0.38, 0.09 / 0.38, 0.04 / 0.38}, 1e-12);
  d = lm::sampling_distribution(logits.data(), 3, {0.0, 0, 1.0});
  th::check_close(d, std::vector<double>{1.0, 0.0, 0.0}, 0.0);
  CHECK_THROWS_WITH_AS(lm::sampling_distribution(logits.data(), 3, {1.0, 0, 0.0}),
                       "sampling: top_p must be in (0, 1], got 0", tinylm::Error);
}

TEST_CASE("sampling distribution over a large vocabulary equals the filters applied to a whole stable sort") {
  // Each filter orders only as much of the vocabulary as it reads (nothing
  // but the largest for plain sampling, the k largest for top-k): the
  // result must be what ordering everything gives. Ties (values from a
  // small set) check that the order among equals is by index.
  const int64_t V = 5000;
  tinylm::Generator g(11);
  std::vector<float> logits(V);
  for (float& x : logits) x = static_cast<float>(std::floor(g.uniform() * 40)) / 8.0f;
  std::vector<int64_t> order(V);
  for (int64_t i = 0; i < V; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return logits[a] > logits[b]; });
  for (const lm::SamplingOptions opt :
       {lm::SamplingOptions{1.0, 0, 1.0}, lm::SamplingOptions{0.7, 0, 1.0}, lm::SamplingOptions{1.0, 50, 1.0},
        lm::SamplingOptions{1.0, 0, 0.3}, lm::SamplingOptions{1.3, 200, 0.5}}) {
    CAPTURE(opt.temperature);
    CAPTURE(opt.top_k);
    CAPTURE(opt.top_p);
    const int64_t keep = opt.top_k > 0 ? opt.top_k : V;
    std::vector<double> want(V, 0.0);
    double total = 0;
    for (int64_t r = 0; r < keep; ++r) total += std::exp((logits[order[r]] - logits[order[0]]) / opt.temperature);
    double cum = 0;
    for (int64_t r = 0; r < keep && (opt.top_p == 1 || cum < opt.top_p); ++r) {
      want[order[r]] = std::exp((logits[order[r]] - logits[order[0]]) / opt.temperature) / total;
      cum += want[order[r]];
    }
    for (double& q : want) q /= cum;
    th::check_close(lm::sampling_distribution(logits.data(), V, opt), want, 1e-12);
  }
}

TEST_CASE("sample_logits draws with the stated frequencies") {
  const std::vector<float> logits{0.f, std::log(3.f)};  // p = 1/4, 3/4
  tinylm::Generator g(1);
  int ones = 0;
  for (int i = 0; i < 20000; ++i) ones += lm::sample_logits(logits.data(), 2, {}, g) == 1;
  CHECK(std::abs(ones - 15000) < 300);
}

TEST_CASE("generation with the KV cache gives the same tokens as generation without it") {
  nn::GPT<double> m({13, 10, 2, 2, 8, 0.0}, 3);
  for (auto opt :
       {lm::SamplingOptions{0.0, 0, 1.0}, lm::SamplingOptions{1.0, 0, 1.0}, lm::SamplingOptions{0.8, 5, 0.9}}) {
    for (std::vector<int32_t> prompt :
         {std::vector<int32_t>{4}, std::vector<int32_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}) {
      tinylm::Generator g1(7), g2(7);
      // 30 tokens: well past block_size 10, so the window restarts several times.
      const auto a = lm::generate(m, prompt, 30, opt, g1, true);
      const auto b = lm::generate(m, prompt, 30, opt, g2, false);
      CHECK(a.size() == prompt.size() + 30);
      CHECK(a == b);
    }
  }
  CHECK(m.is_training());  // generate restores the mode
  tinylm::Generator g(1);
  CHECK_THROWS_WITH_AS(lm::generate(m, {}, 3, {}, g), "generate: the prompt is empty; give at least one token",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(lm::generate(m, {13}, 3, {}, g),
                       "generate: prompt 0 token 13 at position 0 is out of range for a vocabulary of 13",
                       tinylm::Error);
}

TEST_CASE("top-k keeps the largest logits, ties in index order, and a NaN logit is never kept") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> logits{1, 3, nan, 3, 2};
  tinylm::lm::SamplingOptions opt;
  opt.top_k = 2;
  const auto p = tinylm::lm::sampling_distribution(logits.data(), 5, opt);
  CHECK(p == std::vector<double>{0, 0.5, 0, 0.5, 0});
  opt.top_k = 1;  // of the two 3s, the first
  CHECK(tinylm::lm::sampling_distribution(logits.data(), 5, opt) == std::vector<double>{0, 1, 0, 0, 0});
}

namespace {

// A decoder of the user's own: a bigram table, logits = table[last token].
// Its cache is nothing at all; the concept asks only for the calls.
struct Bigram : nn::Module<double> {
  struct Cache {
    void clear() {}
  };
  Tensor<double> table = Tensor<double>::zeros({4, 4});
  Bigram() {
    for (int i = 0; i < 4; ++i) table.at({i, (i + 1) % 4}) = 5.0;  // 0 -> 1 -> 2 -> 3 -> 0
  }
  Cache make_cache(int64_t) const { return {}; }
  int64_t vocab_size() const { return 4; }
  int64_t max_length() const { return 0; }
  Tensor<double> forward(const Tensor<int32_t>& ids, Cache*) const {
    const int64_t B = ids.size(0), t = ids.size(1);
    auto out = Tensor<double>::empty({B, t, 4});
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < t; ++j)
        for (int64_t v = 0; v < 4; ++v) out.at({b, j, v}) = table.at({ids.at({b, j}), v});
    return out;
  }
};

// A model conditioned per prompt, as an encoder-decoder is on its source:
// each prompt p has a step shift[p], and logits peak at last token +
// shift. Its cache takes the rows of the prompts in the batch.
struct Shifted : nn::Module<double> {
  struct Cache {
    std::vector<int32_t> shift;  // one per sequence in the batch
    int64_t calls = 0;
    void clear() {}
  };
  std::vector<int32_t> shift;
  Cache make_cache(const std::vector<int64_t>& rows) const {
    Cache c;
    for (int64_t r : rows) c.shift.push_back(shift[static_cast<std::size_t>(r)]);
    return c;
  }
  int64_t vocab_size() const { return 10; }
  int64_t max_length() const { return 0; }
  Tensor<double> forward(const Tensor<int32_t>& ids, Cache* cache) const {
    REQUIRE(cache);
    REQUIRE(static_cast<int64_t>(cache->shift.size()) == ids.size(0));
    ++cache->calls;
    const int64_t B = ids.size(0), t = ids.size(1);
    auto out = Tensor<double>::zeros({B, t, 10});
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < t; ++j) out.at({b, j, (ids.at({b, j}) + cache->shift[b]) % 10}) = 5.0;
    return out;
  }
};

}  // namespace

TEST_CASE("a conditioned model gets a cache for the rows of each batch, with and without use_cache") {
  static_assert(lm::CausalLM<Shifted>);
  Shifted m;
  m.shift = {1, 2, 3};
  lm::GenerateOptions greedy;
  greedy.max_new_tokens = 4;
  greedy.sampling.temperature = 0;
  for (bool use_cache : {true, false}) {
    INFO("use_cache " << use_cache);
    greedy.use_cache = use_cache;
    // Prompts 0 and 2 share a length and run as one batch of rows {0, 2}; prompt 1 runs alone.
    const auto g = lm::generate(m, {{0}, {5, 5}, {1}}, greedy);
    CHECK(g[0].tokens == std::vector<int32_t>{1, 2, 3, 4});
    CHECK(g[1].tokens == std::vector<int32_t>{7, 9, 1, 3});
    CHECK(g[2].tokens == std::vector<int32_t>{4, 7, 0, 3});
  }
}

TEST_CASE("generate drives any CausalLM: GPT, the LSTM LM and a user's own decoder") {
  static_assert(lm::CausalLM<nn::GPT<float>>);
  static_assert(lm::CausalLM<nn::LSTMLM<double>>);
  static_assert(lm::CausalLM<Bigram>);
  Bigram bigram;
  lm::GenerateOptions greedy;
  greedy.max_new_tokens = 6;
  greedy.sampling.temperature = 0;
  const auto g = lm::generate(bigram, {{2}, {0, 1}}, greedy);
  CHECK(g[0].tokens == std::vector<int32_t>{3, 0, 1, 2, 3, 0});
  CHECK(g[1].tokens == std::vector<int32_t>{2, 3, 0, 1, 2, 3});
  CHECK(g[0].finish == lm::FinishReason::Length);
  nn::LSTMLM<double> lstm({9, 4, 6, 1}, 2);
  for (auto temp : {0.0, 1.0}) {
    lm::GenerateOptions o;
    o.max_new_tokens = 12;
    o.sampling.temperature = temp;
    o.seed = 3;
    const auto a = lm::generate(lstm, {{1, 2, 3}, {4, 5, 6}}, o);
    o.use_cache = false;
    const auto b = lm::generate(lstm, {{1, 2, 3}, {4, 5, 6}}, o);
    INFO("temperature " << temp);
    CHECK(a[0].tokens == b[0].tokens);
    CHECK(a[1].tokens == b[1].tokens);
    CHECK(a[0].tokens.size() == 12);
  }
}

TEST_CASE("a batch of prompts of different lengths: each output is what that prompt alone gives") {
  nn::GPT<double> m({13, 10, 2, 2, 8, 0.0}, 3);
  const std::vector<std::vector<int32_t>> prompts{{4}, {1, 2, 3}, {5, 6, 7}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 11, 12}};
  for (auto temp : {0.0, 0.9}) {
    lm::GenerateOptions o;
    o.max_new_tokens = 25;  // past block_size 10: the window restarts
    o.sampling.temperature = temp;
    o.seed = 11;
    const auto batch = lm::generate(m, prompts, o);
    o.use_cache = false;
    const auto uncached = lm::generate(m, prompts, o);
    INFO("temperature " << temp);
    for (std::size_t p = 0; p < prompts.size(); ++p) {
      CHECK(batch[p].tokens.size() == 25);
      CHECK(batch[p].tokens == uncached[p].tokens);
    }
    // Another prompt in the batch changes nothing for prompt 1 (its generator is its own).
    auto changed = prompts;
    changed[2] = {10, 10, 10};
    o.use_cache = true;
    CHECK(lm::generate(m, changed, o)[1].tokens == batch[1].tokens);
    if (temp == 0) {
      for (std::size_t p = 0; p < prompts.size(); ++p) {
        lm::GenerateOptions one = o;
        CHECK(lm::generate(m, {prompts[p]}, one)[0].tokens == batch[p].tokens);  // greedy: the same alone
      }
    }
  }
}

TEST_CASE("generation stops at a stop token or a stop string, and streams every token to the callback") {
  Bigram bigram;  // greedy: 0 1 2 3 0 1 ...
  lm::GenerateOptions o;
  o.max_new_tokens = 20;
  o.sampling.temperature = 0;
  o.stop_tokens = {3};
  std::vector<std::pair<int64_t, int32_t>> streamed;
  o.on_token = [&](int64_t p, int32_t t) { streamed.emplace_back(p, t); };
  auto g = lm::generate(bigram, {{0}, {2}}, o);
  CHECK(g[0].tokens == std::vector<int32_t>{1, 2});  // the stop token is not in the output
  CHECK(g[0].finish == lm::FinishReason::StopToken);
  CHECK(g[1].tokens.empty());
  CHECK(g[1].finish == lm::FinishReason::StopToken);
  CHECK(streamed == std::vector<std::pair<int64_t, int32_t>>{{0, 1}, {0, 2}});
  lm::GenerateOptions s;
  s.max_new_tokens = 20;
  s.sampling.temperature = 0;
  s.decode = [](const std::vector<int32_t>& ids) {
    std::string t;
    for (int32_t i : ids) t += "abcd"[i];
    return t;
  };
  s.stop_strings = {"da"};  // 3 then 0
  g = lm::generate(bigram, {{1}}, s);
  CHECK(g[0].tokens == std::vector<int32_t>{2, 3, 0});  // through the token that completed "da"
  CHECK(g[0].finish == lm::FinishReason::StopString);
  lm::GenerateOptions bad;
  bad.stop_strings = {"x"};
  CHECK_THROWS_WITH_AS(lm::generate(bigram, {{1}}, bad), "generate: stop_strings need a decode function",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(lm::generate(bigram, {{1}, {}}), "generate: prompt 1 is empty; give at least one token",
                       tinylm::Error);
  bad = {};
  bad.max_new_tokens = -1;
  CHECK_THROWS_WITH_AS(lm::generate(bigram, {{1}}, bad), "generate: max_new_tokens must be >= 0, got -1",
                       tinylm::Error);
}

TEST_CASE("a model with a context of one token generates: each token from the one before it") {
  nn::GPT<double> m({7, 1, 1, 1, 4, 0.0}, 5);  // block_size 1 (a window restarted from half of it was empty)
  lm::GenerateOptions o;
  o.max_new_tokens = 6;
  o.sampling.temperature = 0.0;
  const auto a = lm::generate(m, {{3, 4}}, o);
  o.use_cache = false;
  const auto b = lm::generate(m, {{3, 4}}, o);
  REQUIRE(a[0].tokens.size() == 6);
  CHECK(a[0].tokens == b[0].tokens);
  // Greedy with one token of context: the next token is the argmax of the logits at the one before it.
  int32_t prev = 4;
  for (int32_t t : a[0].tokens) {
    tinylm::NoGradGuard no_grad;
    const auto logits = m.forward(Tensor<int32_t>::from_vector({prev}, {1, 1}));  // (1, 1, V)
    CHECK(t == tinylm::argmax(logits, -1).item());
    prev = t;
  }
}
