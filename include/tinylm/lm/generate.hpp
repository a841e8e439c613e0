#pragma once
// Generating tokens from any causal language model, a batch of prompts at
// a time.
//
// A model generate() can drive (the CausalLM concept below) has a cache
// type and three calls: make_cache(B), forward(ids (B, t), cache*) giving
// logits (B, t, V) for t positions after those the cache holds (a null
// cache: the whole sequence), and vocab_size() / max_length() (the longest
// context, 0 for none). nn::GPT (KV cache) and nn::LSTMLM (its state)
// implement it; so can a user's own decoder.
//
// A model conditioned on something per prompt (the encoded source of an
// encoder-decoder, an image) offers make_cache(rows) instead: `rows` are
// the indices of the prompts the batch generates for, in batch order, so
// its cache can take those rows of what it is conditioned on. Such a model
// always gets a cache; without use_cache, a fresh one for every step.
//
// With the cache (the default), each new token costs one forward step of
// one position. When a context limit is reached, the window restarts from
// its last max_length / 2 tokens (at least one) (one forward over them refills the cache),
// so long generations stay O(1) per token on average. use_cache = false
// recomputes every step over the same window: the same tokens, and what the
// cache is tested against.
//
// Prompts of equal length run together as one batch; prompts of different
// lengths run as one batch per length (the batch shares positions, and
// attention without a padding mask cannot mix them). A sequence's tokens do
// not depend on the others in its batch: each draws from its own generator
// (seeded from the seed and its index), unless opt.generator is given,
// which all draw from in turn.

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tinylm/autograd/grad_mode.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/core/rng.hpp"
#include "tinylm/lm/sampling.hpp"
#include "tinylm/nn/gpt.hpp"

