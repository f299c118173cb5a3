"""Static arguments of ``compile``: values that choose the graph, kept out of the trace.

A static argument is passed to the function as it is; its value joins the recording's
key, so each distinct value gets a recording of its own and equal values replay it.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable
from typing import Any

from ._checks import check_int, check_str, describe
from .engine import Value

__all__ = ["StaticSpec", "renumber"]


def _as_tuple(x: Any, kind: type, what: str) -> tuple:
    items = (x,) if isinstance(x, (int, str)) else x
    if not isinstance(items, (tuple, list)):
        raise TypeError(f"compile's {what} must be a {kind.__name__} or a tuple of them, got {describe(x)}")
    if kind is int:
        return tuple(check_int(i, what, minimum=0) for i in items)
    return tuple(check_str(n, what) for n in items)


def _parameter_names(fn: Callable) -> list[str]:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _checked(value: Any, where: str) -> Any:
    """The static value, refused when it cannot be (part of) a recording's key."""
    if isinstance(value, Value):
        raise TypeError(
            f"static argument {where} is a Value ({value!r}); a static value must be a plain hashable "
            "value such as a word or an int; pass Values in through a closure instead"
        )
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        raise TypeError(
            f"static argument {where} is the number {value!r}: a static value is part of the recording's key, "
            "not a recorded number, so every new number would record the function again; pass numbers as "
            "ordinary (traced) arguments and keep static ones for values that choose the graph"
        )
    try:
        hash(value)
    except TypeError:
        raise TypeError(
            f"static argument {where} is an unhashable {type(value).__name__} ({value!r}); static values are "
            "keys of the recording cache, so pass a hashable one (a tuple instead of a list, a str, an int)"
        ) from None
    return value


class StaticSpec:
    """Which arguments of ``fn`` are static, by position and by name."""

    def __init__(self, fn: Callable, argnums: Any, argnames: Any) -> None:
        self.names = names = _parameter_names(fn)
        self.argnums = set(_as_tuple(argnums, int, "static_argnums"))
        self.argnames = set(_as_tuple(argnames, str, "static_argnames"))
        for name in self.argnames:  # a static name given by position is static too
            if name in names:
                self.argnums.add(names.index(name))
        for i in self.argnums:
            if i < len(names):
                self.argnames.add(names[i])

    def split(self, fn: Callable, args: tuple, kwargs: dict) -> tuple[Callable, tuple, tuple, list[int]]:
        """(function of the traced arguments, those arguments, the static key, their positions)."""
        if not (self.argnums or self.argnames or kwargs):
            return fn, args, (), list(range(len(args)))
        for name in kwargs:
            if name not in self.argnames:
                raise TypeError(
                    f"compiled {getattr(fn, '__name__', 'function')} got the keyword argument {name!r}, but only "
                    f"static arguments can be passed by keyword (static_argnames={sorted(self.argnames)}); "
                    "pass numbers by position, or declare it static"
                )
        label = {i: self.names[i] if i < len(self.names) else f"#{i}" for i in self.argnums}
        positional = {i: _checked(args[i], repr(label[i])) for i in sorted(self.argnums) if i < len(args)}
        keywords = {k: _checked(v, repr(k)) for k, v in kwargs.items()}
        positions = [i for i in range(len(args)) if i not in positional]
        dynamic = tuple(args[i] for i in positions)
        # keyed by name where there is one, so f(x, word="ab") and f(x, "ab") share a recording
        named = [(label[i], v) for i, v in positional.items()] + list(keywords.items())
        key = tuple(sorted((name, type(v).__qualname__, v) for name, v in named))

        def call(*traced: Any) -> Any:
            it = iter(traced)
            full = [positional[i] if i in positional else next(it) for i in range(len(args))]
            return fn(*full, **keywords)

        call.__name__ = getattr(fn, "__name__", "compiled")
        return call, dynamic, key, positions


def renumber(paths: list[str], positions: list[int]) -> list[str]:
    """Argument paths of the traced arguments (``arg0[2]``) numbered as in the full call."""
    out = []
    for path in paths:
        head, bracket, rest = path.partition("[")
        out.append(f"arg{positions[int(head[3:])]}{bracket}{rest}")
    return out
