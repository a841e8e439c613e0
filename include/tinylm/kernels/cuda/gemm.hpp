#pragma once
// GEMM on a CUDA device through cuBLAS: the declarations g++ sees (gemm.cu
// has the code). The arguments are kernels/types.hpp's GemmArgs with device
// pointers; offsets and shapes are host values. A float GEMM's products
// run in `precision` (core/precision.hpp): fp32 is cuBLAS's default math
// (no TF32); tf32 and bf16 are cuBLAS's fast compute types with fp32
// accumulation. Double GEMMs ignore it.

#include "tinylm/core/precision.hpp"
#include "tinylm/kernels/types.hpp"

namespace tinylm::kernels::cuda {

template <class T>
void gemm(int device, const GemmArgs<T>& args, MatmulPrecision precision);

template <class T>
void gemm_batched(int device, const GemmBatchArgs<T>& args, MatmulPrecision precision);

}  // namespace tinylm::kernels::cuda
