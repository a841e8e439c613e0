// The AVX2 float32 GEMM (kernels/cpu/gemm_avx2.hpp) against sums of the
// exact products in double, taken with AVX-512 masked off (so that a CPU
// with AVX-512 runs it too). Shapes cover every tail: rows not a multiple
// of the 6-row strip (each of the 2-, 4- and 6-row tail kernels), columns
// not of the 16-wide panel or of the 8-wide transposed blocks, K not a
// multiple of 8 or of the 256-deep slice, several K and N slices, every
// transpose, padding, alpha, and beta 0 (the kernel writes C and the bias
// itself) or 1. Tolerance: 1e-6 of sum_k |a||b| at each element; a wrong
// index or a lost tail is off by whole products. With AVX2 masked off too
// the same products go to Eigen's kernel. Without AVX2 the tests say so.

#include <cmath>
#include <vector>

#include "gemm_operands.hpp"
#include "helpers.hpp"

namespace gemm_avx2_test {

namespace cd = tinylm::kernels::cpu::detail;
using gemm_operands::Case, gemm_operands::Operands, gemm_operands::make, gemm_operands::run, gemm_operands::worst_error,
    gemm_operands::check_fp32_shapes;
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
                     {21, 600, 64},
                     {100, 70, 800},
                     {31, 48, 263}},
                    kNoAvx512 & ~static_cast<uint32_t>(CpuFeature::avx2));
}

TEST_CASE("avx2 gemm: beta 0 ignores C's old values (NaN stays out)") {
  using namespace gemm_avx2_test;
  if (!have_avx2()) return;
  tinylm::CpuFeatureMaskGuard no_avx512(kNoAvx512);
  const Case t{29, 40, 300, false, true, 0, 2.0f, 0.0f, true};  // two k slices: only the first writes C
  Operands o = make(t, 3);
  for (float& x : o.c) x = std::nanf("");
  const std::vector<float> got = run(t, o);
  for (float x : got) CHECK(std::isfinite(x));
  for (float& x : o.c) x = 0.0f;  // the reference's beta * C
  CHECK(worst_error(t, o, got) <= 1e-6);
}

TEST_CASE("avx2 gemm: the 8 x 8 register transpose and B's packing move every value where the scalar rule puts it") {
  using namespace gemm_avx2_test;
  if (!have_avx2()) return;
  const int64_t rows = 70, cols = 90;
  std::vector<float> x(rows * cols);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) + 0.5f;
  std::vector<float> t(8 * 11, -1.0f);
  cd::transpose8(x.data() + 3 * cols + 5, cols, t.data(), 11);
  for (int64_t p = 0; p < 8; ++p) {
    for (int64_t j = 0; j < 8; ++j) CHECK(t[p * 11 + j] == x[(3 + j) * cols + 5 + p]);
    for (int64_t j = 8; j < 11; ++j) CHECK(t[p * 11 + j] == -1.0f);  // nothing written past the block
  }
  // x as op(B): B stored [K, N] (rows are k) or transposed [N, K] (rows are columns).
  for (bool trans : {false, true})
    for (int64_t nr : {int64_t{16}, int64_t{12}, int64_t{8}, int64_t{3}}) {
      CAPTURE(trans);
      CAPTURE(nr);
      const int64_t k0 = 2, kc = 21;  // two full 8-deep blocks and a tail
      std::vector<float> packed(kc * cd::kAvx2NR, -1.0f);
      cd::pack_b_avx2(packed.data(), trans ? x.data() + 4 * cols : x.data() + 4, cols, trans, nr, k0, kc);
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t j = 0; j < cd::kAvx2NR; ++j) {
          const float want = j >= nr ? 0.0f : trans ? x[(4 + j) * cols + k0 + p] : x[(k0 + p) * cols + 4 + j];
          CHECK(packed[p * cd::kAvx2NR + j] == want);
        }
    }
}
