#pragma once
// A float32 GEMM whose products run in bfloat16 on AVX-512 BF16: the
// operands are rounded to bf16 (to nearest, ties to even) as they are
// packed, and vdpbf16ps multiplies pairs of them and adds both products to
// float32 sums. Used when the matmul precision is bf16
// (core/precision.hpp) and the CPU has AVX-512 BF16 (kernels/cpu/features.hpp);
// the code is compiled for that instruction set whatever the compiler's
// -march, and runs only when the CPU says it may.
//
// The blocking is Goto's, ordered as gemm_avx512.hpp's: a kKC-deep slice
// of op(B), kNC columns wide, is packed once into panels of kNR columns,
// each k pair of a column one 32-bit word (the even k in the low half, as
// vdpbf16ps reads it), and stays in L2; each strip of kMR rows of op(A) is
// packed, each row's k pair one word too, and stays in L1 while it runs
// against every panel of the slice. The micro-kernel keeps a kMR x kNR
// block of C in 24 registers, prefetched when it starts, and per k pair
// loads two vectors of B and broadcasts one word of A per row. The block
// is stored as the float32 kernel's (store_block): C += alpha * sums, or
// for beta = 0 C = alpha * sums + bias on the first k slice, C not read.
// An odd K or a short panel is padded with zeros. Packing rounds 16 values
// at a time with bf16::from_float's integer rule (not vcvtne2ps2bf16, which
// flushes subnormals), so the packed words equal the scalar rounding's.

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tinylm/core/bf16.hpp"
#include "tinylm/kernels/cpu/features.hpp"
#include "tinylm/kernels/cpu/gemm_avx512.hpp"

namespace tinylm::kernels::cpu::detail {

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TINYLM_HAS_BF16_GEMM 1
#define TINYLM_TARGET_AVX512_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

inline constexpr int64_t kBf16MR = 12, kBf16NR = 32;
inline constexpr int64_t kBf16KC = 768, kBf16NC = 512;  // kKC in elements (384 pairs)

/// Two bf16 in one word: x (even k) low, y (odd k) high.
inline uint32_t bf16_pair(float x, float y) {
  return static_cast<uint32_t>(bf16::from_float(x).bits) | (static_cast<uint32_t>(bf16::from_float(y).bits) << 16);
}

/// Each float lane of v rounded to bf16 (bf16::from_float's rounding, NaNs
/// quieted), left in the lane's high 16 bits; the low 16 are garbage.
TINYLM_TARGET_AVX512_BF16 inline __m512i round_bf16_high(__m512 v) {
  const __m512i u = _mm512_castps_si512(v);
  const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_add_epi32(u, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7fff)));
  const __mmask16 nan =
      _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(0x7f800000));
  return _mm512_mask_or_epi32(rounded, nan, u, _mm512_set1_epi32(0x00400000));
}

