#pragma once
// A conversation with a model, turn by turn: lm::ChatSession.
//
// The session keeps the model's cache across turns. A new user turn feeds
// only its own tokens (and the <|end|> that closed the last reply), so the
// cost of a turn does not grow with the conversation. The reply is sampled
// token by token until the model writes <|end|> or options.max_new_tokens
// are written, and handed to a callback as text as it comes (whole UTF-8
// characters: a token that ends inside one is held back until the rest
// arrives).
//
// When the conversation outgrows the model's context, the oldest
// user-assistant exchanges are dropped (the system turn is kept), the
// conversation is rendered again and fed in one forward pass. That happens
// before a turn, when its tokens and room for a reply (max_new_tokens, at
// most half the context) do not fit, and during a reply that fills the
// context (a reply that fills the context by itself ends there, as if at
// max_new_tokens). A single turn too long to fit with the system turn and
// room for a reply is an error, and the conversation is left as it was.
//
// ```cpp
// #include <tinylm/data/char_tokenizer.hpp>
// #include <tinylm/lm/chat_session.hpp>
//
// int main() {
//   auto tok = tinylm::data::CharTokenizer::from_text("abcdefghijklmnopqrstuvwxyz ?.");
//   tok.add_special_tokens(tinylm::lm::ChatTokens{}.all());
//   tinylm::nn::GPT<float> model({tok.vocab_size(), 64, 1, 2, 16, 0.0}, /*seed*/ 1);  // untrained
//   tinylm::lm::ChatSession chat(model, tinylm::lm::ChatFormat(tok), "be brief.");
//   chat.options.max_new_tokens = 8;
//   std::string streamed;
//   const auto r = chat.reply("hi?", [&](std::string_view piece) { streamed += piece; });
//   chat.reply("and now?");
//   return streamed == r.text && chat.conversation().size() == 5 ? 0 : 1;  // system + two exchanges
// }
// ```

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tinylm/autograd/grad_mode.hpp"
#include "tinylm/data/bpe.hpp"
#include "tinylm/lm/chat.hpp"
#include "tinylm/lm/generate.hpp"

