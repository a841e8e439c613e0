// Memory-bound kernels, reported as GB/s of data read + written:
// elementwise add and GELU, softmax over rows forward and backward,
// LayerNorm forward and backward, the bias-gradient row sum, the sum of
// squares of gradient clipping, a head-splitting strided copy,
// cross-entropy, embedding, the AdamW and SGD updates, at the sizes of a
// char-small GPT step (B*T = 2048, C = 384, 10.7M parameters; and the
// GPT-2 vocabulary for cross-entropy); the LSTM cell at lm_zoo's size
// (B = 16, H = 256) and a large batch, gather of one class per row. GEMM and attention have their own
// programs (FLOP/s).
//
//   build/release/benchmarks/bench_elementwise

#include <benchmark/benchmark.h>

#include <tinylm/tinylm.hpp>

namespace {

namespace k = tinylm::kernels::cpu;

std::vector<float> random_vec(int64_t n, uint64_t seed) {
  tinylm::Generator g(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = float(g.normal());
  return v;
}

void set_bytes(benchmark::State& state, int64_t bytes) { state.SetBytesProcessed(state.iterations() * bytes); }

void BM_add_fwd(benchmark::State& state) {
  const int64_t n = state.range(0);
  tinylm::set_num_threads(int(state.range(1)));
  auto a = random_vec(n, 1), b = random_vec(n, 2), c = std::vector<float>(n);
  for (auto _ : state) {
    k::map2(c.data(), a.data(), b.data(), n, [](float x, float y) { return x + y; });
    benchmark::DoNotOptimize(c.data());
  }
  set_bytes(state, 3 * n * 4);
}

void BM_gelu_fwd(benchmark::State& state) {
  const int64_t n = state.range(0);
  tinylm::set_num_threads(int(state.range(1)));
  auto x = random_vec(n, 1), y = std::vector<float>(n);
  for (auto _ : state) {
    k::gelu_tanh_forward(y.data(), x.data(), n);
    benchmark::DoNotOptimize(y.data());
  }
  set_bytes(state, 2 * n * 4);
}

void BM_gelu_bwd(benchmark::State& state) {
  const int64_t n = state.range(0);
  tinylm::set_num_threads(int(state.range(1)));
  auto x = random_vec(n, 1), dy = random_vec(n, 2), dx = std::vector<float>(n);
  for (auto _ : state) {
    k::gelu_tanh_backward(dx.data(), dy.data(), x.data(), n);
    benchmark::DoNotOptimize(dx.data());
  }
  set_bytes(state, 3 * n * 4);
}

void BM_softmax_fwd(benchmark::State& state) {
  const int64_t rows = state.range(0), n = state.range(1);
  tinylm::set_num_threads(int(state.range(2)));
  auto x = random_vec(rows * n, 1), y = std::vector<float>(rows * n);
  for (auto _ : state) {
    k::softmax_forward(y.data(), x.data(), rows, n, 1, false);
    benchmark::DoNotOptimize(y.data());
  }
  set_bytes(state, 2 * rows * n * 4);
}

void BM_layernorm_fwd(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1);
  tinylm::set_num_threads(int(state.range(2)));
  auto x = random_vec(N * C, 1), w = random_vec(C, 2), b = random_vec(C, 3), y = std::vector<float>(N * C);
  std::vector<float> mean(N), rstd(N);
  for (auto _ : state) {
    k::layernorm_forward(y.data(), mean.data(), rstd.data(), x.data(), w.data(), b.data(), N, C, 1e-5f);
    benchmark::DoNotOptimize(y.data());
  }
  set_bytes(state, 2 * N * C * 4);
}

void BM_layernorm_bwd(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1);
  tinylm::set_num_threads(int(state.range(2)));
  auto x = random_vec(N * C, 1), w = random_vec(C, 2), b = random_vec(C, 3), y = std::vector<float>(N * C);
  auto dy = random_vec(N * C, 4), dx = std::vector<float>(N * C), dw = std::vector<float>(C),
       db = std::vector<float>(C);
  std::vector<float> mean(N), rstd(N);
  k::layernorm_forward(y.data(), mean.data(), rstd.data(), x.data(), w.data(), b.data(), N, C, 1e-5f);
  for (auto _ : state) {
    k::layernorm_backward(dx.data(), dw.data(), db.data(), dy.data(), x.data(), mean.data(), rstd.data(), w.data(), N,
                          C);
    benchmark::DoNotOptimize(dx.data());
  }
  set_bytes(state, 3 * N * C * 4);
}

