#pragma once
// A float32 GEMM for CPUs with AVX2 and FMA but no AVX-512, taken in place
// of Eigen's for float when the CPU has them (kernels/cpu/features.hpp). It
// is compiled for AVX2 whatever the compiler's -march, and runs only when
// the CPU says it may.
//
// The loop order and packing are BLIS's: a kAvx2KC-deep slice of op(B),
// up to kAvx2NC columns wide, is packed into panels of kAvx2NR = 16
// columns (k-major; B stored [N, K] goes through 8 x 8 register
// transposes) and stays in L3; kAvx2MC rows of op(A) at a time are packed
// into strips of kAvx2MR = 6 rows (k-major, 8 x 8 register transposes for
// a row-major A) and stay in L2; each panel of B, brought into L1 once,
// then runs against every strip of that block. A last strip of fewer than
// 6 rows goes to a 4- or 2-row kernel, zero-padded. The micro-kernel keeps
// a 6 x 16 block of C in 12 of the 16 registers and per k loads two
// vectors of B and broadcasts one value per row: 12 FMAs. For beta = 0 the
// first k slice writes C = alpha * sums (+ bias) without reading C
// (CStore, as the AVX-512 kernel). Only blocks narrower than 16 columns are
// loaded and stored with lane masks (a masked store costs AMD's cores a
// dozen cycles).
//
// Measured on a Zen 3 core (bench_gemm): the k-slice depth, the A block's
// height and software prefetches each moved the model's shapes by less
// than the noise; the B-panel-in-L1 order and the unmasked stores of full
// blocks took the kernel from about 0.9 of OpenBLAS to about 1.0.

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "tinylm/kernels/cpu/gemm_avx512.hpp"

namespace tinylm::kernels::cpu::detail {

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TINYLM_HAS_AVX2_GEMM 1
#define TINYLM_TARGET_AVX2 __attribute__((target("avx2,fma")))

inline constexpr int64_t kAvx2MR = 6, kAvx2NR = 16;
inline constexpr int64_t kAvx2KC = 512, kAvx2MC = 48, kAvx2NC = 4096;

/// An 8-lane mask of the first n lanes (n clamped to [0, 8]), as
/// _mm256_maskload_ps and _mm256_maskstore_ps read it.
TINYLM_TARGET_AVX2 inline __m256i lanes8(int64_t n) {
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(std::clamp<int64_t>(n, 0, 8))), index);
}

