"""The eager engine on graphs that change every step: a tiny character-level GPT.

One layer, four heads, 16 dimensions, trained one word at a time from a small
built-in list: every step builds a graph of a different shape (attention over as
many positions as the word has letters), so nothing can be recorded and replayed.
Compared with ``tuple_engine.py``, the minimal design of the single-file GPT
trainers, with the time split into building the forward graph and the backward sweep,
and with the two stand-ins of ``lean_engine.py`` (this design's ceiling, and a tape).
Each run is a fresh process, so no engine pays for the heap another one left behind.
Run ``python benchmarks/bench_gpt.py [--rounds N] [--smoke]``.
"""

from __future__ import annotations

import gc
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import lean_engine
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


class _GcClock:
    """CPU time spent in the garbage collector, read around each phase of a step."""

    def __init__(self) -> None:
        self.total, self._start = 0.0, 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.process_time()
        else:
            self.total += time.process_time() - self._start


def engine_run(V, words: list[str], lr: float = 0.01):
    """Train one word per step; returns (losses, first step's grads, times), times being
    CPU seconds of {forward, backward, forward's garbage collection}."""
    P = {k: [[V(x) for x in row] for row in m] for k, m in init_params(0).items()}
    params = [p for m in P.values() for row in m for p in row]
    losses, first, times = [], None, {"forward": 0.0, "backward": 0.0, "gc": 0.0}
    gc.collect()
    clock = _GcClock()
    gc.callbacks.append(clock)
    try:
        for word in words:
            for p in params:
                p.grad = 0.0
            t0, gc0 = time.process_time(), clock.total
            loss = word_loss(P, word)
            t1, gc1 = time.process_time(), clock.total
            loss.backward()
            t2 = time.process_time()
            times["forward"] += t1 - t0
            times["backward"] += t2 - t1
            times["gc"] += gc1 - gc0
            losses.append(loss.data)
            if first is None:
                first = [p.grad for p in params]
            for p in params:
                p.data -= lr * p.grad
            del loss
    finally:
        gc.callbacks.remove(clock)
    return losses, first, times


def _line(name: str, runs: list[dict], steps: int) -> str:
    t = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    total = t["forward"] + t["backward"]
    return (
        f"  {name:<36}{1e3 * total / steps:6.1f} ms/step: forward {1e3 * t['forward'] / steps:.1f} "
        f"(of which garbage collection {1e3 * t['gc'] / steps:.1f}), backward {1e3 * t['backward'] / steps:.1f}"
    )


ENGINES = {"ref": tuple_engine.Value, "ours": ml.Value, "lean": lean_engine.Value, "tape": lean_engine.TapeValue}
ROWS = {
    "ref": "reference (tuples, recursive sort):",
    "ours": "micrograd_like eager:",
    "lean": "lean_engine.py, same design:",
    "tape": "lean_engine.py with a tape:",
}


def fresh_run(name: str, words: int) -> tuple:
    """engine_run in a new interpreter: every engine starts from the same heap, so the
    garbage collector's work does not depend on which engine ran before it."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name, str(words)]
    out = json.loads(subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True).stdout)  # stderr shown
    return out["losses"], out["first"], out["times"]


def _disagreement(ref: tuple, got: tuple) -> float:
    """The worst relative difference between two runs' losses and first-step gradients."""
    pairs = list(zip(ref[0], got[0])) + list(zip(ref[1], got[1]))
    return max(abs(a - b) / max(abs(a), 1e-12) for a, b in pairs)


def report(smoke: bool, rounds: int = 5) -> list[str]:
    """Each engine ``rounds`` times, in rotating order, each run in its own process (CPU
    time, median), so all see the same machine load and the same starting heap."""
    words = WORDS[:2] if smoke else WORDS[:24]
    names = list(ENGINES)
    runs: dict[str, list] = {name: [] for name in names}
    for r in range(1 if smoke else rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            runs[name].append(fresh_run(name, len(words)))
    ref, ours = runs["ref"][0], runs["ours"][0]
    for name in names[1:]:
        if _disagreement(ref, runs[name][0]) > 1e-9:
            raise SystemExit(f"char-GPT: the {name} engine disagrees with the reference")
    identical = sum(a == b for a, b in zip(ref[1], ours[1]))
    t = {n: {k: statistics.median(r[2][k] for r in runs[n]) for k in ref[2]} for n in names}
    total = {n: t[n]["forward"] + t[n]["backward"] for n in names}
    lines = [
        f"char-level GPT (1 layer, {HEADS} heads, {DIM} dims), {len(words)} words, one graph per word; "
        f"CPU time, median of {len(runs['ours'])} runs per engine, each in a fresh process ({ml.__file__}):"
    ]
    lines += [
        _line(ROWS[n], [r[2] for r in runs[n]], len(words)) + f"  ({total['ref'] / total[n]:.2f}x)" for n in names
    ]
    lines.append(
        f"  micrograd_like over the reference: {total['ref'] / total['ours']:.2f}x (forward "
        f"{t['ref']['forward'] / t['ours']['forward']:.2f}x, backward {t['ref']['backward'] / t['ours']['backward']:.2f}x); "
        f"first-step gradients {identical}/{len(ours[1])} bit-identical, worst relative difference "
        f"{_disagreement(ref, ours):.1e} (log, ** and / use equivalent but differently rounded formulas)"
    )
    return lines


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))  # the reference sorts by recursion
        losses, first, times = engine_run(ENGINES[sys.argv[2]], WORDS[: int(sys.argv[3])])
        print(json.dumps({"losses": losses, "first": first, "times": times}))
    else:
        rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 5
        print("\n".join(report("--smoke" in sys.argv, rounds)))
