#pragma once
// GEMM, device-neutral (kernels/dispatch.hpp): see GemmArgs in kernels/types.hpp.
// A CUDA float GEMM runs in the precision set_matmul_precision allows
// (core/precision.hpp); the CPU kernels compute in float32.

#include "tinylm/core/precision.hpp"
#include "tinylm/kernels/cpu/gemm.hpp"
#include "tinylm/kernels/dispatch.hpp"
#include "tinylm/kernels/types.hpp"
#ifdef TINYLM_CUDA
#include "tinylm/kernels/cuda/gemm.hpp"
#endif

namespace tinylm::kernels {

template <class T>
void gemm(Device device, const GemmArgs<T>& args) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::gemm(device.index(), args, matmul_precision());
#endif
  require_cpu(device, "gemm");
  cpu::gemm(args);
}

template <class T>
void gemm_batched(Device device, const GemmBatchArgs<T>& args) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::gemm_batched(device.index(), args, matmul_precision());
#endif
  require_cpu(device, "gemm_batched");
  cpu::gemm_batched(args);
}

}  // namespace tinylm::kernels
