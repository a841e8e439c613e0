#!/usr/bin/env python3
"""Writes tests/data/bpe/gpt2_golden.json: GPT-2 token ids from tiktoken,
checked against Hugging Face's `tokenizers` GPT-2 tokenizer, for
tests/data/test_bpe.cpp.

Both read the committed tests/data/gpt2/encoder.json and vocab.bpe (no
download). Each case is {"name", "text", "ids"} for encode_ordinary, and
{"name", "text", "ids", "special": true} for encode with every special
token allowed.

  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install tiktoken tokenizers
  /tmp/venv/bin/python tests/golden/make_bpe_golden.py
"""
import json
import pathlib

import tiktoken
import tiktoken.load
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

root = pathlib.Path(__file__).resolve().parents[2]
gpt2 = root / "tests" / "data" / "gpt2"
ranks = tiktoken.load.data_gym_to_mergeable_bpe_ranks(str(gpt2 / "vocab.bpe"), str(gpt2 / "encoder.json"))
enc = tiktoken.Encoding(
    "gpt2",
    pat_str=r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
    mergeable_ranks=ranks,
    special_tokens={"<|endoftext|>": 50256},
)
assert enc.encode("hello world") == [31373, 995]

hf = Tokenizer(models.BPE.from_file(str(gpt2 / "encoder.json"), str(gpt2 / "vocab.bpe")))
hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
hf.decoder = decoders.ByteLevel()

cases = {
    "known: hello world": "hello world",
    "known: indivisible": "indivisible",
    "known: space": " ",
    "known: tab": "\t",
    "known: some text": "This is some text",
    "prose": (root / "README.md").read_text(encoding="utf-8"),
    "prose and maths": (root / "docs" / "backprop-attention.md").read_text(encoding="utf-8"),
    "source code": (root / "include" / "tinylm" / "data" / "char_tokenizer.hpp").read_text(encoding="utf-8"),
    "python": (root / "tests" / "golden" / "make_gpt_golden.py").read_text(encoding="utf-8"),
    "numbers": "0 1 12 123 1234 12345 123456789012345 3.14159 -2.5e-10 1,000,000 2026-12-01 0x7fff 1st 2nd 007",
    "whitespace and line endings": "a  b   c\n\n\r\n  \t\t x \n\n\n    y\r\r\n\t \n   \n",
    "trailing spaces": "end   ",
    "contractions": "I'm you're he's we've they'll I'd can't don't it's 'S 'T 'Re O'Neil rock'n'roll ''",
    "emoji and ZWJ": "👍 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 ❤️ 🇫🇷 a😀b",
    "CJK": "日本語のテキストと中文文本、한국어 텍스트。",
    "accents": "naïve café résumé Ångström Zoë São Paulo Dvořák ﬁ",
    "unicode spaces": "a\u00a0b\u2003c\u3000d\u0085e\u2028f\u200bg\u202fh\u1680i\u000bj\u000ck",
    "scripts": "Привет, мир! Γειά σου κόσμε. مرحبا بالعالم שלום עולם नमस्ते दुनिया",
    "symbols": "!!! ??? ... --- *** ### $$$ %%% &&& @@@ <<>> (()) [[]] {{}} ``` ~~~ ^^^ |||",
    "long run": "x" * 20000,
    "long run with spaces": " " * 5000 + "y" + "\n" * 3000,
    "endoftext as text": "a<|endoftext|>b <|endoftext|>",
}
out = []
for name, text in cases.items():
    ids = enc.encode_ordinary(text)
    assert hf.encode(text).ids == ids, name
    assert enc.decode(ids) == text
    out.append({"name": name, "text": text, "ids": ids})
special_text = "<|endoftext|>The start.<|endoftext|><|endoftext|> and <|endoftext|>end"
out.append({"name": "endoftext as special", "text": special_text, "ids": enc.encode(special_text, allowed_special="all"),
            "special": True})
path = root / "tests" / "data" / "bpe" / "gpt2_golden.json"
path.write_text(json.dumps(out, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
print(f"{path}: {len(out)} cases, {sum(len(c['ids']) for c in out)} tokens")
