"""Compare two source trees of micrograd_like on the same eager workloads, side by side.

Run (from the repository, with a second tree checked out, e.g. the base commit)::

    git worktree add /tmp/registry-base 04734e1
    python benchmarks/compare_engines.py --base /tmp/registry-base

Each round runs one subprocess per tree (``PYTHONPATH`` pointing at it), in
alternating order, so both see the same machine load; every subprocess times
each workload's forward (building the graph) and backward separately, in CPU
time (see ``CLOCK``), as the mean of a few consecutive steps with the garbage
collector on. The report is the
median over rounds, in ms, with the ratio new / base (below 1: the new tree is
faster), and the ratio of the fastest rounds, which shared-machine noise
disturbs least. ``--new`` set to the base tree too measures the noise itself. The machines are shared: read the ratios, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# CPU time of this process: on a shared machine, time spent descheduled while other
# processes run does not count, which makes the ratios far steadier than wall time.
CLOCK = time.process_time


# -- the workloads (run inside a worker, against whichever tree it imported) -----------


def pairwise_sum(terms: list):
    while len(terms) > 1:
        paired = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)]
        if len(terms) % 2:
            paired.append(terms[-1])
        terms = paired
    return terms[0]


def moons(ml, scale: int):
    """micrograd's two-moons training step: MLP(2, [16, 16, 1]), hinge loss + L2, 100 points."""
    from micrograd_like.datasets import make_moons
    from micrograd_like.nn import MLP

    X, y = make_moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], seed=1337)

    def forward():
        scores = [model([ml.Value(a), ml.Value(b)]) for a, b in X]
        losses = [(1 + -yi * s).relu() for yi, s in zip(y, scores)]
        total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        return total

    return forward


def wide(ml, scale: int):
    """A wide sum: 50,000 products summed as a balanced tree."""
    rng = random.Random(0)
    ws = [rng.uniform(-1, 1) for _ in range(50_000 * scale)]
    return lambda: pairwise_sum([ml.Value(w) * ml.Value(-w) for w in ws])


def deep(ml, scale: int):
    """A deep chain: 20,000 steps of y = relu(0.9 y + 0.1)."""

    def forward():
        y = ml.Value(0.5)
        for _ in range(20_000 * scale):
            y = (y * 0.9 + 0.1).relu()
        return y

    return forward


def transcendental(ml, scale: int):
    """exp/log/tanh-heavy: sum of tanh(log(exp(w x) + 1)) * sigmoid(x) over 20,000 points."""
    rng = random.Random(1)
    xs = [rng.uniform(-2, 2) for _ in range(20_000 * scale)]

    def forward():
        w = ml.Value(0.3)
        terms = []
        for x in xs:
            v = ml.Value(x)
            terms.append(((w * v).exp() + 1).log().tanh() * v.sigmoid())
        return pairwise_sum(terms)

    return forward


def char_gpt(ml, scale: int):
    """bench_gpt.py's 1-layer, 4-head, 16-dim character GPT: one word's loss per step,
    a different word (so a different graph) each step, the same sequence in every tree."""
    import bench_gpt

    P = {k: [[ml.Value(x) for x in row] for row in m] for k, m in bench_gpt.init_params(0).items()}
    words = iter(bench_gpt.WORDS * 1000)
    return lambda: sum(bench_gpt.word_loss(P, next(words)) for _ in range(scale))


def per_op(ml) -> dict:
    """ns per node of one op: creating it (x.relu()) and its backward (a 2,000-step chain)."""
    import timeit

    x = ml.Value(0.3)
    result = {}
    for op in ("relu", "exp", "tanh", "sigmoid", "mul", "add"):
        stmt = {"mul": "x * x", "add": "x + 0.5"}.get(op, f"x.{op}()")
        best = min(timeit.repeat(stmt, globals={"x": x}, number=20_000, repeat=5))
        result[f"create {op}"] = best / 20_000
        y = x
        for _ in range(2_000):
            y = y * 0.999 if op in ("mul", "add") else getattr(y * 0.001, op)()
        result[f"backward {op}"] = min(timeit.repeat(y.backward, number=5, repeat=5)) / 5 / 4_000
    return result


WORKLOADS = {
    "two-moons step": moons,
    "wide sum": wide,
    "deep chain": deep,
    "exp/log/tanh": transcendental,
    "char GPT": char_gpt,
}


def worker(repeats: int, scale: int) -> dict:
    """Time every workload in this process: {name: [forward_s, backward_s]}."""
    import micrograd_like as ml

    result = {"_file": ml.__file__}
    for name, make in WORKLOADS.items():
        forward = make(ml, scale)
        forward().backward()  # warm-up
        gc.collect()
        t_fwd = t_bwd = 0.0
        for _ in range(repeats):
            start = CLOCK()
            out = forward()
            middle = CLOCK()
            out.backward()
            t_fwd += middle - start
            t_bwd += CLOCK() - middle
            del out
        result[name] = [t_fwd / repeats, t_bwd / repeats]
    result["per op"] = per_op(ml)
    return result


# -- the driver ----------------------------------------------------------------------------


def run_tree(tree: Path, repeats: int, scale: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "--repeats", str(repeats), "--scale", str(scale)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, cwd=tree)
    result = json.loads(out.stdout)
    if not Path(result["_file"]).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"the worker imported {result['_file']}, not the tree {tree}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--base", type=Path, required="--worker" not in (argv or sys.argv), help="the tree to compare against"
    )
    parser.add_argument("--new", type=Path, default=HERE.parent, help="the tree under test (default: this one)")
    parser.add_argument("--rounds", type=int, default=7, help="subprocess pairs; the median is reported")
    parser.add_argument("--repeats", type=int, default=3, help="timed steps per workload in each subprocess")
    parser.add_argument("--scale", type=int, default=1, help="multiply the workload sizes")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.repeats, args.scale)))
        return 0
    trees = {"base": args.base, "new": args.new}
    runs: dict[str, list[dict]] = {"base": [], "new": []}
    for r in range(args.rounds):
        order = ("base", "new") if r % 2 == 0 else ("new", "base")
        for which in order:
            runs[which].append(run_tree(trees[which], args.repeats, args.scale))
    print(
        f"Python {sys.version.split()[0]}; base {args.base}, new {args.new}; median of {args.rounds} rounds "
        "(min ratio: fastest new over fastest base)"
    )
    header = f"{'workload':<16} {'part':<9} {'base ms':>9} {'new ms':>9} {'new/base':>9} {'min ratio':>9}"
    print(header)
    print("-" * len(header))
    for name in WORKLOADS:
        for i, part in enumerate(("forward", "backward", "total")):
            base, new = (
                [(sum(run[name]) if i == 2 else run[name][i]) * 1e3 for run in runs[which]] for which in ("base", "new")
            )
            median_base, median_new = statistics.median(base), statistics.median(new)
            print(
                f"{name if i == 0 else '':<16} {part:<9} {median_base:>9.1f} {median_new:>9.1f} "
                f"{median_new / median_base:>9.3f} {min(new) / min(base):>9.3f}"
            )
    print(f"\n{'per node (best of 5)':<22} {'base ns':>9} {'new ns':>9} {'new/base':>9}")
    for key in runs["base"][0]["per op"]:
        base_ns, new_ns = (statistics.median(run["per op"][key] for run in runs[w]) * 1e9 for w in ("base", "new"))
        print(f"{key:<22} {base_ns:>9.1f} {new_ns:>9.1f} {new_ns / base_ns:>9.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
