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
                       "generate: prompt token 13 at position 0 is out of range for a vocabulary of 13", tinylm::Error);
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
