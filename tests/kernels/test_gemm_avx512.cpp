// The AVX-512 float32 GEMM (kernels/cpu/gemm_avx512.hpp) against sums of
// the exact products in double. Shapes cover every tail: rows not a
// multiple of the 12-row strip (each of the 4-, 8- and 12-row tail
// kernels), columns not of the 32-wide panel (and not of the 16-wide
// transposed blocks), K not a multiple of 16 or of the 384-deep slice,
// several K and N slices, every transpose, padding, alpha, and beta 0
// (the kernel writes C and the bias itself) or 1 (it adds to C, the bias
// added first). Tolerance: 1e-6 of sum_k |a||b| at each element, a few
// float32 roundings; a wrong index or a lost tail is off by whole
// products. With AVX-512 and AVX2 masked off the same products go to Eigen's
// kernel, which must agree within the same tolerance. Without AVX-512 the
// tests say so.

#include "gemm_operands.hpp"
#include "helpers.hpp"

namespace gemm_avx512_test {

namespace cd = tinylm::kernels::cpu::detail;
using tinylm::CpuFeature;

using gemm_operands::check_fp32_shapes, gemm_operands::check_beta0_ignores_c, gemm_operands::check_transpose,
    gemm_operands::check_pack_b;

bool have_avx512() {
  if (tinylm::cpu_features().has(CpuFeature::avx512f)) return true;
  MESSAGE("this CPU has no AVX-512 (", tinylm::cpu_features().str(), "): the AVX-512 GEMM is not checked here");
  return false;
}

}  // namespace gemm_avx512_test

TEST_CASE(
    "avx512 gemm: equals double sums at every transpose and tail, and Eigen's kernel, AVX-512 and AVX2 masked off") {
  using namespace gemm_avx512_test;
  if (!have_avx512()) return;
  CHECK(cd::gemm_kernel<float>(false) == cd::GemmKernel::avx512);
  CHECK(cd::gemm_kernel<double>(false) == cd::GemmKernel::eigen);
  check_fp32_shapes({{5, 7, 3},
                     {12, 32, 16},
                     {13, 33, 1},
                     {37, 45, 29},
                     {64, 96, 128},
                     {11, 50, 40},
                     {21, 600, 64},
                     {100, 70, 800},
                     {31, 48, 17}},
                    ~static_cast<uint32_t>(CpuFeature::avx512f) & ~static_cast<uint32_t>(CpuFeature::avx2));
}

TEST_CASE("avx512 gemm: beta 0 ignores C's old values (NaN stays out)") {
  using namespace gemm_avx512_test;
  if (!have_avx512()) return;
  check_beta0_ignores_c({29, 40, 48, false, true, 0, 2.0f, 0.0f, true});
}

TEST_CASE(
    "avx512 gemm: the 16 x 16 register transpose and B's packing move every value where the scalar rule puts it") {
  using namespace gemm_avx512_test;
  if (!have_avx512()) return;
  check_transpose(16, cd::transpose16);
  check_pack_b(cd::kF32NR, {32, 20, 7}, 37, cd::pack_b_f32);  // full transpose blocks and a tail
}