// One AdamW step over every parameter of char-small (10.7M): reads p, g,
// m, v and writes p, m, v.
void BM_adamw(benchmark::State& state) {
  const int64_t n = state.range(0);
  tinylm::set_num_threads(int(state.range(1)));
  auto p = random_vec(n, 1), g = random_vec(n, 2), m = std::vector<float>(n), v = std::vector<float>(n);
  int64_t step = 0;
  for (auto _ : state) {
    k::adam_update(p.data(), g.data(), m.data(), v.data(), n, 1e-3, 0.9, 0.95, 1e-8, 0.1, true, ++step);
    benchmark::DoNotOptimize(p.data());
  }
  set_bytes(state, 7 * n * 4);
}

// Cross-entropy over N rows of V logits, forward (loss, log-sum-exp) and
// backward (the gradient of the logits): reads the logits, writes a row.
void BM_cross_entropy(benchmark::State& state) {
  const int64_t N = state.range(0), V = state.range(1);
  tinylm::set_num_threads(int(state.range(2)));
  const bool backward = state.range(3) != 0;
  auto x = random_vec(N * V, 1), dx = std::vector<float>(N * V);
  std::vector<float> loss(N), lse(N);
  std::vector<int32_t> targets(N);
  for (int64_t i = 0; i < N; ++i) targets[i] = int32_t((i * 7919) % V);
  k::cross_entropy_forward(loss.data(), lse.data(), x.data(), targets.data(), N, V, int64_t{-100});
  for (auto _ : state) {
    if (backward)
      k::cross_entropy_backward(dx.data(), x.data(), lse.data(), targets.data(), N, V, int64_t{-100}, 1.0f / float(N));
    else k::cross_entropy_forward(loss.data(), lse.data(), x.data(), targets.data(), N, V, int64_t{-100});
    benchmark::DoNotOptimize(dx.data());
    benchmark::DoNotOptimize(loss.data());
  }
  set_bytes(state, (backward ? 2 : 1) * N * V * 4);
}

// Embedding rows gathered (forward) and scattered-added (backward), N tokens of C.
void BM_embedding(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1), V = 65;
  tinylm::set_num_threads(int(state.range(2)));
  const bool backward = state.range(3) != 0;
  auto w = random_vec(V * C, 1), out = random_vec(N * C, 2), dw = std::vector<float>(V * C);
  std::vector<int32_t> idx(N);
  for (int64_t i = 0; i < N; ++i) idx[i] = int32_t((i * 31) % V);
  for (auto _ : state) {
    if (backward) k::embedding_backward(dw.data(), out.data(), idx.data(), N, C);
    else k::embedding_forward(out.data(), w.data(), idx.data(), N, C);
    benchmark::DoNotOptimize(out.data());
    benchmark::DoNotOptimize(dw.data());
  }
  set_bytes(state, 2 * N * C * 4);
}

void BM_softmax_bwd(benchmark::State& state) {
  const int64_t rows = state.range(0), n = state.range(1);
  tinylm::set_num_threads(int(state.range(2)));
  auto x = random_vec(rows * n, 1), y = std::vector<float>(rows * n), dy = random_vec(rows * n, 2);
  auto dx = std::vector<float>(rows * n);
  k::softmax_forward(y.data(), x.data(), rows, n, 1, false);
  for (auto _ : state) {
    k::softmax_backward(dx.data(), dy.data(), y.data(), rows, n, 1, false);
    benchmark::DoNotOptimize(dx.data());
  }
  set_bytes(state, 3 * rows * n * 4);
}

