#pragma once
// GEMM on row-major buffers.
//
//   C[M, N] = alpha * op(A)[M, K] @ op(B)[K, N] + beta * C (+ bias[N] on every row)
//
// op(X) is X or its transpose; a transposed operand is read in place, never
// copied. Leading dimensions are row strides in elements, as in BLAS for
// row-major data.
//
// Which kernel computes a product of more than 4 rows is decided per call:
// for float on a CPU with AVX-512, the project's own (gemm_avx512.hpp), or
// with bf16 products asked for, gemm_amx.hpp's on AMX tiles, or without
// AMX, gemm_bf16.hpp's on AVX-512 BF16; for
// float on a CPU with AVX2 and FMA but no AVX-512, gemm_avx2.hpp's;
// otherwise (double, or an older CPU) Eigen's blocked GEMM. We call
// Eigen's general_matrix_matrix_product directly (as Eigen's own BLAS does)
// instead of going through Map expressions: it is the same packing and
// micro-kernel, but it skips the expression-template layer, which cut this
// header's compile cost by two thirds. It computes a column-major result, so
// we ask it for C^T = op(B)^T op(A)^T, which is the row-major C. Up to 4
// rows (decoding) are matrix-vector products (gemm_few_rows). Threads split
// the larger of M and N into contiguous blocks; each thread also prepares
// its own block of C (zeroes, beta * C, or the bias), so no pass over C runs
// on one thread while the other waits.
//
// gemm_bf16_weights is the product with a bf16 B: the weights of a model
// that generates with bf16 copies of its weights (nn/bf16_weights.hpp).

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "tinylm/core/bf16.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/kernels/cpu/features.hpp"
#include "tinylm/kernels/cpu/gemm_amx.hpp"
#include "tinylm/kernels/cpu/gemm_avx2.hpp"
#include "tinylm/kernels/cpu/gemm_avx512.hpp"
#include "tinylm/kernels/cpu/gemm_bf16.hpp"
#include "tinylm/kernels/cpu/parallel.hpp"
#include "tinylm/kernels/types.hpp"

