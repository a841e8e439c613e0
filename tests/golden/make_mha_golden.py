#!/usr/bin/env python3
"""Writes tests/golden/mha.safetensors: torch.nn.MultiheadAttention's
outputs, attention weights and gradients, for tests/nn/test_multi_head_attention.cpp.

Two cases, float64, batch_first, 2 heads of 3:

  cross.*  queries x (B, Tq, C) attend to memory (B, Tk, Ckv) with a key
           padding mask (1 at padding; sequence 1 has 2 padding keys)
  self.*   self-attention of x with a causal mask and the same kind of
           padding mask on its own keys

Each case stores its inputs, weights under tinylm's names (q_proj.weight
[in, out], ...), the output, the attention weights per head, and the
gradients of sum(out * up) for the inputs and every weight.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/make_mha_golden.py
"""
import pathlib

import torch
from golden_io import save

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

B, Tq, Tk, C, Ckv, NH = 2, 4, 5, 6, 4, 2


def case(prefix, kdim, Tkeys, causal):
    mha = torch.nn.MultiheadAttention(C, NH, kdim=kdim, vdim=kdim, batch_first=True)
    with torch.no_grad():
        for p in mha.parameters():
            p.uniform_(-0.5, 0.5)
    x = torch.randn(B, Tq, C, requires_grad=True)
    memory = x if prefix == "self" else torch.randn(B, Tkeys, kdim, requires_grad=True)
    pad = torch.zeros(B, Tkeys, dtype=torch.bool)
    pad[1, -2:] = True
    mask = torch.triu(torch.ones(Tq, Tkeys, dtype=torch.bool), 1) if causal else None
    out, weights = mha(x, memory, memory, key_padding_mask=pad, attn_mask=mask, need_weights=True,
                       average_attn_weights=False)
    up = torch.randn(out.shape)
    (out * up).sum().backward()
    if kdim == C and prefix == "self":
        wq, wk, wv = mha.in_proj_weight.chunk(3)
        gq, gk, gv = mha.in_proj_weight.grad.chunk(3)
    else:
        wq, wk, wv = mha.q_proj_weight, mha.k_proj_weight, mha.v_proj_weight
        gq, gk, gv = wq.grad, wk.grad, wv.grad
    bq, bk, bv = mha.in_proj_bias.chunk(3)
    gbq, gbk, gbv = mha.in_proj_bias.grad.chunk(3)
    t = {"x": x, "pad": pad.long(), "up": up, "out": out, "weights": weights, "grad.x": x.grad}
    if prefix != "self":
        t["memory"] = memory
        t["grad.memory"] = memory.grad
    named = {"q_proj": (wq, bq, gq, gbq), "k_proj": (wk, bk, gk, gbk), "v_proj": (wv, bv, gv, gbv),
             "out_proj": (mha.out_proj.weight, mha.out_proj.bias, mha.out_proj.weight.grad, mha.out_proj.bias.grad)}
    for name, (w, b, gw, gb) in named.items():  # torch's Linear is [out, in]; tinylm's is [in, out]
        t[name + ".weight"] = w.T
        t[name + ".bias"] = b
        t["grad." + name + ".weight"] = gw.T
        t["grad." + name + ".bias"] = gb
    return {prefix + "." + k: v.detach().clone() for k, v in t.items()}


out = {}
out.update(case("cross", Ckv, Tk, False))
out.update(case("self", C, Tq, True))
save(pathlib.Path(__file__).with_name("mha.safetensors"), out)
