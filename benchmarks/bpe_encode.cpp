// Encoding throughput of tinylm's GPT-2 BPE on one text file, for
// benchmarks/bpe_compare.sh: prints "tinylm threads N MB/s X tokens T".
//
//   bpe_encode FILE [threads]
// The text is cut into lines-sized documents at newlines (as a batch), the
// way encode_ordinary_batch meets a corpus; one warm-up pass, then the best
// of PASSES timed passes (default 3).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <tinylm/tinylm.hpp>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bpe_encode FILE [threads]\n");
    return 2;
  }
  try {
    const int threads = argc > 2 ? std::stoi(argv[2]) : 1;
    tinylm::set_num_threads(threads);
    const auto tok = tinylm::data::load_bpe(TINYLM_GPT2_DIR);
    const std::string text = tinylm::data::read_text_file(argv[1]);
    std::vector<std::string_view> docs;  // pieces of about 64 KB, cut after a newline
    for (std::size_t at = 0; at < text.size();) {
      std::size_t end = std::min(text.size(), at + (1 << 16));
      while (end < text.size() && text[end - 1] != '\n') ++end;
      docs.emplace_back(text.data() + at, end - at);
      at = end;
    }
    std::size_t tokens = 0;
    double best = 1e30;
    const char* passes_env = std::getenv("PASSES");
    const int passes = passes_env ? std::max(1, std::atoi(passes_env)) : 3;
    for (int pass = 0; pass <= passes; ++pass) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto ids = tok.encode_ordinary_batch(docs);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      tokens = 0;
      for (const auto& d : ids) tokens += d.size();
      if (pass > 0) best = std::min(best, s);
    }
    std::printf("tinylm threads %d MB/s %.2f tokens %zu\n", threads, double(text.size()) / 1e6 / best, tokens);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bpe_encode: %s\n", e.what());
    return 1;
  }
}
