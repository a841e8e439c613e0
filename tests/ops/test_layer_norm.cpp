#include <cmath>

#include "helpers.hpp"

using th::leaf;
using th::TensorList;
using tinylm::Tensor;

TEST_CASE("layer_norm known values against a naive loop") {
  tinylm::Generator g(1);
  const auto x = Tensor<double>::randn({5, 17}, g) * 3.0 + 1.0;
  const auto w = Tensor<double>::randn({17}, g), b = Tensor<double>::randn({17}, g);
  const auto y = tinylm::layer_norm(x, w, b, 1e-5).to_vector();
  const auto xv = x.to_vector(), wv = w.to_vector(), bv = b.to_vector();
  for (int r = 0; r < 5; ++r) {
    double m = 0, v = 0;
    for (int c = 0; c < 17; ++c) m += xv[r * 17 + c] / 17;
    for (int c = 0; c < 17; ++c) v += (xv[r * 17 + c] - m) * (xv[r * 17 + c] - m) / 17;
    for (int c = 0; c < 17; ++c)
      CHECK(y[r * 17 + c] ==
            doctest::Approx((xv[r * 17 + c] - m) / std::sqrt(v + 1e-5) * wv[c] + bv[c]).epsilon(1e-12));
  }
  // without affine parameters each row has mean 0 and variance ~1
  const auto z = tinylm::layer_norm(x, Tensor<double>(), Tensor<double>());
  CHECK(std::fabs(z.mean({-1}).to_vector()[2]) < 1e-12);
}

TEST_CASE("gradcheck: layer_norm with and without affine, strided input, C not a SIMD multiple") {
  auto x = leaf({4, 17}, 1, -2, 2), xt = leaf({17, 4}, 2, -2, 2), w = leaf({17}, 3), b = leaf({17}, 4);
  auto x3 = leaf({2, 3, 5}, 5), w5 = leaf({5}, 6), b5 = leaf({5}, 7);
  th::check_grad([](const TensorList& in) { return tinylm::layer_norm(in[0], in[1], in[2]); }, {x, w, b});
  th::check_grad([](const TensorList& in) { return tinylm::layer_norm(in[0].transpose(0, 1), in[1], in[2]); },
                 {xt, w, b});
  th::check_grad([](const TensorList& in) { return tinylm::layer_norm(in[0], Tensor<double>(), Tensor<double>()); },
                 {x});
  th::check_grad([](const TensorList& in) { return tinylm::layer_norm(in[0], in[1], in[2]); }, {x3, w5, b5});
}

TEST_CASE("fused layer_norm equals its reference composition in value and gradient") {
  auto x1 = leaf({6, 33}, 8, -3, 3), x2 = leaf({6, 33}, 8, -3, 3);
  auto w1 = leaf({33}, 9), w2 = leaf({33}, 9), b1 = leaf({33}, 10), b2 = leaf({33}, 10);
  const auto y1 = tinylm::layer_norm(x1, w1, b1), y2 = tinylm::layer_norm_reference(x2, w2, b2);
  th::check_close(y1.to_vector(), y2.to_vector(), 1e-13);
  const auto up = Tensor<double>::randn({6, 33});
  (y1 * up).sum().backward();
  (y2 * up).sum().backward();
  th::check_close(x1.grad().to_vector(), x2.grad().to_vector(), 1e-12);
  th::check_close(w1.grad().to_vector(), w2.grad().to_vector(), 1e-12);
  th::check_close(b1.grad().to_vector(), b2.grad().to_vector(), 1e-12);
}

TEST_CASE("layer_norm errors") {
  const auto x = Tensor<float>::zeros({2, 8});
  CHECK_THROWS_WITH_AS(tinylm::layer_norm(x, Tensor<float>::ones({7}), Tensor<float>()),
                       "layer_norm: x is [2, 8], weight is [7]: weight must be one vector of x.shape[-1] = 8 values",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::layer_norm(x, Tensor<float>::ones({8}), Tensor<float>::ones({2, 4})),
                       "layer_norm: x is [2, 8], bias is [2, 4]: bias must be one vector of x.shape[-1] = 8 values",
                       tinylm::Error);
}
