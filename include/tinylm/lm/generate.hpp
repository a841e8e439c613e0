#pragma once
// Generating text from a GPT, one token at a time.
//
// With the KV cache (the default), each new token costs one forward step of
// one position: N tokens cost O(N) steps, not N forwards of the whole
// context. The context is a window of at most block_size tokens; when it is
// full, the window restarts from the last block_size / 2 tokens (one forward
// over them refills the cache), so long generations stay O(1) per token on
// average. use_cache = false recomputes every step over the same window,
// which gives the same tokens and is what the cache is tested against.

#include <cstdint>
#include <vector>

#include "tinylm/autograd/grad_mode.hpp"
#include "tinylm/lm/sampling.hpp"
#include "tinylm/nn/gpt.hpp"

namespace tinylm::lm {

/// Returns prompt followed by n sampled tokens. The model runs in eval mode
/// (restored afterwards) and records no graph.
template <FloatElement T>
std::vector<int32_t> generate(nn::GPT<T>& model, std::vector<int32_t> tokens, int64_t n, const SamplingOptions& opt,
                              Generator& gen, bool use_cache = true) {
  TINYLM_CHECK(!tokens.empty(), "generate: the prompt is empty; give at least one token");
  TINYLM_CHECK(n >= 0, "generate: number of tokens must be >= 0, got ", n);
  opt.validate();
  const int64_t block = model.config().block_size, V = model.config().vocab_size;
  for (std::size_t i = 0; i < tokens.size(); ++i)
    TINYLM_CHECK(tokens[i] >= 0 && tokens[i] < V, "generate: prompt token ", tokens[i], " at position ", i,
                 " is out of range for a vocabulary of ", V);
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  nn::KVCache<T> cache;
  if (use_cache) cache = model.make_cache(1);
  auto window_start =
      static_cast<int64_t>(tokens.size()) > block ? static_cast<int64_t>(tokens.size()) - block / 2 : int64_t{0};
  int64_t fed = window_start;  // tokens already in the cache
  for (int64_t step = 0; step < n; ++step) {
    const auto end = static_cast<int64_t>(tokens.size());
    if (end - window_start > block) {  // window full: restart it from its last half
      window_start = end - block / 2;
      fed = window_start;
      cache.clear();
    }
    const int64_t from = use_cache ? fed : window_start;
    Tensor<int32_t> idx = Tensor<int32_t>::empty({1, end - from});
    std::copy(tokens.begin() + from, tokens.end(), idx.data());
    const Tensor<T> logits = model.forward(idx, use_cache ? &cache : nullptr);  // (1, t, V)
    fed = end;
    const Tensor<T> last = logits.select(1, -1).contiguous();  // (1, V)
    tokens.push_back(static_cast<int32_t>(sample_logits(last.data(), V, opt, gen)));
  }
  model.train(was_training);
  return tokens;
}

}  // namespace tinylm::lm
