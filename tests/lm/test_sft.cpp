// Packing conversations into SFT rows: BOS-aligned, best fit, never cut
// inside an assistant turn, every truncation and drop counted, and the
// targets ignore everything the assistant did not write.

#include <algorithm>
#include <cmath>

#include "helpers.hpp"

namespace {

using tinylm::lm::ChatFormat;
using tinylm::lm::Conversation;
using tinylm::lm::Role;

const tinylm::data::CharTokenizer& sft_chars() {  // a=0 b=1 c=2, then the template's tokens
  static const auto tok = [] {
    auto t = tinylm::data::CharTokenizer::from_string("abc");
    t.add_special_tokens(tinylm::lm::ChatTokens{}.all());
    return t;
  }();
  return tok;
}

/// A conversation of `exchanges` user/assistant pairs of random b/c text.
Conversation random_chat(tinylm::Generator& gen, int exchanges) {
  Conversation c;
  if (gen.next_u64() % 3 == 0) c.push_back({Role::System, "cb"});
  for (int e = 0; e < exchanges; ++e)
    for (Role r : {Role::User, Role::Assistant}) {
      std::string text(1 + gen.next_u64() % 9, 'b');
      for (char& ch : text) ch = gen.next_u64() % 2 ? 'b' : 'c';
      c.push_back({r, text});
    }
  return c;
}

}  // namespace

TEST_CASE("pack_sft: every conversation lands whole (or cut after an assistant turn) in one BOS-aligned row") {
  const ChatFormat chat(sft_chars());
  tinylm::Generator gen(11);
  const int64_t T = 48;
  std::vector<Conversation> convs;
  std::vector<tinylm::lm::RenderedChat> rendered;
  for (int i = 0; i < 300; ++i) {
    convs.push_back(random_chat(gen, 1 + static_cast<int>(gen.next_u64() % 4)));
    rendered.push_back(chat.render(convs.back()));
  }
  const int32_t pad = 0;  // 'a', which no conversation holds
  const auto rows = tinylm::lm::pack_sft(rendered, T, pad);
  REQUIRE(rows.inputs.size() == static_cast<std::size_t>(rows.rows * T));
  REQUIRE(rows.targets.size() == rows.inputs.size());
  CHECK(rows.conversations + rows.dropped == 300);
  CHECK(rows.truncated > 0);  // some of the 4-exchange ones are longer than 49 tokens

  // What each conversation should become: itself, or its longest prefix of whole exchanges that fits.
  std::vector<Conversation> expected;
  int64_t truncated = 0, dropped = 0;
  for (const auto& c : convs) {
    Conversation keep = c;
    while (!keep.empty() && chat.render(keep).ids.size() > static_cast<std::size_t>(T + 1)) {
      keep.resize(keep.size() - 2);
      if (keep.empty() || keep.back().role != Role::Assistant) keep.clear();
    }
    if (keep.empty()) ++dropped;
    else expected.push_back(keep), truncated += keep.size() != c.size();
  }
  CHECK(rows.truncated == truncated);
  CHECK(rows.dropped == dropped);

  // Rebuild each row's T + 1 tokens (the last one is a target: an assistant's <|end|> or padding), cut it at
  // every <|bos|>, and parse each piece: a piece cut inside a turn would not parse.
  std::vector<Conversation> found;
  int64_t trainable = 0;
  for (int64_t r = 0; r < rows.rows; ++r) {
    std::vector<int32_t> ids(rows.inputs.begin() + r * T, rows.inputs.begin() + (r + 1) * T);
    const int32_t last = rows.targets[static_cast<std::size_t>((r + 1) * T - 1)];
    ids.push_back(last == -100 ? pad : last);
    CHECK(ids[0] == chat.bos_id());
    while (!ids.empty() && ids.back() == pad) ids.pop_back();
    std::size_t start = 0;
    for (std::size_t i = 1; i <= ids.size(); ++i)
      if (i == ids.size() || ids[i] == chat.bos_id()) {
        found.push_back(chat.parse(std::vector<int32_t>(ids.begin() + static_cast<std::ptrdiff_t>(start),
                                                        ids.begin() + static_cast<std::ptrdiff_t>(i))));
        start = i;
      }
    trainable += rows.trainable(r);
  }
  auto key = [](const Conversation& c) { return tinylm::lm::conversation_to_json(c); };
  std::vector<std::string> a, b;
  for (const auto& c : found) a.push_back(key(c));
  for (const auto& c : expected) b.push_back(key(c));
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  CHECK(a == b);

  // Targets: exactly the assistant's tokens and ends, each the next token of the row.
  int64_t assistant_tokens = 0;
  for (const auto& c : expected)
    for (const auto& m : c)
      if (m.role == Role::Assistant) assistant_tokens += static_cast<int64_t>(m.content.size()) + 1;
  CHECK(trainable == assistant_tokens);
  for (std::size_t i = 0; i + 1 < rows.inputs.size(); ++i)
    if (rows.targets[i] != -100 && (i + 1) % static_cast<std::size_t>(T) != 0)
      REQUIRE(rows.targets[i] == rows.inputs[i + 1]);

  // Best fit leaves no two rows that one row could hold: the two emptiest rows hold more than a row between them.
  CHECK(rows.rows < rows.conversations);
  std::vector<std::size_t> used;
  for (int64_t r = 0; r < rows.rows; ++r) {
    std::size_t n = 1;  // the row's last token is a target, or padding
    for (int64_t t = 0; t < T; ++t) n += rows.inputs[static_cast<std::size_t>(r * T + t)] != pad;
    if (rows.targets[static_cast<std::size_t>((r + 1) * T - 1)] == -100) --n;
    used.push_back(n);
  }
  std::sort(used.begin(), used.end());
  REQUIRE(used.size() >= 2);
  CHECK(used[0] + used[1] > static_cast<std::size_t>(T + 1));
}

