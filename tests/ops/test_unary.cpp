#include <cmath>

#include "helpers.hpp"

using th::leaf;
using th::TensorList;
using tinylm::Tensor;

TEST_CASE("unary functions match the C library elementwise") {
  tinylm::Generator g(1);
  const auto x = Tensor<double>::rand({33}, g) * 4.0 - 2.0;
  const auto xp = Tensor<double>::rand({33}, g) + 0.1;
  const auto v = x.to_vector(), vp = xp.to_vector();
  auto expect = [](const std::vector<double>& in, double (*f)(double)) {
    std::vector<double> out;
    for (double d : in) out.push_back(f(d));
    return out;
  };
  th::check_close(tinylm::exp(x).to_vector(), expect(v, [](double d) { return std::exp(d); }));
  th::check_close(tinylm::log(xp).to_vector(), expect(vp, [](double d) { return std::log(d); }));
  th::check_close(tinylm::sqrt(xp).to_vector(), expect(vp, [](double d) { return std::sqrt(d); }));
  th::check_close(tinylm::tanh(x).to_vector(), expect(v, [](double d) { return std::tanh(d); }));
  th::check_close(tinylm::sigmoid(x).to_vector(), expect(v, [](double d) { return 1 / (1 + std::exp(-d)); }));
  th::check_close(tinylm::relu(x).to_vector(), expect(v, [](double d) { return d > 0 ? d : 0.0; }));
}

TEST_CASE("sigmoid does not overflow at large magnitudes") {
  const auto s = tinylm::sigmoid(Tensor<float>::from_vector({-1000.f, 1000.f})).to_vector();
  CHECK(s[0] == 0.f);
  CHECK(s[1] == 1.f);
}

TEST_CASE("gradcheck: unary functions on contiguous, transposed and edge-size inputs") {
  auto x = leaf({3, 5}, 1, -2, 2), xt = leaf({5, 3}, 2, -2, 2), pos = leaf({17}, 3, 0.2, 3.0), one = leaf({1}, 4);
  for (const char* name : {"exp", "tanh", "sigmoid", "relu"}) {
    INFO(name);
    auto f = [name](const Tensor<double>& t) {
      const std::string n = name;
      if (n == "exp") return tinylm::exp(t);
      if (n == "tanh") return tinylm::tanh(t);
      if (n == "sigmoid") return tinylm::sigmoid(t);
      return tinylm::relu(t);
    };
    th::check_grad([&](const TensorList& in) { return f(in[0]); }, {x});
    th::check_grad([&](const TensorList& in) { return f(in[0].transpose(0, 1)); }, {xt});
    th::check_grad([&](const TensorList& in) { return f(in[0]); }, {one});
  }
  th::check_grad([](const TensorList& in) { return tinylm::log(in[0]); }, {pos});
  th::check_grad([](const TensorList& in) { return tinylm::sqrt(in[0]); }, {pos});
  th::check_grad([](const TensorList& in) { return tinylm::sqrt(in[0].slice(0, 1, 17, 3)); }, {pos});
}

TEST_CASE("sin, cos, abs and silu: known values against the C library, and gradcheck") {
  tinylm::Generator g(7);
  const auto x = Tensor<double>::rand({33}, g) * 8.0 - 4.0;
  const auto v = x.to_vector();
  std::vector<double> s, c, a, si;
  for (double d : v) {
    s.push_back(std::sin(d));
    c.push_back(std::cos(d));
    a.push_back(std::fabs(d));
    si.push_back(d / (1 + std::exp(-d)));
  }
  th::check_close(tinylm::sin(x).to_vector(), s);
  th::check_close(tinylm::cos(x).to_vector(), c);
  th::check_close(tinylm::abs(x).to_vector(), a, 0);
  th::check_close(tinylm::silu(x).to_vector(), si, 1e-15);
  CHECK(tinylm::silu(Tensor<float>::from_vector({-1000.f, 1000.f})).to_vector() == std::vector<float>{-0.f, 1000.f});
  auto xs = leaf({4, 5}, 8, -3, 3), xt = leaf({5, 4}, 9, -3, 3);
  th::check_grad([](const TensorList& in) { return tinylm::sin(in[0]); }, {xs});
  th::check_grad([](const TensorList& in) { return tinylm::cos(in[0].transpose(0, 1)); }, {xt});
  th::check_grad([](const TensorList& in) { return tinylm::silu(in[0]); }, {xs});
  th::check_grad([](const TensorList& in) { return tinylm::silu(in[0].transpose(0, 1)); }, {xt});
  auto away = leaf({17}, 10, 0.1, 2.0);  // abs away from its kink at 0
  th::check_grad([](const TensorList& in) { return tinylm::abs(in[0] - 1.05); }, {away});
  // At 0 the gradient of abs is 0, as in PyTorch.
  auto z = Tensor<double>::from_vector({-2, 0, 3});
  z.requires_grad_();
  tinylm::abs(z).sum().backward();
  CHECK(z.grad().to_vector() == std::vector<double>{-1, 0, 1});
}
