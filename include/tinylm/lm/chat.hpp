#pragma once
// Conversations and the chat template that turns them into tokens for
// supervised fine-tuning and for chat.
//
// A conversation is an optional system turn, then user and assistant turns
// in alternation, starting with the user. The template renders it as
//
//   <|bos|> [<|system|> text <|end|>] <|user|> text <|end|> <|assistant|> text <|end|> ...
//
// with each turn's text encoded as ordinary tokens (a special token's text
// inside a message stays plain text, so a user cannot forge a turn). The
// loss mask is 1 exactly on the assistant's text and its <|end|>: what the
// model learns to write. A prompt for generation ends with <|assistant|>,
// and the reply ends at the model's <|end|>.
//
// Conversations are read from JSONL in OpenAI's messages format, one per
// line: {"messages": [{"role": "user", "content": "..."}, ...]}.

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tinylm/core/error.hpp"
#include "tinylm/data/text.hpp"
#include "tinylm/io/json.hpp"

namespace tinylm::lm {

enum class Role { System, User, Assistant };

inline const char* role_name(Role r) {
  switch (r) {
    case Role::System: return "system";
    case Role::User: return "user";
    case Role::Assistant: return "assistant";
  }
  return "?";
}

/// The role named `name` ("system", "user" or "assistant").
inline Role parse_role(std::string_view name) {
  if (name == "system") return Role::System;
  if (name == "user") return Role::User;
  if (name == "assistant") return Role::Assistant;
  throw Error(tinylm::detail::str_cat("unknown role '", name, "' (expected system, user or assistant)"));
}

struct Message {
  Role role = Role::User;
  std::string content;
  friend bool operator==(const Message&, const Message&) = default;
};

using Conversation = std::vector<Message>;

/// Checks a conversation's shape: an optional system turn first, then user
/// and assistant turns alternating from the user; no empty assistant turn.
/// With `for_training`, it must end with an assistant turn (something to
/// learn); otherwise (a prompt) it must end with a user turn.
inline void check_conversation(const Conversation& c, bool for_training) {
  TINYLM_CHECK(!c.empty(), "conversation: no messages");
  std::size_t i = c[0].role == Role::System ? 1 : 0;
  TINYLM_CHECK(i < c.size(), "conversation: only a system message");
  for (Role expect = Role::User; i < c.size(); ++i) {
    TINYLM_CHECK(c[i].role == expect, "conversation: message ", i, " is from the ", role_name(c[i].role),
                 ", expected the ", role_name(expect),
                 c[i].role == Role::System ? " (a system message may only come first)" : "");
    // A model may answer with nothing; a training example may not teach that.
    TINYLM_CHECK(!for_training || c[i].role != Role::Assistant || !c[i].content.empty(), "conversation: message ", i,
                 " is an empty assistant turn");
    expect = expect == Role::User ? Role::Assistant : Role::User;
  }
  const Role last = c.back().role;
  if (for_training)
    TINYLM_CHECK(last == Role::Assistant, "conversation: ends with a ", role_name(last),
                 " message; a training conversation ends with the assistant's");
  else
    TINYLM_CHECK(last == Role::User, "conversation: ends with a ", role_name(last),
                 " message; a prompt ends with the user's");
}

/// The special tokens of the template, by their text.
struct ChatTokens {
  std::string bos = "<|bos|>";
  std::string system = "<|system|>";
  std::string user = "<|user|>";
  std::string assistant = "<|assistant|>";
  std::string end = "<|end|>";

  std::vector<std::string> all() const { return {bos, system, user, assistant, end}; }
};

/// A rendered conversation: ids and, at each position, whether the token is
/// one the model is trained to produce (1) or context (0).
struct RenderedChat {
  std::vector<int32_t> ids;
  std::vector<uint8_t> mask;

