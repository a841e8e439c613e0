#pragma once
// TINYLM_HD marks a function that both backends compile: `__host__
// __device__` (forced inline) when nvcc compiles it, a plain forced-inline
// function otherwise. kernels/formulas.hpp and kernels/philox.hpp use it for
// the per-element arithmetic that the CPU loops and the CUDA kernels share.

#if defined(__CUDACC__)
#define TINYLM_HD __host__ __device__ __forceinline__
#elif defined(__GNUC__)
#define TINYLM_HD inline __attribute__((always_inline))
#else
#define TINYLM_HD inline
#endif
