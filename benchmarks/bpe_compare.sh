#!/usr/bin/env bash
# GPT-2 BPE encoding throughput on one text: tinylm (bpe_encode), tiktoken
# (encode_ordinary_batch) and Hugging Face tokenizers (encode_batch), with 1
# thread and with 2, interleaved for several rounds in one run; prints each
# side's median MB/s and the ratios. The three must produce the same number
# of tokens (the ids are tested equal in tests/data/test_bpe.cpp).
#
#   benchmarks/bpe_compare.sh [rounds] [text file]
# Without a file it builds 100 MB of mixed text from the machine's own files
# (benchmarks/mixed_text.sh: prose, manual pages in 30 languages, Python, C
# headers). Each side warms up once, then times PASSES passes (default 3) and
# keeps the best.
# Needs a Python with tiktoken and tokenizers:
#   python3 -m venv /tmp/venv && /tmp/venv/bin/pip install tiktoken tokenizers; PYTHON=/tmp/venv/bin/python
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${BPE_ENCODE:-$here/../build/release/benchmarks/bpe_encode}"
python="${PYTHON:-python3}"
rounds="${1:-3}"
text="${2:-}"
[ -x "$bin" ] || { echo "build $bin first (cmake --build build/release --target bpe_encode)"; exit 1; }
if [ -z "$text" ]; then
  text="${TMPDIR:-/tmp}/tinylm_mixed_100MB.txt"
  [ -s "$text" ] || "$here/mixed_text.sh" "$text"
fi
echo "text: $text ($(wc -c < "$text") bytes)"
for r in $(seq "$rounds"); do
  for t in 1 2; do
    "$bin" "$text" "$t"
    "$python" "$here/bpe_reference.py" "$text" "$t"
  done
done | tee /dev/stderr | "$python" -c '
import collections, statistics, sys
runs = collections.defaultdict(list)
tokens = {}
for line in sys.stdin:
    name, _, threads, _, mbs, _, n = line.split()
    runs[(name, threads)].append(float(mbs))
    tokens[name] = int(n)
assert len(set(tokens.values())) == 1, f"token counts differ: {tokens}"
for threads in ("1", "2"):
    ours = statistics.median(runs[("tinylm", threads)])
    row = [f"{threads} thread(s): tinylm {ours:.2f} MB/s"]
    for other in ("tiktoken", "tokenizers"):
        m = statistics.median(runs[(other, threads)])
        row.append(f"{other} {m:.2f} MB/s (tinylm x{ours / m:.2f})")
    print(", ".join(row))
'
