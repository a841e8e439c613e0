// serve: an OpenAI-compatible HTTP server for a model directory.
//
//   serve --model out/chat                 http://127.0.0.1:8080/ is a chat page, /v1/... the API
//   serve --model out/chat --port 0        any free port (the "serving" line says which)
//
// Endpoints, OpenAI's, so that its clients work unchanged:
//   POST /v1/chat/completions  messages -> the assistant's reply, for a chat model (a directory
//                              with chat_template.json, as chat_train writes); "stream": true
//                              answers Server-Sent Events of chat.completion.chunk objects
//   POST /v1/completions       prompt -> its continuation, for any model
//   GET  /v1/models            the one model served
//   GET  /health               {"status": "ok"} and how busy the server is
//   GET  /                     a chat page that streams the reply
// Errors are OpenAI's error object, {"error": {"message", "type", "param", "code"}}.
//
// How it runs: cpp-httplib's threads parse and check a request and
// tokenize its prompt; one engine thread runs lm::Batcher, so the requests
// in flight share every decode step (continuous batching, --max-batch at
// once; more wait their turn in arrival order). A request's tokens go to a
// queue of its own that its HTTP thread drains, so a slow client slows only
// itself, and a client that goes away (a write fails) cancels its request,
// whose slot takes the next one at the next step. SIGINT or SIGTERM stops
// taking connections, lets the requests in flight finish, and exits; a
// second one exits at once. One line per request goes to stderr.

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <tinylm/tinylm.hpp>

// After tinylm: httplib.h brings <resolv.h>, whose `_res` macro would rewrite
// a parameter name in Eigen's headers. cpp-httplib listens with a queue of
// only 5 connections not yet accepted, which clients that reconnect for
// every request can overflow while the accepting thread waits for a core:
// the likely cause of the "connection reset by peer" 16 streaming clients
// once saw on a 2-core machine busy with other work. The queue holds 128.
#define CPPHTTPLIB_LISTEN_BACKLOG 128
#include <httplib.h>

#include "chat_model.hpp"
#include "flags.hpp"
#include "openai_api.hpp"
#include "serve_page.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using examples::openai::ApiError;
using examples::openai::error_body;
using examples::openai::Params;
using examples::openai::refuse;
using tinylm::io::Json;
using tinylm::lm::StreamEnd;

struct Options {
  std::string model, host = "127.0.0.1", name, weights = "fp32";
  int64_t port = 8080, threads = 0, max_batch = 8, http_threads = 64;
  int64_t max_body = 1 << 20, max_messages = 256;
};

// ---- the engine ------------------------------------------------------------

/// One generation: the engine thread fills it, an HTTP thread reads it.
struct Job {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int32_t> tokens;
  bool done = false;
  StreamEnd end = StreamEnd::Length;
  std::string error;  // set when the engine could not run it
  std::atomic<bool> cancel{false};
  Clock::time_point first_token{};
};

/// The thread that owns the model and runs the batcher.
class Engine {
 public:
  Engine(tinylm::nn::GPT<float>& model, int64_t max_batch) : batcher_(model, max_batch), thread_([this] { loop(); }) {}
  ~Engine() { stop(); }

  std::shared_ptr<Job> submit(tinylm::lm::BatchRequest r) {
    auto job = std::make_shared<Job>();
    r.on_token = [job](int32_t t) {
      std::lock_guard lock(job->mu);
      if (job->tokens.empty()) job->first_token = Clock::now();
      job->tokens.push_back(t);
      job->cv.notify_all();
    };
    r.on_end = [job](StreamEnd e, int64_t) {
      std::lock_guard lock(job->mu);
      job->end = e;
      job->done = true;
      job->cv.notify_all();
    };
    r.cancelled = [job] { return job->cancel.load(); };
    {
      std::lock_guard lock(mu_);
      incoming_.emplace_back(std::move(r), job);
    }
    cv_.notify_one();
    return job;
  }

