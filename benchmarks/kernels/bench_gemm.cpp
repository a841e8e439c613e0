// GEMM throughput at the shapes a small GPT runs, and at 2048^3 for the
// machine's peak; tinylm (the kernel it takes: its own AVX-512 or AVX2
// kernel, else Eigen's; Eigen's kernel alone, with AVX-512 and AVX2 masked
// off; the bf16-product kernels, on AMX tiles and on AVX-512 BF16, where
// the CPU has them) next to
// OpenBLAS's sgemm in the same run. Counter: FLOP/s (2*M*N*K per product),
// printed with an SI prefix.
//
//   build/release/benchmarks/bench_gemm --benchmark_filter=2048
//
// Decoding: BM_decode_gemv times the matrix-vector products of one token
// of a GPT-2-shaped model (weights cycled through 256 MB of copies, so that
// they come from memory, not from L3; float32 weights, or bf16 ones as
// nn::Bf16Weights makes) as bytes of weights read per second,
// beside BM_read_bandwidth, the machine's memory read bandwidth from a plain
// summing loop over 512 MB (1 or 4 streams a thread), in the same run.
//
// Debian's OpenBLAS 0.3.21 does not recognise recent Xeons and falls back to
// old kernels; source benchmarks/openblas_env.sh to tell it the CPU's kind.

#include <benchmark/benchmark.h>

#include <tinylm/tinylm.hpp>

#include <cstring>
#include <thread>
#include <type_traits>

#ifdef TINYLM_BENCH_OPENBLAS
#include <cblas.h>
#endif

