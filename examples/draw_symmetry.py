"""Draw why the motivating user's network never learned: docs/symmetry_*.{png,svg}.

The user built a 2-3-3-2 sigmoid network with every weight and bias equal to 1,
trained it on two observations, and got outputs stuck near the column means of
the targets. This script trains that network and the same shape started at
random, exactly as ``micrograd_like.symmetry`` (and ``examples/symmetry.py``)
do, then draws both with :func:`micrograd_like.viz.draw_network` after one more
backward pass, so every weight and bias shows its current value and gradient.

In the constant start, the three neurons of each hidden layer still have
identical weights after thousands of steps, and get identical gradients: they
share a colour, and the legend says what to do about it. In the random start,
no two neurons are alike.

Run from the repository root (needs the Graphviz ``dot`` program)::

    python examples/draw_symmetry.py            # writes docs/symmetry_constant.png/.svg
    python examples/draw_symmetry.py --steps 0  # draw the untrained networks instead
"""

from __future__ import annotations

import argparse
from pathlib import Path

import graphviz

from micrograd_like.nn import MLP
from micrograd_like.symmetry import (
    LEARNING_RATE,
    SEED,
    STEPS,
    build_network,
    caption,
    run,
    start_name,
)
from micrograd_like.viz import draw_network, render


def picture(model: MLP, name: str, steps: int) -> graphviz.Digraph:
    """Train ``model`` and draw it with the caption of ``micrograd-like symmetry``'s pictures."""
    result = run(name, model, steps, LEARNING_RATE)  # leaves the gradients at the final weights
    dot = draw_network(model, title=caption(result))
    dot.attr(dpi="110")  # crisper PNG for the README
    return dot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS, help=f"training steps before drawing (default {STEPS})")
    parser.add_argument("--outdir", type=Path, default=Path("docs"), help="where to write the pictures (default docs/)")
    args = parser.parse_args()

    runs = {
        "constant": (build_network("constant"), start_name("constant")),
        "random": (build_network("uniform", seed=SEED), start_name("uniform", seed=SEED)),
    }
    for name, (model, title) in runs.items():
        dot = picture(model, title, args.steps)
        for fmt in ("png", "svg"):
            print(render(dot, args.outdir / f"symmetry_{name}.{fmt}"))


if __name__ == "__main__":
    main()
