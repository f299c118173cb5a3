"""micrograd's two-moons demo: a 2-16-16-1 relu network learns to separate two half circles.

The pieces are here (not in a script) so that the ``micrograd-like train moons``
command, the tests and the benchmark all run the same workload.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ._checks import check_bool, check_int, check_real
from .compiled import compile as _compile
from .engine import Value
from .losses import hinge, l2_penalty
from .nn import MLP

__all__ = [
    "ALPHA",
    "POINTS",
    "NOISE",
    "SEED",
    "HIDDEN",
    "STEPS",
    "LEARNING_RATE",
    "Step",
    "loss_and_accuracy",
    "train",
    "plot_boundary",
]

#: Strength of the L2 weight penalty in micrograd's demo.
ALPHA = 1e-4
#: The demo's data: this many points, with this much noise, from this seed.
POINTS = 100
NOISE = 0.1
SEED = 0
#: The demo's hidden layer widths, number of steps and starting learning rate.
HIDDEN = (16, 16)
STEPS = 100
LEARNING_RATE = 1.0


@dataclass(frozen=True)
class Step:
    """What one training step saw, before its update.

    Attributes:
        step: 0-based step number.
        loss: Hinge loss plus L2 penalty, on the whole training set.
        accuracy: Fraction of points on the right side of the boundary.
        lr: The learning rate this step used.
    """

    step: int
    loss: float
    accuracy: float
    lr: float


def loss_and_accuracy(
    model: MLP, X: Sequence[Sequence[float]], y: Sequence[int], alpha: float = ALPHA
) -> tuple[Value, float]:
    """The demo's loss (mean SVM hinge loss plus ``alpha * sum(p**2)``) and its accuracy.

    Args:
        model: A network with 2 inputs and 1 linear output (a score).
        X: Points, each ``[x0, x1]``.
        y: Labels, each -1 or +1.
        alpha: L2 strength, >= 0.

    Returns:
        ``(loss, accuracy)``: the loss as a Value ready for ``backward()``.

    Raises:
        ValueError: ``X`` and ``y`` differ in length or a label is not -1/+1.
    """
    scores = [_score(model, x) for x in X]
    loss = hinge(scores, y) + l2_penalty(model.parameters(), alpha)
    accuracy = sum((s.data > 0) == (label > 0) for s, label in zip(scores, y)) / len(y)
    return loss, accuracy


def train(
    model: MLP,
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    steps: int = 100,
    lr: float = 1.0,
    *,
    compiled: bool = True,
) -> Iterator[Step]:
    """Full-batch SGD as in micrograd's demo, yielding each step's loss and accuracy.

    The learning rate decays linearly from ``lr`` to ``0.1 * lr`` over ``steps``,
    the schedule of the demo (which uses ``lr = 1.0``, ``steps = 100``).

    Args:
        model: The network to train, in place.
        X: Points, each ``[x0, x1]``.
        y: Labels, each -1 or +1.
        steps: Number of updates, >= 0.
        lr: Starting learning rate, > 0.
        compiled: Record the step once with :func:`micrograd_like.compile` and
            replay it (the default); False builds the graph and calls ``backward()``
            at every step. Both give bit-identical losses, accuracies and weights.

    Yields:
        One :class:`Step` per update, computed before the update.

    Raises:
        TypeError: ``steps`` is not an int, ``lr`` not a number or ``compiled`` not a bool.
        ValueError: ``steps`` < 0 or ``lr`` <= 0 (as the loss for bad data).
    """
    steps = check_int(steps, "steps", minimum=0, example=100)
    lr = check_real(lr, "lr", above=0.0, example=1.0)
    step = _compiled_step(model) if check_bool(compiled, "compiled") else _eager_step(model)
    params = model.parameters()
    for k in range(steps):
        loss, accuracy = step(X, y)  # fills every .grad from zero
        rate = lr * (1.0 - 0.9 * k / steps)
        for p in params:
            p.data -= rate * p.grad
        yield Step(k, loss, accuracy, rate)


StepFunction = Callable[[Sequence[Sequence[float]], Sequence[int]], tuple[float, float]]


def _score(model: MLP, x: Sequence[float]) -> Value:
    """The model's one output for ``x``: the score, > 0 for class +1."""
    out = model(x)
    if not isinstance(out, Value):
        raise ValueError(f"model must have 1 output (a score), got {len(out)}; build it as MLP(2, [..., 1])")
    return out


def _eager_step(model: MLP) -> StepFunction:
    """One step as :func:`loss_and_accuracy` then ``backward()``: build the graph every time."""

    def step(X: Sequence[Sequence[float]], y: Sequence[int]) -> tuple[float, float]:
        loss, accuracy = loss_and_accuracy(model, X, y)
        model.zero_grad()
        loss.backward()
        return loss.data, accuracy

    return step


def _compiled_step(model: MLP) -> StepFunction:
    """The same step, recorded on its first call and replayed after (the scores come back too)."""
    recorded = _compile(lambda X, y: (hinge(s := [model(x) for x in X], y) + l2_penalty(model.parameters(), ALPHA), s))

    def step(X: Sequence[Sequence[float]], y: Sequence[int]) -> tuple[float, float]:
        model.zero_grad()
        loss, scores = recorded(X, y)
        accuracy = sum((s > 0) == (label > 0) for s, label in zip(scores, y)) / len(y)  # as loss_and_accuracy
        return loss, accuracy

    return step


def plot_boundary(
    model: MLP, X: Sequence[Sequence[float]], y: Sequence[int], path: str | Path, *, grid: int = 60
) -> Path:
    """Save a picture of the plane coloured by the model's decision, with the points on top.

    Needs matplotlib (``pip install 'micrograd-like[plot]'``); draws off screen.

    Args:
        model: A network with 2 inputs and 1 output (a score; > 0 is class +1).
        X: Points, each ``[x0, x1]``.
        y: Labels, each -1 or +1.
        path: The image file; its suffix (``.png``, ``.svg``, ...) sets the format.
        grid: Points per side of the grid the decision is evaluated on.

    Returns:
        ``path`` as a Path.

    Raises:
        ModuleNotFoundError: matplotlib is not installed.
        OSError: The file cannot be written.
    """
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    xs, ys = [p[0] for p in X], [p[1] for p in X]
    x0, x1 = min(xs) - 0.5, max(xs) + 0.5
    y0, y1 = min(ys) - 0.5, max(ys) + 0.5
    gx = [x0 + (x1 - x0) * i / (grid - 1) for i in range(grid)]
    gy = [y0 + (y1 - y0) * j / (grid - 1) for j in range(grid)]
    decision = [[1.0 if _score(model, [a, b]).data > 0 else -1.0 for a in gx] for b in gy]
    fig, ax = plt.subplots(figsize=(5, 4))
    try:
        ax.contourf(gx, gy, decision, levels=[-2, 0, 2], colors=["#EE8866", "#77AADD"], alpha=0.4)
        ax.scatter(xs, ys, c=["#77AADD" if label > 0 else "#EE8866" for label in y], edgecolors="black", s=25)
        ax.set_title("two moons: decision boundary after training")
        fig.savefig(path, dpi=100, bbox_inches="tight")
    finally:
        plt.close(fig)
    return Path(path)
