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

from micrograd_like.nn import MLP, find_symmetric_neurons
from micrograd_like.symmetry import LEARNING_RATE, SEED, STEPS, TARGETS, build_network, cost, predict, train
from micrograd_like.viz import draw_network, render


def _row(values) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


def picture(model: MLP, title: str, steps: int) -> graphviz.Digraph:
    """Train ``model``, refresh its gradients, and draw it with a caption on top."""
    train(model, steps, LEARNING_RATE)
    loss = cost(model)
    for p in model.parameters():
        p.grad = 0.0
    loss.backward()  # the gradients the next step would use
    outputs = [[o.data for o in row] for row in predict(model)]
    groups = find_symmetric_neurons(model)
    means = [sum(column) / len(column) for column in zip(*TARGETS)]
    trained = f"after {steps:,} steps of gradient descent (lr {LEARNING_RATE:g})" if steps else "before training"
    lines = [
        f"{title}, {trained}",
        f"cost {loss.data:.4f}; outputs {_row(outputs[0])} and {_row(outputs[1])} for targets "
        f"{_row(TARGETS[0])} and {_row(TARGETS[1])} (their column means: {_row(means)})",
    ]
    if groups:
        lines.append(
            "Each hidden layer still has 3 identical neurons (same colour): "
            "same weights, same gradients, so it works like a single neuron."
        )
    else:
        lines.append("Every neuron has its own weights and gradients: none are interchangeable.")
    dot = draw_network(model, title="\n".join(lines))
    dot.attr(dpi="110")  # crisper PNG for the README
    return dot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS, help=f"training steps before drawing (default {STEPS})")
    parser.add_argument("--outdir", type=Path, default=Path("docs"), help="where to write the pictures (default docs/)")
    args = parser.parse_args()

    runs = {
        "constant": (build_network("constant"), "Constant start: every weight and bias = 1"),
        "random": (build_network("uniform", seed=SEED), f"Random start: weights uniform in [-1, 1] (seed {SEED}), biases 0"),
    }
    for name, (model, title) in runs.items():
        dot = picture(model, title, args.steps)
        for fmt in ("png", "svg"):
            print(render(dot, args.outdir / f"symmetry_{name}.{fmt}"))


if __name__ == "__main__":
    main()
