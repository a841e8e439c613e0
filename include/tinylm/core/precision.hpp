#pragma once
// What a float32 matrix product may compute its products in. Accumulation
// is float32 whatever the setting; double products are always double.
//
//   fp32  products in float32 (the default)
//   tf32  products of inputs rounded to TensorFloat-32 (10-bit mantissa),
//         on tensor cores: the CUDA backend's cuBLAS GEMMs
//   bf16  products of inputs rounded to bfloat16 (7-bit mantissa), fp32
//         accumulation: the CUDA backend's cuBLAS GEMMs, and the CPU's
//         GEMMs on a CPU with AMX (kernels/cpu/gemm_amx.hpp) or AVX-512
//         BF16 (kernels/cpu/gemm_bf16.hpp)
//
// A setting is a permission, as PyTorch's set_float32_matmul_precision is:
// a backend without the faster format computes in float32 (a CPU has no
// TF32; a CPU without AVX-512 BF16 or AMX, or with them masked off, no bf16), and
// so does a product of a few rows (decoding), where rounding the operands
// would cost more than it saves. A program that must not run slower than
// it asked checks matmul_precision_supported() first.

#include <atomic>
#include <string>
#include <string_view>

#include "tinylm/core/device.hpp"
#include "tinylm/core/error.hpp"
#include "tinylm/kernels/cpu/features.hpp"

namespace tinylm {

enum class MatmulPrecision { fp32, tf32, bf16 };

inline const char* matmul_precision_name(MatmulPrecision p) {
  switch (p) {
    case MatmulPrecision::fp32: return "fp32";
    case MatmulPrecision::tf32: return "tf32";
    case MatmulPrecision::bf16: return "bf16";
  }
  return "?";
}

/// Parses "fp32", "tf32" or "bf16"; throws tinylm::Error naming anything else.
inline MatmulPrecision parse_matmul_precision(std::string_view s) {
  for (MatmulPrecision p : {MatmulPrecision::fp32, MatmulPrecision::tf32, MatmulPrecision::bf16})
    if (s == matmul_precision_name(p)) return p;
  throw Error("matmul precision: unknown precision '" + std::string(s) + "' (expected fp32, tf32 or bf16)");
}

namespace detail {
inline std::atomic<MatmulPrecision>& matmul_precision_setting() {
  static std::atomic<MatmulPrecision> setting{MatmulPrecision::fp32};
  return setting;
}
}  // namespace detail

/// Sets the precision every float32 matrix product from now on may use (all threads).
inline void set_matmul_precision(MatmulPrecision p) { detail::matmul_precision_setting().store(p); }

/// The precision float32 matrix products may use.
inline MatmulPrecision matmul_precision() { return detail::matmul_precision_setting().load(); }

/// True when products on `device` run in `p` (not float32 in its place).
inline bool matmul_precision_supported(Device device, MatmulPrecision p) {
  if (p == MatmulPrecision::fp32) return true;
  if (device.is_cuda()) return cuda_compiled();
  const CpuFeatures cpu = cpu_features();
  return p == MatmulPrecision::bf16 && (cpu.has(CpuFeature::avx512_bf16) || cpu.has(CpuFeature::amx_bf16));
}

/// Sets the matmul precision for a scope and restores the previous one after it.
class MatmulPrecisionGuard {
 public:
  explicit MatmulPrecisionGuard(MatmulPrecision p) : previous_(matmul_precision()) { set_matmul_precision(p); }
  ~MatmulPrecisionGuard() { set_matmul_precision(previous_); }
  MatmulPrecisionGuard(const MatmulPrecisionGuard&) = delete;
  MatmulPrecisionGuard& operator=(const MatmulPrecisionGuard&) = delete;

 private:
  MatmulPrecision previous_;
};

}  // namespace tinylm
