#pragma once
// The request side of serve's OpenAI-compatible API, without the HTTP: a
// request body (bytes from the network, untrusted) becomes checked
// parameters and a conversation or a prompt, or an ApiError that names the
// field and the rule broken, answered as OpenAI's error object. serve.cpp
// calls these on cpp-httplib's requests; tests/fuzz/targets.hpp (target
// http_body) calls them on the fuzzer's bytes.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <tinylm/io/json.hpp>
#include <tinylm/lm/chat.hpp>

namespace examples::openai {

using tinylm::io::Json;

/// A request the API refuses: the HTTP status and OpenAI's error fields.
struct ApiError {
  int status;
  std::string message, param, code;
};

inline std::string error_type(int status) {
  return status >= 500 ? "server_error" : status == 404 ? "not_found_error" : "invalid_request_error";
}

/// OpenAI's error object: {"error": {"message", "type", "param", "code"}}.
inline std::string error_body(int status, const std::string& message, const std::string& param = "",
                              const std::string& code = "") {
  Json e = Json::object();
  e.set("message", message);
  e.set("type", error_type(status));
  e.set("param", param.empty() ? Json() : Json(param));
  e.set("code", code.empty() ? Json() : Json(code));
  Json j = Json::object();
  j.set("error", e);
  return j.dump();
}

[[noreturn]] inline void refuse(std::string message, std::string param = "", std::string code = "", int status = 400) {
  throw ApiError{status, std::move(message), std::move(param), std::move(code)};
}

/// The sampling and length fields both endpoints share.
struct Params {
  int64_t max_tokens = -1;  // -1: not given
  double temperature = 1.0, top_p = 1.0;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;
  bool stream = false, include_usage = false, echo = false;
};

/// POST /v1/chat/completions, parsed.
struct ChatRequest {
  Params params;
  tinylm::lm::Conversation conversation;  // ends with the user's message
};

/// POST /v1/completions, parsed.
struct CompletionRequest {
  Params params;
  std::string prompt;  // not empty
};

namespace detail {

inline std::string fmt(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

}  // namespace detail

/// The body as a JSON object.
inline Json parse_body(const std::string& body) {
  Json j;
  try {
    j = Json::parse(body, "the request body");
  } catch (const tinylm::Error& e) {
    refuse(e.what(), "", "invalid_json");
  }
  if (!j.is_object()) refuse("the request body must be a JSON object");
  return j;
}

/// The fields both endpoints share; `model_id` is the one model served.
inline Params parse_params(const Json& b, int64_t default_max_tokens, const std::string& model_id) {
  Params p;
  if (const Json* v = b.find("model"); v && !v->is_string()) refuse("'model' must be a string", "model");
  else if (v && v->as_string() != model_id)
    refuse("the model '" + v->as_string() + "' does not exist; this server serves '" + model_id + "'", "model",
           "model_not_found", 404);
  auto number = [&](const char* key, double lo, double hi, double& out) {
    const Json* v = b.find(key);
    if (!v || v->kind() == Json::Kind::Null) return;
    if (!v->is_number()) refuse(std::string("'") + key + "' must be a number", key);
    const double x = v->as_number();
    if (!(x >= lo && x <= hi))
      refuse(std::string("'") + key + "' must be in [" + detail::fmt(lo) + ", " + detail::fmt(hi) + "], got " +
                 detail::fmt(x),
             key);
    out = x;
  };
  auto integer = [&](const char* key) -> std::optional<int64_t> {
    const Json* v = b.find(key);
    if (!v || v->kind() == Json::Kind::Null) return std::nullopt;
    if (!v->is_number() || v->as_number() != std::floor(v->as_number()))
      refuse(std::string("'") + key + "' must be an integer", key);
    if (std::fabs(v->as_number()) > 9e15)
      refuse(
          std::string("'") + key + "' must be an integer of magnitude at most 9e15, got " + detail::fmt(v->as_number()),
          key);
    return static_cast<int64_t>(v->as_number());
  };
  auto flag = [&](const Json& o, const char* key, bool& out) {
    const Json* v = o.find(key);
    if (!v || v->kind() == Json::Kind::Null) return;
    if (v->kind() != Json::Kind::Bool) refuse(std::string("'") + key + "' must be true or false", key);
    out = v->as_bool();
  };
  number("temperature", 0, 2, p.temperature);
  number("top_p", 0, 1, p.top_p);
  if (p.top_p <= 0) refuse("'top_p' must be greater than 0", "top_p");
  for (const char* key : {"max_tokens", "max_completion_tokens"})
    if (auto n = integer(key)) {
      if (*n < 1) refuse(std::string("'") + key + "' must be at least 1, got " + std::to_string(*n), key);
      p.max_tokens = *n;
    }
  if (p.max_tokens < 0) p.max_tokens = default_max_tokens;
  if (auto n = integer("n"); n && *n != 1) refuse("only n = 1 is supported", "n");
  if (auto s = integer("seed")) p.seed = static_cast<uint64_t>(*s);
  flag(b, "stream", p.stream);
  flag(b, "echo", p.echo);
  if (const Json* so = b.find("stream_options"); so && so->kind() != Json::Kind::Null) {
    if (!so->is_object()) refuse("'stream_options' must be an object", "stream_options");
    flag(*so, "include_usage", p.include_usage);
  }
  if (const Json* lp = b.find("logprobs");
      lp && lp->kind() != Json::Kind::Null && !(lp->kind() == Json::Kind::Bool && !lp->as_bool()))
    refuse("'logprobs' is not supported", "logprobs");
  if (const Json* st = b.find("stop"); st && st->kind() != Json::Kind::Null) {
    if (st->is_string()) p.stop.push_back(st->as_string());
    else if (st->is_array() && st->as_array().size() <= 4)
      for (const auto& s : st->as_array()) {
        if (!s.is_string()) refuse("'stop' must be a string or an array of at most 4 strings", "stop");
        p.stop.push_back(s.as_string());
      }
    else refuse("'stop' must be a string or an array of at most 4 strings", "stop");
    for (const auto& s : p.stop)
      if (s.empty()) refuse("a stop string is empty", "stop");
  }
  return p;
}

/// messages[i] of a chat request.
inline tinylm::lm::Message parse_message(const Json& m, std::size_t i) {
  const std::string at = "messages[" + std::to_string(i) + "]";
  if (!m.is_object()) refuse(at + " must be an object", at);
  const Json* role = m.find("role");
  if (!role || !role->is_string()) refuse(at + ".role must be a string", at + ".role");
  tinylm::lm::Message out;
  const std::string& r = role->as_string();
  if (r == "system" || r == "developer") out.role = tinylm::lm::Role::System;
  else if (r == "user") out.role = tinylm::lm::Role::User;
  else if (r == "assistant") out.role = tinylm::lm::Role::Assistant;
  else refuse(at + ".role '" + r + "' is not one of system, developer, user, assistant", at + ".role");
  const Json* content = m.find("content");
  if (!content) refuse(at + ".content is required", at + ".content");
  if (content->is_string()) {
    out.content = content->as_string();
  } else if (content->is_array()) {  // content parts: text only
    for (const auto& part : content->as_array()) {
      const Json* type = part.find("type");
      const Json* text = part.find("text");
      if (!type || !type->is_string() || type->as_string() != "text" || !text || !text->is_string())
        refuse(at + ".content: only parts of type 'text' are supported", at + ".content");
      out.content += text->as_string();
    }
  } else {
    refuse(at + ".content must be a string or an array of text parts", at + ".content");
  }
  return out;
}

/// A /v1/chat/completions body: at most `max_messages` messages, the last the user's.
inline ChatRequest parse_chat_request(const std::string& body, const std::string& model_id, int64_t max_messages) {
  const Json b = parse_body(body);
  ChatRequest r;
  r.params = parse_params(b, -1, model_id);
  const Json* msgs = b.find("messages");
  if (!msgs) refuse("'messages' is required", "messages");
  if (!msgs->is_array() || msgs->as_array().empty()) refuse("'messages' must be a non-empty array", "messages");
  if (static_cast<int64_t>(msgs->as_array().size()) > max_messages)
    refuse("'messages' has " + std::to_string(msgs->as_array().size()) + " messages; at most " +
               std::to_string(max_messages) + " are allowed",
           "messages");
  for (std::size_t i = 0; i < msgs->as_array().size(); ++i)
    r.conversation.push_back(parse_message(msgs->as_array()[i], i));
  if (r.conversation.back().role != tinylm::lm::Role::User)
    refuse("the last message must be the user's (the reply to write is the assistant's)", "messages");
  return r;
}

/// A /v1/completions body; max_tokens defaults to 16, as OpenAI's.
inline CompletionRequest parse_completion_request(const std::string& body, const std::string& model_id) {
  const Json b = parse_body(body);
  CompletionRequest r;
  r.params = parse_params(b, 16, model_id);
  const Json* pj = b.find("prompt");
  if (!pj) refuse("'prompt' is required", "prompt");
  const Json* text = pj;
  if (pj->is_array()) {
    if (pj->as_array().size() != 1 || !pj->as_array()[0].is_string())
      refuse("'prompt' must be a string or an array of one string", "prompt");
    text = &pj->as_array()[0];
  }
  if (!text->is_string()) refuse("'prompt' must be a string", "prompt");
  if (text->as_string().empty()) refuse("'prompt' is empty", "prompt");
  r.prompt = text->as_string();
  return r;
}

}  // namespace examples::openai
