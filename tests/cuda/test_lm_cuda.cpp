// Reductions, index checks, the embedding and cross-entropy on a CUDA
// device against the CPU kernels on the same data. Sums add in another
// order on the device (a fixed tree), so they agree to a stated tolerance;
// max, argmax, index searches, the embedding lookup and its backward
// (the same order of additions as the CPU) agree exactly.

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cuda_test.hpp"

namespace k = tinylm::kernels;
using namespace tinylm_cuda_test;

namespace {

template <class T>
void sum_axis_case(int64_t outer, int64_t n, int64_t inner) {
  CAPTURE(outer);
  CAPTURE(n);
  CAPTURE(inner);
  const auto x = random<T>({outer, n, inner}, 3);
  const auto xd = x.to(gpu);
  auto out = Tensor<T>::empty({outer, inner}), outd = Tensor<T>::empty({outer, inner}, gpu);
  k::sum_axis(cpu, out.data(), x.data(), outer, n, inner);
  k::sum_axis(gpu, outd.data(), xd.data(), outer, n, inner);
  CHECK(rel_diff(outd, out) <= tol<T>(1e-4, 1e-12));
}

template <class T>
void max_axis_case(int64_t outer, int64_t n, int64_t inner) {
  auto x = random<T>({outer, n, inner}, 4);
  x.data()[1] = std::numeric_limits<T>::quiet_NaN();  // NaN wins in its column
  x.data()[2 * inner] = x.data()[0];                  // a tie: the first j is the argmax
  const auto xd = x.to(gpu);
  auto out = Tensor<T>::empty({outer, inner}), outd = Tensor<T>::empty({outer, inner}, gpu);
  auto arg = Tensor<int64_t>::empty({outer, inner}), argd = Tensor<int64_t>::empty({outer, inner}, gpu);
  k::max_axis(cpu, out.data(), arg.data(), x.data(), outer, n, inner);
  k::max_axis(gpu, outd.data(), argd.data(), xd.data(), outer, n, inner);
  CHECK(rel_diff(outd, out) == 0);
  CHECK(argd.to_vector() == arg.to_vector());
  const auto dout = random<T>({outer, inner}, 5);
  auto dx = Tensor<T>::empty({outer, n, inner}), dxd = Tensor<T>::empty({outer, n, inner}, gpu);
  k::max_axis_backward(cpu, dx.data(), dout.data(), arg.data(), outer, n, inner);
  k::max_axis_backward(gpu, dxd.data(), dout.to(gpu).data(), argd.data(), outer, n, inner);
  CHECK(rel_diff(dxd, dx) == 0);
}

template <class T, class I>
void embedding_case(int64_t V, int64_t N, int64_t C) {
  CAPTURE(N);
  const auto w = random<T>({V, C}, 6), dout = random<T>({N, C}, 7);
  tinylm::Generator g(8);
  auto idx = Tensor<I>::empty({N});
  for (int64_t i = 0; i < N; ++i) idx.data()[i] = static_cast<I>(g.next_u64() % static_cast<uint64_t>(V));
  const auto wd = w.to(gpu), doutd = dout.to(gpu);
  const auto idxd = idx.to(gpu);
  auto out = Tensor<T>::empty({N, C}), outd = Tensor<T>::empty({N, C}, gpu);
  k::embedding_forward(cpu, out.data(), w.data(), idx.data(), N, C);
  k::embedding_forward(gpu, outd.data(), wd.data(), idxd.data(), N, C);
  CHECK(rel_diff(outd, out) == 0);
  // Accumulates: start both from the same non-zero table.
  auto dw = random<T>({V, C}, 9);
  auto dwd = dw.to(gpu);
  k::embedding_backward(cpu, dw.data(), dout.data(), idx.data(), N, C);
  k::embedding_backward(gpu, dwd.data(), doutd.data(), idxd.data(), N, C);
  CHECK(rel_diff(dwd, dw) == 0);  // the same additions in the same order
}

template <class T, class I>
void cross_entropy_case(int64_t N, int64_t V, double smoothing) {
  CAPTURE(N);
  CAPTURE(V);
  CAPTURE(smoothing);
  const auto x = random<T>({N, V}, 10, -8, 8);
  tinylm::Generator g(11);
  auto t = Tensor<I>::empty({N});
  for (int64_t i = 0; i < N; ++i) t.data()[i] = static_cast<I>(i % 5 == 3 ? -100 : int64_t(g.next_u64() % V));
  const auto xd = x.to(gpu);
  const auto td = t.to(gpu);
  const T eps = static_cast<T>(smoothing);
  auto loss = Tensor<T>::empty({N}), lse = Tensor<T>::empty({N});
  auto lossd = Tensor<T>::empty({N}, gpu), lsed = Tensor<T>::empty({N}, gpu);
  const auto sum = k::cross_entropy_forward(cpu, loss.data(), lse.data(), x.data(), t.data(), N, V, -100, eps);
  const auto sumd = k::cross_entropy_forward(gpu, lossd.data(), lsed.data(), xd.data(), td.data(), N, V, -100, eps);
  CHECK(sumd.second == sum.second);
  CHECK(std::fabs(double(sumd.first) - double(sum.first)) <= tol<T>(1e-5, 1e-12) * std::fabs(double(sum.first)));
  CHECK(rel_diff(lossd, loss) <= tol<T>(1e-5, 1e-13));
  CHECK(rel_diff(lsed, lse) <= tol<T>(1e-6, 1e-14));
  const T scale = T(0.25);
  auto dx = Tensor<T>::empty({N, V}), dxd = Tensor<T>::empty({N, V}, gpu);
  k::cross_entropy_backward(cpu, dx.data(), x.data(), lse.data(), t.data(), N, V, -100, scale, eps);
  k::cross_entropy_backward(gpu, dxd.data(), xd.data(), lsed.data(), td.data(), N, V, -100, scale, eps);
  CHECK(rel_diff(dxd, dx) <= tol<T>(1e-6, 1e-14));
}

}  // namespace

