// The matmul precision setting: its names, the guard, where it applies,
// and that the CPU GEMM computes in float32 whatever it allows.

#include <doctest/doctest.h>

#include <tinylm/tinylm.hpp>

#include "helpers.hpp"

using tinylm::MatmulPrecision;

TEST_CASE("matmul precision: names parse back, anything else is an error naming it") {
  for (MatmulPrecision p : {MatmulPrecision::fp32, MatmulPrecision::tf32, MatmulPrecision::bf16})
    CHECK(tinylm::parse_matmul_precision(tinylm::matmul_precision_name(p)) == p);
  CHECK(std::string(tinylm::matmul_precision_name(MatmulPrecision::bf16)) == "bf16");
  CHECK_THROWS_WITH_AS(tinylm::parse_matmul_precision("fp16"),
                       "matmul precision: unknown precision 'fp16' (expected fp32, tf32 or bf16)", tinylm::Error);
}

TEST_CASE("matmul precision: fp32 by default, a guard sets it for its scope and restores it") {
  CHECK(tinylm::matmul_precision() == MatmulPrecision::fp32);
  {
    tinylm::MatmulPrecisionGuard outer(MatmulPrecision::bf16);
    CHECK(tinylm::matmul_precision() == MatmulPrecision::bf16);
    {
      tinylm::MatmulPrecisionGuard inner(MatmulPrecision::tf32);
      CHECK(tinylm::matmul_precision() == MatmulPrecision::tf32);
    }
    CHECK(tinylm::matmul_precision() == MatmulPrecision::bf16);
  }
  CHECK(tinylm::matmul_precision() == MatmulPrecision::fp32);
}

TEST_CASE("matmul precision: the CPU computes float32 products whatever the setting allows") {
  CHECK(tinylm::matmul_precision_supported(tinylm::Device::cpu(), MatmulPrecision::fp32));
  CHECK_FALSE(tinylm::matmul_precision_supported(tinylm::Device::cpu(), MatmulPrecision::bf16));
  CHECK_FALSE(tinylm::matmul_precision_supported(tinylm::Device::cpu(), MatmulPrecision::tf32));
  CHECK(tinylm::matmul_precision_supported(tinylm::Device::cuda(), MatmulPrecision::bf16) == tinylm::cuda_compiled());
  // 1 + 2^-12 is not a bf16 or tf32 value: rounding the inputs would change the product.
  const float x = 1.0f + 0x1p-12f;
  const auto a = tinylm::Tensor<float>::full({1, 1}, x), b = tinylm::Tensor<float>::full({1, 1}, x);
  const float fp32 = tinylm::matmul(a, b).item();
  tinylm::MatmulPrecisionGuard guard(MatmulPrecision::bf16);
  CHECK(tinylm::matmul(a, b).item() == fp32);
  CHECK(fp32 == x * x);
}
