#pragma once
// Supervised fine-tuning rows: rendered conversations (lm/chat.hpp) packed
// into fixed-length rows for next-token training.
//
// Each row holds T + 1 tokens (T inputs and T shifted targets). Rows are
// BOS-aligned: every conversation starts at its own <|bos|>, and rows are
// filled best-fit, longest conversation first, into the row with the least
// room that still holds it, so no conversation is ever cut between rows.
// A conversation longer than a row is truncated after its last assistant
// turn that fits, never inside one; one whose first assistant turn does not
// fit is dropped; both are counted. Targets are ignore_index wherever the
// mask is 0 (the user's and system's text, the template's role tokens, each
// conversation's <|bos|>) and on the padding at a row's end. Attention
// within a row runs across the conversations packed into it, as in
// GPT-style packed pre-training; each starts at <|bos|>.

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <vector>

#include "tinylm/core/error.hpp"
#include "tinylm/core/tensor.hpp"
#include "tinylm/lm/chat.hpp"

namespace tinylm::lm {

struct SftRows {
  int64_t rows = 0, T = 0;
  std::vector<int32_t> inputs;   // rows x T
  std::vector<int32_t> targets;  // rows x T, ignore_index where nothing is learned
  int64_t conversations = 0;     // packed (whole or truncated)
  int64_t truncated = 0;         // cut after an earlier assistant turn to fit a row
  int64_t dropped = 0;           // not even the first assistant turn fits a row

