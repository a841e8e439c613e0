#!/usr/bin/env python3
"""Writes tests/golden/bleu_cases.json: sacreBLEU's corpus BLEU, chrF and
13a tokenization of small corpora, for tests/lm/test_bleu.cpp.

Cases: sacreBLEU's README example (two reference streams), corpora drawn
from tricky pieces (digits with periods, commas and dashes, HTML entities,
<skipped>, non-ASCII letters and spaces, symbols, tabs and newlines), a
corpus with no match, an empty hypothesis, and BLEU's other smoothing
methods and effective order.

Needs sacrebleu from PyPI, e.g.:
  python3 -m venv /tmp/sb && /tmp/sb/bin/pip install sacrebleu==2.4.3
  /tmp/sb/bin/python tests/golden/make_bleu_golden.py
"""
import json
import pathlib
import random

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

PIECES = ["the", "cat", "sat", "on", "mat", "Dog", "dog", "a", "man", "bit", "3.14", "1,000", "5-3", "10-", "-4",
          "x.y", "end.", "a,b", ",", ".", "-", "'s", "(", ")", "$5", "&amp;", "&lt;b&gt;", "&quot;", "<skipped>",
          "é", "café", "naïve", "中文", "—", "\u00a0", "\u3000", "\t", "\n", "e-\nmail", "!", "?", ";", ":", "@",
          "/", "%", "#", "{x}", "[y]", "~", "`", "^", "_", "\u2028", "Ünïcödé", "9.", ".9", "2,", ",2"]


def sentence(rng, n):
    out = ""
    for _ in range(n):
        out += rng.choice(PIECES) + rng.choice([" ", " ", " ", "", "  "])
    return out


def case(name, hyps, refs, bleu=None):
    bleu = bleu or BLEU()
    b = bleu.corpus_score(hyps, refs)
    c = CHRF().corpus_score(hyps, refs)
    tok = Tokenizer13a()
    return {"name": name, "hyps": hyps, "refs": refs, "bleu": b.score, "counts": b.counts, "totals": b.totals,
            "sys_len": b.sys_len, "ref_len": b.ref_len, "chrf": c.score, "tokenized": [tok(h) for h in hyps],
            "smooth": bleu.smooth_method, "effective_order": bleu.effective_order}


cases = []
# sacreBLEU's README example.
refs = [["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
        ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."]]
hyps = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]
cases.append(case("readme", hyps, refs))

rng = random.Random(7)
for k in range(12):
    n = rng.randint(1, 6)
    streams = rng.randint(1, 3)
    base = [sentence(rng, rng.randint(1, 12)) for _ in range(n)]
    refs = [[sentence(rng, rng.randint(0, 12)) if rng.random() < 0.3 else b + sentence(rng, rng.randint(0, 3))
             for b in base] for _ in range(streams)]
    hyps = [b if rng.random() < 0.3 else sentence(rng, rng.randint(0, 10)) + b[: rng.randint(0, len(b))]
            for b in base]
    cases.append(case(f"random{k}", hyps, refs))

cases.append(case("no_match", ["aaa bbb"], [["ccc ddd eee"]]))
cases.append(case("empty_hyp", ["", "the cat sat"], [["a b", "the cat sat on"]]))
for smooth in ["none", "floor", "add-k"]:
    cases.append(case(f"smooth_{smooth}", ["the cat sat on the mat", "a dog"], [["the cat sat on a mat", "the dog"]],
                      BLEU(smooth_method=smooth)))
cases.append(case("effective_order", ["the cat"], [["the cat sat"]], BLEU(effective_order=True)))

path = pathlib.Path(__file__).with_name("bleu_cases.json")
path.write_text(json.dumps({"sacrebleu": sacrebleu.__version__, "cases": cases}, ensure_ascii=False, indent=1))
print(f"wrote {len(cases)} cases; README example BLEU {cases[0]['bleu']:.6f}, chrF {cases[0]['chrf']:.6f}")
