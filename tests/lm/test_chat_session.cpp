// ChatSession: replies equal to generating from the whole conversation, a
// new turn that feeds only its own tokens, streaming, the stop at <|end|>,
// and the context policy (oldest exchanges dropped, the system turn kept).

#include "helpers.hpp"

namespace {

using tinylm::lm::ChatFormat;
using tinylm::lm::Conversation;
using tinylm::lm::Role;

tinylm::data::CharTokenizer session_chars() {
  auto tok = tinylm::data::CharTokenizer::from_string("abcdefghijklmnopqrstuvwxyz ?.");
  tok.add_special_tokens(tinylm::lm::ChatTokens{}.all());
  return tok;
}

/// A model that records what it is fed and, after each <|assistant|>,
/// writes `reply` and then <|end|>.
struct Scripted {
  struct Cache {
    std::vector<int32_t> seen;
    void clear() { seen.clear(); }
  };
  int64_t V = 0, context = 0;
  int32_t assistant = 0, end = 0;
  std::vector<int32_t> reply;
  mutable std::vector<int64_t> calls;  // tokens fed per forward
  Cache make_cache(int64_t) const { return {}; }
  tinylm::Tensor<float> forward(const tinylm::Tensor<int32_t>& ids, Cache* c) const {
    const auto v = ids.to_vector();
    c->seen.insert(c->seen.end(), v.begin(), v.end());
    REQUIRE(static_cast<int64_t>(c->seen.size()) <= context);
    calls.push_back(static_cast<int64_t>(v.size()));
    std::size_t since = 0;
    for (std::size_t i = c->seen.size(); i-- > 0 && c->seen[i] != assistant;) ++since;
    const int32_t next = since < reply.size() ? reply[since] : end;
    auto logits = tinylm::Tensor<float>::zeros({1, static_cast<int64_t>(v.size()), V});
    logits.data()[(v.size() - 1) * static_cast<std::size_t>(V) + static_cast<std::size_t>(next)] = 1.f;
    return logits;
  }
  int64_t vocab_size() const { return V; }
  int64_t max_length() const { return context; }
  bool is_training() const { return false; }
  void train(bool) {}
};

Scripted scripted(const tinylm::data::CharTokenizer& tok, const ChatFormat& chat, int64_t context) {
  Scripted m;
  m.V = tok.vocab_size();
  m.context = context;
  m.assistant = chat.assistant_id();
  m.end = chat.end_id();
  m.reply = tok.encode("ok.");
  return m;
}

}  // namespace

TEST_CASE("chat session: each reply is what generating from the whole conversation gives") {
  const auto tok = session_chars();
  const ChatFormat chat(tok);
  tinylm::nn::GPT<float> model({tok.vocab_size(), 96, 2, 2, 16, 0.0}, 3);
  tinylm::lm::ChatSession session(model, chat, "be kind.");
  session.options.max_new_tokens = 7;
  session.options.sampling = {.temperature = 0.9};
  session.options.seed = 11;
  Conversation so_far{{Role::System, "be kind."}};
  tinylm::Generator gen(11);  // the session's draws, replayed
  bool last_cut = false;      // a reply cut at max_new_tokens leaves its last token unfed
  for (const char* user : {"hi there?", "and then?", "why?"}) {
    so_far.push_back({Role::User, user});
    tinylm::lm::GenerateOptions opt;
    opt.max_new_tokens = 7;
    opt.sampling = {.temperature = 0.9};
    opt.generator = &gen;
    opt.stop_tokens = {chat.end_id()};
    const auto want = tinylm::lm::generate(model, {chat.prompt(so_far)}, opt)[0];
    const int64_t cached = session.cached_tokens();
    std::string streamed;
    const auto r = session.reply(user, [&](std::string_view piece) { streamed += piece; });
    CHECK(r.text == chat.decode_reply(want.tokens));
    CHECK(streamed == r.text);
    CHECK(r.tokens == static_cast<int64_t>(want.tokens.size()));
    if (cached > 0) {  // a later turn feeds the last reply's <|end|> and its own tokens only
      CHECK(r.prefilled == last_cut + 1 + static_cast<int64_t>(chat.turn({Role::User, user}).size()));
    }
    last_cut = r.finish == tinylm::lm::FinishReason::Length;
    so_far.push_back({Role::Assistant, r.text});
    CHECK(session.conversation() == so_far);
  }
  session.reset();
  CHECK(session.conversation() == Conversation{{Role::System, "be kind."}});
  CHECK(session.cached_tokens() == 0);
}

