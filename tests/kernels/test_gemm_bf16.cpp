// The bf16-product GEMMs, on AMX tiles (kernels/cpu/gemm_amx.hpp) and on
// AVX-512 BF16 (kernels/cpu/gemm_bf16.hpp), against a reference that
// rounds A and B to bf16 the same way and sums the exact products in
// double: a kernel's only error is then its float32 accumulation. Shapes
// cover tails of every block (rows not a multiple of 32 or 12, columns not
// of 32, K not of 32, odd K), several K, N and M blocks, every transpose,
// padding, alpha, beta and a bias. Tolerance: 1e-5 of sum_k |a||b| at each
// element (K <= 1100 float32 additions). Each kernel the CPU has is run
// (AVX-512 BF16 alone by masking AMX off); without either the tests say so
// and check only the fallback.

#include <bit>
#include <cmath>
#include <iterator>
#include <tuple>
#include <vector>

#include "gemm_operands.hpp"
#include "helpers.hpp"

namespace kn = tinylm::kernels;
using tinylm::bf16;
using tinylm::CpuFeature;
using tinylm::MatmulPrecision;

namespace {

using gemm_operands::Case, gemm_operands::Operands, gemm_operands::make, gemm_operands::run;

float round_bf16(float x) { return bf16::from_float(x).to_float(); }

/// Checks the bf16 GEMM against the rounded-operand reference; returns the
/// largest difference from the float32 GEMM (relative to sum |a||b|).
double check_bf16(const Case& t) {
  CAPTURE(t.M);
  CAPTURE(t.N);
  CAPTURE(t.K);
  CAPTURE(t.ta);
  CAPTURE(t.tb);
  const Operands o = make(t, static_cast<uint64_t>(t.M * 7919 + t.N * 31 + t.K));
  const std::vector<float> fp32 = run(t, o);
  std::vector<float> got;
  {
    tinylm::MatmulPrecisionGuard guard(MatmulPrecision::bf16);
    got = run(t, o);
  }
  CHECK(gemm_operands::worst_error(t, o, got, round_bf16) <= 1e-5);
  double from_fp32 = 0;
  for (int64_t i = 0; i < t.M; ++i)
    for (int64_t j = 0; j < t.N; ++j) {
      const double scale = gemm_operands::reference(t, o, i, j, round_bf16).scale;
      from_fp32 = std::max(from_fp32, std::fabs(double(got[i * o.ldc + j]) - fp32[i * o.ldc + j]) / scale);
    }
  return from_fp32;
}

constexpr uint32_t kAmx = static_cast<uint32_t>(CpuFeature::amx_bf16);
constexpr uint32_t kAvx512Bf16 = static_cast<uint32_t>(CpuFeature::avx512_bf16);

}  // namespace

TEST_CASE("bf16 gemm: equals bf16-rounded operands summed in float32, at every transpose and tail") {
  for (const th::Bf16Kernel& kernel : th::bf16_kernels()) {
    CAPTURE(kernel.name);
    tinylm::CpuFeatureMaskGuard mask(kernel.mask);
    CHECK(kn::cpu::detail::gemm_kernel<float>(true) == kernel.kernel);
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (auto [M, N, K] : {std::tuple{5, 7, 3},
                               {8, 32, 2},
                               {9, 33, 1},
                               {37, 45, 29},
                               {64, 96, 128},
                               {100, 70, 513},
                               {13, 600, 64},
                               {200, 40, 1100},
                               {70, 530, 1030}}) {
          const double moved = check_bf16({M, N, K, ta, tb, 0, 1.0f, 0.0f, false});
          check_bf16({M, N, K, ta, tb, 3, 0.5f, 1.0f, true});
          // Rounding the operands shows: 1e-3 of sum |a||b| is far past float32's own error.
          if (K >= 29) CHECK(moved > 1e-4);
        }
  }
}

