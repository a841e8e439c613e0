#!/usr/bin/env python3
"""tiktoken's and Hugging Face tokenizers' GPT-2 encoding throughput on a
text, for bpe_compare.sh: prints one "NAME threads N MB/s X tokens T" line
for each. Both read the committed tests/data/gpt2 files; the text is cut into
the same ~64 KB documents as bpe_encode.cpp; the best of PASSES passes
(default 3) after a warm-up."""
import os
import pathlib
import sys
import time

path, threads = sys.argv[1], int(sys.argv[2])
os.environ["RAYON_NUM_THREADS"] = str(threads)  # tokenizers' thread pool; read when it is first used
import tiktoken
import tiktoken.load
from tokenizers import Tokenizer, models, pre_tokenizers

gpt2 = pathlib.Path(__file__).resolve().parents[1] / "tests" / "data" / "gpt2"
raw = pathlib.Path(path).read_bytes()
docs, at = [], 0
while at < len(raw):
    end = min(len(raw), at + (1 << 16))
    while end < len(raw) and raw[end - 1] != 10:
        end += 1
    docs.append(raw[at:end].decode("utf-8", errors="replace"))
    at = end
ranks = tiktoken.load.data_gym_to_mergeable_bpe_ranks(str(gpt2 / "vocab.bpe"), str(gpt2 / "encoder.json"))
enc = tiktoken.Encoding("gpt2", pat_str=r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
                        mergeable_ranks=ranks, special_tokens={"<|endoftext|>": 50256})
hf = Tokenizer(models.BPE.from_file(str(gpt2 / "encoder.json"), str(gpt2 / "vocab.bpe")))
hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)


def best(f):
    f()
    times = []
    for _ in range(int(os.environ.get("PASSES", "3"))):
        t0 = time.perf_counter()
        n = f()
        times.append(time.perf_counter() - t0)
    return min(times), n


size = len(raw)
s, n = best(lambda: sum(map(len, enc.encode_ordinary_batch(docs, num_threads=threads))))
print(f"tiktoken threads {threads} MB/s {size / 1e6 / s:.2f} tokens {n}")
s, n = best(lambda: sum(len(e.ids) for e in hf.encode_batch(docs, add_special_tokens=False)))
print(f"tokenizers threads {threads} MB/s {size / 1e6 / s:.2f} tokens {n}")
