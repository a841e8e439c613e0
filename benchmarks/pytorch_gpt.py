#!/usr/bin/env python3
"""The PyTorch reference for tinylm's whole-step benchmarks.

A nanoGPT-style GPT-2 (pre-LN blocks, tanh GELU, tied LM head, AdamW with
decay on matrices only, dropout 0), the same model gpt_train trains, timed
the same way as benchmarks/gpt_step.cpp: warm-up steps, then the median
tokens/s over timed steps. Run it "at its best" on Debian's PyTorch 1.13:

  OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=PASSIVE python3 benchmarks/pytorch_gpt.py --threads 2 ...

(Debian's OpenBLAS does not recognise recent Xeons without the first
variable, and PyTorch's OpenMP threads spin against OpenBLAS's without the
second.) Attention runs through torch.nn.functional._scaled_dot_product_attention,
1.13's fused path, unless --naive-attention is given.

On a GPU: --device cuda (fp32, TF32 off, as tinylm's CUDA GEMM); each
timed step ends with a device sync.

The current PyTorch from PyPI (benchmarks/pytorch_venv.sh makes a virtual
environment with it) runs at its best with what 1.13 lacks: the public
fused SDPA, fused AdamW (PyTorch >= 2.4 on the CPU), --compile for
torch.compile (the model's forward; Inductor writes C++ for the CPU), and
--precision bf16 for torch.autocast(dtype=torch.bfloat16) around the
forward and the loss (the matrix products in bf16, as tinylm's --precision
bf16). --mode hf-generate times Hugging Face transformers' generate() on a
GPT2LMHeadModel of the same shape with random weights (KV cache, sampling).

Prints one line: `tokens_per_s <median> peak_rss_mib <MiB>`.
"""
import argparse
import contextlib
import math
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--n-layer", type=int, default=6)
p.add_argument("--n-head", type=int, default=6)
p.add_argument("--n-embd", type=int, default=384)
p.add_argument("--block-size", type=int, default=256)
p.add_argument("--batch-size", type=int, default=8)
p.add_argument("--vocab-size", type=int, default=65)
p.add_argument("--steps", type=int, default=10)
p.add_argument("--warmup", type=int, default=3)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--mode", choices=["train", "generate", "hf-generate"], default="train")
p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
p.add_argument("--naive-attention", action="store_true")
p.add_argument("--device", default="cpu")
p.add_argument("--compile", action="store_true")
args = p.parse_args()
dev = torch.device(args.device)
if dev.type == "cuda":
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


def sync():
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


# The fused attention: the public one where it exists (PyTorch >= 2.0), 1.13's private one otherwise.
if hasattr(F, "scaled_dot_product_attention"):
    def fused_attention(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)
else:
    def fused_attention(q, k, v):
        return F._scaled_dot_product_attention(q, k, v, None, 0.0, False, True)[0]

torch.set_num_threads(args.threads)
if args.precision == "bf16":
    autocast = lambda: torch.autocast(dev.type, dtype=torch.bfloat16)
else:
    autocast = contextlib.nullcontext
