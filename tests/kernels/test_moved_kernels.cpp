// Kernels that ops used to compute inline (gather, max backward, index
// validation, the LSTM cell, triangular masks, the dropout mask) and the
// ones of sort and scatter. Each
// against a plain loop, at sizes with remainders, and with 1 and 2 threads
// (the same bits both ways).

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include "helpers.hpp"

namespace k = tinylm::kernels::cpu;

namespace {

std::vector<double> uniform(std::size_t n, uint64_t seed, double lo = -1, double hi = 1) {
  tinylm::Generator g(seed);
  std::vector<double> v(n);
  for (auto& x : v) x = lo + (hi - lo) * g.uniform();
  return v;
}

/// Runs f() with 1 and with 2 threads and checks both give `want` exactly.
template <class F>
void on_1_and_2_threads(F f) {
  const int before = tinylm::num_threads();
  for (int t : {1, 2}) {
    tinylm::set_num_threads(t);
    INFO("threads " << t);
    f();
  }
  tinylm::set_num_threads(before);
}

}  // namespace

TEST_CASE("gather_forward and gather_backward equal plain loops; repeated indices add up") {
  for (auto size : {std::array<int64_t, 4>{3, 5, 4, 7}, {1, 1, 1, 1}, {2000, 3, 9, 5}}) {
    const int64_t outer = size[0], n = size[1], m = size[2], inner = size[3];
    const auto x = uniform(outer * n * inner, 1), dout = uniform(outer * m * inner, 2);
    tinylm::Generator g(3);
    std::vector<int64_t> idx(static_cast<std::size_t>(outer * m * inner));
    for (auto& v : idx) v = static_cast<int64_t>(g.below(static_cast<uint64_t>(n)));
    std::vector<double> want(idx.size()), want_dx(x.size(), 0.0);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < m; ++j)
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t r = (o * m + j) * inner + i, src = (o * n + idx[r]) * inner + i;
          want[r] = x[src];
          want_dx[src] += dout[r];
        }
    on_1_and_2_threads([&] {
      std::vector<double> out(idx.size()), dx(x.size(), -7.0);  // dx is overwritten, not added to
      k::gather_forward(out.data(), x.data(), idx.data(), outer, n, m, inner);
      k::gather_backward(dx.data(), dout.data(), idx.data(), outer, n, m, inner);
      CHECK(out == want);
      CHECK(dx == want_dx);
    });
  }
}

TEST_CASE("max_axis_backward routes each gradient to its argmax and zeroes the rest") {
  const int64_t outer = 700, n = 6, inner = 5;
  const auto dout = uniform(outer * inner, 4);
  tinylm::Generator g(5);
  std::vector<int32_t> arg(static_cast<std::size_t>(outer * inner));
  for (auto& a : arg) a = static_cast<int32_t>(g.below(n));
  std::vector<double> want(outer * n * inner, 0.0);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) want[(o * n + arg[o * inner + i]) * inner + i] = dout[o * inner + i];
  on_1_and_2_threads([&] {
    std::vector<double> dx(want.size(), 3.0);
    k::max_axis_backward(dx.data(), dout.data(), arg.data(), outer, n, inner);
    CHECK(dx == want);
  });
}

TEST_CASE("find_invalid_index finds the first index out of range, allowing one value") {
  const std::vector<int32_t> ok{0, 3, 4, 1}, bad{0, 5, -1, 2}, ignored{-100, 2, 4};
  CHECK(k::find_invalid_index(ok.data(), 4, 5) == -1);
  CHECK(k::find_invalid_index(bad.data(), 4, 5) == 1);
  CHECK(k::find_invalid_index(bad.data() + 2, 2, 5) == 0);  // -1 is invalid too
  CHECK(k::find_invalid_index(ignored.data(), 3, 5) == 0);
  CHECK(k::find_invalid_index(ignored.data(), 3, 5, -100) == -1);
  CHECK(k::find_invalid_index(ok.data(), 0, 5) == -1);
}

