#include <cmath>

#include "helpers.hpp"

using th::leaf;
using th::TensorList;
using tinylm::Tensor;

TEST_CASE("comparisons give bool tensors, with broadcasting and scalars") {
  const auto a = Tensor<double>::from_vector({1, 2, 3});
  const auto b = Tensor<double>::from_vector({2, 2, 2});
  CHECK(tinylm::lt(a, b).to_vector() == std::vector<bool>{true, false, false});
  CHECK(tinylm::le(a, b).to_vector() == std::vector<bool>{true, true, false});
  CHECK(tinylm::eq(a, 2.0).to_vector() == std::vector<bool>{false, true, false});
  CHECK(tinylm::ne(a, 2).to_vector() == std::vector<bool>{true, false, true});
  CHECK(tinylm::gt(a.reshape({3, 1}), b).shape() == tinylm::Shape{3, 3});
  CHECK(tinylm::logical_not(tinylm::ge(a, 2.0)).to_vector() == std::vector<bool>{true, false, false});
}

TEST_CASE("where, masked_fill, tril and the causal mask (known values)") {
  const auto c = Tensor<bool>::from_vector({true, false, true});
  const auto a = Tensor<double>::from_vector({1, 2, 3}), b = Tensor<double>::from_vector({-1});
  CHECK(tinylm::where(c, a, b).to_vector() == std::vector<double>{1, -1, 3});
  const auto m = tinylm::causal_mask(3);
  CHECK(m.to_vector() == std::vector<bool>{false, true, true, false, false, true, false, false, false});
  const auto s = tinylm::masked_fill(Tensor<double>::ones({2, 3, 3}), m, -INFINITY);
  CHECK(s.to_vector()[1] == -INFINITY);
  CHECK(s.to_vector()[9] == 1.0);
  CHECK(tinylm::tril(Tensor<int64_t>::ones({3, 3})).to_vector() == std::vector<int64_t>{1, 0, 0, 1, 1, 0, 1, 1, 1});
  CHECK(tinylm::tril(Tensor<int64_t>::ones({2, 3}), 1).to_vector() == std::vector<int64_t>{1, 1, 0, 1, 1, 1});
  CHECK_THROWS_WITH_AS(tinylm::masked_fill(Tensor<double>::ones({3}), tinylm::causal_mask(3), 0.0),
                       "masked_fill: mask of shape [3, 3] does not broadcast to x's shape [3]", tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::masked_fill(Tensor<double>::ones({3, 4}), Tensor<bool>::ones({2, 4}), 0.0),
                       "masked_fill: x is [3, 4], mask is [2, 4]: shapes cannot be broadcast (dim -2: 3 vs 2)",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::where(Tensor<bool>::ones({2}), Tensor<double>::ones({3}), Tensor<double>::ones({2})),
                       "where: cond is [2], a is [3]: shapes cannot be broadcast (dim -1: 2 vs 3)", tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::where(Tensor<bool>::ones({2}), Tensor<double>::ones({2}), Tensor<double>::ones({3})),
                       "where: cond with a is [2], b is [3]: shapes cannot be broadcast (dim -1: 2 vs 3)",
                       tinylm::Error);
}

TEST_CASE("gradcheck: where, masked_fill, tril") {
  auto a = leaf({3, 4}, 1), b = leaf({4}, 2);
  const auto c = tinylm::gt(Tensor<double>::randn({3, 4}), 0.0);
  const auto m = tinylm::causal_mask(4);
  th::check_grad([&](const TensorList& in) { return tinylm::where(c, in[0], in[1]); }, {a, b});
  th::check_grad([&](const TensorList& in) { return tinylm::masked_fill(in[0].expand({2, 4, 4}) * 1.0, m, 0.0); }, {b});
  th::check_grad([&](const TensorList& in) { return tinylm::tril(in[0].transpose(0, 1)); }, {a});
}

TEST_CASE("logical_and and logical_or broadcast over masks; where takes a number for either branch") {
  const auto m = Tensor<bool>::from_vector({true, false, true, false}, {2, 2});
  const auto row = Tensor<bool>::from_vector({true, false});
  CHECK(tinylm::logical_and(m, row).to_vector() == std::vector<bool>{true, false, true, false});
  CHECK(tinylm::logical_or(m, row).to_vector() == std::vector<bool>{true, false, true, false});
  CHECK(tinylm::logical_or(m, tinylm::logical_not(row)).to_vector() == std::vector<bool>{true, true, true, true});
  CHECK_THROWS_WITH_AS(tinylm::logical_and(m, Tensor<bool>::ones({3})),
                       "logical_and: a is [2, 2], b is [3]: shapes cannot be broadcast (dim -1: 2 vs 3)",
                       tinylm::Error);
  auto x = Tensor<double>::from_vector({1, -2, 3, -4});
  x.requires_grad_();
  const auto pos = tinylm::gt(x, 0.0);
  CHECK(tinylm::where(pos, x, 0.0).to_vector() == std::vector<double>{1, 0, 3, 0});
  CHECK(tinylm::where(pos, 9.0, x).to_vector() == std::vector<double>{9, -2, 9, -4});
  (tinylm::where(pos, x, 0.0) * 2.0).sum().backward();
  CHECK(x.grad().to_vector() == std::vector<double>{2, 0, 2, 0});
}
