#pragma once
// The device-neutral kernel layer: ops call kernels::<kernel>(device, ...),
// which forwards to the implementation for that device. The entry points
// sit in kernels/<area>.hpp, one function per kernel, each the one place
// where that kernel's device is looked at. This is kernels/softmax.hpp's,
// and how a program of its own can add one:
//
// ```cpp
// #include <tinylm/kernels/cpu/softmax.hpp>
// #include <tinylm/kernels/dispatch.hpp>
//
// namespace mine {
// template <class T>
// void softmax_forward(tinylm::Device device, T* out, const T* in, int64_t outer, int64_t n, int64_t inner, bool log) {
//   tinylm::kernels::require_cpu(device, "softmax_forward");
//   tinylm::kernels::cpu::softmax_forward(out, in, outer, n, inner, log);
// }
// }  // namespace mine
//
// int main() {
//   const float x[2] = {0.f, 0.f};
//   float y[2];
//   mine::softmax_forward(tinylm::Device::cpu(), y, x, 1, 2, 1, false);
//   return y[0] == 0.5f && y[1] == 0.5f ? 0 : 1;
// }
// ```
//
// A backend adds one line there, `if (device.is_cuda()) return
// cuda::softmax_forward(device.index(), out, in, ...);` (inside #ifdef
// TINYLM_CUDA), above require_cpu, and nothing else changes: no op, no
// central table. A kernel that has no CUDA version yet reaches require_cpu
// with a CUDA device and throws an error naming the kernel and the device;
// a CPU-only build refuses CUDA storage before any kernel is reached.

#include "tinylm/core/device.hpp"
#include "tinylm/core/error.hpp"

namespace tinylm::kernels {

/// Throws the error of a kernel asked to run on a device it has no code for.
[[noreturn]] inline void no_kernel(const Device& device, const char* kernel) {
  throw Error(tinylm::detail::str_cat("kernel ", kernel, ": no implementation for device ", device,
                                      " in this build of tinylm"));
}

/// Returns when `device` is the CPU; otherwise throws no_kernel. (A plain
/// check rather than a callable per kernel: one copy in a program, not one
/// per kernel call, which matters for compile time.)
inline void require_cpu(const Device& device, const char* kernel) {
  if (!device.is_cpu()) no_kernel(device, kernel);
}

}  // namespace tinylm::kernels