  /// Next-token training pairs: inputs ids[0..n-2], targets ids[1..n-1] with
  /// `ignore_index` wherever the target's mask is 0, so the loss counts
  /// only what the assistant writes.
  std::pair<std::vector<int32_t>, std::vector<int32_t>> shifted(int32_t ignore_index = -100) const {
    std::vector<int32_t> x, y;
    for (std::size_t t = 0; t + 1 < ids.size(); ++t) {
      x.push_back(ids[t]);
      y.push_back(mask[t + 1] ? ids[t + 1] : ignore_index);
    }
    return {std::move(x), std::move(y)};
  }
};

/// The chat template bound to a tokenizer (a BPETokenizer or a
/// CharTokenizer, or anything with special_id, decode and encode_ordinary or
/// encode), which must have the template's special tokens (add them with
/// add_special_tokens).
class ChatFormat {
 public:
  template <class Tokenizer>
  requires requires(const Tokenizer& t, std::string_view s, const std::vector<int32_t>& ids) {
    { t.special_id(s) } -> std::convertible_to<int32_t>;
    { t.decode(ids) } -> std::convertible_to<std::string>;
  }
  explicit ChatFormat(const Tokenizer& tok, ChatTokens tokens = {}) : tokens_(std::move(tokens)) {
    auto shared = std::make_shared<const Tokenizer>(tok);
    encode_ = [shared](std::string_view text) {
      if constexpr (requires { shared->encode_ordinary(text); }) return shared->encode_ordinary(text);
      else return shared->encode(text);
    };
    decode_ = [shared](const std::vector<int32_t>& ids) { return shared->decode(ids); };
    std::string missing;
    for (const auto& t : tokens_.all()) {
      const int32_t id = tok.special_id(t);
      if (id < 0) missing += (missing.empty() ? "" : ", ") + t;
      ids_.push_back(id);
    }
    TINYLM_CHECK(missing.empty(), "ChatFormat: the tokenizer lacks the chat template's special tokens ", missing,
                 " (add them with add_special_tokens, then resize the model's token embedding)");
  }

  const ChatTokens& tokens() const { return tokens_; }
  int32_t bos_id() const { return ids_[0]; }
  int32_t system_id() const { return ids_[1]; }
  int32_t user_id() const { return ids_[2]; }
  int32_t assistant_id() const { return ids_[3]; }
  /// The end-of-turn token: generation stops there.
  int32_t end_id() const { return ids_[4]; }

  /// A training conversation as ids and loss mask (see the file comment).
  RenderedChat render(const Conversation& c) const {
    check_conversation(c, true);
    return render_turns(c);
  }

  /// A conversation that ends with the user's turn, as the ids a model
  /// continues to write the assistant's reply: the render, then <|assistant|>.
  std::vector<int32_t> prompt(const Conversation& c) const {
    check_conversation(c, false);
    RenderedChat r = render_turns(c);
    r.ids.push_back(assistant_id());
    return std::move(r.ids);
  }

  /// The ids of one turn: its role token, its text, <|end|> (for a new turn
  /// after a cached conversation). A user turn gets <|assistant|> after it.
  std::vector<int32_t> turn(const Message& m) const {
    RenderedChat r;
    append_turn(r, m);
    if (m.role == Role::User) r.ids.push_back(assistant_id());
    return std::move(r.ids);
  }

  /// The text of ids the model wrote, up to (not including) <|end|>.
  std::string decode_reply(std::span<const int32_t> ids) const {
    std::vector<int32_t> text;
    for (int32_t id : ids) {
      if (id == end_id()) break;
      text.push_back(id);
    }
    return decode_(text);
  }

  /// The bytes of one token (an ordinary token may hold part of a UTF-8
  /// character; data::Utf8Stream makes whole ones of a stream of them).
  std::string decode_token(int32_t id) const { return decode_({id}); }

  /// A rendered conversation back into its turns. Malformed ids (no
  /// <|bos|> first, text outside a turn, a turn without <|end|>, roles out
  /// of order) are an error naming the position.
  Conversation parse(std::span<const int32_t> ids) const {
    TINYLM_CHECK(!ids.empty() && ids[0] == bos_id(), "ChatFormat::parse: the ids do not start with ", tokens_.bos);
    Conversation c;
    for (std::size_t i = 1; i < ids.size();) {
      Role role;
      if (ids[i] == system_id()) role = Role::System;
      else if (ids[i] == user_id()) role = Role::User;
      else if (ids[i] == assistant_id()) role = Role::Assistant;
      else
        throw Error(tinylm::detail::str_cat("ChatFormat::parse: id ", ids[i], " at position ", i,
                                            " is not a turn's start (", tokens_.system, ", ", tokens_.user, " or ",
                                            tokens_.assistant, ")"));
      std::size_t j = i + 1;
      std::vector<int32_t> text;
      for (; j < ids.size() && ids[j] != end_id(); ++j) {
        TINYLM_CHECK(!is_template_id(ids[j]), "ChatFormat::parse: special token ", ids[j], " at position ", j,
                     " inside the ", role_name(role), " turn that starts at ", i);
        text.push_back(ids[j]);
      }
      TINYLM_CHECK(j < ids.size(), "ChatFormat::parse: the ", role_name(role), " turn at position ", i, " has no ",
                   tokens_.end);
      c.push_back({role, decode_(text)});
      i = j + 1;
    }
    check_conversation(c, c.empty() || c.back().role == Role::Assistant);
    return c;
  }

