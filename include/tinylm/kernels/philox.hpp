#pragma once
// Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as
// easy as 1, 2, 3", SC 2011): a counter-based generator. The 4 x 32 random
// bits for a 128-bit counter under a 64-bit key are a pure function of the
// two, computed in 10 rounds of multiply-high/low and xor, so element i of a
// tensor can draw its own numbers on any thread of any device, in any order,
// and a seed gives the same numbers on the CPU and the GPU.
//
// Dropout uses it: one dropout call takes one 64-bit key from its
// Generator, and element i keeps its value when word i % 4 of the block for
// counter i / 4 is at least dropout_threshold(p), i.e. with probability
// 1 - p to within 2^-32.

#include <cmath>
#include <cstdint>

#include "tinylm/core/host_device.hpp"

namespace tinylm::kernels::philox {

struct Block {
  uint32_t w[4];
};

/// The 4 words for counter (c0, c1, c2, c3) under key (k0, k1).
TINYLM_HD Block philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(kMul0) * c0;
    const uint64_t p1 = static_cast<uint64_t>(kMul1) * c2;
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return {{c0, c1, c2, c3}};
}

/// The block for a 64-bit counter under a 64-bit key.
TINYLM_HD Block block(uint64_t counter, uint64_t key) {
  return philox4x32_10(static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32), 0u, 0u,
                       static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32));
}

/// The smallest 32-bit word dropout keeps at drop probability p in [0, 1]:
/// ceil(p 2^32), so P(word >= threshold) = 1 - p to within 2^-32 (2^32 at
/// p = 1: nothing is kept). Computed on the host, compared on either device.
inline uint64_t dropout_threshold(double p) { return static_cast<uint64_t>(std::ceil(p * 4294967296.0)); }

/// Dropout's mask value for element i: scale (1 / (1 - p)) or 0.
template <class T>
TINYLM_HD T dropout_element(uint64_t i, uint64_t key, uint64_t threshold, T scale) {
  const Block b = block(i / 4, key);
  return b.w[i % 4] >= threshold ? scale : T(0);
}

}  // namespace tinylm::kernels::philox
