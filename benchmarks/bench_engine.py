"""Side-by-side benchmark: micrograd (0.1.0) against micrograd_like, in one process.

Run: ``pip install -e '.[bench]' && python benchmarks/bench_engine.py``

Every workload is built the same way in both engines (same numbers, same graph
shape), the results are checked to agree, and then each engine is timed with the
garbage collector on, as a user has it. Timings are the best of a few repeats;
the machines are shared, so read the ratios, not the absolute numbers.
Memory is what tracemalloc counts as allocated while the graph is alive after its
backward pass, divided by its node count ("B/node"); "peak ratio" compares the
peaks, which include each engine's temporary state during backward.

After the table come the compiled steps (``bench_compile.py``: compiled replay next to
eager and micrograd) and a character-level GPT whose graph changes every step
(``bench_gpt.py``: this engine against a minimal tuple-based reference engine).
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
import tracemalloc
from collections.abc import Callable

import micrograd.engine as mg

import micrograd_like as ml


def pairwise_sum(terms: list):
    """Sum as a balanced tree, so that the graph is wide rather than deep.

    micrograd's recursive topological sort cannot handle the 200,000-deep chain
    that the built-in ``sum`` would make; a balanced tree keeps the comparison fair.
    """
    while len(terms) > 1:
        paired = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)]
        if len(terms) % 2:
            paired.append(terms[-1])
        terms = paired
    return terms[0]


def wide_sum(V, n: int):
    """sum_i w_i * x_i over n products; returns (loss, leaves)."""
    rng = random.Random(0)
    ws = [V(rng.uniform(-1, 1)) for _ in range(n)]
    xs = [V(rng.uniform(-1, 1)) for _ in range(n)]
    return pairwise_sum([w * x for w, x in zip(ws, xs)]), ws


def deep_chain(V, n: int):
    """n ops deep: y = relu(y * 0.9 + 0.1) repeated; returns (loss, leaves)."""
    x = V(0.5)
    y = x
    for _ in range(n):
        y = (y * 0.9 + 0.1).relu()
    return y, [x]


def count_nodes(root) -> int:
    """Count the nodes of either engine's graph without recursion."""
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        children = node._prev if hasattr(node, "_prev") else node.children
        for c in children:
            if id(c) not in seen:
                seen.add(id(c))
                stack.append(c)
    return len(seen)


def time_step(build: Callable, repeats: int) -> float:
    """Mean wall time of build + backward + dropping the graph, over consecutive steps.

    The garbage collector is on and is not called by hand between steps, as in a
    training loop: whatever the collector has to do for one step's garbage (for
    micrograd, every node is a reference cycle) is paid during the following steps,
    so it lands in the mean. One untimed step first puts both engines in the same
    steady state.
    """
    gc.collect()
    loss, leaves = build()
    loss.backward()
    del loss, leaves
    start = time.perf_counter()
    for _ in range(repeats):
        loss, leaves = build()
        loss.backward()
        del loss, leaves
    return (time.perf_counter() - start) / repeats


def bytes_per_node(build: Callable) -> tuple[float, float, int]:
    """(live bytes per node after backward, peak bytes per node, node count)."""
    gc.collect()
    tracemalloc.start()
    loss, leaves = build()
    loss.backward()
    live, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    nodes = count_nodes(loss)
    del loss, leaves
    gc.collect()
    return live / nodes, peak / nodes, nodes


def row(name: str, nodes: int, t_mg: float, t_ml: float, mem_mg: tuple, mem_ml: tuple) -> dict:
    """One line of the report: times in seconds per step, memory as (live, peak) bytes per node."""
    return {
        "name": name,
        "nodes": nodes,
        "us_mg": 1e6 * t_mg / nodes,
        "us_ml": 1e6 * t_ml / nodes,
        "speedup": t_mg / t_ml,
        "bytes_mg": mem_mg[0],
        "bytes_ml": mem_ml[0],
        "mem_ratio": mem_ml[0] / mem_mg[0],
        "peak_ratio": mem_ml[1] / mem_mg[1],
    }


