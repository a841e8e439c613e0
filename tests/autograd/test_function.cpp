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
  CHECK_THROWS_WITH_AS(tinylm::gradcheck([](const th::TensorList& in) { return in[0] * 2.0; }, {view}),
                       "gradcheck: input 0 is not a leaf; pass leaves and take views inside f", tinylm::Error);
}

TEST_CASE("gradcheck leaves the inputs' grads as they were") {
  auto x = th::leaf({3}, 6);
  (x * 2.0).sum().backward();
  th::check_grad([](const th::TensorList& in) { return in[0] * in[0]; }, {x});
  CHECK(x.grad().to_vector() == std::vector<double>{2, 2, 2});
}

namespace {

// Two outputs from one pass: the sum and the product of a and b.
struct SumProd : tinylm::autograd::Function<SumProd> {
  static constexpr const char* name = "sum_prod";
  static inline int calls_with_undefined = 0;
  template <class T>
  static std::vector<Tensor<T>> forward(Context<T>& ctx, const Tensor<T>& a, const Tensor<T>& b, bool materialize) {
    ctx.save_for_backward({a, b});
    ctx.set_materialize_grads(materialize);
    return {a + b, a * b};
  }
  template <class T>
  static std::vector<Tensor<T>> backward(Context<T>& ctx, const std::vector<Tensor<T>>& grads) {
    const Tensor<T>& a = ctx.saved()[0];
    const Tensor<T>& b = ctx.saved()[1];
    const Tensor<T> gs = grads[0].defined() ? grads[0] : Tensor<T>::zeros(a.shape());
    const Tensor<T> gp = grads[1].defined() ? grads[1] : Tensor<T>::zeros(a.shape());
    if (!grads[0].defined() || !grads[1].defined()) ++calls_with_undefined;
    return {gs + gp * b, gs + gp * a};
  }
};

// Returns its input unchanged.
struct Identity : tinylm::autograd::Function<Identity> {
  static constexpr const char* name = "identity";
  template <class T>
  static Tensor<T> forward(Context<T>&, const Tensor<T>& x) {
    return x;
  }
  template <class T>
  static std::vector<Tensor<T>> backward(Context<T>&, const Tensor<T>& grad) {
    return {grad};
  }
};

}  // namespace

TEST_CASE("a Function with two outputs: one node, one gradient per output, gradchecked whichever the loss uses") {
  auto a = th::leaf({4}, 11), b = th::leaf({4}, 12);
  const auto out = SumProd::apply(a, b, true);
  REQUIRE(out.size() == 2);
  CHECK(out[0].grad_fn() == out[1].grad_fn());
  CHECK(out[1].impl()->output_nr == 1);
  th::check_grad([](const th::TensorList& in) { return SumProd::apply(in[0], in[1], true)[0]; }, {a, b});
  th::check_grad([](const th::TensorList& in) { return SumProd::apply(in[0], in[1], true)[1]; }, {a, b});
  th::check_grad(
      [](const th::TensorList& in) {
        const auto o = SumProd::apply(in[0], in[1], true);
        return o[0] * o[1];
      },
      {a, b});
  // Only the product reaches the loss: materialized, the sum's gradient comes as zeros.
  SumProd::calls_with_undefined = 0;
  SumProd::apply(a, b, true)[1].sum().backward();
  CHECK(SumProd::calls_with_undefined == 0);
  th::check_close(a.grad().to_vector(), b.to_vector(), 0);
  a.zero_grad();
  SumProd::apply(a, b, false)[1].sum().backward();
  CHECK(SumProd::calls_with_undefined == 1);  // not materialized: undefined
  th::check_close(a.grad().to_vector(), b.to_vector(), 0);
}

TEST_CASE("a Function that returns its input leaves the input a leaf") {
  auto x = th::leaf({3}, 13);
  const auto y = Identity::apply(x);
  CHECK(x.is_leaf());
  CHECK(!y.is_same(x));
  CHECK(y.grad_fn_name() == "identity");
  (y * 2.0).sum().backward();
  th::check_close(x.grad().to_vector(), std::vector<double>(3, 2.0), 0);
}
