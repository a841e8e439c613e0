// The AVX2 float32 GEMM (kernels/cpu/gemm_avx2.hpp) against sums of the
// exact products in double, taken with AVX-512 masked off (so that a CPU
// with AVX-512 runs it too). Shapes cover every tail: rows not a multiple
// of the 6-row strip (each of the 2-, 4- and 6-row tail kernels) or of the
// 48-row block of A, columns not of the 16-wide panel or of the 8-wide
// transposed blocks, K not a multiple of 8 or of the 512-deep slice,
// several K slices, N past one 4096-wide slice, every transpose, padding, alpha, and beta 0 (the kernel writes C and
// the bias itself) or 1. Tolerance: 1e-6 of sum_k |a||b| at each element; a wrong index or a lost tail is off by whole
// products. With AVX2 masked off too the same products go to Eigen's kernel. Without AVX2 the tests say so.

#include <type_traits>
#include <vector>

#include "gemm_operands.hpp"
#include "helpers.hpp"

namespace gemm_avx2_test {

namespace cd = tinylm::kernels::cpu::detail;
using gemm_operands::check_fp32_shapes, gemm_operands::check_beta0_ignores_c, gemm_operands::check_transpose,
    gemm_operands::check_pack_b;
using tinylm::CpuFeature;

constexpr uint32_t kNoAvx512 = ~static_cast<uint32_t>(CpuFeature::avx512f);

bool have_avx2() {
  if (tinylm::cpu_features().has(CpuFeature::avx2)) return true;
  MESSAGE("this CPU has no AVX2 (", tinylm::cpu_features().str(), "): the AVX2 GEMM is not checked here");
  return false;
}

}  // namespace gemm_avx2_test

TEST_CASE("avx2 gemm: equals double sums at every transpose and tail, and Eigen's kernel with AVX2 masked off") {
  using namespace gemm_avx2_test;
  if (!have_avx2()) return;
  tinylm::CpuFeatureMaskGuard no_avx512(kNoAvx512);
  CHECK(cd::gemm_kernel<float>(false) == cd::GemmKernel::avx2);
  CHECK(cd::gemm_kernel<double>(false) == cd::GemmKernel::eigen);
  check_fp32_shapes({{5, 7, 3},
                     {6, 16, 8},
                     {13, 17, 1},
                     {9, 24, 29},
                     {11, 45, 16},
                     {37, 45, 29},
                     {64, 96, 128},
                     {53, 33, 40},
                     {21, 600, 64},
                     {7, 4100, 9},
                     {100, 70, 800},
                     {31, 48, 519}},
                    kNoAvx512 & ~static_cast<uint32_t>(CpuFeature::avx2));
}

TEST_CASE("avx2 gemm: beta 0 ignores C's old values (NaN stays out)") {
  using namespace gemm_avx2_test;
  if (!have_avx2()) return;
  tinylm::CpuFeatureMaskGuard no_avx512(kNoAvx512);
  check_beta0_ignores_c({29, 40, 600, false, true, 0, 2.0f, 0.0f, true});  // two k slices
}

TEST_CASE("avx2 gemm: the 8 x 8 register transpose and B's packing move every value where the scalar rule puts it") {
  using namespace gemm_avx2_test;
  if (!have_avx2()) return;
  check_transpose(8, cd::transpose8);
  check_pack_b(cd::kAvx2NR, {16, 12, 8, 3}, 21, cd::pack_b_avx2);  // full transpose blocks and a tail
}

TEST_CASE("avx2 gemm: A's strips, packed 8 k at a time or a k at a time, hold what the scalar rule puts there") {
  using namespace gemm_avx2_test;
  if (!have_avx2()) return;
  const std::vector<float> x = gemm_operands::numbered(70, 90);
  auto check = [&](auto mr_const, int64_t mr, bool trans) {
    constexpr int MR = decltype(mr_const)::value;
    CAPTURE(MR);
    CAPTURE(mr);
    CAPTURE(trans);
    const int64_t kc = 21, rs = trans ? 1 : 90, ks = trans ? 90 : 1;  // two 8-deep blocks and a tail
    const float* a = x.data() + 2 * 90 + 3;
    std::vector<float> want(MR * kc), got(MR * kc + cd::kAvx2PackSlack, -1.0f);
    cd::pack_a_strip<MR>(want.data(), a, rs, ks, mr, kc);
    cd::pack_a_strip_avx2<MR>(got.data(), a, rs, ks, mr, kc);
    for (int64_t i = 0; i < MR * kc; ++i) CHECK(got[i] == want[i]);
    for (int64_t i = MR * kc + 2; i < MR * kc + cd::kAvx2PackSlack; ++i) CHECK(got[i] == -1.0f);  // at most 2 past
  };
  for (bool trans : {false, true}) {
    for (int64_t mr : {6, 5}) check(std::integral_constant<int, 6>{}, mr, trans);
    for (int64_t mr : {4, 3}) check(std::integral_constant<int, 4>{}, mr, trans);
    for (int64_t mr : {2, 1}) check(std::integral_constant<int, 2>{}, mr, trans);
  }
}
