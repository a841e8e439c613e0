// GEMM on a CUDA device through cuBLAS (declared in gemm.hpp).
//
// tinylm's matrices are row-major; cuBLAS's are column-major. A row-major
// X with leading dimension ld is, in the same memory, the column-major X^T,
// so C = op(A) op(B) is computed as C^T = op(B)^T op(A)^T: cuBLAS gets B
// first, A second, and each operand's transpose flag as it is (a stored
// operand read as itself is, column-major, already the transpose needed).

#include <cublas_v2.h>

#include "tinylm/kernels/cuda/gemm.hpp"
#include "tinylm/kernels/cuda/launch.cuh"

namespace tinylm::kernels::cuda {

namespace {

[[noreturn]] void cublas_fail(cublasStatus_t s, const char* call, const char* file, int line) {
  throw Error(tinylm::detail::str_cat("cuBLAS: ", call, " failed: ", cublasGetStatusName(s), " (",
                                      cublasGetStatusString(s), ") at ", file, ":", line));
}

#define TINYLM_CUBLAS_CHECK(call)                                                                                      \
  do {                                                                                                                 \
    const cublasStatus_t tinylm_cublas_status_ = (call);                                                               \
    if (tinylm_cublas_status_ != CUBLAS_STATUS_SUCCESS) cublas_fail(tinylm_cublas_status_, #call, __FILE__, __LINE__); \
  } while (0)

struct HandleEntry {
  cublasHandle_t handle = nullptr;
};

/// The cuBLAS handle of a device, bound to the device's stream.
cublasHandle_t handle(int device) {
  return tinylm::cuda::detail::per_device<HandleEntry>(
             device, "cuda::gemm",
             [](int index) {
               auto* e = new HandleEntry();
               TINYLM_CUBLAS_CHECK(cublasCreate(&e->handle));
               TINYLM_CUBLAS_CHECK(cublasSetStream(e->handle, stream(index)));
               // No TF32 but by the compute type a call asks for.
               TINYLM_CUBLAS_CHECK(cublasSetMathMode(e->handle, CUBLAS_DEFAULT_MATH));
               return e;
             })
      .handle;
}

cublasOperation_t op(bool transposed) { return transposed ? CUBLAS_OP_T : CUBLAS_OP_N; }

int checked_int(int64_t v, const char* what) {
  TINYLM_CHECK(v >= 0 && v <= 0x7fffffff, "cuda::gemm: ", what, " = ", v, " is past cuBLAS's 32-bit sizes");
  return static_cast<int>(v);
}

/// The cuBLAS compute type of a float GEMM in `p`: fp32 products, or
/// tensor-core products of inputs rounded to TF32 or bf16, each summed in fp32.
cublasComputeType_t compute_type(MatmulPrecision p) {
  switch (p) {
    case MatmulPrecision::fp32: return CUBLAS_COMPUTE_32F;
    case MatmulPrecision::tf32: return CUBLAS_COMPUTE_32F_FAST_TF32;
    case MatmulPrecision::bf16: return CUBLAS_COMPUTE_32F_FAST_16BF;
  }
  return CUBLAS_COMPUTE_32F;
}

cublasStatus_t gemm_call(cublasHandle_t h, MatmulPrecision p, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                         int k, const float* alpha, const float* a, int lda, const float* b, int ldb, const float* beta,
                         float* c, int ldc) {
  if (p == MatmulPrecision::fp32) return cublasSgemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  return cublasGemmEx(h, ta, tb, m, n, k, alpha, a, CUDA_R_32F, lda, b, CUDA_R_32F, ldb, beta, c, CUDA_R_32F, ldc,
                      compute_type(p), CUBLAS_GEMM_DEFAULT);
}
cublasStatus_t gemm_call(cublasHandle_t h, MatmulPrecision, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                         int k, const double* alpha, const double* a, int lda, const double* b, int ldb,
                         const double* beta, double* c, int ldc) {
  return cublasDgemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
cublasStatus_t strided_call(cublasHandle_t h, MatmulPrecision p, cublasOperation_t ta, cublasOperation_t tb, int m,
                            int n, int k, const float* alpha, const float* a, int lda, long long sa, const float* b,
                            int ldb, long long sb, const float* beta, float* c, int ldc, long long sc, int batch) {
  if (p == MatmulPrecision::fp32)
    return cublasSgemmStridedBatched(h, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
  return cublasGemmStridedBatchedEx(h, ta, tb, m, n, k, alpha, a, CUDA_R_32F, lda, sa, b, CUDA_R_32F, ldb, sb, beta, c,
                                    CUDA_R_32F, ldc, sc, batch, compute_type(p), CUBLAS_GEMM_DEFAULT);
}
cublasStatus_t strided_call(cublasHandle_t h, MatmulPrecision, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                            int k, const double* alpha, const double* a, int lda, long long sa, const double* b,
                            int ldb, long long sb, const double* beta, double* c, int ldc, long long sc, int batch) {
  return cublasDgemmStridedBatched(h, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
}

/// c[r * ldc + j] += bias[j] for every row r < M of `rows` products c_stride apart.
template <class T>
__global__ void add_bias_kernel(T* c, const T* bias, int64_t M, int64_t N, int64_t ldc, int64_t products,
                                int64_t c_stride) {
  const int64_t n = products * M * N;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t p = i / (M * N), r = (i / N) % M, j = i % N;
    c[p * c_stride + r * ldc + j] += bias[j];
  }
}

template <class T>
void add_bias(int device, const GemmArgs<T>& g, int64_t products, int64_t c_stride) {
  if (!g.bias || g.M == 0 || g.N == 0 || products == 0) return;
  add_bias_kernel<<<detail::blocks_for(products * g.M * g.N), detail::kThreads, 0, stream(device)>>>(
      g.c, g.bias, g.M, g.N, g.ldc, products, c_stride);
  TINYLM_CUDA_CHECK_LAUNCH();
}

/// C = beta C (alpha A B with K = 0 adds nothing): cuBLAS rejects k = 0 for some shapes.
template <class T>
__global__ void scale_kernel(T* c, T beta, int64_t M, int64_t N, int64_t ldc) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < M * N; i += int64_t(gridDim.x) * blockDim.x) {
    T& x = c[(i / N) * ldc + i % N];
    x = beta == T(0) ? T(0) : beta * x;
  }
}

template <class T>
void one_gemm(int device, const GemmArgs<T>& g, MatmulPrecision precision) {
  if (g.M == 0 || g.N == 0) return;
  if (g.K == 0) {
    scale_kernel<<<detail::blocks_for(g.M * g.N), detail::kThreads, 0, stream(device)>>>(g.c, g.beta, g.M, g.N, g.ldc);
    TINYLM_CUDA_CHECK_LAUNCH();
    return;
  }
  TINYLM_CUBLAS_CHECK(gemm_call(handle(device), precision, op(g.b.transposed), op(g.a.transposed),
                                checked_int(g.N, "N"), checked_int(g.M, "M"), checked_int(g.K, "K"), &g.alpha, g.b.data,
                                checked_int(g.b.ld, "ldb"), g.a.data, checked_int(g.a.ld, "lda"), &g.beta, g.c,
                                checked_int(g.ldc, "ldc")));
}

}  // namespace

template <class T>
void gemm(int device, const GemmArgs<T>& args, MatmulPrecision precision) {
  DeviceGuard guard(device);
  one_gemm(device, args, precision);
  add_bias(device, args, 1, 0);
}

template <class T>
void gemm_batched(int device, const GemmBatchArgs<T>& args, MatmulPrecision precision) {
  DeviceGuard guard(device);
  const GemmArgs<T>& g = args.gemm;
  if (args.batch == 0 || g.M == 0 || g.N == 0) return;
  // Offsets that step evenly forward (every batched matmul tinylm makes) go
  // to one strided-batched call; others are one call per product.
  const int64_t sa = args.batch > 1 ? args.a_offsets[1] - args.a_offsets[0] : 0;
  const int64_t sb = args.batch > 1 ? args.b_offsets[1] - args.b_offsets[0] : 0;
  bool even = g.K > 0 && sa >= 0 && sb >= 0;
  for (int64_t i = 0; even && i < args.batch; ++i)
    even = args.a_offsets[i] == args.a_offsets[0] + i * sa && args.b_offsets[i] == args.b_offsets[0] + i * sb;
  if (even) {
    TINYLM_CUBLAS_CHECK(strided_call(handle(device), precision, op(g.b.transposed), op(g.a.transposed),
                                     checked_int(g.N, "N"), checked_int(g.M, "M"), checked_int(g.K, "K"), &g.alpha,
                                     g.b.data + args.b_offsets[0], checked_int(g.b.ld, "ldb"), sb,
                                     g.a.data + args.a_offsets[0], checked_int(g.a.ld, "lda"), sa, &g.beta, g.c,
                                     checked_int(g.ldc, "ldc"), args.c_stride, checked_int(args.batch, "batch")));
  } else {
    for (int64_t i = 0; i < args.batch; ++i) {
      GemmArgs<T> one = g;
      one.a.data = g.a.data + args.a_offsets[i];
      one.b.data = g.b.data + args.b_offsets[i];
      one.c = g.c + i * args.c_stride;
      one_gemm(device, one, precision);
    }
  }
  add_bias(device, g, args.batch, args.c_stride);
}

template void gemm<float>(int, const GemmArgs<float>&, MatmulPrecision);
template void gemm<double>(int, const GemmArgs<double>&, MatmulPrecision);
template void gemm_batched<float>(int, const GemmBatchArgs<float>&, MatmulPrecision);
template void gemm_batched<double>(int, const GemmBatchArgs<double>&, MatmulPrecision);

}  // namespace tinylm::kernels::cuda
