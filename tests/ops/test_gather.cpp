#include "helpers.hpp"

using th::leaf;
using th::TensorList;
using tinylm::Tensor;

TEST_CASE("index_select picks whole slices along any dim, in the index's order, repeats allowed") {
  const auto x = Tensor<double>::arange(0, 24).reshape({2, 3, 4});
  const auto idx = Tensor<int64_t>::from_vector({2, 0, 2});
  for (int64_t dim = 0; dim < 3; ++dim) {
    INFO("dim " << dim);
    const auto i = dim == 0 ? Tensor<int64_t>::from_vector({1, 1, 0}) : idx;
    const auto y = tinylm::index_select(x, dim, i);
    tinylm::Shape shape = x.shape();
    shape[static_cast<int>(dim)] = 3;
    REQUIRE(y.shape() == shape);
    for (int64_t a = 0; a < shape[0]; ++a)
      for (int64_t b = 0; b < shape[1]; ++b)
        for (int64_t c = 0; c < shape[2]; ++c) {
          int64_t src[3] = {a, b, c};
          src[dim] = i.data()[dim == 0 ? a : dim == 1 ? b : c];
          CHECK(y.at({a, b, c}) == x.at({src[0], src[1], src[2]}));
        }
  }
  // Non-contiguous input, int32 index, and a tensor of ids.
  const auto t = tinylm::index_select(x.transpose(0, 2), 0, Tensor<int32_t>::from_vector({3}));
  CHECK(t.reshape({6}).to_vector() == std::vector<double>{3, 15, 7, 19, 11, 23});
  const auto ids = tinylm::index_select(Tensor<int32_t>::from_vector({5, 6, 7}), 0, idx);
  CHECK(ids.to_vector() == std::vector<int32_t>{7, 5, 7});
}

TEST_CASE("gradcheck: index_select, repeated indices add up") {
  auto x = leaf({3, 4, 2}, 1);
  const auto idx = Tensor<int64_t>::from_vector({3, 1, 3, 0});
  th::check_grad([&](const TensorList& in) { return tinylm::index_select(in[0], 1, idx); }, {x});
  th::check_grad([&](const TensorList& in) { return tinylm::index_select(in[0].transpose(0, 1), 0, idx); }, {x});
  auto y = leaf({3, 2}, 2);
  tinylm::index_select(y, 0, Tensor<int64_t>::from_vector({2, 2, 2})).sum().backward();
  CHECK(y.grad().to_vector() == std::vector<double>{0, 0, 0, 0, 3, 3});
}

TEST_CASE("index_select errors name the index and the rule") {
  const auto x = Tensor<float>::zeros({2, 3});
  CHECK_THROWS_WITH_AS(tinylm::index_select(x, 1, Tensor<int64_t>::from_vector({0, 3})),
                       "index_select: index 3 at position 1 is out of range for dim 1 of size 3", tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::index_select(x, 0, Tensor<int64_t>::zeros({1, 1})),
                       "index_select: index is [1, 1]: expected a 1-D list of indices", tinylm::Error);
  CHECK_THROWS_AS(tinylm::index_select(x, 2, Tensor<int64_t>::zeros({1})), tinylm::Error);
}
