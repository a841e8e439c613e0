#!/usr/bin/env python3
"""serve under load: generated tokens per second and time to first token.

    benchmarks/serve_bench.py [--serve build/release/examples/serve] [--model out/chat] [--seconds 20]

For each setting it starts serve on a free loopback port and runs C
streaming clients for the given seconds, each sending greedy chat
completions back to back (different questions, up to 64 tokens each). It
reports the generated tokens per second of all clients together, requests
per second, and the time to first token (p50, p99). The settings:
--max-batch 1 (one sequence per step: requests queue) at 1 and 16 clients,
and --max-batch 16 (continuous batching) at 1, 4 and 16 clients. Standard
library only.
"""

import argparse
import json
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request


def start(exe, model, max_batch, threads):
    proc = subprocess.Popen([exe, "--model", model, "--port", "0", "--threads", str(threads), "--max-batch",
                             str(max_batch)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    m = re.search(r"on http://127\.0\.0\.1:(\d+)/", proc.stdout.readline())
    if not m:
        proc.kill()
        sys.exit("serve did not start")
    return proc, "http://127.0.0.1:%s/v1/chat/completions" % m.group(1)


def one(url, question):
    """One streamed request: (time to first token, completion tokens)."""
    body = {"messages": [{"role": "user", "content": question}], "temperature": 0, "max_tokens": 64, "stream": True,
            "stream_options": {"include_usage": True}}
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    t0 = time.perf_counter()
    first, tokens = None, 0
    with urllib.request.urlopen(req, timeout=300) as r:
        for raw in r:
            line = raw.decode()
            if not line.startswith("data: ") or line.startswith("data: [DONE]"):
                continue
            j = json.loads(line[6:])
            if j.get("usage"):
                tokens = j["usage"]["completion_tokens"]
            elif first is None and j["choices"] and j["choices"][0]["delta"].get("content"):
                first = time.perf_counter() - t0
    return first if first is not None else time.perf_counter() - t0, tokens


def run(url, clients, seconds):
    ttfts, tokens, requests = [], [0], [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(i):
        k = 0
        while time.perf_counter() < deadline:
            q = "What is %d + %d?" % ((i * 131 + k * 17) % 1000, (i * 71 + k * 29) % 1000)
            ttft, n = one(url, q)
            k += 1
            with lock:
                ttfts.append(ttft)
                tokens[0] += n
                requests[0] += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ttfts.sort()
    p = lambda q: ttfts[min(len(ttfts) - 1, int(q * len(ttfts)))] * 1000  # noqa: E731
    return tokens[0] / wall, requests[0] / wall, p(0.50), p(0.99)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--serve", default="build/release/examples/serve")
    ap.add_argument("--model", default="out/chat")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--threads", type=int, default=0, help="serve --threads (0: all cores)")
    a = ap.parse_args()
    rows = []
    for max_batch, clients in [(1, 1), (1, 16), (16, 1), (16, 4), (16, 16)]:
        proc, url = start(a.serve, a.model, max_batch, a.threads)
        try:
            one(url, "What is 1 + 1?")  # warm up
            rows.append((max_batch, clients) + run(url, clients, a.seconds))
        finally:
            proc.terminate()
            proc.wait(60)
        print("max-batch %2d, %2d clients: %7.1f tokens/s, %5.2f requests/s, time to first token p50 %7.1f ms, "
              "p99 %7.1f ms" % rows[-1], flush=True)
    single = rows[0][2]
    print("\n| --max-batch | clients | tokens/s | x single stream | requests/s | TTFT p50 (ms) | TTFT p99 (ms) |")
    print("|---|---|---|---|---|---|---|")
    for mb, c, tps, rps, p50, p99 in rows:
        print("| %d | %d | %.1f | %.2f | %.2f | %.1f | %.1f |" % (mb, c, tps, tps / single, rps, p50, p99))


if __name__ == "__main__":
    main()