TINYLM_CUDA_TEST("cuda: sum_axis over rows, columns and a long single row equals the CPU's") {
  sum_axis_case<float>(37, 300, 1);
  sum_axis_case<float>(1, 1 << 20, 1);
  sum_axis_case<float>(3, 129, 77);
  sum_axis_case<float>(1, 4096, 768);  // a bias gradient
  sum_axis_case<double>(5, 1000, 1);
  sum_axis_case<double>(2, 31, 9);
}

TINYLM_CUDA_TEST("cuda: max_axis and its backward equal the CPU's, NaN and ties included") {
  max_axis_case<float>(4, 33, 1);
  max_axis_case<float>(3, 17, 5);
  max_axis_case<double>(2, 9, 4);
}

TINYLM_CUDA_TEST("cuda: sum_squares, first_non_finite and find_invalid_index") {
  for (int64_t n : {int64_t(1), int64_t(255), int64_t(1000003)}) {
    CAPTURE(n);
    const auto x = random<float>({n}, 12);
    const double a = k::sum_squares(cpu, x.data(), n), b = k::sum_squares(gpu, x.to(gpu).data(), n);
    CHECK(std::fabs(a - b) <= 1e-12 * a);
    CHECK(k::first_non_finite(gpu, x.to(gpu).data(), n) == -1);
  }
  auto x = random<double>({100000}, 13);
  x.data()[70001] = INFINITY;
  x.data()[99999] = NAN;
  CHECK(k::first_non_finite(gpu, x.to(gpu).data(), x.numel()) == 70001);
  x.data()[3] = -INFINITY;
  CHECK(k::first_non_finite(gpu, x.to(gpu).data(), x.numel()) == 3);
  CHECK(k::sum_squares(gpu, x.to(gpu).data(), 0) == 0.0);

  std::vector<int64_t> idx(50000, 7);
  idx[123] = -100;
  idx[40000] = 50;
  const auto id = Tensor<int64_t>::from_vector(idx, {50000}, gpu);
  CHECK(k::find_invalid_index(gpu, id.data(), id.numel(), 50) == 123);
  CHECK(k::find_invalid_index(gpu, id.data(), id.numel(), 50, int64_t{-100}) == 40000);
  CHECK(k::find_invalid_index(gpu, id.data(), id.numel(), 51, int64_t{-100}) == -1);
  const auto small = Tensor<uint8_t>::from_vector({1, 2, 200}, {3}, gpu);
  CHECK(k::find_invalid_index(gpu, small.data(), 3, 200) == 2);
}

TINYLM_CUDA_TEST("cuda: embedding forward and its deterministic backward equal the CPU's bit for bit") {
  embedding_case<float, int64_t>(50, 1000, 33);  // many repeats of each row
  embedding_case<float, int32_t>(65, 7, 768);
  embedding_case<double, uint16_t>(300, 513, 5);
}

TINYLM_CUDA_TEST("cuda: fused cross-entropy with ignore_index and label smoothing equals the CPU's") {
  cross_entropy_case<float, int64_t>(37, 65, 0.0);
  cross_entropy_case<float, int32_t>(8, 50257, 0.1);
  cross_entropy_case<double, int64_t>(20, 1000, 0.0);
  cross_entropy_case<double, int64_t>(5, 7, 0.3);
}

TINYLM_CUDA_TEST("cuda: the embedding and cross_entropy ops run on the device and name a bad index") {
  const auto w = random<float>({10, 4}, 14).to(gpu);
  const auto idx = Tensor<int64_t>::from_vector({1, 12, 3}, {3}, gpu);
  CHECK_THROWS_WITH_AS(tinylm::embedding(w, idx), doctest::Contains("index 12 at position 1"), tinylm::Error);
  const auto logits = random<float>({3, 10}, 15).to(gpu);
  CHECK_THROWS_WITH_AS(tinylm::cross_entropy(logits, idx), doctest::Contains("target 12 at position 1"), tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::cross_entropy(logits, Tensor<int64_t>::from_vector({1, 2, 3})),
                       doctest::Contains("cuda:0"), tinylm::Error);
  const auto good = Tensor<int64_t>::from_vector({1, 2, 3}, {3}, gpu);
  const auto emb = tinylm::embedding(w, good);
  CHECK(emb.device() == gpu);
  CHECK(emb.to(cpu).to_vector() == tinylm::embedding(w.to(cpu), good.to(cpu)).to_vector());
  const auto loss = tinylm::cross_entropy(logits, good);
  CHECK(loss.device() == gpu);
  CHECK(std::fabs(loss.item() - tinylm::cross_entropy(logits.to(cpu), good.to(cpu)).item()) <= 1e-6f);
}
