"""Compiled replay (``micrograd_like.compile``) next to the eager engine and micrograd.

Run on its own (``python benchmarks/bench_compile.py [--smoke]``) or through
``bench_engine.py``, which prints these rows after its own table. Timings are means
over consecutive steps with the gc on; read the ratios, the machine is shared.
Every compiled step is checked to give the eager step's loss and gradients bit for bit.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
import tracemalloc

import micrograd.engine as mg
import micrograd.nn as mg_nn

import micrograd_like as ml
from micrograd_like import symmetry
from micrograd_like.datasets import make_moons
from micrograd_like.engine import iter_graph
from micrograd_like.nn import MLP


def moons_setup(points: int = 100):
    X, y = make_moons(points, noise=0.1, seed=0)
    X = [[float(a), float(b)] for a, b in X]
    y = [float(v) for v in y]
    random.seed(1337)  # micrograd draws its weights from the global generator
    theirs = mg_nn.MLP(2, [16, 16, 1])
    ours = MLP(2, [16, 16, 1])
    for p, q in zip(ours.parameters(), theirs.parameters()):
        p.data = float(q.data)
    return X, y, ours, theirs


def moons_loss(model, V):
    """The demo's loss as a function of the batch: what a user would compile."""

    def loss_fn(X, y):
        scores = [model([V(a), V(b)]) for a, b in X]
        data = sum((1 + -yi * s).relu() for yi, s in zip(y, scores)) * (1.0 / len(y))
        return data + 1e-4 * sum(p * p for p in model.parameters())

    return loss_fn


def eager_step(loss_fn, params, args, lr):
    for p in params:
        p.grad = 0.0
    loss = loss_fn(*args)
    loss.backward()
    for p in params:
        p.data -= lr * p.grad
    return loss.data, [p.grad for p in params]


def compiled_step(cfn, params, args, lr):
    for p in params:
        p.grad = 0.0
    loss = cfn(*args)
    for p in params:
        p.data -= lr * p.grad
    return loss, [p.grad for p in params]


def run_steps(step, steps: int) -> tuple[list, float]:
    gc.collect()
    start = time.perf_counter()
    results = [step(k) for k in range(steps)]
    return results, time.perf_counter() - start


def memory_per_node(loss_fn, args) -> tuple[float, float, float, int]:
    """(eager graph bytes/node, kept recording bytes/node, recording peak bytes/node, nodes)."""
    gc.collect()
    tracemalloc.start()
    out = loss_fn(*args)
    eager_live, _ = tracemalloc.get_traced_memory()
    nodes = sum(1 for _ in iter_graph(out))
    tracemalloc.stop()
    del out
    gc.collect()
    tracemalloc.start()
    cfn = ml.compile(loss_fn)
    cfn(*args)
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del cfn
    return eager_live / nodes, kept / nodes, peak / nodes, nodes


def compare_workload(name: str, make_loss, args, params, steps: int, lr: float, t_mg: float | None) -> dict:
    """Eager vs compiled on the same workload, from the same starting weights."""
    start = [p.data for p in params]
    loss_fn = make_loss()
    eager, t_eager = run_steps(lambda k: eager_step(loss_fn, params, args, lr), steps)
    for p, d in zip(params, start):
        p.data = d
    cfn = ml.compile(loss_fn)
    t0 = time.perf_counter()
    first = [compiled_step(cfn, params, args, lr)]
    t_first = time.perf_counter() - t0
    rest, t_rest = run_steps(lambda k: compiled_step(cfn, params, args, lr), steps - 1)
    for k, (a, b) in enumerate(zip(eager, first + rest)):
        if a != b:
            raise SystemExit(f"{name}: compiled step {k} differs from eager (loss {a[0]!r} vs {b[0]!r})")
    mem = memory_per_node(loss_fn, args)
    t_e, t_c = t_eager / steps, t_rest / max(1, steps - 1)
    return {
        "name": name,
        "nodes": mem[3],
        "steps": steps,
        "t_mg": t_mg,
        "t_eager": t_e,
        "t_replay": t_c,
        "t_first": t_first,
        "end_to_end": t_eager / (t_first + t_rest),
        "mem": mem,
    }


def micrograd_moons_time(X, y, theirs, steps: int) -> float:
    loss_fn = moons_loss(theirs, mg.Value)
    params = theirs.parameters()

    def step(k):
        for p in params:
            p.grad = 0.0
        loss = loss_fn(X, y)
        loss.backward()
        for p in params:
            p.data -= 0.0 * p.grad  # keep its weights (it is only timed)

    return run_steps(step, steps)[1] / steps


def bench_moons(steps: int, mg_steps: int, points: int = 100) -> dict:
    X, y, ours, theirs = moons_setup(points)
    t_mg = micrograd_moons_time(X, y, theirs, mg_steps)
    return compare_workload(
        f"two-moons step ({points} points)",
        lambda: moons_loss(ours, ml.Value),
        (X, y),
        ours.parameters(),
        steps,
        0.05,
        t_mg,
    )


def bench_symmetry(steps: int) -> dict:
    model = symmetry.build_network()
    return compare_workload(
        "2-3-3-2 sigmoid network (SSE)",
        lambda: lambda: symmetry.cost(model),
        (),
        model.parameters(),
        steps,
        symmetry.LEARNING_RATE,
        None,
    )


def report(rows: list[dict]) -> list[str]:
    header = (
        f"{'compiled workload':<30} {'nodes':>7} {'mg ms':>7} {'eager ms':>9} {'replay ms':>10} "
        f"{'replay/eager':>12} {'1st step ms':>11} {'e2e':>6} {'steps':>5} {'B/node eager':>12} "
        f"{'B/node kept':>11} {'B/node peak':>11}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        mg_ms = f"{1e3 * r['t_mg']:.1f}" if r["t_mg"] else "-"
        e, kept, peak, _ = r["mem"]
        lines.append(
            f"{r['name']:<30} {r['nodes']:>7,} {mg_ms:>7} {1e3 * r['t_eager']:>9.2f} {1e3 * r['t_replay']:>10.3f} "
            f"{r['t_eager'] / r['t_replay']:>11.1f}x {1e3 * r['t_first']:>11.1f} {r['end_to_end']:>5.1f}x "
            f"{r['steps']:>5} {e:>12.0f} {kept:>11.0f} {peak:>11.0f}"
        )
    moons = rows[0]
    for n in (100, 1000):  # from the measured parts: recording once, then replays
        est = n * moons["t_eager"] / (moons["t_first"] + (n - 1) * moons["t_replay"])
        lines.append(f"two-moons, {n} steps end to end incl. recording (from the measured parts): {est:.1f}x eager")
    if moons["t_mg"]:
        lines.append(f"two-moons replay vs micrograd: {moons['t_mg'] / moons['t_replay']:.0f}x")
    lines.append("losses and gradients of every compiled step are bit-identical to eager (checked above)")
    return lines


def rows(smoke: bool) -> list[dict]:
    if smoke:
        return [bench_moons(3, 1, points=5), bench_symmetry(3)]
    return [bench_moons(100, 5), bench_symmetry(300)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few steps only (CI): checks, measures nothing")
    args = parser.parse_args(argv)
    print("\n".join(report(rows(args.smoke))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
