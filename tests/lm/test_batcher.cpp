// Continuous batching: GPT::forward_rows gives each row what it gets alone,
// and Batcher's sequences are the ones generate() writes for each prompt on
// its own, whatever shares their steps, with every way a sequence ends.

#include "helpers.hpp"

namespace {

using tinylm::lm::BatchRequest;
using tinylm::lm::StreamEnd;

const tinylm::nn::GPTConfig kBatcherConfig{23, 40, 2, 2, 16, 0.0};  // V 23, context 40

std::vector<int32_t> prompt_of(int64_t length, int32_t salt) {
  std::vector<int32_t> p;
  for (int64_t i = 0; i < length; ++i) p.push_back(static_cast<int32_t>((i * 7 + salt * 3) % 23));
  return p;
}

/// The model's own generate() for one prompt alone.
std::vector<int32_t> alone(tinylm::nn::GPT<float>& m, const std::vector<int32_t>& prompt, int64_t n,
                           double temperature = 0, uint64_t seed = 0) {
  tinylm::lm::GenerateOptions o;
  o.max_new_tokens = n;
  o.sampling.temperature = temperature;
  tinylm::Generator gen(seed);
  o.generator = &gen;
  return tinylm::lm::generate(m, {prompt}, o)[0].tokens;
}

struct Outcome {
  std::vector<int32_t> tokens;
  StreamEnd end = StreamEnd::Cancelled;
  int64_t written = -1;
  int ends = 0;
};

BatchRequest request(Outcome& o, const std::vector<int32_t>& prompt, int64_t n) {
  BatchRequest r;
  r.prompt = prompt;
  r.max_new_tokens = n;
  r.sampling.temperature = 0;
  r.on_token = [&o](int32_t t) { o.tokens.push_back(t); };
  r.on_end = [&o](StreamEnd e, int64_t w) {
    o.end = e;
    o.written = w;
    ++o.ends;
  };
  return r;
}

void drain(tinylm::lm::Batcher<float>& b) {
  for (int i = 0; i < 10000 && !b.idle(); ++i) b.step();
  REQUIRE(b.idle());
}

}  // namespace

TEST_CASE("GPT::forward_rows: each row's logits are those of decoding it alone") {
  tinylm::nn::GPT<float> m(kBatcherConfig, 5);
  m.train(false);
  tinylm::NoGradGuard no_grad;
  const std::vector<int64_t> lengths{1, 9, 4, 17};
  std::vector<tinylm::nn::KVCache<float>> batched, single;
  std::vector<int32_t> next;
  for (std::size_t r = 0; r < lengths.size(); ++r) {
    const auto p = prompt_of(lengths[r], static_cast<int32_t>(r));
    for (auto* caches : {&batched, &single}) {
      caches->push_back(m.make_cache(1));
      m.forward(tinylm::Tensor<int32_t>::from_vector(p, {1, lengths[r]}), &caches->back());
    }
    next.push_back(static_cast<int32_t>(r * 5 + 2));
  }
  std::vector<tinylm::nn::KVCache<float>*> ptrs;
  for (auto& c : batched) ptrs.push_back(&c);
  for (int round = 0; round < 3; ++round) {  // three steps: the caches grow row by row
    const auto rows = m.forward_rows(next, ptrs);
    REQUIRE(rows.shape() == tinylm::Shape{4, 23});
    for (std::size_t r = 0; r < lengths.size(); ++r) {
      const auto one = m.forward(tinylm::Tensor<int32_t>::from_vector({next[r]}, {1, 1}), &single[r]).reshape({23});
      CHECK(batched[r].length() == lengths[r] + round + 1);
      th::check_close(rows.select(0, static_cast<int64_t>(r)).to_vector(), one.to_vector(), 1e-5);
    }
    for (auto& t : next) t = static_cast<int32_t>((t + 3) % 23);
  }
}

TEST_CASE("GPT::forward_rows: bad rows are refused") {
  tinylm::nn::GPT<float> m(kBatcherConfig, 5);
  m.train(false);
  auto c = m.make_cache(1);
  auto wide = m.make_cache(2);
  CHECK_THROWS_WITH_AS(m.forward_rows({1, 2}, {&c}), doctest::Contains("one cache per token"), tinylm::Error);
  CHECK_THROWS_WITH_AS(m.forward_rows({23}, {&c}), doctest::Contains("outside the vocabulary"), tinylm::Error);
  CHECK_THROWS_WITH_AS(m.forward_rows({1}, {&wide}), doctest::Contains("batch 1"), tinylm::Error);
  m.forward(tinylm::Tensor<int32_t>::from_vector(prompt_of(40, 1), {1, 40}), &c);
  CHECK_THROWS_WITH_AS(m.forward_rows({1}, {&c}), doctest::Contains("is full"), tinylm::Error);
}

