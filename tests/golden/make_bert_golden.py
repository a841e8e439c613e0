#!/usr/bin/env python3
"""Writes tests/golden/bert.safetensors: Hugging Face transformers'
BertForPreTraining (post-LN, exact GELU, LayerNorm eps 1e-12) on a small
batch with padding, for tests/nn/test_bert.cpp.

Stores every weight under its own name (tinylm's BertLM uses the same
names), Linear weights transposed to tinylm's [in, out]; the inputs (ids,
token types, MLM labels with -100 off the chosen positions, sentence
labels); the MLM and sentence logits; the total loss; and the gradient of
the loss for every weight. float64, dropout off.

  python3 -m venv --system-site-packages /tmp/hf && /tmp/hf/bin/pip install transformers==4.36.2
  /tmp/hf/bin/python tests/golden/make_bert_golden.py
"""
import pathlib

import torch
from golden_io import save
from transformers import BertConfig, BertForPreTraining

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

config = BertConfig(vocab_size=23, hidden_size=8, num_hidden_layers=2, num_attention_heads=2, intermediate_size=12,
                    max_position_embeddings=10, type_vocab_size=2, hidden_act="gelu", hidden_dropout_prob=0.0,
                    attention_probs_dropout_prob=0.0, layer_norm_eps=1e-12, pad_token_id=0)
model = BertForPreTraining(config).double().train()  # training mode with dropout 0: plain math
with torch.no_grad():
    for name, p in model.named_parameters():
        p.uniform_(-0.5, 0.5)

PAD, CLS, SEP, MASK = 0, 1, 2, 3
ids = torch.tensor([[CLS, 5, MASK, 7, SEP, 9, 10, SEP], [CLS, 11, 12, MASK, SEP, PAD, PAD, PAD]])
types = torch.tensor([[0, 0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0]])
attention_mask = (ids != PAD).long()
labels = torch.full_like(ids, -100)
labels[0, 2], labels[0, 6], labels[1, 3], labels[1, 1] = 6, 10, 13, 11
sentence = torch.tensor([0, 1])
out = model(input_ids=ids, token_type_ids=types, attention_mask=attention_mask, labels=labels,
            next_sentence_label=sentence)
out.loss.backward()

tensors = {"ids": ids, "types": types, "labels": labels, "sentence_labels": sentence,
           "mlm_logits": out.prediction_logits.detach(), "sentence_logits": out.seq_relationship_logits.detach(),
           "loss": out.loss.detach()}
for name, p in model.named_parameters():
    if name == "cls.predictions.decoder.weight" or name == "cls.predictions.decoder.bias":
        continue  # the decoder is tied to the word embeddings; its bias is cls.predictions.bias
    linear = name.endswith(".weight") and p.dim() == 2 and "embeddings" not in name
    tensors["w." + name] = (p.t() if linear else p).detach().clone()
    tensors["grad." + name] = (p.grad.t() if linear else p.grad).detach().clone()
save(pathlib.Path(__file__).with_name("bert.safetensors"), tensors)
print(f"wrote {len(tensors)} tensors, loss {out.loss.item():.6f}")
