"""Draw two big graphs so that equal gradients are seen, not read: docs/*_graph.{png,svg}.

1. ``docs/symmetry_graph.*``: the op-level graph (156 Values) of the motivating
   user's 2-3-3-2 network, every weight and bias 1, after its first backward
   pass, built as ``micrograd_like.symmetry`` and ``micrograd-like symmetry`` do.
   Its 24 gradient groups cannot all get a colour of their own; the groups that
   hold parameters get the eight full colours first, so the lesson (the three
   neurons of a layer get identical weight gradients) stands out.
2. ``docs/moons_collapsed_graph.*``: the loss of micrograd's two-moons demo
   (a 2-16-16-1 network on 100 points, 65,818 Values), far too big for
   ``draw_dot``, drawn by ``draw_collapsed`` one box per neuron.

Run from the repository root (needs the Graphviz ``dot`` program)::

    python examples/draw_big_graphs.py                 # both pictures into docs/
    python examples/draw_big_graphs.py --min-group-size 3
"""

from __future__ import annotations

import argparse
from pathlib import Path

import graphviz

from micrograd_like import moons, symmetry
from micrograd_like.datasets import make_moons
from micrograd_like.nn import MLP
from micrograd_like.viz import draw_collapsed, draw_dot, render, trace

MOONS_SEED = 1337


def symmetry_graph(min_group_size: int) -> graphviz.Digraph:
    """The constant start's cost after one backward pass, every Value drawn."""
    model = symmetry.build_network("constant")
    loss = symmetry.cost(model)
    loss.backward()
    n = len(trace(loss)[0])
    title = (
        f"The motivating network (2-3-3-2, every weight and bias 1): its cost after one backward pass, {n} Values\n"
        "The groups holding parameters get the full colours: the 3 neurons of each hidden layer "
        "receive the same gradient for the same weight."
    )
    dot = draw_dot(loss, title=title, min_group_size=min_group_size)
    dot.attr(dpi="72")
    return dot


def moons_graph(min_group_size: int) -> graphviz.Digraph:
    """micrograd's two-moons loss (100 points, 2-16-16-1 relu network), one box per neuron."""
    X, y = make_moons(100, noise=0.1, seed=MOONS_SEED)
    model = MLP(2, [16, 16, 1], seed=MOONS_SEED)
    loss, accuracy = moons.loss_and_accuracy(model, X, y)
    loss.backward()
    n = len(trace(loss)[0])
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
    pictures = {"symmetry_graph": symmetry_graph, "moons_collapsed_graph": moons_graph}
    for name, draw in pictures.items():
        dot = draw(args.min_group_size)
        for fmt in ("png", "svg"):
            print(render(dot, args.outdir / f"{name}.{fmt}"))


if __name__ == "__main__":
    main()
