"""Seconds Graphviz takes to render draw_dot pictures of chains, wide sums and MLPs, 10 to 500 Values.

Run: python benchmarks/render_times.py [--sizes 10,100,200,300,400,500] [--timeout 120]
Prints one row per graph kind and size; a render slower than --timeout shows as "timeout".
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from micrograd_like.engine import Value
from micrograd_like.nn import MLP
from micrograd_like.viz import GraphvizCrashedError, GraphvizTimeoutError, draw_dot, nodes_and_edges, render


def _grow(step, size: int) -> Value:
    """The longest graph of repeated ``step`` with at most ``size`` Values."""
    x = Value(0.5, label="x")
    while len(nodes_and_edges(y := step(x))[0]) <= size:
        x = y
    return x


def shared_chain(size: int) -> Value:
    """x -> tanh(x*w + b), again and again with the same w and b: the graph that hung dot."""
    w, b = Value(0.9, label="w"), Value(0.1, label="b")
    return _grow(lambda x: (x * w + b).tanh(), size)


def plain_chain(size: int) -> Value:
    return _grow(lambda x: x.tanh(), size)


def wide_sum(size: int) -> Value:
    terms = [Value(0.01 * i, label=f"x{i}") for i in range(max(1, (size - 1) // 3))]
    return sum((t * t for t in terms), Value(0.0))


def mlp(size: int) -> Value:
    """The loss of the widest square MLP(2, [k, k, 1]) on two points whose graph fits in ``size``."""
    best = None
    for k in range(1, 40):  # k=1 even when it is bigger than size
        model = MLP(2, [k, k, 1], seed=0)
        loss = sum(((model([0.5, -1.0]) - 1.0) ** 2, (model([1.0, 2.0]) + 1.0) ** 2), Value(0.0))
        if len(nodes_and_edges(loss)[0]) > size and best is not None:
            break
        best = loss
    assert best is not None
    return best


KINDS = {"shared chain": shared_chain, "plain chain": plain_chain, "wide sum": wide_sum, "MLP": mlp}


def time_render(root: Value, timeout: float, folder: Path) -> str:
    root.backward()
    graph = draw_dot(root, max_nodes=10_000)
    start = time.perf_counter()
    try:
        render(graph, folder / "g.svg", timeout=timeout)
    except GraphvizTimeoutError:
        return "timeout"
    except GraphvizCrashedError:
        return "crash"
    return f"{time.perf_counter() - start:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,50,100,150,200,250,300,350,400,450,500")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'graph':<14} {'Values':>6} {'seconds':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in KINDS.items():
            for size in sizes:
                root = make(size)
                n = len(nodes_and_edges(root)[0])
                print(f"{name:<14} {n:>6} {time_render(root, args.timeout, Path(tmp)):>8}", flush=True)


if __name__ == "__main__":
    main()