def compare(name: str, build_mg: Callable, build_ml: Callable, repeats: int) -> dict:
    # Same workload? Check the outputs and the first leaf's gradient agree.
    a, a_leaves = build_mg()
    a.backward()
    b, b_leaves = build_ml()
    b.backward()
    for label, x, y in (("output", a.data, b.data), ("gradient", a_leaves[0].grad, b_leaves[0].grad)):
        if abs(x - y) > 1e-9 * max(1.0, abs(x)):
            raise SystemExit(f"{name}: engines disagree on the {label}: {x!r} vs {y!r}")
    del a, a_leaves, b, b_leaves
    gc.collect()

    mem_mg, peak_mg, nodes = bytes_per_node(build_mg)
    mem_ml, peak_ml, _ = bytes_per_node(build_ml)
    t_mg = time_step(build_mg, repeats)
    t_ml = time_step(build_ml, repeats)
    return row(name, nodes, t_mg, t_ml, (mem_mg, peak_mg), (mem_ml, peak_ml))


def op_chain(V, n: int):
    """n operations deep, one op per step: y = y * 1.000001; returns (loss, leaves)."""
    x = V(1.0)
    y = x
    for _ in range(n):
        y = y * 1.000001
    return y, [x]


def deepest_micrograd_chain() -> str:
    """Where micrograd's recursion gives out, at the default recursion limit."""
    for n in (250, 500, 750, 1000, 1250):
        y, _ = op_chain(mg.Value, n)
        try:
            y.backward()
        except RecursionError:
            return f"micrograd: RecursionError on a chain of {n} ops ({count_nodes(y):,} nodes)"
    return "micrograd: no RecursionError up to 1250 ops"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="products in the wide sum")
    parser.add_argument("--repeats", type=int, default=5, help="consecutive timed steps per workload")
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: checks the script runs (CI), measures nothing"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.size, args.repeats = 2_000, 1
    deep = 10_000 if args.smoke else 1_000_000

    print(f"Python {sys.version.split()[0]}, gc thresholds {gc.get_threshold()} (gc on for all timings)")
    rows = [
        compare(
            f"wide sum of {args.size:,} products",
            lambda: wide_sum(mg.Value, args.size),
            lambda: wide_sum(ml.Value, args.size),
            args.repeats,
        ),
        compare(
            "chain of 300 relu(0.9y+0.1) steps",
            lambda: deep_chain(mg.Value, 300),
            lambda: deep_chain(ml.Value, 300),
            args.repeats * 20,
        ),
    ]
    for extra in EXTRA_BENCHMARKS:
        rows.append(extra(args))

    header = (
        f"{'workload':<34} {'nodes':>9} {'us/node mg':>11} {'us/node ml':>11} {'speedup':>8} "
        f"{'B/node mg':>10} {'B/node ml':>10} {'mem ratio':>9} {'peak ratio':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['name']:<34} {r['nodes']:>9,} {r['us_mg']:>11.3f} {r['us_ml']:>11.3f} {r['speedup']:>7.1f}x "
            f"{r['bytes_mg']:>10.0f} {r['bytes_ml']:>10.0f} {r['mem_ratio']:>9.2f} {r['peak_ratio']:>10.2f}"
        )

    print()
    print(deepest_micrograd_chain())
    start = time.perf_counter()
    y, leaves = op_chain(ml.Value, deep)
    y.backward()
    print(
        f"micrograd_like: chain of {deep:,} ops ({count_nodes(y):,} nodes) built and "
        f"backpropagated in {time.perf_counter() - start:.1f} s"
    )
    for section in SECTIONS:
        print()
        print("\n".join(section(args.smoke)))
    return 0


def _compiled_section(smoke: bool) -> list[str]:
    import bench_compile  # benchmarks/ is on sys.path when this file runs as a script

    return bench_compile.report(bench_compile.rows(smoke))


