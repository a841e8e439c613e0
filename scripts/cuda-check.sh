#!/usr/bin/env bash
# The GPU check of tinylm's CUDA backend, for a machine with an NVIDIA GPU,
# nvcc, CMake, Ninja and PyTorch: one run, one summary, within about 8
# minutes.
#
#   scripts/cuda-check.sh                    build, test, sanitize, benchmark; the summary last
#   scripts/cuda-check.sh --fetch-debs DIR   (on a machine that reaches Debian's archive) downloads
#                                            the build's packages into DIR, for a GPU machine that
#                                            cannot install any: DEBS=DIR scripts/cuda-check.sh there
#
# Steps, each under a time limit of its own:
#   1. configure and build the CUDA configuration in build/cuda-check (test_cuda, gpt_step,
#      gpt_train), with the packages of DEBS unpacked into a private prefix when given;
#   2. the CUDA tests (tests/cuda), then under compute-sanitizer: memcheck on all of them,
#      racecheck on the kernels with shared memory (attention, softmax, LayerNorm, reductions);
#   3. training-step tokens/s, tinylm (benchmarks/gpt_step --device cuda) next to PyTorch eager
#      and torch.compile (benchmarks/pytorch_gpt.py --device cuda) in the same run, for
#      char-small at batch 64 (6 layers, 6 heads, 384 wide, block 256) and the GPT-2 124M shape
#      at batch 8 (12, 12, 768, block 1024, vocabulary 50257), each with its model-FLOPs
#      utilisation against PEAK_TFLOPS (default 67: an H200's fp32 peak; everything runs in fp32);
#   4. gpt_train --device cuda on the built-in corpus (train, evaluate, checkpoint, sample): two
#      runs of the same seed must write byte-identical checkpoints, and a run stopped halfway and
#      resumed the same bytes as one that was not.
# Logs go to OUT (default cuda-check/); OUT/summary.txt is what the run printed last.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

deb_packages=(libeigen3-dev doctest-dev libpcre2-dev libpcre2-8-0 libpcre2-16-0 libpcre2-32-0 libpcre2-posix3
  libutf8proc-dev libutf8proc2 pkg-config)

if [ "${1:-}" = "--fetch-debs" ]; then
  dir="${2:?usage: scripts/cuda-check.sh --fetch-debs DIR}"
  mkdir -p "$dir"
  (cd "$dir" && apt-get download "${deb_packages[@]}")
  ls "$dir"
  exit 0
fi

out="${OUT_DIR:-${OUT:-cuda-check}}"
mkdir -p "$out"
summary="$out/summary.txt"
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }
jobs=$(nproc)

