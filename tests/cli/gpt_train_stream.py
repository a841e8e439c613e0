#!/usr/bin/env python3
"""gpt_train trains on corpora larger than the memory it is given.

  python3 gpt_train_stream.py GPT_TRAIN WORKDIR

The process's data segment is limited (RLIMIT_DATA, which counts the heap
and private memory but not a mapped file) to 100 MiB, then gpt_train gets:
1. a 64 MiB text file: read whole and held as int32 ids it would need
   64 + 256 MiB; tokenized a piece at a time into a mapped shard it fits;
2. a token shard of 64 Mi uint16 tokens (128 MiB): read into int32 ids it
   would need 256 MiB; mapped it fits.
Each run must train, report every token, and leave no token file behind.
"""
import os
import re
import resource
import shutil
import struct
import subprocess
import sys

EXE, WORK = sys.argv[1], sys.argv[2]
LIMIT = 100 << 20
SMALL = ["--n-layer", "1", "--n-head", "2", "--n-embd", "16", "--block-size", "32", "--batch-size", "4",
         "--eval-iters", "2", "--steps", "3", "--eval-every", "3", "--sample-tokens", "0", "--threads", "2"]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def limited():
    resource.setrlimit(resource.RLIMIT_DATA, (LIMIT, LIMIT))


def run(args, out_dir):
    p = subprocess.run([EXE] + SMALL + args + ["--out", out_dir], capture_output=True, text=True, timeout=300,
                       preexec_fn=limited)
    if p.returncode != 0:
        fail("gpt_train %s exited %d under a %d MiB data limit:\n%s%s" % (" ".join(args), p.returncode, LIMIT >> 20,
                                                                           p.stdout, p.stderr))
    left = sorted(f for f in os.listdir(out_dir) if f.startswith("tokens"))
    if left:
        fail("token files left in %s: %s" % (out_dir, left))
    return p.stdout


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)

# 1. Text: the GPL's lines, numbered so that the text does not repeat exactly.
with open("/usr/share/common-licenses/GPL-3") as f:
    lines = [l for l in f.read().splitlines() if l.strip()]
text_path = os.path.join(WORK, "big.txt")
size = 0
with open(text_path, "w") as f:
    i = 0
    while size < 64 << 20:
        line = "%d %s\n" % (i, lines[i % len(lines)])
        f.write(line)
        size += len(line)
        i += 1
out = run(["--data", text_path], os.path.join(WORK, "text_out"))
m = re.search(r"data: .*big\.txt, (\d+) bytes, (\d+) tokens of (\d+)", out)
if not m or int(m.group(1)) != size or int(m.group(2)) != size:  # ASCII: one token per byte
    fail("the text's tokens were not all counted:\n" + out)
if "final validation loss" not in out:
    fail("the text run did not finish:\n" + out)
print("text: %d bytes -> %s tokens under a %d MiB data limit" % (size, m.group(2), LIMIT >> 20))

# 2. A shard of 64 Mi uint16 tokens in GPT-2's layout, ids below 50.
count = 64 << 20
block = struct.pack("<%dH" % 4096, *[(k * 7) % 50 for k in range(4096)])
shard_path = os.path.join(WORK, "big.bin")
with open(shard_path, "wb") as f:
    f.write(struct.pack("<3i", 20240520, 1, count) + b"\0" * (1024 - 12))
    for _ in range(count // 4096):
        f.write(block)
out = run(["--data", shard_path, "--vocab-size", "50"], os.path.join(WORK, "shard_out"))
if ("%d tokens" % count) not in out or "final validation loss" not in out:
    fail("the shard run did not train on every token:\n" + out)
print("shard: %d tokens (%d MiB) under a %d MiB data limit" % (count, (count * 2) >> 20, LIMIT >> 20))
shutil.rmtree(WORK, ignore_errors=True)
print("PASS")
