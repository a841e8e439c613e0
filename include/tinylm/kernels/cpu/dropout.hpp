#pragma once
// The dropout mask: mask[i] = 1 / (1 - p) with probability 1 - p, else 0
// (0 everywhere when p = 1). One call takes one 64-bit key from `gen`;
// element i's draw is Philox's counter-based word for i under that key
// (kernels/philox.hpp), so the mask is the same whatever the thread count,
// and the same as the CUDA kernel's for the same generator state.

#include <cstdint>

#include "tinylm/core/rng.hpp"
#include "tinylm/kernels/cpu/parallel.hpp"
#include "tinylm/kernels/philox.hpp"

namespace tinylm::kernels::cpu {

template <class T>
void dropout_mask(T* mask, int64_t n, double p, Generator& gen) {
  const uint64_t key = gen.next_u64();
  const uint64_t threshold = philox::dropout_threshold(p);
  const T scale = p < 1.0 ? static_cast<T>(1.0 / (1.0 - p)) : T(0);
  const int64_t blocks = (n + 3) / 4;
  parallel_for(blocks, 40, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const philox::Block words = philox::block(static_cast<uint64_t>(b), key);
      for (int64_t j = 0; j < 4 && 4 * b + j < n; ++j) mask[4 * b + j] = words.w[j] >= threshold ? scale : T(0);
    }
  });
}

}  // namespace tinylm::kernels::cpu
