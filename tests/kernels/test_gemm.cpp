#include "helpers.hpp"

namespace k = tinylm::kernels::cpu;

namespace {

// C = alpha * op(A) op(B) + beta * C (+ bias on every row) with plain loops, in double.
std::vector<double> naive_gemm(const std::vector<double>& a, const std::vector<double>& b, std::vector<double> c,
                               int64_t M, int64_t N, int64_t K, bool ta, bool tb, int64_t lda, int64_t ldb, int64_t ldc,
                               double alpha, double beta, const std::vector<double>& bias = {}) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = 0;
      for (int64_t p = 0; p < K; ++p)
        s += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
      c[i * ldc + j] = alpha * s + beta * c[i * ldc + j] + (bias.empty() ? 0.0 : bias[j]);
    }
  return c;
}

template <class T>
void check_gemm(int64_t M, int64_t N, int64_t K, bool ta, bool tb, int pad, double alpha, double beta, double tol,
                bool with_bias = false) {
  tinylm::Generator g(M * 1000 + N * 10 + K);
  const int64_t lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
  std::vector<double> a((ta ? K : M) * lda), b((tb ? N : K) * ldb), c(M * ldc), bias(with_bias ? N : 0);
  for (auto* v : {&a, &b, &c, &bias})
    for (auto& x : *v) x = g.uniform() * 2 - 1;
  std::vector<T> at(a.begin(), a.end()), bt(b.begin(), b.end()), ct(c.begin(), c.end()),
      biast(bias.begin(), bias.end());
  k::gemm<T>({.M = M,
              .N = N,
              .K = K,
              .a = {.data = at.data(), .ld = lda, .transposed = ta},
              .b = {.data = bt.data(), .ld = ldb, .transposed = tb},
              .c = ct.data(),
              .ldc = ldc,
              .alpha = T(alpha),
              .beta = T(beta),
              .bias = with_bias ? biast.data() : nullptr});
  const auto want = naive_gemm(a, b, c, M, N, K, ta, tb, lda, ldb, ldc, alpha, beta, bias);
  INFO("M=" << M << " N=" << N << " K=" << K << " ta=" << ta << " tb=" << tb << " pad=" << pad
            << " bias=" << with_bias);
  th::check_close(ct, want, tol);
}

// gemm_bf16_weights against the naive loop over B's values widened (which
// are bf16 values exactly), in float32's tolerance.
void check_gemm_bf16_weights(int64_t M, int64_t N, int64_t K, bool ta, bool tb, int pad, double beta, bool with_bias) {
  tinylm::Generator g(M * 7919 + N * 31 + K);
  const int64_t lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
  std::vector<double> a((ta ? K : M) * lda), b((tb ? N : K) * ldb), c(M * ldc), bias(with_bias ? N : 0);
  for (auto* v : {&a, &b, &c, &bias})
    for (auto& x : *v) x = g.uniform() * 2 - 1;
  std::vector<tinylm::bf16> b16(b.size());
  for (std::size_t i = 0; i < b.size(); ++i) {
    b16[i] = tinylm::bf16::from_float(static_cast<float>(b[i]));
    b[i] = b16[i].to_float();
  }
  std::vector<float> at(a.begin(), a.end()), ct(c.begin(), c.end()), biast(bias.begin(), bias.end());
  k::gemm_bf16_weights({.M = M,
                        .N = N,
                        .K = K,
                        .a = {.data = at.data(), .ld = lda, .transposed = ta},
                        .b = {.data = nullptr, .ld = ldb, .transposed = tb},
                        .c = ct.data(),
                        .ldc = ldc,
                        .beta = static_cast<float>(beta),
                        .bias = with_bias ? biast.data() : nullptr},
                       b16.data());
  const auto want = naive_gemm(a, b, c, M, N, K, ta, tb, lda, ldb, ldc, 1.0, beta, bias);
  INFO("M=" << M << " N=" << N << " K=" << K << " ta=" << ta << " tb=" << tb << " pad=" << pad << " beta=" << beta
            << " bias=" << with_bias);
  th::check_close(ct, want, 1e-4);
}

}  // namespace