/// Transposes 8 rows of 8 lanes in place: afterwards r[p] holds lane p of
/// each of the rows, in row order.
TINYLM_TARGET_AVX2 inline void transpose8_regs(__m256 (&r)[8]) {
  __m256 t[8];
  for (int j = 0; j < 8; j += 2) {
    t[j] = _mm256_unpacklo_ps(r[j], r[j + 1]);  // x0[0] x1[0] x0[1] x1[1] | x0[4] x1[4] x0[5] x1[5]
    t[j + 1] = _mm256_unpackhi_ps(r[j], r[j + 1]);
  }
  __m256 u[8];
  for (int h = 0; h < 8; h += 4) {  // rows h..h+3: one 4 x 4 transpose in each 128-bit half
    u[h] = _mm256_shuffle_ps(t[h], t[h + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[h + 1] = _mm256_shuffle_ps(t[h], t[h + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[h + 2] = _mm256_shuffle_ps(t[h + 1], t[h + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[h + 3] = _mm256_shuffle_ps(t[h + 1], t[h + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int p = 0; p < 4; ++p) {
    r[p] = _mm256_permute2f128_ps(u[p], u[p + 4], 0x20);
    r[p + 4] = _mm256_permute2f128_ps(u[p], u[p + 4], 0x31);
  }
}

/// Transposes the 8 x 8 block at x (row stride ldx) into out (row stride
/// ldo): out[p * ldo + j] = x[j * ldx + p].
TINYLM_TARGET_AVX2 inline void transpose8(const float* x, int64_t ldx, float* out, int64_t ldo) {
  __m256 r[8];
  for (int j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(x + j * ldx);
  transpose8_regs(r);
  for (int p = 0; p < 8; ++p) _mm256_storeu_ps(out + p * ldo, r[p]);
}

/// Packs k [k0, k0 + kc) x columns [0, nr) of op(B) into one panel of
/// kAvx2NR columns, k-major: out[p * kAvx2NR + j] = B[k0 + p, j], zero for j >= nr.
TINYLM_TARGET_AVX2 inline void pack_b_avx2(float* out, const float* b, int64_t ldb, bool trans_b, int64_t nr,
                                           int64_t k0, int64_t kc) {
  if (!trans_b && nr == kAvx2NR) {  // B stored [K, N]: each k's nr values are contiguous
    for (int64_t p = 0; p < kc; ++p) {
      const float* row = b + (k0 + p) * ldb;
      _mm256_storeu_ps(out + p * kAvx2NR, _mm256_loadu_ps(row));
      _mm256_storeu_ps(out + p * kAvx2NR + 8, _mm256_loadu_ps(row + 8));
    }
    return;
  }
  if (!trans_b) {  // the last, narrower panel
    const __m256i m0 = lanes8(nr), m1 = lanes8(nr - 8);
    for (int64_t p = 0; p < kc; ++p) {
      const float* row = b + (k0 + p) * ldb;
      _mm256_storeu_ps(out + p * kAvx2NR, _mm256_maskload_ps(row, m0));
      _mm256_storeu_ps(out + p * kAvx2NR + 8, _mm256_maskload_ps(row + 8, m1));
    }
    return;
  }
  // B stored [N, K]: column j's k run is contiguous; 8 x 8 blocks go through registers.
  int64_t p = 0;
  for (; p + 8 <= kc; p += 8)
    for (int64_t j = 0; j < kAvx2NR; j += 8) {
      if (j + 8 <= nr) {
        transpose8(b + j * ldb + k0 + p, ldb, out + p * kAvx2NR + j, kAvx2NR);
        continue;
      }
      for (int64_t q = 0; q < 8; ++q)
        for (int64_t jj = j; jj < j + 8; ++jj) out[(p + q) * kAvx2NR + jj] = jj < nr ? b[jj * ldb + k0 + p + q] : 0.0f;
    }
  for (; p < kc; ++p)
    for (int64_t j = 0; j < kAvx2NR; ++j) out[p * kAvx2NR + j] = j < nr ? b[j * ldb + k0 + p] : 0.0f;
}

/// C[0:mr, 0:nr] (+)= alpha * A[0:MR, 0:kc] (packed B panel), as `store`
/// says, with A a packed strip (A[r, p] = a[p * MR + r]). Not inlined:
/// inlined into the driver's loops, GCC keeps the accumulators on the stack.
template <int MR>
TINYLM_TARGET_AVX2 __attribute__((noinline)) void micro_kernel_avx2(const float* a, const float* bp, int64_t kc,
                                                                    float* c, int64_t ldc, int64_t mr, int64_t nr,
                                                                    float alpha, CStore store) {
  for (int64_t r = 0; r < mr && !store.overwrite; ++r) {  // the first and last line of each row of C's block
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + nr - 1), _MM_HINT_T0);
  }
  __m256 acc[MR][2];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_loadu_ps(bp + p * kAvx2NR);
    const __m256 b1 = _mm256_loadu_ps(bp + p * kAvx2NR + 8);
    const float* ap = a + p * MR;
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m256 ar = _mm256_broadcast_ss(ap + r);
      acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
    }
  }
  const __m256 va = _mm256_set1_ps(alpha);
  const __m256i m0 = lanes8(nr), m1 = lanes8(nr - 8);
  const __m256 bias0 = store.bias ? _mm256_maskload_ps(store.bias, m0) : _mm256_setzero_ps();
  const __m256 bias1 = store.bias ? _mm256_maskload_ps(store.bias + 8, m1) : _mm256_setzero_ps();
  // Over the constant MR (rows past mr skipped), so that acc stays in registers: a loop to mr alone indexes
  // acc at run time, and GCC then keeps it on the stack, stored on every k. A full block is read and written
  // without masks: a masked store costs AMD's cores a dozen cycles.
  const bool full = nr == kAvx2NR;
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    if (r >= mr) break;
    float* cr = c + r * ldc;
    if (full) {
      const __m256 c0 = store.overwrite ? bias0 : _mm256_loadu_ps(cr);
      const __m256 c1 = store.overwrite ? bias1 : _mm256_loadu_ps(cr + 8);
      _mm256_storeu_ps(cr, _mm256_fmadd_ps(va, acc[r][0], c0));
      _mm256_storeu_ps(cr + 8, _mm256_fmadd_ps(va, acc[r][1], c1));
      continue;
    }
    const __m256 c0 = store.overwrite ? bias0 : _mm256_maskload_ps(cr, m0);
    const __m256 c1 = store.overwrite ? bias1 : _mm256_maskload_ps(cr + 8, m1);
    _mm256_maskstore_ps(cr, m0, _mm256_fmadd_ps(va, acc[r][0], c0));
    _mm256_maskstore_ps(cr + 8, m1, _mm256_fmadd_ps(va, acc[r][1], c1));
  }
}

/// Packs rows [0, mr) of A (A[r, p] = a[r * rs + p * ks], p < kc) into
/// out[p * MR + r], zero for r >= mr: pack_a_strip, with the common cases
/// vectorized: six rows of a row-major A move 8 k at a time through an
/// 8 x 8 register transpose, six columns of a transposed one a k at a
/// time. Each k's 8-lane store runs 2 lanes into the next
/// k's, which its own store then overwrites; the last one writes 2 floats
/// past the strip, so `out` needs kAvx2PackSlack floats after it.
inline constexpr int64_t kAvx2PackSlack = 8;

template <int MR>
TINYLM_TARGET_AVX2 void pack_a_strip_avx2(float* out, const float* a, int64_t rs, int64_t ks, int64_t mr, int64_t kc) {
  int64_t p = 0;
  if constexpr (MR == 6) {
    if (ks == 1 && mr == 6)
      for (; p + 8 <= kc; p += 8) {
        __m256 r[8];
        for (int j = 0; j < 6; ++j) r[j] = _mm256_loadu_ps(a + j * rs + p);
        r[6] = r[7] = _mm256_setzero_ps();
        transpose8_regs(r);
        for (int q = 0; q < 8; ++q) _mm256_storeu_ps(out + (p + q) * MR, r[q]);
      }
    if (rs == 1 && mr == 6)  // a transposed A: each k's six values are contiguous
      for (const __m256i m6 = lanes8(6); p < kc; ++p)
        _mm256_storeu_ps(out + p * MR, _mm256_maskload_ps(a + p * ks, m6));
  }
  pack_a_strip<MR>(out + p * MR, a + p * ks, rs, ks, mr, kc - p);  // what the vector paths left
}

/// Calls f(std::integral_constant<int, W>{}) for W = 6, 4 or 2: the
/// narrowest strip of A that holds mr rows (the last strip of a block).
template <class F>
void by_strip_width(int64_t mr, F&& f) {
  if (mr > 4) f(std::integral_constant<int, 6>{});
  else if (mr > 2) f(std::integral_constant<int, 4>{});
  else f(std::integral_constant<int, 2>{});
}

/// Packs rows [0, mc) of A into strips of kAvx2MR rows, strip s at
/// out + s * kAvx2MR * kc, each k-major (micro_kernel_avx2's layout); the
/// last strip as wide as by_strip_width says, zero-padded.
TINYLM_TARGET_AVX2 inline void pack_a_block_avx2(float* out, const float* a, int64_t rs, int64_t ks, int64_t mc,
                                                 int64_t kc) {
  for (int64_t i = 0; i < mc; i += kAvx2MR) {
    const int64_t mr = std::min(kAvx2MR, mc - i);
    by_strip_width(mr,
                   [&](auto w) { pack_a_strip_avx2<decltype(w)::value>(out + i * kc, a + i * rs, rs, ks, mr, kc); });
  }
}

/// C (row-major, M x N, ld ldc) += alpha op(A) op(B) in float32, one thread;
/// with overwrite (K > 0), C = alpha op(A) op(B) + bias[0:N] (bias may be
/// null), C's old values not read.
TINYLM_TARGET_AVX2 inline void gemm_avx2_serial(float* c, const float* a, const float* b, int64_t M, int64_t N,
                                                int64_t K, bool trans_a, bool trans_b, int64_t lda, int64_t ldb,
                                                int64_t ldc, float alpha, bool overwrite = false,
                                                const float* bias = nullptr) {
  thread_local std::vector<float> packed_a, packed_b;
  const int64_t kc_max = std::min(K, kAvx2KC);
  packed_a.resize(
      static_cast<std::size_t>(std::min(kAvx2MC, (M + kAvx2MR - 1) / kAvx2MR * kAvx2MR) * kc_max + kAvx2PackSlack));
  packed_b.resize(static_cast<std::size_t>(((std::min(N, kAvx2NC) + kAvx2NR - 1) / kAvx2NR) * kAvx2NR * kc_max));
  const int64_t rs = trans_a ? 1 : lda, ks = trans_a ? lda : 1;  // A[i, k] = a[i * rs + k * ks]
  for (int64_t j0 = 0; j0 < N; j0 += kAvx2NC) {
    const int64_t nc = std::min(kAvx2NC, N - j0);
    for (int64_t k0 = 0; k0 < K; k0 += kAvx2KC) {
      const int64_t kc = std::min(kAvx2KC, K - k0);
      for (int64_t jp = 0; jp < nc; jp += kAvx2NR) {
        const float* bj = trans_b ? b + (j0 + jp) * ldb : b + j0 + jp;
        pack_b_avx2(packed_b.data() + jp * kc, bj, ldb, trans_b, std::min(kAvx2NR, nc - jp), k0, kc);
      }
      for (int64_t i0 = 0; i0 < M; i0 += kAvx2MC) {
        const int64_t mc = std::min(kAvx2MC, M - i0);
        pack_a_block_avx2(packed_a.data(), a + i0 * rs + k0 * ks, rs, ks, mc, kc);
        // Each panel of B (kc x 16, in L1) against every strip of the block (in L2).
        for (int64_t jp = 0; jp < nc; jp += kAvx2NR) {
          const int64_t nr = std::min(kAvx2NR, nc - jp);
          const float* bp = packed_b.data() + jp * kc;
          const CStore store{overwrite && k0 == 0, overwrite && k0 == 0 && bias ? bias + j0 + jp : nullptr};
          for (int64_t i = 0; i < mc; i += kAvx2MR) {
            const int64_t mr = std::min(kAvx2MR, mc - i);
            const float* ap = packed_a.data() + i * kc;
            float* cb = c + (i0 + i) * ldc + j0 + jp;
            by_strip_width(
                mr, [&](auto w) { micro_kernel_avx2<decltype(w)::value>(ap, bp, kc, cb, ldc, mr, nr, alpha, store); });
          }
        }
      }
    }
  }
}

#undef TINYLM_TARGET_AVX2
#endif

}  // namespace tinylm::kernels::cpu::detail