 private:
  RenderedChat render_turns(const Conversation& c) const {
    RenderedChat r;
    append(r, bos_id(), 0);
    for (const auto& m : c) append_turn(r, m);
    return r;
  }
  void append(RenderedChat& r, int32_t id, uint8_t m) const {
    r.ids.push_back(id);
    r.mask.push_back(m);
  }
  void append_turn(RenderedChat& r, const Message& m) const {
    const uint8_t learn = m.role == Role::Assistant ? 1 : 0;
    append(r, m.role == Role::System ? system_id() : m.role == Role::User ? user_id() : assistant_id(), 0);
    for (int32_t id : encode_(m.content)) append(r, id, learn);
    append(r, end_id(), learn);
  }
  bool is_template_id(int32_t id) const {
    for (int32_t t : ids_)
      if (t == id) return true;
    return false;
  }

  ChatTokens tokens_;
  std::vector<int32_t> ids_;  // bos, system, user, assistant, end
  std::function<std::vector<int32_t>(std::string_view)> encode_;
  std::function<std::string(const std::vector<int32_t>&)> decode_;
};

/// One conversation from a JSON value in OpenAI's messages format; `what`
/// names it in errors.
inline Conversation conversation_from_json(const io::Json& j, std::string_view what = "conversation") {
  TINYLM_CHECK(j.is_object(), what, ": expected an object with \"messages\"");
  const io::Json* messages = j.find("messages");
  TINYLM_CHECK(messages && messages->is_array(), what, ": no \"messages\" array");
  Conversation c;
  for (std::size_t i = 0; i < messages->as_array().size(); ++i) {
    const io::Json& m = messages->as_array()[i];
    TINYLM_CHECK(m.is_object(), what, ": message ", i, " is not an object");
    const io::Json* role = m.find("role");
    const io::Json* content = m.find("content");
    TINYLM_CHECK(role && role->is_string(), what, ": message ", i, " has no \"role\" string");
    TINYLM_CHECK(content && content->is_string(), what, ": message ", i, " has no \"content\" string");
    try {
      c.push_back({parse_role(role->as_string()), content->as_string()});
    } catch (const Error& e) {
      throw Error(tinylm::detail::str_cat(what, ": message ", i, ": ", e.what()));
    }
  }
  return c;
}

/// A conversation as one JSON line in OpenAI's messages format.
inline std::string conversation_to_json(const Conversation& c) {
  io::Json messages = io::Json::array();
  for (const auto& m : c) {
    io::Json o = io::Json::object();
    o.set("role", role_name(m.role));
    o.set("content", m.content);
    messages.push_back(o);
  }
  io::Json j = io::Json::object();
  j.set("messages", messages);
  return j.dump();
}

struct ChatFile {
  std::vector<Conversation> conversations;
  int64_t skipped = 0;  // bad lines passed over (only with skip_bad)
};

/// Training conversations from a JSONL file, one per line (blank lines
/// ignored). A line that is not JSON, not in the messages format, or not a
/// training conversation (check_conversation) is an error naming the file,
/// the line and the reason; with `skip_bad` it is counted and passed over.
inline ChatFile read_chat_jsonl(const std::string& path, bool skip_bad = false) {
  const std::string text = data::read_text_file(path);
  ChatFile out;
  std::size_t line_no = 0;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    const std::string_view line = std::string_view(text).substr(at, end - at);
    at = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = tinylm::detail::str_cat(path, ":", line_no);
    try {
      Conversation c = conversation_from_json(io::Json::parse(line, where), where);
      try {
        check_conversation(c, true);
      } catch (const Error& e) {
        throw Error(tinylm::detail::str_cat(where, ": ", e.what()));
      }
      out.conversations.push_back(std::move(c));
    } catch (const Error&) {
      if (!skip_bad) throw;
      ++out.skipped;
    }
  }
  TINYLM_CHECK(!out.conversations.empty(), "read_chat_jsonl: '", path, "' holds no conversations",
               out.skipped ? tinylm::detail::str_cat(" (", out.skipped, " bad lines skipped)") : "");
  return out;
}

}  // namespace tinylm::lm
