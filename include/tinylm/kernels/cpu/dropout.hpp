#pragma once
// The dropout mask: mask[i] = 1 / (1 - p) with probability 1 - p, else 0
// (0 everywhere when p = 1). Drawn from `gen` in element order, on one
// thread, so a seed fixes it whatever the thread count.

#include <cstdint>

#include "tinylm/core/rng.hpp"

namespace tinylm::kernels::cpu {

template <class T>
void dropout_mask(T* mask, int64_t n, double p, Generator& gen) {
  const T keep_scale = p < 1.0 ? static_cast<T>(1.0 / (1.0 - p)) : T(0);
  for (int64_t i = 0; i < n; ++i) mask[i] = gen.uniform() >= p ? keep_scale : T(0);
}

}  // namespace tinylm::kernels::cpu
