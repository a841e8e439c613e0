#pragma once
// The device-neutral kernel layer: ops call kernels::<kernel>(device, ...),
// which forwards to the implementation for that device. This header holds
// the one mechanism every entry point uses; the entry points themselves sit
// in kernels/<area>.hpp, one function per kernel, beside nothing else:
//
//   template <class T>
//   void softmax_forward(Device device, T* out, const T* in, ...) {
//     dispatch(device, "softmax_forward", [&] { cpu::softmax_forward(out, in, ...); });
//   }
//
// A backend adds its implementation as a further callable at that call, and
// only there: no op and no central table changes. Today every tensor lives
// on the CPU (a CPU-only build refuses CUDA storage), so any other device
// reaching a kernel is an error that names the kernel and the device.

#include "tinylm/core/device.hpp"
#include "tinylm/core/error.hpp"

namespace tinylm::kernels {

/// Throws the error of a kernel asked to run on a device it has no code for.
[[noreturn]] inline void no_kernel(const Device& device, const char* kernel) {
  throw Error(tinylm::detail::str_cat("kernel ", kernel, ": no implementation for device ", device,
                                      " in this build of tinylm"));
}

/// Runs `cpu()` when `device` is the CPU; otherwise throws no_kernel.
template <class Cpu>
decltype(auto) dispatch(const Device& device, const char* kernel, Cpu&& cpu) {
  if (device.is_cpu()) return cpu();
  no_kernel(device, kernel);
}

}  // namespace tinylm::kernels
