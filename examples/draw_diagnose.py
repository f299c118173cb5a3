"""Draw what diagnose finds in the 2-3-3-2 network with every weight 5: docs/diagnose_saturated.{png,svg}.

Every weight and bias 5 puts each sigmoid of layers 1 and 2 where it is flat, so
the cost does not move. :func:`micrograd_like.diagnose` names that (and the
interchangeable neurons every constant start has), and
``draw_network(model, diagnosis=...)`` draws it: saturated neurons with a double
wine border and their largest local derivative, each layer's gradient norm in
its title, the report's sentences as the caption.

Run from the repository root (needs the Graphviz ``dot`` program)::

    python examples/draw_diagnose.py   # writes docs/diagnose_saturated.png/.svg
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

import graphviz

from micrograd_like.diagnose import diagnose
from micrograd_like.losses import sse
from micrograd_like.symmetry import (
    LEARNING_RATE,
    OBSERVATIONS,
    PICTURE_WIDTH_INCHES,
    TARGETS,
    build_network,
    refresh_gradients,
)
from micrograd_like.viz import draw_network, render


def picture(value: float = 5.0, lr: float = LEARNING_RATE) -> graphviz.Digraph:
    """The network with every weight and bias ``value``, drawn with its diagnosis at step size ``lr``."""
    model = build_network("constant", value=value)
    d = diagnose(model, [list(x) for x in OBSERVATIONS], [list(t) for t in TARGETS], sse, lr=lr)
    cost = refresh_gradients(model)  # the gradients of the first backward pass, as drawn
    head = f"Every weight and bias {value:g}: cost C {cost:.4f}, grad = dC/d(parameter) before any update"
    lines = [f"diagnose(model, ..., lr={lr:g}).report():"]
    for sentence in d.report():
        lines += textwrap.wrap(sentence, 120, initial_indent="- ", subsequent_indent="  ")
    dot = draw_network(model, diagnosis=d, title="\n".join([head, *lines]))
    dot.attr(size=f"{PICTURE_WIDTH_INCHES:g},100")  # scaled down to fit a 1,400 px window
    return dot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", type=Path, default=Path("docs"), help="where to write the pictures (default docs/)")
    args = parser.parse_args()
    dot = picture()
    print(render(dot, args.outdir / "diagnose_saturated.svg"))
    dot.attr(dpi="110")  # crisper PNG for the README; the SVG keeps its 1,400 px width
    print(render(dot, args.outdir / "diagnose_saturated.png"))


if __name__ == "__main__":
    main()
