#include <cmath>

#include "helpers.hpp"

using th::leaf;
using th::TensorList;
using tinylm::Tensor;

namespace {

std::vector<double> naive_softmax_rows(const std::vector<double>& x, int64_t rows, int64_t n, bool log) {
  std::vector<double> y(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    double m = -INFINITY, s = 0;
    for (int64_t j = 0; j < n; ++j) m = std::max(m, x[r * n + j]);
    for (int64_t j = 0; j < n; ++j) s += std::exp(x[r * n + j] - m);
    for (int64_t j = 0; j < n; ++j)
      y[r * n + j] = log ? x[r * n + j] - m - std::log(s) : std::exp(x[r * n + j] - m) / s;
  }
  return y;
}

}  // namespace

TEST_CASE("softmax and log_softmax match naive loops over the last dim and a middle dim") {
  tinylm::Generator g(1);
  const auto x = Tensor<double>::randn({3, 4, 17}, g) * 5.0;
  th::check_close(tinylm::softmax(x, -1).to_vector(), naive_softmax_rows(x.to_vector(), 12, 17, false), 1e-15);
  th::check_close(tinylm::log_softmax(x, 2).to_vector(), naive_softmax_rows(x.to_vector(), 12, 17, true), 1e-13);
  // over dim 1: compare against the last-dim result of the transposed tensor
  const auto xt = x.transpose(1, 2).contiguous();
  const auto want = naive_softmax_rows(xt.to_vector(), 51, 4, false);
  th::check_close(tinylm::softmax(x, 1).transpose(1, 2).contiguous().to_vector(), want, 1e-15);
}

TEST_CASE("softmax is stable for huge logits and handles -inf (masked) entries") {
  const auto x = Tensor<float>::from_vector({1000.f, 1000.f, -INFINITY});
  const auto y = tinylm::softmax(x, 0).to_vector();
  CHECK(y[0] == doctest::Approx(0.5));
  CHECK(y[2] == 0.f);
  const auto lp = tinylm::log_softmax(Tensor<double>::from_vector({1e4, 0}), 0).to_vector();
  CHECK(lp[0] == doctest::Approx(0.0));
  CHECK(lp[1] == doctest::Approx(-1e4));
}

TEST_CASE("gradcheck: softmax and log_softmax over several dims and layouts") {
  auto x = leaf({3, 5}, 1, -3, 3), x3 = leaf({2, 3, 4}, 2, -3, 3), one = leaf({4, 1}, 3);
  for (bool log : {false, true}) {
    auto f = [log](const Tensor<double>& t, int64_t d) {
      return log ? tinylm::log_softmax(t, d) : tinylm::softmax(t, d);
    };
    th::check_grad([&](const TensorList& in) { return f(in[0], -1); }, {x});
    th::check_grad([&](const TensorList& in) { return f(in[0], 0); }, {x});
    th::check_grad([&](const TensorList& in) { return f(in[0].transpose(0, 1), 1); }, {x});
    th::check_grad([&](const TensorList& in) { return f(in[0], 1); }, {x3});
    th::check_grad([&](const TensorList& in) { return f(in[0], 1); }, {one});
  }
}