  /// How many targets of row r are trained on.
  int64_t trainable(int64_t r, int32_t ignore_index = -100) const {
    TINYLM_CHECK(r >= 0 && r < rows, "SftRows::trainable: row ", r, " of ", rows);
    const auto b = targets.begin() + r * T;
    return static_cast<int64_t>(T - std::count(b, b + T, ignore_index));
  }
};

/// The longest prefix of `c` that fits `capacity` tokens and ends after an
/// assistant turn (its <|end|>), as a length; 0 when none does.
inline std::size_t fitting_prefix(const RenderedChat& c, std::size_t capacity) {
  std::size_t best = 0;
  for (std::size_t i = 0; i < c.ids.size() && i < capacity; ++i)
    if (c.mask[i] && (i + 1 == c.ids.size() || !c.mask[i + 1])) best = i + 1;
  return best;
}

namespace detail {

struct SftPiece {
  std::size_t chat, length;  // the conversation, and how much of it is trained on
};

/// Each conversation whole, or truncated to its longest prefix that fits
/// `capacity` and ends after an assistant turn, or dropped; counted.
inline std::vector<SftPiece> sft_pieces(const std::vector<RenderedChat>& chats, std::size_t capacity,
                                        int64_t& truncated, int64_t& dropped, const char* what) {
  std::vector<SftPiece> pieces;
  for (std::size_t i = 0; i < chats.size(); ++i) {
    const auto& c = chats[i];
    TINYLM_CHECK(c.ids.size() == c.mask.size(), what, ": conversation ", i, " has ", c.ids.size(), " ids but ",
                 c.mask.size(), " mask entries");
    if (c.ids.size() <= capacity) {
      pieces.push_back({i, c.ids.size()});
      continue;
    }
    const std::size_t n = fitting_prefix(c, capacity);
    if (n == 0) {
      ++dropped;
      continue;
    }
    ++truncated;
    pieces.push_back({i, n});
  }
  return pieces;
}

}  // namespace detail

/// Packs rendered conversations into rows of T inputs (see the file comment);
/// padding ids are `pad_id` (never a target).
inline SftRows pack_sft(const std::vector<RenderedChat>& chats, int64_t T, int32_t pad_id,
                        int32_t ignore_index = -100) {
  TINYLM_CHECK(T >= 2, "pack_sft: rows need at least 2 tokens, got T = ", T);
  const auto capacity = static_cast<std::size_t>(T + 1);
  SftRows out;
  out.T = T;
  std::vector<detail::SftPiece> pieces = detail::sft_pieces(chats, capacity, out.truncated, out.dropped, "pack_sft");
  // Best fit, longest first; ties in input order, so the packing is deterministic.
  std::stable_sort(pieces.begin(), pieces.end(),
                   [](const detail::SftPiece& a, const detail::SftPiece& b) { return a.length > b.length; });
  std::vector<std::vector<detail::SftPiece>> rows;
  std::multimap<std::size_t, std::size_t> room;  // free tokens -> row
  for (const detail::SftPiece& p : pieces) {
    auto it = room.lower_bound(p.length);
    std::size_t r;
    if (it == room.end()) {
      r = rows.size();
      rows.emplace_back();
      room.emplace(capacity - p.length, r);
    } else {
      r = it->second;
      const std::size_t left = it->first - p.length;
      room.erase(it);
      room.emplace(left, r);
    }
    rows[r].push_back(p);
  }
  out.rows = static_cast<int64_t>(rows.size());
  out.conversations = static_cast<int64_t>(pieces.size());
  out.inputs.reserve(rows.size() * static_cast<std::size_t>(T));
  out.targets.reserve(rows.size() * static_cast<std::size_t>(T));
  for (const auto& row : rows) {
    std::vector<int32_t> ids;
    std::vector<uint8_t> mask;
    for (const detail::SftPiece& p : row) {
      const auto& c = chats[p.chat];
      ids.insert(ids.end(), c.ids.begin(), c.ids.begin() + static_cast<std::ptrdiff_t>(p.length));
      mask.insert(mask.end(), c.mask.begin(), c.mask.begin() + static_cast<std::ptrdiff_t>(p.length));
    }
    ids.resize(capacity, pad_id);
    mask.resize(capacity, 0);
    for (std::size_t t = 0; t + 1 < capacity; ++t) {
      out.inputs.push_back(ids[t]);
      out.targets.push_back(mask[t + 1] ? ids[t + 1] : ignore_index);
    }
  }
  return out;
}

/// A batch of B conversations, one per row, each from position 0.
struct SftBatch {
  int64_t B = 0, T = 0;
  std::vector<int32_t> inputs;   // B x T
  std::vector<int32_t> targets;  // B x T, ignore_index where nothing is learned
  int64_t trainable(int32_t ignore_index = -100) const {
    return static_cast<int64_t>(targets.size() - std::count(targets.begin(), targets.end(), ignore_index));
  }
};

struct SftBatches {
  std::vector<SftBatch> batches;
  int64_t conversations = 0, truncated = 0, dropped = 0;
};

namespace detail {

/// One row per piece (all of about one length, sorted shortest first), each
/// from position 0, the batch as long as its longest.
inline SftBatch sft_batch_of(const std::vector<RenderedChat>& chats, const std::vector<SftPiece>& pieces,
                             std::size_t begin, std::size_t end, int32_t pad_id, int32_t ignore_index) {
  SftBatch b;
  b.B = static_cast<int64_t>(end - begin);
  std::size_t longest = 0;
  for (std::size_t i = begin; i < end; ++i) longest = std::max(longest, pieces[i].length);
  b.T = static_cast<int64_t>(longest) - 1;
  for (std::size_t i = begin; i < end; ++i) {
    const auto& c = chats[pieces[i].chat];
    const auto n = static_cast<int64_t>(pieces[i].length);
    for (int64_t t = 0; t < b.T; ++t) {
      b.inputs.push_back(t < n ? c.ids[static_cast<std::size_t>(t)] : pad_id);
      b.targets.push_back(t + 1 < n && c.mask[static_cast<std::size_t>(t + 1)] ? c.ids[static_cast<std::size_t>(t + 1)]
                                                                               : ignore_index);
    }
  }
  return b;
}

}  // namespace detail

/// Batches of one conversation per row, conversations of about the same
/// length together (what Hugging Face's group_by_length does), each batch
/// only as long as its longest conversation: every conversation starts at
/// position 0, so a model with learned positions sees each turn where it
/// will be asked it, and little is padding. Conversations longer than
/// max_T + 1 tokens are truncated or dropped as pack_sft does. Batches come
/// shortest first; a training loop draws them in random order.
inline SftBatches group_sft(const std::vector<RenderedChat>& chats, int64_t batch_size, int64_t max_T, int32_t pad_id,
                            int32_t ignore_index = -100) {
  TINYLM_CHECK(batch_size > 0, "group_sft: batch_size must be positive, got ", batch_size);
  TINYLM_CHECK(max_T >= 2, "group_sft: rows need at least 2 tokens, got max_T = ", max_T);
  SftBatches out;
  auto pieces = detail::sft_pieces(chats, static_cast<std::size_t>(max_T + 1), out.truncated, out.dropped, "group_sft");
  std::stable_sort(pieces.begin(), pieces.end(),
                   [](const detail::SftPiece& a, const detail::SftPiece& b) { return a.length < b.length; });
  out.conversations = static_cast<int64_t>(pieces.size());
  for (std::size_t at = 0; at < pieces.size(); at += static_cast<std::size_t>(batch_size)) {
    const std::size_t end = std::min(pieces.size(), at + static_cast<std::size_t>(batch_size));
    out.batches.push_back(detail::sft_batch_of(chats, pieces, at, end, pad_id, ignore_index));
  }
  return out;
}

/// One batch of conversations (any mix of lengths) as `parts` micro-batches
/// of about one length each: sorted by length, cut into parts of nearly
/// equal size, each padded only to its own longest. Backward on each
/// micro-batch's mean loss weighted by its share of the trainable targets
/// (sft_microbatch_weights) adds up to the gradient of the whole batch's
/// mean loss, so a training step sees a mixed batch without paying for
/// padding every row to the batch's longest. Conversations longer than
/// max_T + 1 tokens are truncated or dropped as pack_sft does (counted in
/// `truncated` and `dropped` when given).
inline std::vector<SftBatch> sft_microbatches(const std::vector<RenderedChat>& chats, int64_t parts, int64_t max_T,
                                              int32_t pad_id, int32_t ignore_index = -100, int64_t* truncated = nullptr,
                                              int64_t* dropped = nullptr) {
  TINYLM_CHECK(parts > 0, "sft_microbatches: parts must be positive, got ", parts);
  TINYLM_CHECK(max_T >= 2, "sft_microbatches: rows need at least 2 tokens, got max_T = ", max_T);
  int64_t cut = 0, gone = 0;
  auto pieces = detail::sft_pieces(chats, static_cast<std::size_t>(max_T + 1), cut, gone, "sft_microbatches");
  if (truncated) *truncated += cut;
  if (dropped) *dropped += gone;
  std::stable_sort(pieces.begin(), pieces.end(),
                   [](const detail::SftPiece& a, const detail::SftPiece& b) { return a.length < b.length; });
  std::vector<SftBatch> out;
  const auto n = pieces.size(), k = std::min(static_cast<std::size_t>(parts), n);
  for (std::size_t p = 0; p < k; ++p)
    out.push_back(detail::sft_batch_of(chats, pieces, p * n / k, (p + 1) * n / k, pad_id, ignore_index));
  return out;
}

/// The weight of each micro-batch's mean loss in the whole batch's mean:
/// its trainable targets over all of them (0 for one with none).
inline std::vector<double> sft_microbatch_weights(const std::vector<SftBatch>& parts, int32_t ignore_index = -100) {
  int64_t total = 0;
  for (const auto& b : parts) total += b.trainable(ignore_index);
  std::vector<double> w;
  for (const auto& b : parts)
    w.push_back(total > 0 ? static_cast<double>(b.trainable(ignore_index)) / static_cast<double>(total) : 0.0);
  return w;
}

/// The mean loss over a batch's trainable targets, or an undefined tensor
/// when it has none (every target ignore_index): a fine-tuning loop skips
/// such a batch, where the mean would be 0/0 = NaN. model.forward(inputs,
/// targets).loss must leave ignore_index out, as nn::GPT's does for -100.
template <class Model>
Tensor<float> sft_loss(const Model& model, const Tensor<int32_t>& inputs, const Tensor<int32_t>& targets,
                       int32_t ignore_index = -100) {
  const auto t = targets.contiguous();
  const int32_t* p = t.data();
  if (std::all_of(p, p + t.numel(), [&](int32_t v) { return v == ignore_index; })) return Tensor<float>();
  return model.forward(inputs, targets).loss;
}

}  // namespace tinylm::lm