/// 16 words of k pairs from n (<= 32) consecutive floats x[0..n), zeros
/// after them: word q = (x[2q], x[2q + 1]).
TINYLM_TARGET_AVX512_BF16 inline __m512i pairs_from_run(const float* x, int64_t n = 32) {
  const __m512i lo = round_bf16_high(_mm512_maskz_loadu_ps(lanes_low(n), x));
  const __m512i hi = round_bf16_high(_mm512_maskz_loadu_ps(lanes_high(n), x + 16));
  const __m512i odd_words = _mm512_set_epi16(63, 61, 59, 57, 55, 53, 51, 49, 47, 45, 43, 41, 39, 37, 35, 33, 31, 29, 27,
                                             25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
  return _mm512_permutex2var_epi16(lo, odd_words, hi);  // word j: float j's high half
}

/// 16 words of k pairs from two rows, x and x + ld: word j = (x[j],
/// x[ld + j]); with rows = 1 (an odd K's last k) x alone, the odd k zero.
/// Only the lanes of `lanes` are read (the others are zero).
TINYLM_TARGET_AVX512_BF16 inline __m512i pairs_from_rows(const float* x, int64_t ld, int64_t rows,
                                                         __mmask16 lanes = 0xffff) {
  const __m512i lo = _mm512_srli_epi32(round_bf16_high(_mm512_maskz_loadu_ps(lanes, x)), 16);
  if (rows < 2) return lo;
  return _mm512_mask_mov_epi16(lo, 0xaaaaaaaau, round_bf16_high(_mm512_maskz_loadu_ps(lanes, x + ld)));
}

/// out[q * stride] = the pair (x[2q], x[2q + 1]) for q < pairs, with x[kc] = 0
/// past the end (kc = 2 * pairs or 2 * pairs - 1 values are read).
TINYLM_TARGET_AVX512_BF16 inline void pack_run(uint32_t* out, int64_t stride, const float* x, int64_t kc) {
  const int64_t pairs = (kc + 1) / 2;
  int64_t q = 0;
  alignas(64) uint32_t words[16];
  for (; 2 * q + 32 <= kc; q += 16) {
    _mm512_store_si512(words, pairs_from_run(x + 2 * q));
    for (int64_t i = 0; i < 16; ++i) out[(q + i) * stride] = words[i];
  }
  for (; q < pairs; ++q) out[q * stride] = bf16_pair(x[2 * q], 2 * q + 1 < kc ? x[2 * q + 1] : 0.0f);
}

/// Packs rows [0, mr) x k [k0, k0 + kc) of op(A) into one panel of kBf16MR
/// rows: out[p * kBf16MR + r] = the pair (A[r, k0 + 2p], A[r, k0 + 2p + 1]).
TINYLM_TARGET_AVX512_BF16 inline void pack_a_bf16(uint32_t* out, const float* a, int64_t lda, bool trans_a, int64_t mr,
                                                  int64_t k0, int64_t kc) {
  const int64_t pairs = (kc + 1) / 2;
  if (!trans_a) {  // each row's k run is contiguous
    for (int64_t r = 0; r < kBf16MR; ++r) {
      if (r < mr) pack_run(out + r, kBf16MR, a + r * lda + k0, kc);
      else
        for (int64_t p = 0; p < pairs; ++p) out[p * kBf16MR + r] = 0;
    }
    return;
  }
  // A stored [K, M]: a k pair is two rows of mr contiguous values.
  const __mmask16 lanes = lanes_low(mr);
  static_assert(kBf16MR <= 16);
  for (int64_t p = 0; p < pairs; ++p) {
    const float* x = a + (k0 + 2 * p) * lda;
    _mm512_mask_storeu_epi32(out + p * kBf16MR, lanes_low(kBf16MR), pairs_from_rows(x, lda, kc - 2 * p, lanes));
  }
}

/// Packs k [k0, k0 + kc) x columns [0, nr) of op(B) into one panel of
/// kBf16NR columns: out[p * kBf16NR + j] = the pair (B[k0 + 2p, j], B[k0 + 2p + 1, j]).
TINYLM_TARGET_AVX512_BF16 inline void pack_b_bf16(uint32_t* out, const float* b, int64_t ldb, bool trans_b, int64_t nr,
                                                  int64_t k0, int64_t kc) {
  const int64_t pairs = (kc + 1) / 2;
  if (trans_b) {  // B stored [N, K]: each column's k run is contiguous
    for (int64_t j = 0; j < kBf16NR; ++j) {
      if (j < nr) pack_run(out + j, kBf16NR, b + j * ldb + k0, kc);
      else
        for (int64_t p = 0; p < pairs; ++p) out[p * kBf16NR + j] = 0;
    }
    return;
  }
  for (int64_t p = 0; p < pairs; ++p) {
    const int64_t k = k0 + 2 * p;
    const bool second = 2 * p + 1 < kc;
    uint32_t* o = out + p * kBf16NR;
    if (nr == kBf16NR && second) {  // two rows of 32 contiguous values
      const float* b0 = b + k * ldb;
      _mm512_storeu_si512(o, pairs_from_rows(b0, ldb, 2));
      _mm512_storeu_si512(o + 16, pairs_from_rows(b0 + 16, ldb, 2));
      continue;
    }
    for (int64_t j = 0; j < kBf16NR; ++j) {
      const float x = j < nr ? b[k * ldb + j] : 0.0f;
      const float y = j < nr && second ? b[(k + 1) * ldb + j] : 0.0f;
      o[j] = bf16_pair(x, y);
    }
  }
}

/// C[0:mr, 0:nr] (+)= alpha * (packed A panel) (packed B panel) over `pairs`
/// k pairs, as `store` says (gemm_avx512.hpp's CStore).
TINYLM_TARGET_AVX512_BF16 inline void micro_kernel_bf16(const uint32_t* ap, const uint32_t* bp, int64_t pairs, float* c,
                                                        int64_t ldc, int64_t mr, int64_t nr, float alpha,
                                                        CStore store) {
  for (int64_t r = 0; r < mr && !store.overwrite; ++r) {  // the first and last line of each row of C's block
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + nr - 1), _MM_HINT_T0);
  }
  __m512 acc[kBf16MR][2];