namespace {

struct Operands {
  std::vector<float> a, b, c;
  Operands(int64_t M, int64_t N, int64_t K) : a(M * K), b(K * N), c(M * N) {
    tinylm::Generator g(1);
    for (auto& x : a) x = float(g.uniform() - 0.5);
    for (auto& x : b) x = float(g.uniform() - 0.5);
  }
};

// Reported as FLOP/s with an SI prefix (e.g. 140G/s = 140 GFLOP/s).
void set_flops(benchmark::State& state, int64_t M, int64_t N, int64_t K) {
  state.counters["FLOP/s"] =
      benchmark::Counter(2.0 * M * N * K, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

// Args: M, N, K, threads, transpose flag (0: A B, 1: A B^T as in x @ W^T, 2: A^T B as in dW).
// bf16: the products in bf16 (on AMX, kernels/cpu/gemm_amx.hpp, else on
// AVX-512 BF16, kernels/cpu/gemm_bf16.hpp).
void run_matmul(benchmark::State& state, bool bf16) {
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  const int threads = int(state.range(3));
  const int mode = int(state.range(4));
  tinylm::set_num_threads(threads);
  Operands op(M, N, K);
  const bool ta = mode == 2, tb = mode == 1;
  for (auto _ : state) {
    tinylm::kernels::cpu::gemm<float>({.M = M,
                                       .N = N,
                                       .K = K,
                                       .a = {.data = op.a.data(), .ld = ta ? M : K, .transposed = ta},
                                       .b = {.data = op.b.data(), .ld = tb ? K : N, .transposed = tb},
                                       .c = op.c.data(),
                                       .ldc = N},
                                      bf16);
    benchmark::DoNotOptimize(op.c.data());
  }
  set_flops(state, M, N, K);
}

void BM_matmul_fwd(benchmark::State& state) { run_matmul(state, false); }

void BM_matmul_eigen(benchmark::State& state) {
  tinylm::CpuFeatureMaskGuard eigen_only(~static_cast<uint32_t>(tinylm::CpuFeature::avx512f) &
                                         ~static_cast<uint32_t>(tinylm::CpuFeature::avx2));
  run_matmul(state, false);
}

// The AVX-512 BF16 kernel, AMX masked off.
void BM_matmul_bf16(benchmark::State& state) {
  if (!tinylm::cpu_features().has(tinylm::CpuFeature::avx512_bf16)) {
    state.SkipWithError("this CPU has no AVX-512 BF16");
    return;
  }
  tinylm::CpuFeatureMaskGuard no_amx(~static_cast<uint32_t>(tinylm::CpuFeature::amx_bf16));
  run_matmul(state, true);
}

void BM_matmul_amx(benchmark::State& state) {
  if (!tinylm::cpu_features().has(tinylm::CpuFeature::amx_bf16)) {
    state.SkipWithError("this CPU (or Linux) gives this process no AMX");
    return;
  }
  run_matmul(state, true);
}

#ifdef TINYLM_BENCH_OPENBLAS
void BM_openblas_sgemm(benchmark::State& state) {
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  openblas_set_num_threads(int(state.range(3)));
  const int mode = int(state.range(4));
  Operands op(M, N, K);
  const bool ta = mode == 2, tb = mode == 1;
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, int(M), int(N), int(K),
                1.f, op.a.data(), int(ta ? M : K), op.b.data(), int(tb ? K : N), 0.f, op.c.data(), int(N));
    benchmark::DoNotOptimize(op.c.data());
  }
  set_flops(state, M, N, K);
}
#endif

// Shapes: a char-small GPT (B*T = 2048 rows, C = 384) forward and backward
// products, attention's per-head products (T = 256, HS = 64), the
// matrix-vector products of decoding one token, and 2048^3.
void shapes(benchmark::internal::Benchmark* b) {
  for (int threads : {1, 2}) {
    b->Args({2048, 1536, 384, threads, 0});   // MLP up projection
    b->Args({2048, 384, 1536, threads, 0});   // MLP down projection
    b->Args({2048, 1152, 384, threads, 0});   // fused QKV
    b->Args({384, 1536, 2048, threads, 2});   // dW = x^T dy
    b->Args({2048, 384, 1536, threads, 1});   // dx = dy W^T
    b->Args({256, 256, 64, threads, 1});      // attention scores q k^T
    b->Args({64, 256, 64, threads, 1});       // one query block's scores (kernels/cpu/attention.hpp)
    b->Args({64, 64, 256, threads, 0});       // one query block's P V
    b->Args({1, 1536, 384, threads, 0});      // decoding one token: MLP up
    b->Args({1, 384, 1536, threads, 0});      // decoding one token: MLP down
    b->Args({2048, 2048, 2048, threads, 0});  // peak
  }
  b->ArgNames({"M", "N", "K", "threads", "trans"});
  b->Unit(benchmark::kMillisecond);
  b->UseRealTime();
}

// Args: N, K, threads, B transposed. One token's y = x W (W stored [K, N])
// or x W^T (W stored [N, K], the tied LM head), for each of enough copies of
// W to fill 256 MB, so each product reads its W from memory. W's elements
// are float, or bf16 (a model generating with bf16 weights, half the bytes).
template <class W>
void BM_decode_gemv(benchmark::State& state) {
  const int64_t N = state.range(0), K = state.range(1);
  const bool trans = state.range(3) != 0;
  tinylm::set_num_threads(int(state.range(2)));
  const int64_t copies = std::max<int64_t>(1, (int64_t{256} << 20) / (N * K * int64_t(sizeof(W))));
  std::vector<W> w(static_cast<std::size_t>(copies * N * K));
  for (std::size_t i = 0; i < w.size(); ++i) {
    const float v = 0.01f * float(i % 7);
    if constexpr (std::is_same_v<W, float>) w[i] = v;
    else w[i] = tinylm::bf16::from_float(v);
  }
  std::vector<float> x(K, 1.0f), y(N);
  int64_t c = 0;
  for (auto _ : state) {
    tinylm::kernels::GemmArgs<float> g;
    g.M = 1, g.N = N, g.K = K;
    g.a = {x.data(), K, false};
    g.b = {nullptr, trans ? K : N, trans};
    g.c = y.data(), g.ldc = N;
    const W* wc = w.data() + c * N * K;
    if constexpr (std::is_same_v<W, float>) {
      g.b.data = wc;
      tinylm::kernels::gemm(tinylm::Device::cpu(), g);
    } else {
      tinylm::kernels::gemm_bf16_weights(tinylm::Device::cpu(), g, wc);
    }
    benchmark::DoNotOptimize(y.data());
    c = (c + 1) % copies;
  }
  state.SetBytesProcessed(state.iterations() * N * K * int64_t(sizeof(W)));
}

void decode_shapes(benchmark::internal::Benchmark* b) {
  b->ArgsProduct({{2304}, {768}, {1, 2}, {0}})      // GPT-2's fused QKV
      ->ArgsProduct({{3072}, {768}, {1, 2}, {0}})   // MLP up
      ->ArgsProduct({{768}, {3072}, {1, 2}, {0}})   // MLP down
      ->ArgsProduct({{50257}, {768}, {1, 2}, {1}})  // the tied LM head, x W^T
      ->ArgNames({"N", "K", "threads", "trans"})
      ->UseRealTime();
}

// Each thread's band of x summed as S bands read side by side, two
// 8-float sums each (GCC's and Clang's vector extension: plain loads and
// adds, whatever -march says).
template <int S>
float sum_streams(const float* x, int64_t n) {
  using v8 = float __attribute__((vector_size(32)));
  const int64_t band = n / S / 16 * 16;
  v8 s[S][2] = {};
  for (int64_t i = 0; i < band; i += 16)
    for (int j = 0; j < S; ++j) {
      v8 a, b;
      std::memcpy(&a, x + j * band + i, sizeof a);
      std::memcpy(&b, x + j * band + i + 8, sizeof b);
      s[j][0] += a, s[j][1] += b;
    }
  float total = 0;
  for (int j = 0; j < S; ++j)
    for (int l = 0; l < 8; ++l) total += s[j][0][l] + s[j][1][l];
  return total;
}

// Args: threads, streams (1 or 4). Each thread sums its part of a 512 MB
// buffer; hardware prefetchers follow several streams faster than one.
void BM_read_bandwidth(benchmark::State& state) {
  const int threads = int(state.range(0));
  const bool four = state.range(1) == 4;
  const int64_t n = (int64_t{512} << 20) / 4;
  std::vector<float> x(static_cast<std::size_t>(n), 1.0f);
  std::vector<float> out(threads);
  auto sum = [&](int t) {
    const float* part = x.data() + t * (n / threads);
    out[t] = four ? sum_streams<4>(part, n / threads) : sum_streams<1>(part, n / threads);
  };
  for (auto _ : state) {
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(sum, t);
    sum(0);
    for (auto& th : pool) th.join();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * n * 4);
}

}  // namespace

BENCHMARK_TEMPLATE(BM_decode_gemv, float)->Apply(decode_shapes);
BENCHMARK_TEMPLATE(BM_decode_gemv, tinylm::bf16)->Apply(decode_shapes);
BENCHMARK(BM_read_bandwidth)->ArgsProduct({{1, 2}, {1, 4}})->ArgNames({"threads", "streams"})->UseRealTime();
BENCHMARK(BM_matmul_fwd)->Apply(shapes);
BENCHMARK(BM_matmul_eigen)->Apply(shapes);
BENCHMARK(BM_matmul_bf16)->Apply(shapes);
BENCHMARK(BM_matmul_amx)->Apply(shapes);
#ifdef TINYLM_BENCH_OPENBLAS
BENCHMARK(BM_openblas_sgemm)->Apply(shapes);
#endif

BENCHMARK_MAIN();
