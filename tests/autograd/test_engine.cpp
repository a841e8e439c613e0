#include "helpers.hpp"

using tinylm::Tensor;

TEST_CASE("backward of a scalar fills leaves' grads (known values)") {
  auto x = Tensor<double>::from_vector({1, 2, 3}).requires_grad_();
  auto y = (x * x * 3.0).sum();  // dy/dx = 6x
  y.backward();
  CHECK(x.grad().to_vector() == std::vector<double>{6, 12, 18});
  CHECK(x.is_leaf());
  CHECK(!y.is_leaf());
}

TEST_CASE("a tensor used twice gets both contributions (diamond graph)") {
  auto x = Tensor<double>::from_vector({2.0}).requires_grad_();
  auto a = x * 3.0;
  auto b = a * a + a;  // d/dx = (2a + 1) * 3 = 39 at x = 2
  b.sum().backward();
  CHECK(x.grad().item() == doctest::Approx(39.0));
}

TEST_CASE("gradients accumulate across backward calls until zero_grad") {
  auto x = Tensor<double>::from_vector({1.0, -1.0}).requires_grad_();
  (x * 2.0).sum().backward();
  (x * 5.0).sum().backward();
  CHECK(x.grad().to_vector() == std::vector<double>{7, 7});
  x.zero_grad();
  CHECK(!x.grad().defined());
  (x * 1.0).sum().backward();
  CHECK(x.grad().to_vector() == std::vector<double>{1, 1});
}

TEST_CASE("backward twice through one graph is an error, not doubled gradients") {
  auto x = Tensor<double>::from_vector({1.0, 2.0}).requires_grad_();
  auto y = (x * x).sum();
  y.backward();
  CHECK_THROWS_WITH_AS(y.backward(),
                       "backward: the graph through 'sum' was already freed by an earlier backward(); pass "
                       "retain_graph = true to the first backward() to run backward twice",
                       tinylm::Error);
  CHECK(x.grad().to_vector() == std::vector<double>{2, 4});
}

TEST_CASE("retain_graph allows a second backward") {
  auto x = Tensor<double>::from_vector({1.0, 2.0}).requires_grad_();
  auto y = (x * x).sum();
  y.backward({}, true);
  y.backward();
  CHECK(x.grad().to_vector() == std::vector<double>{4, 8});
}

