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
