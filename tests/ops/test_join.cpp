#include "helpers.hpp"

using th::leaf;
using th::TensorList;
using tinylm::Shape;
using tinylm::Tensor;

TEST_CASE("cat, stack, split and chunk (known values)") {
  const auto a = Tensor<int64_t>::arange(6).reshape({2, 3});
  const auto b = Tensor<int64_t>::arange(6, 10).reshape({2, 2});
  CHECK(tinylm::cat<int64_t>({a, b}, 1).to_vector() == std::vector<int64_t>{0, 1, 2, 6, 7, 3, 4, 5, 8, 9});
  CHECK(tinylm::cat<int64_t>({a, a}, 0).shape() == Shape{4, 3});
  const auto s = tinylm::stack<int64_t>({a, a * 10}, 1);
  CHECK(s.shape() == Shape{2, 2, 3});
  CHECK(s.to_vector() == std::vector<int64_t>{0, 1, 2, 0, 10, 20, 3, 4, 5, 30, 40, 50});
  const auto parts = tinylm::split(Tensor<int64_t>::arange(7), 3, 0);
  REQUIRE(parts.size() == 3);
  CHECK(parts[2].to_vector() == std::vector<int64_t>{6});
  const auto uneven = tinylm::split(a, std::vector<int64_t>{1, 2}, 1);
  CHECK(uneven[1].to_vector() == std::vector<int64_t>{1, 2, 4, 5});
  CHECK(tinylm::chunk(a, 3, 1).size() == 3);
}

TEST_CASE("gradcheck: cat, stack, split of strided inputs") {
  auto a = leaf({2, 3}, 1), b = leaf({2, 5}, 2), c = leaf({3, 2}, 3);
  th::check_grad(
      [](const TensorList& x) {
        return tinylm::cat<double>({x[0], x[1], x[2].transpose(0, 1)}, 1);
      },
      {a, b, c});
  th::check_grad([](const TensorList& x) { return tinylm::stack<double>({x[0], x[1].transpose(0, 1)}, 0); }, {a, c});
  th::check_grad(
      [](const TensorList& x) {
        auto p = tinylm::split(x[0], 2, 1);
        return p[0] * p[1] + p[2].sum();
      },
      {b});
}

TEST_CASE("cat and split errors") {
  const auto a = Tensor<float>::zeros({2, 3}), b = Tensor<float>::zeros({3, 3});
  CHECK_THROWS_WITH_AS(tinylm::cat<float>({a, b}, 1),
                       "cat: tensor 0 is [2, 3], tensor 1 is [3, 3]: all sizes but dim 1 must match", tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::stack<float>({a, b}, 0),
                       "stack: tensor 0 is [2, 3], tensor 1 is [3, 3]: all shapes must match", tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::split(a, std::vector<int64_t>{1, 1}, 1),
                       "split: sizes add up to 2 but dim 1 of shape [2, 3] has 3", tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::cat<float>({}, 0), "cat: needs at least one tensor", tinylm::Error);
}
