"""micrograd's two-moons demo: a 2-16-16-1 relu network learns to separate two half circles.

The pieces are here (not in a script) so that the ``micrograd-like train moons``
command, the tests and the benchmark all run the same workload.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

from ._checks import check_int, check_real
from .engine import Value
from .losses import hinge, l2_penalty
from .nn import MLP

__all__ = ["ALPHA", "Step", "loss_and_accuracy", "train"]

#: Strength of the L2 weight penalty in micrograd's demo.
ALPHA = 1e-4


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
    scores = [model(x) for x in X]
    loss = hinge(scores, y) + l2_penalty(model.parameters(), alpha)
    accuracy = sum((s.data > 0) == (label > 0) for s, label in zip(scores, y)) / len(y)
    return loss, accuracy


def train(
    model: MLP, X: Sequence[Sequence[float]], y: Sequence[int], steps: int = 100, lr: float = 1.0
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

    Yields:
        One :class:`Step` per update, computed before the update.

    Raises:
        TypeError: ``steps`` is not an int or ``lr`` not a number.
        ValueError: ``steps`` < 0 or ``lr`` <= 0 (as the loss for bad data).
    """
    steps = check_int(steps, "steps", minimum=0, example=100)
    lr = check_real(lr, "lr", above=0.0, example=1.0)
    params = model.parameters()
    for k in range(steps):
        loss, accuracy = loss_and_accuracy(model, X, y)
        model.zero_grad()
        loss.backward()
        rate = lr * (1.0 - 0.9 * k / steps)
        for p in params:
            p.data -= rate * p.grad
        yield Step(k, loss.data, accuracy, rate)
