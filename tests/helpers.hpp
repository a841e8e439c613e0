#pragma once
// Shared test helpers: seeded inputs, gradcheck with a readable failure,
// and closeness checks against naive reference loops.

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <tinylm/tinylm.hpp>

namespace th {

using tinylm::Shape;
using tinylm::Tensor;
using TensorList = std::vector<Tensor<double>>;

/// A bf16 GEMM kernel this CPU has, the CPU feature mask that selects it,
/// and the kernel gemm then takes: AMX, and AVX-512 BF16 with AMX masked off.
struct Bf16Kernel {
  const char* name;
  uint32_t mask;
  tinylm::kernels::cpu::detail::GemmKernel kernel;
};

/// The bf16 kernels the tests can run here; says so when one or both are missing.
inline std::vector<Bf16Kernel> bf16_kernels() {
  using tinylm::CpuFeature, tinylm::kernels::cpu::detail::GemmKernel;
  std::vector<Bf16Kernel> found;
  const tinylm::CpuFeatures cpu = tinylm::cpu_features();
  if (cpu.has(CpuFeature::amx_bf16)) found.push_back({"AMX", ~0u, GemmKernel::amx});
  if (cpu.has(CpuFeature::avx512_bf16))
    found.push_back({"AVX-512 BF16", ~static_cast<uint32_t>(CpuFeature::amx_bf16), GemmKernel::bf16});
  if (found.empty())
    MESSAGE("this CPU has neither AMX nor AVX-512 BF16 (", cpu.str(), "): bf16 products are not checked");
  else if (found.size() == 1) MESSAGE("only the ", found[0].name, " bf16 kernel is checked here (", cpu.str(), ")");
  return found;
}

/// A leaf of uniform values in [lo, hi) that requires grad.
inline Tensor<double> leaf(const Shape& shape, uint64_t seed, double lo = -1.0, double hi = 1.0) {
  tinylm::Generator gen(seed);
  auto t = Tensor<double>::empty(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = lo + (hi - lo) * gen.uniform();
  t.requires_grad_();
  return t;
}

/// gradcheck, failing the test with the worst element's description.
inline void check_grad(const std::function<Tensor<double>(const TensorList&)>& f, const TensorList& inputs,
                       tinylm::GradcheckOptions opt = {}) {
  const auto r = tinylm::gradcheck(f, inputs, opt);
  INFO(r.worst);
  CHECK(r.ok);
}

/// Max |a - b| over two equally long sequences.
template <class A, class B>
double max_abs_diff(const std::vector<A>& a, const std::vector<B>& b) {
  REQUIRE(a.size() == b.size());
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(double(a[i]) - double(b[i])));
  return m;
}

template <class A, class B>
void check_close(const std::vector<A>& a, const std::vector<B>& b, double tol = 1e-12) {
  const double d = max_abs_diff(a, b);
  INFO("max |a - b| = " << d);
  CHECK(d <= tol);
}

/// Element (row-major flat index) of a tensor of any layout.
template <class T>
T elem(const Tensor<T>& t, int64_t flat) {
  return t.to_vector()[static_cast<std::size_t>(flat)];
}

}  // namespace th
