// kernels/formulas.hpp: the per-element arithmetic both backends run.
// Known values (from Python's math module) and derivatives against central
// differences in double.

#include <cmath>

#include "helpers.hpp"

namespace f = tinylm::kernels::formula;

namespace {

template <class F>
double central_difference(F fn, double x) {
  const double h = 1e-6;
  return (fn(x + h) - fn(x - h)) / (2 * h);
}

}  // namespace

TEST_CASE("formula: GELU (tanh and erf forms) at known points, in float and double") {
  const double x[] = {-2.0, -0.5, 1.0, 3.0};
  const double tanh_form[] = {-0.04540230591222494, -0.15428599017485606, 0.8411919906082768, 2.996362607918227};
  const double erf_form[] = {-0.04550026389635842, -0.15426876936299344, 0.8413447460685429, 2.99595030590511};
  for (int i = 0; i < 4; ++i) {
    CHECK(f::gelu_tanh(x[i]) == doctest::Approx(tanh_form[i]).epsilon(1e-14));
    CHECK(f::gelu_erf(x[i]) == doctest::Approx(erf_form[i]).epsilon(1e-14));
    CHECK(f::gelu_tanh(static_cast<float>(x[i])) == doctest::Approx(tanh_form[i]).epsilon(1e-6));
    CHECK(f::gelu_erf(static_cast<float>(x[i])) == doctest::Approx(erf_form[i]).epsilon(1e-6));
  }
}

TEST_CASE("formula: GELU's derivatives equal central differences of GELU") {
  for (double x = -6.0; x <= 6.0; x += 0.37) {
    CAPTURE(x);
    CHECK(f::gelu_tanh_grad(x) ==
          doctest::Approx(central_difference([](double v) { return f::gelu_tanh(v); }, x)).epsilon(1e-8));
    CHECK(f::gelu_erf_grad(x) ==
          doctest::Approx(central_difference([](double v) { return f::gelu_erf(v); }, x)).epsilon(1e-8));
  }
}

TEST_CASE("formula: sigmoid and tanh at known points; float tanh saturates") {
  CHECK(f::sigmoid(0.0) == 0.5);
  CHECK(f::sigmoid(2.0) == doctest::Approx(0.8807970779778823).epsilon(1e-15));
  CHECK(f::tanh(0.5) == doctest::Approx(0.46211715726000974).epsilon(1e-15));
  CHECK(f::tanh(0.5f) == doctest::Approx(0.46211715726000974).epsilon(1e-6));
  CHECK(f::tanh(50.f) == 1.f);
  CHECK(f::exp(1.0f) == doctest::Approx(2.718281828459045).epsilon(2e-7));
}

TEST_CASE("formula: LayerNorm's normalisation and its input gradient") {
  // Row x = {1, 2, 4}: mean 7/3, variance 14/9.
  const double mean = 7.0 / 3.0, var = 14.0 / 9.0, eps = 1e-5;
  const double rstd = f::layernorm_rstd(var, eps);
  CHECK(rstd == doctest::Approx(1.0 / std::sqrt(14.0 / 9.0 + 1e-5)).epsilon(1e-15));
  CHECK(f::layernorm_xhat(4.0, mean, rstd) == doctest::Approx((4.0 - 7.0 / 3.0) * rstd).epsilon(1e-15));
  // dx for g = {1, 0, 0}: mean_g = 1/3, mean_gx = xhat_0 / 3.
  const double xh0 = f::layernorm_xhat(1.0, mean, rstd), xh1 = f::layernorm_xhat(2.0, mean, rstd);
  const double mg = 1.0 / 3.0, mgx = xh0 / 3.0;
  CHECK(f::layernorm_dx(1.0, xh0, rstd, mg, mgx) == doctest::Approx(rstd * (1 - mg - xh0 * mgx)).epsilon(1e-15));
  CHECK(f::layernorm_dx(0.0, xh1, rstd, mg, mgx) == doctest::Approx(rstd * (-mg - xh1 * mgx)).epsilon(1e-15));
}

TEST_CASE("formula: softmax's shift is the max, or 0 for an all -inf row") {
  CHECK(f::softmax_shift(3.5) == 3.5);
  CHECK(f::softmax_shift(-INFINITY) == 0.0);
  CHECK(f::softmax_shift(-INFINITY * 1.0f) == 0.0f);
}

TEST_CASE("formula: argmax_strided takes the first max, and a NaN wins") {
  const double x[] = {1, 9, 3, 9, 2, 0};
  double best = 0;
  CHECK(f::argmax_strided(x, 6, 1, best) == 1);  // the first of two 9s
  CHECK(best == 9);
  CHECK(f::argmax_strided(x, 3, 2, best) == 1);  // x[0], x[2], x[4] = 1, 3, 2
  CHECK(best == 3);
  const float y[] = {2, NAN, 7, NAN};
  float fb = 0;
  CHECK(f::argmax_strided(y, 4, 1, fb) == 1);  // the first NaN, not a later larger number
  CHECK(std::isnan(fb));
  CHECK(f::argmax_strided(y, 1, 1, fb) == 0);
  CHECK(fb == 2);
}

TEST_CASE("formula: one AdamW step from zero moments moves each parameter by about lr against its gradient") {
  // Step 1, m = v = 0: m = (1 - b1) g, v = (1 - b2) g^2, so
  // m / (1 - b1) = g and sqrt(v / (1 - b2)) = |g|: the update is lr * sign(g)
  // up to eps, after the decay p (1 - lr wd).
  const auto step = f::AdamStep<double>::make(0.1, 0.9, 0.999, 1e-8, 0.01, true, 1);
  double p = 2.0, m = 0.0, v = 0.0;
  step.moments(p, -0.5, m, v);
  CHECK(m == doctest::Approx(-0.05).epsilon(1e-15));
  CHECK(v == doctest::Approx(0.00025).epsilon(1e-12));
  const double p1 = step.param(p, m, std::sqrt(v));
  CHECK(p1 == doctest::Approx(2.0 * (1 - 0.1 * 0.01) + 0.1 * 0.5 / (0.5 + 1e-8)).epsilon(1e-14));
  // Adam (coupled): the decay goes into the gradient, g' = g + wd p.
  const auto coupled = f::AdamStep<double>::make(0.1, 0.9, 0.999, 1e-8, 0.01, false, 1);
  double mc = 0.0, vc = 0.0;
  coupled.moments(p, -0.5, mc, vc);
  CHECK(mc == doctest::Approx(0.1 * (-0.5 + 0.01 * 2.0)).epsilon(1e-14));
  CHECK(coupled.param(p, mc, std::sqrt(vc)) == doctest::Approx(2.0 + 0.1).epsilon(1e-7));
}
