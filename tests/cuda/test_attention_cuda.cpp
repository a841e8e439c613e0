// Fused attention on a CUDA device against the CPU kernel on the same data:
// causal and not, Tq < Tk, head sizes that are and are not multiples of
// 32, the packed [B, T, 3C] layout, key lengths, a broadcast bool mask, an
// additive mask and its gradient, a query that sees nothing. The device
// adds in another order (an online softmax, tiles of 32 keys), so values
// agree to 2e-5 relative in float and 1e-12 in double.

#include <cmath>
#include <vector>

#include "cuda_test.hpp"

namespace k = tinylm::kernels;
using namespace tinylm_cuda_test;

namespace {

struct AttentionCase {
  int64_t B, NH, Tq, Tk, HS;
  bool causal;
  bool lengths = false, blocked = false, additive = false;
};

/// A [B, NH, T, HS] contiguous operand's layout.
template <class P>
k::HeadLayout<P> dense(P data, const AttentionCase& c, int64_t T) {
  return {data, c.NH * T * c.HS, T * c.HS, c.HS};
}

template <class T>
void attention_case(const AttentionCase& c) {
  CAPTURE(c.B);
  CAPTURE(c.NH);
  CAPTURE(c.Tq);
  CAPTURE(c.Tk);
  CAPTURE(c.HS);
  CAPTURE(c.causal);
  CAPTURE(c.lengths);
  CAPTURE(c.blocked);
  CAPTURE(c.additive);
  const int64_t BH = c.B * c.NH;
  const auto q = random<T>({BH * c.Tq * c.HS}, 20, -1, 1), kk = random<T>({BH * c.Tk * c.HS}, 21, -1, 1),
             v = random<T>({BH * c.Tk * c.HS}, 22, -1, 1), dout = random<T>({BH * c.Tq * c.HS}, 23, -1, 1);
  std::vector<int64_t> lens(static_cast<std::size_t>(c.B));
  for (int64_t b = 0; b < c.B; ++b) lens[static_cast<std::size_t>(b)] = b == 0 ? 0 : c.Tk - b;  // b = 0 sees nothing
  const auto lengths = Tensor<int64_t>::from_vector(lens);
  // blocked: (1, 1, Tq, Tk) broadcast over batch and heads; additive: (B, NH, Tq, Tk) with some -inf.
  std::vector<bool> blk(static_cast<std::size_t>(c.Tq * c.Tk));
  for (std::size_t e = 0; e < blk.size(); ++e) blk[e] = e % 7 == 3;
  const auto blocked = Tensor<bool>::from_vector(blk, {c.Tq, c.Tk});
  auto additive = random<T>({BH * c.Tq * c.Tk}, 24, -2, 2);
  for (int64_t e = 0; e < additive.numel(); e += 11) additive.data()[e] = -INFINITY;

  const T scale = static_cast<T>(1.0 / std::sqrt(double(c.HS)));
  const k::AttentionShape shape{c.B, c.NH, c.Tq, c.Tk, c.HS, c.causal};
  auto run = [&](Device dev, Tensor<T>& out, Tensor<T>& lse, Tensor<T>& dq, Tensor<T>& dk, Tensor<T>& dv,
                 Tensor<T>& dm) {
    const auto qd = q.to(dev), kd = kk.to(dev), vd = v.to(dev), dod = dout.to(dev);
    const auto lend = lengths.to(dev);
    const auto blkd = blocked.to(dev);
    const auto addd = additive.to(dev);
    k::AttentionMaskArgs<T> mask;
    if (c.lengths) mask.key_lengths = lend.data();
    if (c.blocked) mask.blocked = {blkd.data(), 0, 0, c.Tk, 1};
    if (c.additive) mask.additive = {addd.data(), c.NH * c.Tq * c.Tk, c.Tq * c.Tk, c.Tk, 1};
    out = Tensor<T>::empty({BH * c.Tq * c.HS}, dev);
    lse = Tensor<T>::empty({BH * c.Tq}, dev);
    dq = Tensor<T>::empty({BH * c.Tq * c.HS}, dev);
    dk = Tensor<T>::empty({BH * c.Tk * c.HS}, dev);
    dv = Tensor<T>::empty({BH * c.Tk * c.HS}, dev);
    dm = Tensor<T>::empty({BH * c.Tq * c.Tk}, dev);
    const T* cq = qd.data();
    const T* ck = kd.data();
    const T* cv = vd.data();
    k::attention_forward(dev, dense(out.data(), c, c.Tq), lse.data(), dense(cq, c, c.Tq), dense(ck, c, c.Tk),
                         dense(cv, c, c.Tk), shape, scale, mask);
    const T* co = out.data();
    k::attention_backward(dev, dense(dq.data(), c, c.Tq), dense(dk.data(), c, c.Tk), dense(dv.data(), c, c.Tk),
                          c.additive ? dm.data() : nullptr, dense(static_cast<const T*>(dod.data()), c, c.Tq),
                          dense(cq, c, c.Tq), dense(ck, c, c.Tk), dense(cv, c, c.Tk), dense(co, c, c.Tq), lse.data(),
                          shape, scale, mask);
  };
  Tensor<T> out, lse, dq, dk, dv, dm, gout, glse, gdq, gdk, gdv, gdm;
  run(cpu, out, lse, dq, dk, dv, dm);
  run(gpu, gout, glse, gdq, gdk, gdv, gdm);
  const double t = tol<T>(2e-5, 1e-12);
  CHECK(rel_diff(gout, out) <= t);
  CHECK(rel_diff(glse, lse) <= t);
  CHECK(rel_diff(gdq, dq) <= t);
  CHECK(rel_diff(gdk, dk) <= t);
  CHECK(rel_diff(gdv, dv) <= t);
  if (c.additive) CHECK(rel_diff(gdm, dm) <= t);
}

}  // namespace

