#pragma once
// CachingAllocator: 64-byte aligned host buffers, recycled by size class.
//
// A training step frees and allocates the same buffer sizes every iteration;
// keeping freed blocks in per-size free lists makes the steady-state step do
// no heap allocation at all. Sizes are rounded up to a size class (multiples
// of 64 bytes up to 4 KiB, then 8 classes per power of two) so that blocks of
// nearly equal size are shared. Under AddressSanitizer the cache is bypassed
// so that use-after-free is still caught.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "tinylm/core/error.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define TINYLM_ALLOCATOR_NO_CACHE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TINYLM_ALLOCATOR_NO_CACHE 1
#endif
#endif

namespace tinylm {

class CachingAllocator {
 public:
  static constexpr std::size_t kAlignment = 64;

  struct Stats {
    std::size_t bytes_in_use = 0;  // handed out and not yet returned
    std::size_t bytes_cached = 0;  // returned, kept for reuse
    std::size_t peak_bytes_in_use = 0;
    std::size_t system_allocations = 0;  // calls that reached the system allocator
  };

  static CachingAllocator& instance() {
    static CachingAllocator* a = new CachingAllocator();  // never destroyed: tensors may outlive statics
    return *a;
  }

  /// Requests above this (4 EiB) are refused with std::bad_alloc before
  /// any arithmetic on them: no machine has that much, and rounding them up
  /// would overflow.
  static constexpr std::size_t kMaxBytes = std::size_t{1} << 62;

  /// Rounds a request up to its size class; std::bad_alloc above kMaxBytes.
  static std::size_t size_class(std::size_t bytes) {
    if (bytes > kMaxBytes) throw std::bad_alloc();
    if (bytes == 0) bytes = 1;
    if (bytes <= 4096) return (bytes + kAlignment - 1) / kAlignment * kAlignment;
    std::size_t pow2 = 4096;
    while (pow2 * 2 < bytes) pow2 *= 2;
    // bytes lies in (pow2, 2*pow2]; split that range into 8 classes.
    const std::size_t step = pow2 / 8;
    return (bytes + step - 1) / step * step;
  }

  void* allocate(std::size_t bytes) {
    const std::size_t cls = size_class(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
#ifndef TINYLM_ALLOCATOR_NO_CACHE
    auto it = free_.find(cls);
    if (it != free_.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      stats_.bytes_cached -= cls;
      note_use(cls);
      return p;
    }
#endif
    void* p = std::aligned_alloc(kAlignment, cls);
    if (!p) {
      release_cached_locked();
      p = std::aligned_alloc(kAlignment, cls);
    }
    if (!p) throw std::bad_alloc();
    ++stats_.system_allocations;
    note_use(cls);
    return p;
  }

  /// Never throws (destructors call it): when the free list cannot grow
  /// because memory ran out, the block goes back to the system instead.
  void deallocate(void* p, std::size_t bytes) noexcept {
    if (!p) return;
    const std::size_t cls = size_class(bytes);  // p came from allocate(bytes), so bytes <= kMaxBytes
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.bytes_in_use -= cls;
#ifdef TINYLM_ALLOCATOR_NO_CACHE
    std::free(p);
#else
    try {
      free_[cls].push_back(p);
      stats_.bytes_cached += cls;
    } catch (...) {
      std::free(p);
    }
#endif
  }

  /// Returns every cached block to the system.
  void empty_cache() {
    std::lock_guard<std::mutex> lock(mutex_);
    release_cached_locked();
  }

  Stats stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

 private:
  CachingAllocator() = default;

  void note_use(std::size_t cls) {
    stats_.bytes_in_use += cls;
    if (stats_.bytes_in_use > stats_.peak_bytes_in_use) stats_.peak_bytes_in_use = stats_.bytes_in_use;
  }
  void release_cached_locked() {
    for (auto& [cls, blocks] : free_) {
      for (void* p : blocks) std::free(p);
      stats_.bytes_cached -= cls * blocks.size();
      blocks.clear();
    }
  }

  mutable std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<void*>> free_;
  Stats stats_;
};

}  // namespace tinylm
