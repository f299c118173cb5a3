"""What a user op gives back is checked at the op's boundary; ``defop(..., check=True)``.

The library's own ops are trusted and run unchecked (they are the hot path). An op
registered with :func:`~micrograd_like.registry.defop` after them is wrapped:

* its forward must give a real number, stored as a float (an int or a numpy scalar is
  converted, as ``Value(3)`` is); a complex number, a str, None or a Value raises
  TypeError, and NaN from inputs that are all finite raises ValueError (the op is not
  defined there: its ``domain=`` should say so). NaN or an infinity in gives any float out.
* its derivative likewise (floats, or Values when differentiating with
  ``create_graph=True``), and an exception other than a math error raised inside it
  is raised again, same type, naming the op and its inputs (math errors are named by
  the engine's derivative-error builder, which the same words come from).

The wrappers cost a call and a type test per node of a user op, never of a built-in.
Compiled replays call the same wrapped functions, so they check the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ._checks import describe
from ._core import BARE_MATH_ERRORS, Value, abbreviated, derivative_message, is_real

if TYPE_CHECKING:
    from ._registry import OpSpec

__all__ = ["OpResultError", "checked_forward", "checked_vjp", "self_check"]

_INPUTS = ("x", "y")


class OpResultError(ValueError):
    """A user op's forward or derivative gave NaN from finite numbers, or a number
    beyond the float range. Its own type, so that the engine passes it on unchanged."""


def _number(x: Any) -> Any:
    return x.data if isinstance(x, Value) else x


def _at(spec: OpSpec, params: tuple, xs: Sequence[Any]) -> str:
    """``"x = -4.0"``, ``"x = 1.0, y = 2.0"``, then the parameters: ``"x = -1.0 (slope = 0.2)"``."""
    text = ", ".join(f"{var} = {_number(x)!r}" for var, x in zip(_INPUTS, xs))
    if params:
        text += " (" + ", ".join(f"{n} = {v!r}" for (n, _), v in zip(spec.params, params)) + ")"
    return text


def _all_finite(numbers: Sequence[Any]) -> bool:
    return all(isinstance(n, float) and math.isfinite(n) for n in map(_number, numbers))


def _as_result(what: str, result: Any, operands: Sequence[Any], fix: str) -> float:
    """``result`` as a float, or the error that says why it cannot be one (``what`` names it)."""
    if is_real(result):
        try:
            number = float(result)
        except OverflowError:
            raise OpResultError(f"{what} gave {abbreviated(result)}, beyond the largest float; {fix}") from None
        if number == number or not _all_finite(operands):
            return number
        raise OpResultError(
            f"{what} gave nan although every input is finite, so the op is not defined there; "
            f"refuse such inputs with domain=Interval(...) (see registry.Interval), or {fix}"
        )
    hint = ""
    if isinstance(result, complex):
        hint = " (x ** 0.5 of a negative x is complex in Python: use math.sqrt, which refuses it)"
    raise TypeError(f"{what} gave {describe(result)}, but it must be a real number (a float){hint}; {fix}")


def checked_forward(spec: OpSpec, params: tuple, forward: Callable[..., Any]) -> Callable[..., float]:
    """``forward`` (parameters already bound) with its result checked."""
    fix = f"fix the forward given to defop({spec.name!r}, ...)"

    def wrong(xs: tuple, result: Any) -> float:
        return _as_result(f"the op {spec.name}, at {_at(spec, params, xs)},", result, xs, fix)

    if spec.arity == 1:

        def forward1(x: float) -> float:
            result = forward(x)
            if type(result) is float and result == result:  # the common case: one test
                return result
            return wrong((x,), result)

        return forward1

    def forward2(x: float, y: float) -> float:
        result = forward(x, y)
        if type(result) is float and result == result:
            return result
        return wrong((x, y), result)

    return forward2


def checked_vjp(spec: OpSpec, params: tuple, vjp: Callable[..., tuple]) -> Callable[..., tuple]:
    """``vjp(g, out, *inputs)`` with its results checked and its failures named."""

    def failed(xs: tuple, error: Exception) -> Exception:
        if isinstance(error, BARE_MATH_ERRORS):  # the engine names the op (its derivative-error builder)
            return error
        return _broken(spec, params, xs, error)

    if spec.arity == 1:

        def vjp1(g: Any, out: Any, x: Any) -> tuple:
            try:
                result = vjp(g, out, x)
            except Exception as error:  # noqa: BLE001 - named, same type, then raised
                raise failed((x,), error) from None
            d = result[0]
            if type(d) is float and d == d:  # the common case: one test
                return result
            return _vjp_results(spec, params, (g, out, x), result)

        return vjp1

    def vjp2(g: Any, out: Any, x: Any, y: Any) -> tuple:
        try:
            result = vjp(g, out, x, y)
        except Exception as error:  # noqa: BLE001 - named, same type, then raised
            raise failed((x, y), error) from None
        dx, dy = result
        if type(dx) is float and type(dy) is float and dx == dx and dy == dy:
            return result
        return _vjp_results(spec, params, (g, out, x, y), result)

    return vjp2


def _broken(spec: OpSpec, params: tuple, xs: Sequence[Any], error: Exception) -> Exception:
    """``error`` raised again with the op, its inputs and the fix in front (same type when it can be)."""
    op = spec.op(*params)
    message = derivative_message(op, [_number(x) for x in xs], error)
    message += f"; fix the derivative given to defop({spec.name!r}, ...)"
    if isinstance(error, TypeError) and any(isinstance(x, Value) for x in xs):
        message += ": write it with micrograd_like.functions (cos, exp, ...) and arithmetic, not math"
    try:
        named = type(error)(message)
        same = str(named) == message
    except Exception:  # noqa: BLE001 - an exception class that takes other arguments
        same = False
    if not same:
        named = RuntimeError(message)
        named.__cause__ = error
    return named.with_traceback(error.__traceback__)


def _vjp_results(spec: OpSpec, params: tuple, operands: tuple, result: tuple) -> tuple:
    """The slow path of ``checked_vjp``: Values pass, real numbers become floats, else an error."""
    g, out, *xs = operands
    fix = f"fix the derivative given to defop({spec.name!r}, ...)"
    checked: list[Any] = []
    for var, d in zip(_INPUTS, result):
        if isinstance(d, Value):  # create_graph=True: a node made by checked ops
            checked.append(d)
            continue
        what = f"the derivative of {spec.name} with respect to {var}, at {_at(spec, params, xs)},"
        if not is_real(d):
            d = _raw_derivative(spec, params, xs, out, var, d)
        checked.append(_as_result(what, d, operands, fix))
    return tuple(checked)


def _raw_derivative(spec: OpSpec, params: tuple, xs: Sequence[Any], out: Any, var: str, product: Any) -> Any:
    """What the derivative formula itself returned for input ``var`` (the vjp gave g times it)."""
    from ._registry import call_derivative  # the module that imports this one

    try:
        return call_derivative(spec, tuple(xs), params, out)[_INPUTS.index(var)]
    except Exception:  # noqa: BLE001 - then the product is what there is to show
        return product


# -- defop(..., check=True) ---------------------------------------------------------------


def sample_points(spec: OpSpec, params: tuple) -> list[tuple[float, ...]]:
    """A few points inside the op's domain, away from the points it avoids."""
    intervals = spec.intervals(*params)
    assert intervals is not None, "self_check is only called for ops with a domain"
    fractions = (0.07, 0.21, 0.38, 0.54, 0.69, 0.86)
    columns = []
    for iv in intervals:
        low, high = iv.box(3.0)
        near = 2 * iv.margin
        column = [float(f"{low + (high - low) * f:.3g}") for f in fractions]  # short, for messages
        columns.append([x for x in column if all(abs(x - a) > near for a in iv.avoid)])
    if len(columns) == 1:
        return [(x,) for x in columns[0]]
    xs, ys = columns
    return [(x, ys[(i + 2) % len(ys)]) for i, x in enumerate(xs)] if ys else []