  /// Finishes what was submitted, then joins the thread.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  int64_t active() const { return active_.load(); }
  int64_t queued() const { return queued_.load(); }

 private:
  void loop() {
    for (;;) {
      std::vector<std::pair<tinylm::lm::BatchRequest, std::shared_ptr<Job>>> in;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !incoming_.empty() || !batcher_.idle(); });
        in.swap(incoming_);
        if (in.empty() && batcher_.idle() && stopping_) return;
      }
      for (auto& [request, job] : in) {
        try {
          batcher_.submit(std::move(request));
        } catch (const std::exception& e) {  // the HTTP side checks first: this is a bug's safety net
          std::lock_guard lock(job->mu);
          job->error = e.what();
          job->done = true;
          job->cv.notify_all();
        }
      }
      if (!batcher_.idle()) batcher_.step();
      active_ = batcher_.active();
      queued_ = batcher_.queued();
    }
  }

  tinylm::lm::Batcher<float> batcher_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<tinylm::lm::BatchRequest, std::shared_ptr<Job>>> incoming_;
  bool stopping_ = false;
  std::atomic<int64_t> active_{0}, queued_{0};
  std::thread thread_;  // last: it starts once everything above is built
};

// ---- text out ----------------------------------------------------------------

// ---- the log line --------------------------------------------------------------

/// What one request cost, for its log line (one request per thread at a time).
struct RequestLog {
  Clock::time_point start;
  int64_t prompt_tokens = -1, completion_tokens = -1;
  double ttft_ms = -1;
};
thread_local RequestLog request_log;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// ---- the API ---------------------------------------------------------------------

class Api {
 public:
  Api(examples::ChatModel m, std::string id, int64_t max_batch, const Options& o)
      : m_(std::move(m)),
        id_(std::move(id)),
        context_(m_.model->config().block_size),
        max_messages_(o.max_messages),
        created_(static_cast<int64_t>(std::time(nullptr))),
        bf16_(o.weights == "bf16" ? std::make_unique<tinylm::nn::Bf16Weights>(*m_.model) : nullptr),
        engine_(*m_.model, max_batch) {
    if (m_.tokens) chat_.emplace(m_.tokenizer, *m_.tokens);
    const int32_t eot = m_.tokenizer.bpe ? m_.tokenizer.special_id("<|endoftext|>") : -1;
    if (eot >= 0) completion_stops_ = {eot};
  }

  bool is_chat() const { return chat_.has_value(); }
  const std::string& id() const { return id_; }
  int64_t context() const { return context_; }
  Engine& engine() { return engine_; }

  void chat_completions(const httplib::Request& req, httplib::Response& res) {
    if (!chat_)
      refuse("model '" + id_ + "' has no chat template (chat_template.json): it is a base model; use /v1/completions",
             "model", "model_not_chat");
    const auto r = examples::openai::parse_chat_request(req.body, id_, max_messages_);
    std::vector<int32_t> prompt;
    try {
      prompt = chat_->prompt(r.conversation);
    } catch (const tinylm::Error& e) {
      refuse(e.what(), "messages");
    }
    generate(res, prompt, r.params, {chat_->end_id()}, true, "");
  }

  void completions(const httplib::Request& req, httplib::Response& res) {
    const auto r = examples::openai::parse_completion_request(req.body, id_);
    std::vector<int32_t> prompt;
    try {
      prompt = m_.tokenizer.encode_ordinary(r.prompt);
    } catch (const tinylm::Error& e) {
      refuse(e.what(), "prompt");
    }
    generate(res, prompt, r.params, completion_stops_, false, r.params.echo ? r.prompt : "");
  }

  std::string models_json() const {
    Json list = Json::object();
    list.set("object", "list");
    list.set("data", Json::array({model_json()}));
    return list.dump();
  }
  Json model_json() const {
    Json m = Json::object();
    m.set("id", id_);
    m.set("object", "model");
    m.set("created", created_);
    m.set("owned_by", "tinylm");
    return m;
  }

