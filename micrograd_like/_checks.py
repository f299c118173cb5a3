"""Argument checks shared by every module: one helper per kind of argument.

The rule everywhere: a wrong *type* raises ``TypeError``, a right type with a bad
*value* raises ``ValueError``. Each message names the argument, shows what was
given, says what was expected, and suggests the fix, in one sentence.

``bool`` is an ``int`` subclass in Python, but passing ``True`` as a count, a rate
or a tolerance is almost always a slip, so these checks refuse it. (Data values are
different: ``Value(True)`` is accepted, see ``engine``.)

Standard library only: the engine may import this module.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["check_int", "check_real", "check_bool", "check_str", "check_choice", "check_instance", "describe"]


def describe(value: Any) -> str:
    """``"int 3"``, ``"str 'a'"``: the type and the repr, for error messages."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def check_int(value: Any, name: str, *, minimum: int | None = None, example: int | None = None) -> int:
    """An integer (not a bool), at least ``minimum`` when given."""
    hint = example if example is not None else (minimum if minimum is not None else 0)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        kind = "an int" if minimum is None else f"an int >= {minimum}"
        raise TypeError(f"{name} must be {kind}, got {describe(value)}; pass e.g. {name}={hint}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}; pass e.g. {name}={hint}")
    return int(value)


def check_real(
    value: Any,
    name: str,
    *,
    minimum: float | None = None,
    above: float | None = None,
    below: float | None = None,
    finite: bool = True,
    example: float | None = None,
) -> float:
    """A real number (not a bool) as a float.

    ``minimum`` is inclusive, ``above`` and ``below`` are exclusive bounds;
    ``finite`` refuses NaN and the infinities.
    """
    bounds = []
    if minimum is not None:
        bounds.append(f">= {minimum}")
    if above is not None:
        bounds.append(f"> {above}")
    if below is not None:
        bounds.append(f"< {below}")
    kind = "a finite number" if finite else "a number"
    if bounds:
        kind += " " + " and ".join(bounds)
    hint = f"; pass e.g. {name}={example}" if example is not None else ""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {kind}, got {describe(value)}{hint}")
    try:
        x = float(value)
    except OverflowError:
        raise ValueError(
            f"{name} must be {kind}, got {describe(value)}, which is too large for a float{hint}"
        ) from None
    bad = (finite and not math.isfinite(x)) or math.isnan(x)
    bad = bad or (minimum is not None and x < minimum)
    bad = bad or (above is not None and not x > above)
    bad = bad or (below is not None and not x < below)
    if bad:
        raise ValueError(f"{name} must be {kind}, got {value!r}{hint}")
    return x


def check_bool(value: Any, name: str) -> bool:
    """Exactly ``True`` or ``False`` (not 0, 1 or None)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return value


def check_str(value: Any, name: str, *, allow_none: bool = False) -> str | None:
    """A str (or None when ``allow_none``)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        expected = "a str or None" if allow_none else "a str"
        raise TypeError(f"{name} must be {expected}, got {describe(value)}")
    return value


def check_choice(value: Any, name: str, choices: Iterable[str], *, ignore_case: bool = False) -> str:
    """One of the strings in ``choices`` (returned as spelled in ``choices``).

    With ``ignore_case``, ``"lr"`` matches the choice ``"LR"``.
    """
    choices = tuple(choices)
    listed = ", ".join(repr(c) for c in choices)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {listed}, got {describe(value)}")
    for choice in choices:
        if value == choice or (ignore_case and value.casefold() == choice.casefold()):
            return choice
    raise ValueError(f"{name} must be one of {listed}, got {value!r}")


def check_instance(value: Any, name: str, cls: type[T], expected: str, *, example: str | None = None) -> T:
    """An instance of ``cls``; ``expected`` says it in words (``"a random.Random"``)."""
    if not isinstance(value, cls):
        hint = f"; pass e.g. {name}={example}" if example is not None else ""
        raise TypeError(f"{name} must be {expected}, got {describe(value)}{hint}")
    return value
