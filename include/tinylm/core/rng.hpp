#pragma once
// Generator: the seeded, reproducible random source behind randn, rand,
// dropout, weight init, batch sampling and sampling from a model.
//
// xoshiro256** (Blackman & Vigna), seeded through splitmix64. Its whole state
// is four 64-bit words plus one cached normal, so a checkpoint can save it
// and a resumed run draws exactly the numbers it would have drawn.

#include <array>
#include <cmath>
#include <cstdint>

#include "tinylm/core/error.hpp"

namespace tinylm {

class Generator {
 public:
  struct State {
    std::array<uint64_t, 4> s{};
    double cached_normal = 0.0;
    bool has_cached_normal = false;
  };

  explicit Generator(uint64_t seed = 0) { manual_seed(seed); }

  void manual_seed(uint64_t seed) {
    uint64_t x = seed;
    for (auto& w : state_.s) w = splitmix64(x);
    state_.has_cached_normal = false;
    state_.cached_normal = 0.0;
  }

  /// Next raw 64 random bits.
  uint64_t next_u64() {
    auto& s = state_.s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }

  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  /// Uniform integer in [0, n), without modulo bias (Lemire's method).
  uint64_t below(uint64_t n) {
    __uint128_t m = static_cast<__uint128_t>(next_u64()) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<__uint128_t>(next_u64()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  /// Standard normal (Box-Muller; the second value of each pair is cached).
  double normal() {
    if (state_.has_cached_normal) {
      state_.has_cached_normal = false;
      return state_.cached_normal;
    }
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * 3.14159265358979323846 * u2;
    state_.cached_normal = r * std::sin(theta);
    state_.has_cached_normal = true;
    return r * std::cos(theta);
  }

  const State& state() const { return state_; }
  /// Restores a state that state() returned; the all-zero state (which
  /// xoshiro256** never leaves) is refused.
  void set_state(const State& s) {
    TINYLM_CHECK((s.s[0] | s.s[1] | s.s[2] | s.s[3]) != 0,
                 "Generator::set_state: the all-zero state is a fixed point (it would draw 0 forever)");
    state_ = s;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  State state_;
};

/// The process-wide generator used when a call is given none.
inline Generator& default_generator() {
  static Generator gen(0);
  return gen;
}

/// Reseeds the default generator.
inline void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace tinylm