namespace tinylm::kernels::cpu {

using kernels::GemmArgs;
using kernels::GemmBatchArgs;

namespace detail {

/// C = alpha op(A) op(B) + C on one thread, by Eigen's blocked GEMM (the
/// body, and Eigen, in impl/gemm.ipp).
template <class T>
void gemm_serial(T* c, const T* a, const T* b, int64_t M, int64_t N, int64_t K, bool trans_a, bool trans_b, int64_t lda,
                 int64_t ldb, int64_t ldc, T alpha);

/// A matrix element as the value it stands for: float and double as they
/// are, a bf16 widened to float (exactly).
template <class T>
T widen(T x) {
  return x;
}
inline float widen(bf16 x) { return x.to_float(); }

/// out[n0:n1] += sum over k in [k0, k1) of s(k) * B[k, n0:n1], B's rows
/// contiguous: four rows of B per pass over out, one from each quarter of
/// [k0, k1), so that B is read as four streams far apart, which the
/// hardware prefetchers follow faster than one.
template <class T, class BT, class S>
void accumulate_rows(T* out, const BT* b, int64_t ldb, int64_t k0, int64_t k1, int64_t n0, int64_t n1, S s) {
  const int64_t q = (k1 - k0) / 4;
  for (int64_t k = k0; k < k0 + q; ++k) {
    const T s0 = s(k), s1 = s(k + q), s2 = s(k + 2 * q), s3 = s(k + 3 * q);
    const BT *b0 = b + k * ldb, *b1 = b0 + q * ldb, *b2 = b1 + q * ldb, *b3 = b2 + q * ldb;
#pragma omp simd
    for (int64_t n = n0; n < n1; ++n)
      out[n] += s0 * widen(b0[n]) + s1 * widen(b1[n]) + s2 * widen(b2[n]) + s3 * widen(b3[n]);
  }
  for (int64_t k = k0 + 4 * q; k < k1; ++k) {
    const T sk = s(k);
    const BT* bk = b + k * ldb;
#pragma omp simd
    for (int64_t n = n0; n < n1; ++n) out[n] += sk * widen(bk[n]);
  }
}

/// A buffer of T kept by the calling thread and reused from call to call;
/// `Slot` tells apart users that may hold one while calling the other.
template <class T, int Slot>
std::vector<T>& thread_scratch() {
  thread_local std::vector<T> buf;
  return buf;
}
enum ScratchSlot : int { kFewRowsPartials, kWidenedBlock };

/// C = alpha op(A) op(B) + beta C (+ bias) for a handful of rows (decoding
/// one token at a time): matrix-vector products that read B once, with no
/// packing. The blocked GEMM would pack all of B for every call, which for
/// M = 1 costs more than the product.
///
/// B is what costs: it is read from memory once per token. When its rows are
/// contiguous, threads split K, so each streams one contiguous band of B
/// into its own partial sums, and the partials are added in a fixed order
/// (deterministic for a thread count): 20% more bandwidth than splitting N,
/// where every thread reads half of every row. B stored [N, K] gives one
/// contiguous dot product per output; there threads split N.
///
/// B is read from `b` (g.b's layout), whose elements may be bf16: a model
/// generating with bf16 weights reads half the bytes.
template <class T, class BT>
void gemm_few_rows(const GemmArgs<T>& g, const BT* b) {
  const int64_t M = g.M, N = g.N, K = g.K, lda = g.a.ld, ldb = g.b.ld, ldc = g.ldc;
  const T* a = g.a.data;
  const bool trans_a = g.a.transposed;
  auto A = [&](int64_t i, int64_t k) { return trans_a ? a[k * lda + i] : a[i * lda + k]; };
  auto finish = [&](T* ci, int64_t n, T acc) {  // ci[n] = alpha acc + beta ci[n] + bias[n]
    ci[n] = g.alpha * acc + (g.beta == T(0) ? T(0) : g.beta * ci[n]) + (g.bias ? g.bias[n] : T(0));
  };
  if (!g.b.transposed) {
    const int64_t chunks = M * N * K >= 4 * kParallelGrain ? std::min<int64_t>(num_threads(), K) : 1;
    // chunk, row, column. The calling thread's buffer, reused: decoding runs
    // this a few dozen times per token. (A reference, so that the workers
    // below use this thread's buffer, not their own.)
    std::vector<T>& part = thread_scratch<T, kFewRowsPartials>();
    part.assign(static_cast<std::size_t>(chunks * M * N), T(0));
    parallel_for(chunks, M * N * K / chunks, [&](int64_t c0, int64_t c1) {
      for (int64_t ch = c0; ch < c1; ++ch)
        for (int64_t i = 0; i < M; ++i)
          accumulate_rows(part.data() + (ch * M + i) * N, b, ldb, K * ch / chunks, K * (ch + 1) / chunks, int64_t{0}, N,
                          [&](int64_t k) { return A(i, k); });
    });
    for (int64_t i = 0; i < M; ++i)
      for (int64_t n = 0; n < N; ++n) {
        T acc = part[static_cast<std::size_t>(i * N + n)];
        for (int64_t ch = 1; ch < chunks; ++ch) acc += part[static_cast<std::size_t>((ch * M + i) * N + n)];
        finish(g.c + i * ldc, n, acc);
      }
    return;
  }
  parallel_for(N, M * K, [&](int64_t n0, int64_t n1) {
    for (int64_t i = 0; i < M; ++i) {
      if (trans_a) {
        for (int64_t n = n0; n < n1; ++n) {
          const BT* bn = b + n * ldb;
          T acc = T(0);
          for (int64_t k = 0; k < K; ++k) acc += a[k * lda + i] * widen(bn[k]);
          finish(g.c + i * ldc, n, acc);
        }
        continue;
      }
      const T* ai = a + i * lda;
      // Four outputs at a time, from four quarters of the range: four
      // independent sums (one would wait on the FMA's latency at every
      // step), and four streams of B far apart, which the hardware
      // prefetchers follow faster than one.
      const int64_t q = (n1 - n0) / 4;
      for (int64_t j = n0; j < n0 + q; ++j) {
        const BT *b0 = b + j * ldb, *b1 = b0 + q * ldb, *b2 = b1 + q * ldb, *b3 = b2 + q * ldb;
        T s0 = T(0), s1 = T(0), s2 = T(0), s3 = T(0);
#pragma omp simd reduction(+ : s0, s1, s2, s3)
        for (int64_t k = 0; k < K; ++k) {
          s0 += ai[k] * widen(b0[k]);
          s1 += ai[k] * widen(b1[k]);
          s2 += ai[k] * widen(b2[k]);
          s3 += ai[k] * widen(b3[k]);
        }
        finish(g.c + i * ldc, j, s0), finish(g.c + i * ldc, j + q, s1);
        finish(g.c + i * ldc, j + 2 * q, s2), finish(g.c + i * ldc, j + 3 * q, s3);
      }
      int64_t n = n0 + 4 * q;
      for (; n < n1; ++n) {
        const BT* bn = b + n * ldb;
        T acc = T(0);
#pragma omp simd reduction(+ : acc)
        for (int64_t k = 0; k < K; ++k) acc += ai[k] * widen(bn[k]);
        finish(g.c + i * ldc, n, acc);
      }
    }
  });
}

/// C[rows, j0:j1] = beta * C (+ bias), before the product accumulates into it.
template <class T>
void gemm_prepare(T* c, int64_t rows, int64_t j0, int64_t j1, int64_t ldc, T beta, const T* bias) {
  if (beta == T(1) && !bias) return;
  for (int64_t i = 0; i < rows; ++i) {
    T* row = c + i * ldc;
    if (beta == T(0) && bias) std::copy(bias + j0, bias + j1, row + j0);
    else if (beta == T(0)) std::fill(row + j0, row + j1, T(0));
    else
      for (int64_t j = j0; j < j1; ++j) row[j] = beta * row[j] + (bias ? bias[j] : T(0));
  }
}

/// The kernel that computes a GEMM of more than 4 rows.
enum class GemmKernel { eigen, avx2, avx512, bf16, amx };

template <class T>
GemmKernel gemm_kernel(bool bf16_products) {
  if constexpr (std::is_same_v<T, float>) {
#ifdef TINYLM_HAS_AMX_GEMM
    if (bf16_products && cpu_features().has(CpuFeature::amx_bf16)) return GemmKernel::amx;
#endif
#ifdef TINYLM_HAS_BF16_GEMM
    if (bf16_products) return GemmKernel::bf16;
#endif
#ifdef TINYLM_HAS_AVX512_GEMM
    if (cpu_features().has(CpuFeature::avx512f)) return GemmKernel::avx512;
#endif
#ifdef TINYLM_HAS_AVX2_GEMM
    if (cpu_features().has(CpuFeature::avx2)) return GemmKernel::avx2;
#endif
  }
  (void)bf16_products;
  return GemmKernel::eigen;
}

/// Rows [0, M) x columns [0, N) of C += alpha op(A) op(B) on one thread, by
/// `kernel`; with overwrite (not Eigen's kernel), C = alpha op(A) op(B) + bias
/// (bias null or C's columns' own), C's old values not read.
template <class T>
void gemm_serial_any(GemmKernel kernel, T* c, const T* a, const T* b, int64_t M, int64_t N, int64_t K, bool trans_a,
                     bool trans_b, int64_t lda, int64_t ldb, int64_t ldc, T alpha, bool overwrite, const T* bias) {
  if constexpr (std::is_same_v<T, float>) {
#ifdef TINYLM_HAS_AMX_GEMM
    if (kernel == GemmKernel::amx)
      return gemm_amx_serial(c, a, b, M, N, K, trans_a, trans_b, lda, ldb, ldc, alpha, overwrite, bias);
#endif
#ifdef TINYLM_HAS_BF16_GEMM
    if (kernel == GemmKernel::bf16)
      return gemm_bf16_serial(c, a, b, M, N, K, trans_a, trans_b, lda, ldb, ldc, alpha, overwrite, bias);
#endif
#ifdef TINYLM_HAS_AVX512_GEMM
    if (kernel == GemmKernel::avx512)
      return gemm_avx512_serial(c, a, b, M, N, K, trans_a, trans_b, lda, ldb, ldc, alpha, overwrite, bias);
#endif
#ifdef TINYLM_HAS_AVX2_GEMM
    if (kernel == GemmKernel::avx2)
      return gemm_avx2_serial(c, a, b, M, N, K, trans_a, trans_b, lda, ldb, ldc, alpha, overwrite, bias);
#endif
  }
  (void)kernel, (void)overwrite, (void)bias;
  gemm_serial(c, a, b, M, N, K, trans_a, trans_b, lda, ldb, ldc, alpha);
}

}  // namespace detail

/// One GEMM on row-major buffers (see the file comment and GemmArgs). With
/// bf16_products (the caller has checked the CPU has AVX-512 BF16 or AMX) a float
/// GEMM rounds its operands to bf16 and sums in float32; a product of at
/// most 4 rows (decoding) stays float32, where packing would cost more
/// than the product.
template <class T>
void gemm(const GemmArgs<T>& g, bool bf16_products = false) {
  const int64_t M = g.M, N = g.N, K = g.K;
  if (M == 0 || N == 0) return;
  if (M <= 4 && K > 0) {
    detail::gemm_few_rows(g, g.b.data);
    return;
  }
  const bool trans_a = g.a.transposed, trans_b = g.b.transposed;
  const int64_t lda = g.a.ld, ldb = g.b.ld, ldc = g.ldc;
  const detail::GemmKernel kernel = detail::gemm_kernel<T>(bf16_products);
  // The project's own kernels write C for beta = 0 themselves, with the bias: no pass of its own over C.
  const bool overwrite = kernel != detail::GemmKernel::eigen && g.beta == T(0) && K > 0;
  const bool split_rows = M >= N;
  const int64_t extent = split_rows ? M : N;
  // Blocks of at least 32 rows/columns keep the micro-kernel busy.
  const int64_t block_cost = 32 * (split_rows ? N : M) * std::max<int64_t>(K, 1) / 8;
  parallel_for((extent + 31) / 32, block_cost, [&](int64_t b0, int64_t b1) {
    const int64_t i0 = b0 * 32, i1 = std::min(extent, b1 * 32);
    if (!overwrite && split_rows) detail::gemm_prepare(g.c + i0 * ldc, i1 - i0, int64_t{0}, N, ldc, g.beta, g.bias);
    if (!overwrite && !split_rows) detail::gemm_prepare(g.c, M, i0, i1, ldc, g.beta, g.bias);
    if (K == 0) return;
    if (split_rows) {
      const T* a0 = trans_a ? g.a.data + i0 : g.a.data + i0 * lda;
      detail::gemm_serial_any(kernel, g.c + i0 * ldc, a0, g.b.data, i1 - i0, N, K, trans_a, trans_b, lda, ldb, ldc,
                              g.alpha, overwrite, g.bias);
    } else {
      const T* b0p = trans_b ? g.b.data + i0 * ldb : g.b.data + i0;
      detail::gemm_serial_any(kernel, g.c + i0, g.a.data, b0p, M, i1 - i0, K, trans_a, trans_b, lda, ldb, ldc, g.alpha,
                              overwrite, g.bias ? g.bias + i0 : nullptr);
    }
  });
}

/// C = alpha op(A) op(B) + beta C (+ bias) with B's elements bf16, at `b`
/// in g.b's layout (g.b.data is not read): float32 products of B's values
/// widened exactly, float32 sums. Up to 4 rows (decoding), B is read once,
/// half the bytes of a float32 B; more rows (a prompt) widen B into
/// float32 a block of kBlock columns at a time and run the float32 GEMM
/// on each block.
TINYLM_DECL void gemm_bf16_weights(const GemmArgs<float>& g, const bf16* b);

/// `batch` independent GEMMs of one shape (see GemmBatchArgs). Many small
/// products run in parallel over the batch; large ones one after another,
/// each split over threads.
template <class T>
void gemm_batched(const GemmBatchArgs<T>& args, bool bf16_products = false) {
  const GemmArgs<T>& g = args.gemm;
  auto product = [&](int64_t i) {
    GemmArgs<T> one = g;
    one.a.data = g.a.data + args.a_offsets[i];
    one.b.data = g.b.data + args.b_offsets[i];
    one.c = g.c + i * args.c_stride;
    gemm(one, bf16_products);
  };
  const int64_t flops = g.M * g.N * g.K;
  if (args.batch < num_threads() * 2 && flops >= (int64_t{1} << 20)) {
    for (int64_t i = 0; i < args.batch; ++i) product(i);
    return;
  }
  parallel_for(args.batch, flops / 8 + 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) product(i);
  });
}

}  // namespace tinylm::kernels::cpu

