#!/usr/bin/env bash
# BPE training time and peak memory: tinylm's `tokenizer train` next to
# Hugging Face tokenizers' BpeTrainer on the same text with the same settings
# (GPT-2's pattern, <|endoftext|>, vocabulary size, minimum frequency 2), on 1
# thread and on 2, interleaved for several rounds in one run; prints each
# side's median seconds and peak resident memory (GNU time's maximum RSS,
# which for tinylm includes the text read whole) and the ratios, and how many
# of the two tokenizers' merges are the same.
#
#   benchmarks/bpe_train_compare.sh [rounds] [vocab size] [text file]
# Without a file it uses benchmarks/mixed_text.sh's 100 MB. Needs a Python
# with tokenizers, and GNU time (Debian's `time` package):
#   python3 -m venv /tmp/venv && /tmp/venv/bin/pip install tokenizers; PYTHON=/tmp/venv/bin/python
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${TOKENIZER:-$here/../build/release/examples/tokenizer}"
python="${PYTHON:-python3}"
rounds="${1:-3}"
vocab="${2:-32768}"
text="${3:-}"
[ -x "$bin" ] || { echo "build $bin first (cmake --build build/release --target tokenizer)"; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time"; exit 1; }
if [ -z "$text" ]; then
  text="${TMPDIR:-/tmp}/tinylm_mixed_100MB.txt"
  [ -s "$text" ] || "$here/mixed_text.sh" "$text"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "text: $text ($(wc -c < "$text") bytes), vocabulary $vocab"
for r in $(seq "$rounds"); do
  for t in 1 2; do
    start=$(date +%s.%N)
    TINYLM_NUM_THREADS=$t /usr/bin/time -f "%M" -o "$work/rss" \
      "$bin" train --input "$text" --vocab-size "$vocab" --special '<|endoftext|>' --out "$work/tinylm.json" > /dev/null 2> "$work/log" ||
      { cat "$work/log"; exit 1; }
    end=$(date +%s.%N)
    echo "tinylm threads $t seconds $(echo "$end - $start" | bc) rss_kb $(cat "$work/rss")"
    /usr/bin/time -f "%M" -o "$work/rss" "$python" "$here/bpe_train_reference.py" "$text" "$vocab" 2 "$t" "$work/hf.json" \
      | tr -d '\n'
    echo " rss_kb $(cat "$work/rss")"
  done
done | tee /dev/stderr | "$python" -c '
import collections, json, statistics, sys
secs, rss = collections.defaultdict(list), collections.defaultdict(list)
for line in sys.stdin:
    f = line.split()
    secs[(f[0], f[2])].append(float(f[4]))
    rss[(f[0], f[2])].append(int(f[-1]) / 1024)
for threads in ("1", "2"):
    ours, theirs = statistics.median(secs[("tinylm", threads)]), statistics.median(secs[("tokenizers", threads)])
    mo, mt = statistics.median(rss[("tinylm", threads)]), statistics.median(rss[("tokenizers", threads)])
    print(f"{threads} thread(s): tinylm {ours:.2f} s {mo:.0f} MB, tokenizers {theirs:.2f} s {mt:.0f} MB "
          f"(tinylm x{theirs / ours:.2f} faster, x{mt / mo:.2f} less memory)")
merges = [json.load(open(sys.argv[i]))["model"]["merges"] for i in (1, 2)]
merges = [[m if isinstance(m, str) else " ".join(m) for m in ms] for ms in merges]
print(f"merges: tinylm {len(merges[0])}, tokenizers {len(merges[1])}, the same set: {len(set(merges[0]) & set(merges[1]))}, "
      f"the same first ones in order: {next((i for i, (a, b) in enumerate(zip(*merges)) if a != b), min(map(len, merges)))}")
' "$work/tinylm.json" "$work/hf.json"
