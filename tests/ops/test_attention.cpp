#include <cmath>

#include "helpers.hpp"

using th::leaf;
using th::TensorList;
using tinylm::Tensor;

namespace {

void check_fused_equals_reference(int64_t B, int64_t Tq, int64_t Tk, int64_t HS, bool causal, uint64_t seed) {
  INFO("B " << B << " Tq " << Tq << " Tk " << Tk << " HS " << HS << " causal " << causal);
  auto q1 = leaf({B, 2, Tq, HS}, seed), k1 = leaf({B, 2, Tk, HS}, seed + 1), v1 = leaf({B, 2, Tk, HS}, seed + 2);
  auto q2 = leaf({B, 2, Tq, HS}, seed), k2 = leaf({B, 2, Tk, HS}, seed + 1), v2 = leaf({B, 2, Tk, HS}, seed + 2);
  const auto a = tinylm::scaled_dot_product_attention(q1, k1, v1, causal);
  const auto b = tinylm::attention_reference(q2, k2, v2, causal);
  th::check_close(a.to_vector(), b.to_vector(), 1e-14);
  const auto up = Tensor<double>::randn(a.shape());
  (a * up).sum().backward();
  (b * up).sum().backward();
  th::check_close(q1.grad().to_vector(), q2.grad().to_vector(), 1e-13);
  th::check_close(k1.grad().to_vector(), k2.grad().to_vector(), 1e-13);
  th::check_close(v1.grad().to_vector(), v2.grad().to_vector(), 1e-13);
}

}  // namespace

TEST_CASE("fused attention equals the reference composition: several query blocks, Tq < Tk, not causal") {
  check_fused_equals_reference(1, 150, 150, 8, true, 1);  // three blocks of 64 queries, the last partial
  check_fused_equals_reference(2, 70, 100, 5, true, 4);   // queries after 30 cached keys (KV-cache decoding)
  check_fused_equals_reference(1, 1, 33, 4, true, 7);     // one decoding step
  check_fused_equals_reference(2, 65, 40, 3, false, 10);  // no mask, Tq > Tk
}

TEST_CASE("gradcheck: fused attention, causal and not, with strided inputs") {
  auto q = leaf({1, 2, 5, 3}, 1), k = leaf({1, 2, 5, 3}, 2), v = leaf({1, 2, 5, 3}, 3);
  th::check_grad([](const TensorList& in) { return tinylm::scaled_dot_product_attention(in[0], in[1], in[2], true); },
                 {q, k, v});
  th::check_grad([](const TensorList& in) { return tinylm::scaled_dot_product_attention(in[0], in[1], in[2], false); },
                 {q, k, v});
  auto kt = leaf({1, 2, 3, 5}, 4);  // K given transposed: the op reads it through strides
  th::check_grad(
      [&](const TensorList& in) {
        return tinylm::scaled_dot_product_attention(in[0], in[1].transpose(2, 3), in[2], true);
      },
      {q, kt, v});
}

namespace {

// q, k, v cut out of one packed [B, T, 3C] tensor into heads, as
// nn::CausalSelfAttention does: (B, T, C) -> (B, NH, T, HS) views.
Tensor<double> heads_of(const Tensor<double>& qkv, int64_t part, int64_t NH) {
  const int64_t B = qkv.size(0), T = qkv.size(1), C = qkv.size(2) / 3;
  return qkv.narrow(2, part * C, C).reshape({B, T, NH, C / NH}).transpose(1, 2);
}

void check_packed_equals_split(int64_t B, int64_t T, int64_t NH, int64_t HS, bool causal, uint64_t seed) {
  INFO("B " << B << " T " << T << " NH " << NH << " HS " << HS << " causal " << causal);
  const int64_t C = NH * HS;
  auto x1 = leaf({B, T, 3 * C}, seed), x2 = leaf({B, T, 3 * C}, seed), x3 = leaf({B, T, 3 * C}, seed);
  const auto packed = tinylm::packed_qkv_attention(x1, NH, causal);
  REQUIRE(packed.shape() == tinylm::Shape{B, T, C});
  // The same heads through the strided op (no copies) and through the composition.
  const auto strided =
      tinylm::scaled_dot_product_attention(heads_of(x2, 0, NH), heads_of(x2, 1, NH), heads_of(x2, 2, NH), causal);
  CHECK(strided.transpose(1, 2).is_contiguous());  // laid out (B, T, NH, HS): merging heads is a view
  const auto merged = strided.transpose(1, 2).reshape({B, T, C});
  const auto ref = tinylm::attention_reference(heads_of(x3, 0, NH), heads_of(x3, 1, NH), heads_of(x3, 2, NH), causal)
                       .transpose(1, 2)
                       .reshape({B, T, C});
  th::check_close(packed.to_vector(), ref.to_vector(), 1e-14);
  th::check_close(merged.to_vector(), ref.to_vector(), 1e-14);
  const auto up = Tensor<double>::randn({B, T, C});
  (packed * up).sum().backward();
  (merged * up).sum().backward();
  (ref * up).sum().backward();
  th::check_close(x1.grad().to_vector(), x3.grad().to_vector(), 1e-13);
  th::check_close(x2.grad().to_vector(), x3.grad().to_vector(), 1e-13);
}

}  // namespace