TEST_CASE("lstm_cell_forward and lstm_cell_backward equal the formulas, with absent dh or dc") {
  for (auto size : {std::array<int64_t, 2>{3, 5}, {1, 1}, {40, 33}}) {
    const int64_t B = size[0], H = size[1];
    const auto gates = uniform(B * 4 * H, 6, -3, 3), cp = uniform(B * H, 7, -2, 2);
    const auto dh = uniform(B * H, 8), dc = uniform(B * H, 9);
    auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
    std::vector<double> wh(B * H), wc(B * H), wda(B * 4 * H), wdcp(B * H);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < H; ++j) {
        const double* a = gates.data() + b * 4 * H;
        const double i = sig(a[j]), f = sig(a[H + j]), gg = std::tanh(a[2 * H + j]), o = sig(a[3 * H + j]);
        const double c = f * cp[b * H + j] + i * gg, tc = std::tanh(c);
        wc[b * H + j] = c;
        wh[b * H + j] = o * tc;
        const double dcc = dc[b * H + j] + dh[b * H + j] * o * (1 - tc * tc);
        wda[b * 4 * H + j] = dcc * gg * i * (1 - i);
        wda[b * 4 * H + H + j] = dcc * cp[b * H + j] * f * (1 - f);
        wda[b * 4 * H + 2 * H + j] = dcc * i * (1 - gg * gg);
        wda[b * 4 * H + 3 * H + j] = dh[b * H + j] * tc * o * (1 - o);
        wdcp[b * H + j] = dcc * f;
      }
    on_1_and_2_threads([&] {
      std::vector<double> h(B * H), c(B * H), act(B * 4 * H), da(B * 4 * H), dcp(B * H);
      k::lstm_cell_forward(h.data(), c.data(), act.data(), gates.data(), cp.data(), B, H);
      th::check_close(h, wh, 1e-15);
      th::check_close(c, wc, 1e-15);
      k::lstm_cell_backward(da.data(), dcp.data(), dh.data(), dc.data(), act.data(), cp.data(), c.data(), B, H);
      th::check_close(da, wda, 1e-14);
      th::check_close(dcp, wdcp, 1e-14);
      // An absent dc is a zero dc; an absent dh is a zero dh.
      std::vector<double> zero(B * H, 0.0), da0(da.size()), dcp0(dcp.size());
      k::lstm_cell_backward(da.data(), dcp.data(), dh.data(), static_cast<const double*>(nullptr), act.data(),
                            cp.data(), c.data(), B, H);
      k::lstm_cell_backward(da0.data(), dcp0.data(), dh.data(), zero.data(), act.data(), cp.data(), c.data(), B, H);
      CHECK(da == da0);
      CHECK(dcp == dcp0);
      k::lstm_cell_backward(da.data(), dcp.data(), static_cast<const double*>(nullptr), dc.data(), act.data(),
                            cp.data(), c.data(), B, H);
      k::lstm_cell_backward(da0.data(), dcp0.data(), zero.data(), dc.data(), act.data(), cp.data(), c.data(), B, H);
      CHECK(da == da0);
    });
  }
}

TEST_CASE("tril keeps j - i <= k over every matrix of a batch; causal_mask marks the future") {
  for (int64_t kk : {-1, 0, 2}) {
    const int64_t batch = 300, R = 4, C = 7;
    const auto x = uniform(batch * R * C, 10);
    std::vector<double> want(x.size());
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t i = 0; i < R; ++i)
        for (int64_t j = 0; j < C; ++j) want[(b * R + i) * C + j] = j - i <= kk ? x[(b * R + i) * C + j] : 0.0;
    on_1_and_2_threads([&] {
      std::vector<double> out(x.size());
      k::tril(out.data(), x.data(), batch, R, C, kk);
      CHECK(out == want);
    });
  }
  bool m[2 * 4];
  k::causal_mask(m, 2, 4);  // queries 2 and 3 of 4 positions
  CHECK(std::vector<bool>(m, m + 8) == std::vector<bool>{false, false, false, true, false, false, false, false});
  bool big[300 * 300];
  k::causal_mask(big, 300, 300);
  for (int64_t i = 0; i < 300; i += 37)
    for (int64_t j = 0; j < 300; j += 11) REQUIRE(big[i * 300 + j] == (j > i));
}

TEST_CASE("Philox4x32-10 gives Random123's known-answer vectors") {
  namespace ph = tinylm::kernels::philox;
  const auto zero = ph::philox4x32_10(0, 0, 0, 0, 0, 0);
  CHECK(zero.w[0] == 0x6627e8d5u);
  CHECK(zero.w[1] == 0xe169c58du);
  CHECK(zero.w[2] == 0xbc57ac4cu);
  CHECK(zero.w[3] == 0x9b00dbd8u);
  const uint32_t ones = 0xffffffffu;
  const auto all = ph::philox4x32_10(ones, ones, ones, ones, ones, ones);
  CHECK(all.w[0] == 0x408f276du);
  CHECK(all.w[1] == 0x41c83b0eu);
  CHECK(all.w[2] == 0xa20bc7c6u);
  CHECK(all.w[3] == 0x6d5451fdu);
  const auto pi = ph::philox4x32_10(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u);
  CHECK(pi.w[0] == 0xd16cfe09u);
  CHECK(pi.w[1] == 0x94fdccebu);
  CHECK(pi.w[2] == 0x5001e420u);
  CHECK(pi.w[3] == 0x24126ea1u);
  // The 64-bit counter and key are split low word first.
  const auto split = ph::block(0x85a308d3'243f6a88ull, 0x299f31d0'a4093822ull);
  const auto direct = ph::philox4x32_10(0x243f6a88u, 0x85a308d3u, 0, 0, 0xa4093822u, 0x299f31d0u);
  for (int i = 0; i < 4; ++i) CHECK(split.w[i] == direct.w[i]);
}