// A bias gradient: the sum over N rows of C columns.
void BM_sum_rows(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1);
  tinylm::set_num_threads(int(state.range(2)));
  auto x = random_vec(N * C, 1), out = std::vector<float>(C);
  for (auto _ : state) {
    k::sum_axis(out.data(), x.data(), int64_t{1}, N, C);
    benchmark::DoNotOptimize(out.data());
  }
  set_bytes(state, N * C * 4);
}

// The sum of squares clip_grad_norm takes over every gradient (10.7M).
void BM_sum_squares(benchmark::State& state) {
  const int64_t n = state.range(0);
  tinylm::set_num_threads(int(state.range(1)));
  auto x = random_vec(n, 1);
  for (auto _ : state) benchmark::DoNotOptimize(k::sum_squares(x.data(), n));
  set_bytes(state, n * 4);
}

// Heads split from [B, T, C] into [B, NH, T, HS]: the strided copy the
// composition path of attention makes (the fused path reads in place).
void BM_copy_strided(benchmark::State& state) {
  const int64_t B = 8, T = 256, NH = 6, HS = 64, C = NH * HS;
  tinylm::set_num_threads(int(state.range(0)));
  auto x = random_vec(B * T * C, 1), y = std::vector<float>(B * T * C);
  const int64_t shape[4] = {B, NH, T, HS}, src[4] = {T * C, HS, C, 1}, dst[4] = {NH * T * HS, T * HS, HS, 1};
  for (auto _ : state) {
    k::copy_strided(y.data(), dst, x.data(), src, shape, 4);
    benchmark::DoNotOptimize(y.data());
  }
  set_bytes(state, 2 * B * T * C * 4);
}

// SGD with momentum over 10.7M parameters: reads p, g, buf; writes p, buf.
void BM_sgd(benchmark::State& state) {
  const int64_t n = state.range(0);
  tinylm::set_num_threads(int(state.range(1)));
  auto p = random_vec(n, 1), g = random_vec(n, 2), buf = std::vector<float>(n);
  for (auto _ : state) {
    k::sgd_update(p.data(), g.data(), buf.data(), n, 1e-3, 0.9, 0.0, false);
    benchmark::DoNotOptimize(p.data());
  }
  set_bytes(state, 5 * n * 4);
}

}  // namespace

void BM_lstm_cell_fwd(benchmark::State& state) {
  const int64_t B = state.range(0), H = state.range(1);
  tinylm::set_num_threads(int(state.range(2)));
  auto gates = random_vec(B * 4 * H, 1), cp = random_vec(B * H, 2);
  std::vector<float> h(B * H), c(B * H), act(B * 4 * H);
  for (auto _ : state) {
    k::lstm_cell_forward(h.data(), c.data(), act.data(), gates.data(), cp.data(), B, H);
    benchmark::DoNotOptimize(h.data());
  }
  set_bytes(state, (4 + 1 + 2 + 4) * B * H * 4);
}

void BM_lstm_cell_bwd(benchmark::State& state) {
  const int64_t B = state.range(0), H = state.range(1);
  tinylm::set_num_threads(int(state.range(2)));
  auto act = random_vec(B * 4 * H, 1), cp = random_vec(B * H, 2), c = random_vec(B * H, 3), dh = random_vec(B * H, 4),
       dc = random_vec(B * H, 5);
  std::vector<float> dg(B * 4 * H), dcp(B * H);
  for (auto _ : state) {
    k::lstm_cell_backward(dg.data(), dcp.data(), dh.data(), dc.data(), act.data(), cp.data(), c.data(), B, H);
    benchmark::DoNotOptimize(dg.data());
  }
  set_bytes(state, (4 + 1 + 1 + 2 + 4 + 1) * B * H * 4);
}

