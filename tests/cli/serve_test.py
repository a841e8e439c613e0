#!/usr/bin/env python3
"""serve, tested from outside: start it on a free loopback port, talk to it.

    serve_test.py api     SERVE MODEL_DIR BASE_DIR   OpenAI's client, curl's error cases, shutdown
    serve_test.py load    SERVE MODEL_DIR SECONDS    concurrent streaming clients, each checked
    serve_test.py browser SERVE MODEL_DIR OUT.png    the chat page in headless Chromium

`api` and `browser` need the packages of serve_venv.sh (openai, selenium)
on sys.path: run them with that virtual environment's python. Exit 77:
skipped (no Chromium). Everything else: 0 passed, 1 failed, with why.
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def check(ok, msg):
    if not ok:
        fail(msg)


class Server:
    """serve --model DIR on a port the system picks; stderr kept for the log lines."""

    def __init__(self, exe, model, *args):
        self.proc = subprocess.Popen([exe, "--model", model, "--port", "0", "--threads", "2", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"on http://127\.0\.0\.1:(\d+)/", line)
        if not m:
            self.proc.kill()
            fail("serve did not say where it listens: %r %s" % (line, self.proc.stderr.read()))
        self.port = int(m.group(1))
        self.url = "http://127.0.0.1:%d" % self.port
        self.log = []
        threading.Thread(target=self._read_log, daemon=True).start()

    def _read_log(self):
        for line in self.proc.stderr:
            self.log.append(line.rstrip("\n"))

    def stop(self, sig=signal.SIGTERM, timeout=60):
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("serve did not exit within %ds of %s" % (timeout, sig.name))


def post(url, body, raw=False, timeout=120):
    data = body if raw else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def sse_text(url, body, timeout=120):
    """Streams a chat completion with urllib; returns (text, finish, events)."""
    req = urllib.request.Request(url, data=json.dumps({**body, "stream": True}).encode(),
                                 headers={"Content-Type": "application/json"})
    text, finish, events = "", None, 0
    with urllib.request.urlopen(req, timeout=timeout) as r:
        check(r.headers.get("Content-Type", "").startswith("text/event-stream"), "a stream is not text/event-stream")
        done = False
        for raw in r:
            line = raw.decode("utf-8")  # a character split across chunks would fail here
            if not line.startswith("data: "):
                continue
            data = line[6:].strip()
            if data == "[DONE]":
                done = True
                break
            events += 1
            choice = json.loads(data)["choices"][0]
            text += choice["delta"].get("content") or ""
            finish = choice["finish_reason"] or finish
        check(done, "the stream ended without data: [DONE]")
    return text, finish, events


def curl(*args):
    """curl -s -w status; returns (status, parsed body or None)."""
    out = subprocess.run(["curl", "-s", "-o", "-", "-w", "\n%{http_code}", *args],
                         capture_output=True, text=True, timeout=60).stdout
    body, _, code = out.rpartition("\n")
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    return int(code), parsed


def check_error(name, got, status, code=None, param=None, words=None):
    st, body = got
    check(st == status, "%s: status %d, expected %d (%s)" % (name, st, status, body))
    check(isinstance(body, dict) and isinstance(body.get("error"), dict), "%s: no error object: %r" % (name, body))
    e = body["error"]
    check(set(e) == {"message", "type", "param", "code"}, "%s: error fields %s" % (name, sorted(e)))
    check(e["type"] == ("not_found_error" if status == 404 else "invalid_request_error"), "%s: type %r" % (name, e["type"]))
    if code is not None:
        check(e["code"] == code, "%s: code %r, expected %r" % (name, e["code"], code))
    if param is not None:
        check(e["param"] == param, "%s: param %r, expected %r" % (name, e["param"], param))
    if words is not None:
        check(words in e["message"], "%s: message %r lacks %r" % (name, e["message"], words))
    print("ok: %s -> %d %s" % (name, status, e["message"]))


QUESTION = [{"role": "system", "content": "be brief."}, {"role": "user", "content": "What is 12 + 7?"}]


def test_api(exe, model, base):
    import openai

    srv = Server(exe, model, "--max-batch", "4")
    client = openai.OpenAI(base_url=srv.url + "/v1", api_key="none")
    model_id = client.models.list().data[0].id
    check(model_id == os.path.basename(os.path.normpath(model)), "model id %r" % model_id)

    # Non-streaming, then streaming: the same text at temperature 0.
    r = client.chat.completions.create(model=model_id, messages=QUESTION, temperature=0, max_tokens=24)
    check(r.object == "chat.completion" and r.id.startswith("chatcmpl-"), "object %r id %r" % (r.object, r.id))
    c = r.choices[0]
    check(c.message.role == "assistant" and isinstance(c.message.content, str), "message %r" % c.message)
    check(c.finish_reason in ("stop", "length"), "finish_reason %r" % c.finish_reason)
    u = r.usage
    check(u.prompt_tokens > 10 and 0 <= u.completion_tokens <= 24 and u.total_tokens == u.prompt_tokens + u.completion_tokens,
          "usage %r" % u)
    check(c.finish_reason == "stop" or u.completion_tokens == 24, "finish 'length' before max_tokens: %r" % u)
    print("ok: chat completion: %r (%s, %d+%d tokens)" % (c.message.content, c.finish_reason, u.prompt_tokens,
                                                          u.completion_tokens))

    stream = client.chat.completions.create(model=model_id, messages=QUESTION, temperature=0, max_tokens=24,
                                            stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    check(chunks[0].choices[0].delta.role == "assistant", "the first chunk does not give the role")
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    finishes = [ch.choices[0].finish_reason for ch in chunks if ch.choices and ch.choices[0].finish_reason]
    check(all(ch.object == "chat.completion.chunk" and ch.id == chunks[0].id for ch in chunks), "chunk ids or objects")
    check(text == c.message.content, "streamed %r, not streamed %r" % (text, c.message.content))
    check(finishes == [c.finish_reason], "finish reasons %r" % finishes)
    check(chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == u.completion_tokens,
          "the usage chunk: %r" % chunks[-1].usage)
    print("ok: streamed the same text in %d chunks" % len(chunks))

    # Sampling with a seed repeats; a stop string cuts the reply before it.
    kw = dict(model=model_id, messages=QUESTION, temperature=1.0, top_p=0.9, seed=5, max_tokens=16)
    a, b = (client.chat.completions.create(**kw).choices[0].message.content for _ in range(2))
    check(a == b, "seeded sampling differs: %r vs %r" % (a, b))
    long = client.chat.completions.create(model=model_id, messages=QUESTION, temperature=0, max_tokens=24)
    full = long.choices[0].message.content
    if len(full) >= 4:
        stop = full[2:4]
        cut = client.chat.completions.create(model=model_id, messages=QUESTION, temperature=0, max_tokens=24, stop=[stop])
        check(cut.choices[0].message.content == full[:full.find(stop)] and cut.choices[0].finish_reason == "stop",
              "stop %r: %r from %r" % (stop, cut.choices[0].message.content, full))
        text, finish, _ = sse_text(srv.url + "/v1/chat/completions",
                                   dict(model=model_id, messages=QUESTION, temperature=0, max_tokens=24, stop=stop))
        check(text == full[:full.find(stop)] and finish == "stop", "streamed stop %r: %r" % (stop, text))
        print("ok: stop string %r" % stop)

    # Plain completions.
    comp = client.completions.create(model=model_id, prompt="What is 3 + 4?", max_tokens=5, temperature=0)
    check(comp.object == "text_completion" and isinstance(comp.choices[0].text, str) and comp.usage.completion_tokens <= 5,
          "completion %r" % comp)
    echo = client.completions.create(model=model_id, prompt="What", max_tokens=3, temperature=0, echo=True)
    check(echo.choices[0].text.startswith("What"), "echo %r" % echo.choices[0].text)
    print("ok: completion %r" % comp.choices[0].text)

    # Errors, as curl sees them.
    url = srv.url + "/v1/chat/completions"
    js = ["-H", "Content-Type: application/json"]
    check_error("bad JSON", curl(*js, "-d", '{"messages": [', url), 400, code="invalid_json")
    check_error("not an object", curl(*js, "-d", "[1]", url), 400)
    check_error("no messages", curl(*js, "-d", "{}", url), 400, param="messages")
    check_error("unknown role", curl(*js, "-d", json.dumps({"messages": [{"role": "robot", "content": "hi"}]}), url),
                400, param="messages[0].role")
    check_error("content a number", curl(*js, "-d", json.dumps({"messages": [{"role": "user", "content": 5}]}), url),
                400, param="messages[0].content")
    check_error("roles out of order",
                curl(*js, "-d", json.dumps({"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}),
                     url), 400, param="messages")
    check_error("temperature a string", curl(*js, "-d", json.dumps({"messages": QUESTION, "temperature": "hot"}), url),
                400, param="temperature")
    check_error("temperature too high", curl(*js, "-d", json.dumps({"messages": QUESTION, "temperature": 3}), url),
                400, param="temperature")
    check_error("max_tokens 0", curl(*js, "-d", json.dumps({"messages": QUESTION, "max_tokens": 0}), url),
                400, param="max_tokens")
    check_error("n = 2", curl(*js, "-d", json.dumps({"messages": QUESTION, "n": 2}), url), 400, param="n")
    check_error("unknown model", curl(*js, "-d", json.dumps({"messages": QUESTION, "model": "gpt-9"}), url),
                404, code="model_not_found")
    long_prompt = [{"role": "user", "content": "What is 1 + 1? " * 400}]
    check_error("prompt too long", curl(*js, "-d", json.dumps({"messages": long_prompt}), url), 400,
                code="context_length_exceeded", words="maximum context length")
    check_error("max_tokens past the context", curl(*js, "-d", json.dumps({"messages": QUESTION, "max_tokens": 100000}), url),
                400, code="context_length_exceeded")
    check_error("unknown route", curl(srv.url + "/v1/nothing"), 404, code="unknown_url")
    big = os.path.join(os.environ.get("TMPDIR", "/tmp"), "serve_test_big_%d.json" % os.getpid())
    with open(big, "w") as f:
        json.dump({"messages": [{"role": "user", "content": "x" * (2 << 20)}]}, f)
    check_error("body too large", curl(*js, "--data-binary", "@" + big, url), 413, code="request_too_large")
    os.remove(big)
    check_error("completion of nothing", curl(*js, "-d", json.dumps({"prompt": ""}), srv.url + "/v1/completions"), 400,
                param="prompt")
    st, health = curl(srv.url + "/health")
    check(st == 200 and health["status"] == "ok", "health %d %r" % (st, health))
    page = subprocess.run(["curl", "-s", srv.url + "/"], capture_output=True, text=True).stdout
    check("/v1/chat/completions" in page and "<script>" in page, "the page")
    print("ok: health, page")

    # A client that goes away mid-stream does not stop the server; its slot is freed.
    import socket
    s = socket.create_connection(("127.0.0.1", srv.port))
    body = json.dumps({"messages": QUESTION, "stream": True, "max_tokens": 200, "temperature": 1.0}).encode()
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
              + str(len(body)).encode() + b"\r\n\r\n" + body)
    s.recv(64)
    s.close()
    r = client.chat.completions.create(model=model_id, messages=QUESTION, temperature=0, max_tokens=24)
    check(r.choices[0].message.content == c.message.content, "after a disconnect the answer changed")
    print("ok: a disconnected client")

    # The log: one line per request, with tokens and times.
    time.sleep(0.2)
    lines = [l for l in srv.log if l.startswith("POST /v1/chat/completions 200")]
    check(lines and re.search(r"prompt=\d+ completion=\d+ ttft=[\d.]+ms total=[\d.]+ms", lines[0]), "log lines %r" % srv.log[:5])
    check(any(l.startswith("GET /v1/nothing 404") for l in srv.log), "no log line for the 404")
    print("ok: log, e.g. %s" % lines[0])

    # SIGTERM while a request is in flight (its first event read): it runs to [DONE], then serve exits 0.
    body = json.dumps({"messages": QUESTION, "max_tokens": 24, "temperature": 0, "stream": True}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        first = r.readline()
        check(first.startswith(b"data: "), "the first event: %r" % first)
        srv.proc.send_signal(signal.SIGTERM)
        rest = r.read().decode()
    check(rest.rstrip().endswith("data: [DONE]"), "the stream in flight at SIGTERM ended without [DONE]: %r" % rest[-200:])
    try:
        rc = srv.proc.wait(60)  # not stop(): a second signal means "exit now"
    except subprocess.TimeoutExpired:
        srv.proc.kill()
        fail("serve did not exit within 60s of SIGTERM")
    check(rc == 0, "serve exited %d after SIGTERM" % rc)
    print("ok: SIGTERM let the stream in flight finish and exited 0")

    # A base model (no chat template): completions only; chat says why.
    srv = Server(exe, base)
    check_error("chat on a base model", curl(*js, "-d", json.dumps({"messages": QUESTION}), srv.url + "/v1/chat/completions"),
                400, code="model_not_chat")
    st, body = curl(*js, "-d", json.dumps({"prompt": "The ", "max_tokens": 4}), srv.url + "/v1/completions")
    check(st == 200 and body["usage"]["completion_tokens"] == 4, "base model completion %d %r" % (st, body))
    check(srv.stop(signal.SIGINT) == 0, "serve did not exit 0 on SIGINT")
    print("ok: base model")


def test_load(exe, model, seconds):
    """16 streaming clients at once for `seconds`: each stream equals the same request not streamed.
    Half the clients are greedy, half sample with a seed of their own, so that their texts differ and a
    token that went to the wrong stream would show."""
    srv = Server(exe, model, "--max-batch", "16")
    url = srv.url + "/v1/chat/completions"
    requests = [{"messages": [{"role": "user", "content": "What is %d + %d?" % (i * 37 % 500, i * 91 % 400)}],
                 "max_tokens": 40, "temperature": 0 if i % 2 == 0 else 1.0, "seed": i} for i in range(16)]
    expected = []
    for r in requests:
        st, body = post(url, r)
        check(st == 200, "status %d: %s" % (st, body))
        expected.append(json.loads(body)["choices"][0]["message"]["content"])
    check(len(set(expected)) > 8, "the 16 requests' texts are too alike to show a mix-up: %r" % expected)
    errors, counts, tokens = [], [0] * 16, [0] * 16
    deadline = time.time() + seconds

    def client(i):
        while time.time() < deadline:
            try:
                text, finish, events = sse_text(url, requests[i])
            except Exception as e:  # noqa: BLE001 - any failure is the test's failure
                errors.append("client %d: %r" % (i, e))
                return
            if text != expected[i]:
                errors.append("client %d: streamed %r, expected %r" % (i, text, expected[i]))
                return
            counts[i] += 1
            tokens[i] += events

    threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    check(not errors, "; ".join(errors[:5]))
    check(min(counts) > 0, "a client finished no request: %r" % counts)
    check(srv.stop() == 0, "serve did not exit 0")
    print("ok: 16 streaming clients for %ds: %d requests, all equal to the unstreamed text (per client %r)"
          % (seconds, sum(counts), counts))


def test_browser(exe, model, shot):
    if not os.path.exists("/usr/bin/chromium") or not os.path.exists("/usr/bin/chromedriver"):
        print("skipped: no /usr/bin/chromium and /usr/bin/chromedriver (Debian's chromium, chromium-driver)")
        sys.exit(77)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    srv = Server(exe, model)
    question = os.environ.get("SERVE_QUESTION", "What is 123 + 456?")
    st, body = post(srv.url + "/v1/chat/completions",
                    {"messages": [{"role": "user", "content": question}], "temperature": 0})
    check(st == 200, "status %d %s" % (st, body))
    expected = json.loads(body)["choices"][0]["message"]["content"]
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=900,700"):
        opts.add_argument(a)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        driver.get(srv.url + "/")
        WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "model").text != "")
        box = driver.find_element(By.ID, "input")
        box.send_keys(question)
        driver.find_element(By.ID, "send").click()
        WebDriverWait(driver, 120).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".assistant.done"))
        answer = driver.find_element(By.CSS_SELECTOR, ".assistant.done").get_attribute("textContent")
        os.makedirs(os.path.dirname(os.path.abspath(shot)), exist_ok=True)
        driver.save_screenshot(shot)
        check(answer == expected, "the page shows %r; the API answers %r" % (answer, expected))
        check("error" not in driver.find_element(By.CSS_SELECTOR, ".assistant.done").get_attribute("class"),
              "the page shows an error")
        # A second turn keeps the conversation; Reset clears it.
        box.send_keys("Thanks.")
        driver.find_element(By.ID, "send").click()
        WebDriverWait(driver, 120).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".assistant.done")) == 2)
        check(len(driver.find_elements(By.CSS_SELECTOR, ".msg.user")) == 2, "the conversation was not kept")
        driver.find_element(By.ID, "reset").click()
        check(not driver.find_elements(By.CSS_SELECTOR, ".msg"), "Reset left messages")
    finally:
        driver.quit()
        srv.stop()
    print("ok: the page answered %r with %r; screenshot %s" % (question, answer, shot))


if __name__ == "__main__":
    mode, exe, model, arg = sys.argv[1:5]
    {"api": lambda: test_api(exe, model, arg), "load": lambda: test_load(exe, model, int(arg)),
     "browser": lambda: test_browser(exe, model, arg)}[mode]()
