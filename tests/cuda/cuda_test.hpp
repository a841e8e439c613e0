#pragma once
// TINYLM_CUDA_TEST("name") { ... }: a test case that needs a CUDA device.
// Where there is none (a CPU-only build, no driver, no GPU) it prints
// "[skipped] name: why" and passes; ctest then reports test_cuda as
// skipped (SKIP_REGULAR_EXPRESSION in tests/CMakeLists.txt).

#include <cstdio>

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
