#include "helpers.hpp"

namespace k = tinylm::kernels::cpu;

TEST_CASE("sum_squares equals a plain double loop at odd sizes, with and without threads") {
  const int threads_before = tinylm::num_threads();
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{15}, int64_t{17}, int64_t{100'003}, int64_t{300'007}}) {
    tinylm::Generator g(static_cast<uint64_t>(n) + 1);
    std::vector<float> x(static_cast<std::size_t>(n));
    for (auto& v : x) v = float(g.uniform() * 4 - 2);
    double want = 0;
    for (float v : x) want += double(v) * double(v);
    INFO("n = " << n);
    for (int threads : {1, 2}) {
      tinylm::set_num_threads(threads);
      const double got = k::sum_squares(x.data(), n);
      CHECK(got == doctest::Approx(want).epsilon(1e-12));
      CHECK(k::sum_squares(x.data(), n) == got);  // the same bits every time
    }
  }
  tinylm::set_num_threads(threads_before);
  const std::vector<float> known{3, 4, -12};
  CHECK(k::sum_squares(known.data(), 3) == 169.0);
}

TEST_CASE("first_non_finite finds the smallest index of a NaN or infinity, with and without threads") {
  const int threads_before = tinylm::num_threads();
  const int64_t n = 300'007;  // several chunks of kParallelGrain
  std::vector<float> x(static_cast<std::size_t>(n), 1.5f);
  for (int threads : {1, 2}) {
    tinylm::set_num_threads(threads);
    INFO("threads = " << threads);
    CHECK(k::first_non_finite(x.data(), n) == -1);
    CHECK(k::first_non_finite(x.data(), int64_t{0}) == -1);
    x[250'000] = std::numeric_limits<float>::infinity();  // in a later chunk
    CHECK(k::first_non_finite(x.data(), n) == 250'000);
    x[170'001] = std::nanf("");
    CHECK(k::first_non_finite(x.data(), n) == 170'001);
    x[3] = -std::numeric_limits<float>::infinity();
    CHECK(k::first_non_finite(x.data(), n) == 3);
    CHECK(k::first_non_finite(x.data(), int64_t{3}) == -1);  // the bound is respected
    x[3] = x[170'001] = x[250'000] = 1.5f;
  }
  tinylm::set_num_threads(threads_before);
  const std::vector<double> big{1e308, -1e308, std::numeric_limits<double>::max()};
  CHECK(k::first_non_finite(big.data(), 3) == -1);  // large is not infinite
}

TEST_CASE("sum_axis sums the rows of a bias gradient") {
  const int64_t N = 300, C = 70;
  std::vector<double> x(N * C), out(C);
  for (int64_t i = 0; i < N * C; ++i) x[i] = double(i % 13) - 6;
  k::sum_axis(out.data(), x.data(), int64_t{1}, N, C);
  for (int64_t c = 0; c < C; ++c) {
    double want = 0;
    for (int64_t r = 0; r < N; ++r) want += x[r * C + c];
    CHECK(out[c] == want);
  }
}
