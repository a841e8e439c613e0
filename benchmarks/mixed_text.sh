#!/usr/bin/env bash
# Writes 100 MB (or N bytes) of mixed text built from what a Debian machine
# holds, for the BPE benchmarks: English prose (every package's copyright
# file), manual pages in 30 languages (roff source: Cyrillic, CJK, accented
# Latin), Python source (the standard library) and C/C++ headers
# (/usr/include), taken in that order, each file in sorted order, cut at N
# bytes and kept valid UTF-8 (Python's tokenizers take str).
#
#   benchmarks/mixed_text.sh OUT [bytes]
set -eu  # no pipefail: head closes the pipe early on purpose
out="$1"
bytes="${2:-100000000}"
{
  find /usr/share/doc -name copyright -type f -print0 | sort -z | xargs -0 cat
  find /usr/share/man -mindepth 1 -maxdepth 1 -type d ! -name 'man*' -print0 | sort -z |
    xargs -0 -I{} find {} -name '*.gz' -type f -print0 | sort -z | xargs -0 zcat -f
  find /usr/share/man -mindepth 1 -maxdepth 1 -type d -name 'man*' -print0 | sort -z |
    xargs -0 -I{} find {} -name '*.gz' -type f -print0 | sort -z | xargs -0 zcat -f | head -c 25000000
  find /usr/lib/python3* -name '*.py' -type f -print0 | sort -z | xargs -0 cat
  find /usr/include -type f \( -name '*.h' -o -name '*.hpp' \) -print0 | sort -z | xargs -0 cat
} 2>/dev/null | head -c "$bytes" | iconv -f utf-8 -t utf-8 -c > "$out.tmp"
mv "$out.tmp" "$out"