namespace tinylm::lm {

/// What generate() needs from a model (see the file comment).
template <class M>
concept RowCachedLM = requires(const M& cm, const std::vector<int64_t>& rows) {
  { cm.make_cache(rows) } -> std::same_as<typename M::Cache>;
};

template <class M>
concept CausalLM = requires(M& m, const M& cm, const Tensor<int32_t>& ids, typename M::Cache& cache, int64_t b) {
  requires RowCachedLM<M> || requires {
    { cm.make_cache(b) } -> std::same_as<typename M::Cache>;
  };
  cm.forward(ids, &cache);
  { cm.vocab_size() } -> std::convertible_to<int64_t>;
  { cm.max_length() } -> std::convertible_to<int64_t>;
  cache.clear();
  { cm.is_training() } -> std::convertible_to<bool>;
  m.train(true);
};

enum class FinishReason {
  Length,      // max_new_tokens were generated
  StopToken,   // a stop token came (it is not in the output)
  StopString,  // the decoded output came to contain a stop string
};

struct GenerateOptions {
  int64_t max_new_tokens = 64;
  SamplingOptions sampling;  // temperature (0: greedy), top-k, top-p
  uint64_t seed = 0;
  /// When set, every sequence draws from it in turn instead of from its own generator.
  Generator* generator = nullptr;
  std::vector<int32_t> stop_tokens;
  /// Stop a sequence once decode(its new tokens) contains one of these; needs `decode`.
  std::vector<std::string> stop_strings;
  std::function<std::string(const std::vector<int32_t>&)> decode;
  /// Called with (prompt index, token) for every token added to an output, as it comes.
  std::function<void(int64_t, int32_t)> on_token;
  bool use_cache = true;
};

/// The new tokens of one prompt (the prompt not included) and why they ended.
/// For a stop string, the output runs through the token that completed it.
struct Generation {
  std::vector<int32_t> tokens;
  FinishReason finish = FinishReason::Length;
};

namespace detail {

inline void check_generate(const std::vector<std::vector<int32_t>>& prompts, int64_t V, const GenerateOptions& opt) {
  TINYLM_CHECK(opt.max_new_tokens >= 0, "generate: max_new_tokens must be >= 0, got ", opt.max_new_tokens);
  TINYLM_CHECK(opt.stop_strings.empty() || opt.decode, "generate: stop_strings need a decode function");
  opt.sampling.validate();
  for (std::size_t p = 0; p < prompts.size(); ++p) {
    TINYLM_CHECK(!prompts[p].empty(), "generate: prompt ", p, " is empty; give at least one token");
    for (std::size_t i = 0; i < prompts[p].size(); ++i)
      TINYLM_CHECK(prompts[p][i] >= 0 && prompts[p][i] < V, "generate: prompt ", p, " token ", prompts[p][i],
                   " at position ", i, " is out of range for a vocabulary of ", V);
  }
}

/// True when `text` holds a stop string that ends after its first `old` characters.
inline bool ends_in_stop(const std::string& text, std::size_t old, const std::vector<std::string>& stops) {
  for (const std::string& s : stops) {
    if (s.empty()) continue;
    const std::size_t from = old >= s.size() ? old - s.size() + 1 : 0;
    if (text.find(s, from) != std::string::npos) return true;
  }
  return false;
}

/// Generates for prompts[i], i in `group` (all of one length), as one batch.
template <CausalLM M>
void generate_group(const M& model, const std::vector<std::vector<int32_t>>& prompts, const std::vector<int64_t>& group,
                    const GenerateOptions& opt, std::vector<Generation>& out) {
  const int64_t B = static_cast<int64_t>(group.size()), V = model.vocab_size(), limit = model.max_length();
  const int64_t L = static_cast<int64_t>(prompts[static_cast<std::size_t>(group[0])].size());
  std::vector<std::vector<int32_t>> seq;
  std::vector<Generator> gens;
  std::vector<std::size_t> text_len(static_cast<std::size_t>(B), 0);
  for (int64_t b = 0; b < B; ++b) {
    seq.push_back(prompts[static_cast<std::size_t>(group[b])]);
    gens.emplace_back(opt.seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(group[b]) + 1);
  }
  std::vector<bool> done(static_cast<std::size_t>(B), opt.max_new_tokens == 0);
  auto make_cache = [&] {
    if constexpr (RowCachedLM<M>) return model.make_cache(group);
    else return model.make_cache(B);
  };
  typename M::Cache cache = make_cache();
  const int64_t keep = std::max<int64_t>(1, limit / 2);  // a restarted window's tokens (at least one)
  int64_t window_start = limit > 0 && L > limit ? L - keep : 0;
  int64_t fed = window_start;  // positions already in the cache
  for (int64_t step = 0; step < opt.max_new_tokens; ++step) {
    if (std::all_of(done.begin(), done.end(), [](bool d) { return d; })) break;
    const int64_t end = L + step;
    if (limit > 0 && end - window_start > limit) {  // window full: restart it from its last half
      window_start = end - keep;
      fed = window_start;
      cache.clear();
    }
    const int64_t from = opt.use_cache ? fed : window_start;
    Tensor<int32_t> idx = Tensor<int32_t>::empty({B, end - from});
    for (int64_t b = 0; b < B; ++b) std::copy(seq[b].begin() + from, seq[b].end(), idx.data() + b * (end - from));
    const auto logits = [&] {  // (B, t, V)
      if constexpr (RowCachedLM<M>) {
        if (!opt.use_cache) cache = make_cache();
        return model.forward(idx, &cache);
      } else {
        return model.forward(idx, opt.use_cache ? &cache : nullptr);
      }
    }();
    fed = end;
    const auto last = logits.select(1, -1).to(Device::cpu()).contiguous();  // (B, V), sampled on the host
    for (int64_t b = 0; b < B; ++b) {
      Generation& g = out[static_cast<std::size_t>(group[b])];
      if (done[b]) {  // keeps the batch's length; its output is complete
        seq[b].push_back(seq[b].back());
        continue;
      }
      Generator& gen = opt.generator ? *opt.generator : gens[static_cast<std::size_t>(b)];
      const auto token = static_cast<int32_t>(sample_logits(last.data() + b * V, V, opt.sampling, gen));
      seq[b].push_back(token);
      if (std::find(opt.stop_tokens.begin(), opt.stop_tokens.end(), token) != opt.stop_tokens.end()) {
        g.finish = FinishReason::StopToken;
        done[b] = true;
        continue;
      }
      g.tokens.push_back(token);
      if (opt.on_token) opt.on_token(group[b], token);
      if (!opt.stop_strings.empty()) {
        const std::string text = opt.decode(g.tokens);
        const bool stop = ends_in_stop(text, text_len[b], opt.stop_strings);
        text_len[b] = text.size();
        if (stop) {
          g.finish = FinishReason::StopString;
          done[b] = true;
          continue;
        }
      }
      if (static_cast<int64_t>(g.tokens.size()) == opt.max_new_tokens) done[b] = true;
    }
  }
}

}  // namespace detail

/// Generates up to opt.max_new_tokens after each prompt. The model runs in
/// eval mode (restored afterwards) and records no graph.
template <CausalLM M>
std::vector<Generation> generate(M& model, const std::vector<std::vector<int32_t>>& prompts,
                                 const GenerateOptions& opt = {}) {
  detail::check_generate(prompts, model.vocab_size(), opt);
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.train(false);
  std::vector<Generation> out(prompts.size());
  std::map<std::size_t, std::vector<int64_t>> by_length;
  for (std::size_t p = 0; p < prompts.size(); ++p) by_length[prompts[p].size()].push_back(static_cast<int64_t>(p));
  try {
    for (const auto& [length, group] : by_length) detail::generate_group(model, prompts, group, opt, out);
  } catch (...) {
    model.train(was_training);
    throw;
  }
  model.train(was_training);
  return out;
}

/// One prompt, n tokens from `gen`, no stops: returns the prompt followed
/// by the n new tokens.
template <FloatElement T>
std::vector<int32_t> generate(nn::GPT<T>& model, std::vector<int32_t> tokens, int64_t n, const SamplingOptions& opt,
                              Generator& gen, bool use_cache = true) {
  TINYLM_CHECK(!tokens.empty(), "generate: the prompt is empty; give at least one token");
  TINYLM_CHECK(n >= 0, "generate: number of tokens must be >= 0, got ", n);
  GenerateOptions o;
  o.max_new_tokens = n;
  o.sampling = opt;
  o.generator = &gen;
  o.use_cache = use_cache;
  const auto g = generate(model, {tokens}, o);
  tokens.insert(tokens.end(), g[0].tokens.begin(), g[0].tokens.end());
  return tokens;
}

}  // namespace tinylm::lm

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm::lm {
TINYLM_EXTERN_TEMPLATE std::vector<Generation> generate(nn::GPT<float>&, const std::vector<std::vector<int32_t>>&,
                                                        const GenerateOptions&);
TINYLM_EXTERN_TEMPLATE std::vector<int32_t> generate(nn::GPT<float>&, std::vector<int32_t>, int64_t,
                                                     const SamplingOptions&, Generator&, bool);
}  // namespace tinylm::lm
#endif
