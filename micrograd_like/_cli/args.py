"""Option values: each parser raises ArgumentTypeError naming the value and the fix."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence


def int_at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {value}")
        return value

    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)


def whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def widths(text: str) -> list[int]:
    try:
        result = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated layer widths such as 16,16, got {text!r}") from None
    if not result or min(result) < 1:
        raise argparse.ArgumentTypeError(f"every layer width must be >= 1, got {text!r}")
    return result


#: Options that take a number; see :func:`join_negative_numbers`.
NUMBER_OPTIONS: set[str] = set()


def number_option(parser: argparse.ArgumentParser, name: str, **kwargs: object) -> None:
    """``parser.add_argument(name, ...)`` for an option whose value is a number, so
    that a negative value in exponent form (``--value -1e-3``) is read as a value."""
    parser.add_argument(name, **kwargs)  # type: ignore[arg-type]  # passed through as argparse takes them
    NUMBER_OPTIONS.add(name)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def join_negative_numbers(argv: Sequence[str]) -> list[str]:
    """Write ``--value -1e-3`` as ``--value=-1e-3`` so argparse reads it as a value.

    argparse takes ``-1e-3`` for an option (it only recognises ``-1`` and ``-.5``
    as negative numbers). Only options that take a number are joined, and nothing
    after ``--``.
    """
    result: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            return result + list(argv[i:])
        following = argv[i + 1] if i + 1 < len(argv) else None
        if token in NUMBER_OPTIONS and following is not None and following.startswith("-") and _is_number(following):
            result.append(f"{token}={following}")
            i += 2
        else:
            result.append(token)
            i += 1
    return result
