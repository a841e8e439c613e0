#!/usr/bin/env python3
"""Writes tests/golden/gpt_tiny.safetensors: a tiny GPT-2 computed by PyTorch.

An independent implementation of the same model (nanoGPT-style, float64),
used by tests/nn/test_gpt_golden.cpp to check tinylm's GPT end to end:

  weights  under Hugging Face GPT-2 names, linear weights stored [in, out]
  idx, targets            a (B, T) batch of token ids and next-token targets
  loss                    mean cross-entropy of the batch
  grad.<name>             d loss / d weight for every parameter
  logits                  (B, T, V)
  step2.<name>            every parameter after two AdamW steps on that batch
                          (lr 1e-2, betas (0.9, 0.95), eps 1e-8, weight decay
                          0.1 on matrices only)

Run with Debian's python3-torch:  python3 tests/golden/make_gpt_golden.py
"""
import math
import pathlib

import torch
from golden_io import save
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

V, BLOCK, L, NH, C = 11, 8, 2, 2, 8
B, T = 2, 7


class Attn(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_attn = nn.Linear(C, 3 * C)
        self.c_proj = nn.Linear(C, C)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (z.view(b, t, NH, c // NH).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // NH)
        mask = torch.tril(torch.ones(t, t, dtype=torch.bool))
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        return self.c_proj(y)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(C, eps=1e-5)
        self.attn = Attn()
        self.ln_2 = nn.LayerNorm(C, eps=1e-5)
        self.c_fc = nn.Linear(C, 4 * C)
        self.c_proj = nn.Linear(4 * C, C)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.c_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(BLOCK, C)
        self.h = nn.ModuleList([Block() for _ in range(L)])
        self.ln_f = nn.LayerNorm(C, eps=1e-5)
        for p in self.parameters():  # random everything, LayerNorm included, so every path is tested
            nn.init.normal_(p, std=0.3)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for blk in self.h:
            x = blk(x)
        logits = self.ln_f(x) @ self.wte.weight.T
        return logits, F.cross_entropy(logits.view(-1, V), targets.view(-1))


def hf_params(model):
    """(Hugging Face name, tensor in HF layout, decays?) for every parameter."""
    out = [("transformer.wte.weight", model.wte.weight, False), ("transformer.wpe.weight", model.wpe.weight, False)]
    for i, b in enumerate(model.h):
        p = f"transformer.h.{i}."
        out += [
            (p + "ln_1.weight", b.ln_1.weight, False), (p + "ln_1.bias", b.ln_1.bias, False),
            (p + "attn.c_attn.weight", b.attn.c_attn.weight, True), (p + "attn.c_attn.bias", b.attn.c_attn.bias, False),
            (p + "attn.c_proj.weight", b.attn.c_proj.weight, True), (p + "attn.c_proj.bias", b.attn.c_proj.bias, False),
            (p + "ln_2.weight", b.ln_2.weight, False), (p + "ln_2.bias", b.ln_2.bias, False),
            (p + "mlp.c_fc.weight", b.c_fc.weight, True), (p + "mlp.c_fc.bias", b.c_fc.bias, False),
            (p + "mlp.c_proj.weight", b.c_proj.weight, True), (p + "mlp.c_proj.bias", b.c_proj.bias, False),
        ]
    out += [("transformer.ln_f.weight", model.ln_f.weight, False), ("transformer.ln_f.bias", model.ln_f.bias, False)]
    return out


def layout(name, t):
    """nn.Linear stores [out, in]; GPT-2's Conv1D layout is [in, out]."""
    t = t.detach().clone()  # a copy: the optimizer steps below update parameters in place
    return t.T.contiguous() if name.endswith(".weight") and ("c_attn" in name or "c_proj" in name or "c_fc" in name) else t.contiguous()


model = GPT()
idx = torch.randint(0, V, (B, T))
targets = torch.randint(0, V, (B, T))
logits, loss = model(idx, targets)
loss.backward()

out = {"idx": idx, "targets": targets, "loss": loss.detach().reshape(1), "logits": logits.detach()}
for name, p, _ in hf_params(model):
    out[name] = layout(name, p)
    out["grad." + name] = layout(name, p.grad)

params = hf_params(model)
opt = torch.optim.AdamW(
    [{"params": [p for _, p, d in params if d], "weight_decay": 0.1},
     {"params": [p for _, p, d in params if not d], "weight_decay": 0.0}],
    lr=1e-2, betas=(0.9, 0.95), eps=1e-8)
for _ in range(2):
    opt.zero_grad()
    model(idx, targets)[1].backward()
    opt.step()
for name, p, _ in hf_params(model):
    out["step2." + name] = layout(name, p)

save(pathlib.Path(__file__).with_name("gpt_tiny.safetensors"), out)
print("loss", loss.item())
