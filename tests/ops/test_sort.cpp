#include <cmath>

#include "helpers.hpp"

using th::leaf;
using th::TensorList;
using tinylm::Tensor;

TEST_CASE("sort and argsort: known values, ties in position order, NaN as the largest") {
  const auto x = Tensor<double>::from_vector({3, 1, 2, 1, NAN, 0}, {2, 3});
  const auto up = tinylm::sort(x, 1);
  CHECK(up.indices.to_vector() == std::vector<int64_t>{1, 2, 0, 2, 0, 1});
  const auto vals = up.values.to_vector();
  CHECK(vals[0] == 1);
  CHECK(vals[2] == 3);
  CHECK(vals[3] == 0);
  CHECK(std::isnan(vals[5]));
  CHECK(tinylm::sort(x, 1, true).indices.to_vector() == std::vector<int64_t>{0, 2, 1, 1, 0, 2});
  const auto ties = Tensor<float>::from_vector({2, 1, 2, 1});
  CHECK(tinylm::argsort(ties).to_vector() == std::vector<int64_t>{1, 3, 0, 2});
  CHECK(tinylm::argsort(ties, 0, true).to_vector() == std::vector<int64_t>{0, 2, 1, 3});
  CHECK(tinylm::sort(x.transpose(0, 1), 1).indices.to_vector() == std::vector<int64_t>{1, 0, 0, 1, 1, 0});
}

TEST_CASE("topk: the k largest or smallest in order, against a full sort, and its gradient") {
  tinylm::Generator g(5);
  const auto x = Tensor<double>::randn({4, 9}, g);
  const auto full = tinylm::sort(x, 1, true);
  const auto top = tinylm::topk(x, 3);
  CHECK(top.values.shape() == tinylm::Shape{4, 3});
  for (int r = 0; r < 4; ++r)
    for (int j = 0; j < 3; ++j) {
      CHECK(top.values.at({r, j}) == full.values.at({r, j}));
      CHECK(top.indices.at({r, j}) == full.indices.at({r, j}));
    }
  const auto low = tinylm::topk(x, 2, 0, false);
  CHECK(low.values.shape() == tinylm::Shape{2, 9});
  for (int c = 0; c < 9; ++c) {
    std::vector<double> col;
    for (int r = 0; r < 4; ++r) col.push_back(x.at({r, c}));
    std::sort(col.begin(), col.end());
    CHECK(low.values.at({0, c}) == col[0]);
    CHECK(low.values.at({1, c}) == col[1]);
  }
  auto y = leaf({3, 7}, 6), yt = leaf({7, 3}, 7);  // distinct values: the order is stable under eps
  th::check_grad([](const TensorList& in) { return tinylm::topk(in[0], 3).values; }, {y});
  th::check_grad([](const TensorList& in) { return tinylm::sort(in[0].transpose(0, 1), 1, true).values; }, {yt});
  CHECK_THROWS_WITH_AS(tinylm::topk(x, 10), "topk: k is 10 but dim 1 of x (shape [4, 9]) has 9 elements",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::topk(Tensor<double>::scalar(1), 1),
                       "topk: x is a 0-d tensor; it needs a dim to choose along", tinylm::Error);
}
