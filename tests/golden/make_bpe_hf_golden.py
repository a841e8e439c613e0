#!/usr/bin/env python3
"""Writes tests/data/bpe/trained_hf_ids.json: the ids Hugging Face
tokenizers gives with the tokenizer.json files tinylm writes for a BPE it
trained, for tests/data/test_bpe.cpp to hold tinylm's own ids equal to.

tinylm trains 2000-token BPEs (GPT-2's and GPT-4's pattern, plus
<|endoftext|>) on tests/data/bpe/train_corpus.txt and writes them with
save_hf_json; pass the two files:

  /tmp/venv/bin/python tests/golden/make_bpe_hf_golden.py /tmp/hf_gpt2.json /tmp/hf_gpt4.json
"""
import json
import pathlib
import sys

from tokenizers import Tokenizer

root = pathlib.Path(__file__).resolve().parents[2]
cases = json.loads((root / "tests" / "data" / "bpe" / "gpt2_golden.json").read_text(encoding="utf-8"))
text = "".join(c["text"] for c in cases if not c["name"].startswith("long") and "endoftext" not in c["name"])
text += "<|endoftext|>The end.<|endoftext|>"
out = {"text": text}
for name, path in zip(["gpt2", "gpt4"], sys.argv[1:3]):
    tok = Tokenizer.from_file(path)
    ids = tok.encode(text).ids
    assert tok.decode(ids, skip_special_tokens=False) == text, name
    out[name] = ids
(root / "tests" / "data" / "bpe" / "trained_hf_ids.json").write_text(json.dumps(out, ensure_ascii=False) + "\n",
                                                                     encoding="utf-8")
print({k: len(v) for k, v in out.items()})
