#include <cmath>

#include "helpers.hpp"

using th::leaf;
using th::TensorList;
using tinylm::Tensor;

TEST_CASE("var and std equal a two-pass loop, unbiased by default, over any dims") {
  tinylm::Generator g(3);
  const auto x = Tensor<double>::randn({3, 4, 5}, g);
  const auto v = x.to_vector();
  // over dim 1, correction 1 and 0
  for (int64_t corr : {1, 0}) {
    std::vector<double> want;
    for (int a = 0; a < 3; ++a)
      for (int c = 0; c < 5; ++c) {
        double m = 0, s = 0;
        for (int b = 0; b < 4; ++b) m += v[(a * 4 + b) * 5 + c] / 4;
        for (int b = 0; b < 4; ++b) s += (v[(a * 4 + b) * 5 + c] - m) * (v[(a * 4 + b) * 5 + c] - m);
        want.push_back(s / double(4 - corr));
      }
    INFO("correction " << corr);
    th::check_close(tinylm::var(x, {1}, corr).to_vector(), want, 1e-14);
    std::vector<double> sd;
    for (double w : want) sd.push_back(std::sqrt(w));
    th::check_close(tinylm::std(x, {1}, corr).to_vector(), sd, 1e-14);
  }
  CHECK(tinylm::var(x, {0, 2}, 1, true).shape() == tinylm::Shape{1, 4, 1});
  // all dims: [1, 2, 3, 4] has variance 5/3 (unbiased) and 5/4 (population)
  const auto s = Tensor<double>::from_vector({1, 2, 3, 4});
  CHECK(tinylm::var(s).item() == doctest::Approx(5.0 / 3).epsilon(1e-15));
  CHECK(tinylm::var(s, {}, 0).item() == doctest::Approx(1.25).epsilon(1e-15));
  CHECK(std::isnan(tinylm::var(Tensor<double>::ones({1})).item()));  // one element, correction 1: 0 / 0
  CHECK_THROWS_WITH_AS(tinylm::var(s, {1}), "var: dim 1 is out of range for a tensor with 1 dimensions", tinylm::Error);
}

TEST_CASE("gradcheck: var and std, contiguous and strided") {
  auto x = leaf({3, 5}, 1), xt = leaf({5, 3}, 2);
  th::check_grad([](const TensorList& in) { return tinylm::var(in[0], {1}); }, {x});
  th::check_grad([](const TensorList& in) { return tinylm::std(in[0].transpose(0, 1), {0}, 0, true); }, {xt});
  th::check_grad([](const TensorList& in) { return tinylm::std(in[0]); }, {x});
}
