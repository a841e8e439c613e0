#!/usr/bin/env python3
"""Writes tests/golden/seq2seq.safetensors: PyTorch's transformer layers and
an encoder-decoder built from them, for tests/nn/test_transformer.cpp.

float64, batch_first, dropout 0, exact GELU. Cases:

  enc.*       nn.TransformerEncoderLayer(norm_first=True) on x (B, S, C) with
              a key padding mask (sequence 1 ends in 2 padding positions)
  enc_post.*  the same layer with norm_first=False (post-LN)
  dec.*       nn.TransformerDecoderLayer(norm_first=True) on y (B, T, C), causal,
              attending to memory (B, S, C) with the same padding mask
  s2s.*       a whole encoder-decoder: one shared embedding table, learned
              positions, two encoder layers and a final LayerNorm, two decoder
              layers and a final LayerNorm, logits from the shared table's
              transpose; loss = cross_entropy(label_smoothing=0.1), padding
              targets (-100) ignored

Each case stores its inputs, every weight under tinylm's names (BART's:
self_attn.q_proj.weight stored [in, out], ...), the output (or logits and
loss), and the gradients of sum(out * up) (or of the loss) for the inputs
and every weight.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/make_seq2seq_golden.py
"""
import pathlib

import torch
import torch.nn.functional as F
from golden_io import save

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

B, S, T, C, NH, H, V = 2, 5, 4, 8, 2, 12, 11


def randomize(module):
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-0.4, 0.4)


# Each mapping takes `get`: the parameter itself (its value) or its .grad,
# so that values and gradients go through the same renaming and transposes.
def attention_weights(prefix, mha, get):
    """nn.MultiheadAttention's packed in_proj as tinylm's q/k/v/out maps, [in, out]."""
    w, b = get(mha.in_proj_weight), get(mha.in_proj_bias)
    out = {}
    for i, name in enumerate(["q_proj", "k_proj", "v_proj"]):
        out[f"{prefix}.{name}.weight"] = w[i * C:(i + 1) * C].t()
        out[f"{prefix}.{name}.bias"] = b[i * C:(i + 1) * C]
    out[f"{prefix}.out_proj.weight"] = get(mha.out_proj.weight).t()
    out[f"{prefix}.out_proj.bias"] = get(mha.out_proj.bias)
    return out


def norm(prefix, ln, get):
    return {f"{prefix}.weight": get(ln.weight), f"{prefix}.bias": get(ln.bias)}


def linear(prefix, lin, get):
    return {f"{prefix}.weight": get(lin.weight).t(), f"{prefix}.bias": get(lin.bias)}


def encoder_names(layer, get, prefix=""):
    w = attention_weights(prefix + "self_attn", layer.self_attn, get)
    w.update(norm(prefix + "self_attn_layer_norm", layer.norm1, get))
    w.update(linear(prefix + "fc1", layer.linear1, get))
    w.update(linear(prefix + "fc2", layer.linear2, get))
    w.update(norm(prefix + "final_layer_norm", layer.norm2, get))
    return w


def decoder_names(layer, get, prefix=""):
    w = attention_weights(prefix + "self_attn", layer.self_attn, get)
    w.update(norm(prefix + "self_attn_layer_norm", layer.norm1, get))
    w.update(attention_weights(prefix + "encoder_attn", layer.multihead_attn, get))
    w.update(norm(prefix + "encoder_attn_layer_norm", layer.norm2, get))
    w.update(linear(prefix + "fc1", layer.linear1, get))
    w.update(linear(prefix + "fc2", layer.linear2, get))
    w.update(norm(prefix + "final_layer_norm", layer.norm3, get))
    return w


VALUE = lambda p: p  # noqa: E731
GRAD = lambda p: p.grad  # noqa: E731


def encoder_layer(norm_first):
    layer = torch.nn.TransformerEncoderLayer(C, NH, H, dropout=0.0, activation="gelu", batch_first=True,
                                             norm_first=norm_first)
    randomize(layer)
    return layer.train()  # training mode (dropout 0): PyTorch's fast path never replaces padding rows with zeros


