"""Argument checks of the drawing functions, on top of :mod:`micrograd_like._checks`."""

from __future__ import annotations

from typing import Any

from micrograd_like._checks import check_choice, check_int, check_str, describe
from micrograd_like.engine import Value

from ._style import RANKDIRS

__all__ = ["check_min_group_size", "check_rankdir", "check_title", "check_value"]


def check_value(root: Any, who: str) -> Value:
    """The Value to draw; anything else is a TypeError that points to draw_network for models."""
    if not isinstance(root, Value):
        raise TypeError(
            f"{who} needs a Value (for example your loss), got {describe(root)}; "
            "to draw a model's neurons use draw_network(model)"
        )
    return root


def check_rankdir(rankdir: Any) -> str:
    """A Graphviz direction, any case: LR, RL, TB or BT."""
    return check_choice(rankdir, "rankdir", RANKDIRS, ignore_case=True)


def check_title(title: Any) -> str | None:
    """A caption (lines separated by \\n) or None; the empty string means no title."""
    return check_str(title, "title", allow_none=True) or None


def check_min_group_size(min_group_size: Any) -> int:
    """How many nodes a gradient group needs to be coloured (at least 2)."""
    return check_int(min_group_size, "min_group_size", minimum=2, example=3)
