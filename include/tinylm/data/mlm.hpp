#pragma once
// The masking collator of masked-language-model pre-training (BERT's rule):
// each ordinary token is chosen with probability mask_prob (15%); a chosen
// token becomes [MASK] with probability mask_replace (80%), a random
// ordinary token with probability random_replace (10%), or stays as it is
// (the rest, 10%), and its label is the original token. Every other label
// is ignore_index, so the loss is taken at the chosen positions only.
// Special tokens (padding, [CLS], [SEP], [MASK] ...) are never chosen and
// never drawn as a random replacement. The draws come from the generator
// given, one token after another in order: the same seed gives the same
// masks.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tinylm/core/error.hpp"
#include "tinylm/core/rng.hpp"
#include "tinylm/core/tensor.hpp"
#include "tinylm/ops/copy.hpp"

namespace tinylm::data {

struct MaskingOptions {
  int64_t vocab_size = 0;
  int32_t mask_id = -1;              // the [MASK] token
  std::vector<int32_t> special_ids;  // never chosen, never a random replacement ([MASK] and padding included)
  double mask_prob = 0.15;           // chance that an ordinary token is chosen
  double mask_replace = 0.8;         // of the chosen: replaced by [MASK]
  double random_replace = 0.1;       // of the chosen: replaced by a random ordinary token; the rest stay
  int32_t ignore_index = -100;       // the label of every position not chosen
};

struct MaskedBatch {
  Tensor<int32_t> inputs;  // ids with the chosen tokens replaced
  Tensor<int32_t> labels;  // the original token where chosen, ignore_index elsewhere
  int64_t chosen = 0;
};

/// Chooses and replaces tokens of ids (any shape) as the file comment says.
inline MaskedBatch mask_tokens(const Tensor<int32_t>& ids, const MaskingOptions& o, Generator& gen) {
  TINYLM_CHECK(o.vocab_size > 0, "mask_tokens: vocab_size must be positive, got ", o.vocab_size);
  TINYLM_CHECK(o.mask_id >= 0 && o.mask_id < o.vocab_size, "mask_tokens: mask_id ", o.mask_id,
               " is not a token of the vocabulary of ", o.vocab_size);
  TINYLM_CHECK(o.mask_prob >= 0 && o.mask_prob <= 1 && o.mask_replace >= 0 && o.random_replace >= 0 &&
                   o.mask_replace + o.random_replace <= 1 + 1e-12,
               "mask_tokens: probabilities must be in [0, 1] with mask_replace + random_replace <= 1, got mask_prob ",
               o.mask_prob, ", mask_replace ", o.mask_replace, ", random_replace ", o.random_replace);
  std::vector<uint8_t> special(static_cast<std::size_t>(o.vocab_size), 0);
  for (int32_t s : o.special_ids) {
    TINYLM_CHECK(s >= 0 && s < o.vocab_size, "mask_tokens: special id ", s, " is not a token of the vocabulary of ",
                 o.vocab_size);
    special[static_cast<std::size_t>(s)] = 1;
  }
  special[static_cast<std::size_t>(o.mask_id)] = 1;
  std::vector<int32_t> ordinary;  // what a random replacement may be
  for (int32_t v = 0; v < o.vocab_size; ++v)
    if (!special[static_cast<std::size_t>(v)]) ordinary.push_back(v);
  TINYLM_CHECK(!ordinary.empty() || o.random_replace == 0,
               "mask_tokens: every token is special, so there is no random replacement to draw");
  MaskedBatch out;
  out.inputs = ids.contiguous().clone();
  out.labels = Tensor<int32_t>::full(ids.shape(), o.ignore_index);
  int32_t* in = out.inputs.data();
  int32_t* lab = out.labels.data();
  for (int64_t i = 0; i < out.inputs.numel(); ++i) {
    const int32_t t = in[i];
    TINYLM_CHECK(t >= 0 && t < o.vocab_size, "mask_tokens: id ", t, " at position ", i,
                 " is out of range for the vocabulary of ", o.vocab_size);
    if (special[static_cast<std::size_t>(t)] || gen.uniform() >= o.mask_prob) continue;
    ++out.chosen;
    lab[i] = t;
    const double u = gen.uniform();
    if (u < o.mask_replace) in[i] = o.mask_id;
    else if (u < o.mask_replace + o.random_replace)
      in[i] = ordinary[static_cast<std::size_t>(gen.below(ordinary.size()))];
  }
  return out;
}

}  // namespace tinylm::data