def decoder_layer():
    layer = torch.nn.TransformerDecoderLayer(C, NH, H, dropout=0.0, activation="gelu", batch_first=True,
                                             norm_first=True)
    randomize(layer)
    return layer.train()


def store(out, prefix, names, extra):
    """names(get) -> {tinylm name: tensor}; called after backward."""
    for name, t in names(VALUE).items():
        out[f"{prefix}.w.{name}"] = t.detach().clone()
    for name, t in names(GRAD).items():
        out[f"{prefix}.grad.{name}"] = t.detach().clone()
    out.update({f"{prefix}.{k}": v.detach().clone() for k, v in extra.items()})


out = {}
pad = torch.zeros(B, S, dtype=torch.bool)
pad[1, -2:] = True
causal = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)

for prefix, norm_first in [("enc", True), ("enc_post", False)]:
    layer = encoder_layer(norm_first)
    x = torch.randn(B, S, C, requires_grad=True)
    y = layer(x, src_key_padding_mask=pad)
    up = torch.randn_like(y)
    (y * up).sum().backward()
    store(out, prefix, lambda get: encoder_names(layer, get), {"x": x, "out": y, "up": up, "grad.x": x.grad, "pad": pad.long()})

layer = decoder_layer()
yin = torch.randn(B, T, C, requires_grad=True)
memory = torch.randn(B, S, C, requires_grad=True)
y = layer(yin, memory, tgt_mask=causal, memory_key_padding_mask=pad)
up = torch.randn_like(y)
(y * up).sum().backward()
store(out, "dec", lambda get: decoder_names(layer, get), {"x": yin, "memory": memory, "out": y, "up": up, "grad.x": yin.grad,
                            "grad.memory": memory.grad, "pad": pad.long()})

# The whole encoder-decoder.
MAXS, MAXT = 7, 6
shared = torch.nn.Embedding(V, C)
src_pos = torch.nn.Embedding(MAXS, C)
tgt_pos = torch.nn.Embedding(MAXT, C)
enc = [encoder_layer(True) for _ in range(2)]
dec = [decoder_layer() for _ in range(2)]
enc_norm, dec_norm = torch.nn.LayerNorm(C), torch.nn.LayerNorm(C)
for m in [shared, src_pos, tgt_pos, enc_norm, dec_norm]:
    randomize(m)


def s2s_names(get):
    w = {"shared.weight": get(shared.weight), "encoder.embed_positions.weight": get(src_pos.weight),
         "decoder.embed_positions.weight": get(tgt_pos.weight)}
    for i, l in enumerate(enc):
        w.update(encoder_names(l, get, f"encoder.layers.{i}."))
    w.update(norm("encoder.layer_norm", enc_norm, get))
    for i, l in enumerate(dec):
        w.update(decoder_names(l, get, f"decoder.layers.{i}."))
    w.update(norm("decoder.layer_norm", dec_norm, get))
    return w


PAD = 0
src = torch.tensor([[3, 4, 5, 6, 7], [8, 9, 10, PAD, PAD]])
tgt_in = torch.tensor([[1, 5, 6, 7], [1, 9, 2, PAD]])
targets = torch.tensor([[5, 6, 7, 2], [9, 2, -100, -100]])
x = shared(src) + src_pos(torch.arange(S))
src_pad = src == PAD
for l in enc:
    x = l(x, src_key_padding_mask=src_pad)
mem = enc_norm(x)
h = shared(tgt_in) + tgt_pos(torch.arange(T))
for l in dec:
    h = l(h, mem, tgt_mask=causal, memory_key_padding_mask=src_pad)
logits = dec_norm(h) @ shared.weight.t()
loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=-100, label_smoothing=0.1)
loss.backward()
store(out, "s2s", s2s_names, {"src": src, "tgt_in": tgt_in, "targets": targets, "logits": logits, "loss": loss})

save(pathlib.Path(__file__).with_name("seq2seq.safetensors"), out)
print(f"wrote {len(out)} tensors")
