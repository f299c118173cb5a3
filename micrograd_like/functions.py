"""Elementwise functions that accept a float or a Value, and ``defop`` to add your own.

Each function is an op of the registry (:mod:`micrograd_like.registry`): given a
float it returns a float, given a Value it records a node, and every one is also a
``Value`` method (``x.sin()``). Derivative formulas are written with them, so they
read like mathematics and work at any order::

    from micrograd_like.functions import cos, defop
    sin = defop("sin", math.sin, lambda x: cos(x), domain=REALS)

(``sin`` is already here; that line is how it is defined.)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from . import _ops  # noqa: F401 - the library's own ops, registered first
from ._core import Value
from ._registry import REALS, REGISTRY, Interval, built_ins_done, defop

__all__ = [
    "defop", "Interval", "REALS",
    "exp", "log", "tanh", "sigmoid", "relu", "step", "sign", "abs", "sqrt",
    "sin", "cos", "softplus", "leaky_relu", "log1p", "expm1",
]  # fmt: skip

# The ops registered in _ops.
exp = REGISTRY["exp"].function
log = REGISTRY["log"].function
tanh = REGISTRY["tanh"].function
sigmoid = REGISTRY["sigmoid"].function
relu = REGISTRY["relu"].function
step = REGISTRY["step"].function

_KINK = Interval(avoid=(0.0,))
cos: Callable[..., Any]  # defined below sin, whose derivative it is


def _sign(x: float) -> float:
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else x * 0.0)  # sign(0) = 0, NaN stays NaN


def _softplus(x: float) -> float:
    # log(1 + e**x) without overflow: max(x, 0) + log1p(e**-|x|)
    return max(x, 0.0) + math.log1p(math.exp(-math.fabs(x)))


def _leaky_relu(x: float, slope: float) -> float:
    return x if x > 0.0 else slope * x  # NaN > 0 is False: slope * NaN is NaN


sign = defop("sign", _sign, lambda x: 0.0, domain=_KINK, doc="-1, 0 or 1 (the slope of abs)")
abs = defop("abs", math.fabs, lambda x: sign(x), domain=_KINK, doc="|x|; slope 0 at x = 0")
sin = defop("sin", math.sin, lambda x: cos(x), domain=REALS, doc="sine")
cos = defop("cos", math.cos, lambda x: -sin(x), domain=REALS, doc="cosine")
sqrt = defop(
    "sqrt", math.sqrt, lambda x, out: 0.5 / out,
    domain=Interval(0.0, closed=True, hint="non-negative (for example sqrt(x*x + 1e-12))"),
    doc="square root; its derivative is infinite at 0",
)  # fmt: skip
softplus = defop("softplus", _softplus, lambda x: sigmoid(x), domain=REALS, doc="log(1 + e ** x), stable")
leaky_relu = defop(
    "leaky_relu", _leaky_relu, lambda x, slope: slope + (1 - slope) * step(x),
    domain=_KINK, params={"slope": 0.01}, examples=((0.01,), (0.2,)),
    doc="x for x > 0, else slope * x (slope 0.01 unless given)",
)  # fmt: skip
log1p = defop(
    "log1p", math.log1p, lambda x: 1 / (1 + x),
    domain=Interval(-1.0, hint="above -1 (for example log1p(x*x))"), doc="log(1 + x), accurate near 0",
)  # fmt: skip
expm1 = defop("expm1", math.expm1, lambda x, out: out + 1, domain=REALS, doc="e ** x - 1, accurate near 0")

Value.__abs__ = Value.abs  # type: ignore[method-assign]  # abs(v) once the op is registered
built_ins_done()  # the library's ops end here: ops registered from now on have their results checked
