#pragma once
// Loops over whole registers: a body written once, generic over its value
// type, runs on formula::FloatLanes (kernels/formulas.hpp) for every full
// register of a float array and on a float for each element of the tail;
// on other types (double) it runs element by element.
//
//   for_lanes<float>(n, [&](auto lanes, int64_t j) {
//     using V = decltype(lanes);
//     store_as(y + j, formula::tanh(load_as<V>(x + j)));
//   });
//
// The formulas' selects would keep a plain loop over their float forms
// scalar (GCC's default -ftrapping-math); on FloatLanes they are blends.

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "tinylm/kernels/formulas.hpp"

#if defined(__GNUC__)
#define TINYLM_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define TINYLM_ALWAYS_INLINE inline
#endif

namespace tinylm::kernels::cpu {

/// Loads a V from p, where V is T itself or, for float, formula::FloatLanes
/// (kFloatLanes consecutive values); store_as writes one back.
template <class V, class T>
TINYLM_ALWAYS_INLINE V load_as(const T* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class V, class T>
TINYLM_ALWAYS_INLINE void store_as(T* p, const V& v) {
  std::memcpy(p, &v, sizeof v);
}

/// Calls body(V{}, j) for the j of [0, n) that start a V: for float, a
/// FloatLanes at every multiple of kFloatLanes that fits, then a float at
/// each j of the tail; for other T, a T at each j.
template <class T, class Body>
TINYLM_ALWAYS_INLINE void for_lanes(int64_t n, Body&& body) {
  int64_t j = 0;
#if defined(TINYLM_FLOAT_LANES)
  if constexpr (std::is_same_v<T, float>)
    for (; j + formula::kFloatLanes <= n; j += formula::kFloatLanes) body(formula::FloatLanes{}, j);
#endif
  for (; j < n; ++j) body(T{}, j);
}

/// The sum over j of what body(V{}, j) returns, visiting j as for_lanes
/// does; for float, the registers are summed lane by lane and the lanes
/// added at the end.
template <class T, class Body>
TINYLM_ALWAYS_INLINE T sum_lanes(int64_t n, Body&& body) {
  int64_t j = 0;
  T s = T(0);
#if defined(TINYLM_FLOAT_LANES)
  if constexpr (std::is_same_v<T, float>) {
    formula::FloatLanes acc{};
    for (; j + formula::kFloatLanes <= n; j += formula::kFloatLanes) acc += body(formula::FloatLanes{}, j);
    for (int l = 0; l < formula::kFloatLanes; ++l) s += acc[l];
  }
#endif
  for (; j < n; ++j) s += body(T{}, j);
  return s;
}

}  // namespace tinylm::kernels::cpu
