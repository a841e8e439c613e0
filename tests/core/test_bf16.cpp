// bfloat16 rounding: round to nearest, ties to even, checked at known
// values and against a reference that picks the nearer of the two bf16
// neighbours in double arithmetic (IEEE's rule, 2^128 standing in for
// infinity above the largest), over a sweep of float bit patterns.

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <tinylm/tinylm.hpp>

using tinylm::bf16;

namespace {

/// The bf16 nearest a finite float x, ties to the even one, by comparing
/// distances in double (exact for floats) instead of the bit trick.
uint16_t reference_round(float x) {
  const uint32_t u = std::bit_cast<uint32_t>(x);
  const uint16_t down = static_cast<uint16_t>(u >> 16);  // toward zero
  const uint16_t up = static_cast<uint16_t>(down + 1);   // away from zero (past the largest: infinity)
  const double lo = std::fabs(double(bf16::from_bits(down).to_float()));
  // Past bf16's largest the next value up is 2^128, which the format writes as infinity.
  const double hi = (up & 0x7fff) == 0x7f80 ? std::ldexp(1.0, 128) : std::fabs(double(bf16::from_bits(up).to_float()));
  const double ax = std::fabs(double(x));
  if (ax - lo < hi - ax) return down;
  if (hi - ax < ax - lo) return up;
  return (down & 1) ? up : down;
}

}  // namespace

TEST_CASE("bf16: known values round to nearest, ties to even") {
  CHECK(bf16::from_float(1.0f).bits == 0x3f80);
  CHECK(bf16::from_float(-2.0f).bits == 0xc000);
  CHECK(bf16::from_float(1.0f + 0x1p-8f).bits == 0x3f80);             // halfway between 1 and 1 + 2^-7: to the even 1
  CHECK(bf16::from_float(1.0f + 3 * 0x1p-8f).bits == 0x3f82);         // halfway between 1 + 2^-7 and 1 + 2^-6: up, even
  CHECK(bf16::from_float(1.0f + 0x1p-8f + 0x1p-20f).bits == 0x3f81);  // past halfway: up
  CHECK(bf16::from_float(1.0f + 0x1p-8f - 0x1p-20f).bits == 0x3f80);  // short of halfway: down
  CHECK(bf16::from_float(3.14159265f).to_float() == 3.140625f);
  CHECK(bf16::from_float(0.0f).bits == 0x0000);
  CHECK(bf16::from_float(-0.0f).bits == 0x8000);
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(bf16::from_float(inf).bits == 0x7f80);
  CHECK(bf16::from_float(-inf).bits == 0xff80);
  CHECK(bf16::from_float(std::numeric_limits<float>::max()).bits == 0x7f80);  // past bf16's largest: infinity
  CHECK(bf16::from_float(0x1.fep127f).bits == 0x7f7f);                        // bf16's largest stays
  CHECK(std::isnan(bf16::from_float(std::numeric_limits<float>::quiet_NaN()).to_float()));
  // A signalling NaN whose payload lies in the dropped bits stays a NaN (not infinity), now quiet.
  const bf16 snan = bf16::from_float(std::bit_cast<float>(0xff800001u));
  CHECK(snan.bits == 0xffc0);
  CHECK(std::isnan(snan.to_float()));
  CHECK(bf16::from_float(0x1p-133f).bits == 0x0001);  // a subnormal: rounds like the rest
}

TEST_CASE("bf16: every 997th float bit pattern rounds as the reference says, and back exactly") {
  int64_t checked = 0, wrong = 0, changed = 0;
  uint32_t first_wrong = 0;
  for (uint64_t u = 0; u <= 0xffffffffu; u += 997) {
    const float x = std::bit_cast<float>(static_cast<uint32_t>(u));
    if (!std::isfinite(x)) continue;
    const bf16 b = bf16::from_float(x);
    if (b.bits != reference_round(x) && wrong++ == 0) first_wrong = static_cast<uint32_t>(u);
    changed += !(bf16::from_float(b.to_float()) == b);  // a bf16 is a float: back and forth changes nothing
    ++checked;
  }
  CAPTURE(first_wrong);
  CHECK(wrong == 0);
  CHECK(changed == 0);
  CHECK(checked > 4000000);
}

TEST_CASE("bf16: bulk conversions equal the scalar ones") {
  tinylm::Generator gen(7);
  std::vector<float> x(1000);
  for (float& v : x) v = static_cast<float>(100 * gen.uniform() - 50);
  std::vector<bf16> b(x.size());
  std::vector<float> back(x.size());
  tinylm::to_bf16(x.data(), b.data(), x.size());
  tinylm::to_float(b.data(), back.data(), b.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    CHECK(b[i] == bf16::from_float(x[i]));
    CHECK(back[i] == b[i].to_float());
    CHECK(std::fabs(back[i] - x[i]) <= std::fabs(x[i]) * 0x1p-8f);  // half a unit of 7 mantissa bits
  }
}
