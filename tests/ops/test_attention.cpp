#include <cmath>
#include <functional>

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

namespace {

// Attention from loops: for each leading index and query, a softmax over
// the keys `blocked` leaves (all of them, uniformly, when it leaves none).
std::vector<double> naive_masked_attention(const Tensor<double>& q, const Tensor<double>& k, const Tensor<double>& v,
                                           const std::function<bool(int64_t, int64_t, int64_t)>& blocked) {
  const int64_t L = q.size(0) * q.size(1), Tq = q.size(2), Tk = k.size(2), HS = q.size(3);
  const auto qv = q.to_vector(), kv = k.to_vector(), vv = v.to_vector();
  std::vector<double> out(static_cast<std::size_t>(L * Tq * HS), 0.0);
  for (int64_t l = 0; l < L; ++l)
    for (int64_t i = 0; i < Tq; ++i) {
      std::vector<double> w(static_cast<std::size_t>(Tk));
      double total = 0;
      bool any = false;
      for (int64_t j = 0; j < Tk; ++j) any = any || !blocked(l, i, j);
      for (int64_t j = 0; j < Tk; ++j) {
        double s = 0;
        for (int64_t d = 0; d < HS; ++d) s += qv[(l * Tq + i) * HS + d] * kv[(l * Tk + j) * HS + d];
        w[j] = any && blocked(l, i, j) ? 0.0 : std::exp(any ? s / std::sqrt(double(HS)) : 0.0);
        total += w[j];
      }
      for (int64_t j = 0; j < Tk; ++j)
        for (int64_t d = 0; d < HS; ++d) out[(l * Tq + i) * HS + d] += w[j] / total * vv[(l * Tk + j) * HS + d];
    }
  return out;
}

}  // namespace

TEST_CASE("attention with a padding mask and causal: against loops; no mask is the fused kernel") {
  const int64_t B = 2, NH = 2, Tq = 3, Tk = 5, HS = 4;
  auto q = leaf({B, NH, Tq, HS}, 21), k = leaf({B, NH, Tk, HS}, 22), v = leaf({B, NH, Tk, HS}, 23);
  auto pad = Tensor<bool>::zeros({B, 1, 1, Tk});  // sequence 1's last two keys are padding
  pad.data()[Tk + 3] = pad.data()[Tk + 4] = true;
  const auto padded = tinylm::scaled_dot_product_attention(q, k, v, pad, false);
  th::check_close(padded.to_vector(),
                  naive_masked_attention(q, k, v, [&](int64_t l, int64_t, int64_t j) { return l / NH == 1 && j >= 3; }),
                  1e-14);
  const auto both = tinylm::scaled_dot_product_attention(q, k, v, pad, true);  // query i sees keys j <= 2 + i
  th::check_close(
      both.to_vector(),
      naive_masked_attention(
          q, k, v, [&](int64_t l, int64_t i, int64_t j) { return (l / NH == 1 && j >= 3) || j > Tk - Tq + i; }),
      1e-14);
  const auto weights = tinylm::attention_weights(q, k, pad, true);  // (B, NH, Tq, Tk), rows sum to 1
  CHECK(weights.shape() == tinylm::Shape{B, NH, Tq, Tk});
  CHECK(th::elem(weights, ((1 * NH + 0) * Tq + 2) * Tk + 3) == 0.0);  // padding key
  CHECK(th::elem(weights, ((0 * NH + 1) * Tq + 0) * Tk + 3) == 0.0);  // a future key
  th::check_close(tinylm::sum(weights, {-1}).to_vector(), std::vector<double>(B * NH * Tq, 1.0), 1e-15);
  // An undefined mask runs the fused kernel: the same numbers as the reference.
  th::check_close(tinylm::scaled_dot_product_attention(q, k, v, Tensor<bool>(), true).to_vector(),
                  tinylm::attention_reference(q, k, v, true).to_vector(), 1e-14);
}

