#include <cmath>

#include "helpers.hpp"

using th::leaf;
using th::TensorList;
using tinylm::GeluApprox;
using tinylm::Tensor;

TEST_CASE("gelu known values (exact and tanh forms)") {
  const auto x = Tensor<double>::from_vector({-3, -1, 0, 0.5, 2});
  std::vector<double> exact, approx;
  for (double v : x.to_vector()) {
    exact.push_back(0.5 * v * (1 + std::erf(v / std::sqrt(2.0))));
    approx.push_back(0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))));
  }
  th::check_close(tinylm::gelu(x).to_vector(), exact);
  th::check_close(tinylm::gelu(x, GeluApprox::Tanh).to_vector(), approx);
  // Published values: GELU(1) = 0.8413447460685429 (exact), 0.8411919906082768 (tanh).
  CHECK(tinylm::gelu(Tensor<double>::scalar(1.0)).item() == doctest::Approx(0.8413447460685429).epsilon(1e-14));
  CHECK(tinylm::gelu(Tensor<double>::scalar(1.0), GeluApprox::Tanh).item() ==
        doctest::Approx(0.8411919906082768).epsilon(1e-14));
}

TEST_CASE("gradcheck: gelu both forms, contiguous and strided") {
  auto x = leaf({4, 17}, 1, -3, 3), xt = leaf({17, 4}, 2, -3, 3);
  for (auto approx : {GeluApprox::None, GeluApprox::Tanh}) {
    th::check_grad([approx](const TensorList& in) { return tinylm::gelu(in[0], approx); }, {x});
    th::check_grad([approx](const TensorList& in) { return tinylm::gelu(in[0].transpose(0, 1), approx); }, {xt});
  }
}

TEST_CASE("fused tanh gelu equals its reference composition in value and gradient") {
  auto x1 = leaf({64}, 3, -4, 4), x2 = leaf({64}, 3, -4, 4);
  auto y1 = tinylm::gelu(x1, GeluApprox::Tanh), y2 = tinylm::gelu_tanh_reference(x2);
  th::check_close(y1.to_vector(), y2.to_vector(), 1e-14);
  (y1 * y1).sum().backward();
  (y2 * y2).sum().backward();
  th::check_close(x1.grad().to_vector(), x2.grad().to_vector(), 1e-13);
}
