#pragma once
// GEMM, device-neutral (kernels/dispatch.hpp): see GemmArgs in kernels/types.hpp.
// A float GEMM runs in the precision set_matmul_precision allows
// (core/precision.hpp) where the device has it: on CUDA, cuBLAS's TF32 or
// bf16 compute types; on a CPU with AMX or AVX-512 BF16, bf16 products
// (kernels/cpu/gemm_amx.hpp, gemm_bf16.hpp); otherwise float32.

#include <type_traits>

#include "tinylm/core/precision.hpp"
#include "tinylm/kernels/cpu/gemm.hpp"
#include "tinylm/kernels/dispatch.hpp"
#include "tinylm/kernels/types.hpp"
#ifdef TINYLM_CUDA
#include "tinylm/kernels/cuda/gemm.hpp"
#endif

namespace tinylm::kernels {

/// Whether a CPU GEMM of T runs its products in bf16 now.
template <class T>
bool cpu_bf16_products() {
  if constexpr (std::is_same_v<T, float>)
    return matmul_precision() == MatmulPrecision::bf16 &&
           matmul_precision_supported(Device::cpu(), MatmulPrecision::bf16);
  else return false;
}

template <class T>
void gemm(Device device, const GemmArgs<T>& args) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::gemm(device.index(), args, matmul_precision());
#endif
  require_cpu(device, "gemm");
  cpu::gemm(args, cpu_bf16_products<T>());
}

/// gemm with B's elements bf16 at `b` (cpu::gemm_bf16_weights); CPU only.
inline void gemm_bf16_weights(Device device, const GemmArgs<float>& args, const bf16* b) {
  require_cpu(device, "gemm with bf16 weights");
  cpu::gemm_bf16_weights(args, b);
}

template <class T>
void gemm_batched(Device device, const GemmBatchArgs<T>& args) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::gemm_batched(device.index(), args, matmul_precision());
#endif
  require_cpu(device, "gemm_batched");
  cpu::gemm_batched(args, cpu_bf16_products<T>());
}

}  // namespace tinylm::kernels