TEST_CASE("attention: a query with every key hidden gets zeros and passes no gradient, never NaN") {
  auto blocked = Tensor<bool>::zeros({1, 1, 2, 4});
  for (int j = 0; j < 4; ++j) blocked.data()[j] = true;  // query 0 sees nothing
  blocked.data()[4 + 0] = true;                          // query 1 sees keys 1..3
  for (bool fused : {true, false}) {
    INFO("fused " << fused);
    auto q = leaf({1, 1, 2, 3}, 31), k = leaf({1, 1, 4, 3}, 32), v = leaf({1, 1, 4, 3}, 33);
    const tinylm::AttentionMask<double> mask{.blocked = blocked};
    const auto y =
        fused ? tinylm::scaled_dot_product_attention(q, k, v, mask) : tinylm::attention_reference(q, k, v, mask);
    auto expected = naive_masked_attention(q, k, v, [&](int64_t, int64_t i, int64_t j) { return i == 0 || j == 0; });
    std::fill(expected.begin(), expected.begin() + 3, 0.0);  // query 0's row
    th::check_close(y.to_vector(), expected, 1e-14);
    (y * Tensor<double>::randn(y.shape())).sum().backward();
    for (const auto* g : {&q, &k, &v})
      for (double e : g->grad().to_vector()) CHECK(std::isfinite(e));
    for (int c = 0; c < 3; ++c) CHECK(th::elem(q.grad(), c) == 0.0);  // query 0 passes nothing back
  }
  // A whole sequence of padding (length 0), and a row of -inf in an additive mask.
  auto q = leaf({2, 2, 3, 4}, 34), k = leaf({2, 2, 5, 4}, 35), v = leaf({2, 2, 5, 4}, 36);
  const auto lengths = Tensor<int64_t>::from_vector({0, 5});
  auto additive = Tensor<double>::zeros({3, 5});
  for (int j = 0; j < 5; ++j) additive.data()[5 + j] = -INFINITY;  // query 1 of every head sees nothing
  const auto y = tinylm::scaled_dot_product_attention(q, k, v, {.key_lengths = lengths, .additive = additive});
  const auto r = tinylm::attention_reference(q, k, v, {.key_lengths = lengths, .additive = additive});
  th::check_close(y.to_vector(), r.to_vector(), 1e-14);
  for (int64_t i = 0; i < 2 * 3 * 4; ++i) CHECK(th::elem(y, i) == 0.0);  // sequence 0
  for (int64_t h = 2; h < 4; ++h)
    for (int64_t c = 0; c < 4; ++c) CHECK(th::elem(y, (h * 3 + 1) * 4 + c) == 0.0);  // query 1 of sequence 1
}

namespace {

// The fused kernel and the composition agree on a mask, in value and in
// every gradient (the additive mask's too, summed over its broadcast dims).
void check_masked_fused_equals_reference(int64_t B, int64_t NH, int64_t Tq, int64_t Tk, int64_t HS,
                                         const std::function<tinylm::AttentionMask<double>()>& make_mask,
                                         uint64_t seed) {
  INFO("B " << B << " NH " << NH << " Tq " << Tq << " Tk " << Tk << " HS " << HS);
  std::vector<Tensor<double>> grads[2];
  std::vector<double> values[2];
  for (int path = 0; path < 2; ++path) {
    auto q = leaf({B, NH, Tq, HS}, seed), k = leaf({B, NH, Tk, HS}, seed + 1), v = leaf({B, NH, Tk, HS}, seed + 2);
    tinylm::AttentionMask<double> mask = make_mask();
    if (mask.additive.defined()) mask.additive = mask.additive.detach().clone().requires_grad_();
    const auto y =
        path == 0 ? tinylm::scaled_dot_product_attention(q, k, v, mask) : tinylm::attention_reference(q, k, v, mask);
    values[path] = y.to_vector();
    tinylm::Generator up_gen(seed + 3);
    (y * Tensor<double>::randn(y.shape(), up_gen)).sum().backward();
    grads[path] = {q.grad(), k.grad(), v.grad()};
    if (mask.additive.defined()) grads[path].push_back(mask.additive.grad());
  }
  th::check_close(values[0], values[1], 1e-13);
  for (std::size_t i = 0; i < grads[0].size(); ++i)
    th::check_close(grads[0][i].to_vector(), grads[1][i].to_vector(), 1e-12);
}

Tensor<bool> random_mask(const tinylm::Shape& shape, double p, uint64_t seed) {
  tinylm::Generator gen(seed);
  auto m = Tensor<bool>::zeros(shape);
  for (int64_t i = 0; i < m.numel(); ++i) m.data()[i] = gen.uniform() < p;
  return m;
}

}  // namespace

