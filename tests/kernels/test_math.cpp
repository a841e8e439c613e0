#include <cmath>
#include <cstring>
#include <limits>

#include "helpers.hpp"

namespace k = tinylm::kernels::cpu;

namespace {

// Distance in units in the last place between two finite floats of one sign.
int64_t ulps(float a, float b) {
  int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  return std::llabs(int64_t(ia) - int64_t(ib));
}

}  // namespace

TEST_CASE("vexp is within 2 ulp of expf over its whole finite range") {
  int64_t worst = 0;
  float at = 0;
  for (float x = -87.0f; x < 88.0f; x += 0.0013f) {
    const int64_t u = ulps(k::vexp(x), std::exp(x));
    if (u > worst) worst = u, at = x;
  }
  INFO("worst " << worst << " ulp at x = " << at);
  CHECK(worst <= 2);
}

TEST_CASE("vexp handles the edges: 0 below, inf above, NaN through, -inf to 0") {
  CHECK(k::vexp(-1000.f) == 0.f);
  CHECK(k::vexp(-std::numeric_limits<float>::infinity()) == 0.f);
  CHECK(std::isinf(k::vexp(1000.f)));
  CHECK(std::isnan(k::vexp(std::numeric_limits<float>::quiet_NaN())));
  CHECK(k::vexp(0.f) == 1.f);
}

TEST_CASE("vtanh is within 2e-7 of tanhf and saturates to +-1") {
  double worst = 0;
  for (float x = -12.f; x < 12.f; x += 0.001f) worst = std::max(worst, double(std::fabs(k::vtanh(x) - std::tanh(x))));
  CHECK(worst < 2e-7);
  CHECK(k::vtanh(100.f) == 1.f);
  CHECK(k::vtanh(-100.f) == -1.f);
}

#if defined(TINYLM_FLOAT_LANES)
namespace {

namespace f = tinylm::kernels::formula;

// Runs op on FloatLanes filled from xs (a register at a time, the last one
// padded with zeros) and returns the lanes' values in order.
template <class Op>
std::vector<float> on_lanes(const std::vector<float>& xs, Op op) {
  std::vector<float> out(xs.size());
  for (size_t i = 0; i < xs.size(); i += f::kFloatLanes) {
    f::FloatLanes v{};
    for (int l = 0; l < f::kFloatLanes && i + l < xs.size(); ++l) v[l] = xs[i + l];
    v = op(v);
    for (int l = 0; l < f::kFloatLanes && i + l < xs.size(); ++l) out[i + l] = v[l];
  }
  return out;
}

// The inputs the lane tests use: a sweep over the whole range and the edges.
std::vector<float> lane_inputs() {
  std::vector<float> xs;
  for (float x = -120.f; x < 120.f; x += 0.0371f) xs.push_back(x);
  for (float x : {0.f, -0.f, 1e-30f, -1e-30f, 88.3f, 88.4f, -87.3f, -87.4f, 1000.f, -1000.f}) xs.push_back(x);
  xs.push_back(std::numeric_limits<float>::infinity());
  xs.push_back(-std::numeric_limits<float>::infinity());
  xs.push_back(std::numeric_limits<float>::quiet_NaN());
  return xs;
}

// Same value (NaN as NaN), or within one ulp.
bool same_float(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b) || a == 0 || b == 0) return a == b;
  return (a > 0) == (b > 0) && ulps(a, b) <= 1;
}

}  // namespace

TEST_CASE("exp, tanh, sigmoid and GELU on FloatLanes give the float version's value in every lane") {
  const std::vector<float> xs = lane_inputs();
  // op is generic: on_lanes calls it with FloatLanes, the reference with a float.
  const auto check = [&](const char* name, auto op) {
    const std::vector<float> got = on_lanes(xs, op);
    int bad = 0;
    for (size_t i = 0; i < xs.size(); ++i)
      if (!same_float(got[i], op(xs[i])) && bad++ < 5)
        FAIL_CHECK(name << "(" << xs[i] << "): lanes " << got[i] << ", float " << op(xs[i]));
    CHECK(bad == 0);
  };
  check("exp", [](auto v) { return f::exp(v); });
  check("tanh", [](auto v) { return f::tanh(v); });
  check("sigmoid", [](auto v) { return f::sigmoid(v); });
  check("gelu_tanh", [](auto v) { return f::gelu_tanh(v); });
  check("gelu_tanh_grad", [](auto v) { return f::gelu_tanh_grad(v); });
  // The edges themselves, on lanes: 0 below, inf above, NaN through.
  const std::vector<float> e = on_lanes({-1000.f, 1000.f, std::numeric_limits<float>::quiet_NaN(), 0.f},
                                        [](f::FloatLanes v) { return f::exp(v); });
  CHECK(e[0] == 0.f);
  CHECK(std::isinf(e[1]));
  CHECK(std::isnan(e[2]));
  CHECK(e[3] == 1.f);
}
#endif

TEST_CASE("exp_shifted and sum_exp_shifted: every length, in place, -inf to 0, against vexp one by one") {
  for (int64_t n = 0; n <= 53; ++n) {
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j)
      x[j] = (j % 3 == 2) ? -std::numeric_limits<float>::infinity() : 0.37f * float(j % 11) - 2.f;
    const float shift = 1.25f;
    std::vector<float> want(x.size());
    double want_sum = 0;
    for (int64_t j = 0; j < n; ++j) want_sum += want[j] = k::vexp(x[j] - shift);
    std::vector<float> y(x.size(), 7.f);
    const float s = k::exp_shifted(y.data(), x.data(), n, shift);
    CAPTURE(n);
    for (int64_t j = 0; j < n; ++j) CHECK(y[j] == doctest::Approx(want[j]).epsilon(1e-6));
    CHECK(s == doctest::Approx(want_sum).epsilon(1e-6));
    CHECK(k::sum_exp_shifted(x.data(), n, shift) == doctest::Approx(want_sum).epsilon(1e-6));
    std::vector<float> in_place = x;
    CHECK(k::exp_shifted(in_place.data(), in_place.data(), n, shift) == doctest::Approx(want_sum).epsilon(1e-6));
    CHECK(in_place == y);
  }
}

TEST_CASE("the GELU kernels agree with the formula on every length, tails included") {
  for (int64_t n : {1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 100, 4099}) {
    std::vector<float> x(static_cast<size_t>(n)), dy(x.size()), y(x.size()), dx(x.size());
    for (int64_t i = 0; i < n; ++i) {
      x[i] = -6.f + 12.f * float(i) / float(n);
      dy[i] = 0.5f + 0.01f * float(i % 13);
    }
    k::gelu_tanh_forward(y.data(), x.data(), n);
    k::gelu_tanh_backward(dx.data(), dy.data(), x.data(), n);
    CAPTURE(n);
    for (int64_t i = 0; i < n; ++i) {
      CHECK(y[i] == doctest::Approx(tinylm::kernels::formula::gelu_tanh(x[i])).epsilon(1e-6));
      CHECK(dx[i] == doctest::Approx(dy[i] * tinylm::kernels::formula::gelu_tanh_grad(x[i])).epsilon(1e-6));
    }
  }
}
