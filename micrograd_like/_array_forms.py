"""How each registered op runs on whole arrays of samples, for :mod:`micrograd_like.batched`.

Everything comes from the op registry, by rule, with no list of op names:

* forward: a form given with :func:`set_array_form`; else the op's own forward when
  it is plain arithmetic (``+ - * neg``, read by ``_templates``); else the array
  library's function of the same name when the forward *is* a :mod:`math` function
  (``math.tanh`` -> ``xp.tanh``);
* derivative: the op's arithmetic derivative template (as ``compile`` uses it); else
  the registry's traced derivative formula, its function calls (``step(x)``, ``cos(x)``)
  resolved to those functions' array forwards; else a derivative given with
  :func:`set_array_form`.

An op none of these covers (a forward that is an opaque float function, a derivative
that branches on its input's value) is refused with an error naming it and the fix.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from typing import Any

from . import functions as _functions  # noqa: F401 - registers abs, sign, softplus, ... before their forms
from ._checks import check_str, describe
from ._registry import REGISTRY, foreign_calls, vjp_source
from ._templates import ATOM, Form, OpTemplate, template_for

__all__ = ["set_array_form", "forward_function", "vjp_function"]

# op name -> (forward(xp, *inputs, *params), derivative(xp, *inputs, out, *params) or None)
_FORMS: dict[str, tuple[Callable[..., Any], Callable[..., Any] | None]] = {}


def set_array_form(name: str, forward: Callable[..., Any], derivative: Callable[..., Any] | None = None) -> None:
    """Tell vectorized replays how the registered op ``name`` runs on arrays.

    Args:
        name: The op's registered name (``defop``'s first argument).
        forward: ``forward(xp, x[, y], *params)``: the op on arrays, where ``xp`` is the
            ``numpy`` or the ``torch`` module; write it with functions both have
            (``xp.where``, ``xp.exp``, ``xp.log``, arithmetic).
        derivative: Only needed when the op's derivative formula branches on its input
            (``0 if x == 0 else ...``): ``derivative(xp, x[, y], out, *params)`` returning
            the local derivative (a tuple of two for a binary op), on arrays.
    """
    check_str(name, "set_array_form's name")
    if name not in REGISTRY:
        raise ValueError(f"set_array_form: no op named {name!r} is registered; register it with defop first")
    for what, f in (("forward", forward), ("derivative", derivative)):
        if f is not None and not callable(f):
            raise TypeError(f"set_array_form's {what} must be a function of (xp, inputs...), got {describe(f)}")
    _FORMS[name] = (forward, derivative)


def _refusal(op: Any, why: str) -> TypeError:
    name = op.spec.name if getattr(op, "spec", None) is not None else op.name
    return TypeError(
        f"the op {name!r} cannot run on arrays: {why}; give it an array form with "
        f"micrograd_like.batched.set_array_form({name!r}, lambda xp, x: ...) written with xp.where, xp.exp "
        "and arithmetic (xp is numpy or torch), or keep the op out of vectorized functions"
    )


def forward_function(op: Any, xp: Any, cache: dict) -> Callable[..., Any] | Form:
    """The op's forward on arrays: a function of the inputs, or its arithmetic template (in ``a``, ``b``)."""
    spec = getattr(op, "spec", None)
    if spec is None:
        raise _refusal(op, "it was not registered with defop, so there is no formula to run")
    params = op.params
    if spec.name in _FORMS:
        form = _FORMS[spec.name][0]
        return lambda *xs: form(xp, *xs, *params)
    template = template_for(op, spec.arity).forward
    if template is not None and not params:
        return template
    f = spec.forward
    name = getattr(f, "__name__", "")
    if getattr(math, name, None) is not f or params:
        raise _refusal(op, f"its forward {describe(f)} is an opaque float function")
    function = getattr(xp, name, None)
    if not callable(function):
        raise _refusal(op, f"its forward is math.{name}, and {xp.__name__} has no function {name}")
    return function