TEST_CASE("gemm with a bf16 B computes the float32 product of its values, decoding's few rows and a prompt's many") {
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      // M <= 4: B read once as bf16 (threads split K, or N when B is transposed); more rows: B widened in
      // blocks of 512 columns (1100 = two whole blocks and a part).
      for (auto [M, N, K] : {std::tuple{1, 1, 1},
                             {1, 77, 301},
                             {4, 1100, 65},
                             {2, 300, 1500},
                             {5, 1100, 33},
                             {37, 70, 129},
                             {3, 5, 0},
                             {9, 5, 0}}) {
        check_gemm_bf16_weights(M, N, K, ta, tb, 0, 0.0, false);
        check_gemm_bf16_weights(M, N, K, ta, tb, 3, 0.5, true);
      }
}

TEST_CASE("gemm matches a naive triple loop for every transpose combination and odd sizes") {
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (auto [M, N, K] :
           {std::tuple{1, 1, 1}, {7, 5, 3}, {33, 17, 65}, {130, 70, 9}, {3, 200, 40}, {1, 90, 1500}, {4, 70, 600}}) {
        check_gemm<double>(M, N, K, ta, tb, 0, 1.0, 0.0, 1e-12);
        check_gemm<double>(M, N, K, ta, tb, 3, 0.5, 2.0, 1e-12);
        check_gemm<float>(M, N, K, ta, tb, 1, 1.0, 1.0, 1e-4);
      }
}

TEST_CASE("gemm adds a bias to every row, on the few-rows path and when threads split rows or columns") {
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (auto [M, N, K] : {std::tuple{3, 70, 9}, {300, 40, 50}, {40, 300, 50}, {33, 17, 65}, {2, 300, 300}}) {
        check_gemm<double>(M, N, K, ta, tb, 2, 1.0, 0.0, 1e-12, true);
        check_gemm<double>(M, N, K, ta, tb, 0, 0.5, 2.0, 1e-12, true);
        check_gemm<float>(M, N, K, ta, tb, 1, 1.0, 0.0, 1e-4, true);
      }
  std::vector<float> c{1, 2, 3, 4}, bias{10, 20};  // K = 0: C = beta C + bias
  k::gemm<float>({.M = 2,
                  .N = 2,
                  .K = 0,
                  .a = {nullptr, 0},
                  .b = {nullptr, 2},
                  .c = c.data(),
                  .ldc = 2,
                  .beta = 0.5f,
                  .bias = bias.data()});
  CHECK(c == std::vector<float>{10.5f, 21, 11.5f, 22});
}

TEST_CASE("gemm with K = 0 scales C by beta") {
  std::vector<float> c{1, 2, 3, 4};
  k::gemm<float>({.M = 2, .N = 2, .K = 0, .a = {nullptr, 0}, .b = {nullptr, 2}, .c = c.data(), .ldc = 2, .beta = 0.5f});
  CHECK(c == std::vector<float>{0.5f, 1, 1.5f, 2});
}

TEST_CASE("batched gemm applies per-batch offsets (broadcast operands repeat)") {
  // Two batches of A, one shared B (offset 0 twice).
  const int64_t M = 3, N = 4, K = 5;
  tinylm::Generator g(3);
  std::vector<double> a(2 * M * K), b(K * N), c(2 * M * N, -1);
  for (auto& x : a) x = g.uniform();
  for (auto& x : b) x = g.uniform();
  const int64_t ao[2] = {0, M * K}, bo[2] = {0, 0};
  k::gemm_batched<double>(
      {.gemm = {.M = M, .N = N, .K = K, .a = {a.data(), K}, .b = {b.data(), N}, .c = c.data(), .ldc = N},
       .batch = 2,
       .a_offsets = ao,
       .b_offsets = bo,
       .c_stride = M * N});
  for (int bi = 0; bi < 2; ++bi) {
    std::vector<double> ab(a.begin() + bi * M * K, a.begin() + (bi + 1) * M * K);
    const auto want = naive_gemm(ab, b, std::vector<double>(M * N, 0), M, N, K, false, false, K, N, N, 1, 0);
    th::check_close(std::vector<double>(c.begin() + bi * M * N, c.begin() + (bi + 1) * M * N), want);
  }
}
