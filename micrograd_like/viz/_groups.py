"""Grouping equal gradients: which nodes are drawn alike, and in which order."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ._style import ZERO_COLOR, looks, tag

__all__ = ["Group", "distinct_formats", "fmt", "group_gradients"]


@dataclass(frozen=True)
class Group:
    """A set of nodes drawn alike; ``kind`` is "shared", "neurons", "zero", "nonfinite" or "hidden" (drawn plain)."""

    kind: str
    tag: str
    value: float
    members: tuple[int, ...]
    fillcolor: str
    style: str  # extra node style ("" or "dashed"/"bold") for repeated colours
    named: bool = False  # holds a parameter or labelled input (a labelled Value computed from nothing)


def _runs(grads: Sequence[float], rtol: float, skip: Collection[int] = ()) -> list[list[int]]:
    """Indices of the finite nonzero gradients, in runs within ``rtol`` of each run's smallest."""
    rest = sorted((g, i) for i, g in enumerate(grads) if g != 0.0 and math.isfinite(g) and i not in skip)
    runs: list[list[tuple[float, int]]] = []
    for g, i in rest:
        if runs and math.isclose(g, runs[-1][0][0], rel_tol=rtol, abs_tol=0.0):
            runs[-1].append((g, i))
        else:
            runs.append([(g, i)])
    return [sorted(i for _, i in run) for run in runs]


def group_gradients(
    grads: Sequence[float],
    rtol: float,
    *,
    named: Sequence[bool] = (),
    min_size: int = 2,
    show_all: bool = True,
    skip: Collection[int] = (),
    first: int = 0,
) -> dict[int, Group]:
    """Map node index -> group for every node that is drawn specially.

    Exact zeros form the "zero" group and NaN/inf the "nonfinite" group, whatever
    their size. The other gradients are sorted; each group starts at its smallest
    gradient (the anchor, shown in the legend) and takes every following gradient
    within ``rtol`` of it, so every member really is within ``rtol`` of the value
    the legend prints. Groups of at least ``min_size`` (>= 2) nodes are coloured and
    lettered: first those holding a parameter or labelled input (``named[i]``
    true), largest first, then the others, largest first; ties by gradient. The
    groups holding a named Value get full colours (every group does when no node
    is named); the others get pale ones, or, without ``show_all``, no colour and
    no letter (kind "hidden": counted by the legend, drawn plain). Nodes in
    ``skip`` are drawn by someone else and join no group; letters and full colours
    start after the ``first`` ones already given out.
    """
    is_named = list(named) or [False] * len(grads)
    anything_named = any(is_named)
    runs = [run for run in _runs(grads, rtol, set(skip)) if len(run) >= min_size]
    holds = [any(is_named[i] for i in run) or not anything_named for run in runs]
    order = sorted(range(len(runs)), key=lambda r: (not holds[r], -len(runs[r]), grads[runs[r][0]]))
    shown = [r for r in order if holds[r] or show_all]
    loud_looks = iter(looks(first + sum(holds), loud=True)[first:])
    quiet_looks = iter(looks(len(shown) - sum(holds), loud=False))
    out: dict[int, Group] = {}
    for k, r in enumerate(order):
        members = tuple(runs[r])
        if k >= len(shown):
            group = Group("hidden", "", grads[members[0]], members, "", "")
        else:
            fill, style = next(loud_looks) if holds[r] else next(quiet_looks)
            group = Group("shared", tag(first + k), grads[members[0]], members, fill, style, holds[r])
        out.update((i, group) for i in members)
    zero = tuple(i for i, g in enumerate(grads) if g == 0.0 and i not in skip)
    if zero:
        out.update((i, Group("zero", "0", 0.0, zero, ZERO_COLOR, "")) for i in zero)
    nonfinite = tuple(i for i, g in enumerate(grads) if not math.isfinite(g) and i not in skip)
    if nonfinite:
        out.update((i, Group("nonfinite", "!", math.nan, nonfinite, "#FFFFFF", "bold")) for i in nonfinite)
    return out


def unique_groups(groups: dict[int, Group]) -> list[Group]:
    """Each group once, in letter order (shared groups first, then zero, then nonfinite)."""
    seen: dict[tuple[str, tuple[int, ...]], Group] = {}
    for group in groups.values():
        seen.setdefault((group.kind, group.members), group)
    rank = {"neurons": 0, "shared": 0, "zero": 1, "nonfinite": 2, "hidden": 3}
    return sorted(seen.values(), key=lambda g: (rank[g.kind], len(g.tag), g.tag))


def fmt(x: float, digits: int = 4) -> str:
    """A float with ``digits`` significant digits, trailing zeros kept (1.000)."""
    if not math.isfinite(x):
        return repr(x)
    return format(x, f"#.{digits}g")


def distinct_formats(values: Sequence[float]) -> list[str]:
    """Format values with 4 significant digits, or more if needed to tell them apart."""
    for digits in range(4, 18):
        texts = [fmt(v, digits) for v in values]
        if len(set(texts)) == len(texts):
            return texts
    return [repr(v) for v in values]
