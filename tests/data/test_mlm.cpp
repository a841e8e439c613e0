// The masking collator: BERT's 15% / 80-10-10 rule, on degenerate settings
// exactly and on many draws statistically; special tokens never chosen and
// never drawn.

#include <cmath>

#include "helpers.hpp"

using tinylm::Tensor;

namespace {

constexpr int32_t kPad = 0, kCls = 1, kSep = 2, kMask = 3;
constexpr int64_t kVocab = 20;  // 4..19 are ordinary

tinylm::data::MaskingOptions options(double p, double mask, double random) {
  return {.vocab_size = kVocab,
          .mask_id = kMask,
          .special_ids = {kPad, kCls, kSep},
          .mask_prob = p,
          .mask_replace = mask,
          .random_replace = random};
}

/// B rows of [CLS] w... [SEP] padding.
Tensor<int32_t> sentences(int64_t B, int64_t T, tinylm::Generator& gen) {
  auto ids = Tensor<int32_t>::full({B, T}, kPad);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t n = 3 + static_cast<int64_t>(gen.below(static_cast<uint64_t>(T - 2)));
    ids.at({b, 0}) = kCls;
    for (int64_t t = 1; t + 1 < n; ++t) ids.at({b, t}) = 4 + static_cast<int32_t>(gen.below(16));
    ids.at({b, n - 1}) = kSep;
  }
  return ids;
}

bool special(int32_t t) { return t == kPad || t == kCls || t == kSep || t == kMask; }

}  // namespace

TEST_CASE("mask_tokens on degenerate settings: all chosen and all [MASK], all random, none") {
  tinylm::Generator gen(1);
  const auto ids = sentences(6, 12, gen);
  const auto all_mask = tinylm::data::mask_tokens(ids, options(1.0, 1.0, 0.0), gen);
  int64_t ordinary = 0;
  for (int64_t i = 0; i < ids.numel(); ++i) {
    const int32_t t = ids.data()[i];
    if (special(t)) {
      CHECK(all_mask.inputs.data()[i] == t);  // specials stay, never a target
      CHECK(all_mask.labels.data()[i] == -100);
    } else {
      ++ordinary;
      CHECK(all_mask.inputs.data()[i] == kMask);
      CHECK(all_mask.labels.data()[i] == t);
    }
  }
  CHECK(all_mask.chosen == ordinary);
  const auto all_random = tinylm::data::mask_tokens(ids, options(1.0, 0.0, 1.0), gen);
  int64_t changed = 0;
  for (int64_t i = 0; i < ids.numel(); ++i) {
    const int32_t t = ids.data()[i], x = all_random.inputs.data()[i];
    if (special(t)) CHECK(x == t);
    else CHECK_FALSE(special(x));  // a random replacement is never a special token
    changed += x != t;
  }
  CHECK(changed > ordinary / 2);
  const auto none = tinylm::data::mask_tokens(ids, options(0.0, 0.8, 0.1), gen);
  CHECK(none.chosen == 0);
  CHECK(none.inputs.to_vector() == ids.to_vector());
  for (int32_t l : none.labels.to_vector()) CHECK(l == -100);
  // The same seed gives the same masks.
  tinylm::Generator a(7), b(7);
  CHECK(tinylm::data::mask_tokens(ids, options(0.15, 0.8, 0.1), a).inputs.to_vector() ==
        tinylm::data::mask_tokens(ids, options(0.15, 0.8, 0.1), b).inputs.to_vector());
}

TEST_CASE("mask_tokens over many draws: 15% chosen, then 80% [MASK], 10% random, 10% kept") {
  tinylm::Generator gen(2);
  const auto ids = sentences(400, 50, gen);
  int64_t ordinary = 0, chosen = 0, masked = 0, kept = 0, replaced = 0;
  const auto m = tinylm::data::mask_tokens(ids, options(0.15, 0.8, 0.1), gen);
  for (int64_t i = 0; i < ids.numel(); ++i) {
    const int32_t t = ids.data()[i], x = m.inputs.data()[i], l = m.labels.data()[i];
    if (special(t)) {
      CHECK(l == -100);
      continue;
    }
    ++ordinary;
    if (l == -100) {
      CHECK(x == t);
      continue;
    }
    ++chosen;
    CHECK(l == t);
    masked += x == kMask;
    kept += x == t;
    replaced += x != kMask && x != t;
  }
  CHECK(chosen == m.chosen);
  REQUIRE(ordinary > 8000);
  // Binomial standard deviations: about 0.4% of the tokens, 1.1% and 0.8% of the chosen.
  const double p = double(chosen) / double(ordinary);
  CHECK(std::abs(p - 0.15) < 0.015);
  const double c = double(chosen);
  CHECK(std::abs(masked / c - 0.8) < 0.04);
  // A random draw is the original token 1 time in 16 (16 ordinary tokens).
  CHECK(std::abs(replaced / c - 0.1 * 15.0 / 16.0) < 0.03);
  CHECK(std::abs(kept / c - (0.1 + 0.1 / 16.0)) < 0.03);
}

TEST_CASE("mask_tokens errors name the setting") {
  tinylm::Generator gen(3);
  const auto ids = Tensor<int32_t>::from_vector({1, 5, 2}, {1, 3});
  auto o = options(0.15, 0.9, 0.2);
  CHECK_THROWS_WITH_AS(tinylm::data::mask_tokens(ids, o, gen),
                       "mask_tokens: probabilities must be in [0, 1] with mask_replace + random_replace <= 1, got "
                       "mask_prob 0.15, mask_replace 0.9, random_replace 0.2",
                       tinylm::Error);
  o = options(0.15, 0.8, 0.1);
  o.mask_id = 20;
  CHECK_THROWS_WITH_AS(tinylm::data::mask_tokens(ids, o, gen),
                       "mask_tokens: mask_id 20 is not a token of the vocabulary of 20", tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::data::mask_tokens(Tensor<int32_t>::from_vector({1, 25}), options(0.15, 0.8, 0.1), gen),
                       "mask_tokens: id 25 at position 1 is out of range for the vocabulary of 20", tinylm::Error);
}