TEST_CASE("bf16 gemm: beta 0 ignores C's old values, and a batched GEMM takes the same path") {
  for (const th::Bf16Kernel& kernel : th::bf16_kernels()) {
    CAPTURE(kernel.name);
    tinylm::CpuFeatureMaskGuard kernel_mask(kernel.mask);
    Case t{24, 40, 48, false, true, 0, 2.0f, 0.0f, true};
    Operands o = make(t, 3);
    const double nan = std::nan("");
    for (float& x : o.c) x = static_cast<float>(nan);
    tinylm::MatmulPrecisionGuard guard(MatmulPrecision::bf16);
    const std::vector<float> one = run(t, o);
    for (float x : one) CHECK(std::isfinite(x));
    // Two products of one shape in one batched call equal two calls.
    std::vector<float> a2(o.a), b2(o.b);
    a2.insert(a2.end(), o.a.begin(), o.a.end());
    b2.insert(b2.end(), o.b.rbegin(), o.b.rend());
    std::vector<float> c2(2 * o.c.size(), 0.0f);
    const int64_t offs_a[] = {0, static_cast<int64_t>(o.a.size())}, offs_b[] = {0, static_cast<int64_t>(o.b.size())};
    kn::GemmBatchArgs<float> bg;
    bg.gemm.M = t.M, bg.gemm.N = t.N, bg.gemm.K = t.K;
    bg.gemm.a = {a2.data(), o.lda, t.ta};
    bg.gemm.b = {b2.data(), o.ldb, t.tb};
    bg.gemm.c = c2.data();
    bg.gemm.ldc = o.ldc;
    bg.gemm.alpha = t.alpha;
    bg.gemm.bias = o.bias.data();
    bg.batch = 2, bg.a_offsets = offs_a, bg.b_offsets = offs_b, bg.c_stride = static_cast<int64_t>(o.c.size());
    kn::gemm_batched(tinylm::Device::cpu(), bg);
    for (std::size_t i = 0; i < one.size(); ++i) CHECK(c2[i] == one[i]);
    Operands second = o;
    second.b.assign(o.b.rbegin(), o.b.rend());
    const std::vector<float> two = run(t, second);
    for (std::size_t i = 0; i < two.size(); ++i) CHECK(c2[one.size() + i] == two[i]);
  }
}

TEST_CASE("bf16 gemm: with AMX and AVX-512 BF16 masked off, or a few rows, the products stay float32") {
  for (auto [M, N, K] : {std::tuple{37, 45, 29}, {4, 64, 300}}) {
    const Case t{M, N, K, false, false, 1, 1.0f, 0.5f, true};
    const Operands o = make(t, 11);
    const std::vector<float> fp32 = run(t, o);
    tinylm::MatmulPrecisionGuard guard(MatmulPrecision::bf16);
    if (M > 4) {
      tinylm::CpuFeatureMaskGuard mask(~(kAmx | kAvx512Bf16));
      CHECK_FALSE(tinylm::matmul_precision_supported(tinylm::Device::cpu(), MatmulPrecision::bf16));
      CHECK(run(t, o) == fp32);
    } else {
      CHECK(run(t, o) == fp32);  // decoding's matrix-vector products read B as it is
    }
  }
}

TEST_CASE("bf16 gemm: packing rounds every value as bf16::from_float does (ties, NaN, infinity, overflow)") {
  if (!tinylm::cpu_features().has(CpuFeature::avx512_bf16)) return;
  namespace d = tinylm::kernels::cpu::detail;
  const float specials[] = {1.0f + 0x1p-8f,
                            1.0f + 3 * 0x1p-8f,
                            -(1.0f + 0x1p-8f + 0x1p-20f),
                            std::nanf(""),
                            std::bit_cast<float>(0xff800001u),
                            INFINITY,
                            -INFINITY,
                            3.4e38f,
                            0x1p-133f,
                            -0.0f};
  const int64_t rows = 80, cols = 80;  // room for every read below
  std::vector<float> x(rows * cols);
  tinylm::Generator g(5);
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] = i % 7 == 0 ? specials[(i / 7) % std::size(specials)] : static_cast<float>(g.uniform() * 8 - 4);
  auto at = [&](int64_t r, int64_t c) { return r < rows && c < cols ? x[r * cols + c] : 0.0f; };
  // x as op(A) (kBf16MR rows from row 3, k from 5) both ways stored, and as op(B).
  for (bool trans : {false, true}) {
    CAPTURE(trans);
    const int64_t kc = trans ? 33 : 65, pairs = (kc + 1) / 2;
    // Stored [rows, cols] read as A (rows are rows) or, transposed, as A^T (rows are k).
    std::vector<uint32_t> a(pairs * d::kBf16MR), b(pairs * d::kBf16NR);
    d::pack_a_bf16(a.data(), trans ? x.data() + 3 : x.data() + 3 * cols, cols, trans, 5, 0, kc);
    d::pack_b_bf16(b.data(), trans ? x.data() + 2 * cols : x.data() + 2, cols, trans, 20, 1, kc);
    for (int64_t p = 0; p < pairs; ++p) {
      for (int64_t r = 0; r < d::kBf16MR; ++r) {
        auto A = [&](int64_t k) { return r >= 5 || k >= kc ? 0.0f : trans ? at(k, 3 + r) : at(3 + r, k); };
        CHECK(a[p * d::kBf16MR + r] == d::bf16_pair(A(2 * p), A(2 * p + 1)));
      }
      for (int64_t j = 0; j < d::kBf16NR; ++j) {
        auto B = [&](int64_t k) { return j >= 20 || k >= kc ? 0.0f : trans ? at(2 + j, 1 + k) : at(1 + k, 2 + j); };
        CHECK(b[p * d::kBf16NR + j] == d::bf16_pair(B(2 * p), B(2 * p + 1)));
      }
    }
  }
}

