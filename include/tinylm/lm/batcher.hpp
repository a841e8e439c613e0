#pragma once
// Continuous batching: many generations at once, each its own request,
// sharing every decode step (lm::Batcher).
//
// A server gets requests at any time, with prompts of any length, each
// wanting its own number of tokens. Batcher keeps up to max_batch of them
// active, each in a slot with a KV cache of its own. step() first admits
// queued requests into free slots in the order they came (prefilling each
// prompt alone and sampling its first token), then decodes one token for
// every active sequence in one batched forward (GPT::forward_rows): the
// weights are read once per step for all of them, not once per sequence.
// A sequence ends at a stop token, at max_new_tokens, when the context is
// full, or when its request is cancelled; its slot takes the next request
// at the next step.
//
// A request's tokens do not depend on what else shares its steps: it
// draws from a generator of its own (seeded from its seed), and a row of a
// batched step gets the logits it would get alone (tested).
//
// Batcher is not thread-safe: one thread calls submit() and step(). A
// server puts a locked queue in front of it (examples/serve.cpp).
//
// ```cpp
// #include <tinylm/lm/batcher.hpp>
//
// int main() {
//   tinylm::nn::GPT<float> model({16, 32, 1, 2, 8, 0.0}, /*seed*/ 1);  // untrained
//   tinylm::lm::Batcher batcher(model, /*max_batch*/ 4);
//   std::vector<std::vector<int32_t>> out(3);
//   for (int i = 0; i < 3; ++i) {
//     tinylm::lm::BatchRequest r;
//     r.prompt = std::vector<int32_t>(static_cast<std::size_t>(i + 1), 5);  // lengths 1, 2, 3
//     r.max_new_tokens = 6;
//     r.sampling.temperature = 0;
//     r.on_token = [&out, i](int32_t t) { out[static_cast<std::size_t>(i)].push_back(t); };
//     batcher.submit(std::move(r));
//   }
//   while (!batcher.idle()) batcher.step();
//   return out[0].size() == 6 && out[2].size() == 6 ? 0 : 1;
// }
// ```

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "tinylm/autograd/grad_mode.hpp"
#include "tinylm/core/rng.hpp"
#include "tinylm/lm/sampling.hpp"
#include "tinylm/nn/gpt.hpp"

namespace tinylm::lm {

/// Why a batched sequence ended.
enum class StreamEnd {
  StopToken,  // it sampled one of its stop tokens (not delivered)
  Length,     // max_new_tokens were written, or the context is full
  Cancelled,  // its cancelled() said so
};

struct BatchRequest {
  std::vector<int32_t> prompt;  // at least one token, at most the model's context
  int64_t max_new_tokens = 64;
  SamplingOptions sampling;
  uint64_t seed = 0;
  std::vector<int32_t> stop_tokens;
  /// Each new token as it is sampled (a stop token is not delivered).
  std::function<void(int32_t)> on_token;
  /// Once, when the sequence ends: why, and how many tokens it wrote.
  std::function<void(StreamEnd, int64_t)> on_end;
  /// Asked before the request is admitted and before each of its steps; true ends it.
  std::function<bool()> cancelled;
};

template <FloatElement Float>
class Batcher {
 public:
  /// The model is put in eval mode.
  Batcher(nn::GPT<Float>& model, int64_t max_batch) : model_(model), max_batch_(max_batch) {
    TINYLM_CHECK(max_batch > 0, "Batcher: max_batch must be positive, got ", max_batch);
    model_.train(false);
  }

  /// Queues a request; a later step() admits it. A bad request (empty or
  /// too long a prompt, a token outside the vocabulary, max_new_tokens < 1,
  /// bad sampling options) throws and queues nothing.
  void submit(BatchRequest r) {
    const int64_t L = static_cast<int64_t>(r.prompt.size()), limit = model_.max_length();
    TINYLM_CHECK(L > 0, "Batcher: the prompt is empty");
    TINYLM_CHECK(L <= limit, "Batcher: the prompt has ", L, " tokens; the model's context is ", limit);
    for (int32_t t : r.prompt)
      TINYLM_CHECK(t >= 0 && t < model_.vocab_size(), "Batcher: prompt token ", t, " is outside the vocabulary of ",
                   model_.vocab_size());
    TINYLM_CHECK(r.max_new_tokens > 0, "Batcher: max_new_tokens must be positive, got ", r.max_new_tokens);
    r.sampling.validate();
    queue_.push_back(std::move(r));
  }