def vjp_function(op: Any, xp: Any, cache: dict) -> Callable[..., Any] | OpTemplate:
    """The op's backward on arrays: its arithmetic template (``.vjp``: one form per input,
    in ``g o a b``), or ``vjp(g, out, *inputs) -> contributions`` from the registry's formula."""
    spec = op.spec
    template = template_for(op, spec.arity)
    if template.vjp is not None:
        return template
    derivative = _FORMS.get(spec.name, (None, None))[1]
    if derivative is not None:
        params = op.params

        def vjp(g: Any, out: Any, *xs: Any) -> tuple:
            d = derivative(xp, *xs, out, *params)
            return tuple(g * part for part in (d if isinstance(d, tuple) else (d,)))

        return vjp
    source = vjp_source(op)
    if source is None:
        raise _refusal(op, "its derivative formula branches on its input's value; give set_array_form a derivative=")
    foreign = foreign_calls(op)
    if foreign:
        called = ", ".join(foreign)
        raise _refusal(
            op,
            f"its derivative formula calls {called}, which is not a registered op of that name; "
            "give set_array_form a derivative=",
        )
    return eval(source, _namespace(xp, cache))  # noqa: S307 - the registry's own traced formula


def _namespace(xp: Any, cache: dict) -> dict:
    """What a traced derivative formula calls: every registered function, on arrays."""
    if "namespace" in cache:
        return cache["namespace"]
    namespace: dict[str, Any] = {"__builtins__": builtins, "_pow": lambda x, c: x**c}

    def array_function(spec: Any) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            inputs, params = args[: spec.arity], args[spec.arity :]
            forward = forward_function(spec.op(*params), xp, cache)
            if isinstance(forward, Form):
                text = forward.fill({n: (n, ATOM) for n in "ab"})[0]
                return eval(text, {}, dict(zip("ab", inputs)))  # noqa: S307 - an arithmetic template
            return forward(*inputs)

        return call

    for name, spec in REGISTRY.items():
        if spec.symbol is None:
            namespace[name] = array_function(spec)
    cache["namespace"] = namespace
    return namespace


def _vpow_derivative(xp: Any, x: Any, y: Any, out: Any) -> tuple:
    # The engine's limits at a zero base: 0 for both derivatives where its formula has 0 * inf.
    zero = x == 0.0
    safe = xp.where(zero, 1.0, x)
    d_base = xp.where(zero & (y == 0.0), 0.0, y * x ** (y - 1))
    return d_base, xp.where(zero, 0.0, out * xp.log(safe))


# Forms with branches pick their input with where(), never through abs(): torch's autograd
# differentiates the form itself, and abs has slope 0 at 0, which would lose the slope there.


def _sigmoid(xp: Any, a: Any) -> Any:
    positive = 1.0 / (1.0 + xp.exp(-xp.where(a >= 0.0, a, 0.0 * a)))  # the engine's two branches,
    e = xp.exp(xp.where(a < 0.0, a, 0.0 * a))  # each exp seeing only arguments <= 0: no overflow
    return xp.where(a >= 0.0, positive, e / (1.0 + e))


def _softplus(xp: Any, a: Any) -> Any:
    minus_abs = xp.where(a > 0.0, -a, a)
    return xp.where(a > 0.0, a, 0.0 * a) + xp.log1p(xp.exp(minus_abs))


def _builtin_forms() -> None:
    """The built-in ops whose float forwards guard their domain or branch (no math twin)."""
    set_array_form("div", lambda xp, a, b: a / b)
    set_array_form("pow", lambda xp, a, c: a**c)
    set_array_form("vpow", lambda xp, a, b: a**b, _vpow_derivative)
    set_array_form("exp", lambda xp, a: xp.exp(a))
    set_array_form("log", lambda xp, a: xp.log(a))
    set_array_form("abs", lambda xp, a: xp.abs(a))
    set_array_form("relu", lambda xp, a: xp.where(a <= 0.0, 0.0 * a, a))
    # each where has an array branch: torch gives where(c, 1.0, 0.0) its default dtype, float32
    set_array_form("step", lambda xp, a: xp.where(a > 0.0, 1.0, xp.where(a <= 0.0, 0.0, a)))  # NaN stays NaN
    set_array_form("sign", lambda xp, a: xp.where(a > 0.0, 1.0, xp.where(a < 0.0, -1.0, a * 0.0)))
    set_array_form("leaky_relu", lambda xp, a, slope: xp.where(a > 0.0, a, slope * a))
    set_array_form("sigmoid", _sigmoid)
    set_array_form("softplus", _softplus)


_builtin_forms()
