// lm/beam_search.hpp: greedy and beam search over a scripted model whose
// probabilities are known, and over nn::Seq2Seq, whose hypotheses must
// score what the model gives them when fed whole (which checks the caches
// and their reordering).

#include <cmath>

#include "helpers.hpp"

using tinylm::Tensor;

namespace {

constexpr int32_t kSearchBos = 1, kSearchEos = 2, kTokA = 3, kTokB = 4, kSearchV = 5;

/// Next-token probabilities by history: after "a", the end is unlikely
/// (0.3) and "a" and "b" share the rest; after "b", the end is likely (0.9).
/// First token: "a" 0.6, "b" 0.4. Greedy takes "a" and never ends; the
/// best sequence is "b" then the end (0.4 * 0.9 = 0.36).
struct ScriptedSeq2Seq {
  struct Cache {
    std::vector<std::vector<int32_t>> rows;  // each row's tokens so far (after the start token)
    void reorder(const std::vector<int64_t>& idx) {
      std::vector<std::vector<int32_t>> next;
      for (int64_t i : idx) next.push_back(rows[static_cast<std::size_t>(i)]);
      rows = std::move(next);
    }
  };
  Cache start(const Tensor<int32_t>& sources) const {
    return Cache{std::vector<std::vector<int32_t>>(static_cast<std::size_t>(sources.size(0)))};
  }
  Tensor<float> forward(const Tensor<int32_t>& ids, Cache* cache) const {
    const int64_t K = ids.size(0);
    auto logits = Tensor<float>::full({K, 1, kSearchV}, -1e9f);
    for (int64_t r = 0; r < K; ++r) {
      auto& h = cache->rows[static_cast<std::size_t>(r)];
      const int32_t fed = ids.data()[r];
      if (fed != kSearchBos) h.push_back(fed);
      float* l = logits.data() + r * kSearchV;
      if (h.empty()) {
        l[kTokA] = std::log(0.6f), l[kTokB] = std::log(0.4f);
      } else if (h[0] == kTokA) {
        l[kSearchEos] = std::log(0.3f), l[kTokA] = std::log(0.35f), l[kTokB] = std::log(0.35f);
      } else {
        l[kSearchEos] = std::log(0.9f), l[kTokA] = std::log(0.05f), l[kTokB] = std::log(0.05f);
      }
    }
    return logits;
  }
  int64_t max_length() const { return 4; }  // the start token and three more
};

}  // namespace

TEST_CASE("beam search finds the more probable sequence that greedy search misses") {
  static_assert(tinylm::lm::EncoderDecoderLM<ScriptedSeq2Seq>);
  const ScriptedSeq2Seq model;
  const auto sources = Tensor<int32_t>::zeros({2, 1});
  tinylm::lm::SearchOptions o{.start_id = kSearchBos, .end_id = kSearchEos};
  const auto greedy = tinylm::lm::greedy_search(model, sources, o);
  REQUIRE(greedy.size() == 2);
  CHECK(greedy[0].tokens == std::vector<int32_t>{kTokA, kTokA, kTokA});  // ties go to the smaller id
  CHECK_FALSE(greedy[0].ended);
  CHECK(greedy[0].log_prob == doctest::Approx(std::log(0.6) + 2 * std::log(0.35)).epsilon(1e-6));
  o.beam_width = 2;
  const auto beams = tinylm::lm::beam_search(model, sources, o);
  REQUIRE(beams.size() == 2);
  for (const auto& nbest : beams) {
    REQUIRE(nbest.size() == 2);
    CHECK(nbest[0].tokens == std::vector<int32_t>{kTokB});
    CHECK(nbest[0].ended);
    CHECK(nbest[0].log_prob == doctest::Approx(std::log(0.36)).epsilon(1e-6));
    CHECK(nbest[0].score == doctest::Approx(std::log(0.36) / 2).epsilon(1e-6));  // 2 tokens with the end
    CHECK(nbest[1].score <= nbest[0].score);
  }
  // Width 1 is greedy.
  o.beam_width = 1;
  const auto one = tinylm::lm::beam_search(model, sources, o);
  CHECK(one[0][0].tokens == greedy[0].tokens);
  CHECK(one[0][0].log_prob == doctest::Approx(greedy[0].log_prob).epsilon(1e-12));
  // max_new_tokens caps the output.
  o.max_new_tokens = 1;
  CHECK(tinylm::lm::greedy_search(model, sources, o)[0].tokens == std::vector<int32_t>{kTokA});
}

