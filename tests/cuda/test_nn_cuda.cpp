// The layer kernels on a CUDA device against the CPU kernels on the same
// data (both run kernels/formulas.hpp's arithmetic; nvcc may fuse a
// multiply-add the CPU rounds twice, so float agrees to a few ulp, stated
// per kernel; dropout's mask is integer logic and agrees exactly).

#include <array>
#include <cmath>
#include <vector>

#include "cuda_test.hpp"

using tinylm::Device;
using tinylm::Tensor;
namespace k = tinylm::kernels;

using namespace tinylm_cuda_test;

namespace {

template <class T>
void gelu_case(int64_t n) {
  const auto x = random<T>({n}, 1, -6, 6), dy = random<T>({n}, 2);
  const auto xd = x.to(gpu), dyd = dy.to(gpu);
  for (bool erf_form : {false, true}) {
    CAPTURE(erf_form);
    auto y = Tensor<T>::empty({n}), yd = Tensor<T>::empty({n}, gpu);
    auto dx = Tensor<T>::empty({n}), dxd = Tensor<T>::empty({n}, gpu);
    if (erf_form) {
      k::gelu_erf_forward(cpu, y.data(), x.data(), n);
      k::gelu_erf_forward(gpu, yd.data(), xd.data(), n);
      k::gelu_erf_backward(cpu, dx.data(), dy.data(), x.data(), n);
      k::gelu_erf_backward(gpu, dxd.data(), dyd.data(), xd.data(), n);
    } else {
      k::gelu_tanh_forward(cpu, y.data(), x.data(), n);
      k::gelu_tanh_forward(gpu, yd.data(), xd.data(), n);
      k::gelu_tanh_backward(cpu, dx.data(), dy.data(), x.data(), n);
      k::gelu_tanh_backward(gpu, dxd.data(), dyd.data(), xd.data(), n);
    }
    CHECK(rel_diff(yd, y) <= tol<T>(1e-6, 1e-14));
    CHECK(rel_diff(dxd, dx) <= tol<T>(1e-6, 1e-14));
  }
}

template <class T>
void softmax_case(int64_t outer, int64_t n, int64_t inner) {
  CAPTURE(outer);
  CAPTURE(n);
  CAPTURE(inner);
  auto x = random<T>({outer, n, inner}, 3, -8, 8);
  if (outer > 1) x.select(0, 1).fill_(-INFINITY);  // a fully masked slice: the shift rule
  const auto dy = random<T>({outer, n, inner}, 4);
  const auto xd = x.to(gpu), dyd = dy.to(gpu);
  for (bool log : {false, true}) {
    CAPTURE(log);
    auto y = Tensor<T>::empty(x.shape()), yd = Tensor<T>::empty(x.shape(), gpu);
    k::softmax_forward(cpu, y.data(), x.data(), outer, n, inner, log);
    k::softmax_forward(gpu, yd.data(), xd.data(), outer, n, inner, log);
    CHECK(rel_diff(yd, y) <= tol<T>(1e-6, 1e-14));
    auto dx = Tensor<T>::empty(x.shape()), dxd = Tensor<T>::empty(x.shape(), gpu);
    k::softmax_backward(cpu, dx.data(), dy.data(), y.data(), outer, n, inner, log);
    k::softmax_backward(gpu, dxd.data(), dyd.data(), yd.data(), outer, n, inner, log);
    CHECK(rel_diff(dxd, dx) <= tol<T>(1e-5, 1e-13));
  }
}

template <class T>
void layernorm_case(int64_t N, int64_t C, bool affine) {
  CAPTURE(N);
  CAPTURE(C);
  CAPTURE(affine);
  const auto x = random<T>({N, C}, 5), w = random<T>({C}, 6), b = random<T>({C}, 7), dy = random<T>({N, C}, 8);
  const auto xd = x.to(gpu), wd = w.to(gpu), bd = b.to(gpu), dyd = dy.to(gpu);
  auto y = Tensor<T>::empty({N, C}), mean = Tensor<T>::empty({N}), rstd = Tensor<T>::empty({N});
  auto yd = Tensor<T>::empty({N, C}, gpu), meand = Tensor<T>::empty({N}, gpu), rstdd = Tensor<T>::empty({N}, gpu);
  k::layernorm_forward(cpu, y.data(), mean.data(), rstd.data(), x.data(), affine ? w.data() : nullptr,
                       affine ? b.data() : nullptr, N, C, T(1e-5));
  k::layernorm_forward(gpu, yd.data(), meand.data(), rstdd.data(), xd.data(), affine ? wd.data() : nullptr,
                       affine ? bd.data() : nullptr, N, C, T(1e-5));
  CHECK(rel_diff(yd, y) <= tol<T>(1e-5, 1e-13));
  CHECK(rel_diff(meand, mean) <= tol<T>(1e-6, 1e-14));
  CHECK(rel_diff(rstdd, rstd) <= tol<T>(1e-6, 1e-14));
  auto dx = Tensor<T>::empty({N, C}), dw = Tensor<T>::empty({C}), db = Tensor<T>::empty({C});
  auto dxd = Tensor<T>::empty({N, C}, gpu), dwd = Tensor<T>::empty({C}, gpu), dbd = Tensor<T>::empty({C}, gpu);
  k::layernorm_backward(cpu, dx.data(), dw.data(), db.data(), dy.data(), x.data(), mean.data(), rstd.data(),
                        affine ? w.data() : nullptr, N, C);
  k::layernorm_backward(gpu, dxd.data(), dwd.data(), dbd.data(), dyd.data(), xd.data(), meand.data(), rstdd.data(),
                        affine ? wd.data() : nullptr, N, C);
  CHECK(rel_diff(dxd, dx) <= tol<T>(1e-5, 1e-13));
  CHECK(rel_diff(dwd, dw) <= tol<T>(1e-4, 1e-12));  // sums over N rows in another order
  CHECK(rel_diff(dbd, db) <= tol<T>(1e-4, 1e-12));
}

template <class T>
void adam_case(int64_t n, bool decoupled) {
  auto p = random<T>({n}, 9), m = random<T>({n}, 10, -0.1, 0.1), v = random<T>({n}, 11, 0, 0.01);
  const auto g = random<T>({n}, 12);
  auto pd = p.to(gpu), md = m.to(gpu), vd = v.to(gpu);
  const auto gd = g.to(gpu);
  for (int64_t step = 1; step <= 3; ++step) {
    k::adam_update(cpu, p.data(), g.data(), m.data(), v.data(), n, 1e-3, 0.9, 0.95, 1e-8, 0.1, decoupled, step);
    k::adam_update(gpu, pd.data(), gd.data(), md.data(), vd.data(), n, 1e-3, 0.9, 0.95, 1e-8, 0.1, decoupled, step);
  }
  CHECK(rel_diff(pd, p) <= tol<T>(1e-6, 1e-14));
  CHECK(rel_diff(md, m) <= tol<T>(1e-6, 1e-14));
  CHECK(rel_diff(vd, v) <= tol<T>(1e-6, 1e-14));
}

}  // namespace

