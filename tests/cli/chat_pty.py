#!/usr/bin/env python3
"""The chat REPL on a pseudo-terminal, as a person uses it.

  chat_pty.py CHAT_BINARY MODEL_DIR

Asks `chat --message` for the model's answer to a question, then starts
`chat --model MODEL_DIR` on a pty, types the same question, checks that the
reply streams back (the same answer: the same seed and one thread),
that /reset and /temperature answer, and that Ctrl-D ends the program with
exit code 0. Only the standard library: no PyPI package.
"""
import os
import pty
import select
import subprocess
import sys
import time

chat, model = sys.argv[1], sys.argv[2]
question = "What is 12 + 7?"
# Sampled with a seed: the test's tiny model would often end its greedy reply at once.
common = ["--model", model, "--threads", "1", "--temperature", "1", "--seed", "5", "--max-tokens", "40"]
once = subprocess.run([chat, *common, "--message", question],
                      capture_output=True, text=True, timeout=120)
assert once.returncode == 0, once.stderr
answer = once.stdout.strip()
assert answer, "chat --message printed no reply"

pid, fd = pty.fork()
if pid == 0:
    os.execv(chat, [chat, *common])

seen = b""


def read_until(token, timeout=60.0):
    """Reads the pty until `token` has appeared after what was read before."""
    global seen
    start, deadline = len(seen), time.time() + timeout
    while token not in seen[start:]:
        left = deadline - time.time()
        if left <= 0:
            raise SystemExit(f"timed out waiting for {token!r}; the terminal shows:\n{seen.decode(errors='replace')}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the program has exited
                chunk = b""
            if not chunk:
                raise SystemExit(f"the program ended while waiting for {token!r}:\n{seen.decode(errors='replace')}")
            seen += chunk
    return seen[start:]


read_until(b"> ")
os.write(fd, (question + "\r").encode())
reply = read_until(b"\n> ").decode(errors="replace").replace("\r\n", "\n")  # the terminal's line endings
assert answer in reply, f"the REPL answered {reply!r}; chat --message answered {answer!r}"
os.write(fd, b"/temperature x\r")
assert b"needs a number" in read_until(b"\n> ")
os.write(fd, b"/reset\r")
assert b"conversation reset" in read_until(b"\n> ")
os.write(fd, b"\x04")  # Ctrl-D at the start of a line: end of input
_, status = os.waitpid(pid, 0)
assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"exit status {status}"
print(f"the REPL answered {answer!r} and exited on Ctrl-D")