torch.manual_seed(0)
C, NH = args.n_embd, args.n_head


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.c_attn, self.attn_proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.c_fc, self.mlp_proj = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

    def attn(self, x, cache=None):
        B, T, _ = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (z.view(B, T, NH, C // NH).transpose(1, 2) for z in (q, k, v))
        if cache is not None:  # generation: append to the cache, attend to everything in it
            if "k" in cache:
                k, v = torch.cat([cache["k"], k], 2), torch.cat([cache["v"], v], 2)
            cache["k"], cache["v"] = k, v
        Tk = k.shape[2]
        if args.naive_attention or Tk != T:
            att = (q @ k.transpose(-2, -1)) / math.sqrt(C // NH)
            mask = torch.ones(T, Tk, dtype=torch.bool, device=x.device).tril(Tk - T)
            y = att.masked_fill(~mask, float("-inf")).softmax(-1) @ v
        else:
            y = fused_attention(q, k, v)
        return self.attn_proj(y.transpose(1, 2).contiguous().view(B, T, C))

    def forward(self, x, cache=None):
        x = x + self.attn(self.ln_1(x), cache)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(args.vocab_size, C)
        self.wpe = nn.Embedding(args.block_size, C)
        self.h = nn.ModuleList([Block() for _ in range(args.n_layer)])
        self.ln_f = nn.LayerNorm(C)
        for n, prm in self.named_parameters():
            if n.endswith("bias"):
                nn.init.zeros_(prm)
            elif "ln" not in n:
                nn.init.normal_(prm, std=0.02)

    def forward(self, idx, targets=None, caches=None, start=0):
        x = self.wte(idx) + self.wpe(torch.arange(start, start + idx.shape[1], device=idx.device))
        for i, b in enumerate(self.h):
            x = b(x, caches[i] if caches is not None else None)
        logits = self.ln_f(x) @ self.wte.weight.T
        if targets is None:
            return logits
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


if args.mode == "hf-generate":
    from transformers import GPT2Config, GPT2LMHeadModel

    cfg = GPT2Config(vocab_size=args.vocab_size, n_positions=args.block_size, n_embd=C, n_layer=args.n_layer,
                     n_head=NH, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=None,
                     eos_token_id=None)
    hf = GPT2LMHeadModel(cfg).to(dev).eval()
    tokens, times = args.block_size - 1, []
    idx = torch.zeros(1, 1, dtype=torch.long, device=dev)
    with torch.no_grad(), autocast():
        for rep in range(args.warmup + args.steps):
            t0 = time.perf_counter()
            out = hf.generate(idx, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=True, top_k=0,
                              use_cache=True, pad_token_id=0)
            assert out.shape[1] == args.block_size
            if rep >= args.warmup:
                times.append(time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"tokens_per_s {tokens / statistics.median(times):.1f} peak_rss_mib {rss:.0f}")
    raise SystemExit(0)

model = GPT().to(dev)
step_model = torch.compile(model) if args.compile else model
times = []
if args.mode == "train":
    decay = [prm for n, prm in model.named_parameters() if prm.dim() >= 2 and "wte" not in n and "wpe" not in n]
    other = [prm for n, prm in model.named_parameters() if not (prm.dim() >= 2 and "wte" not in n and "wpe" not in n)]
    groups = [{"params": decay, "weight_decay": 0.1}, {"params": other, "weight_decay": 0.0}]
    try:  # one fused kernel for every parameter (PyTorch >= 2.4 on the CPU), else the multi-tensor loop
        opt = torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.95), fused=True)
    except (RuntimeError, TypeError):
        opt = torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.95), foreach=True)
    tokens = args.batch_size * args.block_size
    for step in range(args.warmup + args.steps):
        x = torch.randint(0, args.vocab_size, (args.batch_size, args.block_size), device=dev)
        y = torch.randint(0, args.vocab_size, (args.batch_size, args.block_size), device=dev)
        sync()
        t0 = time.perf_counter()
        with autocast():
            loss = step_model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sync()
        if step >= args.warmup:
            times.append(time.perf_counter() - t0)
else:
    model.eval()
    tokens = args.block_size - 1
    with torch.no_grad(), autocast():
        for rep in range(args.warmup + args.steps):
            t0 = time.perf_counter()
            caches = [dict() for _ in range(args.n_layer)]
            idx = torch.zeros(1, 1, dtype=torch.long, device=dev)
            logits = model(idx, caches=caches, start=0)
            for pos in range(1, args.block_size):
                nxt = torch.multinomial(F.softmax(logits[:, -1, :], -1), 1)
                logits = model(nxt, caches=caches, start=pos)
            if rep >= args.warmup:
                times.append(time.perf_counter() - t0)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"tokens_per_s {tokens / statistics.median(times):.1f} peak_rss_mib {rss:.0f}")
