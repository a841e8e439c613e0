#pragma once
// The chat page serve answers GET / with: one HTML file, its style and
// script inline, nothing fetched from elsewhere. It keeps the conversation
// in the page, sends it whole to /v1/chat/completions with "stream": true,
// and writes the reply into the page as the Server-Sent Events come.
// "Reset" forgets the conversation. A finished reply's element gets the
// class "done" (the browser test waits for it).

namespace examples {

inline constexpr const char* kServePage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tinylm chat</title>
<style>
  body { margin: 0; font: 16px/1.45 system-ui, sans-serif; background: #f4f4f2; color: #1d1d1b;
         display: flex; flex-direction: column; height: 100vh; }
  header { padding: 10px 16px; background: #1d1d1b; color: #f4f4f2; display: flex; gap: 12px; align-items: center; }
  header .model { opacity: 0.7; font-size: 14px; flex: 1; }
  #log { flex: 1; overflow-y: auto; padding: 16px; display: flex; flex-direction: column; gap: 10px; }
  .msg { max-width: 75%; padding: 8px 12px; border-radius: 10px; white-space: pre-wrap; word-wrap: break-word; }
  .user { align-self: flex-end; background: #2f5d8a; color: #fff; }
  .assistant { align-self: flex-start; background: #fff; border: 1px solid #d8d8d4; }
  .assistant:empty::after { content: "..."; opacity: 0.5; }
  .error { border-color: #b33; color: #b33; }
  form { display: flex; gap: 8px; padding: 12px 16px; background: #e8e8e4; }
  textarea { flex: 1; font: inherit; padding: 8px; resize: none; border: 1px solid #c8c8c4; border-radius: 6px; }
  button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid #888; background: #fff; }
  button:disabled { opacity: 0.5; }
</style>
</head>
<body>
<header><strong>tinylm</strong><span class="model" id="model"></span><button id="reset" type="button">Reset</button></header>
<div id="log"></div>
<form id="form">
  <textarea id="input" rows="2" placeholder="Ask something (Enter sends, Shift+Enter is a new line)"></textarea>
  <button id="send" type="submit">Send</button>
</form>
<script>
"use strict";
const log = document.getElementById("log"), input = document.getElementById("input");
const send = document.getElementById("send");
let messages = [], model = null, controller = null;

fetch("/v1/models").then(r => r.json()).then(j => {
  model = j.data[0].id;
  document.getElementById("model").textContent = model;
});

function bubble(role, text) {
  const div = document.createElement("div");
  div.className = "msg " + role;
  div.textContent = text;
  log.appendChild(div);
  log.scrollTop = log.scrollHeight;
  return div;
}

async function ask(text) {
  messages.push({role: "user", content: text});
  bubble("user", text);
  const out = bubble("assistant", "");
  send.disabled = true;
  controller = new AbortController();
  let reply = "";
  try {
    const res = await fetch("/v1/chat/completions", {
      method: "POST", headers: {"Content-Type": "application/json"}, signal: controller.signal,
      body: JSON.stringify({model, messages, stream: true, temperature: 0})});
    if (!res.ok) {
      const err = await res.json().catch(() => ({error: {message: res.statusText}}));
      throw new Error(err.error.message);
    }
    const reader = res.body.getReader(), decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, {stream: true});
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of event.split("\n")) {
          if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
          const delta = JSON.parse(line.slice(6)).choices[0]?.delta?.content;
          if (delta) {
            reply += delta;
            out.textContent = reply;
            log.scrollTop = log.scrollHeight;
          }
        }
      }
    }
    messages.push({role: "assistant", content: reply});
  } catch (e) {
    messages.pop();  // the question goes unanswered: ask it again
    if (e.name !== "AbortError") {
      out.textContent = "error: " + e.message;
      out.classList.add("error");
    }
  } finally {
    out.classList.add("done");
    send.disabled = false;
    controller = null;
  }
}

document.getElementById("form").addEventListener("submit", e => {
  e.preventDefault();
  const text = input.value.trim();
  if (!text || send.disabled) return;
  input.value = "";
  ask(text);
});
input.addEventListener("keydown", e => {
  if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    document.getElementById("form").requestSubmit();
  }
});
document.getElementById("reset").addEventListener("click", () => {
  if (controller) controller.abort();
  messages = [];
  log.replaceChildren();
  input.focus();
});
input.focus();
</script>
</body>
</html>
)html";

}  // namespace examples