void BM_gather_bwd(benchmark::State& state) {
  const int64_t N = state.range(0), V = state.range(1);
  tinylm::set_num_threads(int(state.range(2)));
  auto g = random_vec(N, 1);
  std::vector<int64_t> idx(N);
  for (int64_t i = 0; i < N; ++i) idx[i] = (i * 7919) % V;
  std::vector<float> dx(N * V);
  for (auto _ : state) {
    k::gather_backward(dx.data(), g.data(), idx.data(), N, V, int64_t{1}, int64_t{1});
    benchmark::DoNotOptimize(dx.data());
  }
  set_bytes(state, N * V * 4 + N * 12);
}

BENCHMARK(BM_add_fwd)->ArgsProduct({{2048 * 384}, {1, 2}})->ArgNames({"n", "threads"})->UseRealTime();
BENCHMARK(BM_gelu_fwd)->ArgsProduct({{2048 * 1536}, {1, 2}})->ArgNames({"n", "threads"})->UseRealTime();
BENCHMARK(BM_gelu_bwd)->ArgsProduct({{2048 * 1536}, {1, 2}})->ArgNames({"n", "threads"})->UseRealTime();
BENCHMARK(BM_softmax_fwd)
    ->ArgsProduct({{8 * 6 * 256}, {256}, {1, 2}})
    ->ArgNames({"rows", "n", "threads"})
    ->UseRealTime();
BENCHMARK(BM_layernorm_fwd)->ArgsProduct({{2048}, {384}, {1, 2}})->ArgNames({"N", "C", "threads"})->UseRealTime();
BENCHMARK(BM_layernorm_bwd)->ArgsProduct({{2048}, {384}, {1, 2}})->ArgNames({"N", "C", "threads"})->UseRealTime();

BENCHMARK(BM_adamw)->ArgsProduct({{10'740'000}, {1, 2}})->ArgNames({"n", "threads"})->UseRealTime();

BENCHMARK(BM_softmax_bwd)
    ->ArgsProduct({{8 * 6 * 256}, {256}, {1, 2}})
    ->ArgNames({"rows", "n", "threads"})
    ->UseRealTime();
BENCHMARK(BM_sum_rows)->ArgsProduct({{2048}, {1536}, {1, 2}})->ArgNames({"N", "C", "threads"})->UseRealTime();
BENCHMARK(BM_sum_squares)->ArgsProduct({{10'740'000}, {1, 2}})->ArgNames({"n", "threads"})->UseRealTime();
BENCHMARK(BM_copy_strided)->ArgsProduct({{1, 2}})->ArgNames({"threads"})->UseRealTime();
BENCHMARK(BM_sgd)->ArgsProduct({{10'740'000}, {1, 2}})->ArgNames({"n", "threads"})->UseRealTime();
BENCHMARK(BM_cross_entropy)
    ->ArgsProduct({{2048}, {65}, {1, 2}, {0, 1}})
    ->Args({256, 50257, 2, 0})
    ->Args({256, 50257, 2, 1})
    ->ArgNames({"N", "V", "threads", "backward"})
    ->UseRealTime();
BENCHMARK(BM_embedding)
    ->ArgsProduct({{2048}, {384}, {1, 2}, {0, 1}})
    ->ArgNames({"N", "C", "threads", "backward"})
    ->UseRealTime();

BENCHMARK(BM_lstm_cell_fwd)->ArgsProduct({{16, 1024}, {256}, {1, 2}})->ArgNames({"B", "H", "threads"})->UseRealTime();
BENCHMARK(BM_lstm_cell_bwd)->ArgsProduct({{16, 1024}, {256}, {1, 2}})->ArgNames({"B", "H", "threads"})->UseRealTime();
BENCHMARK(BM_gather_bwd)->ArgsProduct({{2048}, {65, 50257}, {1, 2}})->ArgNames({"N", "V", "threads"})->UseRealTime();

BENCHMARK_MAIN();
