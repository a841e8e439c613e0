#include "helpers.hpp"

using th::leaf;
using th::TensorList;
using tinylm::Tensor;

TEST_CASE("dropout zeroes about p of the elements and rescales the rest") {
  tinylm::Generator g(5);
  const auto x = Tensor<double>::ones({100000});
  const auto y = tinylm::dropout(x, 0.3, true, g).to_vector();
  int zeros = 0;
  for (double v : y) {
    if (v == 0) ++zeros;
    else CHECK(v == doctest::Approx(1 / 0.7));
  }
  CHECK(std::abs(zeros - 30000) < 600);
}

TEST_CASE("dropout is the identity in eval mode or at p = 0, and all zeros at p = 1") {
  const auto x = Tensor<double>::arange(1.0, 5.0);
  CHECK(tinylm::dropout(x, 0.5, false).is_same(x));
  CHECK(tinylm::dropout(x, 0.0, true).is_same(x));
  CHECK(tinylm::dropout(x, 1.0, true).to_vector() == std::vector<double>(4, 0.0));
  CHECK_THROWS_WITH_AS(tinylm::dropout(x, 1.5, true), "dropout: probability must be in [0, 1], got 1.5", tinylm::Error);
}

TEST_CASE("dropout's mask is fixed by the seed, and its gradient uses the same mask") {
  tinylm::Generator g1(9), g2(9);
  auto x = leaf({50}, 1);
  const auto a = tinylm::dropout(x, 0.5, true, g1), b = tinylm::dropout(x, 0.5, true, g2);
  CHECK(a.to_vector() == b.to_vector());
  a.sum().backward();
  const auto gx = x.grad().to_vector(), av = a.to_vector(), xv = x.to_vector();
  for (std::size_t i = 0; i < gx.size(); ++i) CHECK(gx[i] * xv[i] == doctest::Approx(av[i]));
  // gradcheck with a fresh generator per call: every forward draws the same mask
  th::check_grad(
      [](const TensorList& in) {
        tinylm::Generator gen(3);
        return tinylm::dropout(in[0], 0.4, true, gen);
      },
      {x});
}
