"""Check analytic gradients against central finite differences.

``gradcheck`` is how this library proves its own gradients (the test-suite runs it
under Hypothesis), and it is public so that users can prove theirs: a new op, a
loss, a whole model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ._checks import check_int, check_real
from .engine import Number, Value, as_float, grad, is_real

__all__ = ["GradcheckError", "gradcheck", "numerical_grad"]

Function = Callable[..., Value]


class GradcheckError(AssertionError):
    """Analytic and numerical derivatives disagree.

    The message is a table of every checked derivative, analytic next to numeric,
    with the ones out of tolerance marked. It subclasses AssertionError so that
    pytest shows it as a test failure, but it is raised explicitly, so ``python -O``
    does not remove the check.
    """


def _positive(name: str, x: object, allow_zero: bool, example: float) -> float:
    if allow_zero:
        return check_real(x, name, minimum=0.0, example=example)
    return check_real(x, name, above=0.0, example=example)


def _points(inputs: Sequence[Number | Value]) -> list[float]:
    if isinstance(inputs, Value) or is_real(inputs):
        raise TypeError(
            f"inputs must be a sequence of numbers, got a single {type(inputs).__name__}; wrap it in a list: [x]"
        )
    points = []
    for i, x in enumerate(inputs):
        # The engine's rule for numbers (int, float, bool, Fraction, numpy scalars).
        points.append(x.data if isinstance(x, Value) else as_float(x, f"inputs[{i}]"))
    if not points:
        raise ValueError("inputs is empty: pass the point to check at, e.g. [0.5, -1.0]")
    return points


def _evaluate(f: Function, point: Sequence[float]) -> Value:
    out = f(*[Value(x) for x in point])
    if not isinstance(out, Value):
        raise TypeError(f"f must return a Value, but it returned {type(out).__name__} {out!r}")
    return out


def numerical_grad(f: Function, inputs: Sequence[Number | Value], eps: float = 1e-6) -> list[float]:
    """Estimate the gradient of ``f`` at ``inputs`` by central differences.

    Each partial derivative is ``(f(x + h) - f(x - h)) / 2h`` with the step
    ``h = eps * max(1, |x|)``, so that large inputs get a step that still changes
    them in floating point. ``f`` is called on fresh Values every time.

    Args:
        f: Called as ``f(*values)`` with one Value per input; must return a Value.
        inputs: The point: real numbers, or Values whose ``.data`` is used.
        eps: The relative step, > 0.

    Returns:
        One float per input.

    Raises:
        TypeError: ``f`` does not return a Value, or an input is not a real number.
        ValueError: ``inputs`` is empty or ``eps`` is not a finite number > 0.
    """
    point = _points(inputs)
    eps = _positive("eps", eps, allow_zero=False, example=1e-6)
    result = []
    for i, x in enumerate(point):
        h = eps * max(1.0, abs(x))
        up, down = list(point), list(point)
        up[i], down[i] = x + h, x - h
        result.append((_evaluate(f, up).data - _evaluate(f, down).data) / (2.0 * h))
    return result


def _partial(f: Function, i: int) -> Function:
    """The function x -> d f(x) / d x_i, as a graph, so it can be differentiated again."""

    def df(*xs: Value) -> Value:
        return grad(f(*xs), xs, create_graph=True)[i]

    return df


def gradcheck(
    f: Function,
    inputs: Sequence[Number | Value],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    order: int = 1,
) -> bool:
    """Check the engine's derivatives of ``f`` against central finite differences.

    A derivative passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.
    With ``order=2`` the second derivatives (every entry of the Hessian) are checked
    too, by differencing the analytic first derivatives; higher orders likewise.

    Args:
        f: Called as ``f(*values)`` with one Value per input; must return a Value.
        inputs: The point to check at: real numbers (or Values, whose data is used).
        eps: Relative finite-difference step (see :func:`numerical_grad`).
        atol: Absolute tolerance, >= 0.
        rtol: Relative tolerance, >= 0.
        order: Highest order of derivative to check, 1 or more.

    Returns:
        True when every derivative is within tolerance.

    Raises:
        GradcheckError: Some derivative is out of tolerance (or NaN). The message
            lists every derivative of the failing order, analytic and numeric.
        TypeError: ``f`` does not return a Value, or an argument has the wrong type.
        ValueError: ``inputs`` is empty, or a tolerance or ``order`` is out of range.
    """
    point = _points(inputs)
    atol = _positive("atol", atol, allow_zero=True, example=1e-5)
    rtol = _positive("rtol", rtol, allow_zero=True, example=1e-3)
    eps = _positive("eps", eps, allow_zero=False, example=1e-6)
    order = check_int(order, "order", minimum=1, example=2)  # 1: gradients, 2: also Hessians

    n = len(point)
    # functions[k] is a derivative of f named by the input indices taken so far.
    functions: list[tuple[tuple[int, ...], Function]] = [((), f)]
    for level in range(1, order + 1):
        rows = []
        failed = False
        for taken, fn in functions:
            xs = [Value(x) for x in point]
            out = fn(*xs)
            if not isinstance(out, Value):
                raise TypeError(f"f must return a Value, but it returned {type(out).__name__} {out!r}")
            analytic = grad(out, xs)
            numeric = numerical_grad(fn, point, eps)
            for i in range(n):
                a, num = analytic[i], numeric[i]
                ok = abs(a - num) <= atol + rtol * abs(num)
                failed = failed or not ok
                rows.append((taken + (i,), a, num, ok))
        if failed:
            raise GradcheckError(_report(level, point, rows, atol, rtol))
        if level < order:
            functions = [(taken + (i,), _partial(fn, i)) for taken, fn in functions for i in range(n)]
    return True


def _report(level: int, point: list[float], rows: list, atol: float, rtol: float) -> str:
    what = "first derivatives" if level == 1 else f"derivatives of order {level}"
    lines = [
        f"gradcheck failed: {what} of f at x = {point} disagree with central differences "
        f"(tolerance: |analytic - numeric| <= {atol:g} + {rtol:g} * |numeric|)",
        f"  {'derivative':<22} {'analytic':>16} {'numeric':>16} {'abs error':>12}",
    ]
    for index, a, num, ok in rows:
        name = "d/" + " d/".join(f"dx[{i}]" for i in reversed(index)) + " f"
        mark = "" if ok else "   <-- MISMATCH"
        lines.append(f"  {name:<22} {a:>16.9g} {num:>16.9g} {abs(a - num):>12.3g}{mark}")
    return "\n".join(lines)
