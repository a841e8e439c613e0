#include "helpers.hpp"

using th::leaf;
using th::TensorList;
using tinylm::Shape;
using tinylm::Tensor;

namespace {

// Batched matmul by plain loops over broadcast batch indices.
std::vector<double> naive_matmul(const Tensor<double>& a, const Tensor<double>& b, const Shape& out) {
  const int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
  const Shape batch(out.begin(), out.end() - 2);
  const Tensor<double> ae = a.expand([&] {
    Shape s = batch;
    s.push_back(M);
    s.push_back(K);
    return s;
  }());
  const Tensor<double> be = b.expand([&] {
    Shape s = batch;
    s.push_back(K);
    s.push_back(N);
    return s;
  }());
  const auto av = ae.to_vector(), bv = be.to_vector();
  std::vector<double> c;
  for (int64_t p = 0; p < batch.numel(); ++p)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k) s += av[(p * M + i) * K + k] * bv[(p * K + k) * N + j];
        c.push_back(s);
      }
  return c;
}

}  // namespace

TEST_CASE("matmul matches naive loops: 2-D, batched, broadcast batch, transposed operands") {
  tinylm::Generator g(1);
  auto r = [&](const Shape& s) { return Tensor<double>::randn(s, g); };
  struct Case {
    Tensor<double> a, b;
    Shape out;
  };
  const std::vector<Case> cases = {
      {r({3, 5}), r({5, 7}), {3, 7}},
      {r({4, 3, 5}), r({5, 7}), {4, 3, 7}},           // batch folded into rows
      {r({2, 4, 3, 5}), r({4, 5, 2}), {2, 4, 3, 2}},  // broadcast batch dims
      {r({2, 1, 3, 5}), r({1, 4, 5, 2}), {2, 4, 3, 2}},
      {r({5, 3}).transpose(0, 1), r({7, 5}).transpose(0, 1), {3, 7}},
      {r({4, 5, 3}).transpose(1, 2), r({4, 2, 5}).transpose(1, 2), {4, 3, 2}},
      {r({3, 1}), r({1, 17}), {3, 17}},
      {r({2, 3, 4, 6}).permute({0, 2, 1, 3}), r({6, 5}), {2, 4, 3, 5}},  // not foldable: copied per batch
  };
  for (const auto& c : cases) {
    const auto out = tinylm::matmul(c.a, c.b);
    INFO("a " << c.a.shape() << " b " << c.b.shape());
    CHECK(out.shape() == c.out);
    th::check_close(out.to_vector(), naive_matmul(c.a, c.b, c.out), 1e-12);
  }
}

TEST_CASE("gradcheck: matmul in all its layouts") {
  auto a = leaf({3, 4}, 1), b = leaf({4, 2}, 2), ab = leaf({2, 3, 4}, 3), bb = leaf({2, 4, 2}, 4);
  auto bt = leaf({2, 4}, 5), b1 = leaf({1, 4, 2}, 6);
  th::check_grad([](const TensorList& x) { return tinylm::matmul(x[0], x[1]); }, {a, b});
  th::check_grad([](const TensorList& x) { return tinylm::matmul(x[0], x[1]); }, {ab, b});
  th::check_grad([](const TensorList& x) { return tinylm::matmul(x[0], x[1]); }, {ab, bb});
  th::check_grad([](const TensorList& x) { return tinylm::matmul(x[0], x[1].transpose(0, 1)); }, {ab, bt});
  th::check_grad([](const TensorList& x) { return tinylm::matmul(x[0], x[1]); }, {a, bb});
  th::check_grad([](const TensorList& x) { return tinylm::matmul(x[0], x[1]); }, {ab, b1});
  th::check_grad([](const TensorList& x) { return tinylm::matmul(x[0].transpose(-2, -1), x[0]); }, {ab});
}

TEST_CASE("matmul shape errors print both shapes and the rule") {
  const auto a = Tensor<float>::zeros({4, 8, 32}), b = Tensor<float>::zeros({64, 128});
  CHECK_THROWS_WITH_AS(tinylm::matmul(a, b),
                       "matmul: a is [4, 8, 32], b is [64, 128]: a.shape[-1] must equal b.shape[-2] (32 != 64)",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::matmul(Tensor<float>::zeros({3}), b),
                       "matmul: a is [3], b is [64, 128]: both need at least 2 dimensions", tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::matmul(Tensor<float>::zeros({2, 3, 4}), Tensor<float>::zeros({3, 4, 5})),
                       "matmul: a is [2, 3, 4], b is [3, 4, 5]: batch dims cannot be broadcast (2 vs 3)",
                       tinylm::Error);
}
