#pragma once
// Operands and the double-sum reference for the CPU GEMM kernels' tests
// (test_gemm_avx2.cpp, test_gemm_avx512.cpp, test_gemm_bf16.cpp): a case is a shape, the
// transposes, padding after each row, alpha, beta and whether a bias is
// added; its operands are uniform in [-1, 1) from a seed, C included, so
// that beta and the padding are seen.

#include <cmath>
#include <initializer_list>
#include <vector>

#include "helpers.hpp"

namespace gemm_operands {

struct Case {
  int64_t M, N, K;
  bool ta, tb;
  int64_t pad;
  float alpha, beta;
  bool bias;
};

struct Operands {
  std::vector<float> a, b, c, bias;
  int64_t lda, ldb, ldc;
};

inline Operands make(const Case& t, uint64_t seed) {
  tinylm::Generator g(seed);
  Operands o;
  o.lda = (t.ta ? t.M : t.K) + t.pad, o.ldb = (t.tb ? t.K : t.N) + t.pad, o.ldc = t.N + t.pad;
  o.a.resize((t.ta ? t.K : t.M) * o.lda);
  o.b.resize((t.tb ? t.N : t.K) * o.ldb);
  o.c.resize(t.M * o.ldc);
  o.bias.resize(t.N);
  for (auto* v : {&o.a, &o.b, &o.c, &o.bias})
    for (float& x : *v) x = static_cast<float>(g.uniform() * 2 - 1);
  return o;
}

/// C after the GEMM through the device-neutral entry point, under the
/// current matmul precision and CPU feature mask.
inline std::vector<float> run(const Case& t, const Operands& o) {
  std::vector<float> c = o.c;
  tinylm::kernels::GemmArgs<float> g;
  g.M = t.M, g.N = t.N, g.K = t.K;
  g.a = {o.a.data(), o.lda, t.ta};
  g.b = {o.b.data(), o.ldb, t.tb};
  g.c = c.data();
  g.ldc = o.ldc;
  g.alpha = t.alpha, g.beta = t.beta;
  g.bias = t.bias ? o.bias.data() : nullptr;
  tinylm::kernels::gemm(tinylm::Device::cpu(), g);
  return c;
}

/// C[i, j] summed in double from op(A) and op(B) each passed through
/// `round` (the identity, or the rounding a kernel applies to its
/// operands), and the scale an error there is measured against:
/// |alpha| sum_k |a b| + |beta c| + 1.
struct Reference {
  double value, scale;
};

template <class Round>
Reference reference(const Case& t, const Operands& o, int64_t i, int64_t j, Round round) {
  double sum = 0, size = 0;
  for (int64_t p = 0; p < t.K; ++p) {
    const float a = t.ta ? o.a[p * o.lda + i] : o.a[i * o.lda + p];
    const float b = t.tb ? o.b[j * o.ldb + p] : o.b[p * o.ldb + j];
    sum += double(round(a)) * double(round(b));
    size += std::fabs(double(a) * double(b));
  }
  const double c0 = o.c[i * o.ldc + j];
  return {t.alpha * sum + t.beta * c0 + (t.bias ? o.bias[j] : 0.0),
          std::fabs(t.alpha) * size + std::fabs(t.beta * c0) + 1};
}

/// The largest error of `got` against the reference, relative to its
/// scale; also checks that the padding after each row of C is untouched.
template <class Round>
double worst_error(const Case& t, const Operands& o, const std::vector<float>& got, Round round) {
  double worst = 0;
  for (int64_t i = 0; i < t.M; ++i) {
    for (int64_t j = 0; j < t.N; ++j) {
      const Reference r = reference(t, o, i, j, round);
      worst = std::max(worst, std::fabs(got[i * o.ldc + j] - r.value) / r.scale);
    }
    for (int64_t j = t.N; j < o.ldc; ++j) CHECK(got[i * o.ldc + j] == o.c[i * o.ldc + j]);
  }
  return worst;
}

inline double worst_error(const Case& t, const Operands& o, const std::vector<float>& got) {
  return worst_error(t, o, got, [](float x) { return x; });
}

struct Mnk {
  int64_t M, N, K;
};

/// Each shape at every transpose, three ways (beta 0; beta 0 with a bias,
/// alpha 1.5 and padding; beta 1 with a bias, alpha 0.5 and more padding):
/// the float32 product within 1e-6 of the exact one (relative to its
/// scale) through the kernel the CPU takes now, and again under the
/// feature mask `eigen_mask`, which must send float to Eigen's kernel.
inline void check_fp32_shapes(std::initializer_list<Mnk> shapes, uint32_t eigen_mask) {
  namespace cd = tinylm::kernels::cpu::detail;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (const Mnk s : shapes)
        for (const Case t :
             {Case{s.M, s.N, s.K, ta, tb, 0, 1.0f, 0.0f, false}, Case{s.M, s.N, s.K, ta, tb, 1, 1.5f, 0.0f, true},
              Case{s.M, s.N, s.K, ta, tb, 3, 0.5f, 1.0f, true}}) {
          CAPTURE(t.M);
          CAPTURE(t.N);
          CAPTURE(t.K);
          CAPTURE(t.ta);
          CAPTURE(t.tb);
          CAPTURE(t.pad);
          const Operands o = make(t, static_cast<uint64_t>(t.M * 7919 + t.N * 31 + t.K));
          CHECK(worst_error(t, o, run(t, o)) <= 1e-6);
          tinylm::CpuFeatureMaskGuard mask(eigen_mask);
          CHECK(cd::gemm_kernel<float>(false) == cd::GemmKernel::eigen);
          CHECK(worst_error(t, o, run(t, o)) <= 1e-6);
        }
}

/// beta = 0 with C full of NaN: every element finite and within 1e-6 of the
/// exact product, C's old values never read (the kernels write C for beta
/// = 0 themselves; K past one k slice checks that only the first writes).
inline void check_beta0_ignores_c(const Case& t) {
  Operands o = make(t, 3);
  for (float& x : o.c) x = std::nanf("");
  const std::vector<float> got = run(t, o);
  for (float x : got) CHECK(std::isfinite(x));
  for (float& x : o.c) x = 0.0f;  // the reference's beta * C
  CHECK(worst_error(t, o, got) <= 1e-6);
}

/// A rows x cols matrix of distinct values, for the layout checks below.
inline std::vector<float> numbered(int64_t rows, int64_t cols) {
  std::vector<float> x(static_cast<std::size_t>(rows * cols));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) + 0.5f;
  return x;
}

