#pragma once
// The host side of tinylm's CUDA backend: checked runtime calls, the one
// stream each device's work goes to, and copies between host and device.
// In a build without the backend (TINYLM_CUDA undefined) only
// device_count() (always 0), available() and check_device() exist, so code
// that asks "is there a GPU?" compiles either way.
//
// Every CUDA runtime call goes through TINYLM_CUDA_CHECK, which turns a
// failure into a tinylm::Error naming the call, the error's name and string,
// and the file and line:
//   "CUDA: cudaMalloc(&p, bytes) failed: cudaErrorMemoryAllocation (out of
//    memory) at include/tinylm/core/cuda_allocator.hpp:71"
// Streams: all of a device's kernels and copies go to one non-blocking
// stream per device, so they run in the order they were issued; a copy to
// the host waits for that stream.

#include <cstddef>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "tinylm/core/device.hpp"
#include "tinylm/core/error.hpp"

#ifdef TINYLM_CUDA
#include <cuda_runtime_api.h>
#endif

namespace tinylm::cuda {

#ifdef TINYLM_CUDA
namespace detail {
[[noreturn]] inline void fail(cudaError_t e, const char* call, const char* file, int line) {
  throw Error(tinylm::detail::str_cat("CUDA: ", call, " failed: ", cudaGetErrorName(e), " (", cudaGetErrorString(e),
                                      ") at ", file, ":", line));
}
}  // namespace detail

#define TINYLM_CUDA_CHECK(call)                                                                                     \
  do {                                                                                                              \
    const cudaError_t tinylm_cuda_err_ = (call);                                                                    \
    if (tinylm_cuda_err_ != cudaSuccess) ::tinylm::cuda::detail::fail(tinylm_cuda_err_, #call, __FILE__, __LINE__); \
  } while (0)
#endif

/// Why there is no usable CUDA device ("" when there is one).
inline const std::string& unavailable_reason() {
  static const std::string reason = [] {
#ifdef TINYLM_CUDA
    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
      (void)cudaGetLastError();  // clear the sticky error for later calls
      return tinylm::detail::str_cat("cudaGetDeviceCount: ", cudaGetErrorName(e), " (", cudaGetErrorString(e), ")");
    }
    return n > 0 ? std::string() : std::string("cudaGetDeviceCount: 0 devices");
#else
    return std::string("this build of tinylm has no CUDA backend (configure with -DTINYLM_CUDA=ON)");
#endif
  }();
  return reason;
}

/// The number of CUDA devices this process can use (0 without the backend,
/// without a driver or without a GPU).
inline int device_count() {
  static const int n = [] {
#ifdef TINYLM_CUDA
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
      (void)cudaGetLastError();
      return 0;
    }
    return count;
#else
    return 0;
#endif
  }();
  return n;
}

/// True when at least one CUDA device can be used.
inline bool available() { return device_count() > 0; }

/// Throws unless `d` is the CPU or a CUDA device this process has; `op`
/// names who asked.
inline void check_device(const Device& d, const char* op) {
  check_device_supported(d, op);
  if (d.is_cpu()) return;
  TINYLM_CHECK(available(), op, ": device ", d, " requested, but no CUDA device can be used: ", unavailable_reason());
  TINYLM_CHECK(d.index() < device_count(), op, ": device ", d, " requested, but this machine has ", device_count(),
               " CUDA device", device_count() == 1 ? "" : "s");
}

#ifdef TINYLM_CUDA
/// Makes `index` the current device for its lifetime, then restores the previous one.
class DeviceGuard {
 public:
  explicit DeviceGuard(int index) {
    TINYLM_CUDA_CHECK(cudaGetDevice(&previous_));
    if (previous_ != index) TINYLM_CUDA_CHECK(cudaSetDevice(index));
  }
  ~DeviceGuard() {
    int now = previous_;
    if (cudaGetDevice(&now) == cudaSuccess && now != previous_) (void)cudaSetDevice(previous_);
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = 0;
};

/// The stream all of device `index`'s work goes to (created on first use,
/// kept for the life of the process).
inline cudaStream_t stream(int index) {
  static std::mutex mutex;
  static std::vector<cudaStream_t>* streams = new std::vector<cudaStream_t>();  // never destroyed, like the driver's
  std::lock_guard<std::mutex> lock(mutex);
  if (streams->empty()) streams->assign(static_cast<std::size_t>(device_count()), nullptr);
  TINYLM_CHECK(index >= 0 && index < static_cast<int>(streams->size()), "cuda::stream: no CUDA device ", index);
  cudaStream_t& s = (*streams)[static_cast<std::size_t>(index)];
  if (!s) {
    DeviceGuard guard(index);
    TINYLM_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  }
  return s;
}

/// Waits until device `index` has finished everything issued to its stream.
inline void synchronize(int index) { TINYLM_CUDA_CHECK(cudaStreamSynchronize(stream(index))); }

/// Copies `bytes` between any two of the host and the CUDA devices. A copy
/// that ends on the host has finished when this returns; one that ends on a
/// device is ordered on that device's stream.
inline void copy(void* dst, Device dst_device, const void* src, Device src_device, std::size_t bytes) {
  if (bytes == 0) return;
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    std::memcpy(dst, src, bytes);
    return;
  }
  if (src_device.is_cuda() && dst_device.is_cuda() && src_device.index() != dst_device.index()) {
    synchronize(src_device.index());  // the source's pending writes first
    TINYLM_CUDA_CHECK(
        cudaMemcpyPeerAsync(dst, dst_device.index(), src, src_device.index(), bytes, stream(dst_device.index())));
    return;
  }
  const int index = dst_device.is_cuda() ? dst_device.index() : src_device.index();
  const cudaMemcpyKind kind = dst_device.is_cpu()   ? cudaMemcpyDeviceToHost
                              : src_device.is_cpu() ? cudaMemcpyHostToDevice
                                                    : cudaMemcpyDeviceToDevice;
  DeviceGuard guard(index);
  TINYLM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, stream(index)));
  // The host side of a transfer must stay valid until the copy is done: wait
  // for every copy that touches the host.
  if (kind != cudaMemcpyDeviceToDevice) synchronize(index);
}
#endif

}  // namespace tinylm::cuda
