#!/usr/bin/env bash
# Runs every config of the README's performance table through
# compare_pytorch.sh (tinylm and PyTorch interleaved, several rounds each)
# and prints the table's rows: median tokens/s of each side, the ratio's
# min / median / max, and peak RSS.
#
#   benchmarks/table.sh [rounds]        # default 5; about 15 minutes on 2 cores
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rounds="${1:-5}"

row() {
  local name="$1"
  shift
  local out
  out="$("$here/compare_pytorch.sh" "$rounds" -- "$@")"
  echo "$out" | sed 's/^/  /' >&2
  local ours theirs ratio
  ours="$(echo "$out" | awk '/^tinylm /{print $6, $11}')"
  theirs="$(echo "$out" | awk '/^PyTorch /{print $6, $11}')"
  ratio="$(echo "$out" | awk '/^ratio /{print $4 " / " $6 " / " $8}')"
  read -r ot om <<<"$ours"
  read -r pt pm <<<"$theirs"
  echo "| $name | $ot | $pt | $ratio | $om / $pm MiB |"
}

echo "| config | tinylm tok/s | PyTorch tok/s | ratio (min / median / max) | peak RSS tinylm / PyTorch |"
echo "| --- | --- | --- | --- | --- |"
row "tiny (B16 T128 L4 H4 C128 V96)" --n-layer 4 --n-head 4 --n-embd 128 --block-size 128 --batch-size 16 --vocab-size 96 --steps 20
row "char-small (B8 T256 L6 H6 C384 V65)" --steps 6
row "GPT-2 124M shape (B4 T64 L12 H12 C768 V50257)" --n-layer 12 --n-head 12 --n-embd 768 --block-size 64 --batch-size 4 --vocab-size 50257 --steps 3
row "generation, char-small, batch 1, 255 new tokens" --mode generate --steps 3
