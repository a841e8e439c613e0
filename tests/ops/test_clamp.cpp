#include <cmath>

#include "helpers.hpp"

using th::leaf;
using th::TensorList;
using tinylm::Tensor;

TEST_CASE("clamp limits to [min, max], either bound optional; NaN stays NaN") {
  const auto x = Tensor<double>::from_vector({-3, -1, 0, 0.5, 2, 7});
  CHECK(tinylm::clamp(x, -1.0, 2.0).to_vector() == std::vector<double>{-1, -1, 0, 0.5, 2, 2});
  CHECK(tinylm::clamp(x, 0.0, std::nullopt).to_vector() == std::vector<double>{0, 0, 0, 0.5, 2, 7});
  CHECK(tinylm::clamp(x, std::nullopt, 0.0).to_vector() == std::vector<double>{-3, -1, 0, 0, 0, 0});
  CHECK(tinylm::clamp(Tensor<int64_t>::arange(5), 1.0, 3.0).to_vector() == std::vector<int64_t>{1, 1, 2, 3, 3});
  CHECK(std::isnan(tinylm::clamp(Tensor<float>::from_vector({NAN}), 0.0, 1.0).item()));
  CHECK_THROWS_WITH_AS(tinylm::clamp(x, 2.0, 1.0), "clamp: min (2) is greater than max (1)", tinylm::Error);
}

TEST_CASE("clamp's gradient passes inside the bounds (inclusive) and stops outside") {
  auto x = Tensor<double>::from_vector({-3, -1, 0, 2, 7});
  x.requires_grad_();
  tinylm::clamp(x, -1.0, 2.0).sum().backward();
  CHECK(x.grad().to_vector() == std::vector<double>{0, 1, 1, 1, 0});
  auto y = leaf({4, 6}, 1, -3, 3);  // no element within 1e-6 of a bound (checked below)
  for (double v : y.to_vector()) REQUIRE((std::fabs(v - 1.0) > 1e-3 && std::fabs(v + 1.0) > 1e-3));
  th::check_grad([](const TensorList& in) { return tinylm::clamp(in[0], -1.0, 1.0); }, {y});
  th::check_grad([](const TensorList& in) { return tinylm::clamp(in[0].transpose(0, 1), std::nullopt, 1.0); }, {y});
}

TEST_CASE("minimum and maximum broadcast, match a naive loop, and split the gradient at ties") {
  const auto a = Tensor<double>::from_vector({1, 5, 3, 4, 2, 6}, {2, 3});
  const auto b = Tensor<double>::from_vector({2, 5, 1});
  CHECK(tinylm::minimum(a, b).to_vector() == std::vector<double>{1, 5, 1, 2, 2, 1});
  CHECK(tinylm::maximum(a, b).to_vector() == std::vector<double>{2, 5, 3, 4, 5, 6});
  CHECK(std::isnan(tinylm::maximum(Tensor<double>::from_vector({NAN}), Tensor<double>::from_vector({1})).item()));
  auto p = Tensor<double>::from_vector({1, 2}), q = Tensor<double>::from_vector({1, 3});
  p.requires_grad_();
  q.requires_grad_();
  tinylm::maximum(p, q).sum().backward();
  CHECK(p.grad().to_vector() == std::vector<double>{0.5, 0});
  CHECK(q.grad().to_vector() == std::vector<double>{0.5, 1});
  auto x = leaf({3, 4}, 2), y = leaf({4}, 3), yt = leaf({4, 3}, 4);
  th::check_grad([](const TensorList& in) { return tinylm::minimum(in[0], in[1]); }, {x, y});
  th::check_grad([](const TensorList& in) { return tinylm::maximum(in[0], in[1].transpose(0, 1)); }, {x, yt});
  CHECK_THROWS_WITH_AS(tinylm::maximum(a, Tensor<double>::ones({2})),
                       "maximum: a is [2, 3], b is [2]: shapes cannot be broadcast (dim -1: 3 vs 2)", tinylm::Error);
}
