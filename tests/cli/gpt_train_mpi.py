#!/usr/bin/env python3
"""gpt_train under mpirun: data parallelism on 2 ranks of this machine.

  python3 gpt_train_mpi.py GPT_TRAIN MPIEXEC WORKDIR

1. 2 ranks x batch 4 train as 1 process x batch 8: every step's training
   loss and every validation loss within 1e-6 relative, the final weights
   within 1e-4 (float32; the unit tests show 1e-14 in float64).
2. Two runs on 2 ranks write byte-identical checkpoints.
3. --shard-optimizer (without clipping) writes the same checkpoint bytes.
4. Stopped at step 10 and resumed on 2 ranks (with dropout: each rank's
   stream is saved), the run ends byte-identical to one never stopped.
5. The 2-rank checkpoint loads in one process (--resume and --init).
6. A rank killed mid-run ends the job with an error, not a hang; a rank
   stopped (SIGSTOP) makes the other time out (TINYLM_MPI_TIMEOUT) with a
   message naming the collective, and the job ends.
"""
import os
import signal
import struct
import subprocess
import sys
import time
import json

EXE, MPIEXEC, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_btl_vader_single_copy_mechanism="none",
           OMP_NUM_THREADS="1")
SMALL = ["--n-layer", "2", "--n-head", "2", "--n-embd", "32", "--block-size", "32", "--eval-iters", "4",
         "--eval-every", "10", "--steps", "20", "--sample-tokens", "0", "--threads", "1",
         "--synthetic-chars", "100000"]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def run(args, ranks, out, env=None, expect=0):
    cmd = ([MPIEXEC, "-n", str(ranks)] if ranks > 1 else []) + [EXE] + SMALL + args + ["--out", out]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env or ENV)
    if p.returncode != expect:
        fail("%s exited %d, expected %d:\n%s%s" % (" ".join(cmd), p.returncode, expect, p.stdout, p.stderr))
    return p.stdout + p.stderr


def read(path):
    with open(path, "rb") as f:
        return f.read()