TEST_CASE("non-scalar backward needs a grad_output of the output's shape") {
  auto x = Tensor<double>::from_vector({1.0, 2.0}).requires_grad_();
  auto y = x * 3.0;
  CHECK_THROWS_WITH_AS(y.backward(),
                       "backward: grad_output can be implied only for a one-element output; this one is [2], pass "
                       "grad_output",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(y.backward(Tensor<double>::ones({3})), "backward: grad_output is [3] but the output is [2]",
                       tinylm::Error);
  y.backward(Tensor<double>::from_vector({1.0, 10.0}));
  CHECK(x.grad().to_vector() == std::vector<double>{3, 30});
}

TEST_CASE("NoGradGuard records nothing") {
  auto x = Tensor<double>::ones({2}).requires_grad_();
  Tensor<double> y;
  {
    tinylm::NoGradGuard g;
    y = x * 2.0;
    CHECK(!tinylm::GradMode::is_enabled());
  }
  CHECK(tinylm::GradMode::is_enabled());
  CHECK(!y.requires_grad());
  CHECK(y.grad_fn() == nullptr);
  CHECK_THROWS_WITH_AS(y.backward(), "backward: tensor of shape [2] does not require grad and has no grad_fn",
                       tinylm::Error);
}

TEST_CASE("retain_grad keeps an intermediate gradient; detach cuts the graph") {
  auto x = Tensor<double>::from_vector({3.0}).requires_grad_();
  auto h = x * 2.0;
  h.retain_grad();
  auto d = h.detach();
  CHECK(!d.requires_grad());
  auto y = h * h + d;  // the detached term contributes nothing to x's grad
  y.sum().backward();
  CHECK(h.grad().item() == doctest::Approx(12.0));
  CHECK(x.grad().item() == doctest::Approx(24.0));
}

TEST_CASE("only inputs that require grad receive gradients") {
  auto a = Tensor<double>::from_vector({1.0, 2.0}).requires_grad_();
  auto b = Tensor<double>::from_vector({3.0, 4.0});
  (a * b).sum().backward();
  CHECK(a.grad().to_vector() == std::vector<double>{3, 4});
  CHECK(!b.grad().defined());
}

TEST_CASE("a graph thousands of ops deep does not overflow the stack") {
  auto x = Tensor<double>::from_vector({1.0}).requires_grad_();
  auto y = x;
  for (int i = 0; i < 20000; ++i) y = y * 1.0001;
  y.sum().backward();
  CHECK(x.grad().item() == doctest::Approx(std::pow(1.0001, 20000)).epsilon(1e-9));
}

TEST_CASE("the graph keeps its memory only until backward frees it") {
  auto x = Tensor<double>::ones({1000}).requires_grad_();
  const auto before = tinylm::CachingAllocator::instance().stats().bytes_in_use;
  auto y = tinylm::exp(x);  // saves its 8 KB output for backward
  auto l = y.sum();
  y = Tensor<double>();
  const auto held = tinylm::CachingAllocator::instance().stats().bytes_in_use;
  CHECK(held >= before + 8000);
  l.backward();
  // exp's saved output is freed; what remains new is x.grad and the scalar.
  CHECK(tinylm::CachingAllocator::instance().stats().bytes_in_use <= before + 8000 + 256);
}

TEST_CASE("a node with two outputs gets one gradient per output, undefined where none arrived") {
  using tinylm::Tensor;
  auto x = Tensor<double>::from_vector({1, 2, 3});
  x.requires_grad_();
  int calls = 0;
  std::vector<bool> seen_defined;
  // out0 = 2x, out1 = 3x, one node.
  auto make = [&] {
    Tensor<double> o0 = x.detach() * 2.0, o1 = x.detach() * 3.0;
    tinylm::autograd::record(std::vector{o0, o1}, "two", {x}, [&](const std::vector<Tensor<double>>& g) {
      ++calls;
      seen_defined = {g[0].defined(), g[1].defined()};
      Tensor<double> dx = Tensor<double>::zeros({3});
      if (g[0].defined()) dx = dx + g[0] * 2.0;
      if (g[1].defined()) dx = dx + g[1] * 3.0;
      return std::vector{dx};
    });
    return std::pair{o0, o1};
  };
  auto [a, b] = make();
  CHECK(a.grad_fn() == b.grad_fn());
  CHECK(a.grad_fn()->num_outputs() == 2);
  CHECK(a.grad_fn()->output_shape(1) == tinylm::Shape{3});
  b.sum().backward();  // only the second output is used
  CHECK(calls == 1);
  CHECK(seen_defined == std::vector<bool>{false, true});
  CHECK(x.grad().to_vector() == std::vector<double>{3, 3, 3});

  x.zero_grad();
  auto [c, d] = make();
  d.retain_grad();
  (c * c + d).sum().backward();  // both, each reached through its own path; summed once per output
  CHECK(calls == 2);
  CHECK(seen_defined == std::vector<bool>{true, true});
  CHECK(d.grad().to_vector() == std::vector<double>{1, 1, 1});
  // d/dx of sum(4x^2 + 3x) = 8x + 3
  CHECK(x.grad().to_vector() == std::vector<double>{11, 19, 27});
  CHECK_THROWS_WITH_AS(
      tinylm::autograd::record(std::vector<Tensor<double>>{}, "none", {x},
                               [](const std::vector<Tensor<double>>&) { return std::vector<Tensor<double>>{}; }),
      "record: 'none' has no outputs", tinylm::Error);
}
