#pragma once
// A float32 GEMM whose products run in bfloat16 on AMX tiles (Intel's
// Sapphire Rapids and later): the operands are rounded to bf16 as they are
// packed (to nearest, ties to even, as gemm_bf16.hpp's kernel rounds them),
// and tdpbf16ps multiplies a 16 x 32 tile of A by a 32 x 16 tile of B into
// a 16 x 16 tile of float32 sums. Used when the matmul precision is bf16
// (core/precision.hpp) and the CPU and Linux give this process AMX
// (kernels/cpu/features.hpp); compiled for AMX whatever the compiler's
// -march, and run only when the CPU says it may.
//
// Tiles. The eight tile registers are all 16 rows of 64 bytes: C's 32 x 32
// block in tmm0-3 (rows 0-15 and 16-31 by columns 0-15 and 16-31), two A
// tiles (tmm4, 5: 16 rows of 16 k pairs) and two B tiles (tmm6, 7: 16 k
// pairs, each a row of 16 columns' pairs). Per 32 k the block loads four
// tiles and runs four products; the sums stay in the tiles over the whole
// k slice and are stored once.
//
// Packing. A slice of k (kKC deep) of all of a thread's rows of op(A) is
// packed once, as k pairs (one 32-bit word: even k low, odd k high) padded
// with zeros to a multiple of 16 pairs, rows padded to a multiple of 32,
// in blocks of 32 rows x 16 pairs, so that each A tile is 1 KB of
// consecutive memory; rows of A stored transposed are turned 16 x 16 words
// at a time in registers. B is packed kNC columns at a time in panels of
// 32 columns, each a run of blocks of 16 k pairs, each block the two B
// tiles one after the other, so every tile load reads 1 KB in order
// (tiles read as rows 128 bytes or 1 KB apart ran slower). A and B are
// read along their rows of memory, whichever way they are stored. A is
// packed once per k slice, not once per column slice: repacking it for
// each of N / kNC slices would cost more than the products at an LM
// head's N.
//
// The sums leave the tiles through a 32 x 32 buffer and are stored as the
// other kernels store them: C += alpha * sums, or for beta = 0 on the first
// k slice C = alpha * sums + bias, C not read. Each call loads the tile
// configuration and releases the tiles when it returns, so a thread that
// is not multiplying holds no tile state.
//
// tdpbf16ps treats subnormal bf16 inputs as zero and flushes subnormal
// sums to zero whatever MXCSR says (vdpbf16ps does the same).

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tinylm/kernels/cpu/gemm_bf16.hpp"