TEST_CASE("chat session: the reply stops at <|end|>, and old exchanges make room, the system turn kept") {
  const auto tok = session_chars();
  const ChatFormat chat(tok);
  Scripted model = scripted(tok, chat, 40);
  tinylm::lm::ChatSession session(model, chat, "sys");
  session.options.max_new_tokens = 8;
  auto r = session.reply("abcd");
  CHECK(r.text == "ok.");
  CHECK(r.finish == tinylm::lm::FinishReason::StopToken);
  CHECK(r.dropped_turns == 0);
  // bos <|system|> sys <|end|> = 6, <|user|> abcd <|end|> <|assistant|> = 7, "ok." = 3
  CHECK(r.prefilled == 13);
  CHECK(session.cached_tokens() == 13 + 3);  // and "ok.", fed while sampling what followed
  r = session.reply("efgh");                 // 16 cached/pending + 7 + room 8 = 31 <= 40: fits
  CHECK(r.dropped_turns == 0);
  CHECK(r.prefilled == 1 + 7);
  r = session.reply("ijkl");  // 26 + 7 + 8 > 40: the first exchange goes
  CHECK(r.dropped_turns == 2);
  CHECK(r.text == "ok.");
  const Conversation want{{Role::System, "sys"},
                          {Role::User, "efgh"},
                          {Role::Assistant, "ok."},
                          {Role::User, "ijkl"},
                          {Role::Assistant, "ok."}};
  CHECK(session.conversation() == want);
  CHECK(model.calls.back() == 1);
  // the whole conversation was fed again in one pass: bos + system + two exchanges' prefix
  CHECK(r.prefilled == 6 + 7 + 3 + 1 + 7);
  // A turn that cannot fit with the system turn and room for a reply: an error, nothing changed.
  const Conversation before = session.conversation();
  CHECK_THROWS_WITH_AS(session.reply(std::string(30, 'z')),
                       "ChatSession: the turn is 39 tokens with the system turn, and the model's context of 40 tokens "
                       "must also hold 8 for the reply; send a shorter message",
                       tinylm::Error);
  CHECK(session.conversation() == before);
  CHECK(session.reply("mn").text == "ok.");
  // Length: a reply cut at max_new_tokens is closed and kept.
  session.options.max_new_tokens = 2;
  r = session.reply("op");
  CHECK(r.finish == tinylm::lm::FinishReason::Length);
  CHECK(r.text == "ok");
  CHECK(session.conversation().back() == tinylm::lm::Message{Role::Assistant, "ok"});
  session.options.max_new_tokens = 0;
  CHECK_THROWS_AS(session.reply("x"), tinylm::Error);
  session.options.max_new_tokens = 4;
}

TEST_CASE("chat session: a reply that fills the context drops old exchanges and goes on, or ends there") {
  const auto tok = session_chars();
  const ChatFormat chat(tok);
  Scripted model = scripted(tok, chat, 30);
  tinylm::lm::ChatSession session(model, chat);
  session.options.max_new_tokens = 25;               // room kept before a turn: 15, half the context
  CHECK(session.reply("hi").text == "ok.");          // 6 + 3 fed
  model.reply = tok.encode("abcdefghijklmnopqrst");  // 20 tokens
  auto r = session.reply("yo");                      // 9 + 1 + 5 + 15 = 30 fits; the reply reaches 30 after 15 tokens
  CHECK(r.dropped_turns == 2);
  CHECK(r.finish == tinylm::lm::FinishReason::StopToken);
  CHECK(r.text == "abcdefghijklmnopqrst");
  CHECK(session.conversation() == Conversation{{Role::User, "yo"}, {Role::Assistant, "abcdefghijklmnopqrst"}});
  // the conversation again, with the reply so far: bos + 5 + 15
  CHECK(std::find(model.calls.begin(), model.calls.end(), 21) != model.calls.end());

  tinylm::lm::ChatSession alone(model, chat);
  alone.options.max_new_tokens = 40;
  model.reply = tok.encode("abcdefghijklmnopqrstuvwxyzabcd");  // 30: more than the context holds
  r = alone.reply("hi");
  CHECK(r.finish == tinylm::lm::FinishReason::Length);
  CHECK(r.text == "abcdefghijklmnopqrstuvwx");  // 6 + 24 = 30
  CHECK(alone.conversation().size() == 2u);
}
