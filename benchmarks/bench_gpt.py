"""The eager engine on graphs that change every step: a tiny character-level GPT.

One layer, four heads, 16 dimensions, trained one word at a time from a small
built-in list: every step builds a graph of a different shape (attention over as
many positions as the word has letters), so nothing can be recorded and replayed.
Compared with ``tuple_engine.py``, the minimal design of the single-file GPT
trainers, with the time split into building the forward graph and the backward sweep.
"""

from __future__ import annotations

import gc
import random
import sys
import time

import tuple_engine

import micrograd_like as ml

WORDS = (
    "emma olivia ava isabella sophia mia amelia harper evelyn abigail emily ella "
    "liam noah oliver elijah james william benjamin lucas henry alexander mason "
    "ethan daniel jacob logan jackson levi sebastian mateo jack owen theodore"
).split()
CHARS = sorted(set("".join(WORDS)))
BOS = len(CHARS)
VOCAB, DIM, HEADS, BLOCK, HIDDEN = len(CHARS) + 1, 16, 4, 16, 64


def init_params(seed: int) -> dict[str, list[list[float]]]:
    rng = random.Random(seed)
    shapes = {
        "wte": (VOCAB, DIM),
        "wpe": (BLOCK, DIM),
        "wq": (DIM, DIM),
        "wk": (DIM, DIM),
        "wv": (DIM, DIM),
        "wo": (DIM, DIM),
        "fc1": (HIDDEN, DIM),
        "fc2": (DIM, HIDDEN),
        "lm": (VOCAB, DIM),
    }
    return {k: [[rng.gauss(0, 0.08) for _ in range(c)] for _ in range(r)] for k, (r, c) in shapes.items()}


def linear(x, W):
    return [sum(w * xi for w, xi in zip(row, x)) for row in W]


def rmsnorm(x):
    ms = sum(xi * xi for xi in x) * (1.0 / len(x))
    scale = (ms + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def softmax(logits):
    top = max(v.data for v in logits)  # a constant shift, for stability
    exps = [(v - top).exp() for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


def attention(x, P, keys, values):
    q, k, v = linear(x, P["wq"]), linear(x, P["wk"]), linear(x, P["wv"])
    keys.append(k)
    values.append(v)
    size = DIM // HEADS
    out = []
    for h in range(HEADS):
        s = slice(h * size, (h + 1) * size)
        scores = [sum(a * b for a, b in zip(q[s], kt[s])) * (1.0 / size**0.5) for kt in keys]
        weights = softmax(scores)
        out += [sum(w * vt[s][j] for w, vt in zip(weights, values)) for j in range(size)]
    return linear(out, P["wo"])


def word_loss(P, word: str):
    """Mean next-character cross-entropy over one word, BOS on both ends."""
    tokens = [BOS] + [CHARS.index(c) for c in word] + [BOS]
    keys, values, terms = [], [], []
    for pos in range(len(tokens) - 1):
        x = [t + p for t, p in zip(P["wte"][tokens[pos]], P["wpe"][pos])]
        x = [a + b for a, b in zip(attention(rmsnorm(x), P, keys, values), x)]
        hidden = [u.relu() for u in linear(rmsnorm(x), P["fc1"])]
        x = [a + b for a, b in zip(linear(hidden, P["fc2"]), x)]
        probs = softmax(linear(x, P["lm"]))
        terms.append(-probs[tokens[pos + 1]].log())
    return sum(terms) * (1.0 / len(terms))


def engine_run(V, words: list[str], lr: float = 0.01):
    """Train one word per step; returns (losses, first step's grads, forward s, backward s)."""
    P = {k: [[V(x) for x in row] for row in m] for k, m in init_params(0).items()}
    params = [p for m in P.values() for row in m for p in row]
    losses, first, t_fwd, t_bwd = [], None, 0.0, 0.0
    gc.collect()
    for word in words:
        for p in params:
            p.grad = 0.0
        t0 = time.perf_counter()
        loss = word_loss(P, word)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        t_fwd, t_bwd = t_fwd + t1 - t0, t_bwd + t2 - t1
        losses.append(loss.data)
        if first is None:
            first = [p.grad for p in params]
        for p in params:
            p.data -= lr * p.grad
        del loss
    return losses, first, t_fwd, t_bwd


def report(smoke: bool) -> list[str]:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))  # the reference sorts by recursion
    words = WORDS[:2] if smoke else WORDS[:24]
    ref = engine_run(tuple_engine.Value, words)
    ours = engine_run(ml.Value, words)
    worst = max(abs(a - b) / max(abs(a), 1e-12) for a, b in zip(ref[1], ours[1]))
    identical = sum(a == b for a, b in zip(ref[1], ours[1]))
    if worst > 1e-9 or any(abs(a - b) > 1e-9 * abs(a) for a, b in zip(ref[0], ours[0])):
        raise SystemExit(f"char-GPT: engines disagree (worst relative gradient difference {worst:.2e})")
    t_ref, t_ours = ref[2] + ref[3], ours[2] + ours[3]
    return [
        f"char-level GPT (1 layer, {HEADS} heads, {DIM} dims), {len(words)} words, one graph per word:",
        f"  reference (tuples, recursive sort): {1e3 * t_ref / len(words):.1f} ms/step "
        f"(forward {ref[2] / t_ref:.0%}, backward {ref[3] / t_ref:.0%})",
        f"  micrograd_like eager:               {1e3 * t_ours / len(words):.1f} ms/step "
        f"(forward {ours[2] / t_ours:.0%}, backward {ours[3] / t_ours:.0%})",
        f"  speed-up {t_ref / t_ours:.2f}x (forward {ref[2] / ours[2]:.2f}x, backward {ref[3] / ours[3]:.2f}x); "
        f"first-step gradients: {identical}/{len(ours[1])} bit-identical, worst relative "
        f"difference {worst:.1e} (log, ** and / use equivalent but differently rounded formulas)",
    ]


if __name__ == "__main__":
    print("\n".join(report("--smoke" in sys.argv)))
