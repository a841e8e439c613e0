#pragma once
// Storage<T>: one owned buffer of elements on one device: 64-byte aligned
// host memory from CachingAllocator, or device memory from
// cuda::CachingAllocator in a build with the CUDA backend. Tensors share it
// through a shared_ptr; views point into it with their own shape, strides
// and offset. The data of a CUDA storage is a device pointer: only kernels
// and cuda::copy may touch it.

#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>

#include "tinylm/core/allocator.hpp"
#include "tinylm/core/cuda_allocator.hpp"
#include "tinylm/core/cuda_runtime.hpp"
#include "tinylm/core/device.hpp"

namespace tinylm {

template <class T>
class Storage {
  static_assert(std::is_trivially_copyable_v<T>, "Storage holds trivially copyable elements");

 public:
  /// Uninitialized storage for n elements.
  explicit Storage(int64_t n, Device device = Device::cpu()) : size_(n), device_(device) {
    cuda::check_device(device, "Storage");
    TINYLM_CHECK(n >= 0, "Storage: negative size ", n);
    TINYLM_CHECK(static_cast<uint64_t>(n) <= CachingAllocator::kMaxBytes / sizeof(T), "Storage: ", n, " elements of ",
                 sizeof(T), " bytes are more than any machine can hold");
#ifdef TINYLM_CUDA
    if (device.is_cuda()) {
      data_ = static_cast<T*>(cuda::CachingAllocator::instance().allocate(bytes(), device.index()));
      return;
    }
#endif
    data_ = static_cast<T*>(CachingAllocator::instance().allocate(bytes()));
  }
  ~Storage() {
#ifdef TINYLM_CUDA
    if (device_.is_cuda()) {
      cuda::CachingAllocator::instance().deallocate(data_, bytes(), device_.index());
      return;
    }
#endif
    CachingAllocator::instance().deallocate(data_, bytes());
  }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  T* data() { return data_; }
  const T* data() const { return data_; }
  int64_t size() const { return size_; }
  Device device() const { return device_; }

 private:
  std::size_t bytes() const { return static_cast<std::size_t>(size_) * sizeof(T); }

  T* data_ = nullptr;
  int64_t size_ = 0;
  Device device_;
};

}  // namespace tinylm