TINYLM_CUDA_TEST("cuda: fused attention forward and backward equal the CPU kernel's") {
  attention_case<float>({2, 3, 37, 37, 64, true});
  attention_case<float>({1, 2, 100, 100, 80, false});
  attention_case<float>({2, 1, 5, 70, 32, true});  // Tq < Tk: the last 5 queries
  attention_case<float>({3, 2, 33, 40, 16, false, true, true, true});
  attention_case<float>({3, 2, 33, 40, 48, true, true, false, true});
  attention_case<double>({2, 2, 50, 50, 64, true});
  attention_case<double>({3, 1, 20, 45, 256, false, true, true, true});
  attention_case<float>({1, 1, 1, 1, 1, true});
}

TINYLM_CUDA_TEST("cuda: packed q, k and v read in place give the dense layout's attention") {
  const int64_t B = 2, Tn = 45, NH = 3, HS = 24, C = NH * HS;
  const auto qkv = random<float>({B, Tn, 3 * C}, 25, -1, 1);
  auto packed_op = [&](Device dev) { return tinylm::packed_qkv_attention(qkv.to(dev), NH, true).to(cpu); };
  CHECK(rel_diff(packed_op(gpu), packed_op(cpu)) <= 2e-5);
}

TINYLM_CUDA_TEST("cuda: attention refuses a head size over 256 and operands on two devices, by name") {
  const int64_t HS = 257;
  const auto x = Tensor<float>::zeros({1, 1, 2, HS}, gpu);
  CHECK_THROWS_WITH_AS(tinylm::scaled_dot_product_attention(x, x, x, true), doctest::Contains("head size 257"),
                       tinylm::Error);
  const auto y = Tensor<float>::zeros({1, 1, 2, 8}, gpu), z = Tensor<float>::zeros({1, 1, 2, 8});
  CHECK_THROWS_WITH_AS(tinylm::scaled_dot_product_attention(y, z, y, true), doctest::Contains("cuda:0"), tinylm::Error);
  tinylm::AttentionMask<float> mask{.key_lengths = Tensor<int64_t>::from_vector({1}), .causal = true};
  CHECK_THROWS_WITH_AS(tinylm::scaled_dot_product_attention(y, y, y, mask),
                       doctest::Contains("the mask's key_lengths is on cpu and q on cuda:0"), tinylm::Error);
}
