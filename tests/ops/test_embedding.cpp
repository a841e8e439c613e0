#include "helpers.hpp"

using th::leaf;
using th::TensorList;
using tinylm::Shape;
using tinylm::Tensor;

TEST_CASE("embedding gathers rows; backward scatter-adds repeated ids (known values)") {
  auto w = Tensor<double>::arange(0.0, 12.0).reshape({4, 3}).requires_grad_();
  const auto idx = Tensor<int32_t>::from_vector({2, 0, 2, 3}, {2, 2});
  const auto e = tinylm::embedding(w, idx);
  CHECK(e.shape() == Shape{2, 2, 3});
  CHECK(e.to_vector() == std::vector<double>{6, 7, 8, 0, 1, 2, 6, 7, 8, 9, 10, 11});
  e.sum().backward();
  CHECK(w.grad().to_vector() == std::vector<double>{1, 1, 1, 0, 0, 0, 2, 2, 2, 1, 1, 1});
}

TEST_CASE("gradcheck: embedding, uint16 token ids") {
  auto w = leaf({5, 3}, 1);
  const auto idx = Tensor<uint16_t>::from_vector({4, 4, 0, 1, 3, 4}, {3, 2});
  th::check_grad([&](const TensorList& in) { return tinylm::embedding(in[0], idx); }, {w});
}

TEST_CASE("embedding errors name the bad index") {
  const auto w = Tensor<float>::zeros({65, 8});
  CHECK_THROWS_WITH_AS(tinylm::embedding(w, Tensor<int64_t>::from_vector({1, 65})),
                       "embedding: index 65 at position 1 is out of range for 65 rows", tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::embedding(w, Tensor<int64_t>::from_vector({-1})),
                       "embedding: index -1 at position 0 is out of range for 65 rows", tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::embedding(Tensor<float>::zeros({8}), Tensor<int64_t>::from_vector({1})),
                       "embedding: weight is [8]: expected [V, C]", tinylm::Error);
}

TEST_CASE("gather picks along a dim; gradcheck and range errors") {
  const auto x = Tensor<double>::arange(0.0, 6.0).reshape({2, 3});
  const auto idx = Tensor<int64_t>::from_vector({2, 0, 1, 1}, {2, 2});
  CHECK(tinylm::gather(x, 1, idx).to_vector() == std::vector<double>{2, 0, 4, 4});
  auto w = leaf({3, 4}, 2);
  const auto i0 = Tensor<int64_t>::from_vector({2, 0, 1, 2, 1, 1, 0, 0}, {2, 4});
  th::check_grad([&](const TensorList& in) { return tinylm::gather(in[0], 0, i0); }, {w});
  CHECK_THROWS_WITH_AS(tinylm::gather(x, 1, Tensor<int64_t>::from_vector({3, 0}, {2, 1})),
                       "gather: index 3 at position 0 is out of range for dim 1 of size 3", tinylm::Error);
}