#if !defined(TINYLM_SEPARATE_COMPILATION)
#include "tinylm/kernels/cpu/impl/gemm.ipp"
#else  // Eigen's GEMM, compiled into tinylm_compiled (core/config.hpp): no Eigen in a program's own code
namespace tinylm::kernels::cpu::detail {
TINYLM_EXTERN_TEMPLATE void gemm_serial(float*, const float*, const float*, int64_t, int64_t, int64_t, bool, bool,
                                        int64_t, int64_t, int64_t, float);
TINYLM_EXTERN_TEMPLATE void gemm_serial(double*, const double*, const double*, int64_t, int64_t, int64_t, bool, bool,
                                        int64_t, int64_t, int64_t, double);
}  // namespace tinylm::kernels::cpu::detail
namespace tinylm::kernels::cpu {
TINYLM_EXTERN_TEMPLATE void gemm(const GemmArgs<float>&, bool);
TINYLM_EXTERN_TEMPLATE void gemm(const GemmArgs<double>&, bool);
TINYLM_EXTERN_TEMPLATE void gemm_batched(const GemmBatchArgs<float>&, bool);
TINYLM_EXTERN_TEMPLATE void gemm_batched(const GemmBatchArgs<double>&, bool);
}  // namespace tinylm::kernels::cpu
#endif
