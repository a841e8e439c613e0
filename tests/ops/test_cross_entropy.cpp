#include <cmath>

#include "helpers.hpp"

using th::leaf;
using th::TensorList;
using tinylm::Tensor;

namespace {

double naive_ce(const std::vector<double>& x, const std::vector<int64_t>& t, int64_t V, int64_t ignore) {
  double total = 0;
  int count = 0;
  for (std::size_t r = 0; r < t.size(); ++r) {
    if (t[r] == ignore) continue;
    double m = -INFINITY, s = 0;
    for (int64_t j = 0; j < V; ++j) m = std::max(m, x[r * V + j]);
    for (int64_t j = 0; j < V; ++j) s += std::exp(x[r * V + j] - m);
    total += m + std::log(s) - x[r * V + t[r]];
    ++count;
  }
  return total / count;
}

// Label smoothing by its definition: the cross-entropy against the target
// distribution (1 - eps) * onehot(t) + eps / V.
double naive_smoothed_ce(const std::vector<double>& x, const std::vector<int64_t>& t, int64_t V, int64_t ignore,
                         double eps) {
  double total = 0;
  int count = 0;
  for (std::size_t r = 0; r < t.size(); ++r) {
    if (t[r] == ignore) continue;
    double m = -INFINITY, s = 0;
    for (int64_t j = 0; j < V; ++j) m = std::max(m, x[r * V + j]);
    for (int64_t j = 0; j < V; ++j) s += std::exp(x[r * V + j] - m);
    for (int64_t j = 0; j < V; ++j) {
      const double target = (j == t[r] ? 1.0 - eps : 0.0) + eps / static_cast<double>(V);
      total -= target * (x[r * V + j] - m - std::log(s));
    }
    ++count;
  }
  return total / count;
}

}  // namespace

TEST_CASE("cross_entropy known values, with ignore_index") {
  // Uniform logits over V classes give exactly ln V.
  const auto u = Tensor<double>::zeros({4, 65});
  CHECK(tinylm::cross_entropy(u, Tensor<int64_t>::from_vector({0, 5, 64, 3})).item() ==
        doctest::Approx(std::log(65.0)).epsilon(1e-15));
  tinylm::Generator g(2);
  const auto x = Tensor<double>::randn({6, 17}, g) * 3.0;
  const std::vector<int64_t> t{3, 16, -100, 0, 7, -100};
  const auto tt = Tensor<int64_t>::from_vector(t);
  CHECK(tinylm::cross_entropy(x, tt).item() == doctest::Approx(naive_ce(x.to_vector(), t, 17, -100)).epsilon(1e-14));
  // another ignore_index: -100 is then an ordinary (out of range) target
  const std::vector<int64_t> t7{3, 16, 7, 0, 7, 1};
  CHECK(tinylm::cross_entropy(x, Tensor<int64_t>::from_vector(t7), 7).item() ==
        doctest::Approx(naive_ce(x.to_vector(), t7, 17, 7)).epsilon(1e-14));
  // [B, T, V] logits with [B, T] targets are read as [B*T, V].
  const auto x3 = x.reshape({2, 3, 17});
  const auto t3 = Tensor<int32_t>::from_vector({3, 16, 1, 0, 7, 2}, {2, 3});
  CHECK(tinylm::cross_entropy(x3, t3).item() ==
        doctest::Approx(naive_ce(x.to_vector(), {3, 16, 1, 0, 7, 2}, 17, -100)).epsilon(1e-14));
  // all rows ignored: 0/0, as PyTorch
  CHECK(std::isnan(tinylm::cross_entropy(x, Tensor<int64_t>::full({6}, -100)).item()));
}

TEST_CASE("gradcheck: cross_entropy, contiguous and transposed logits, ignored rows") {
  auto x = leaf({5, 7}, 1, -2, 2), xt = leaf({7, 5}, 2, -2, 2);
  const auto t = Tensor<int64_t>::from_vector({0, 6, -100, 3, 3});
  th::check_grad([&](const TensorList& in) { return tinylm::cross_entropy(in[0], t); }, {x});
  th::check_grad([&](const TensorList& in) { return tinylm::cross_entropy(in[0].transpose(0, 1), t); }, {xt});
  th::check_grad([&](const TensorList& in) { return tinylm::cross_entropy_reference(in[0], t); }, {x});
}

