#pragma once
// The body of kernels/cpu/gemm.hpp's Eigen GEMM: included by that header in
// a header-only build, compiled once into tinylm_compiled otherwise
// (core/config.hpp), so that Eigen's headers stay out of a program's own
// translation units.

#include <Eigen/Core>

#include "tinylm/kernels/cpu/gemm.hpp"

namespace tinylm::kernels::cpu::detail {

/// C^T (column-major, N x M, ld ldc) += alpha * op(B)^T op(A)^T, one thread.
template <class T, int BOrder, int AOrder>
void gemm_block(T* c, const T* a, const T* b, int64_t M, int64_t N, int64_t K, int64_t lda, int64_t ldb, int64_t ldc,
                T alpha) {
  using Eigen::Index;
  Eigen::internal::gemm_blocking_space<Eigen::ColMajor, T, T, Eigen::Dynamic, Eigen::Dynamic, Eigen::Dynamic> blocking(
      N, M, K, 1, true);
  Eigen::internal::general_matrix_matrix_product<Index, T, BOrder, false, T, AOrder, false, Eigen::ColMajor, 1>::run(
      N, M, K, b, ldb, a, lda, c, 1, ldc, alpha, blocking, nullptr);
}

template <class T>
void gemm_serial(T* c, const T* a, const T* b, int64_t M, int64_t N, int64_t K, bool trans_a, bool trans_b, int64_t lda,
                 int64_t ldb, int64_t ldc, T alpha) {
  // A row-major [M, K] buffer is a column-major K x M matrix, i.e. op(A)^T;
  // a transposed A (stored [K, M]) is the row-major K x M op(A)^T. Same for B.
  constexpr int Col = Eigen::ColMajor, Row = Eigen::RowMajor;
  if (!trans_b && !trans_a) gemm_block<T, Col, Col>(c, a, b, M, N, K, lda, ldb, ldc, alpha);
  else if (!trans_b && trans_a) gemm_block<T, Col, Row>(c, a, b, M, N, K, lda, ldb, ldc, alpha);
  else if (trans_b && !trans_a) gemm_block<T, Row, Col>(c, a, b, M, N, K, lda, ldb, ldc, alpha);
  else gemm_block<T, Row, Row>(c, a, b, M, N, K, lda, ldb, ldc, alpha);
}

}  // namespace tinylm::kernels::cpu::detail

namespace tinylm::kernels::cpu {

TINYLM_DECL void gemm_bf16_weights(const GemmArgs<float>& g, const bf16* b) {
  const int64_t M = g.M, N = g.N, K = g.K, ldb = g.b.ld;
  if (M == 0 || N == 0) return;
  if (M <= 4 && K > 0) {
    detail::gemm_few_rows(g, b);
    return;
  }
  constexpr int64_t kBlock = 512;
  std::vector<float>& wide = detail::thread_scratch<float, detail::kWidenedBlock>();
  for (int64_t n0 = 0; n0 < N; n0 += kBlock) {
    const int64_t nb = std::min(kBlock, N - n0);
    wide.resize(static_cast<std::size_t>(nb * K));
    float* w = wide.data();
    if (g.b.transposed)  // B stored [N, K]: rows n0.. of it, kept [nb, K]
      parallel_for(nb, K, [&](int64_t j0, int64_t j1) {
        for (int64_t j = j0; j < j1; ++j)
          for (int64_t k = 0; k < K; ++k) w[j * K + k] = b[(n0 + j) * ldb + k].to_float();
      });
    else  // B stored [K, N]: columns n0.. of it, kept [K, nb]
      parallel_for(K, nb, [&](int64_t k0, int64_t k1) {
        for (int64_t k = k0; k < k1; ++k)
          for (int64_t j = 0; j < nb; ++j) w[k * nb + j] = b[k * ldb + n0 + j].to_float();
      });
    GemmArgs<float> block = g;
    block.N = nb;
    block.b = {.data = w, .ld = g.b.transposed ? K : nb, .transposed = g.b.transposed};
    block.c = g.c + n0;
    block.bias = g.bias ? g.bias + n0 : nullptr;
    gemm(block);
  }
}

}  // namespace tinylm::kernels::cpu