TEST_CASE("beam search: the length penalty decides between a short and a long hypothesis") {
  // Short: "b" end, log 0.36 over 2 tokens. Long: "a a" end... with
  // length_penalty 0 the sum decides, with a large one the mean per token.
  const ScriptedSeq2Seq model;
  const auto sources = Tensor<int32_t>::zeros({1, 1});
  tinylm::lm::SearchOptions o{.start_id = kSearchBos, .end_id = kSearchEos, .beam_width = 4, .length_penalty = 0.0};
  const auto by_sum = tinylm::lm::beam_search(model, sources, o)[0];
  for (std::size_t i = 1; i < by_sum.size(); ++i) CHECK(by_sum[i].log_prob <= by_sum[0].log_prob);
  CHECK(by_sum[0].tokens == std::vector<int32_t>{kTokB});
  o.length_penalty = 1.0;
  const auto by_mean = tinylm::lm::beam_search(model, sources, o)[0];
  for (const auto& h : by_mean)
    CHECK(h.score == doctest::Approx(h.log_prob / static_cast<double>(h.tokens.size() + (h.ended ? 1 : 0))));
}

namespace {

tinylm::nn::Seq2SeqConfig beam_search_config() {
  return {.src_vocab_size = 12,
          .tgt_vocab_size = 12,
          .max_source_len = 8,
          .max_target_len = 7,
          .n_embd = 16,
          .n_head = 2,
          .n_encoder_layer = 1,
          .n_decoder_layer = 2};
}

/// log p(tokens, then end | source) by one teacher-forced forward pass.
double sequence_log_prob(const tinylm::nn::Seq2Seq<float>& m, const std::vector<int32_t>& src,
                         const tinylm::lm::Hypothesis& h) {
  std::vector<int32_t> in{kSearchBos}, out = h.tokens;
  in.insert(in.end(), h.tokens.begin(), h.tokens.end());
  if (h.ended) out.push_back(kSearchEos);
  else in.pop_back();
  const auto logits = m.decode(Tensor<int32_t>::from_vector(in, {1, static_cast<int64_t>(in.size())}),
                               m.encode(Tensor<int32_t>::from_vector(src, {1, static_cast<int64_t>(src.size())})),
                               tinylm::eq(Tensor<int32_t>::from_vector(src, {1, static_cast<int64_t>(src.size())}), 0));
  const auto logp = tinylm::log_softmax(logits, -1);
  double total = 0;
  for (std::size_t t = 0; t < out.size(); ++t) total += logp.at({0, static_cast<int64_t>(t), out[t]});
  return total;
}

}  // namespace

TEST_CASE("Seq2Seq: beam width 1 equals greedy; every hypothesis scores what the model gives it fed whole") {
  tinylm::nn::Seq2Seq<float> model(beam_search_config(), 5);
  model.eval();
  const std::vector<std::vector<int32_t>> src{{3, 4, 5, 6}, {7, 8}, {9, 10, 11}};
  const auto sources = tinylm::lm::pad_batch(src, 0);
  CHECK(sources.shape() == tinylm::Shape{3, 4});
  tinylm::lm::SearchOptions o{.start_id = kSearchBos, .end_id = kSearchEos, .beam_width = 1};
  const auto greedy = tinylm::lm::greedy_search(model, sources, o);
  const auto one = tinylm::lm::beam_search(model, sources, o);
  for (std::size_t i = 0; i < src.size(); ++i) {
    CHECK(one[i][0].tokens == greedy[i].tokens);
    CHECK(one[i][0].log_prob == doctest::Approx(greedy[i].log_prob).epsilon(1e-9));
    CHECK(greedy[i].log_prob == doctest::Approx(sequence_log_prob(model, src[i], greedy[i])).epsilon(1e-4));
    // Greedy alone, one source at a time, gives the same (no padding leaks).
    const auto alone = tinylm::lm::greedy_search(model, tinylm::lm::pad_batch({src[i]}, 0), o);
    CHECK(alone[0].tokens == greedy[i].tokens);
  }
  o.beam_width = 3;
  const auto beams = tinylm::lm::beam_search(model, sources, o);
  for (std::size_t i = 0; i < src.size(); ++i) {
    REQUIRE(beams[i].size() == 3);
    for (std::size_t k = 0; k < beams[i].size(); ++k) {
      CHECK(beams[i][k].log_prob == doctest::Approx(sequence_log_prob(model, src[i], beams[i][k])).epsilon(1e-4));
      if (k > 0) CHECK(beams[i][k].score <= beams[i][k - 1].score);
    }
  }
  CHECK_THROWS_WITH_AS(tinylm::lm::beam_search(model, sources, {.beam_width = 0}),
                       "beam_search: beam_width must be >= 1, got 0", tinylm::Error);
}
