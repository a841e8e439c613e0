#!/usr/bin/env python3
"""Golden files for tinylm's Hugging Face GPT-2 interop (tests/io/test_hf.cpp).

1. transformers -> tinylm: a randomly initialised GPT-2-shaped model that
   transformers writes (save_pretrained: config.json + model.safetensors)
   into tests/data/hf_gpt2/, and its fp32 logits on a fixed batch in
   tests/data/hf_gpt2/expected.safetensors (idx, logits).
2. tinylm -> transformers: pass the directory tinylm's save_hf_gpt2 wrote for
   nn::GPT({300, 16, 2, 2, 16}, seed 7) with a 300-token BPE trained on
   tests/data/bpe/train_corpus.txt (<|endoftext|> its last id); this loads
   it with GPT2LMHeadModel.from_pretrained and AutoTokenizer.from_pretrained
   and stores the logits and ids they give in
   tests/data/hf_gpt2/from_tinylm.safetensors.

  python3 -m venv --system-site-packages /tmp/hf && /tmp/hf/bin/pip install transformers==4.36.2 safetensors
  /tmp/hf/bin/python tests/golden/make_hf_gpt2_golden.py /tmp/tinylm_hf_dir
"""
import pathlib
import sys

import torch
from safetensors.torch import save_file
from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "tests" / "data" / "hf_gpt2"
torch.manual_seed(0)
config = GPT2Config(vocab_size=64, n_positions=16, n_embd=16, n_layer=2, n_head=2)
model = GPT2LMHeadModel(config).eval()
model.save_pretrained(out, safe_serialization=True)
idx = torch.randint(0, 64, (2, 12))
with torch.no_grad():
    logits = model(idx).logits
save_file({"idx": idx.to(torch.int64), "logits": logits.contiguous()}, out / "expected.safetensors")

if len(sys.argv) > 1:
    theirs = GPT2LMHeadModel.from_pretrained(sys.argv[1]).eval()
    tok = AutoTokenizer.from_pretrained(sys.argv[1])
    text = "the model reads this line<|endoftext|>and this one."
    ids = tok(text)["input_ids"]
    x = torch.tensor([ids[:16]])
    with torch.no_grad():
        their_logits = theirs(x).logits
    save_file({"ids": torch.tensor(ids, dtype=torch.int64), "logits": their_logits.contiguous()},
              out / "from_tinylm.safetensors")
    print("from tinylm:", len(ids), "ids", list(their_logits.shape))
print("wrote", sorted(p.name for p in out.iterdir()))