  /// Admits what fits, then decodes one token for every active sequence.
  /// Returns the number of tokens this step wrote.
  int64_t step() {
    NoGradGuard no_grad;
    int64_t written = 0;
    while (!queue_.empty() && active() < max_batch_) written += admit();
    std::vector<int32_t> tokens;
    std::vector<nn::KVCache<Float>*> caches;
    std::vector<Slot*> rows;
    for (auto& s : slots_) {
      if (!s.busy) continue;
      if (s.req.cancelled && s.req.cancelled()) {
        end(s, StreamEnd::Cancelled);
        continue;
      }
      tokens.push_back(s.next);
      caches.push_back(&s.cache);
      rows.push_back(&s);
    }
    if (rows.empty()) return written;
    const Tensor<Float> logits = model_.forward_rows(tokens, caches).contiguous();  // (K, V)
    const int64_t V = model_.vocab_size();
    for (std::size_t r = 0; r < rows.size(); ++r)
      written += take(*rows[r], logits.data() + static_cast<int64_t>(r) * V);
    ++steps_;
    return written;
  }

  bool idle() const { return queue_.empty() && active() == 0; }
  int64_t queued() const { return static_cast<int64_t>(queue_.size()); }
  int64_t active() const {
    int64_t n = 0;
    for (const auto& s : slots_) n += s.busy;
    return n;
  }
  int64_t max_batch() const { return max_batch_; }
  /// Batched decode steps run so far.
  int64_t steps() const { return steps_; }

 private:
  struct Slot {
    BatchRequest req;
    nn::KVCache<Float> cache;
    Generator gen{0};
    int32_t next = 0;  // sampled and delivered, not yet fed
    int64_t written = 0;
    bool busy = false;
  };

  /// Starts the oldest queued request in a free slot: prefills its prompt
  /// and takes its first token. Returns the tokens written (0 or 1).
  int64_t admit() {
    BatchRequest r = std::move(queue_.front());
    queue_.pop_front();
    Slot* s = nullptr;
    for (auto& slot : slots_)
      if (!slot.busy) s = &slot;
    if (!s) s = &slots_.emplace_back(Slot{{}, model_.make_cache(1), Generator(0), 0, 0, false});
    s->req = std::move(r);
    s->cache.clear();
    s->gen = Generator(s->req.seed);
    s->written = 0;
    s->busy = true;
    if (s->req.cancelled && s->req.cancelled()) {
      end(*s, StreamEnd::Cancelled);
      return 0;
    }
    const auto L = static_cast<int64_t>(s->req.prompt.size());
    Tensor<int32_t> idx = Tensor<int32_t>::empty({1, L});
    std::copy(s->req.prompt.begin(), s->req.prompt.end(), idx.data());
    const Tensor<Float> last = model_.forward(idx, &s->cache).select(1, -1).contiguous();  // (1, V)
    return take(*s, last.data());
  }

  /// Samples the slot's next token from its logits [V], delivers it, and
  /// ends the sequence when it should. Returns the tokens written (0 or 1).
  int64_t take(Slot& s, const Float* logits) {
    const auto token = static_cast<int32_t>(sample_logits(logits, model_.vocab_size(), s.req.sampling, s.gen));
    const auto& stops = s.req.stop_tokens;
    if (std::find(stops.begin(), stops.end(), token) != stops.end()) {
      end(s, StreamEnd::StopToken);
      return 0;
    }
    ++s.written;
    s.next = token;
    if (s.req.on_token) s.req.on_token(token);
    if (s.written == s.req.max_new_tokens || s.cache.length() >= model_.max_length()) end(s, StreamEnd::Length);
    return 1;
  }

  void end(Slot& s, StreamEnd why) {
    s.busy = false;
    auto on_end = std::move(s.req.on_end);
    const int64_t written = s.written;
    s.req = BatchRequest{};  // drop the callbacks (and what they hold) now
    if (on_end) on_end(why, written);
  }

  nn::GPT<Float>& model_;
  int64_t max_batch_;
  std::deque<BatchRequest> queue_;
  std::deque<Slot> slots_;  // a deque: slots stay where they are as more are made
  int64_t steps_ = 0;
};

}  // namespace tinylm::lm
