#pragma once
// TINYLM_CUDA_TEST("name") { ... }: a test case that needs a CUDA device.
// Where there is none (a CPU-only build, no driver, no GPU) it prints
// "[skipped] name: why" and passes; ctest then reports test_cuda as
// skipped (SKIP_REGULAR_EXPRESSION in tests/CMakeLists.txt).

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <type_traits>

#include "helpers.hpp"

#define TINYLM_CUDA_TEST(name) TINYLM_CUDA_TEST_IMPL(name, DOCTEST_ANONYMOUS(tinylm_cuda_test_))
#define TINYLM_CUDA_TEST_IMPL(name, body)                                                  \
  static void body();                                                                      \
  TEST_CASE(name) {                                                                        \
    if (!tinylm::cuda::available()) {                                                      \
      std::printf("[skipped] %s: %s\n", name, tinylm::cuda::unavailable_reason().c_str()); \
      return;                                                                              \
    }                                                                                      \
    body();                                                                                \
  }                                                                                        \
  static void body()

namespace tinylm_cuda_test {

using tinylm::Device;
using tinylm::Tensor;

const Device gpu = Device::cuda();
const Device cpu = Device::cpu();

template <class T>
Tensor<T> random(const tinylm::Shape& shape, uint64_t seed, double lo = -3, double hi = 3) {
  tinylm::Generator g(seed);
  auto t = Tensor<T>::empty(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<T>(lo + (hi - lo) * g.uniform());
  return t;
}

/// max |a - b| / max(1, |b|) over the elements; equal infinities and NaN
/// against NaN count as equal, NaN against a number as infinitely far.
template <class T>
double rel_diff(const Tensor<T>& a, const Tensor<T>& b) {
  const auto va = a.to_vector(), vb = b.to_vector();
  REQUIRE(va.size() == vb.size());
  double worst = 0;
  for (std::size_t i = 0; i < va.size(); ++i) {
    const double x = va[i], y = vb[i];
    if (std::isnan(x) || std::isnan(y)) {
      if (!(std::isnan(x) && std::isnan(y))) worst = INFINITY;
      continue;
    }
    if (x == y) continue;
    worst = std::max(worst, std::fabs(x - y) / std::max(1.0, std::fabs(y)));
  }
  return worst;
}

template <class T>
constexpr double tol(double for_float, double for_double) {
  return std::is_same_v<T, float> ? for_float : for_double;
}

}  // namespace tinylm_cuda_test
