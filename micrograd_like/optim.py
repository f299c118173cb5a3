"""Optimizers with PyTorch's update rules, acting on ``Value.data`` in place.

Typical loop::

    opt = SGD(model.parameters(), lr=0.1)
    for step in range(100):
        loss = ...            # build the loss from the model
        opt.zero_grad()       # gradients accumulate, so clear them first
        loss.backward()
        opt.step()

Both optimizers treat every parameter alike (the update of one parameter
depends only on its own gradient history), so they cannot break a symmetry
between neurons: see :func:`micrograd_like.nn.find_symmetric_neurons`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from micrograd_like._checks import check_instance, check_real, describe
from micrograd_like.engine import Value

__all__ = ["Optimizer", "SGD", "Adam"]


class Optimizer:
    """Base class: holds the parameter list and clears gradients.

    Args:
        params: The Values to optimise, e.g. ``model.parameters()``, or a
            module (its ``parameters()`` are used).

    Raises:
        TypeError: If an element is not a Value.
        ValueError: If there are no parameters or one appears twice (it
            would be updated twice per step).
    """

    def __init__(self, params: Iterable[Value] | Any) -> None:
        if hasattr(params, "parameters") and callable(params.parameters):
            params = params.parameters()
        if isinstance(params, Value):
            raise TypeError("params must be a list of Values, not a single Value; wrap it: [v]")
        try:
            plist = list(params)
        except TypeError:
            raise TypeError(
                f"params must be an iterable of Values, got {describe(params)}; pass model.parameters()"
            ) from None
        if not plist:
            raise ValueError("params is empty; pass model.parameters()")
        seen: set[int] = set()
        for i, p in enumerate(plist):
            check_instance(p, f"params[{i}]", Value, "a Value (a parameter)")
            if id(p) in seen:
                raise ValueError(
                    f"params[{i}] ({p.label or p!r}) appears more than once; each parameter must be listed once"
                )
            seen.add(id(p))
        self.params: list[Value] = plist

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:  # pragma: no cover - abstract
        """Update every parameter from its ``.grad``."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and L2 weight decay.

    PyTorch's rule (dampening 0, no Nesterov): with ``g = grad + weight_decay * p``,
    ``buf = g`` on the first step and ``buf = momentum * buf + g`` afterwards;
    then ``p -= lr * buf`` (or ``p -= lr * g`` when ``momentum == 0``).

    Args:
        params: The Values to optimise (or a module).
        lr: Learning rate, >= 0.
        momentum: Momentum factor, >= 0. Default 0 (plain gradient descent).
        weight_decay: L2 penalty coefficient, >= 0. Default 0.

    Raises:
        TypeError: If a hyper-parameter is not a number or ``params`` is wrong.
        ValueError: If a hyper-parameter is negative or not finite.
    """

    def __init__(
        self,
        params: Iterable[Value] | Any,
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params)
        self.lr = check_real(lr, "lr", minimum=0.0, example=0.1)
        self.momentum = check_real(momentum, "momentum", minimum=0.0, example=0.9)
        self.weight_decay = check_real(weight_decay, "weight_decay", minimum=0.0, example=0.0)
        self._buffers: list[float] | None = None  # created on the first step, as in PyTorch

    def step(self) -> None:
        """Apply one update to every parameter from its current ``.grad``."""
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        if mu == 0.0:
            for p in self.params:
                g = p.grad + wd * p.data if wd else p.grad
                p.data -= lr * g
            return
        bufs = self._buffers
        first = bufs is None
        if bufs is None:
            bufs = self._buffers = [0.0] * len(self.params)
        for i, p in enumerate(self.params):
            g = p.grad + wd * p.data if wd else p.grad
            bufs[i] = g if first else mu * bufs[i] + g
            p.data -= lr * bufs[i]


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with PyTorch's defaults and bias correction.

    At step ``t`` (from 1), for each parameter with gradient ``g``:
    ``m = b1 * m + (1 - b1) * g``, ``v = b2 * v + (1 - b2) * g * g``,
    ``p -= lr * (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps)``.

    Args:
        params: The Values to optimise (or a module).
        lr: Learning rate, >= 0. Default 1e-3.
        betas: ``(b1, b2)``, each in [0, 1). Default (0.9, 0.999).
        eps: Added to the denominator for stability, > 0. Default 1e-8.

    Raises:
        TypeError: If a hyper-parameter is not a number or ``params`` is wrong.
        ValueError: If a hyper-parameter is out of range.
    """

    def __init__(
        self,
        params: Iterable[Value] | Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params)
        self.lr = check_real(lr, "lr", minimum=0.0, example=1e-3)
        if not isinstance(betas, (tuple, list)):
            raise TypeError(f"betas must be a pair (b1, b2), got {describe(betas)}; pass e.g. betas=(0.9, 0.999)")
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (b1, b2), got {len(betas)} numbers; pass e.g. betas=(0.9, 0.999)")
        self.betas = (
            check_real(betas[0], "betas[0]", minimum=0.0, below=1.0, example=0.9),
            check_real(betas[1], "betas[1]", minimum=0.0, below=1.0, example=0.999),
        )
        # eps > 0: with eps 0 a zero gradient makes 0/0 mid-update.
        self.eps = check_real(eps, "eps", above=0.0, example=1e-8)
        self.t = 0
        self._m = [0.0] * len(self.params)
        self._v = [0.0] * len(self.params)

    def step(self) -> None:
        """Apply one Adam update to every parameter from its current ``.grad``."""
        self.t += 1
        b1, b2 = self.betas
        c1 = 1.0 - b1**self.t
        c2 = 1.0 - b2**self.t
        lr, eps, m, v = self.lr, self.eps, self._m, self._v
        for i, p in enumerate(self.params):
            g = p.grad
            m[i] = b1 * m[i] + (1.0 - b1) * g
            v[i] = b2 * v[i] + (1.0 - b2) * g * g
            p.data -= lr * (m[i] / c1) / (math.sqrt(v[i] / c2) + eps)
