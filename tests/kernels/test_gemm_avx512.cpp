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

#include <cmath>
#include <vector>

#include "gemm_operands.hpp"
#include "helpers.hpp"

namespace gemm_avx512_test {

namespace cd = tinylm::kernels::cpu::detail;
using tinylm::CpuFeature;

using gemm_operands::Case, gemm_operands::Operands, gemm_operands::make, gemm_operands::run, gemm_operands::worst_error,
    gemm_operands::check_fp32_shapes;

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
  const Case t{29, 40, 48, false, true, 0, 2.0f, 0.0f, true};
  Operands o = make(t, 3);
  for (float& x : o.c) x = std::nanf("");
  const std::vector<float> got = run(t, o);
  for (float x : got) CHECK(std::isfinite(x));
  for (float& x : o.c) x = 0.0f;  // the reference's beta * C
  CHECK(worst_error(t, o, got) <= 1e-6);
}

TEST_CASE(
    "avx512 gemm: the 16 x 16 register transpose and B's packing move every value where the scalar rule puts it") {
  using namespace gemm_avx512_test;
  if (!have_avx512()) return;
  const int64_t rows = 70, cols = 90;
  std::vector<float> x(rows * cols);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) + 0.5f;
  std::vector<float> t(16 * 20, -1.0f);
  cd::transpose16(x.data() + 3 * cols + 5, cols, t.data(), 20);
  for (int64_t p = 0; p < 16; ++p) {
    for (int64_t j = 0; j < 16; ++j) CHECK(t[p * 20 + j] == x[(3 + j) * cols + 5 + p]);
    for (int64_t j = 16; j < 20; ++j) CHECK(t[p * 20 + j] == -1.0f);  // nothing written past the block
  }
  // x as op(B): B stored [K, N] (rows are k) or transposed [N, K] (rows are columns).
  for (bool trans : {false, true})
    for (int64_t nr : {int64_t{32}, int64_t{20}, int64_t{7}}) {
      CAPTURE(trans);
      CAPTURE(nr);
      const int64_t k0 = 2, kc = 37;  // two full 16-deep blocks and a tail
      std::vector<float> packed(kc * cd::kF32NR, -1.0f);
      cd::pack_b_f32(packed.data(), trans ? x.data() + 4 * cols : x.data() + 4, cols, trans, nr, k0, kc);
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t j = 0; j < cd::kF32NR; ++j) {
          const float want = j >= nr ? 0.0f : trans ? x[(4 + j) * cols + k0 + p] : x[(k0 + p) * cols + 4 + j];
          CHECK(packed[p * cd::kF32NR + j] == want);
        }
    }
}
