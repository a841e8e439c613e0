#pragma once
// GEMM on a CUDA device through cuBLAS: the declarations g++ sees (gemm.cu
// has the code). The arguments are kernels/types.hpp's GemmArgs with device
// pointers; offsets and shapes are host values. fp32 stays fp32: cuBLAS's
// default math mode, no TF32.

#include "tinylm/kernels/types.hpp"

namespace tinylm::kernels::cuda {

template <class T>
void gemm(int device, const GemmArgs<T>& args);

template <class T>
void gemm_batched(int device, const GemmBatchArgs<T>& args);

}  // namespace tinylm::kernels::cuda