def _gpt_section(smoke: bool) -> list[str]:
    import bench_gpt

    return bench_gpt.report(smoke)


# Sections printed after the table, each a function of --smoke returning lines.
SECTIONS: list[Callable[[bool], list[str]]] = [_compiled_section, _gpt_section]


# Other benchmark modules (e.g. the two-moons training step) register functions
# here that take the parsed args and return a row dict like ``compare``'s.
EXTRA_BENCHMARKS: list[Callable[[argparse.Namespace], dict]] = []


# ===========================================================================
# nn section: one training step of micrograd's two-moons demo (owned by the nn
# layer; registered in EXTRA_BENCHMARKS above).
# ===========================================================================


def moons_step(V, model, X: list, y: list, learning_rate: float) -> float:
    """One step of micrograd's demo.ipynb, written once and run by both engines.

    Forward over all 100 points, SVM max-margin loss plus 1e-4 L2, zero_grad,
    backward, SGD update: exactly the notebook's code, so the only difference
    between the two runs is the engine (and nn module) underneath.
    """
    inputs = [list(map(V, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    model.zero_grad()
    total_loss.backward()
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return total_loss.data


def bench_moons_step(args: argparse.Namespace) -> dict:
    """Time micrograd's two-moons training step in both libraries, same weights.

    micrograd's MLP(2, [16, 16, 1]) is built first (seeded like the notebook)
    and its weights are copied into ours, so both start identical; each then
    takes the same number of consecutive training steps with the gc on, and the
    loss of every step must agree to 1e-9 relative, proving equal workloads.
    """
    import micrograd.nn as mg_nn

    from micrograd_like.datasets import make_moons
    from micrograd_like.nn import MLP

    X, y = make_moons(100, noise=0.1, seed=0)
    random.seed(1337)  # micrograd draws its weights from the global generator
    theirs = mg_nn.MLP(2, [16, 16, 1])
    ours = MLP(2, [16, 16, 1])
    for p, q in zip(ours.parameters(), theirs.parameters()):
        p.data = float(q.data)
    steps = 1 + max(1, args.repeats)  # the first step is untimed (warm-up)
    schedule = [1.0 - 0.9 * k / 100 for k in range(steps)]  # the notebook's decaying lr

    def run(V, model) -> tuple[list[float], float]:
        gc.collect()
        losses = [moons_step(V, model, X, y, schedule[0])]
        start = time.perf_counter()
        for k in range(1, steps):
            losses.append(moons_step(V, model, X, y, schedule[k]))
        return losses, (time.perf_counter() - start) / (steps - 1)

    losses_mg, t_mg = run(mg.Value, theirs)
    losses_ml, t_ml = run(ml.Value, ours)
    for k, (a, b) in enumerate(zip(losses_mg, losses_ml)):
        if abs(a - b) > 1e-9 * abs(a):
            raise SystemExit(f"two-moons step {k}: losses disagree: micrograd {a!r} vs ours {b!r}")

    def build(V, model):
        def forward():
            inputs = [list(map(V, xrow)) for xrow in X]
            losses = [(1 + -yi * model(x)).relu() for yi, x in zip(y, inputs)]
            total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
            return total, model.parameters()

        return forward

    mem_mg, peak_mg, nodes = bytes_per_node(build(mg.Value, theirs))
    mem_ml, peak_ml, _ = bytes_per_node(build(ml.Value, ours))
    print(
        f"two-moons training step (100 points, MLP(2, [16, 16, 1]), hinge + 1e-4 L2): "
        f"micrograd {1e3 * t_mg:.1f} ms, micrograd_like {1e3 * t_ml:.1f} ms per step, "
        f"{t_mg / t_ml:.1f}x faster; losses agree to 1e-9 over {steps} steps"
    )
    return row("two-moons training step", nodes, t_mg, t_ml, (mem_mg, peak_mg), (mem_ml, peak_ml))


EXTRA_BENCHMARKS.append(bench_moons_step)


if __name__ == "__main__":
    raise SystemExit(main())
