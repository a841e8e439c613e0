// The fused causal attention kernel, forward and backward, at the shapes
// of the tiny and char-small configs, with q, k, v in their own contiguous
// [B, NH, T, HS] tensors and packed side by side in [B, T, 3C] (as
// nn::CausalSelfAttention runs it). Counter: FLOP/s, counting the full
// T x T products as the MFU formula does (4 T^2 HS per head forward, 8
// backward); the causal kernel skips the masked blocks, about half.
//
//   build/release/benchmarks/bench_attention

#include <benchmark/benchmark.h>

#include <tinylm/tinylm.hpp>

namespace {

namespace k = tinylm::kernels::cpu;

// Args: B, NH, T, HS, threads, packed (0: separate tensors, 1: [B, T, 3C]), backward (0/1)
void BM_attention(benchmark::State& state) {
  const int64_t B = state.range(0), NH = state.range(1), T = state.range(2), HS = state.range(3);
  tinylm::set_num_threads(int(state.range(4)));
  const bool packed = state.range(5) != 0, backward = state.range(6) != 0;
  const int64_t C = NH * HS, n = B * T * C;
  tinylm::Generator g(1);
  std::vector<float> qkv(3 * n), out(n), dout(n), dqkv(3 * n), lse(B * NH * T);
  for (auto& x : qkv) x = float(g.normal());
  for (auto& x : dout) x = float(g.normal());
  // Separate: q, k, v one after another, each [B, NH, T, HS]. Packed: rows of 3C.
  auto in = [&](int part) {
    return packed ? k::HeadLayout<const float*>{qkv.data() + part * C, T * 3 * C, HS, 3 * C}
                  : k::HeadLayout<const float*>{qkv.data() + part * n, NH * T * HS, T * HS, HS};
  };
  auto grad = [&](int part) {
    return packed ? k::HeadLayout<float*>{dqkv.data() + part * C, T * 3 * C, HS, 3 * C}
                  : k::HeadLayout<float*>{dqkv.data() + part * n, NH * T * HS, T * HS, HS};
  };
  const k::HeadLayout<float*> o = packed ? k::HeadLayout<float*>{out.data(), T * C, HS, C}
                                         : k::HeadLayout<float*>{out.data(), NH * T * HS, T * HS, HS};
  const k::HeadLayout<const float*> oc{o.data, o.batch, o.head, o.row};
  const k::HeadLayout<const float*> dc{dout.data(), o.batch, o.head, o.row};
  const k::AttentionShape shape{B, NH, T, T, HS, true};
  const float scale = 1.0f / std::sqrt(float(HS));
  k::attention_forward(o, lse.data(), in(0), in(1), in(2), shape, scale);
  for (auto _ : state) {
    if (backward)
      k::attention_backward(grad(0), grad(1), grad(2), static_cast<float*>(nullptr), dc, in(0), in(1), in(2), oc,
                            lse.data(), shape, scale);
    else k::attention_forward(o, lse.data(), in(0), in(1), in(2), shape, scale);
    benchmark::DoNotOptimize(dqkv.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["FLOP/s"] =
      benchmark::Counter(double(backward ? 8 : 4) * B * NH * T * T * HS, benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::kIs1000);
}

void shapes(benchmark::internal::Benchmark* b) {
  for (int backward : {0, 1})
    for (int packed : {0, 1})
      for (int threads : {1, 2}) {
        b->Args({16, 4, 128, 32, threads, packed, backward});  // tiny
        b->Args({8, 6, 256, 64, threads, packed, backward});   // char-small
      }
  b->ArgNames({"B", "NH", "T", "HS", "threads", "packed", "backward"});
  b->Unit(benchmark::kMillisecond);
  b->UseRealTime();
}

}  // namespace

BENCHMARK(BM_attention)->Apply(shapes);

BENCHMARK_MAIN();
