#!/usr/bin/env bash
# Runs tinylm's gpt_step and the PyTorch reference (pytorch_gpt.py) on the
# same config, interleaved for several rounds, and prints each side's median
# tokens/s, peak memory, and the ratio. Needs Debian's python3-torch.
#
#   benchmarks/compare_pytorch.sh [rounds] -- [model flags...]
#   benchmarks/compare_pytorch.sh 5 -- --n-layer 6 --n-head 6 --n-embd 384 --block-size 256 --batch-size 8
#
# PyTorch runs "at its best" on this machine: OpenBLAS told the CPU kind,
# passive OpenMP waiting, 2 threads, fused attention.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${GPT_STEP:-$here/../build/release/benchmarks/gpt_step}"
python="${PYTHON:-/usr/bin/python3}"  # Debian's python3, which python3-torch installs into
rounds="${1:-5}"
shift || true
[ "${1:-}" = "--" ] && shift
flags=("$@")
[ -x "$bin" ] || { echo "build $bin first (cmake --build build/release --target gpt_step)"; exit 1; }
# shellcheck source=benchmarks/openblas_env.sh
source "$here/openblas_env.sh"

ours=() theirs=() our_mem=() their_mem=()
for r in $(seq "$rounds"); do
  read -r _ t _ m < <("$bin" --threads 2 "${flags[@]}")
  ours+=("$t"); our_mem+=("$m")
  read -r _ t _ m < <("$python" "$here/pytorch_gpt.py" --threads 2 "${flags[@]}")
  theirs+=("$t"); their_mem+=("$m")
  echo "round $r: tinylm ${ours[-1]} tok/s, PyTorch ${theirs[-1]} tok/s"
done
"$python" - "${ours[*]}" "${theirs[*]}" "${our_mem[*]}" "${their_mem[*]}" <<'PY'
import statistics, sys
a, b, am, bm = ([float(x) for x in s.split()] for s in sys.argv[1:5])
r = [x / y for x, y in zip(a, b)]
print(f"tinylm  tok/s min {min(a):.0f} median {statistics.median(a):.0f} max {max(a):.0f}, peak RSS {statistics.median(am):.0f} MiB")
print(f"PyTorch tok/s min {min(b):.0f} median {statistics.median(b):.0f} max {max(b):.0f}, peak RSS {statistics.median(bm):.0f} MiB")
print(f"ratio tinylm/PyTorch min {min(r):.2f} median {statistics.median(r):.2f} max {max(r):.2f}")
PY