namespace tinylm::lm {

struct ChatOptions {
  int64_t max_new_tokens = 256;
  SamplingOptions sampling{.temperature = 0.0};  // greedy; set a temperature to sample
  uint64_t seed = 0;
};

/// One reply and what it cost.
struct ChatReply {
  std::string text;
  FinishReason finish = FinishReason::StopToken;  // StopToken: the model wrote <|end|>; Length: max_new_tokens
  int64_t tokens = 0;                             // tokens the model wrote (not counting <|end|>)
  int64_t prefilled = 0;                          // tokens fed before the first was sampled
  int64_t dropped_turns = 0;                      // turns this reply dropped to make room
};

template <CausalLM M>
requires(!RowCachedLM<M>) class ChatSession {
 public:
  ChatSession(M& model, ChatFormat format, std::string system = "")
      : model_(model), format_(std::move(format)), cache_(model.make_cache(1)), gen_(0) {
    set_system(std::move(system));
  }

  ChatOptions options;

  /// Adds the user's turn, writes the assistant's reply (calling on_text
  /// with each piece of text as it comes) and adds it to the conversation.
  ChatReply reply(const std::string& user, const std::function<void(std::string_view)>& on_text = {}) {
    options.sampling.validate();
    TINYLM_CHECK(options.max_new_tokens > 0, "ChatSession: max_new_tokens must be positive, got ",
                 options.max_new_tokens);
    if (!seeded_) gen_ = Generator(options.seed), seeded_ = true;
    Conversation next = conversation_;
    next.push_back({Role::User, user});
    check_conversation(next, false);
    const int64_t limit = model_.max_length();
    const int64_t room = limit > 0 ? std::min(options.max_new_tokens, limit / 2) : 0;
    std::vector<int32_t> turn = format_.turn(next.back());  // <|user|> text <|end|> <|assistant|>
    ChatReply out;
    if (limit > 0 && fed_ + static_cast<int64_t>(pending_.size() + turn.size()) + room > limit) {
      out.dropped_turns = fit(next, room);  // throws, changing nothing, if the turn cannot fit at all
      feed_all(next);
    } else {
      pending_.insert(pending_.end(), turn.begin(), turn.end());
    }
    conversation_ = std::move(next);  // the user's turn is in; from here nothing throws on bad input

    NoGradGuard no_grad;
    const bool was_training = model_.is_training();
    model_.train(false);
    data::Utf8Stream stream;
    std::vector<int32_t> written;
    out.prefilled = static_cast<int64_t>(pending_.size());
    for (;;) {
      const int32_t token = sample_next();
      if (token == format_.end_id()) break;
      written.push_back(token);
      pending_.push_back(token);
      const std::string piece = stream.push(format_.decode_token(token));
      out.text += piece;
      if (on_text && !piece.empty()) on_text(piece);
      if (static_cast<int64_t>(written.size()) == options.max_new_tokens) {
        out.finish = FinishReason::Length;
        break;
      }
      if (limit > 0 && fed_ + static_cast<int64_t>(pending_.size()) >= limit) {  // the context is full mid-reply
        if (conversation_.size() - first_exchange() <= 1) {  // nothing older to drop: the reply ends here
          out.finish = FinishReason::Length;
          break;
        }
        Conversation with_partial = conversation_;
        with_partial.push_back({Role::Assistant, format_.decode_reply(written)});
        const int64_t dropped = fit(with_partial, 1);
        out.dropped_turns += dropped;
        conversation_.erase(conversation_.begin() + first_exchange(),
                            conversation_.begin() + first_exchange() + dropped);
        feed_all(with_partial);
      }
    }
    const std::string rest = stream.flush();
    out.text += rest;
    if (on_text && !rest.empty()) on_text(rest);
    pending_.push_back(format_.end_id());  // fed with the next turn
    out.tokens = static_cast<int64_t>(written.size());
    conversation_.push_back({Role::Assistant, format_.decode_reply(written)});
    model_.train(was_training);
    return out;
  }

  /// Forgets the conversation; the system turn stays.
  void reset() { set_system(system_); }
  /// A new system turn ("" for none); the conversation starts over.
  void set_system(std::string system) {
    system_ = std::move(system);
    conversation_.clear();
    if (!system_.empty()) conversation_.push_back({Role::System, system_});
    cache_.clear();
    fed_ = 0;
    pending_ = render_prefix(conversation_);
  }

  const Conversation& conversation() const { return conversation_; }
  const std::string& system() const { return system_; }
  /// Positions the model's cache holds.
  int64_t cached_tokens() const { return fed_; }
  const ChatFormat& format() const { return format_; }

 private:
  /// The ids of a conversation that ends with a user turn or a complete
  /// assistant turn, up to where the next token goes.
  std::vector<int32_t> render_prefix(const Conversation& c) const {
    if (c.empty() || c.back().role == Role::System) {
      std::vector<int32_t> ids{format_.bos_id()};
      if (!c.empty()) {
        const auto t = format_.turn(c.back());
        ids.insert(ids.end(), t.begin(), t.end());
      }
      return ids;
    }
    if (c.back().role == Role::User) return format_.prompt(c);
    Conversation head(c.begin(), c.end() - 1);  // ends with an unfinished assistant turn
    std::vector<int32_t> ids = format_.prompt(head);
    const auto t = format_.turn(c.back());  // <|assistant|> text <|end|>: the text only
    ids.insert(ids.end(), t.begin() + 1, t.end() - 1);
    return ids;
  }

  std::size_t first_exchange() const { return !conversation_.empty() && conversation_[0].role == Role::System; }

  /// Drops the oldest exchanges of c until it fits with `room` to spare;
  /// returns how many turns went. Throws if even its last turn cannot fit.
  int64_t fit(Conversation& c, int64_t room) const {
    const std::size_t keep_from = c.size() >= 1 && c[0].role == Role::System ? 1 : 0;
    int64_t dropped = 0;
    const int64_t limit = model_.max_length();
    while (static_cast<int64_t>(render_prefix(c).size()) + room > limit) {
      // the last turn (and, for a reply under way, the user turn before it) must stay
      const std::size_t must_keep = c.back().role == Role::Assistant ? 2 : 1;
      if (c.size() - keep_from <= must_keep) {
        Conversation alone(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(keep_from));
        alone.insert(alone.end(), c.end() - static_cast<std::ptrdiff_t>(must_keep), c.end());
        throw Error(tinylm::detail::str_cat("ChatSession: the turn is ", render_prefix(alone).size(),
                                            " tokens with the system turn, and the model's context of ", limit,
                                            " tokens must also hold ", room, " for the reply; send a shorter message"));
      }
      c.erase(c.begin() + static_cast<std::ptrdiff_t>(keep_from),
              c.begin() + static_cast<std::ptrdiff_t>(keep_from) + 2);
      dropped += 2;
    }
    return dropped;
  }

  /// Starts the cache over with the whole of c, fed at the next sample.
  void feed_all(const Conversation& c) {
    cache_.clear();
    fed_ = 0;
    pending_ = render_prefix(c);
  }

  /// Feeds what is pending and draws the next token from the last position's logits.
  int32_t sample_next() {
    const int64_t n = static_cast<int64_t>(pending_.size());
    const Tensor<int32_t> idx = Tensor<int32_t>::from_vector(pending_, {1, n});
    const auto logits = model_.forward(idx, &cache_);  // (1, n, V)
    fed_ += n;
    pending_.clear();
    const int64_t V = model_.vocab_size();
    const auto last = logits.select(1, -1).contiguous();
    return static_cast<int32_t>(sample_logits(last.data(), V, options.sampling, gen_));
  }

  M& model_;
  ChatFormat format_;
  typename M::Cache cache_;
  Generator gen_;
  bool seeded_ = false;
  std::string system_;
  Conversation conversation_;
  std::vector<int32_t> pending_;  // ids that follow the cached positions, not fed yet
  int64_t fed_ = 0;
};

}  // namespace tinylm::lm
