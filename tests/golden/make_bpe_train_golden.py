#!/usr/bin/env python3
"""Writes tests/data/bpe/train_corpus.txt (tinylm's own headers, docs, tests
and examples, 0.85 MB, as they were when this ran) and tests/data/bpe/train_merges.json:
the merges a plain byte-level BPE trainer learns from it, for
tests/data/test_bpe.cpp to hold train_bpe() equal to.

The trainer is the definition, with nothing incremental: split the text
with GPT-2's pattern, count each distinct chunk, then repeatedly count every
adjacent pair over all chunks (weighted by the chunk's count) and merge the
most frequent, ties to the smaller (left id, right id), left to right
without overlaps, until the vocabulary is full or the best pair is seen
fewer than min_frequency times. Byte b is token b; merge i makes 256 + i.

  /tmp/venv/bin/pip install regex && /tmp/venv/bin/python tests/golden/make_bpe_train_golden.py
"""
import collections
import json
import pathlib

import regex

root = pathlib.Path(__file__).resolve().parents[2]
out_dir = root / "tests" / "data" / "bpe"
files = (sorted((root / "include" / "tinylm").rglob("*.hpp")) + sorted((root / "docs").glob("*.md")) +
         sorted((root / "tests").rglob("*.cpp")) + sorted((root / "examples").glob("*.cpp")))
corpus = "".join(p.read_text(encoding="utf-8") for p in files)
(out_dir / "train_corpus.txt").write_text(corpus, encoding="utf-8")

VOCAB, MIN_FREQ = 1000, 2
pattern = regex.compile(r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
chunks = collections.Counter(m.encode("utf-8") for m in pattern.findall(corpus))
words = [[list(chunk), n] for chunk, n in sorted(chunks.items())]
merges = []
while 256 + len(merges) < VOCAB:
    pairs = collections.Counter()
    for ids, n in words:
        for a, b in zip(ids, ids[1:]):
            pairs[(a, b)] += n
    if not pairs:
        break
    best = min(pairs, key=lambda p: (-pairs[p], p))
    if pairs[best] < MIN_FREQ:
        break
    made = 256 + len(merges)
    merges.append(best)
    for w in words:
        ids, out, i = w[0], [], 0
        while i < len(ids):
            if i + 1 < len(ids) and (ids[i], ids[i + 1]) == best:
                out.append(made)
                i += 2
            else:
                out.append(ids[i])
                i += 1
        w[0] = out
(out_dir / "train_merges.json").write_text(
    json.dumps({"vocab_size": VOCAB, "min_frequency": MIN_FREQ, "merges": merges}) + "\n", encoding="utf-8")
print(f"{len(corpus.encode())} bytes, {len(chunks)} distinct chunks, {len(merges)} merges")