TEST_CASE("pack_sft: small cases by hand") {
  const ChatFormat chat(sft_chars());
  // <|bos|> <|user|> b <|end|> <|assistant|> c <|end|>: 7 tokens.
  const auto one = chat.render({{Role::User, "b"}, {Role::Assistant, "c"}});
  REQUIRE(one.ids.size() == 7);
  const auto rows = tinylm::lm::pack_sft({one, one}, 13, 0);  // two fit one row of 14 tokens exactly
  CHECK(rows.rows == 1);
  const int32_t bos = chat.bos_id(), u = chat.user_id(), as = chat.assistant_id(), e = chat.end_id();
  CHECK(rows.inputs == std::vector<int32_t>{bos, u, 1, e, as, 2, e, bos, u, 1, e, as, 2});
  const int32_t x = -100;
  CHECK(rows.targets == std::vector<int32_t>{x, x, x, x, 2, e, x, x, x, x, x, 2, e});
  CHECK(rows.trainable(0) == 4);

  const auto padded = tinylm::lm::pack_sft({one}, 9, 0);
  CHECK(padded.targets == std::vector<int32_t>{x, x, x, x, 2, e, x, x, x});
  CHECK(padded.inputs == std::vector<int32_t>{bos, u, 1, e, as, 2, e, 0, 0});

  const auto too_long = tinylm::lm::pack_sft({one}, 5, 0);  // 6 tokens: not even the first exchange fits
  CHECK(too_long.rows == 0);
  CHECK(too_long.dropped == 1);
  CHECK_THROWS_WITH_AS(tinylm::lm::pack_sft({one}, 1, 0), "pack_sft: rows need at least 2 tokens, got T = 1",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(too_long.trainable(0), "SftRows::trainable: row 0 of 0", tinylm::Error);
}

TEST_CASE("group_sft: one conversation per row from position 0, similar lengths together, targets as pack_sft's") {
  const ChatFormat chat(sft_chars());
  tinylm::Generator gen(21);
  std::vector<tinylm::lm::RenderedChat> rendered;
  for (int i = 0; i < 50; ++i) rendered.push_back(chat.render(random_chat(gen, 1 + static_cast<int>(i % 3))));
  const int64_t max_T = 40;
  const auto g = tinylm::lm::group_sft(rendered, 8, max_T, chat.end_id());
  std::size_t seen = 0;
  int64_t last_T = 0;
  std::vector<int> used(rendered.size(), 0);
  for (const auto& b : g.batches) {
    CHECK(b.B <= 8);
    CHECK(b.T <= max_T);
    CHECK(b.T >= last_T);  // shortest first
    last_T = b.T;
    CHECK(b.inputs.size() == static_cast<std::size_t>(b.B * b.T));
    for (int64_t r = 0; r < b.B; ++r) {
      const int32_t* x = b.inputs.data() + r * b.T;
      const int32_t* y = b.targets.data() + r * b.T;
      CHECK(x[0] == chat.bos_id());  // every row starts a conversation
      // Which conversation: the one whose ids the row starts with and whose length it has.
      bool found = false;
      for (std::size_t c = 0; c < rendered.size() && !found; ++c) {
        const auto& rc = rendered[c];
        const auto n = std::min<std::size_t>(rc.ids.size(), static_cast<std::size_t>(max_T + 1));
        if (used[c] || n > static_cast<std::size_t>(b.T) + 1 ||
            !std::equal(rc.ids.begin(), rc.ids.begin() + (n - 1), x))
          continue;
        if (rc.ids.size() > static_cast<std::size_t>(max_T + 1)) continue;  // truncated ones checked by count
        for (std::size_t t = 0; t + 1 < n; ++t) CHECK(y[t] == (rc.mask[t + 1] ? rc.ids[t + 1] : -100));
        for (int64_t t = static_cast<int64_t>(n) - 1; t < b.T; ++t) CHECK(y[t] == -100);  // padding is no target
        used[c] = found = true;
      }
      seen += found;
    }
  }
  CHECK(seen + static_cast<std::size_t>(g.truncated) == static_cast<std::size_t>(g.conversations));
  CHECK(g.conversations + g.dropped == 50);
  CHECK(g.truncated > 0);  // some three-exchange conversations are longer than 41 tokens
  CHECK_THROWS_WITH_AS(tinylm::lm::group_sft(rendered, 0, 10, 0), "group_sft: batch_size must be positive, got 0",
                       tinylm::Error);
}

TEST_CASE("sft_loss: a batch with nothing to learn gives no loss (not NaN); otherwise the model's loss") {
  tinylm::nn::GPT<float> model({8, 6, 1, 2, 8, 0.0}, 2);
  const auto x = tinylm::Tensor<int32_t>::from_vector({1, 2, 3, 4}, {1, 4});
  const auto none = tinylm::Tensor<int32_t>::from_vector({-100, -100, -100, -100}, {1, 4});
  CHECK(std::isnan(model.forward(x, none).loss.item()));  // what a loop would step on
  CHECK_FALSE(tinylm::lm::sft_loss(model, x, none).defined());
  const auto some = tinylm::Tensor<int32_t>::from_vector({-100, 3, -100, 5}, {1, 4});
  const auto loss = tinylm::lm::sft_loss(model, x, some);
  REQUIRE(loss.defined());
  CHECK(loss.item() == model.forward(x, some).loss.item());
  CHECK(std::isfinite(loss.item()));
}

TEST_CASE("sft_microbatches: every conversation once, sorted by length, each part padded to its own longest") {
  const ChatFormat chat(sft_chars());
  tinylm::Generator gen(31);
  std::vector<tinylm::lm::RenderedChat> rendered;
  for (int i = 0; i < 13; ++i) rendered.push_back(chat.render(random_chat(gen, 1 + static_cast<int>(i % 3))));
  const int64_t max_T = 40;
  int64_t truncated = 0, dropped = 0;
  const auto parts = tinylm::lm::sft_microbatches(rendered, 4, max_T, chat.end_id(), -100, &truncated, &dropped);
  REQUIRE(parts.size() == 4);
  // The same rows as group_sft gives one batch of all 13 (sorted the same way),
  // cut into parts and unpadded beyond each part's longest.
  const auto whole = tinylm::lm::group_sft(rendered, 13, max_T, chat.end_id());
  REQUIRE(whole.batches.size() == 1);
  const auto& all = whole.batches[0];
  CHECK(truncated == whole.truncated);
  CHECK(dropped == whole.dropped);
  int64_t row = 0, last_T = 0, rows = 0;
  for (const auto& p : parts) {
    CHECK(p.B >= 3);  // 13 rows in 4 parts: 3 or 4 each
    CHECK(p.T >= last_T);
    last_T = p.T;
    rows += p.B;
    for (int64_t r = 0; r < p.B; ++r, ++row) {
      for (int64_t t = 0; t < p.T; ++t) {
        CHECK(p.inputs[static_cast<std::size_t>(r * p.T + t)] == all.inputs[static_cast<std::size_t>(row * all.T + t)]);
        CHECK(p.targets[static_cast<std::size_t>(r * p.T + t)] ==
              all.targets[static_cast<std::size_t>(row * all.T + t)]);
      }
      for (int64_t t = p.T; t < all.T; ++t) CHECK(all.targets[static_cast<std::size_t>(row * all.T + t)] == -100);
    }
  }
  CHECK(rows == all.B);
  CHECK(parts.back().T == all.T);
  CHECK(parts.front().T < all.T);  // the short ones are not padded to the longest
  // Fewer conversations than parts: one part each.
  CHECK(tinylm::lm::sft_microbatches({rendered[0], rendered[1]}, 4, max_T, chat.end_id()).size() == 2);
  CHECK_THROWS_WITH_AS(tinylm::lm::sft_microbatches(rendered, 0, 10, 0),
                       "sft_microbatches: parts must be positive, got 0", tinylm::Error);
}

TEST_CASE("sft_microbatches: the weighted micro-batch losses give the gradient of the whole batch's mean loss") {
  const ChatFormat chat(sft_chars());
  tinylm::Generator gen(41);
  std::vector<tinylm::lm::RenderedChat> rendered;
  for (int i = 0; i < 9; ++i) rendered.push_back(chat.render(random_chat(gen, 1 + static_cast<int>(i % 3))));
  const int64_t V = sft_chars().vocab_size(), max_T = 40;
  tinylm::nn::GPT<float> model({V, max_T, 2, 2, 16, 0.0}, 3);
  auto grads = [&](const std::vector<tinylm::lm::SftBatch>& parts) {
    for (auto& p : model.parameters()) p.zero_grad();
    const auto w = tinylm::lm::sft_microbatch_weights(parts);
    double total = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const auto& b = parts[i];
      const auto loss = tinylm::lm::sft_loss(model, tinylm::Tensor<int32_t>::from_vector(b.inputs, {b.B, b.T}),
                                             tinylm::Tensor<int32_t>::from_vector(b.targets, {b.B, b.T}));
      (loss * w[i]).backward();
      total += loss.item() * w[i];
    }
    std::vector<float> g;
    for (const auto& p : model.parameters()) {
      const auto v = p.grad().to_vector();
      g.insert(g.end(), v.begin(), v.end());
    }
    return std::pair{total, g};
  };
  const auto [split_loss, split] = grads(tinylm::lm::sft_microbatches(rendered, 3, max_T, chat.end_id()));
  const auto [whole_loss, whole] = grads(tinylm::lm::sft_microbatches(rendered, 1, max_T, chat.end_id()));
  CHECK(split_loss == doctest::Approx(whole_loss).epsilon(1e-5));
  th::check_close(split, whole, 2e-6);
  const auto w = tinylm::lm::sft_microbatch_weights(tinylm::lm::sft_microbatches(rendered, 3, max_T, chat.end_id()));
  CHECK(w[0] + w[1] + w[2] == doctest::Approx(1.0));
}