namespace tinylm::kernels::cpu::detail {

#if defined(TINYLM_HAS_BF16_GEMM)
#define TINYLM_HAS_AMX_GEMM 1
#define TINYLM_TARGET_AMX __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,amx-tile,amx-bf16")))

inline constexpr int64_t kAmxMR = 32, kAmxNR = 32;    // C's block: 2 x 2 tiles
inline constexpr int64_t kAmxKC = 512, kAmxNC = 512;  // kAmxKC in elements (256 pairs)
inline constexpr int64_t kAmxTilePairs = 16;          // k pairs per A or B tile (32 k)

inline int64_t round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

/// The tile configuration (palette 1): every tile 16 rows of 64 bytes.
struct alignas(64) AmxTileConfig {
  uint8_t palette = 1, start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t bytes_per_row[16] = {};
  uint8_t rows[16] = {};
};

/// Loads the configuration. (Not _tile_loadconfig: GCC 12's form tells the
/// compiler it reads 8 of the 64 bytes, so the rest may not be stored yet.)
TINYLM_TARGET_AMX inline void amx_load_config() {
  AmxTileConfig config;
  for (int t = 0; t < 8; ++t) config.bytes_per_row[t] = 64, config.rows[t] = 16;
  __asm__ volatile("ldtilecfg %0" : : "m"(config));
}

/// Where row r's k pair p lies in a packed A (amx_a_index): strips of 32
/// rows, each a run of 16-pair blocks, each block 32 rows of 16 pairs, so
/// that an A tile (16 rows of a block) is 1 KB of consecutive memory.
inline int64_t amx_a_index(int64_t r, int64_t p, int64_t kp) {
  return ((r / kAmxMR * (kp / kAmxTilePairs) + p / kAmxTilePairs) * kAmxMR + r % kAmxMR) * kAmxTilePairs +
         p % kAmxTilePairs;
}

/// Packs rows [0, rows) x k [k0, k0 + kc) of op(A): row r's pair p at
/// out[amx_a_index(r, p, kp)] for p < kp (kp a multiple of 16), zero past
/// the kc values and on the rows up to the next multiple of kAmxMR.
TINYLM_TARGET_AMX inline void pack_a_amx(uint32_t* out, int64_t kp, const float* a, int64_t lda, bool trans_a,
                                         int64_t rows, int64_t k0, int64_t kc) {
  const int64_t padded = round_up(rows, kAmxMR);
  if (!trans_a) {  // each row's k run is contiguous
    for (int64_t r = 0; r < padded; ++r)
      for (int64_t p = 0; p < kp; p += 16)
        _mm512_storeu_si512(out + amx_a_index(r, p, kp),
                            r < rows ? pairs_from_run(a + r * lda + k0 + 2 * p, kc - 2 * p) : _mm512_setzero_si512());
    return;
  }
  // A stored [K, M]: a k pair of 16 rows is two runs of 16 values; 16 pairs
  // of them are a 16 x 16 block of words, stored transposed.
  // k outside: each k row is read along its length, which the hardware
  // prefetchers follow (down the rows, 64 bytes each, they did not).
  alignas(64) float words[16 * 16];
  for (int64_t p0 = 0; p0 < kp; p0 += 16)
    for (int64_t r0 = 0; r0 < padded; r0 += 16) {
      const __mmask16 lanes = lanes_low(rows - r0);
      for (int64_t q = 0; q < 16; ++q) {
        const int64_t k = 2 * (p0 + q);
        _mm512_store_si512(words + 16 * q, k < kc ? pairs_from_rows(a + (k0 + k) * lda + r0, lda, kc - k, lanes)
                                                  : _mm512_setzero_si512());
      }
      transpose16(words, 16, reinterpret_cast<float*>(out + amx_a_index(r0, p0, kp)), kAmxTilePairs);
    }
}

/// Where column j's k pair p of a packed B slice lies (amx_b_index): panels
/// of 32 columns, each a run of 16-pair blocks, each block the 16 pairs of
/// columns 0-15 then of columns 16-31, so that a B tile (16 pairs of 16
/// columns) is 1 KB of consecutive memory.
inline int64_t amx_b_index(int64_t j, int64_t p, int64_t kp) {
  return j / kAmxNR * kAmxNR * kp + p / kAmxTilePairs * kAmxTilePairs * kAmxNR + j % kAmxNR / 16 * 16 * kAmxTilePairs +
         p % kAmxTilePairs * 16 + j % 16;
}

/// Packs k [k0, k0 + kc) x columns [0, nc) of op(B): column j's pair
/// (B[k0 + 2p, j], B[k0 + 2p + 1, j]) at out[amx_b_index(j, p, kp)] for
/// p < kp, zero past the kc values and on the columns up to the next
/// multiple of kAmxNR.
TINYLM_TARGET_AMX inline void pack_b_amx(uint32_t* out, int64_t kp, const float* b, int64_t ldb, bool trans_b,
                                         int64_t nc, int64_t k0, int64_t kc) {
  if (!trans_b) {  // B stored [K, N]: a k pair is two rows, read along their length for every panel
    for (int64_t p = 0; p < kp; ++p) {
      const int64_t k = 2 * p;
      for (int64_t jp = 0; jp < nc; jp += kAmxNR) {
        const __mmask16 m0 = lanes_low(nc - jp), m1 = lanes_high(nc - jp);
        __m512i w0 = _mm512_setzero_si512(), w1 = _mm512_setzero_si512();
        if (k < kc) {
          const float* x = b + (k0 + k) * ldb + jp;
          w0 = pairs_from_rows(x, ldb, kc - k, m0);
          w1 = pairs_from_rows(x + 16, ldb, kc - k, m1);
        }
        _mm512_storeu_si512(out + amx_b_index(jp, p, kp), w0);
        _mm512_storeu_si512(out + amx_b_index(jp + 16, p, kp), w1);
      }
    }
    return;
  }
  // B stored [N, K]: each column's k run is contiguous; 16 columns of 16
  // pairs are a 16 x 16 block of words, stored transposed.
  alignas(64) float words[16 * 16];
  for (int64_t j0 = 0; j0 < round_up(nc, kAmxNR); j0 += 16)
    for (int64_t p0 = 0; p0 < kp; p0 += 16) {
      for (int64_t j = 0; j < 16; ++j)
        _mm512_store_si512(words + 16 * j, j0 + j < nc ? pairs_from_run(b + (j0 + j) * ldb + k0 + 2 * p0, kc - 2 * p0)
                                                       : _mm512_setzero_si512());
      transpose16(words, 16, reinterpret_cast<float*>(out + amx_b_index(j0, p0, kp)), 16);
    }
}

/// The 32 x 32 block of sums of a packed A strip (32 rows, kp pairs) and a
/// packed B panel, into sums[r * 32 + j].
TINYLM_TARGET_AMX inline void amx_block(const uint32_t* ap, int64_t kp, const uint32_t* bp, float* sums) {
  constexpr int64_t stride = kAmxTilePairs * 4;  // bytes: every tile is 16 rows of 64 bytes in a row
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (int64_t p = 0; p < kp; p += kAmxTilePairs) {
    const uint32_t* a = ap + p * kAmxMR;  // the block of 32 rows x 16 pairs
    const uint32_t* b = bp + p * kAmxNR;  // the block of 16 pairs x 32 columns
    _tile_loadd(4, a, stride);
    _tile_loadd(6, b, stride);
    _tile_dpbf16ps(0, 4, 6);
    _tile_loadd(7, b + 16 * kAmxTilePairs, stride);
    _tile_dpbf16ps(1, 4, 7);
    _tile_loadd(5, a + 16 * kAmxTilePairs, stride);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  _tile_stored(0, sums, 128);
  _tile_stored(1, sums + 16, 128);
  _tile_stored(2, sums + 16 * 32, 128);
  _tile_stored(3, sums + 16 * 32 + 16, 128);
}

/// C[0:mr, 0:nr] (+)= alpha * sums, as `store` says (gemm_avx512.hpp's
/// CStore and store_block).
TINYLM_TARGET_AMX inline void amx_store(const float* sums, float* c, int64_t ldc, int64_t mr, int64_t nr, float alpha,
                                        CStore store) {
  __m512 rows[kAmxMR][2];
  for (int64_t r = 0; r < mr; ++r)
    rows[r][0] = _mm512_load_ps(sums + r * kAmxNR), rows[r][1] = _mm512_load_ps(sums + r * kAmxNR + 16);
  store_block(rows, c, ldc, mr, nr, alpha, store);
}

/// C (row-major, M x N, ld ldc) += alpha op(A) op(B), products in bf16 on
/// AMX, one thread; with overwrite (K > 0), C = alpha op(A) op(B) +
/// bias[0:N] (bias may be null), C's old values not read.
TINYLM_TARGET_AMX inline void gemm_amx_serial(float* c, const float* a, const float* b, int64_t M, int64_t N, int64_t K,
                                              bool trans_a, bool trans_b, int64_t lda, int64_t ldb, int64_t ldc,
                                              float alpha, bool overwrite = false, const float* bias = nullptr) {
  thread_local std::vector<uint32_t> packed_a, packed_b;
  const int64_t kp_max = round_up((std::min(K, kAmxKC) + 1) / 2, kAmxTilePairs);
  packed_a.resize(static_cast<std::size_t>(round_up(M, kAmxMR) * kp_max));
  packed_b.resize(static_cast<std::size_t>(round_up(std::min(N, kAmxNC), kAmxNR) * kp_max));
  alignas(64) float sums[kAmxMR * kAmxNR];
  amx_load_config();
  for (int64_t k0 = 0; k0 < K; k0 += kAmxKC) {
    const int64_t kc = std::min(kAmxKC, K - k0), kp = round_up((kc + 1) / 2, kAmxTilePairs);
    pack_a_amx(packed_a.data(), kp, a, lda, trans_a, M, k0, kc);
    for (int64_t j0 = 0; j0 < N; j0 += kAmxNC) {
      const int64_t nc = std::min(kAmxNC, N - j0);
      const CStore store{overwrite && k0 == 0, overwrite && k0 == 0 && bias ? bias + j0 : nullptr};
      pack_b_amx(packed_b.data(), kp, trans_b ? b + j0 * ldb : b + j0, ldb, trans_b, nc, k0, kc);
      for (int64_t i = 0; i < M; i += kAmxMR)
        for (int64_t jp = 0; jp < nc; jp += kAmxNR) {
          amx_block(packed_a.data() + i * kp, kp, packed_b.data() + jp * kp, sums);
          amx_store(sums, c + i * ldc + j0 + jp, ldc, std::min(kAmxMR, M - i), std::min(kAmxNR, nc - jp), alpha,
                    {store.overwrite, store.bias ? store.bias + jp : nullptr});
        }
    }
  }
  _tile_release();
}

#undef TINYLM_TARGET_AMX
#endif

}  // namespace tinylm::kernels::cpu::detail