TEST_CASE("masked fused attention equals its composition: padding, lengths, patterns, additive, cross-attention") {
  const int64_t B = 3, NH = 2;
  SUBCASE("key padding (B, Tk), causal, several query blocks") {
    check_masked_fused_equals_reference(
        B, NH, 70, 90, 8,
        [] {
          auto pad = Tensor<bool>::zeros({B, 90});
          for (int64_t j = 60; j < 90; ++j) pad.data()[90 + j] = true;  // sequence 1 has 60 keys
          pad.data()[2 * 90 + 7] = true;                                // and a hole in sequence 2
          return tinylm::AttentionMask<double>{.key_padding = pad, .causal = true};
        },
        1);
  }
  SUBCASE("key lengths, cross-attention (Tq != Tk), not causal") {
    check_masked_fused_equals_reference(
        B, NH, 5, 17, 4,
        [] {
          return tinylm::AttentionMask<double>{.key_lengths = Tensor<int64_t>::from_vector({17, 3, 9})};
        },
        2);
  }
  SUBCASE("a per-query bool pattern broadcast over the batch, with the causal rule") {
    check_masked_fused_equals_reference(
        B, NH, 9, 9, 3,
        [] {
          return tinylm::AttentionMask<double>{.blocked = random_mask({1, NH, 9, 9}, 0.3, 5), .causal = true};
        },
        3);
  }
  SUBCASE("an additive mask (1, NH, Tq, Tk) with a gradient, as a learned position bias") {
    check_masked_fused_equals_reference(
        B, NH, 6, 11, 5,
        [] {
          tinylm::Generator gen(6);
          return tinylm::AttentionMask<double>{.additive = Tensor<double>::randn({1, NH, 6, 11}, gen)};
        },
        4);
  }
  SUBCASE("everything at once: lengths, padding, a pattern, an additive (B, 1, 1, Tk) mask with -inf, causal") {
    check_masked_fused_equals_reference(
        B, NH, 66, 80, 4,
        [] {
          tinylm::Generator gen(7);
          auto additive = Tensor<double>::randn({B, 1, 1, 80}, gen);
          additive.data()[80 + 2] = -INFINITY;
          return tinylm::AttentionMask<double>{.key_padding = random_mask({B, 80}, 0.1, 8),
                                               .key_lengths = Tensor<int64_t>::from_vector({80, 70, 1}),
                                               .blocked = random_mask({66, 80}, 0.2, 9),
                                               .additive = additive,
                                               .causal = true};
        },
        5);
  }
}

TEST_CASE("key_lengths hide exactly what the same key_padding hides") {
  auto q = leaf({2, 2, 4, 3}, 51), k = leaf({2, 2, 6, 3}, 52), v = leaf({2, 2, 6, 3}, 53);
  auto pad = Tensor<bool>::zeros({2, 6});
  for (int64_t j = 2; j < 6; ++j) pad.data()[6 + j] = true;
  const auto by_padding = tinylm::scaled_dot_product_attention(q, k, v, {.key_padding = pad});
  const auto by_length =
      tinylm::scaled_dot_product_attention(q, k, v, {.key_lengths = Tensor<int64_t>::from_vector({6, 2})});
  th::check_close(by_padding.to_vector(), by_length.to_vector(), 1e-15);  // a shorter tile: other rounding
  th::check_close(by_length.to_vector(),
                  naive_masked_attention(q, k, v, [](int64_t l, int64_t, int64_t j) { return l >= 2 && j >= 2; }),
                  1e-14);
}

TEST_CASE("gradcheck: fused attention with every kind of mask, the additive one included") {
  auto q = leaf({2, 2, 3, 2}, 61), k = leaf({2, 2, 4, 2}, 62), v = leaf({2, 2, 4, 2}, 63);
  auto additive = leaf({2, 1, 3, 4}, 64);
  const auto lengths = Tensor<int64_t>::from_vector({4, 3});
  const auto blocked = random_mask({3, 4}, 0.25, 65);
  th::check_grad(
      [&](const TensorList& in) {
        return tinylm::scaled_dot_product_attention(
            in[0], in[1], in[2], {.key_lengths = lengths, .blocked = blocked, .additive = in[3], .causal = true});
      },
      {q, k, v, additive});
  auto q3 = leaf({3, 4, 2}, 66), k3 = leaf({3, 5, 2}, 67), v3 = leaf({3, 5, 2}, 68), add3 = leaf({4, 5}, 69);
  th::check_grad(  // a 3-D [L, T, HS] input: masks broadcast over the leading dim
      [&](const TensorList& in) {
        return tinylm::scaled_dot_product_attention(in[0], in[1], in[2], {.additive = in[3], .causal = true});
      },
      {q3, k3, v3, add3});
}

