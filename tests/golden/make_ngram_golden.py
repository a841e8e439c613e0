#!/usr/bin/env python3
"""Writes tests/golden/ngram_golden.txt: n-gram probabilities computed by a
plain-dictionary implementation of add-k, interpolated Kneser-Ney and
modified Kneser-Ney, independent of tinylm's C++ (which packs n-grams into
sorted integer keys). tests/lm/test_ngram.cpp compares every line.

The conventions (see include/tinylm/lm/ngram.hpp):
- n-grams are counted inside each sequence;
- Kneser-Ney: the top order uses raw counts; a lower-order n-gram's count is
  the number of distinct tokens seen before it, a sequence start counting as
  one, except n-grams that begin with <s>, which keep their raw counts;
- discounts per order from counts of counts: Y = n1/(n1+2 n2), D1 = 1-2Y n2/n1,
  D2 = 2-3Y n3/n2, D3 = 3-4Y n4/n3; if a count of counts is 0 or a D_k falls
  outside (0, k), the order uses 0.5, 1, 1.5 (KenLM's fallback); plain KN
  uses D = Y for all counts (0.5 if Y is not in (0, 1));
- p(w|h) = max(a(hw)-D,0)/T(h) + gamma(h) p(w|h'), unseen contexts back off
  fully, the recursion ends in the uniform distribution over predictable
  tokens (all but <s>); add-k: (c(hw)+k)/(c(h)+kV) at the longest context.

Line format: smoothing order k context-ids... | word-id probability
Run: python3 tests/golden/make_ngram_golden.py
"""
import pathlib
from collections import defaultdict

corpora = {
    # char stream: one sequence of ids; vocabulary a b c d r (ids 0..4), no <s>
    "chars": {"seqs": [[0, 1, 4, 0, 2, 0, 3, 0, 1, 4, 0, 0, 1, 2]], "V": 5, "bos": None},
    # word sentences: 0 <unk>, 1 <s>, 2 </s>, 3 the, 4 cat, 5 sat, 6 dog, 7 ran
    "words": {"seqs": [[1, 3, 4, 5, 2], [1, 3, 6, 5, 2], [1, 3, 4, 7, 2], [1, 6, 7, 2], [1, 3, 4, 5, 5, 2]],
              "V": 8, "bos": 1},
}


def model(seqs, V, bos, order, smoothing, k):
    raw = [defaultdict(int) for _ in range(order + 1)]
    for s in seqs:
        for n in range(1, order + 1):
            for i in range(len(s) - n + 1):
                g = tuple(s[i:i + n])
                if n == 1 and g[0] == bos:
                    continue
                raw[n][g] += 1
    adj = [dict() for _ in range(order + 1)]
    adj[order] = dict(raw[order])
    for n in range(1, order):
        left = defaultdict(set)
        for g in raw[n + 1]:
            left[g[1:]].add(g[0])
        for s in seqs:
            if len(s) >= n:
                left[tuple(s[:n])].add("START")
        for g, c in raw[n].items():
            adj[n][g] = c if (bos is not None and g[0] == bos) else len(left[g])
    D = [None] * (order + 1)
    for n in range(1, order + 1):
        coc = [sum(1 for a in adj[n].values() if a == j) for j in range(5)]
        n1, n2, n3, n4 = coc[1], coc[2], coc[3], coc[4]
        if smoothing == "kn":
            Y = n1 / (n1 + 2 * n2) if n1 > 0 and n2 > 0 else 0.0
            d = Y if 0 < Y < 1 else 0.5
            D[n] = [0, d, d, d]
        else:
            ok = n1 > 0 and n2 > 0 and n3 > 0 and n4 > 0
            if ok:
                Y = n1 / (n1 + 2 * n2)
                d = [0, 1 - 2 * Y * n2 / n1, 2 - 3 * Y * n3 / n2, 3 - 4 * Y * n4 / n3]
                ok = 0 < d[1] < 1 and 0 < d[2] < 2 and 0 < d[3] < 3
            D[n] = d if ok else [0, 0.5, 1.0, 1.5]
    Vp = V - (1 if bos is not None else 0)

    def prob(ctx, w):
        if w == bos:
            return 0.0
        m = min(len(ctx), order - 1)
        h = tuple(ctx[len(ctx) - m:])
        if smoothing == "addk":
            n = m + 1
            T = sum(c for g, c in raw[n].items() if g[:-1] == h)
            return (raw[n].get(h + (w,), 0) + k) / (T + k * Vp)
        p = 1.0 / Vp
        for n in range(1, m + 2):
            hn = h[len(h) - (n - 1):] if n > 1 else ()
            conts = {g: a for g, a in adj[n].items() if g[:-1] == hn}
            T = sum(conts.values())
            if T == 0:
                continue
            a = conts.get(hn + (w,), 0)
            N = [0, sum(1 for x in conts.values() if x == 1), sum(1 for x in conts.values() if x == 2),
                 sum(1 for x in conts.values() if x >= 3)]
            gamma = (D[n][1] * N[1] + D[n][2] * N[2] + D[n][3] * N[3]) / T
            p = max(a - D[n][min(a, 3)], 0) / T + gamma * p
        return p

    return prob


lines = []
for cname, c in corpora.items():
    for smoothing, k in [("addk", 1.0), ("addk", 0.5), ("kn", 0.0), ("mkn", 0.0)]:
        for order in (1, 2, 3):
            prob = model(c["seqs"], c["V"], c["bos"], order, smoothing, k)
            contexts = {()}
            for s in c["seqs"] + [[1, 6, 4, 5, 2] if c["bos"] is not None else [4, 3, 2, 1, 0]]:
                for i in range(len(s) + 1):
                    for m in range(1, order):
                        if i - m >= 0:
                            contexts.add(tuple(s[i - m:i]))
            contexts.add((3, 3) if order > 1 else ())  # a context never seen
            for ctx in sorted(contexts):
                for w in range(c["V"]):
                    ids = " ".join(map(str, ctx))
                    lines.append(f"{cname} {smoothing} {order} {k} {ids} | {w} {prob(list(ctx), w):.17g}")

out = pathlib.Path(__file__).with_name("ngram_golden.txt")
out.write_text("\n".join(lines) + "\n")
print(len(lines), "lines")