def tensors(path):
    """The float32 tensors of a safetensors file, by name."""
    data = read(path)
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__" or e["dtype"] != "F32":
            continue
        b, end = e["data_offsets"]
        out[name] = struct.unpack("<%df" % ((end - b) // 4), data[8 + n + b:8 + n + end])
    return out


def metrics(path):
    rows = {}
    with open(path) as f:
        next(f)
        for line in f:
            c = line.strip().split(",")
            rows[int(c[0])] = (float(c[1]), float(c[2]) if c[2] else None)
    return rows


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-12)


os.makedirs(WORK, exist_ok=True)
d = lambda name: os.path.join(WORK, name)

# 1. 2 x 4 = 1 x 8.
run(["--batch-size", "4"], 2, d("two"))
run(["--batch-size", "8"], 1, d("one"))
m2, m1 = metrics(d("two/metrics.csv")), metrics(d("one/metrics.csv"))
if sorted(m2) != sorted(m1) or len(m1) != 20:
    fail("the runs logged different steps")
worst_loss = max(rel(m2[s][0], m1[s][0]) for s in m1)
worst_val = max(rel(m2[s][1], m1[s][1]) for s in m1 if m1[s][1] is not None)
w2, w1 = tensors(d("two/model.safetensors")), tensors(d("one/model.safetensors"))
worst_w = max(abs(a - b) / max(1.0, abs(b)) for k in w1 for a, b in zip(w2[k], w1[k]))
print("2 ranks x 4 vs 1 x 8: training loss %.2g, validation loss %.2g, weights %.2g (largest relative differences)"
      % (worst_loss, worst_val, worst_w))
if worst_loss > 1e-6 or worst_val > 1e-6 or worst_w > 1e-4:
    fail("2 ranks do not train as one process at twice the batch")

# 2. Deterministic.
run(["--batch-size", "4"], 2, d("two_again"))
for f in ["model.safetensors", "model.train.safetensors"]:
    if read(d("two/" + f)) != read(d("two_again/" + f)):
        fail("two runs on 2 ranks wrote different " + f)

# 3. Sharded optimizer state = unsharded (no clipping: the same sums, the same update).
run(["--batch-size", "4", "--grad-clip", "0"], 2, d("plain"))
out = run(["--batch-size", "4", "--grad-clip", "0", "--shard-optimizer"], 2, d("sharded"))
if "moments sharded across the ranks" not in out:
    fail("--shard-optimizer did not say it shards:\n" + out)
if read(d("plain/model.train.safetensors")) != read(d("sharded/model.train.safetensors")):
    fail("--shard-optimizer wrote a different checkpoint than the unsharded optimizer")

# 4. Resume on 2 ranks, bit-exact, with dropout (each rank's stream saved).
for extra, name in [([], "plain"), (["--shard-optimizer"], "sharded")]:
    args = ["--batch-size", "4", "--dropout", "0.1"] + extra
    run(args, 2, d("whole_" + name))
    run(args + ["--stop-at", "10"], 2, d("resumed_" + name))
    run(args + ["--resume", d("resumed_%s/model.safetensors" % name)], 2, d("resumed_" + name))
    for f in ["model.safetensors", "model.train.safetensors"]:
        if read(d("whole_%s/%s" % (name, f))) != read(d("resumed_%s/%s" % (name, f))):
            fail("resumed on 2 ranks (%s), %s differs from the run never stopped" % (name, f))

# 5. The 2-rank checkpoint in one process.
out = run(["--batch-size", "8", "--steps", "24", "--resume", d("two/model.safetensors")], 1, d("two"))
if "resuming at step 20" not in out:
    fail("one process did not resume the 2-rank checkpoint:\n" + out)
run(["--batch-size", "8", "--steps", "2", "--init", d("two/model.safetensors")], 1, d("init_one"))


# 6. A rank that dies, a rank that stops.
def ranks_of(job):
    """The PIDs of the job's gpt_train processes, by MPI rank."""
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            env = read("/proc/%s/environ" % pid).split(b"\0")
            cmd = read("/proc/%s/cmdline" % pid)
        except OSError:
            continue
        if EXE.encode() not in cmd or ("--out\0" + job).encode() not in cmd:
            continue
        for e in env:
            if e.startswith(b"OMPI_COMM_WORLD_RANK="):
                found[int(e.split(b"=")[1])] = int(pid)
    return found


def long_job(name, env):
    cmd = [MPIEXEC, "-n", "2", EXE] + SMALL + ["--steps", "1000000", "--eval-every", "1000000", "--out", d(name)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        r = ranks_of(d(name))
        if len(r) == 2:
            time.sleep(2)  # training, in the middle of steps
            return p, r
        time.sleep(0.2)
    p.kill()
    fail("the 2 ranks of %s did not start" % name)


p, r = long_job("killed", ENV)
t0 = time.time()
os.kill(r[1], signal.SIGKILL)
try:
    out, err = p.communicate(timeout=60)
except subprocess.TimeoutExpired:
    p.kill()
    fail("the job hung after rank 1 was killed")
if p.returncode == 0:
    fail("the job exited 0 after rank 1 was killed")
print("rank 1 killed: the job ended in %.1f s with exit code %d" % (time.time() - t0, p.returncode))

p, r = long_job("stopped", dict(ENV, TINYLM_MPI_TIMEOUT="5"))
t0 = time.time()
os.kill(r[1], signal.SIGSTOP)
try:
    out, err = p.communicate(timeout=90)
except subprocess.TimeoutExpired:
    os.kill(r[1], signal.SIGKILL)
    p.kill()
    fail("the job hung after rank 1 was stopped")
finally:
    try:
        os.kill(r[1], signal.SIGKILL)
    except OSError:
        pass
if p.returncode == 0 or "did not complete within 5 s: another rank has died, stopped or fallen out of step" not in err:
    fail("rank 0 did not report the stopped rank (exit %d):\n%s" % (p.returncode, err))
print("rank 1 stopped: rank 0 gave up after %.1f s: %s" % (time.time() - t0,
                                                          [l for l in err.splitlines() if "did not complete" in l][0]))
print("PASS")
