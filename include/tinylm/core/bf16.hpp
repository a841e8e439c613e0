#pragma once
// bfloat16: the top 16 bits of an IEEE float32 (sign, 8-bit exponent, 7-bit
// mantissa). It has float32's range at a quarter of its precision; matrix
// products on AMX and AVX-512 BF16 read it and sum in float32.
//
// A float becomes a bf16 by rounding to nearest, ties to even (the rounding
// of IEEE arithmetic and of the CPUs' conversion instructions): the 16 bits
// dropped are compared with half a unit of the 16 kept. Infinities stay
// infinities, a finite value past bf16's largest rounds to infinity, and a
// NaN stays a NaN (quiet, with its sign and the top of its payload).
// Subnormals round like the rest (the CPUs' vector conversions flush them
// to zero instead; nothing in a trained model lives down there).

#include <bit>
#include <cstddef>
#include <cstdint>

namespace tinylm {

struct bf16 {
  uint16_t bits = 0;

  static constexpr bf16 from_bits(uint16_t b) { return bf16{b}; }

  /// Rounds x to the nearest bf16, ties to even.
  static constexpr bf16 from_float(float x) {
    const uint32_t u = std::bit_cast<uint32_t>(x);
    if ((u & 0x7fffffffu) > 0x7f800000u) return bf16{static_cast<uint16_t>((u >> 16) | 0x0040u)};  // NaN: quiet it
    const uint32_t rounding = 0x7fffu + ((u >> 16) & 1u);  // half a unit, and one more when the kept part is odd
    return bf16{static_cast<uint16_t>((u + rounding) >> 16)};
  }

  /// The float this bf16 is (exact: every bf16 is a float).
  constexpr float to_float() const { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

  friend constexpr bool operator==(bf16 a, bf16 b) { return a.bits == b.bits; }
};

/// out[i] = the bf16 nearest x[i] (ties to even), for i < n.
inline void to_bf16(const float* x, bf16* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = bf16::from_float(x[i]);
}

/// out[i] = x[i] as a float, for i < n.
inline void to_float(const bf16* x, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = x[i].to_float();
}

}  // namespace tinylm
