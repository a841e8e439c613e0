// Whole-step benchmark: tokens/s of a GPT training step (forward, backward,
// gradient clipping, AdamW) or of KV-cache generation, timed the same way as
// benchmarks/pytorch_gpt.py so the two can be compared in one run
// (benchmarks/compare_pytorch.sh does that).
//
//   gpt_step --n-layer 6 --n-head 6 --n-embd 384 --block-size 256 --batch-size 8 --threads 2
//   gpt_step ... --device cuda      on a GPU (a build with -DTINYLM_CUDA=ON); each step's time
//                                   ends when the device has finished it
//   gpt_step ... --precision bf16   matrix products in bf16 (core/precision.hpp)
//   gpt_step --mode generate --weights bf16
//                                   generation reading bf16 copies of the weights
//                                   (nn/bf16_weights.hpp)
//
// Prints one line: `tokens_per_s <median> peak_rss_mib <MiB>`; in generate
// mode also, on stderr, the bytes of weights each token reads (every
// parameter but the position table, of which it reads one row) and at what
// rate, to set beside bench_gemm's BM_read_bandwidth.

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <vector>

#include <tinylm/tinylm.hpp>

#include "../examples/flags.hpp"

int main(int argc, char** argv) {
  int64_t n_layer = 6, n_head = 6, n_embd = 384, block = 256, batch = 8, vocab = 65, steps = 10, warmup = 3,
          threads = 2;
  std::string mode = "train", device_name = "cpu", precision = "fp32", weights = "fp32";
  examples::Flags f("gpt_step", "Times GPT training steps or KV-cache generation.");
  f.add("n-layer", &n_layer, "blocks");
  f.add("n-head", &n_head, "heads");
  f.add("n-embd", &n_embd, "width");
  f.add("block-size", &block, "context length");
  f.add("batch-size", &batch, "sequences per step");
  f.add("vocab-size", &vocab, "vocabulary");
  f.add("steps", &steps, "timed steps (or generations)");
  f.add("warmup", &warmup, "untimed steps first");
  f.add("threads", &threads, "CPU threads");
  f.add("mode", &mode, "train or generate");
  f.add("device", &device_name, "cpu, cuda or cuda:N");
  f.add("precision", &precision, "what float32 matrix products may compute in: fp32, tf32 or bf16");
  f.add("weights", &weights, "the weights generation reads: fp32, or bf16 copies (generate mode)");
  try {
    if (!f.parse(argc, argv)) return 0;
    tinylm::set_num_threads(static_cast<int>(threads));
    const tinylm::Device device = tinylm::Device::parse(device_name);
    tinylm::cuda::check_device(device, "--device");
    const tinylm::MatmulPrecision p = tinylm::parse_matmul_precision(precision);
    TINYLM_CHECK(tinylm::matmul_precision_supported(device, p), "--precision ", precision, " does not run on ", device,
                 " here (CPU features: ", tinylm::cpu_features().str(), ")");
    tinylm::set_matmul_precision(p);
    if (weights != "fp32" && weights != "bf16") throw examples::UsageError("--weights must be fp32 or bf16");
    if (weights == "bf16" && mode != "generate") throw examples::UsageError("--weights bf16 is for --mode generate");
    auto finish = [&] {  // waits for the device's queued work, so that a step's time is all of it
#ifdef TINYLM_CUDA
      if (device.is_cuda()) tinylm::cuda::synchronize(device.index());
#endif
    };
    tinylm::nn::GPT<float> model({vocab, block, n_layer, n_head, n_embd, 0.0}, 1);
    model.to(device);
    tinylm::Generator gen(2);
    std::vector<double> times;
    using Clock = std::chrono::steady_clock;
    double tokens = 0;
    if (mode == "train") {
      tinylm::optim::AdamW<float> opt(tinylm::optim::decay_groups(model.named_parameters(), 1e-3, 0.1),
                                      {1e-3, 0.9, 0.95, 1e-8, 0.1});
      tokens = double(batch * block);
      for (int64_t s = 0; s < warmup + steps; ++s) {
        const auto x = tinylm::Tensor<int32_t>::randint(0, vocab, {batch, block}, gen).to(device);
        const auto y = tinylm::Tensor<int32_t>::randint(0, vocab, {batch, block}, gen).to(device);
        finish();
        const auto t0 = Clock::now();
        const auto loss = model.forward(x, y).loss;
        opt.zero_grad();
        loss.backward();
        tinylm::optim::clip_grad_norm(model.parameters(), 1.0);
        opt.step();
        finish();
        if (s >= warmup) times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
      }
    } else if (mode == "generate") {
      std::optional<tinylm::nn::Bf16Weights> bf16;
      if (weights == "bf16") bf16.emplace(model);
      tokens = double(block - 1);
      for (int64_t s = 0; s < warmup + steps; ++s) {
        const auto t0 = Clock::now();
        tinylm::lm::generate(model, {0}, block - 1, {1.0, 0, 1.0}, gen);
        if (s >= warmup) times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
      }
    } else {
      throw examples::UsageError("--mode must be train or generate");
    }
    std::nth_element(times.begin(), times.begin() + long(times.size() / 2), times.end());
    if (mode == "generate") {
      double bytes = 0;
      for (const auto& p : model.named_parameters())  // bf16 copies of the matrices, two bytes a weight
        if (p.name != "transformer.wpe.weight")
          bytes += double(p.tensor.numel()) * (weights == "bf16" && p.tensor.dim() == 2 ? 2 : 4);
      std::fprintf(stderr, "gpt_step: %.1f MB of weights read per token, %.1f GB/s\n", bytes / 1e6,
                   bytes * (tokens / times[times.size() / 2]) / 1e9);
    }
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    std::printf("tokens_per_s %.1f peak_rss_mib %.0f\n", tokens / times[times.size() / 2], double(ru.ru_maxrss) / 1024);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpt_step: %s\n", e.what());
    return 1;
  }
}