 private:
  /// Runs the prompt through the engine and answers, streamed or whole.
  void generate(httplib::Response& res, const std::vector<int32_t>& prompt, const Params& p,
                const std::vector<int32_t>& stop_tokens, bool chat, const std::string& echo) {
    const auto n = static_cast<int64_t>(prompt.size());
    request_log.prompt_tokens = n;
    if (n >= context_)
      refuse("this model's maximum context length is " + std::to_string(context_) + " tokens; the " +
                 (chat ? "messages" : "prompt") + " came to " + std::to_string(n) + " tokens",
             chat ? "messages" : "prompt", "context_length_exceeded");
    int64_t max_tokens = p.max_tokens;
    if (max_tokens < 0) max_tokens = context_ - n;
    else if (n + max_tokens > context_)
      refuse("this model's maximum context length is " + std::to_string(context_) + " tokens; " +
                 std::to_string(n + max_tokens) + " were asked for (" + std::to_string(n) + " in the " +
                 (chat ? "messages" : "prompt") + ", " + std::to_string(max_tokens) + " in the completion)",
             "max_tokens", "context_length_exceeded");
    tinylm::lm::BatchRequest r;
    r.prompt = prompt;
    r.max_new_tokens = max_tokens;
    r.sampling.temperature = p.temperature;
    r.sampling.top_p = p.top_p;
    r.seed = p.seed ? *p.seed : std::random_device{}();
    r.stop_tokens = stop_tokens;
    const auto job = engine_.submit(std::move(r));
    const Clock::time_point start = request_log.start;
    auto bytes = [this, chat](int32_t t) -> std::string {
      if (t >= m_.tokenizer.vocab_size()) return "\xEF\xBF\xBD";  // a row of the model's table no token names
      return chat ? chat_->decode_token(t) : m_.tokenizer.decode({t});
    };
    const std::string id = (chat ? "chatcmpl-" : "cmpl-") + random_id();
    const int64_t created = static_cast<int64_t>(std::time(nullptr));

    if (!p.stream) {
      tinylm::lm::StreamDecoder out(bytes, p.stop);
      std::string text = echo;
      const auto [finish, written] = drain(*job, out, [&](const std::string& piece) {
        text += piece;
        return true;
      });
      log_tokens(*job, written, start);
      Json choice = Json::object();
      choice.set("index", 0);
      if (chat) {
        Json msg = Json::object();
        msg.set("role", "assistant");
        msg.set("content", text);
        choice.set("message", msg);
      } else {
        choice.set("text", text);
        choice.set("logprobs", Json());
      }
      choice.set("finish_reason", finish);
      Json j = envelope(id, chat ? "chat.completion" : "text_completion", created);
      j.set("choices", Json::array({choice}));
      j.set("usage", usage(n, written));
      res.set_content(j.dump(), "application/json");
      return;
    }

    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, job, bytes, p, chat, id, created, n, echo, start](size_t, httplib::DataSink& sink) {
          try {
            return stream(*job, sink, bytes, p, chat, id, created, n, echo, start);
          } catch (const std::exception& e) {  // the headers are gone: all that can be done is to end the stream
            std::fprintf(stderr, "serve: a stream ended early: %s\n", e.what());
            job->cancel = true;
            return false;
          }
        },
        [job](bool) { job->cancel = true; });  // ends the generation if the stream did not run to its end
  }

  /// Writes one streamed answer: the role, the text as it comes, the finish
  /// reason, the usage if asked for, and [DONE]. False if the client went away.
  bool stream(Job& job, httplib::DataSink& sink, const std::function<std::string(int32_t)>& bytes, const Params& p,
              bool chat, const std::string& id, int64_t created, int64_t n, const std::string& echo,
              Clock::time_point start) {
    auto send = [&](const Json& j) {
      const std::string event = "data: " + j.dump() + "\n\n";
      return sink.write(event.data(), event.size());
    };
    auto chunk = [&](const std::string* content, const char* finish) {
      Json choice = Json::object();
      choice.set("index", 0);
      if (chat) {
        Json delta = Json::object();
        if (content && content->empty()) {  // the first chunk: the role
          delta.set("role", "assistant");
          delta.set("content", "");
        } else if (content) {
          delta.set("content", *content);
        }  // none: the last chunk, with the finish reason
        choice.set("delta", delta);
      } else {
        choice.set("text", content ? *content : std::string());
        choice.set("logprobs", Json());
      }
      choice.set("finish_reason", finish ? Json(finish) : Json());
      Json j = envelope(id, chat ? "chat.completion.chunk" : "text_completion", created);
      j.set("choices", Json::array({choice}));
      return send(j);
    };
    const std::string empty;
    if ((chat && !chunk(&empty, nullptr)) || (!echo.empty() && !chunk(&echo, nullptr))) {
      job.cancel = true;
      return false;
    }
    tinylm::lm::StreamDecoder out(bytes, p.stop);
    const auto [finish, written] = drain(job, out, [&](const std::string& piece) { return chunk(&piece, nullptr); });
    log_tokens(job, written, start);
    if (job.cancel && finish != "stop") return false;  // the client went away
    bool ok = chunk(nullptr, finish.c_str());
    if (ok && p.include_usage) {
      Json j = envelope(id, chat ? "chat.completion.chunk" : "text_completion", created);
      j.set("choices", Json::array());
      j.set("usage", usage(n, written));
      ok = send(j);
    }
    const std::string done = "data: [DONE]\n\n";
    if (ok) ok = sink.write(done.data(), done.size());
    if (ok) sink.done();
    return ok;
  }

  /// Feeds the job's tokens through `out` to `emit` until it ends; a
  /// failing emit or a stop string cancels it. Returns the finish reason
  /// and the tokens the model wrote.
  std::pair<std::string, int64_t> drain(Job& job, tinylm::lm::StreamDecoder& out,
                                        const std::function<bool(const std::string&)>& emit) {
    std::size_t seen = 0;
    bool stopped = false, done = false;
    StreamEnd end = StreamEnd::Length;
    std::string error;
    while (!done) {
      std::vector<int32_t> fresh;
      {
        std::unique_lock lock(job.mu);
        job.cv.wait(lock, [&] { return job.done || job.tokens.size() > seen; });
        fresh.assign(job.tokens.begin() + static_cast<std::ptrdiff_t>(seen), job.tokens.end());
        seen = job.tokens.size();
        done = job.done;
        end = job.end;
        error = job.error;
      }
      if (!error.empty()) throw ApiError{500, "the engine could not run the request: " + error, "", ""};
      for (int32_t t : fresh) {
        if (stopped || job.cancel) break;
        const std::string piece = out.push(t, stopped);
        if (!piece.empty() && !emit(piece)) job.cancel = true;
        if (stopped) job.cancel = true;  // a stop string: the rest is not wanted
      }
    }
    if (!stopped && !job.cancel) {
      const std::string rest = out.flush();
      if (!rest.empty() && !emit(rest)) job.cancel = true;
    }
    const std::string finish = stopped || end == StreamEnd::StopToken ? "stop" : "length";
    return {finish, static_cast<int64_t>(seen)};
  }

  static void log_tokens(Job& job, int64_t written, Clock::time_point start) {
    request_log.completion_tokens = written;
    std::lock_guard lock(job.mu);
    if (!job.tokens.empty())
      request_log.ttft_ms = std::chrono::duration<double, std::milli>(job.first_token - start).count();
  }

  Json envelope(const std::string& id, const char* object, int64_t created) const {
    Json j = Json::object();
    j.set("id", id);
    j.set("object", object);
    j.set("created", created);
    j.set("model", id_);
    return j;
  }
  static Json usage(int64_t prompt, int64_t completion) {
    Json u = Json::object();
    u.set("prompt_tokens", prompt);
    u.set("completion_tokens", completion);
    u.set("total_tokens", prompt + completion);
    return u;
  }
  static std::string random_id() {
    static std::mutex mu;
    static std::mt19937_64 gen{std::random_device{}()};
    std::lock_guard lock(mu);
    char buf[25];
    std::snprintf(buf, sizeof buf, "%016llx%08llx", static_cast<unsigned long long>(gen()),
                  static_cast<unsigned long long>(gen() & 0xffffffffu));
    return buf;
  }

  examples::ChatModel m_;
  std::optional<tinylm::lm::ChatFormat> chat_;
  std::vector<int32_t> completion_stops_;
  std::string id_;
  int64_t context_, max_messages_, created_;
  std::unique_ptr<tinylm::nn::Bf16Weights> bf16_;  // --weights bf16: dropped after the engine stops
  Engine engine_;                                  // last: its thread starts once the model is in place
};

