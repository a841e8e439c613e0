#!/usr/bin/env bash
# The README's performance table from one run: every row times two
# commands interleaved for several rounds (tinylm's gpt_step against
# PyTorch's benchmarks/pytorch_gpt.py on the same model flags, or tinylm
# against itself), and prints each side's median tokens/s, the ratio's
# min / median / max, and peak RSS. Then the GEMM rows: bench_gemm's
# tinylm kernel against OpenBLAS's sgemm at the model's shapes, 1 and 2
# threads, median of 3 repetitions.
#
#   benchmarks/table.sh [rounds]      # default 3; about an hour on 2 cores
#
# PyTorch sides: "current" is the newest release from PyPI in a virtual
# environment (benchmarks/pytorch_venv.sh makes it once, about 3 GB), at
# its best: fused SDPA and AdamW, and a second row with torch.compile;
# bf16 rows put the forward and the loss under torch.autocast. "1.13" is
# Debian's python3-torch, kept for continuity; its rows are left out when
# it is not installed (apt install python3-torch). Every side runs on 2
# threads; OpenBLAS is told the CPU kind and OpenMP waits passively
# (benchmarks/openblas_env.sh).
# ROWS=regex keeps only the rows whose name matches.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rounds="${1:-3}"
bin="${GPT_STEP:-$here/../build/release/benchmarks/gpt_step}"
bench_gemm="${BENCH_GEMM:-$here/../build/release/benchmarks/bench_gemm}"
for b in "$bin" "$bench_gemm"; do
  [ -x "$b" ] || { echo "build $b first (cmake --build build/release --target gpt_step bench_gemm)" >&2; exit 1; }
done
current="$("$here/pytorch_venv.sh")"
old=/usr/bin/python3
"$old" -c "import torch" 2>/dev/null || old=""
# shellcheck source=benchmarks/openblas_env.sh
source "$here/openblas_env.sh"

# Each side prints "tokens_per_s X peak_rss_mib Y".
tinylm() { "$bin" --threads 2 "$@"; }
torch_current() { "$current" "$here/pytorch_gpt.py" --threads 2 "$@"; }
torch_113() { "$old" "$here/pytorch_gpt.py" --threads 2 "$@"; }

# row NAME "SIDE_A [flags]" "SIDE_B [flags]" MODEL_FLAGS...
row() {
  local name="$1" a="$2" b="$3"
  shift 3
  [[ "$name" =~ ${ROWS:-.} ]] || return 0
  local ta=() tb=() ma=() mb=() t m
  for r in $(seq "$rounds"); do
    read -r _ t _ m < <($a "$@")
    ta+=("$t") ma+=("$m")
    read -r _ t _ m < <($b "$@")
    tb+=("$t") mb+=("$m")
    echo "  $name, round $r: ${ta[-1]} / ${tb[-1]} tok/s" >&2
  done
  python3 - "$name" "${ta[*]}" "${tb[*]}" "${ma[*]}" "${mb[*]}" <<'PY'
import statistics, sys
name = sys.argv[1]
a, b, am, bm = ([float(x) for x in s.split()] for s in sys.argv[2:6])
r = [x / y for x, y in zip(a, b)]
med = statistics.median
print(f"| {name} | {med(a):.0f} | {med(b):.0f} | {min(r):.2f} / {med(r):.2f} / {max(r):.2f} | "
      f"{med(am):.0f} / {med(bm):.0f} MiB |")
PY
}

tiny=(--n-layer 4 --n-head 4 --n-embd 128 --block-size 128 --batch-size 16 --vocab-size 96 --steps 20)
small=(--steps 6)  # gpt_step's and pytorch_gpt.py's default: char-small, B8 T256 L6 H6 C384 V65
gpt2=(--n-layer 12 --n-head 12 --n-embd 768 --block-size 64 --batch-size 4 --vocab-size 50257 --steps 3)
gen=(--mode generate --steps 3)
gen_gpt2=(--mode generate --n-layer 12 --n-head 12 --n-embd 768 --block-size 128 --vocab-size 50257 --steps 2)

echo "PyTorch current: $("$current" -c 'import torch; print(torch.__version__)'); 1.13: ${old:-not installed}" >&2
echo "| row | A tok/s | B tok/s | A / B (min / median / max) | peak RSS A / B |"
echo "| --- | --- | --- | --- | --- |"
for cfg in tiny small gpt2; do
  declare -n flags="$cfg"
  row "fp32 train $cfg: tinylm / PyTorch current" tinylm torch_current "${flags[@]}"
  row "fp32 train $cfg: tinylm / PyTorch current, torch.compile" tinylm "torch_current --compile" "${flags[@]}"
  [ -n "$old" ] && row "fp32 train $cfg: tinylm / PyTorch 1.13" tinylm torch_113 "${flags[@]}"
  unset -n flags
done
for cfg in small gpt2; do
  declare -n flags="$cfg"
  row "bf16 train $cfg: tinylm bf16 / tinylm fp32" "tinylm --precision bf16" tinylm "${flags[@]}"
  row "bf16 train $cfg: tinylm / PyTorch current autocast" "tinylm --precision bf16" \
    "torch_current --precision bf16" "${flags[@]}"
  row "bf16 train $cfg: tinylm / PyTorch current autocast, torch.compile" "tinylm --precision bf16" \
    "torch_current --precision bf16 --compile" "${flags[@]}"
  unset -n flags
done
for cfg in gen gen_gpt2; do
  declare -n flags="$cfg"
  row "batch-1 generation $cfg: tinylm / PyTorch current, KV cache" tinylm torch_current "${flags[@]}"
  row "batch-1 generation $cfg: tinylm / transformers generate" tinylm "torch_current --mode hf-generate" \
    "${flags[@]}"
  [ -n "$old" ] && row "batch-1 generation $cfg: tinylm / PyTorch 1.13" tinylm torch_113 "${flags[@]}"
  row "batch-1 generation $cfg: tinylm bf16 weights / tinylm fp32" "tinylm --weights bf16" tinylm "${flags[@]}"
  row "batch-1 generation $cfg: tinylm bf16 weights / PyTorch current, KV cache" "tinylm --weights bf16" \
    torch_current "${flags[@]}"
  unset -n flags
done

[[ "GEMM" =~ ${ROWS:-.} ]] || exit 0
echo
echo "| GEMM M x N x K (trans), threads | tinylm GFLOP/s | OpenBLAS GFLOP/s | tinylm / OpenBLAS |"
echo "| --- | --- | --- | --- |"
"$bench_gemm" --benchmark_filter='BM_(matmul_fwd|openblas_sgemm)/' --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_format=json 2>/dev/null | python3 -c '
import json, sys
rows = {}
for b in json.load(sys.stdin)["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    kernel, *args = b["run_name"].split("/")[:6]
    shape = tuple(int(a.split(":")[1]) for a in args)
    rows.setdefault(shape, {})[kernel] = b["FLOP/s"] / 1e9
for (m, n, k, threads, trans), r in rows.items():
    if "BM_openblas_sgemm" not in r:
        continue
    t = ["", ", B^T", ", A^T"][trans]
    ours, theirs = r["BM_matmul_fwd"], r["BM_openblas_sgemm"]
    print(f"| {m} x {n} x {k}{t}, {threads} | {ours:.0f} | {theirs:.0f} | {ours / theirs:.2f} |")
'