TINYLM_CUDA_TEST("cuda: GELU (both forms) forward and backward equal the CPU kernels") {
  gelu_case<float>(100'003);
  gelu_case<double>(4'097);
}

TINYLM_CUDA_TEST("cuda: softmax and log-softmax, rows and strided axes, equal the CPU kernels") {
  for (auto shape : {std::array<int64_t, 3>{1, 50257, 1}, {7, 65, 1}, {1, 9, 13}, {3, 1, 1}}) {
    softmax_case<float>(shape[0], shape[1], shape[2]);
    softmax_case<double>(shape[0], shape[1], shape[2]);
  }
}

TINYLM_CUDA_TEST("cuda: LayerNorm forward and backward equal the CPU kernels, with and without affine") {
  for (bool affine : {true, false}) {
    layernorm_case<float>(64, 768, affine);
    layernorm_case<float>(3, 5, affine);
    layernorm_case<double>(17, 300, affine);
  }
}

TINYLM_CUDA_TEST("cuda: AdamW and Adam updates equal the CPU kernel over three steps") {
  for (bool decoupled : {true, false}) {
    adam_case<float>(10'007, decoupled);
    adam_case<double>(999, decoupled);
  }
}

TINYLM_CUDA_TEST("cuda: a dropout mask equals the CPU's for the same generator state, bit for bit") {
  for (double p : {0.0, 0.1, 0.5, 1.0}) {
    CAPTURE(p);
    tinylm::Generator g1(42), g2(42);
    auto m = Tensor<float>::empty({100'001});
    auto md = Tensor<float>::empty({100'001}, gpu);
    k::dropout_mask(cpu, m.data(), m.numel(), p, g1);
    k::dropout_mask(gpu, md.data(), md.numel(), p, g2);
    CHECK(md.to_vector() == m.to_vector());
    CHECK(g1.state().s == g2.state().s);
  }
}
