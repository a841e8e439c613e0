#pragma once
// Where a tensor's data lives: the CPU, or a CUDA device in a build with
// the CUDA backend (CMake -DTINYLM_CUDA=ON defines TINYLM_CUDA). In a
// CPU-only build a CUDA device can be named and parsed, but asking for
// storage on it throws check_device_supported's error.

#include <ostream>
#include <string>

#include "tinylm/core/error.hpp"

namespace tinylm {

class Device {
 public:
  enum class Kind { CPU, CUDA };
  /// CUDA device indices parse() accepts: [0, kMaxCudaDevices).
  static constexpr int kMaxCudaDevices = 1024;

  constexpr Device() = default;
  static constexpr Device cpu() { return Device(Kind::CPU, 0); }
  static constexpr Device cuda(int index = 0) { return Device(Kind::CUDA, index); }

  constexpr Kind kind() const { return kind_; }
  constexpr int index() const { return index_; }
  constexpr bool is_cpu() const { return kind_ == Kind::CPU; }
  constexpr bool is_cuda() const { return kind_ == Kind::CUDA; }

  std::string str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index_); }
  friend std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }
  friend constexpr bool operator==(const Device& a, const Device& b) {
    return a.kind_ == b.kind_ && a.index_ == b.index_;
  }

  /// Parses "cpu", "cuda" or "cuda:N"; throws tinylm::Error on anything else.
  static Device parse(const std::string& s) {
    if (s == "cpu") return cpu();
    if (s == "cuda") return cuda(0);
    if (s.rfind("cuda:", 0) == 0 && s.size() > 5 && s.find_first_not_of("0123456789", 5) == std::string::npos) {
      const int index = s.size() - 5 <= 4 ? std::stoi(s.substr(5)) : kMaxCudaDevices;  // 4 digits cannot overflow
      TINYLM_CHECK(index < kMaxCudaDevices, "Device: '", s, "': a CUDA device index is below ", kMaxCudaDevices);
      return cuda(index);
    }
    throw Error("Device: unknown device '" + s + "' (expected cpu, cuda or cuda:N)");
  }

 private:
  constexpr Device(Kind kind, int index) : kind_(kind), index_(index) {}
  Kind kind_ = Kind::CPU;
  int index_ = 0;
};

/// True when tinylm was compiled with its CUDA backend.
constexpr bool cuda_compiled() {
#ifdef TINYLM_CUDA
  return true;
#else
  return false;
#endif
}

/// Throws the error every CUDA request gets in a CPU-only build.
inline void check_device_supported(const Device& d, const char* op) {
  TINYLM_CHECK(d.is_cpu() || cuda_compiled(), op, ": device ", d,
               " requested, but this build of tinylm has no CUDA backend");
}

}  // namespace tinylm