# 1. Build. Packages the machine lacks come from DEBS, unpacked under a prefix of our own (never /).
cmake_extra=()
if [ -n "${DEBS:-}" ]; then
  prefix=/tmp/tinylm-deps
  mkdir -p "$prefix"
  for f in "$DEBS"/*.deb; do dpkg -x "$f" "$prefix"; done
  export PKG_CONFIG_SYSROOT_DIR="$prefix"
  export PKG_CONFIG_PATH="$prefix/usr/lib/x86_64-linux-gnu/pkgconfig:$prefix/usr/share/pkgconfig"
  export LD_LIBRARY_PATH="$prefix/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
  export PATH="$prefix/usr/bin:$PATH"
  cmake_extra+=(-DCMAKE_PREFIX_PATH="$prefix/usr" -DCMAKE_LIBRARY_PATH="$prefix/usr/lib/x86_64-linux-gnu")
fi
build=build/cuda-check
t0=$(date +%s)
if ! timeout 300 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTINYLM_CUDA=ON -DTINYLM_NATIVE=ON \
  -DTINYLM_HEADER_CHECK=OFF -DTINYLM_CONSUMER_TEST=OFF -DTINYLM_DOC_EXAMPLES=OFF "${cmake_extra[@]}" \
  >"$out/configure.log" 2>&1; then
  note "configure: FAILED (tail of $out/configure.log:)"
  tail -n 20 "$out/configure.log" | tee -a "$summary"
  exit 1
fi
if ! timeout 420 cmake --build "$build" -j "$jobs" --target test_cuda gpt_step gpt_train >"$out/build.log" 2>&1; then
  note "build: FAILED (tail of $out/build.log:)"
  grep -E "error" -A3 "$out/build.log" | head -n 30 | tee -a "$summary"
  exit 1
fi
note "build: test_cuda, gpt_step, gpt_train in $(($(date +%s) - t0)) s ($(nvcc --version | tail -n 1))"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | sed 's/^/gpu: /' |
  tee -a "$summary"

# 2. The CUDA tests, then under compute-sanitizer.
tests="$build/tests/test_cuda"
timeout 240 "$tests" >"$out/tests.log" 2>&1
rc=$?
note "tests: rc $rc; $(grep -E '^\[doctest\] (test cases|assertions)' "$out/tests.log" | tr '\n' ' ')"
grep -c '^\[skipped\]' "$out/tests.log" | sed 's/^/tests skipped: /' | tee -a "$summary"
[ "$rc" -eq 0 ] || grep -E "ERROR|FAILED|CHECK|REQUIRE" "$out/tests.log" | head -n 20 | tee -a "$summary"
if command -v compute-sanitizer >/dev/null; then
  timeout 300 compute-sanitizer --tool memcheck --error-exitcode 99 "$tests" >"$out/memcheck.log" 2>&1
  note "compute-sanitizer memcheck: rc $? ($(grep -E 'ERROR SUMMARY' "$out/memcheck.log" | tail -n 1))"
  timeout 240 compute-sanitizer --tool racecheck --error-exitcode 99 "$tests" \
    -tc='*attention*,*softmax*,*LayerNorm*,*sum_axis*,*sum_squares*,*cross-entropy*' >"$out/racecheck.log" 2>&1
  note "compute-sanitizer racecheck: rc $? ($(grep -E 'RACECHECK SUMMARY|ERROR SUMMARY' "$out/racecheck.log" | tail -n 1))"
else
  note "compute-sanitizer: not on this machine"
fi

# 3. Training-step throughput against PyTorch, interleaved in one run.
python="${PYTHON:-python3}"
peak="${PEAK_TFLOPS:-67}"
bench() {  # name, tinylm flags...; prints tokens/s for tinylm, eager, compile and their MFU
  local name="$1"
  shift
  local flags=("$@") ours eager compiled
  ours=$(timeout 150 "$build/benchmarks/gpt_step" --device cuda --steps 10 --warmup 3 "${flags[@]}" 2>>"$out/bench.log" |
    awk '{print $2}')
  eager=$(timeout 150 "$python" benchmarks/pytorch_gpt.py --device cuda --steps 10 --warmup 3 "${flags[@]}" \
    2>>"$out/bench.log" | awk '{print $2}')
  compiled=$(timeout 240 "$python" benchmarks/pytorch_gpt.py --device cuda --compile --steps 10 --warmup 5 \
    "${flags[@]}" 2>>"$out/bench.log" | awk '{print $2}')
  "$python" - "$name" "$peak" "${ours:-nan}" "${eager:-nan}" "${compiled:-nan}" "${flags[@]}" <<'PY' | tee -a "$summary"
import sys
name, peak, ours, eager, compiled = sys.argv[1], float(sys.argv[2]), *(float(x) for x in sys.argv[3:6])
f = dict(zip(sys.argv[6::2], sys.argv[7::2]))
L, NH, C, T, V = (int(f[k]) for k in ("--n-layer", "--n-head", "--n-embd", "--block-size", "--vocab-size"))
params = V * C + T * C + L * (12 * C * C + 13 * C) + 2 * C  # tied head: the embedding counted once
flops_per_token = 6 * params + 12 * L * C * T  # nanoGPT's estimate: the weights' and attention's products
def mfu(tps):
    return tps * flops_per_token / (peak * 1e12) * 100
print(f"{name}: tinylm {ours:.0f} tok/s ({mfu(ours):.1f}% MFU), PyTorch eager {eager:.0f} ({mfu(eager):.1f}%), "
      f"torch.compile {compiled:.0f} ({mfu(compiled):.1f}%); tinylm/eager {ours / eager:.2f}, "
      f"tinylm/compile {ours / compiled:.2f}  [{params / 1e6:.1f}M parameters, fp32, peak {peak:g} TFLOP/s]")
PY
}
bench "char-small, batch 64" --n-layer 6 --n-head 6 --n-embd 384 --block-size 256 --batch-size 64 --vocab-size 65
bench "GPT-2 124M, batch 8" --n-layer 12 --n-head 12 --n-embd 768 --block-size 1024 --batch-size 8 --vocab-size 50257

# 4. gpt_train on the GPU: the same 60 steps straight through twice (determinism: byte-identical
#    checkpoints) and stopped at 30 then resumed (bit-exact resume: the same bytes again).
train() {  # out-dir, extra flags...
  local dir="$1"
  shift
  rm -rf "$dir"
  timeout 120 "$build/examples/gpt_train" --device cuda --steps 60 --eval-every 30 --sample-tokens 100 --out "$dir" \
    "$@" >>"$out/gpt_train.log" 2>&1
}
: >"$out/gpt_train.log"
train "$out/run_a"
a=$?
train "$out/run_b"
b=$?
train "$out/run_c" --stop-at 30
c=$?
timeout 120 "$build/examples/gpt_train" --device cuda --steps 60 --eval-every 30 --sample-tokens 100 \
  --resume "$out/run_c/model.safetensors" --out "$out/run_c" >>"$out/gpt_train.log" 2>&1
d=$?
same() { cmp -s "$1/model.safetensors" "$2/model.safetensors" && echo identical || echo DIFFERENT; }
note "gpt_train --device cuda: rc $a, $b, $c, $d (resume); two runs: $(same "$out/run_a" "$out/run_b"); \
stopped and resumed vs straight: $(same "$out/run_a" "$out/run_c"); \
$(grep -E 'final validation loss' "$out/gpt_train.log" | tail -n 1)"
echo
echo "=== summary ($summary) ==="
cat "$summary"
