// GEMM on a CUDA device (cuBLAS) against the CPU kernel on the same data:
// every transpose combination, alpha and beta, a bias, odd and empty
// shapes, and batches with even and uneven offsets. Tolerance: 1e-5
// relative to the largest |C| in float (different summation orders), 1e-13
// in double. With the matmul precision at tf32 or bf16 the float products
// round their inputs (10- and 7-bit mantissas): 2e-3 and 2e-2 of the
// largest |C| at these sizes (K <= 128, inputs in [-1, 1]).

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "cuda_test.hpp"

using tinylm::Device;
using tinylm::Tensor;
namespace k = tinylm::kernels;

using tinylm_cuda_test::random;

namespace {

template <class T>
double max_rel_diff(const std::vector<T>& a, const std::vector<T>& b) {
  double worst = 0, scale = 1e-30;
  for (std::size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::fabs(double(a[i]) - double(b[i])));
    scale = std::max(scale, std::fabs(double(b[i])));
  }
  return worst / scale;
}

/// Runs one GEMM (batch products when batch > 0) on both devices, checks
/// they agree within tol and returns the difference.
template <class T>
double compare(int64_t M, int64_t N, int64_t K, bool ta, bool tb, T alpha, T beta, bool bias, int64_t batch, bool even,
               double tol) {
  CAPTURE(M);
  CAPTURE(N);
  CAPTURE(K);
  CAPTURE(ta);
  CAPTURE(tb);
  CAPTURE(batch);
  const int64_t products = batch > 0 ? batch : 1;
  const int64_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 1, ldc = N + 2;
  const int64_t a_size = (ta ? K : M) * lda, b_size = (tb ? N : K) * ldb, c_size = M * ldc;
  std::vector<int64_t> ao(products), bo(products);
  for (int64_t i = 0; i < products; ++i) {
    ao[i] = even ? i * a_size : (products - 1 - i) * a_size;  // uneven: reversed order
    bo[i] = even ? i * b_size : ((i * 7) % products) * b_size;
  }
  const auto a = random<T>({products * a_size}, 1, -1, 1), b = random<T>({products * b_size}, 2, -1, 1);
  const auto c0 = random<T>({products * c_size}, 3, -1, 1), bv = random<T>({N}, 4, -1, 1);
  const auto c_cpu = c0.clone();
  const auto ad = a.to(Device::cuda()), bd = b.to(Device::cuda()), cd = c0.to(Device::cuda());
  const auto bias_d = bv.to(Device::cuda());
  auto args = [&](const Tensor<T>& A, const Tensor<T>& B, const Tensor<T>& C, const Tensor<T>& bias_t) {
    k::GemmArgs<T> g;
    g.M = M, g.N = N, g.K = K;
    g.a = {A.data(), lda, ta};
    g.b = {B.data(), ldb, tb};
    g.c = C.data();
    g.ldc = ldc;
    g.alpha = alpha, g.beta = beta;
    g.bias = bias ? bias_t.data() : nullptr;
    return g;
  };
  if (batch == 0) {
    k::gemm(Device::cpu(), args(a, b, c_cpu, bv));
    k::gemm(Device::cuda(), args(ad, bd, cd, bias_d));
  } else {
    k::GemmBatchArgs<T> cpu{args(a, b, c_cpu, bv), batch, ao.data(), bo.data(), c_size};
    k::GemmBatchArgs<T> gpu{args(ad, bd, cd, bias_d), batch, ao.data(), bo.data(), c_size};
    k::gemm_batched(Device::cpu(), cpu);
    k::gemm_batched(Device::cuda(), gpu);
  }
  const double diff = max_rel_diff(cd.to_vector(), c_cpu.to_vector());
  CHECK(diff <= tol);
  return diff;
}

}  // namespace

TINYLM_CUDA_TEST("cuda: gemm equals the CPU kernel for every transpose, alpha, beta and bias") {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      compare<float>(37, 45, 29, ta, tb, 1.f, 0.f, false, 0, true, 1e-5);
      compare<float>(64, 96, 128, ta, tb, 0.5f, 1.f, true, 0, true, 1e-5);
      compare<double>(13, 1, 70, ta, tb, -2.0, 0.25, true, 0, true, 1e-13);
      compare<double>(1, 17, 3, ta, tb, 1.0, 0.0, true, 0, true, 1e-13);
    }
  compare<float>(8, 8, 0, false, false, 1.f, 0.5f, true, 0, true, 1e-6);  // K = 0: C = beta C + bias
  compare<float>(0, 8, 4, false, false, 1.f, 0.f, false, 0, true, 0);     // nothing to do
}

TINYLM_CUDA_TEST("cuda: gemm_batched equals the CPU kernel, offsets even or not") {
  for (bool even : {true, false}) {
    compare<float>(33, 17, 40, false, true, 1.f, 0.f, false, 6, even, 1e-5);
    compare<float>(16, 64, 16, true, false, 0.125f, 1.f, true, 5, even, 1e-5);
    compare<double>(7, 9, 11, true, true, 1.0, 0.0, true, 4, even, 1e-13);
  }
}

TINYLM_CUDA_TEST("cuda: tf32 and bf16 matmul precision round the products, and double ignores it") {
  const std::pair<tinylm::MatmulPrecision, double> cases[] = {{tinylm::MatmulPrecision::tf32, 2e-3},
                                                              {tinylm::MatmulPrecision::bf16, 2e-2}};
  for (const auto& c : cases) {
    const tinylm::MatmulPrecision precision = c.first;
    const double tol = c.second;
    const std::string name = tinylm::matmul_precision_name(precision);
    CAPTURE(name);
    tinylm::MatmulPrecisionGuard guard(precision);
    // On tensor cores the rounding shows: not the fp32 result's bits.
    CHECK(compare<float>(64, 96, 128, false, false, 1.f, 0.f, false, 0, true, tol) > 1e-6);
    compare<float>(37, 45, 29, true, false, 0.5f, 1.f, true, 0, true, tol);
    compare<float>(16, 64, 16, true, false, 0.125f, 1.f, true, 5, true, tol);
    compare<float>(33, 17, 40, false, true, 1.f, 0.f, false, 6, false, tol);
    compare<double>(13, 1, 70, false, true, -2.0, 0.25, true, 0, true, 1e-13);
  }
  CHECK(tinylm::matmul_precision() == tinylm::MatmulPrecision::fp32);  // the guards restored it
}