TEST_CASE("packed qkv attention and strided heads equal the composition, values and gradients") {
  check_packed_equals_split(2, 70, 3, 4, true, 21);  // two query blocks, the second partial
  check_packed_equals_split(1, 5, 1, 8, true, 24);   // one head
  check_packed_equals_split(2, 9, 4, 2, false, 27);  // no mask
}

TEST_CASE("gradcheck: packed qkv attention") {
  auto x = leaf({2, 5, 12}, 31);
  th::check_grad([](const TensorList& in) { return tinylm::packed_qkv_attention(in[0], 2, true); }, {x});
  th::check_grad([](const TensorList& in) { return tinylm::packed_qkv_attention(in[0], 1, false); }, {x});
}

TEST_CASE("attention reads a KV cache in place: keys and values with gaps between heads") {
  // A cache holds 10 positions per head; 6 are used. k and v are views of it.
  auto q = leaf({1, 2, 2, 3}, 41);
  const auto cache_k = Tensor<double>::randn({1, 2, 10, 3}), cache_v = Tensor<double>::randn({1, 2, 10, 3});
  const auto k = cache_k.narrow(2, 0, 6), v = cache_v.narrow(2, 0, 6);
  REQUIRE(!k.is_contiguous());
  const auto a = tinylm::scaled_dot_product_attention(q, k, v, true);
  const auto b = tinylm::attention_reference(q, k.contiguous(), v.contiguous(), true);
  th::check_close(a.to_vector(), b.to_vector(), 1e-14);
  th::check_grad([&](const TensorList& in) { return tinylm::scaled_dot_product_attention(in[0], k, v, true); }, {q});
}

TEST_CASE("attention known values: one query over two keys") {
  // q . k = (1, 0) scaled by 1/sqrt(1) -> weights softmax(1, 0) = (e, 1) / (e + 1)
  const auto q = Tensor<double>::from_vector({1}, {1, 1, 1, 1});
  const auto k = Tensor<double>::from_vector({1, 0}, {1, 1, 2, 1});
  const auto v = Tensor<double>::from_vector({10, 20}, {1, 1, 2, 1});
  const double w = std::exp(1.0) / (std::exp(1.0) + 1.0);
  CHECK(tinylm::scaled_dot_product_attention(q, k, v, false).item() == doctest::Approx(10 * w + 20 * (1 - w)));
  CHECK(tinylm::scaled_dot_product_attention(q, k, v, true).item() == doctest::Approx(10 * w + 20 * (1 - w)));
}

TEST_CASE("attention shape errors") {
  const auto q = Tensor<float>::zeros({1, 2, 4, 8}), k = Tensor<float>::zeros({1, 2, 4, 4});
  CHECK_THROWS_WITH_AS(tinylm::scaled_dot_product_attention(q, k, k),
                       "scaled_dot_product_attention: q is [1, 2, 4, 8], k is [1, 2, 4, 4], v is [1, 2, 4, 4]: k and v "
                       "must match, and share q's leading dims and head size",
                       tinylm::Error);
  const auto k6 = Tensor<float>::zeros({1, 2, 3, 8});
  CHECK_THROWS_WITH_AS(tinylm::scaled_dot_product_attention(q, k6, k6, true),
                       "scaled_dot_product_attention: causal attention needs Tq <= Tk, got 4 > 3", tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::packed_qkv_attention(Tensor<float>::zeros({2, 4, 10}), 2),
                       "packed_qkv_attention: qkv is [2, 4, 10] with n_head 2: expected [B, T, 3 * C] with C a "
                       "multiple of n_head",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::packed_qkv_attention(Tensor<float>::zeros({4, 12}), 2),
                       "packed_qkv_attention: qkv is [4, 12] with n_head 2: expected [B, T, 3 * C] with C a "
                       "multiple of n_head",
                       tinylm::Error);
}
