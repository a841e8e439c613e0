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
// the host waits for that stream. Transfers between the host and a device
// of 64 KiB and more go through a pinned (page-locked) staging buffer per
// device, in two 4 MiB halves used in turn, so that the DMA of one chunk
// overlaps the host's copy of the next, and a copy to the device returns
// as soon as the host's bytes are in the staging buffer.

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

namespace detail {

/// Device `index`'s entry of a table of T, one per device, made by
/// make(index) on first use and kept for the life of the process (never
/// destroyed, like the driver's own state). `what` names the caller in the
/// error for an index past the machine's devices.
template <class T, class Make>
T& per_device(int index, const char* what, Make make) {
  static std::mutex mutex;
  static auto* all = new std::vector<T*>();
  std::lock_guard<std::mutex> lock(mutex);
  if (all->empty()) all->assign(static_cast<std::size_t>(device_count()), nullptr);
  TINYLM_CHECK(index >= 0 && index < static_cast<int>(all->size()), what, ": no CUDA device ", index);
  T*& entry = (*all)[static_cast<std::size_t>(index)];
  if (!entry) {
    DeviceGuard guard(index);
    entry = make(index);
  }
  return *entry;
}

struct StreamEntry {
  cudaStream_t stream = nullptr;
};

}  // namespace detail

/// The stream all of device `index`'s work goes to (created on first use,
/// kept for the life of the process).
inline cudaStream_t stream(int index) {
  return detail::per_device<detail::StreamEntry>(
             index, "cuda::stream",
             [](int) {
               auto* e = new detail::StreamEntry();
               TINYLM_CUDA_CHECK(cudaStreamCreateWithFlags(&e->stream, cudaStreamNonBlocking));
               return e;
             })
      .stream;
}

/// Waits until device `index` has finished everything issued to its stream.
inline void synchronize(int index) { TINYLM_CUDA_CHECK(cudaStreamSynchronize(stream(index))); }

namespace detail {

/// Device `index`'s pinned staging buffer: two halves of kStagingChunk
/// bytes and the event that marks each half's last transfer done (null
/// data: the allocation failed, so transfers go direct).
struct Staging {
  static constexpr std::size_t kChunk = std::size_t{4} << 20;
  static constexpr std::size_t kMinStaged = std::size_t{64} << 10;
  std::mutex mutex;
  char* data = nullptr;
  cudaEvent_t done[2] = {nullptr, nullptr};
};

inline Staging& staging(int index) {
  return per_device<Staging>(index, "cuda::copy", [](int) {
    auto* st = new Staging();
    void* p = nullptr;
    if (cudaHostAlloc(&p, 2 * Staging::kChunk, cudaHostAllocPortable) == cudaSuccess) {
      st->data = static_cast<char*>(p);
      TINYLM_CUDA_CHECK(cudaEventCreateWithFlags(&st->done[0], cudaEventDisableTiming));
      TINYLM_CUDA_CHECK(cudaEventCreateWithFlags(&st->done[1], cudaEventDisableTiming));
    } else {
      (void)cudaGetLastError();  // no pinned memory to be had: transfers go direct
    }
    return st;
  });
}

/// The bytes of chunk k of a `bytes`-long transfer staged kChunk at a time.
inline std::size_t staged_chunk(std::size_t bytes, std::size_t k) {
  const std::size_t off = k * Staging::kChunk;
  return bytes - off < Staging::kChunk ? bytes - off : Staging::kChunk;
}

/// Host to device `index` through the staging halves; returns once the
/// host's bytes are all staged (the DMA runs on in the stream's order).
inline bool staged_to_device(char* dst, const char* src, std::size_t bytes, int index) {
  Staging& st = staging(index);
  if (!st.data) return false;
  std::lock_guard<std::mutex> lock(st.mutex);
  for (std::size_t off = 0, k = 0; off < bytes; off += Staging::kChunk, ++k) {
    const std::size_t n = staged_chunk(bytes, k);
    char* half = st.data + (k % 2) * Staging::kChunk;
    TINYLM_CUDA_CHECK(cudaEventSynchronize(st.done[k % 2]));  // the half's previous DMA has read it
    std::memcpy(half, src + off, n);
    TINYLM_CUDA_CHECK(cudaMemcpyAsync(dst + off, half, n, cudaMemcpyHostToDevice, stream(index)));
    TINYLM_CUDA_CHECK(cudaEventRecord(st.done[k % 2], stream(index)));
  }
  return true;
}

/// Device `index` to the host through the staging halves: chunk k's DMA
/// runs while the host copies chunk k - 1 out. Returns when all is on the host.
inline bool staged_to_host(char* dst, const char* src, std::size_t bytes, int index) {
  Staging& st = staging(index);
  if (!st.data) return false;
  std::lock_guard<std::mutex> lock(st.mutex);
  auto drain = [&](std::size_t k) {  // chunk k is (being) copied into half k % 2: wait, then copy it out
    TINYLM_CUDA_CHECK(cudaEventSynchronize(st.done[k % 2]));
    std::memcpy(dst + k * Staging::kChunk, st.data + (k % 2) * Staging::kChunk, staged_chunk(bytes, k));
  };
  const std::size_t chunks = (bytes + Staging::kChunk - 1) / Staging::kChunk;
  for (std::size_t k = 0; k < chunks; ++k) {
    TINYLM_CUDA_CHECK(cudaMemcpyAsync(st.data + (k % 2) * Staging::kChunk, src + k * Staging::kChunk,
                                      staged_chunk(bytes, k), cudaMemcpyDeviceToHost, stream(index)));
    TINYLM_CUDA_CHECK(cudaEventRecord(st.done[k % 2], stream(index)));
    if (k > 0) drain(k - 1);  // half (k - 1) % 2, while chunk k moves into the other
  }
  drain(chunks - 1);
  return true;
}

}  // namespace detail

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
  if (kind != cudaMemcpyDeviceToDevice && bytes >= detail::Staging::kMinStaged) {
    const bool staged =
        kind == cudaMemcpyHostToDevice
            ? detail::staged_to_device(static_cast<char*>(dst), static_cast<const char*>(src), bytes, index)
            : detail::staged_to_host(static_cast<char*>(dst), static_cast<const char*>(src), bytes, index);
    if (staged) return;
  }
  TINYLM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, stream(index)));
  // The host side of a transfer must stay valid until the copy is done: wait
  // for every copy that touches the host.
  if (kind != cudaMemcpyDeviceToDevice) synchronize(index);
}
#endif

}  // namespace tinylm::cuda
