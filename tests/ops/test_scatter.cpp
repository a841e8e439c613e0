#include "helpers.hpp"

using th::leaf;
using th::TensorList;
using tinylm::Tensor;

TEST_CASE("scatter and scatter_add equal a naive loop along each dim; repeated indices add up") {
  tinylm::Generator g(2);
  const auto x = Tensor<double>::randn({3, 4, 5}, g);
  for (int d : {0, 1, 2}) {
    tinylm::Shape ishape = x.shape();
    ishape[d] = 2;
    const auto src = Tensor<double>::randn(ishape, g);
    auto idx = Tensor<int64_t>::empty(ishape);
    for (int64_t i = 0; i < idx.numel(); ++i) idx.data()[i] = int64_t(g.below(uint64_t(x.size(d))));
    auto want_add = x.to_vector(), want_set = x.to_vector();
    const auto xs = x.strides(), is = idx.strides();
    for (int64_t a = 0; a < ishape[0]; ++a)
      for (int64_t b = 0; b < ishape[1]; ++b)
        for (int64_t c = 0; c < ishape[2]; ++c) {
          int64_t pos[3] = {a, b, c};
          const int64_t k = a * is[0] + b * is[1] + c * is[2];
          pos[d] = idx.data()[k];
          const int64_t off = pos[0] * xs[0] + pos[1] * xs[1] + pos[2] * xs[2];
          want_add[off] += src.data()[k];
          want_set[off] = src.data()[k];
        }
    INFO("dim " << d);
    th::check_close(tinylm::scatter_add(x, d, idx, src).to_vector(), want_add, 1e-15);
    CHECK(tinylm::scatter(x, d, idx, src).to_vector() == want_set);
  }
  const auto z = Tensor<double>::zeros({1, 3});
  const auto twice = Tensor<int64_t>::from_vector({2, 2, 0}, {1, 3});
  const auto ones = Tensor<double>::from_vector({1, 2, 4}, {1, 3});
  CHECK(tinylm::scatter_add(z, 1, twice, ones).to_vector() == std::vector<double>{4, 0, 3});
  CHECK(tinylm::scatter(z, 1, twice, ones).to_vector() == std::vector<double>{4, 0, 2});  // the last write wins
}

TEST_CASE("gradcheck: scatter_add (repeated indices) and scatter (distinct indices), both inputs") {
  auto x = leaf({3, 5}, 3), src = leaf({3, 2}, 4);
  const auto rep = Tensor<int64_t>::from_vector({1, 1, 0, 4, 3, 3}, {3, 2});
  const auto distinct = Tensor<int64_t>::from_vector({1, 2, 0, 4, 3, 2}, {3, 2});
  th::check_grad([rep](const TensorList& in) { return tinylm::scatter_add(in[0], 1, rep, in[1]); }, {x, src});
  th::check_grad([distinct](const TensorList& in) { return tinylm::scatter(in[0], 1, distinct, in[1]); }, {x, src});
  auto xt = leaf({5, 3}, 5);
  th::check_grad(
      [distinct](const TensorList& in) { return tinylm::scatter(in[0].transpose(0, 1), 1, distinct, in[1]); },
      {xt, src});
}

TEST_CASE("scatter errors name the argument and the rule") {
  const auto x = Tensor<double>::zeros({2, 3});
  CHECK_THROWS_WITH_AS(tinylm::scatter(x, 1, Tensor<int64_t>::zeros({2, 2}), Tensor<double>::zeros({2, 1})),
                       "scatter: index is [2, 2], src is [2, 1]: index and src must have the same shape",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::scatter_add(x, 1, Tensor<int64_t>::zeros({3, 1}), Tensor<double>::zeros({3, 1})),
                       "scatter_add: x is [2, 3], index is [3, 1]: index must have x's shape except along dim 1",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(
      tinylm::scatter(x, 1, Tensor<int64_t>::from_vector({0, 3}, {2, 1}), Tensor<double>::zeros({2, 1})),
      "scatter: index 3 at position 1 is out of range for dim 1 of size 3", tinylm::Error);
}
