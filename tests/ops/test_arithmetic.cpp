#include "helpers.hpp"

using th::leaf;
using th::TensorList;
using tinylm::Tensor;

TEST_CASE("add/sub/mul/div known values with broadcasting") {
  const auto a = Tensor<double>::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  const auto b = Tensor<double>::from_vector({10, 20, 30});
  CHECK((a + b).to_vector() == std::vector<double>{11, 22, 33, 14, 25, 36});
  CHECK((a - b).to_vector() == std::vector<double>{-9, -18, -27, -6, -15, -24});
  CHECK((a * b).to_vector() == std::vector<double>{10, 40, 90, 40, 100, 180});
  CHECK((b / a).to_vector() == std::vector<double>{10, 10, 10, 2.5, 4, 5});
  CHECK((-a).to_vector() == std::vector<double>{-1, -2, -3, -4, -5, -6});
  const auto col = Tensor<double>::from_vector({1, 2}, {2, 1});
  CHECK((a * col).to_vector() == std::vector<double>{1, 2, 3, 8, 10, 12});
}

TEST_CASE("scalar arithmetic on either side") {
  const auto a = Tensor<float>::from_vector({1, 2, 4});
  CHECK((a + 1).to_vector() == std::vector<float>{2, 3, 5});
  CHECK((1.5 + a).to_vector() == std::vector<float>{2.5, 3.5, 5.5});
  CHECK((a - 1).to_vector() == std::vector<float>{0, 1, 3});
  CHECK((10 - a).to_vector() == std::vector<float>{9, 8, 6});
  CHECK((a * 2).to_vector() == std::vector<float>{2, 4, 8});
  CHECK((a / 2).to_vector() == std::vector<float>{0.5, 1, 2});
  CHECK((4 / a).to_vector() == std::vector<float>{4, 2, 1});
  CHECK(tinylm::pow(a, 2).to_vector() == std::vector<float>{1, 4, 16});
  CHECK(tinylm::pow(a, Tensor<float>::from_vector({0, 1, 0.5})).to_vector() == std::vector<float>{1, 2, 2});
}

TEST_CASE("integer tensors do arithmetic without gradients") {
  const auto a = Tensor<int64_t>::arange(4);
  CHECK((a + a * 3).to_vector() == std::vector<int64_t>{0, 4, 8, 12});
}

TEST_CASE("gradcheck: binary ops, contiguous, transposed and broadcast inputs") {
  auto a = leaf({3, 4}, 1), b = leaf({3, 4}, 2), bt = leaf({4, 3}, 3), row = leaf({4}, 4), col = leaf({3, 1}, 5);
  auto pos = leaf({3, 4}, 6, 0.5, 2.0), posrow = leaf({4}, 7, 0.5, 2.0);
  th::check_grad([](const TensorList& x) { return x[0] + x[1]; }, {a, b});
  th::check_grad([](const TensorList& x) { return x[0] - x[1].transpose(0, 1); }, {a, bt});
  th::check_grad([](const TensorList& x) { return x[0] * x[1]; }, {a, row});
  th::check_grad([](const TensorList& x) { return x[1] * x[0].transpose(0, 1); }, {bt, col});
  th::check_grad([](const TensorList& x) { return x[0] / x[1]; }, {a, pos});
  th::check_grad([](const TensorList& x) { return x[1] / x[0]; }, {posrow, pos});
  th::check_grad([](const TensorList& x) { return -x[0] + x[1] - x[0] * x[1]; }, {a, col});
  th::check_grad([](const TensorList& x) { return tinylm::pow(x[0], x[1]); }, {pos, a});
}

TEST_CASE("gradcheck: scalar ops and edge sizes") {
  auto a = leaf({17}, 8), pos = leaf({1, 17}, 9, 0.5, 2.0), one = leaf({1}, 10);
  th::check_grad([](const TensorList& x) { return x[0] * 3.0 + 2.0; }, {a});
  th::check_grad([](const TensorList& x) { return 1.0 - x[0] / 4.0; }, {a});
  th::check_grad([](const TensorList& x) { return 2.0 / x[0]; }, {pos});
  th::check_grad([](const TensorList& x) { return tinylm::pow(x[0], 3) + tinylm::pow(x[0], -1.5); }, {pos});
  th::check_grad([](const TensorList& x) { return x[0] * x[1]; }, {pos, one});
}

TEST_CASE("a sum_to of the broadcast gradient lands on the input's shape (known values)") {
  auto a = Tensor<double>::ones({2, 3}).requires_grad_();
  auto b = Tensor<double>::from_vector({1, 2, 3}).requires_grad_();
  (a * b).sum().backward();
  CHECK(b.grad().to_vector() == std::vector<double>{2, 2, 2});
  CHECK(a.grad().to_vector() == std::vector<double>{1, 2, 3, 1, 2, 3});
}

TEST_CASE("shape mismatches name the op and both shapes") {
  const auto a = Tensor<float>::zeros({2, 3}), b = Tensor<float>::zeros({2});
  CHECK_THROWS_WITH_AS(a + b, "add: a is [2, 3], b is [2]: shapes cannot be broadcast (dim -1: 3 vs 2)", tinylm::Error);
  CHECK_THROWS_WITH_AS(a * b, "mul: a is [2, 3], b is [2]: shapes cannot be broadcast (dim -1: 3 vs 2)", tinylm::Error);
  CHECK_THROWS_WITH_AS(a - Tensor<float>(), "sub: b is an undefined tensor", tinylm::Error);
}
