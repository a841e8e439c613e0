#pragma once
// A float32 GEMM for CPUs with AVX-512, taken in place of Eigen's for float
// when the CPU has it (kernels/cpu/features.hpp). It is compiled for
// AVX-512 whatever the compiler's -march, and runs only when the CPU says
// it may.
//
// The blocking is Goto's, ordered so that a strip of A stays in L1: a
// kF32KC-deep slice of op(B), kF32NC columns wide, is packed once into
// panels of kF32NR columns (k-major: the kF32NR values of one k together)
// and stays in L2; then each kF32MR rows of op(A) run against every panel
// of the slice. A is read where it is, not packed: the micro-kernel
// broadcasts each row's value from memory inside the FMA, so only the row
// and k strides matter (a transposed A just swaps them), and the copy
// Eigen and BLAS make of A is saved. Only a last strip of fewer than
// kF32MR rows is copied, zero-padded, into a narrower kernel's strip.
//
// The micro-kernel keeps a kF32MR x kF32NR block of C in 24 of the 32
// registers, and per k loads two vectors of B for 24 FMAs; it runs at the
// core's FMA peak from L1 and L2. C's block is prefetched when a kernel
// starts, so that its load at the end, C += alpha * sums, does not wait on
// memory (the caller has already scaled C by beta and added any bias). Or,
// for beta = 0, the first k slice writes C = alpha * sums (+ bias) without
// reading it: no pass of its own over C, which for the model's K (384) is
// a twentieth of the product's time. Stores of a block narrower than
// kF32NR are masked.

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace tinylm::kernels::cpu::detail {

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TINYLM_HAS_AVX512_GEMM 1
#define TINYLM_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))

inline constexpr int64_t kF32MR = 12, kF32NR = 32;
inline constexpr int64_t kF32KC = 384, kF32NC = 512;

/// The masks of the first n of 32 lanes, as two halves (none for n <= 0).
inline __mmask16 lanes_low(int64_t n) { return static_cast<__mmask16>(n >= 16 ? 0xffff : n <= 0 ? 0 : (1u << n) - 1); }
inline __mmask16 lanes_high(int64_t n) {
  return static_cast<__mmask16>(n >= 32 ? 0xffff : n <= 16 ? 0 : (1u << (n - 16)) - 1);
}

/// dst[p * dst_ld + j] = src[j * ld + p] for p, j < 16.
/// (The zero-masking forms with every lane kept are the plain instructions;
/// the plain intrinsics start from _mm512_undefined_ps, which GCC 12 warns
/// of as uninitialized.)
TINYLM_TARGET_AVX512 inline void transpose16(const float* src, int64_t ld, float* dst, int64_t dst_ld) {
  constexpr __mmask16 all = 0xffff;
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * ld);
  for (int i = 0; i < 16; i += 2) {  // pairs of rows interleaved
    t[i] = _mm512_maskz_unpacklo_ps(all, r[i], r[i + 1]);
    t[i + 1] = _mm512_maskz_unpackhi_ps(all, r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {  // 4 x 4 blocks within each 128-bit lane
    r[i] = _mm512_maskz_shuffle_ps(all, t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 1] = _mm512_maskz_shuffle_ps(all, t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[i + 2] = _mm512_maskz_shuffle_ps(all, t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 3] = _mm512_maskz_shuffle_ps(all, t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {  // then the lanes themselves, in two rounds
    t[i] = _mm512_maskz_shuffle_f32x4(all, r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_maskz_shuffle_f32x4(all, r[i], r[i + 4], 0xdd);
    t[i + 8] = _mm512_maskz_shuffle_f32x4(all, r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_maskz_shuffle_f32x4(all, r[i + 8], r[i + 12], 0xdd);
  }
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm512_maskz_shuffle_f32x4(all, t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_maskz_shuffle_f32x4(all, t[i], t[i + 8], 0xdd);
  }
  for (int i = 0; i < 16; ++i) _mm512_storeu_ps(dst + i * dst_ld, r[i]);
}

/// Packs k [k0, k0 + kc) x columns [0, nr) of op(B) into one panel of
/// kF32NR columns: out[p * kF32NR + j] = B[k0 + p, j], zero for j >= nr.
TINYLM_TARGET_AVX512 inline void pack_b_f32(float* out, const float* b, int64_t ldb, bool trans_b, int64_t nr,
                                            int64_t k0, int64_t kc) {
  if (!trans_b) {  // a k is nr contiguous values
    const __mmask16 m0 = lanes_low(nr), m1 = lanes_high(nr);
    for (int64_t p = 0; p < kc; ++p) {
      const float* bk = b + (k0 + p) * ldb;
      _mm512_storeu_ps(out + p * kF32NR, _mm512_maskz_loadu_ps(m0, bk));
      _mm512_storeu_ps(out + p * kF32NR + 16, _mm512_maskz_loadu_ps(m1, bk + 16));
    }
    return;
  }
  // B stored [N, K]: each column's k run is contiguous; 16 x 16 blocks are transposed in registers.
  for (int64_t j = 0; j < kF32NR; j += 16) {
    const int64_t cols = std::clamp<int64_t>(nr - j, 0, 16);
    int64_t p = 0;
    if (cols == 16)
      for (; p + 16 <= kc; p += 16) transpose16(b + j * ldb + k0 + p, ldb, out + p * kF32NR + j, kF32NR);
    for (; p < kc; ++p)
      for (int64_t c = 0; c < 16; ++c) out[p * kF32NR + j + c] = c < cols ? b[(j + c) * ldb + k0 + p] : 0.0f;
  }
}

/// Copies rows [0, mr) x k [0, kc) of A (A[r, p] = a[r * rs + p * ks]) into
/// a strip of MR rows: out[p * MR + r], zero for r >= mr.
template <int MR>
void pack_a_strip(float* out, const float* a, int64_t rs, int64_t ks, int64_t mr, int64_t kc) {
  for (int64_t p = 0; p < kc; ++p)
    for (int64_t r = 0; r < MR; ++r) out[p * MR + r] = r < mr ? a[r * rs + p * ks] : 0.0f;
}

/// How a micro-kernel leaves its sums in C: C += alpha * sums, or (the
/// first k slice of a product with beta = 0) C = alpha * sums + bias, C not
/// read; bias may be null.
struct CStore {
  bool overwrite = false;
  const float* bias = nullptr;
};

/// C[0:mr, 0:nr] (+)= alpha * acc, as `store` says.
template <int MR>
TINYLM_TARGET_AVX512 void store_block(const __m512 (&acc)[MR][2], float* c, int64_t ldc, int64_t mr, int64_t nr,
                                      float alpha, CStore store) {
  const __m512 va = _mm512_set1_ps(alpha);
  const __mmask16 m0 = lanes_low(nr), m1 = lanes_high(nr);
  const __m512 bias0 = store.bias ? _mm512_maskz_loadu_ps(m0, store.bias) : _mm512_setzero_ps();
  const __m512 bias1 = store.bias ? _mm512_maskz_loadu_ps(m1, store.bias + 16) : _mm512_setzero_ps();
  for (int64_t r = 0; r < mr; ++r) {
    float* cr = c + r * ldc;
    const __m512 c0 = store.overwrite ? bias0 : _mm512_maskz_loadu_ps(m0, cr);
    const __m512 c1 = store.overwrite ? bias1 : _mm512_maskz_loadu_ps(m1, cr + 16);
    _mm512_mask_storeu_ps(cr, m0, _mm512_fmadd_ps(va, acc[r][0], c0));
    _mm512_mask_storeu_ps(cr + 16, m1, _mm512_fmadd_ps(va, acc[r][1], c1));
  }
}

/// C[0:mr, 0:nr] (+)= alpha * A[0:MR, 0:kc] (packed B panel), as `store`
/// says, with A[r, p] = a[r * rs + p * ks]; every one of the MR rows is read.
template <int MR>
TINYLM_TARGET_AVX512 void micro_kernel_f32(const float* a, int64_t rs, int64_t ks, const float* bp, int64_t kc,
                                           float* c, int64_t ldc, int64_t mr, int64_t nr, float alpha, CStore store) {
  for (int64_t r = 0; r < mr && !store.overwrite; ++r) {  // the first and last line of each row of C's block
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + nr - 1), _MM_HINT_T0);
  }
  __m512 acc[MR][2];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_loadu_ps(bp + p * kF32NR);
    const __m512 b1 = _mm512_loadu_ps(bp + p * kF32NR + 16);
    const float* ap = a + p * ks;
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512 ar = _mm512_set1_ps(ap[r * rs]);
      acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
    }
  }
  store_block(acc, c, ldc, mr, nr, alpha, store);
}

/// Rows [0, mr) of A (A[r, p] = a[r * rs + p * ks], p < kc) against every
/// panel of a packed B slice nc columns wide, into C's rows [0, mr)
/// (store.bias: the slice's first column's).
template <int MR>
TINYLM_TARGET_AVX512 void strip_f32(const float* a, int64_t rs, int64_t ks, const float* packed_b, int64_t kc,
                                    int64_t nc, float* c, int64_t ldc, int64_t mr, float alpha, CStore store) {
  for (int64_t jp = 0; jp < nc; jp += kF32NR)
    micro_kernel_f32<MR>(a, rs, ks, packed_b + jp * kc, kc, c + jp, ldc, mr, std::min(kF32NR, nc - jp), alpha,
                         {store.overwrite, store.bias ? store.bias + jp : nullptr});
}

/// C (row-major, M x N, ld ldc) += alpha op(A) op(B) in float32, one thread;
/// with overwrite (K > 0), C = alpha op(A) op(B) + bias[0:N] (bias may be
/// null), C's old values not read.
TINYLM_TARGET_AVX512 inline void gemm_avx512_serial(float* c, const float* a, const float* b, int64_t M, int64_t N,
                                                    int64_t K, bool trans_a, bool trans_b, int64_t lda, int64_t ldb,
                                                    int64_t ldc, float alpha, bool overwrite = false,
                                                    const float* bias = nullptr) {
  thread_local std::vector<float> packed_a, packed_b;
  const int64_t kc_max = std::min(K, kF32KC);
  packed_a.resize(static_cast<std::size_t>(kF32MR * kc_max));
  packed_b.resize(static_cast<std::size_t>(((std::min(N, kF32NC) + kF32NR - 1) / kF32NR) * kF32NR * kc_max));
  const int64_t rs = trans_a ? 1 : lda, ks = trans_a ? lda : 1;  // A[i, k] = a[i * rs + k * ks]
  for (int64_t j0 = 0; j0 < N; j0 += kF32NC) {
    const int64_t nc = std::min(kF32NC, N - j0);
    for (int64_t k0 = 0; k0 < K; k0 += kF32KC) {
      const int64_t kc = std::min(kF32KC, K - k0);
      const CStore store{overwrite && k0 == 0, overwrite && k0 == 0 && bias ? bias + j0 : nullptr};
      for (int64_t jp = 0; jp < nc; jp += kF32NR) {
        const float* bj = trans_b ? b + (j0 + jp) * ldb : b + j0 + jp;
        pack_b_f32(packed_b.data() + jp * kc, bj, ldb, trans_b, std::min(kF32NR, nc - jp), k0, kc);
      }
      int64_t i = 0;
      for (; i + kF32MR <= M; i += kF32MR)
        strip_f32<kF32MR>(a + i * rs + k0 * ks, rs, ks, packed_b.data(), kc, nc, c + i * ldc + j0, ldc, kF32MR, alpha,
                          store);
      const int64_t mr = M - i;  // the last rows, copied into the narrowest strip that holds them
      const float* ai = a + i * rs + k0 * ks;
      float* ci = c + i * ldc + j0;
      if (mr > 8) {
        pack_a_strip<12>(packed_a.data(), ai, rs, ks, mr, kc);
        strip_f32<12>(packed_a.data(), 1, 12, packed_b.data(), kc, nc, ci, ldc, mr, alpha, store);
      } else if (mr > 4) {
        pack_a_strip<8>(packed_a.data(), ai, rs, ks, mr, kc);
        strip_f32<8>(packed_a.data(), 1, 8, packed_b.data(), kc, nc, ci, ldc, mr, alpha, store);
      } else if (mr > 0) {
        pack_a_strip<4>(packed_a.data(), ai, rs, ks, mr, kc);
        strip_f32<4>(packed_a.data(), 1, 4, packed_b.data(), kc, nc, ci, ldc, mr, alpha, store);
      }
    }
  }
}

#undef TINYLM_TARGET_AVX512
#endif

}  // namespace tinylm::kernels::cpu::detail
