#!/usr/bin/env python3
"""Hugging Face tokenizers' BPE trainer on a text, for bpe_train_compare.sh,
with the settings `tokenizer train` uses: GPT-2's byte-level pre-tokenizer
(no prefix space), the 256 bytes as the initial alphabet, <|endoftext|> as a
special token, the given vocabulary size and minimum frequency. Prints
"tokenizers threads N seconds S vocab V" and writes the tokenizer.json.

  bpe_train_reference.py TEXT VOCAB_SIZE MIN_FREQUENCY THREADS OUT.json
"""
import os
import sys
import time

path, vocab_size, min_frequency, threads, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
os.environ["RAYON_NUM_THREADS"] = threads  # read when the thread pool is first used
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

t0 = time.perf_counter()
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tok.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, show_progress=False,
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                              special_tokens=["<|endoftext|>"])
tok.train([path], trainer)
seconds = time.perf_counter() - t0
tok.save(out)
print(f"tokenizers threads {threads} seconds {seconds:.2f} vocab {tok.get_vocab_size()}")
