#!/usr/bin/env python3
"""Writes the hand-made attack inputs of issue 16 under regressions/<target>/.

Each is a file a stranger could hand a user; tinylm must answer each with a
tinylm::Error (test_regressions.cpp replays them all under the sanitizers and
checks the message of the ones named there). Findings of the fuzzers go into
the same folders, under the name libFuzzer gave them. Run from anywhere:

    python3 tests/fuzz/make_regressions.py
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "regressions", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


def safetensors(header, data=b""):
    h = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(h)) + h + data


def tensor(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


# numel x itemsize wraps around 64 bits to 0: [2^62] F32 is 2^64 bytes.
write("safetensors", "bytes_wrap_to_zero", safetensors({"w": tensor("F32", [2**62], 0, 0)}))
# ... to 16 bytes, matching the data section: [2^62 + 1] F32 is 2^64 + 4 bytes -> 4; [2^60 + 1, 1] F64 -> 8.
write("safetensors", "bytes_wrap_to_data", safetensors({"w": tensor("F64", [2**61 + 1], 0, 8)}, b"\0" * 8))
# The element count overflows int64_t: 2^32 x 2^32.
write("safetensors", "numel_overflow", safetensors({"w": tensor("U8", [2**32, 2**32], 0, 0)}))
# A huge declared size: offsets far past the file.
write("safetensors", "offsets_past_end", safetensors({"w": tensor("U8", [2**61], 0, 2**61)}))
# A header length that runs past the file, and one of 2^64 - 1.
write("safetensors", "header_length_huge", struct.pack("<Q", 2**64 - 1) + b"{}")
# Nine dimensions (tinylm holds eight).
write("safetensors", "nine_dims", safetensors({"w": tensor("U8", [1] * 9, 0, 1)}, b"\0"))
# A model config that claims 100 million blocks in a 1 KB file.
config = {"vocab_size": 5, "block_size": 4, "n_layer": 100000000, "n_head": 1, "n_embd": 4, "dropout": 0.0}
write("safetensors", "config_huge_model",
      safetensors({"__metadata__": {"tinylm.config": json.dumps(config)}, "w": tensor("F32", [256], 0, 1024)},
                  b"\0" * 1024))
# A config whose parameter count overflows int64_t.
config = dict(config, n_layer=2**40, n_embd=2**20, n_head=1)
write("safetensors", "config_count_overflow",
      safetensors({"__metadata__": {"tinylm.config": json.dumps(config)}}))
# Training-state metadata: a malformed step, an all-zero generator state.
write("safetensors", "state_bad_step",
      safetensors({"__metadata__": {"tinylm.step": "12abc", "tinylm.optimizer_steps": "x"}}))
write("safetensors", "state_rng_zero",
      safetensors({"__metadata__": {"tinylm.step": "1", "tinylm.optimizer_steps": "1",
                                    "tinylm.rng.data": "0 0 0 0 0 0x0p+0"}}))

# JSON the strict parser must refuse.
for name, text in [("leading_zero", "01"), ("bare_fraction", ".5"), ("trailing_point", "1."), ("plus", "+1"),
                   ("lone_low_surrogate", '"\\udc00"'), ("lone_high_surrogate", '"\\ud800x"'),
                   ("duplicate_key", '{"a":1,"a":2}'), ("nan", "NaN"), ("huge_exponent", "1e999")]:
    write("json", name, text)
write("json", "invalid_utf8", b'"\xff\xfe"')
write("json", "overlong_utf8", b'"\xc0\xaf"')
write("json", "deep_nesting", "[" * 100000)

# Tokenizer files whose ids would size a table of 2^31 entries.
write("tokenizer", "tokenizer_json_huge_id",
      b"\0" + json.dumps({"model": {"type": "BPE", "vocab": {"a": 2**31 - 1}, "merges": []},
                          "pre_tokenizer": {"type": "ByteLevel"}}).encode())
write("tokenizer", "tiktoken_huge_rank", b"\1" + b"YQ== 2147483647\n")
write("tokenizer", "encoder_json_huge_id", b"\2" + json.dumps({"a": 2**31 - 1}).encode() + b"\0#version: 0.2\n")

# ARPA log-probabilities that are not numbers.
write("arpa", "nan_logprob", "\\data\\\nngram 1=2\n\n\\1-grams:\nnan a\n-0.3 b\n\n\\end\\\n")
write("arpa", "inf_backoff", "\\data\\\nngram 1=2\n\n\\1-grams:\n-0.3 a inf\n-0.3 b\n\n\\end\\\n")

# Command lines: integers that wrap, a CUDA index past int.
write("flags", "int_overflow", b"--int\x0099999999999999999999")
write("flags", "cuda_index_overflow", b"--text\x00cuda:99999999999")
write("flags", "nan_number", b"--num=nan")

# A shard whose header claims 2^31 - 1 tokens.
write("shard", "count_past_end", struct.pack("<3i", 20240520, 1, 2**31 - 1) + b"\0" * (1024 - 12))

# Request bodies of serve's API that must be refused with a 4xx naming the field.
write("http_body", "deep_nesting", '{"messages":' + "[" * 100000)
write("http_body", "lone_surrogate_content", '{"messages":[{"role":"user","content":"\\ud800"}]}')
write("http_body", "too_many_messages", json.dumps({"messages": [{"role": "user", "content": "a"}] * 9}))
write("http_body", "max_tokens_huge", '{"prompt":"a","max_tokens":1e300}')
write("http_body", "max_tokens_past_int64", '{"prompt":"a","max_tokens":9223372036854775808}')
write("http_body", "temperature_overflow", '{"prompt":"a","temperature":1e999}')
write("http_body", "stop_five", json.dumps({"prompt": "a", "stop": ["a", "b", "c", "d", "e"]}))
write("http_body", "prompt_two_strings", json.dumps({"prompt": ["a", "b"]}))
write("http_body", "role_number", json.dumps({"messages": [{"role": 1, "content": "a"}]}))
write("http_body", "content_image_part", json.dumps(
    {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}))
write("http_body", "special_token_in_content", json.dumps({"messages": [{"role": "user", "content": "<|end|>abc"}]}))