TEST_CASE("fused cross_entropy equals its reference composition in value and gradient") {
  auto x1 = leaf({9, 33}, 3, -4, 4), x2 = leaf({9, 33}, 3, -4, 4);
  const auto t = Tensor<int64_t>::from_vector({0, 32, 5, -100, 17, 17, 1, 2, 31});
  const auto l1 = tinylm::cross_entropy(x1, t), l2 = tinylm::cross_entropy_reference(x2, t);
  CHECK(l1.item() == doctest::Approx(l2.item()).epsilon(1e-14));
  (l1 * 3.0).backward();
  (l2 * 3.0).backward();
  th::check_close(x1.grad().to_vector(), x2.grad().to_vector(), 1e-14);
}

TEST_CASE("label-smoothed cross_entropy: known values, gradcheck, equal to its composition, padding excluded") {
  tinylm::Generator g(5);
  const auto x = Tensor<double>::randn({6, 11}, g) * 2.0;
  const std::vector<int64_t> t{3, 10, 0, 0, 7, 2}, padded{3, 10, 0, 0, 7, 2};
  for (double eps : {0.0, 0.1, 0.5, 1.0}) {
    INFO("eps " << eps);
    CHECK(tinylm::cross_entropy(x, Tensor<int64_t>::from_vector(t), {.label_smoothing = eps}).item() ==
          doctest::Approx(naive_smoothed_ce(x.to_vector(), t, 11, -100, eps)).epsilon(1e-14));
    // padding (id 0 here) is left out, smoothing and all
    CHECK(tinylm::cross_entropy(x, Tensor<int64_t>::from_vector(padded), {.ignore_index = 0, .label_smoothing = eps})
              .item() == doctest::Approx(naive_smoothed_ce(x.to_vector(), padded, 11, 0, eps)).epsilon(1e-14));
  }
  // Uniform logits: ln V whatever eps is.
  CHECK(tinylm::cross_entropy(Tensor<double>::zeros({2, 7}), Tensor<int64_t>::from_vector({1, 6}),
                              {.label_smoothing = 0.3})
            .item() == doctest::Approx(std::log(7.0)).epsilon(1e-15));
  auto x1 = leaf({5, 7}, 11, -2, 2), x2 = leaf({5, 7}, 11, -2, 2);
  const auto tt = Tensor<int64_t>::from_vector({0, 6, -100, 3, 3});
  const tinylm::CrossEntropyOptions smooth{.label_smoothing = 0.2};
  th::check_grad([&](const TensorList& in) { return tinylm::cross_entropy(in[0], tt, smooth); }, {x1});
  th::check_grad([&](const TensorList& in) { return tinylm::cross_entropy(in[0].transpose(0, 1), tt, smooth); },
                 {leaf({7, 5}, 12, -2, 2)});
  const auto l1 = tinylm::cross_entropy(x1, tt, smooth), l2 = tinylm::cross_entropy_reference(x2, tt, smooth);
  CHECK(l1.item() == doctest::Approx(l2.item()).epsilon(1e-14));
  (l1 * 2.0).backward();
  (l2 * 2.0).backward();
  th::check_close(x1.grad().to_vector(), x2.grad().to_vector(), 1e-14);
  for (int j = 0; j < 7; ++j) CHECK(th::elem(x1.grad(), 2 * 7 + j) == 0.0);  // the ignored row
  CHECK_THROWS_WITH_AS(tinylm::cross_entropy(x, Tensor<int64_t>::from_vector(t), {.label_smoothing = 1.5}),
                       "cross_entropy: label_smoothing is 1.5: it must be in [0, 1]", tinylm::Error);
}

TEST_CASE("cross_entropy errors name the bad target or shape") {
  const auto x = Tensor<float>::zeros({3, 65});
  CHECK_THROWS_WITH_AS(tinylm::cross_entropy(x, Tensor<int64_t>::from_vector({1, 70, 2})),
                       "cross_entropy: target 70 at position 1 is out of range for 65 classes", tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::cross_entropy(x, Tensor<int64_t>::from_vector({1, 2})),
                       "cross_entropy: logits are [3, 65], targets are [2]: targets must be logits.shape[:-1] = [3]",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::cross_entropy(Tensor<float>::zeros({65}), Tensor<int64_t>::zeros({})),
                       "cross_entropy: logits are [65]: expected [N, V] (or [..., V])", tinylm::Error);
}
