#!/usr/bin/env python3
"""Writes tests/golden/lstm_small.safetensors: a 2-layer torch.nn.LSTM
(batch_first, float64) on random input and initial state, with the outputs,
final state and gradients of L = sum(out * R) + sum(h_n * Rh) + sum(c_n * Rc).

Weights are stored in tinylm's [in, 4H] layout (the transpose of PyTorch's
[4H, in]); gate order i, f, g, o is the same. tests/nn/test_lstm.cpp checks
tinylm's nn::LSTM against every tensor here.
Run: python3 tests/golden/make_lstm_golden.py
"""
import json
import pathlib
import struct

import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
B, T, I, H, L = 2, 5, 3, 4, 2
lstm = torch.nn.LSTM(I, H, L, batch_first=True)
x = torch.randn(B, T, I, requires_grad=True)
h0 = torch.randn(L, B, H, requires_grad=True)
c0 = torch.randn(L, B, H, requires_grad=True)
R, Rh, Rc = torch.randn(B, T, H), torch.randn(L, B, H), torch.randn(L, B, H)
out, (hn, cn) = lstm(x, (h0, c0))
((out * R).sum() + (hn * Rh).sum() + (cn * Rc).sum()).backward()

t = {"x": x, "h0": h0, "c0": c0, "R": R, "Rh": Rh, "Rc": Rc, "out": out, "hn": hn, "cn": cn,
     "grad.x": x.grad, "grad.h0": h0.grad, "grad.c0": c0.grad}
for name, p in lstm.named_parameters():
    t[name] = p.T if name.startswith("weight") else p
    t["grad." + name] = p.grad.T if name.startswith("weight") else p.grad
header, blobs, off = {}, [], 0
for name, v in t.items():
    data = v.detach().contiguous().numpy().tobytes()
    header[name] = {"dtype": "F64", "shape": list(v.shape), "data_offsets": [off, off + len(data)]}
    blobs.append(data)
    off += len(data)
h = json.dumps(header).encode()
h += b" " * ((8 - len(h) % 8) % 8)
pathlib.Path(__file__).with_name("lstm_small.safetensors").write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))
print("wrote", len(t), "tensors")
