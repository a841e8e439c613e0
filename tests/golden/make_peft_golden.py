#!/usr/bin/env python3
"""Golden files for tinylm's peft LoRA interop (tests/nn/test_lora.cpp).

Puts LoRA adapters (r 4, alpha 8, on c_attn and mlp.c_fc) on the tiny GPT-2
of tests/data/hf_gpt2/ with Hugging Face peft, gives A and B random values
(peft starts B at zero, which would test nothing), and writes
tests/data/hf_gpt2_lora/: the adapter as peft saves it
(adapter_config.json + adapter_model.safetensors) and expected.safetensors
(idx, and the adapted model's fp32 logits for it).

  python3 -m venv --system-site-packages /tmp/hf && /tmp/hf/bin/pip install transformers==4.36.2 safetensors peft==0.7.1
  /tmp/hf/bin/python tests/golden/make_peft_golden.py
"""
import json
import pathlib

import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file
from transformers import GPT2LMHeadModel

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "tests" / "data" / "hf_gpt2_lora"
base = GPT2LMHeadModel.from_pretrained(root / "tests" / "data" / "hf_gpt2").eval()
config = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["c_attn", "mlp.c_fc"],
                    fan_in_fan_out=True, task_type="CAUSAL_LM")
model = get_peft_model(base, config).eval()
torch.manual_seed(1)
with torch.no_grad():
    for name, p in model.named_parameters():
        if "lora_" in name:
            p.copy_(torch.randn_like(p) * 0.2)
model.save_pretrained(out, safe_serialization=True)
(out / "README.md").unlink()  # peft's model card template
adapter_config = json.loads((out / "adapter_config.json").read_text())
adapter_config["base_model_name_or_path"] = "tests/data/hf_gpt2"  # not this machine's path
(out / "adapter_config.json").write_text(json.dumps(adapter_config, indent=2, sort_keys=True) + "\n")
idx = torch.randint(0, 64, (2, 12))
with torch.no_grad():
    logits = model(idx).logits
save_file({"idx": idx.to(torch.int64), "logits": logits.contiguous()}, out / "expected.safetensors")
