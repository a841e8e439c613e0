#pragma once
// Sorting along the middle axis of [outer, n, inner]: for every (o, i), the
// positions of the k first elements in sorted order. Ties keep position
// order (what a stable sort gives); NaN counts as larger than every number,
// as in PyTorch. k < n sorts only the first k (a partial sort).

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "tinylm/kernels/cpu/parallel.hpp"

namespace tinylm::kernels::cpu {

/// idx [outer, k, inner] = the positions along n of the k largest (or,
/// without `descending`, smallest) elements of x [outer, n, inner], in order.
template <class T, class I>
void argsort(I* idx, const T* x, int64_t outer, int64_t n, int64_t inner, int64_t k, bool descending) {
  parallel_for(outer * inner, n * 8, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> order(static_cast<std::size_t>(n));
    for (int64_t r = begin; r < end; ++r) {
      const int64_t o = r / inner, i = r % inner;
      const T* row = x + o * n * inner + i;
      // a before b: a's value comes first in the order, or it is equal and a is the earlier position.
      auto before = [&](int64_t a, int64_t b) {
        const T va = row[a * inner], vb = row[b * inner];
        const bool na = va != va, nb = vb != vb;
        if (na || nb) {
          if (na && nb) return a < b;
          return descending ? na : nb;  // NaN is the largest
        }
        if (va != vb) return descending ? va > vb : va < vb;
        return a < b;
      };
      std::iota(order.begin(), order.end(), int64_t{0});
      if (k < n) std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
      else std::sort(order.begin(), order.end(), before);
      for (int64_t j = 0; j < k; ++j) idx[(o * k + j) * inner + i] = static_cast<I>(order[static_cast<std::size_t>(j)]);
    }
  });
}

}  // namespace tinylm::kernels::cpu