TEST_CASE("dropout_mask: element i keeps with Philox's word i under one key drawn from the generator") {
  namespace ph = tinylm::kernels::philox;
  on_1_and_2_threads([] {
    std::vector<float> mask(100'003);  // not a multiple of 4
    tinylm::Generator g(11);
    k::dropout_mask(mask.data(), static_cast<int64_t>(mask.size()), 0.25, g);
    tinylm::Generator again(11);
    const uint64_t key = again.next_u64();
    CHECK(g.state().s == again.state().s);  // one draw per call, whatever the size
    const uint64_t threshold = ph::dropout_threshold(0.25);
    CHECK(threshold == 1073741824u);  // 2^30
    int64_t kept = 0;
    for (std::size_t i = 0; i < mask.size(); ++i) {
      const uint32_t word = ph::block(i / 4, key).w[i % 4];
      const bool keep = word >= threshold;
      REQUIRE(mask[i] == (keep ? float(1 / 0.75) : 0.0f));
      kept += keep;
    }
    CHECK(double(kept) / mask.size() == doctest::Approx(0.75).epsilon(0.01));
    k::dropout_mask(mask.data(), 10, 1.0, g);
    for (int i = 0; i < 10; ++i) CHECK(mask[i] == 0.0f);
    k::dropout_mask(mask.data(), 10, 0.0, g);
    for (int i = 0; i < 10; ++i) CHECK(mask[i] == 1.0f);
  });
}

TEST_CASE("cross_entropy_forward returns the kept rows' loss sum and count") {
  const int64_t N = 5, V = 4;
  const auto x = uniform(N * V, 12, -2, 2);
  const std::vector<int64_t> t{1, -100, 3, 0, -100};
  std::vector<double> loss(N), lse(N);
  const auto [total, count] = k::cross_entropy_forward(loss.data(), lse.data(), x.data(), t.data(), N, V, -100);
  double want = 0;
  for (int64_t r = 0; r < N; ++r) {
    if (t[r] == -100) continue;
    double s = 0;
    for (int64_t j = 0; j < V; ++j) s += std::exp(x[r * V + j]);
    want += std::log(s) - x[r * V + t[r]];
  }
  CHECK(count == 3);
  CHECK(total == doctest::Approx(want).epsilon(1e-13));
  CHECK(loss[1] == 0.0);
}

TEST_CASE("argsort equals a stable sort of every row, partial or full, with 1 and 2 threads") {
  for (auto size : {std::array<int64_t, 3>{3, 50, 7}, {1, 1, 1}, {500, 9, 2}}) {
    const int64_t outer = size[0], n = size[1], inner = size[2];
    tinylm::Generator g(13);
    std::vector<float> x(static_cast<std::size_t>(outer * n * inner));
    for (auto& v : x) v = float(g.below(5));  // many ties
    for (bool desc : {false, true})
      for (int64_t k : {n, std::min<int64_t>(n, 3)}) {
        std::vector<int64_t> want(static_cast<std::size_t>(outer * k * inner));
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t i = 0; i < inner; ++i) {
            std::vector<int64_t> ord(static_cast<std::size_t>(n));
            std::iota(ord.begin(), ord.end(), 0);
            auto at = [&](int64_t j) { return x[(o * n + j) * inner + i]; };
            std::stable_sort(ord.begin(), ord.end(),
                             [&](int64_t a, int64_t b) { return desc ? at(a) > at(b) : at(a) < at(b); });
            for (int64_t j = 0; j < k; ++j) want[(o * k + j) * inner + i] = ord[j];
          }
        INFO("outer " << outer << " n " << n << " inner " << inner << " k " << k << " desc " << desc);
        on_1_and_2_threads([&] {
          std::vector<int64_t> idx(want.size(), -1);
          k::argsort(idx.data(), x.data(), outer, n, inner, k, desc);
          CHECK(idx == want);
        });
      }
  }
}

TEST_CASE("scatter writes or adds src at the indices and leaves the rest; the same with 1 and 2 threads") {
  const int64_t outer = 900, n = 4, m = 6, inner = 3;
  const auto base = uniform(outer * n * inner, 14), src = uniform(outer * m * inner, 15);
  tinylm::Generator g(16);
  std::vector<int32_t> idx(static_cast<std::size_t>(outer * m * inner));
  for (auto& v : idx) v = static_cast<int32_t>(g.below(n));
  for (bool add : {false, true}) {
    auto want = base;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < m; ++j)
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t r = (o * m + j) * inner + i;
          double& dst = want[(o * n + idx[r]) * inner + i];
          dst = add ? dst + src[r] : src[r];
        }
    on_1_and_2_threads([&] {
      auto out = base;
      k::scatter(out.data(), src.data(), idx.data(), outer, n, m, inner, add);
      CHECK(out == want);
    });
  }
}
