#include "helpers.hpp"

using th::leaf;
using th::TensorList;
using tinylm::Shape;
using tinylm::Tensor;

TEST_CASE("sum and mean over dims, with and without keepdim (known values)") {
  const auto t = Tensor<double>::arange(0.0, 24.0).reshape({2, 3, 4});
  CHECK(t.sum().item() == 276);
  CHECK(t.mean().item() == 11.5);
  CHECK(t.sum({1}).shape() == Shape{2, 4});
  CHECK(t.sum({1}).to_vector() == std::vector<double>{12, 15, 18, 21, 48, 51, 54, 57});
  CHECK(t.sum({1}, true).shape() == Shape{2, 1, 4});
  CHECK(t.sum({0, 2}).to_vector() == std::vector<double>{60, 92, 124});
  CHECK(t.sum({-1, 0}, true).shape() == Shape{1, 3, 1});
  CHECK(t.mean({0, 1}).to_vector() == std::vector<double>{10, 11, 12, 13});
  // t.transpose(0, 2) is [4, 3, 2]; summing its dim 0 sums t over its last dim
  CHECK(t.transpose(0, 2).sum({0}).to_vector() == std::vector<double>{6, 54, 22, 70, 38, 86});
  CHECK(Tensor<double>::zeros({0, 3}).sum({0}).to_vector() == std::vector<double>{0, 0, 0});
}

TEST_CASE("max and argmax (known values, first index wins ties)") {
  const auto t = Tensor<double>::from_vector({1, 5, 5, 2, 9, 0}, {2, 3});
  CHECK(t.max().item() == 9);
  CHECK(t.max(1).values.to_vector() == std::vector<double>{5, 9});
  CHECK(t.max(0, true).values.shape() == Shape{1, 3});
  CHECK(t.max(1).indices.to_vector() == std::vector<int64_t>{1, 1});
  CHECK(tinylm::argmax(t, 1).to_vector() == std::vector<int64_t>{1, 1});
  CHECK(tinylm::argmax(t, 0).to_vector() == std::vector<int64_t>{1, 1, 0});
}

TEST_CASE("gradcheck: reductions, contiguous and strided, several dims") {
  auto x = leaf({3, 4, 5}, 1), xt = leaf({5, 4, 3}, 2), one = leaf({1, 17}, 3);
  th::check_grad([](const TensorList& in) { return in[0].sum(); }, {x});
  th::check_grad([](const TensorList& in) { return in[0].sum({1}); }, {x});
  th::check_grad([](const TensorList& in) { return in[0].sum({0, 2}, true); }, {x});
  th::check_grad([](const TensorList& in) { return in[0].permute({2, 0, 1}).mean({1}); }, {xt});
  th::check_grad([](const TensorList& in) { return in[0].mean({-1}, true); }, {one});
  th::check_grad([](const TensorList& in) { return in[0].max(1).values; }, {x});
  th::check_grad([](const TensorList& in) { return in[0].transpose(0, 2).max(-1, true).values; }, {xt});
  th::check_grad([](const TensorList& in) { return in[0].max(); }, {one});
}

TEST_CASE("sum_to reverses broadcasting") {
  const auto g = Tensor<double>::ones({2, 3, 4});
  CHECK(tinylm::sum_to(g, {3, 1}).to_vector() == std::vector<double>{8, 8, 8});
  CHECK(tinylm::sum_to(g, {4}).to_vector() == std::vector<double>{6, 6, 6, 6});
  CHECK(tinylm::sum_to(g, {}).item() == 24);
  CHECK_THROWS_WITH_AS(tinylm::sum_to(g, {5}), "sum_to: cannot reduce [2, 3, 4] to [5]", tinylm::Error);
}

TEST_CASE("reduction errors name the op") {
  const auto t = Tensor<double>::zeros({2, 3});
  CHECK_THROWS_WITH_AS(t.sum({2}), "sum: dim 2 is out of range for a tensor with 2 dimensions", tinylm::Error);
  CHECK_THROWS_WITH_AS(t.sum({1, -1}), "sum: dim 1 appears twice in [1, -1]", tinylm::Error);
  CHECK_THROWS_WITH_AS(Tensor<double>::zeros({0}).max(), "max: cannot reduce an empty tensor of shape [0]",
                       tinylm::Error);
}