/// Runs a handler, answering an ApiError (or any other error) as OpenAI's error object.
template <class F>
httplib::Server::Handler guarded(F f) {
  return [f](const httplib::Request& req, httplib::Response& res) {
    try {
      f(req, res);
    } catch (const ApiError& e) {
      res.status = e.status;
      res.set_content(error_body(e.status, e.message, e.param, e.code), "application/json");
    } catch (const std::exception& e) {
      res.status = 500;
      res.set_content(error_body(500, std::string("internal error: ") + e.what()), "application/json");
    }
  };
}

int run(int argc, char** argv) {
  Options o;
  examples::Flags flags("serve", "Serves a model over HTTP with OpenAI's chat-completions API and a chat page.");
  flags.add("model", &o.model, "the model directory (chat_train's for chat; gpt_train's for completions only)");
  flags.add("host", &o.host, "address to listen on (127.0.0.1: this machine only)");
  flags.add("port", &o.port, "port to listen on (0: any free one)");
  flags.add("name", &o.name, "the model's id in the API (none: the directory's name)");
  flags.add("threads", &o.threads, "CPU threads for the model (0: all cores)");
  flags.add("max-batch", &o.max_batch, "requests decoded together in one step; more wait their turn");
  flags.add("http-threads", &o.http_threads, "connections served at once (a streaming reply holds one)");
  flags.add("max-body", &o.max_body, "largest request body, in bytes");
  flags.add("max-messages", &o.max_messages, "most messages in one chat request");
  flags.add("weights", &o.weights, "the weights generation reads: fp32, or bf16 copies (half the bytes a token)");
  if (!flags.parse(argc, argv)) return 0;
  if (o.model.empty()) throw examples::UsageError("--model DIR is required");
  if (o.port < 0 || o.port > 65535) throw examples::UsageError("--port must be in [0, 65535]");
  if (o.threads < 0) throw examples::UsageError("--threads must be >= 0");
  if (o.max_batch < 1) throw examples::UsageError("--max-batch must be at least 1");
  if (o.http_threads < 1) throw examples::UsageError("--http-threads must be at least 1");
  if (o.max_body < 1) throw examples::UsageError("--max-body must be at least 1");
  if (o.max_messages < 1) throw examples::UsageError("--max-messages must be at least 1");
  if (o.weights != "fp32" && o.weights != "bf16") throw examples::UsageError("--weights must be fp32 or bf16");
  if (o.threads > 0) tinylm::set_num_threads(static_cast<int>(o.threads));

  // SIGINT and SIGTERM go to one thread that sigwait()s for them; every
  // thread made from here on has them blocked.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto m = examples::load_model_dir(o.model, "--model '" + o.model + "'");
  const std::string name =
      o.name.empty() ? std::filesystem::path(o.model).lexically_normal().filename().string() : o.name;
  const double params_m = double(m.model->num_parameters()) / 1e6;
  Api api(std::move(m), name.empty() ? "tinylm" : name, o.max_batch, o);

  httplib::Server svr;
  const auto http_threads = static_cast<std::size_t>(o.http_threads);
  svr.new_task_queue = [http_threads] { return new httplib::ThreadPool(http_threads); };
  svr.set_payload_max_length(static_cast<std::size_t>(o.max_body));
  svr.set_read_timeout(30, 0);
  svr.set_write_timeout(30, 0);
  svr.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    request_log = RequestLog{Clock::now()};
    return httplib::Server::HandlerResponse::Unhandled;
  });
  const int64_t max_body = o.max_body;
  svr.set_error_handler([max_body](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;  // a handler's own error
    if (res.status == 404)
      res.set_content(error_body(404, "no such endpoint: " + req.method + " " + req.path, "", "unknown_url"),
                      "application/json");
    else if (res.status == 413)
      res.set_content(error_body(413, "the request body is larger than " + std::to_string(max_body) + " bytes", "",
                                 "request_too_large"),
                      "application/json");
    else
      res.set_content(error_body(res.status, "the request failed with HTTP status " + std::to_string(res.status)),
                      "application/json");
  });
  svr.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    const RequestLog& l = request_log;
    std::string tokens;
    if (l.prompt_tokens >= 0) tokens += " prompt=" + std::to_string(l.prompt_tokens);
    if (l.completion_tokens >= 0) tokens += " completion=" + std::to_string(l.completion_tokens);
    char times[96] = "";
    if (l.ttft_ms >= 0) std::snprintf(times, sizeof times, " ttft=%.1fms", l.ttft_ms);
    std::fprintf(stderr, "%s %s %d%s%s total=%.1fms\n", req.method.c_str(), req.path.c_str(), res.status,
                 tokens.c_str(), times, ms_since(l.start));
  });

  svr.Post("/v1/chat/completions", guarded([&api](const auto& req, auto& res) { api.chat_completions(req, res); }));
  svr.Post("/v1/completions", guarded([&api](const auto& req, auto& res) { api.completions(req, res); }));
  svr.Get("/v1/models",
          guarded([&api](const auto&, auto& res) { res.set_content(api.models_json(), "application/json"); }));
  svr.Get(R"(/v1/models/(.+))", guarded([&api](const auto& req, auto& res) {
            if (req.matches[1] != api.id())
              refuse("the model '" + std::string(req.matches[1]) + "' does not exist", "model", "model_not_found", 404);
            res.set_content(api.model_json().dump(), "application/json");
          }));
  svr.Get("/health", guarded([&api](const auto&, auto& res) {
            Json j = Json::object();
            j.set("status", "ok");
            j.set("model", api.id());
            j.set("active", api.engine().active());
            j.set("queued", api.engine().queued());
            res.set_content(j.dump(), "application/json");
          }));
  svr.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(examples::kServePage, "text/html; charset=utf-8");
  });

  int port = static_cast<int>(o.port);
  if (port == 0) port = svr.bind_to_any_port(o.host);
  else if (!svr.bind_to_port(o.host, port)) port = -1;
  TINYLM_CHECK(port > 0, "cannot listen on ", o.host, ":", o.port, " (in use, or not an address of this machine)");

  std::thread([&svr, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    std::fprintf(stderr, "serve: %s: finishing the requests in flight, then exiting\n",
                 sig == SIGINT ? "SIGINT" : "SIGTERM");
    svr.stop();
    sigwait(&stop_signals, &sig);
    std::fprintf(stderr, "serve: a second signal: exiting now\n");
    _exit(1);
  }).detach();

  std::printf(
      "serving %s ('%s', %.2fM parameters, context %lld, %s) on http://%s:%d/ with up to %lld requests "
      "per step\n",
      o.model.c_str(), api.id().c_str(), params_m, (long long)api.context(),
      api.is_chat() ? "chat" : "completions only", o.host.c_str(), port, (long long)o.max_batch);
  std::fflush(stdout);
  svr.listen_after_bind();
  api.engine().stop();
  std::fprintf(stderr, "serve: stopped\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return examples::run_main("serve", argc, argv, run); }
