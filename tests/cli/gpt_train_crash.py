#!/usr/bin/env python3
"""gpt_train's checkpoints survive what ends a run early.

  python3 gpt_train_crash.py GPT_TRAIN WORKDIR

1. SIGINT in the middle of a run saves a checkpoint and exits 130; --resume
   then ends with checkpoints byte-identical to those of a run never stopped.
2. SIGKILL at random moments of a run that saves every step (so most kills
   land in or near a save): the process is frozen with SIGSTOP, the
   checkpoint copied, then killed. The training state on disk must be
   byte-identical to the copy (no write reached it half done) and resume;
   the temporary files the killed process left are removed by the next save.
3. A file-size limit (ulimit -f) during the final save: gpt_train fails with
   the write error and the previous checkpoint is untouched, with no
   temporary file left.
"""
import json
import os
import random
import resource
import shutil
import signal
import struct
import subprocess
import sys
import time

EXE, WORK = sys.argv[1], sys.argv[2]
COMMON = ["--n-layer", "1", "--n-head", "2", "--n-embd", "16", "--block-size", "16", "--batch-size", "4",
          "--eval-every", "1000", "--eval-iters", "1", "--sample-tokens", "0", "--synthetic-chars", "20000",
          "--threads", "1", "--dropout", "0.1", "--warmup", "2"]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def step_of(state_path):
    data = read(state_path)
    (n,) = struct.unpack("<Q", data[:8])
    return int(json.loads(data[8:8 + n])["__metadata__"]["tinylm.step"])


def run(args, **kw):
    p = subprocess.run([EXE] + COMMON + args, capture_output=True, text=True, **kw)
    return p.returncode, p.stdout + p.stderr


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)

# 1. SIGINT, then --resume: the same checkpoint as a run never interrupted.
rc, out = run(["--steps", "40", "--out", WORK + "/once"])
if rc != 0:
    fail("the straight run failed: " + out)
p = subprocess.Popen([EXE] + COMMON + ["--steps", "40", "--out", WORK + "/int"], stdout=subprocess.PIPE,
                     stderr=subprocess.STDOUT, text=True)
for line in p.stdout:
    if line.startswith("step ") and "/40" in line:  # training has started: a step line
        p.send_signal(signal.SIGINT)
        break
rest = p.stdout.read()
if p.wait() != 130 or "interrupted (SIGINT) at step" not in rest:
    fail("SIGINT: expected exit 130 and the interruption line, got %s: %s" % (p.returncode, rest))
stopped = step_of(WORK + "/int/model.train.safetensors")
if not 0 < stopped < 40:
    fail("SIGINT: the checkpoint is at step %d" % stopped)
rc, out = run(["--steps", "40", "--resume", WORK + "/int/model.safetensors", "--out", WORK + "/int"])
if rc != 0:
    fail("resuming after SIGINT failed: " + out)
for f in ["model.safetensors", "model.train.safetensors"]:
    if read(WORK + "/once/" + f) != read(WORK + "/int/" + f):
        fail("%s differs between the straight run and the run interrupted at step %d and resumed" % (f, stopped))
print("SIGINT at step %d, resumed: byte-identical checkpoints" % stopped)

# 2. SIGKILL at random moments, frozen first so that the checkpoint on disk can be copied.
random.seed(7)
kill_dir = WORK + "/kill"
state = kill_dir + "/model.train.safetensors"
kills = mid_write = 0
for attempt in range(8):
    p = subprocess.Popen([EXE] + COMMON + ["--steps", "100000", "--save-every", "1", "--out", kill_dir] +
                         (["--resume", kill_dir + "/model.safetensors"] if os.path.exists(state) else []),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while not os.path.exists(state) and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(random.uniform(0.05, 0.6))
    os.kill(p.pid, signal.SIGSTOP)
    before = read(state)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    kills += 1
    if read(state) != before:
        fail("SIGKILL %d: the training state changed between SIGSTOP and SIGKILL" % attempt)
    leftovers = [f for f in os.listdir(kill_dir) if ".tmp." in f]
    mid_write += 1 if leftovers else 0
    # The state must load and continue: one more step from where it stands.
    at = step_of(state)
    rc, out = run(["--steps", str(at + 1), "--resume", kill_dir + "/model.safetensors", "--out", kill_dir])
    if rc != 0:
        fail("SIGKILL %d: resuming the checkpoint of step %d failed: %s" % (attempt, at, out))
    still = [f for f in os.listdir(kill_dir) if ".tmp." in f]
    if still:
        fail("SIGKILL %d: temporary files left after the next save: %s (before it: %s)" % (attempt, still, leftovers))
print("%d kills (%d of them in the middle of a write): each left a whole checkpoint that resumed; "
      "temporaries removed" % (kills, mid_write))

# 3. A file-size limit during the save: an error, and the previous checkpoint as it was.
lim = WORK + "/limit"
rc, out = run(["--steps", "3", "--out", lim])
if rc != 0:
    fail("the run before the limit failed: " + out)
saved = {f: read(lim + "/" + f) for f in ["model.safetensors", "model.train.safetensors"]}
limit = len(saved["model.safetensors"]) // 2


def small_files():
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


rc, out = run(["--steps", "6", "--resume", lim + "/model.safetensors", "--out", lim], preexec_fn=small_files)
if rc == 0 or "File too large" not in out:
    fail("a save past the file-size limit: expected the write error, got %d: %s" % (rc, out))
for f, data in saved.items():
    if read(lim + "/" + f) != data:
        fail("a failed save changed " + f)
if [f for f in os.listdir(lim) if ".tmp." in f]:
    fail("a failed save left a temporary file: %s" % os.listdir(lim))
print("file-size limit of %d bytes: the save failed with the error, the checkpoint untouched" % limit)