/// A w x w register transpose, transpose(x, ldx, out, ldo), against the
/// scalar rule out[p, j] = x[j, p]; nothing past the block is written.
template <class Transpose>
void check_transpose(int64_t w, Transpose transpose) {
  const int64_t cols = 90, ldo = w + 3;
  const std::vector<float> x = numbered(70, cols);
  std::vector<float> t(static_cast<std::size_t>(w * ldo), -1.0f);
  transpose(x.data() + 3 * cols + 5, cols, t.data(), ldo);
  for (int64_t p = 0; p < w; ++p) {
    for (int64_t j = 0; j < w; ++j) CHECK(t[p * ldo + j] == x[(3 + j) * cols + 5 + p]);
    for (int64_t j = w; j < ldo; ++j) CHECK(t[p * ldo + j] == -1.0f);
  }
}

/// A B packer, pack(out, b, ldb, trans_b, nr, k0, kc), against the scalar
/// rule: out[p * panel + j] = op(B)[k0 + p, j], zero for j >= nr, for B
/// stored [K, N] and transposed [N, K], at each panel width in `widths`
/// and kc k (full register-transpose blocks and a tail).
template <class Pack>
void check_pack_b(int64_t panel, std::initializer_list<int64_t> widths, int64_t kc, Pack pack) {
  const int64_t cols = 90, k0 = 2;
  const std::vector<float> x = numbered(70, cols);
  for (bool trans : {false, true})
    for (const int64_t nr : widths) {
      CAPTURE(trans);
      CAPTURE(nr);
      std::vector<float> packed(static_cast<std::size_t>(kc * panel), -1.0f);
      pack(packed.data(), trans ? x.data() + 4 * cols : x.data() + 4, cols, trans, nr, k0, kc);
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t j = 0; j < panel; ++j) {
          const float want = j >= nr ? 0.0f : trans ? x[(4 + j) * cols + k0 + p] : x[(k0 + p) * cols + 4 + j];
          CHECK(packed[p * panel + j] == want);
        }
    }
}

}  // namespace gemm_operands
