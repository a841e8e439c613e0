#!/usr/bin/env python3
"""The cost model of docs/distributed.md: the time data-parallel training
spends in all-reduce, and how much of it backward hides, for a GPT shape on
N nodes joined by links of a given bandwidth and latency.

  python3 benchmarks/distributed_model.py --backward-ms 20000 --compute-ms 30000 \
      --gbps 1 10 25 100 --nodes 2 8 64 --alpha-us 30

The gradients are cut into buckets as dist::DataParallel cuts them (the
parameters in reverse order, a first bucket of --first-bucket-mb, then
--bucket-mb). A ring all-reduce of s bytes on N nodes takes
    c(s) = 2 (N - 1) / N * s / beta + 2 (N - 1) * alpha
(each node sends and receives 2 (N - 1) / N of the data, in 2 (N - 1)
messages); a binomial one (a reduce to one node, then a broadcast, along a
tree, what Open MPI's non-blocking MPI_Iallreduce does for in-place
buffers and for fewer than 4 ranks) takes
    c(s) = 2 ceil(log2 N) * (s / beta + alpha). During backward the buckets become ready in order: backward
first runs the output head (a fraction of its time equal to the head's
share of backward's multiply-adds), then the blocks, last to first, at a
pace proportional to their parameters; the tied token embedding's gradient
is complete only when backward ends (its input use comes last), so its
bucket is ready then. The all-reduces run one after another on the link:
bucket k ends at f_k = max(r_k, f_(k-1)) + c(s_k). What backward does not
hide is max(0, f_last - T_backward); without overlap, all of sum c(s_k).
"""
import argparse


def gpt_params(vocab, block, layers, embd):
    """(name, count) in tinylm's GPT order."""
    p = [("wte", vocab * embd), ("wpe", block * embd)]
    for i in range(layers):
        p += [("h%d.ln_1.w" % i, embd), ("h%d.ln_1.b" % i, embd),
              ("h%d.attn.c_attn.w" % i, embd * 3 * embd), ("h%d.attn.c_attn.b" % i, 3 * embd),
              ("h%d.attn.c_proj.w" % i, embd * embd), ("h%d.attn.c_proj.b" % i, embd),
              ("h%d.ln_2.w" % i, embd), ("h%d.ln_2.b" % i, embd),
              ("h%d.mlp.c_fc.w" % i, embd * 4 * embd), ("h%d.mlp.c_fc.b" % i, 4 * embd),
              ("h%d.mlp.c_proj.w" % i, 4 * embd * embd), ("h%d.mlp.c_proj.b" % i, embd)]
    return p + [("ln_f.w", embd), ("ln_f.b", embd)]


def buckets(params, first_mb, bucket_mb):
    """The buckets as DataParallel cuts them: lists of (name, count), in launch order."""
    out = []
    for name, n in reversed(params):
        cap = (first_mb if len(out) == 1 else bucket_mb) * 1048576 / 4  # floats, of the bucket being filled
        if not out or (sum(c for _, c in out[-1]) > 0 and sum(c for _, c in out[-1]) + n > cap):
            out.append([])
        out[-1].append((name, n))
    return out


def simulate(bk, nodes, gbps, alpha_s, backward_s, head_fraction, algorithm):
    """(all-reduce seconds after backward, seconds of it backward does not hide)."""
    beta = gbps * 1e9 / 8
    if algorithm == "ring":
        cost = lambda s: 2 * (nodes - 1) / nodes * s / beta + 2 * (nodes - 1) * alpha_s
    else:
        depth = max(1, (nodes - 1).bit_length())
        cost = lambda s: 2 * depth * (s / beta + alpha_s)
    # When each gradient is complete: the blocks' in reverse order at a pace proportional to their size,
    # after the head; the tied embedding's at the end.
    blocks = sum(n for b in bk for name, n in b if name != "wte")
    ready, done = {}, 0
    for b in bk:
        for name, n in b:
            if name == "wte":
                ready[name] = backward_s
            else:
                done += n
                ready[name] = backward_s * (head_fraction + (1 - head_fraction) * done / blocks)
    finish, whole = 0.0, 0.0
    for b in bk:
        size = 4 * sum(n for _, n in b)
        finish = max(max(ready[name] for name, _ in b), finish) + cost(size)
        whole += cost(size)
    return whole, max(0.0, finish - backward_s)


def main():
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--vocab", type=int, default=50257)
    a.add_argument("--block", type=int, default=1024)
    a.add_argument("--layers", type=int, default=12)
    a.add_argument("--embd", type=int, default=768)
    a.add_argument("--first-bucket-mb", type=float, default=1.0)
    a.add_argument("--bucket-mb", type=float, default=25.0)
    a.add_argument("--alpha-us", type=float, default=30.0, help="latency per message")
    a.add_argument("--gbps", type=float, nargs="+", default=[25, 100])
    a.add_argument("--nodes", type=int, nargs="+", default=[2, 8, 64])
    a.add_argument("--backward-ms", type=float, required=True, help="one node's backward per step")
    a.add_argument("--compute-ms", type=float, required=True, help="one node's whole step without communication")
    a.add_argument("--algorithm", choices=["ring", "binomial"], nargs="+", default=["ring", "binomial"])
    o = a.parse_args()
    params = gpt_params(o.vocab, o.block, o.layers, o.embd)
    bk = buckets(params, o.first_bucket_mb, o.bucket_mb)
    head = o.vocab / (o.vocab + 12 * o.layers * o.embd)  # the head's share of backward's multiply-adds
    total = 4 * sum(n for _, n in params)
    last = 4 * sum(n for _, n in bk[-1])
    print("%.1fM parameters, %.1f MB of gradients in %d buckets (the last, with the embedding: %.1f MB); "
          "head share of backward %.2f" % (total / 4e6, total / 1e6, len(bk), last / 1e6, head))
    print("| all-reduce | nodes | Gbit/s | all-reduce ms (after backward) | exposed ms (overlapped) | step ms | efficiency |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for alg in o.algorithm:
        for n in o.nodes:
            for g in o.gbps:
                whole, exposed = simulate(bk, n, g, o.alpha_us * 1e-6, o.backward_ms / 1e3, head, alg)
                step = o.compute_ms + exposed * 1e3
                print("| %s | %d | %g | %.0f | %.0f | %.0f | %.1f%% |" % (alg, n, g, whole * 1e3, exposed * 1e3, step,
                                                                        100 * o.compute_ms / step))


if __name__ == "__main__":
    main()