TEST_CASE("bf16 gemm: AMX packing lays out A's rows and B's panels in tile order, zero past the edges") {
  namespace d = tinylm::kernels::cpu::detail;
  // A's blocks: 32 rows x 16 pairs, strip after strip; each row's 16 pairs of a block contiguous.
  CHECK(d::amx_a_index(0, 0, 32) == 0);
  CHECK(d::amx_a_index(0, 15, 32) == 15);
  CHECK(d::amx_a_index(1, 0, 32) == 16);
  CHECK(d::amx_a_index(0, 16, 32) == 32 * 16);
  CHECK(d::amx_a_index(31, 31, 32) == 32 * 32 - 1);
  CHECK(d::amx_a_index(32, 0, 32) == 32 * 32);
  // B's blocks: 16 pairs x 32 columns, panel after panel; each B tile (16 pairs of 16 columns) contiguous.
  CHECK(d::amx_b_index(0, 0, 32) == 0);
  CHECK(d::amx_b_index(15, 0, 32) == 15);
  CHECK(d::amx_b_index(0, 1, 32) == 16);
  CHECK(d::amx_b_index(16, 0, 32) == 16 * 16);
  CHECK(d::amx_b_index(0, 16, 32) == 16 * 32);
  CHECK(d::amx_b_index(32, 0, 32) == 32 * 32);
  CHECK(d::amx_b_index(63, 31, 32) == 2 * 32 * 32 - 1);
  if (!tinylm::cpu_features().has(CpuFeature::amx_bf16)) {
    MESSAGE("this CPU has no AMX (", tinylm::cpu_features().str(), "): AMX packing is not checked");
    return;
  }
  const int64_t rows = 90, cols = 90;
  std::vector<float> x(rows * cols);
  tinylm::Generator g(9);
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] = i % 11 == 0 ? std::nanf("") : static_cast<float>(g.uniform() * 8 - 4);
  auto at = [&](int64_t r, int64_t c) { return x[r * cols + c]; };
  for (bool trans : {false, true})
    for (int64_t kc : {int64_t{1}, int64_t{33}, int64_t{64}, int64_t{71}}) {
      CAPTURE(trans);
      CAPTURE(kc);
      const int64_t kp = (kc + 1) / 2 + 15 - ((kc + 1) / 2 + 15) % 16, mr = 37, nc = 45;
      // A: 37 rows from row 3 (k from 5), packed as 64 rows; B: 45 columns from column 2 (k from 1), two panels.
      std::vector<uint32_t> a(64 * kp, 7u), b(kp * 2 * d::kAmxNR, 7u);
      d::pack_a_amx(a.data(), kp, trans ? x.data() + 3 : x.data() + 3 * cols, cols, trans, mr, 5, kc);
      d::pack_b_amx(b.data(), kp, trans ? x.data() + 2 * cols : x.data() + 2, cols, trans, nc, 1, kc);
      for (int64_t p = 0; p < kp; ++p) {
        for (int64_t r = 0; r < 64; ++r) {
          auto A = [&](int64_t k) { return r >= mr || k >= kc ? 0.0f : trans ? at(5 + k, 3 + r) : at(3 + r, 5 + k); };
          CHECK(a[d::amx_a_index(r, p, kp)] == d::bf16_pair(A(2 * p), A(2 * p + 1)));
        }
        for (int64_t j = 0; j < 2 * d::kAmxNR; ++j) {
          auto B = [&](int64_t k) { return j >= nc || k >= kc ? 0.0f : trans ? at(2 + j, 1 + k) : at(1 + k, 2 + j); };
          CHECK(b[d::amx_b_index(j, p, kp)] == d::bf16_pair(B(2 * p), B(2 * p + 1)));
        }
      }
    }
}
