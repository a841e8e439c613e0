#include "helpers.hpp"

using tinylm::Tensor;
using tinylm::autograd::Context;

namespace {

// y = x^3, written as a user-defined op.
struct Cube : tinylm::autograd::Function<Cube> {
  static constexpr const char* name = "cube";
  template <class T>
  static Tensor<T> forward(Context<T>& ctx, const Tensor<T>& x) {
    ctx.save_for_backward({x});
    return x * x * x;
  }
  template <class T>
  static std::vector<Tensor<T>> backward(Context<T>& ctx, const Tensor<T>& grad) {
    const Tensor<T>& x = ctx.saved()[0];
    return {grad * x * x * 3.0};
  }
};

// y = a * s + b with a scalar s carried in the context; saves its output.
struct ScaleAdd : tinylm::autograd::Function<ScaleAdd> {
  static constexpr const char* name = "scale_add";
  template <class T>
  static Tensor<T> forward(Context<T>& ctx, const Tensor<T>& a, double s, const Tensor<T>& b) {
    ctx.values["s"] = s;
    return a * s + b;
  }
  template <class T>
  static std::vector<Tensor<T>> backward(Context<T>& ctx, const Tensor<T>& grad) {
    return {grad * ctx.values["s"], grad};
  }
};

// A deliberately wrong backward (factor 2 instead of 3) that gradcheck must catch.
struct WrongCube : tinylm::autograd::Function<WrongCube> {
  static constexpr const char* name = "wrong_cube";
  template <class T>
  static Tensor<T> forward(Context<T>& ctx, const Tensor<T>& x) {
    ctx.save_for_backward({x});
    return x * x * x;
  }
  template <class T>
  static std::vector<Tensor<T>> backward(Context<T>& ctx, const Tensor<T>& grad) {
    const Tensor<T>& x = ctx.saved()[0];
    return {grad * x * x * 2.0};
  }
};

}  // namespace

TEST_CASE("a user-defined Function records its backward and passes gradcheck") {
  auto x = th::leaf({5}, 1);
  auto y = Cube::apply(x);
  REQUIRE(y.grad_fn());
  CHECK(y.grad_fn()->name() == "cube");
  th::check_grad([](const th::TensorList& in) { return Cube::apply(in[0]); }, {x});
  auto a = th::leaf({3}, 2), b = th::leaf({3}, 3);
  th::check_grad([](const th::TensorList& in) { return ScaleAdd::apply(in[0], 2.5, in[1]); }, {a, b});
}

TEST_CASE("gradcheck reports a wrong backward and where it is wrong") {
  auto x = th::leaf({2}, 4, 0.5, 1.0);
  const auto r = tinylm::gradcheck([](const th::TensorList& in) { return WrongCube::apply(in[0]); }, {x});
  CHECK(!r.ok);
  CHECK(r.max_abs_error > 0.2);
  CHECK(r.worst.find("input 0 element [") == 0);
  CHECK(r.worst.find("analytic") != std::string::npos);
}

TEST_CASE("gradcheck refuses inputs it cannot perturb one element at a time") {
  auto base = th::leaf({1, 3}, 5);
  auto view = base.expand({4, 3});
  CHECK_THROWS_WITH_AS(
      tinylm::gradcheck([](const th::TensorList& in) { return in[0] * 2.0; }, {view}),
      "gradcheck: input 0 is not a leaf; pass leaves and take views inside f", tinylm::Error);
}

TEST_CASE("gradcheck leaves the inputs' grads as they were") {
  auto x = th::leaf({3}, 6);
  (x * 2.0).sum().backward();
  th::check_grad([](const th::TensorList& in) { return in[0] * in[0]; }, {x});
  CHECK(x.grad().to_vector() == std::vector<double>{2, 2, 2});
}
