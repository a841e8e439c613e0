// The matmul precision setting: its names, the guard, where it applies:
// bf16 products on a CPU with AMX or AVX-512 BF16, float32 where there is
// neither.

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

TEST_CASE("matmul precision: the CPU has bf16 products where it has AMX or AVX-512 BF16, and no TF32") {
  const tinylm::CpuFeatures cpu = tinylm::cpu_features();
  const bool has_bf16 = cpu.has(tinylm::CpuFeature::avx512_bf16) || cpu.has(tinylm::CpuFeature::amx_bf16);
  CHECK(tinylm::matmul_precision_supported(tinylm::Device::cpu(), MatmulPrecision::fp32));
  CHECK(tinylm::matmul_precision_supported(tinylm::Device::cpu(), MatmulPrecision::bf16) == has_bf16);
  CHECK_FALSE(tinylm::matmul_precision_supported(tinylm::Device::cpu(), MatmulPrecision::tf32));
  CHECK(tinylm::matmul_precision_supported(tinylm::Device::cuda(), MatmulPrecision::bf16) == tinylm::cuda_compiled());
  // 1 + 2^-12 is not a bf16 or tf32 value: rounding the inputs changes every product. 8 rows: not decoding's path.
  const float x = 1.0f + 0x1p-12f;
  const auto a = tinylm::Tensor<float>::full({8, 8}, x), b = tinylm::Tensor<float>::full({8, 8}, x);
  const float fp32 = tinylm::matmul(a, b).to_vector()[0];
  CHECK(fp32 == 8 * (x * x));
  {
    tinylm::MatmulPrecisionGuard guard(MatmulPrecision::tf32);  // no TF32 on a CPU: float32
    CHECK(tinylm::matmul(a, b).to_vector()[0] == fp32);
  }
  tinylm::MatmulPrecisionGuard guard(MatmulPrecision::bf16);
  CHECK(tinylm::matmul(a, b).to_vector()[0] == (has_bf16 ? 8.0f : fp32));  // bf16(x) = 1
  tinylm::CpuFeatureMaskGuard mask(0);
  CHECK(tinylm::matmul(a, b).to_vector()[0] == fp32);
}
