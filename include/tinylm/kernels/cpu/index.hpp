#pragma once
// Validation of integer indices (embedding ids, gather indices, targets).

#include <cstdint>
#include <optional>

namespace tinylm::kernels::cpu {

/// The first position i < n whose index is outside [0, limit) and is not
/// `allowed` (an ignore_index), or -1 when every index is fine.
template <class I>
int64_t find_invalid_index(const I* index, int64_t n, int64_t limit, std::optional<int64_t> allowed = std::nullopt) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t v = static_cast<int64_t>(index[i]);
    if ((v < 0 || v >= limit) && v != allowed) return i;
  }
  return -1;
}

}  // namespace tinylm::kernels::cpu
