#include "helpers.hpp"

using tinylm::Tensor;

namespace {

Tensor<float> leaf_f(const tinylm::Shape& shape, uint64_t seed) {
  tinylm::Generator g(seed);
  auto t = Tensor<float>::empty(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = float(g.uniform() * 2 - 1);
  t.requires_grad_();
  return t;
}

// A deliberately wrong backward: d(x^2)/dx reported as 2.2x.
struct WrongSquare : tinylm::autograd::Function<WrongSquare> {
  static constexpr const char* name = "wrong_square";
  template <class T>
  static Tensor<T> forward(tinylm::autograd::Context<T>& ctx, const Tensor<T>& x) {
    ctx.save_for_backward({x});
    return x * x;
  }
  template <class T>
  static std::vector<Tensor<T>> backward(tinylm::autograd::Context<T>& ctx, const Tensor<T>& g) {
    return {g * ctx.saved()[0] * 2.2};
  }
};

}  // namespace

TEST_CASE("gradcheck runs in float with float tolerances, and still catches a wrong backward") {
  auto x = leaf_f({3, 5}, 1), w = leaf_f({5}, 2), b = leaf_f({5}, 3);
  using L = std::vector<Tensor<float>>;
  const auto ok = tinylm::gradcheck([](const L& in) { return tinylm::layer_norm(in[0], in[1], in[2]); }, {x, w, b});
  INFO(ok.worst);
  CHECK(ok.ok);
  CHECK(tinylm::gradcheck([](const L& in) { return tinylm::tanh(in[0]) * in[0]; }, {x}).ok);
  const auto bad = tinylm::gradcheck([](const L& in) { return WrongSquare::apply(in[0]); }, {x});
  CHECK(!bad.ok);
  CHECK(bad.max_abs_error > 0.05);
  CHECK(tinylm::autograd::GradcheckOptions::float_defaults().eps == 1e-3);
}

TEST_CASE("gradcheck's report names the element closest to its tolerance, with a nonzero error on a pass") {
  // out = x * x: the analytic gradient is exact, the central difference errs
  // by rounding only, so every error is tiny but not every one is zero.
  auto x = th::leaf({6}, 4, 0.5, 2.0);
  const auto r = tinylm::gradcheck([](const th::TensorList& in) { return in[0] * in[0] * in[0]; }, {x});
  REQUIRE(r.ok);
  INFO(r.worst);
  CHECK(r.max_abs_error > 0);
  CHECK(r.worst.find("|diff| 0,") == std::string::npos);  // not an element with zero error
  // A failing check names the failing element: only input element 2 gets a
  // wrong gradient (one too many, for every output element).
  auto y = th::leaf({4}, 5);
  const auto bad = tinylm::gradcheck(
      [](const th::TensorList& in) {
        auto out = in[0].detach() * 1.0;
        tinylm::autograd::record(out, "wrong_at_2", {in[0]}, [](const Tensor<double>& g) {
          auto d = g.clone();
          d.data()[2] += 1.0;
          return std::vector{d};
        });
        return out;
      },
      {y});
  CHECK(!bad.ok);
  INFO(bad.worst);
  CHECK(bad.worst.find("input 0 element [2], output element [") == 0);
}
