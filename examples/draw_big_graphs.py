"""Draw a graph too big for draw_dot so that equal gradients are seen, not read: docs/moons_collapsed_graph.*.

The loss of micrograd's two-moons demo (a 2-16-16-1 network on 100 points,
65,818 Values), far too big for ``draw_dot``, drawn by ``draw_collapsed`` one box
per neuron. (The op-level graph of the motivating 2-3-3-2 network,
``docs/symmetry_graph.*``, is drawn by ``examples/draw_symmetry.py``.)

Run from the repository root (needs the Graphviz ``dot`` program)::

    python examples/draw_big_graphs.py                 # into docs/
    python examples/draw_big_graphs.py --min-group-size 3
"""

from __future__ import annotations

import argparse
from pathlib import Path

import graphviz

from micrograd_like import moons
from micrograd_like.datasets import make_moons
from micrograd_like.nn import MLP
from micrograd_like.viz import draw_collapsed, nodes_and_edges, render

MOONS_SEED = 1337


def moons_graph(min_group_size: int) -> graphviz.Digraph:
    """micrograd's two-moons loss (100 points, 2-16-16-1 relu network), one box per neuron."""
    X, y = make_moons(100, noise=0.1, seed=MOONS_SEED)
    model = MLP(2, [16, 16, 1], seed=MOONS_SEED)
    loss, accuracy = moons.loss_and_accuracy(model, X, y)
    loss.backward()
    n = len(nodes_and_edges(loss)[0])
    title = (
        f"micrograd's two-moons loss before training: {n:,} Values, one box per neuron\n"
        f"hinge loss + L2 penalty over 100 points, accuracy {accuracy:.0%}; grey = a neuron that "
        "passes no gradient back (its relu is off for every point)"
    )
    dot = draw_collapsed(loss, title=title, min_group_size=min_group_size, rankdir="TB")
    dot.attr(dpi="72")
    return dot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", type=Path, default=Path("docs"), help="where to write (default docs/)")
    parser.add_argument("--min-group-size", type=int, default=2, help="colour only groups this big (default 2)")
    args = parser.parse_args()
    pictures = {"moons_collapsed_graph": moons_graph}
    for name, draw in pictures.items():
        dot = draw(args.min_group_size)
        for fmt in ("png", "svg"):
            print(render(dot, args.outdir / f"{name}.{fmt}"))


if __name__ == "__main__":
    main()
