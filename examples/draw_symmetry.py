"""Draw why the motivating user's network never learned: docs/symmetry_*.{png,svg}.

The user built a 2-3-3-2 sigmoid network with every weight and bias equal to 1,
trained it on two observations, and got outputs stuck near the column means of
the targets. This script draws the pictures ``micrograd-like symmetry`` writes,
for that start and for a random one, with the same functions:

* ``symmetry_graph.*`` and ``symmetry_graph_random.*``: every Value of the cost C
  after its first backward pass (:func:`micrograd_like.symmetry.first_backward_graph`),
  one frame per neuron; the constant start's interchangeable neurons share a colour,
  the random start (uniform, seed 0, as the command's default) has none.
* ``symmetry_constant_before.*`` and ``symmetry_random_before.*``: the network view
  with the starting weights and the gradients of that first backward pass
  (:func:`micrograd_like.symmetry.network_before`).
* ``symmetry_constant.*`` and ``symmetry_random.*``: the network view after
  training, every weight and bias with its current value and gradient.

Run from the repository root (needs the Graphviz ``dot`` program)::

    python examples/draw_symmetry.py            # writes docs/symmetry_*.png/.svg
    python examples/draw_symmetry.py --steps 0  # the "after" pictures of the untrained networks
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
    first_backward_graph,
    network_before,
    run,
    start_name,
)
from micrograd_like.viz import draw_network, render


def picture(model: MLP, name: str, steps: int) -> graphviz.Digraph:
    """Train ``model`` and draw it with the caption of ``micrograd-like symmetry``'s pictures."""
    result = run(name, model, steps, LEARNING_RATE)  # leaves the gradients at the final weights
    return draw_network(model, title=caption(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS, help=f"training steps before drawing (default {STEPS})")
    parser.add_argument("--outdir", type=Path, default=Path("docs"), help="where to write the pictures (default docs/)")
    args = parser.parse_args()

    starts = {
        "constant": ("constant", start_name("constant")),
        "random": ("uniform", start_name("uniform", seed=SEED)),
    }
    for tag, (scheme, name) in starts.items():
        pictures = {
            f"symmetry_graph{'' if tag == 'constant' else '_random'}": first_backward_graph(
                build_network(scheme), name
            ),
            f"symmetry_{tag}_before": network_before(build_network(scheme, seed=SEED), name),
            f"symmetry_{tag}": picture(build_network(scheme, seed=SEED), name, args.steps),
        }
        for stem, dot in pictures.items():
            if not stem.startswith("symmetry_graph"):
                dot.attr(dpi="110")  # crisper PNG for the README
            for fmt in ("png", "svg"):
                print(render(dot, args.outdir / f"{stem}.{fmt}"))


if __name__ == "__main__":
    main()
