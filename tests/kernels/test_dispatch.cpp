#include "helpers.hpp"

TEST_CASE("the device-neutral layer runs the CPU kernel for CPU data") {
  std::vector<float> x{1, 2, 3, 4, 5, 6}, y(6);
  tinylm::kernels::softmax_forward(tinylm::Device::cpu(), y.data(), x.data(), 2, 3, 1, false);
  std::vector<float> want(6);
  tinylm::kernels::cpu::softmax_forward(want.data(), x.data(), 2, 3, 1, false);
  CHECK(y == want);
  CHECK(tinylm::kernels::sum_squares(tinylm::Device::cpu(), x.data(), 6) == 91.0);
}

TEST_CASE("a device without an implementation gets an error naming the kernel and the device") {
  std::vector<float> x(6), y(6);
  CHECK_THROWS_WITH_AS(tinylm::kernels::softmax_forward(tinylm::Device::cuda(1), y.data(), x.data(), 2, 3, 1, false),
                       "kernel softmax_forward: no implementation for device cuda:1 in this build of tinylm",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::kernels::gemm<float>(
                           tinylm::Device::cuda(),
                           {.M = 1, .N = 1, .K = 1, .a = {x.data(), 1}, .b = {x.data(), 1}, .c = y.data(), .ldc = 1}),
                       "kernel gemm: no implementation for device cuda:0 in this build of tinylm", tinylm::Error);
  CHECK(y == std::vector<float>(6, 0.0f));  // nothing was written
}