TEST_CASE("Batcher: sequences admitted at different steps are the ones generate() writes alone") {
  tinylm::nn::GPT<float> m(kBatcherConfig, 5);
  m.train(false);
  tinylm::lm::Batcher<float> b(m, 3);
  const std::vector<int64_t> lengths{5, 1, 12, 7, 3, 20}, wanted{9, 14, 4, 11, 8, 6};
  std::vector<Outcome> out(lengths.size());
  int64_t most_active = 0;
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    b.submit(request(out[i], prompt_of(lengths[i], static_cast<int32_t>(i)), wanted[i]));
    b.step();  // one request arrives per step: admissions land between others' tokens
    most_active = std::max(most_active, b.active());
  }
  CHECK(b.queued() > 0);  // more came than the three slots take
  drain(b);
  CHECK(most_active == 3);
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    INFO("request ", i);
    CHECK(out[i].tokens == alone(m, prompt_of(lengths[i], static_cast<int32_t>(i)), wanted[i]));
    CHECK(out[i].end == StreamEnd::Length);
    CHECK(out[i].written == wanted[i]);
    CHECK(out[i].ends == 1);
  }
}

TEST_CASE("Batcher: a sampled sequence draws from its own generator, whatever shares its steps") {
  tinylm::nn::GPT<float> m(kBatcherConfig, 5);
  m.train(false);
  const auto p = prompt_of(6, 4);
  Outcome solo, crowded;
  std::vector<Outcome> others(3);
  auto sampled = [&](Outcome& o) {
    auto r = request(o, p, 12);
    r.sampling.temperature = 1.0;
    r.seed = 77;
    return r;
  };
  {
    tinylm::lm::Batcher<float> b(m, 4);
    b.submit(sampled(solo));
    drain(b);
  }
  {
    tinylm::lm::Batcher<float> b(m, 4);
    for (std::size_t i = 0; i < others.size(); ++i) {
      auto r = request(others[i], prompt_of(3 + static_cast<int64_t>(i), 9), 12);
      r.sampling.temperature = 1.0;
      r.seed = i;
      b.submit(std::move(r));
    }
    b.step();
    b.submit(sampled(crowded));
    drain(b);
  }
  CHECK(solo.tokens.size() == 12);
  CHECK(crowded.tokens == solo.tokens);
  CHECK(solo.tokens == alone(m, p, 12, 1.0, 77));
}

TEST_CASE("Batcher: a sequence ends at a stop token, at a full context, or when cancelled") {
  tinylm::nn::GPT<float> m(kBatcherConfig, 5);
  m.train(false);
  const auto p = prompt_of(8, 2);
  const auto free_run = alone(m, p, 30);
  tinylm::lm::Batcher<float> b(m, 4);

  Outcome stopped, full, cancelled, never;
  auto r = request(stopped, p, 30);
  r.stop_tokens = {free_run[4]};
  b.submit(std::move(r));
  b.submit(request(full, prompt_of(35, 3), 30));  // 5 positions left, and the prompt's own next token
  auto c = request(cancelled, p, 30);
  c.cancelled = [&cancelled] { return cancelled.tokens.size() >= 3; };
  b.submit(std::move(c));
  auto n = request(never, p, 30);
  n.cancelled = [] { return true; };
  b.submit(std::move(n));
  drain(b);

  const auto first_stop = std::find(free_run.begin(), free_run.end(), free_run[4]) - free_run.begin();
  CHECK(stopped.end == StreamEnd::StopToken);
  CHECK(stopped.tokens == std::vector<int32_t>(free_run.begin(), free_run.begin() + first_stop));
  CHECK(stopped.written == first_stop);
  CHECK(full.end == StreamEnd::Length);
  CHECK(full.written == 40 - 35 + 1);  // the last token is delivered, never fed
  CHECK(full.tokens == alone(m, prompt_of(35, 3), 6));
  CHECK(cancelled.end == StreamEnd::Cancelled);
  CHECK(cancelled.tokens == std::vector<int32_t>(free_run.begin(), free_run.begin() + 3));
  CHECK(never.end == StreamEnd::Cancelled);
  CHECK(never.written == 0);
  CHECK(never.tokens.empty());
  for (const auto* o : {&stopped, &full, &cancelled, &never}) CHECK(o->ends == 1);
}

TEST_CASE("Batcher: a bad request is refused and nothing is queued") {
  tinylm::nn::GPT<float> m(kBatcherConfig, 5);
  m.train(false);
  tinylm::lm::Batcher<float> b(m, 2);
  Outcome o;
  auto bad = [&](auto edit) {
    auto r = request(o, prompt_of(4, 1), 5);
    edit(r);
    return r;
  };
  CHECK_THROWS_WITH_AS(b.submit(bad([](BatchRequest& r) { r.prompt.clear(); })), doctest::Contains("empty"),
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(b.submit(bad([](BatchRequest& r) { r.prompt = prompt_of(41, 1); })),
                       doctest::Contains("the model's context is 40"), tinylm::Error);
  CHECK_THROWS_WITH_AS(b.submit(bad([](BatchRequest& r) { r.prompt[2] = 23; })),
                       doctest::Contains("outside the vocabulary"), tinylm::Error);
  CHECK_THROWS_WITH_AS(b.submit(bad([](BatchRequest& r) { r.max_new_tokens = 0; })),
                       doctest::Contains("max_new_tokens"), tinylm::Error);
  CHECK_THROWS_WITH_AS(b.submit(bad([](BatchRequest& r) { r.sampling.temperature = -1; })),
                       doctest::Contains("temperature"), tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::lm::Batcher<float>(m, 0), doctest::Contains("max_batch"), tinylm::Error);
  CHECK(b.idle());
  CHECK(b.queued() == 0);
  CHECK(o.ends == 0);
}
