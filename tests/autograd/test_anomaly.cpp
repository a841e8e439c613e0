// Anomaly mode (autograd/anomaly.hpp): the first op whose output or
// gradient goes non-finite is named, with its shapes.

#include <cmath>
#include <limits>

#include "helpers.hpp"

using tinylm::Tensor;
namespace autograd = tinylm::autograd;

namespace {

/// An op that passes x through but writes `value` at flat index `at` of its
/// output: the injected fault. Its backward passes the gradient through.
Tensor<double> poison(const Tensor<double>& x, int64_t at, double value) {
  Tensor<double> out = x.detach().contiguous().clone();
  out.data()[at] = value;
  if (autograd::needs_grad(x))
    autograd::record(out, "poison", {x}, [](const Tensor<double>& g) { return std::vector{g}; });
  return out;
}

/// An op whose forward is the identity and whose backward writes `value` at
/// flat index `at` of the input's gradient.
Tensor<double> poison_grad(const Tensor<double>& x, int64_t at, double value) {
  Tensor<double> out = x.detach().clone();
  if (autograd::needs_grad(x))
    autograd::record(out, "poison_grad", {x}, [at, value](const Tensor<double>& g) {
      Tensor<double> dx = g.contiguous().clone();
      dx.data()[at] = value;
      return std::vector{dx};
    });
  return out;
}

Tensor<double> input_2x3() {
  return Tensor<double>::from_vector({0.5, -1.0, 2.0, 0.25, 1.5, -0.75}).reshape({2, 3}).requires_grad_();
}

}  // namespace

TEST_CASE("anomaly mode is off by default, scoped and restored by its guard") {
  CHECK(!autograd::AnomalyMode::is_enabled());
  {
    autograd::detect_anomaly outer;
    CHECK(autograd::AnomalyMode::is_enabled());
    {
      autograd::detect_anomaly inner;
      CHECK(autograd::AnomalyMode::is_enabled());
    }
    CHECK(autograd::AnomalyMode::is_enabled());
  }
  CHECK(!autograd::AnomalyMode::is_enabled());
}

TEST_CASE("a NaN injected into one op's output: anomaly mode names that op, the element and the shapes") {
  const auto x = input_2x3();
  const auto w = Tensor<double>::from_vector({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}).reshape({3, 4});
  auto forward = [&] { return tinylm::gelu(tinylm::matmul(poison(x, 4, std::nan("")), w)).sum(); };

  // Without anomaly mode the NaN flows silently into the loss.
  CHECK(std::isnan(forward().item()));

  autograd::detect_anomaly anomaly;
  CHECK_THROWS_WITH_AS(forward(),
                       "detect_anomaly: 'poison' produced a non-finite value in output 0 of shape [2, 3]: element "
                       "[1, 1] is nan (inputs: [2, 3])",
                       tinylm::Error);
}

TEST_CASE("an infinity injected later in the graph names the op that made it, not the ops before or after") {
  const auto x = input_2x3();
  autograd::detect_anomaly anomaly;
  auto y = tinylm::tanh(x) * 2.0;  // finite: checked and passed
  CHECK_THROWS_WITH_AS(poison(y, 0, -std::numeric_limits<double>::infinity()),
                       "detect_anomaly: 'poison' produced a non-finite value in output 0 of shape [2, 3]: element "
                       "[0, 0] is -inf (inputs: [2, 3])",
                       tinylm::Error);
}

TEST_CASE("a real op's non-finite output is named: log of zero") {
  const auto x = Tensor<double>::from_vector({1.0, 0.0, 2.0}).requires_grad_();
  autograd::detect_anomaly anomaly;
  CHECK_THROWS_WITH_AS(tinylm::log(x * 1.0),
                       "detect_anomaly: 'log' produced a non-finite value in output 0 of shape [3]: element [1] is "
                       "-inf (inputs: [3])",
                       tinylm::Error);
}

TEST_CASE("a non-finite gradient is named at the backward that returned it") {
  SUBCASE("an injected NaN in one op's backward") {
    const auto x = input_2x3();
    autograd::detect_anomaly anomaly;
    auto loss = (poison_grad(x * 3.0, 5, std::nan("")) * 2.0).sum();
    CHECK_THROWS_WITH_AS(loss.backward(),
                         "detect_anomaly: the backward of 'poison_grad' returned a non-finite gradient for input 0 "
                         "of shape [2, 3]: element [1, 2] is nan (the op's outputs: [2, 3]; its inputs' gradients: "
                         "[2, 3])",
                         tinylm::Error);
    CHECK(!x.grad().defined());  // stopped before anything reached the leaf
  }
  SUBCASE("sqrt at zero: a finite forward, an infinite gradient") {
    const auto x = Tensor<double>::from_vector({4.0, 0.0}).requires_grad_();
    autograd::detect_anomaly anomaly;
    auto loss = tinylm::sqrt(x).sum();
    CHECK(loss.item() == 2.0);
    CHECK_THROWS_WITH_AS(loss.backward(),
                         "detect_anomaly: the backward of 'sqrt' returned a non-finite gradient for input 0 of shape "
                         "[2]: element [1] is inf (the op's outputs: [2]; its inputs' gradients: [2])",
                         tinylm::Error);
  }
  SUBCASE("without anomaly mode the same backward runs and leaves the infinity in the gradient") {
    const auto x = Tensor<double>::from_vector({4.0, 0.0}).requires_grad_();
    tinylm::sqrt(x).sum().backward();
    CHECK(x.grad().to_vector()[0] == 0.25);
    CHECK(std::isinf(x.grad().to_vector()[1]));
  }
}

TEST_CASE("anomaly mode finds a NaN weight in a GPT: the first op that reads it") {
  namespace nn = tinylm::nn;
  nn::GPT<double> model(nn::GPTConfig{11, 8, 2, 2, 8, 0.0}, 7);
  const auto idx = Tensor<int64_t>::from_vector({1, 2, 3, 4, 5, 6, 7, 8}).reshape({2, 4});
  const auto targets = Tensor<int64_t>::from_vector({2, 3, 4, 5, 6, 7, 8, 9}).reshape({2, 4});
  {
    autograd::detect_anomaly anomaly;  // a healthy model passes forward and backward
    model.forward(idx, targets).loss.backward();
  }
  bool poisoned = false;
  for (const auto& p : model.named_parameters())
    if (p.name.ends_with("h.1.mlp.c_proj.weight")) {
      p.tensor.data()[3] = std::nan("");
      poisoned = true;
    }
  REQUIRE(poisoned);
  CHECK(std::isnan(model.forward(idx, targets).loss.item()));
  autograd::detect_anomaly anomaly;
  // c_proj maps the MLP's 4 * 8 = 32 hidden units back to 8 (its weight is stored [in, out]) for each
  // of the 2 x 4 tokens; the NaN at weight [0, 3] reaches output column 3 first at token [0, 0].
  CHECK_THROWS_WITH_AS(model.forward(idx, targets),
                       "detect_anomaly: 'linear' produced a non-finite value in output 0 of shape [2, 4, 8]: element "
                       "[0, 0, 3] is nan (inputs: [2, 4, 32], [32, 8], [8])",
                       tinylm::Error);
}

TEST_CASE("ops run without grad are not checked (nothing records them)") {
  autograd::detect_anomaly anomaly;
  const auto x = Tensor<double>::from_vector({0.0});
  CHECK(std::isinf(tinylm::log(x).item()));
}