#pragma GCC unroll 16
  for (int64_t r = 0; r < kBf16MR; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < pairs; ++p) {
    const __m512bh b0 = (__m512bh)_mm512_loadu_si512(bp + p * kBf16NR);
    const __m512bh b1 = (__m512bh)_mm512_loadu_si512(bp + p * kBf16NR + 16);
    const uint32_t* a = ap + p * kBf16MR;
#pragma GCC unroll 16
    for (int64_t r = 0; r < kBf16MR; ++r) {
      const __m512bh ar = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[r]));
      acc[r][0] = _mm512_dpbf16_ps(acc[r][0], ar, b0);
      acc[r][1] = _mm512_dpbf16_ps(acc[r][1], ar, b1);
    }
  }
  store_block(acc, c, ldc, mr, nr, alpha, store);
}

/// C (row-major, M x N, ld ldc) += alpha op(A) op(B), products in bf16, one
/// thread; with overwrite (K > 0), C = alpha op(A) op(B) + bias[0:N] (bias
/// may be null), C's old values not read.
TINYLM_TARGET_AVX512_BF16 inline void gemm_bf16_serial(float* c, const float* a, const float* b, int64_t M, int64_t N,
                                                       int64_t K, bool trans_a, bool trans_b, int64_t lda, int64_t ldb,
                                                       int64_t ldc, float alpha, bool overwrite = false,
                                                       const float* bias = nullptr) {
  thread_local std::vector<uint32_t> packed_a, packed_b;
  const int64_t max_pairs = (std::min(K, kBf16KC) + 1) / 2;
  packed_a.resize(static_cast<std::size_t>(kBf16MR * max_pairs));
  packed_b.resize(static_cast<std::size_t>(((std::min(N, kBf16NC) + kBf16NR - 1) / kBf16NR) * kBf16NR * max_pairs));
  for (int64_t j0 = 0; j0 < N; j0 += kBf16NC) {
    const int64_t nc = std::min(kBf16NC, N - j0);
    for (int64_t k0 = 0; k0 < K; k0 += kBf16KC) {
      const int64_t kc = std::min(kBf16KC, K - k0), pairs = (kc + 1) / 2;
      const CStore store{overwrite && k0 == 0, overwrite && k0 == 0 && bias ? bias + j0 : nullptr};
      for (int64_t jp = 0; jp < nc; jp += kBf16NR) {
        const float* bj = trans_b ? b + (j0 + jp) * ldb : b + j0 + jp;
        pack_b_bf16(packed_b.data() + jp * pairs, bj, ldb, trans_b, std::min(kBf16NR, nc - jp), k0, kc);
      }
      for (int64_t i = 0; i < M; i += kBf16MR) {
        const int64_t mr = std::min(kBf16MR, M - i);
        pack_a_bf16(packed_a.data(), trans_a ? a + i : a + i * lda, lda, trans_a, mr, k0, kc);
        for (int64_t jp = 0; jp < nc; jp += kBf16NR)
          micro_kernel_bf16(packed_a.data(), packed_b.data() + jp * pairs, pairs, c + i * ldc + j0 + jp, ldc, mr,
                            std::min(kBf16NR, nc - jp), alpha,
                            {store.overwrite, store.bias ? store.bias + jp : nullptr});
      }
    }
  }
}

#undef TINYLM_TARGET_AVX512_BF16
#endif

}  // namespace tinylm::kernels::cpu::detail