TEST_CASE("gradcheck: masked attention, with padding, causal, and a per-query pattern") {
  auto q = leaf({2, 2, 3, 2}, 41), k = leaf({2, 2, 4, 2}, 42), v = leaf({2, 2, 4, 2}, 43);
  auto pad = Tensor<bool>::zeros({2, 1, 1, 4});
  pad.data()[4 + 3] = true;
  th::check_grad([&](const TensorList& in) { return tinylm::scaled_dot_product_attention(in[0], in[1], in[2], pad); },
                 {q, k, v});
  th::check_grad(
      [&](const TensorList& in) { return tinylm::scaled_dot_product_attention(in[0], in[1], in[2], pad, true); },
      {q, k, v});
  auto pattern = Tensor<bool>::zeros({3, 4});  // broadcasts over batch and heads
  pattern.data()[0] = pattern.data()[5] = pattern.data()[10] = true;
  th::check_grad([&](const TensorList& in) { return tinylm::attention_weights(in[0], in[1], pattern); }, {q, k});
}

TEST_CASE("masked attention: errors name the mask and the shapes") {
  const auto q = Tensor<double>::ones({1, 2, 3, 4}), k = Tensor<double>::ones({1, 2, 5, 4});
  CHECK_THROWS_WITH_AS(tinylm::scaled_dot_product_attention(q, k, k, Tensor<bool>::zeros({1, 1, 1, 4})),
                       "scaled_dot_product_attention: scores is [1, 2, 3, 5], blocked is [1, 1, 1, 4]: shapes cannot "
                       "be broadcast (dim -1: 5 vs 4)",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::attention_weights(q, k, Tensor<bool>::zeros({2, 1, 1, 5})),
                       "attention_weights: blocked is [2, 1, 1, 5]: it must broadcast to the scores' shape "
                       "[1, 2, 3, 5]",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::attention_weights(k, q, Tensor<bool>::zeros({1, 3}), true),
                       "attention_weights: causal attention needs Tq <= Tk, got 5 > 3", tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::attention_weights(q, k, Tensor<bool>::zeros({1, 1, 1, 1, 5})),
                       "attention_weights: blocked is [1, 1, 1, 1, 5]: it must broadcast to the scores' shape "
                       "[1, 2, 3, 5]",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::scaled_dot_product_attention(q, k, k, {.key_padding = Tensor<bool>::zeros({1, 3})}),
                       "scaled_dot_product_attention: key_padding is [1, 3]: expected [B, Tk] = [1, 5]", tinylm::Error);
  CHECK_THROWS_WITH_AS(
      tinylm::scaled_dot_product_attention(q, k, k, {.key_lengths = Tensor<int64_t>::from_vector({6})}),
      "scaled_dot_product_attention: key_lengths[0] is 6: it must be in [0, Tk] = [0, 5]", tinylm::Error);
  CHECK_THROWS_WITH_AS(
      tinylm::scaled_dot_product_attention(q, k, k, {.key_lengths = Tensor<int64_t>::from_vector({1, 2})}),
      "scaled_dot_product_attention: key_lengths is [2]: expected [B] = [1]", tinylm::Error);
  CHECK_THROWS_WITH_AS(
      tinylm::scaled_dot_product_attention(q, k, k, {.additive = Tensor<double>::zeros({3, 4})}),
      "scaled_dot_product_attention: scores is [1, 2, 3, 5], additive is [3, 4]: shapes cannot be broadcast (dim -1: "
      "5 vs 4)",
      tinylm::Error);
  const auto q3 = Tensor<double>::ones({2, 3, 4}), k3 = Tensor<double>::ones({2, 5, 4});
  CHECK_THROWS_WITH_AS(
      tinylm::scaled_dot_product_attention(q3, k3, k3, {.key_padding = Tensor<bool>::zeros({2, 5})}),
      "scaled_dot_product_attention: q is [2, 3, 4]: key_padding and key_lengths need 4-D (B, NH, T, HS) operands",
      tinylm::Error);
}
