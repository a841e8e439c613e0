#pragma once
// CudaCachingAllocator: device memory recycled by size class, per device.
//
// cudaMalloc and cudaFree synchronize the device and cost tens of
// microseconds; a training step allocates and frees the same sizes every
// iteration. Freed blocks go to per-device free lists keyed by the host
// allocator's size classes (core/allocator.hpp), so the steady-state step
// calls neither. Reuse needs no event: every kernel of a device runs on its
// one stream (core/cuda_runtime.hpp), so work issued before a block was
// freed finishes before work issued after it was handed out again.
// When cudaMalloc runs out, the cached blocks of that device are freed and
// the call tried once more before the error is reported.

#ifdef TINYLM_CUDA

#include <cstddef>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "tinylm/core/allocator.hpp"
#include "tinylm/core/cuda_runtime.hpp"

namespace tinylm::cuda {

class CachingAllocator {
 public:
  using Stats = tinylm::CachingAllocator::Stats;  // system_allocations counts cudaMalloc calls

  static CachingAllocator& instance() {
    static CachingAllocator* a = new CachingAllocator();  // never destroyed: tensors may outlive statics
    return *a;
  }

  void* allocate(std::size_t bytes, int device) {
    const std::size_t cls = tinylm::CachingAllocator::size_class(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    PerDevice& d = at(device);
    auto it = d.free.find(cls);
    if (it != d.free.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      d.stats.bytes_cached -= cls;
      note_use(d, cls);
      return p;
    }
    DeviceGuard guard(device);
    void* p = nullptr;
    cudaError_t e = cudaMalloc(&p, cls);
    if (e == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      release_cached_locked(d);
      e = cudaMalloc(&p, cls);
    }
    if (e != cudaSuccess) detail::fail(e, "cudaMalloc(&p, bytes)", __FILE__, __LINE__);
    ++d.stats.system_allocations;
    note_use(d, cls);
    return p;
  }

  /// Never throws (Storage's destructor calls it).
  void deallocate(void* p, std::size_t bytes, int device) noexcept {
    if (!p) return;
    const std::size_t cls = tinylm::CachingAllocator::size_class(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    PerDevice& d = devices_[device];
    d.stats.bytes_in_use -= cls;
    try {
      d.free[cls].push_back(p);
      d.stats.bytes_cached += cls;
    } catch (...) {
      (void)cudaFree(p);
    }
  }

  /// Returns device `device`'s cached blocks to the driver.
  void empty_cache(int device) {
    std::lock_guard<std::mutex> lock(mutex_);
    release_cached_locked(at(device));
  }

  Stats stats(int device) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = devices_.find(device);
    return it == devices_.end() ? Stats{} : it->second.stats;
  }

 private:
  struct PerDevice {
    std::unordered_map<std::size_t, std::vector<void*>> free;
    Stats stats;
  };

  CachingAllocator() = default;

  PerDevice& at(int device) { return devices_[device]; }
  static void note_use(PerDevice& d, std::size_t cls) {
    d.stats.bytes_in_use += cls;
    if (d.stats.bytes_in_use > d.stats.peak_bytes_in_use) d.stats.peak_bytes_in_use = d.stats.bytes_in_use;
  }
  void release_cached_locked(PerDevice& d) {
    for (auto& [cls, blocks] : d.free) {
      for (void* p : blocks) (void)cudaFree(p);
      d.stats.bytes_cached -= cls * blocks.size();
      blocks.clear();
    }
  }

  mutable std::mutex mutex_;
  std::unordered_map<int, PerDevice> devices_;
};

}  // namespace tinylm::cuda

#endif  // TINYLM_CUDA