def self_check(spec: OpSpec) -> None:
    """gradcheck the op at its domain's sample points, for every example parameter.

    Raises:
        ValueError: the derivative disagrees with finite differences (or fails) at a point,
            or the op has no domain to take points from.
    """
    from .gradcheck import GradcheckError, gradcheck  # the same layer, imported after the engine

    if spec.domain is None:
        raise ValueError(f"defop({spec.name!r}, ..., check=True) checks the derivative at points of the "
                         "domain, and the op has none; pass domain=REALS or an Interval")  # fmt: skip
    function = spec.function
    for params in spec.examples:
        for point in sample_points(spec, params):
            where = f"{spec.name} at {_at(spec, params, point)}"
            try:
                gradcheck(lambda *xs, p=params: function(*xs, *p), list(point))
            except GradcheckError as error:
                table = str(error).split("\n", 1)[1]
                raise ValueError(
                    f"defop({spec.name!r}, ..., check=True): the derivative of {where} disagrees with "
                    f"finite differences; fix the derivative (or the forward):\n{table}"
                ) from None
            except NameError as error:
                raise ValueError(
                    f"defop({spec.name!r}, ..., check=True): {error}; a function the derivative calls must "
                    "exist when it is checked: register that function first, or register without check=True "
                    "and call gradcheck once both exist"
                ) from None
            except Exception as error:  # noqa: BLE001 - any other failure at a point inside the domain
                raise ValueError(
                    f"defop({spec.name!r}, ..., check=True): {where} fails inside its domain: "
                    f"{type(error).__name__}: {error}; fix the op, or narrow domain= to where it is defined"
                ) from None
