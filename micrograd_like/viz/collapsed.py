"""The collapsed view: one box per neuron or labelled sub-expression, for graphs too big to draw."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import graphviz

from micrograd_like._checks import check_real

from . import _labels as L
from ._args import check_min_group_size, check_rankdir, check_title, check_value
from ._groups import Group, fmt, group_gradients
from .graph import _new_digraph, legend_rows, trace

__all__ = ["MAX_ROWS_PER_BLOCK", "OTHER_BLOCK", "block_key", "draw_collapsed"]

#: The box of Values whose inputs come from several blocks (the loss's sums, usually).
OTHER_BLOCK = "everything else"
#: A box lists at most this many of its labelled Values; the rest are counted.
MAX_ROWS_PER_BLOCK = 24
_PARAMETER = re.compile(r"^(?P<owner>.+)\.(?:w\.\d+|b)$")


def block_key(v: Any) -> str | None:
    """The default box of a Value: its label, with nn's ``.w.<k>``/``.b`` suffix cut off.

    So ``layers.0.neurons.3.w.1`` and ``layers.0.neurons.3.b`` land in the box
    ``layers.0.neurons.3`` (one box per neuron), any other label is a box of its own,
    and an unlabelled Value gets None (its box is decided by its inputs).
    """
    label = str(v.label)
    if not label:
        return None
    m = _PARAMETER.match(label)
    return m.group("owner") if m else label


def draw_collapsed(
    root: Any,
    *,
    key: Callable[[Any], str | None] = block_key,
    rankdir: str = "LR",
    rtol: float = 1e-9,
    min_group_size: int = 2,
    title: str | None = None,
) -> graphviz.Digraph:
    """Draw a graph of any size as one box per neuron or labelled sub-expression.

    Each Value is put in a box: a Value for which ``key`` gives a name goes into
    the box of that name (by default a parameter of :mod:`micrograd_like.nn` into
    its neuron's box, another labelled Value into its own box). An unlabelled
    Value joins the box of its named inputs (``w * x`` belongs to ``w``'s neuron),
    or else the box all its inputs share, or else the box ``"everything else"``;
    unlabelled inputs and constants are counted but not drawn. Each box shows
    how many Values it holds and by which ops, and lists its named Values with
    data and gradient; gradients shared by at least ``min_group_size`` named
    Values are coloured and lettered as in :func:`~micrograd_like.viz.draw_dot`.
    An arrow says how many values flow from one box to another.

    Args:
        root: The Value to draw (usually the loss after ``backward()``).
        key: Value -> box name or None; the default is :func:`block_key`.
        rankdir, rtol, min_group_size, title: As in :func:`~micrograd_like.viz.draw_dot`.

    Returns:
        An unrendered :class:`graphviz.Digraph` with one DOT node ``b{i}`` per box.

    Raises:
        TypeError: If ``root`` is not a Value, ``key`` not callable, or an option has the wrong type.
        ValueError: If an option has a bad value.
    """
    check_value(root, "draw_collapsed")
    if not callable(key):
        raise TypeError(
            f"key must be a function Value -> str or None, got {type(key).__name__}; pass e.g. key=block_key"
        )
    rankdir = check_rankdir(rankdir)
    rtol = check_real(rtol, "rtol", minimum=0.0, example=1e-9)
    min_size = check_min_group_size(min_group_size)
    title = check_title(title)
    nodes, edges = trace(root)
    blocks, named = _assign_blocks(nodes, key)
    shown = [v for v in nodes if id(v) in named]
    groups = group_gradients(
        [v.grad for v in shown], rtol, leaves=[True] * len(shown), min_size=min_size
    )
    dot = _new_digraph("collapsed", rankdir, nodesep="0.3", ranksep="0.8")
    order = _add_blocks(
        dot,
        nodes,
        blocks,
        named,
        dict(zip(map(id, shown), (groups.get(i) for i in range(len(shown))))),
        root,
    )
    _add_block_edges(dot, edges, blocks, order)
    hidden = sum(1 for v in nodes if blocks[id(v)] is None)
    rows = legend_rows(groups, min_size, noun="named Value") + [_edges_note(hidden)]
    header = L.h(
        f"One box per neuron or labelled sub-expression ({len(nodes):,} Values in all); "
        f"same colour and letter = same gradient (rtol={rtol:g})"
    )
    dot.attr(label=L.graph_label(title, header, rows), labelloc="t", labeljust="l")
    return dot


def _assign_blocks(
    nodes: list[Any], key: Callable[[Any], str | None]
) -> tuple[dict[int, str | None], set[int]]:
    """Value id -> box name (None: not drawn), and the ids of Values named by ``key``."""
    blocks: dict[int, str | None] = {}
    named: set[int] = set()
    for v in nodes:  # inputs before the Values computed from them
        name = key(v)
        if name is not None:
            blocks[id(v)] = str(name)
            named.add(id(v))
            continue
        children = v.children
        from_named = {blocks[id(c)] for c in children if id(c) in named}
        from_any = {blocks[id(c)] for c in children if blocks[id(c)] is not None}
        candidates = from_named or from_any
        blocks[id(v)] = (
            candidates.pop()
            if len(candidates) == 1
            else (OTHER_BLOCK if candidates else None)
        )
    return blocks, named


def _add_blocks(dot, nodes, blocks, named, group_of, root) -> dict[str, int]:
    """One DOT node per box, in order of first appearance; returns box name -> index."""
    members: dict[str, list[Any]] = {}
    for v in nodes:
        name = blocks[id(v)]
        if name is not None:
            members.setdefault(name, []).append(v)
    order = {name: i for i, name in enumerate(members)}
    for name, values in members.items():
        shown = [v for v in values if id(v) in named]
        is_root = any(v is root for v in values)
        dot.node(
            f"b{order[name]}", **_block_attrs(name, values, shown, group_of, is_root)
        )
    return order


def _block_attrs(
    name: str, values: list[Any], shown: list[Any], group_of: dict, is_root: bool
) -> dict[str, str]:
    ops = Counter(v.op for v in values if v.op)
    op_text = ", ".join(f"{n} {op}" for op, n in ops.most_common(4)) + (
        ", ..." if len(ops) > 4 else ""
    )
    rows = [
        f'<tr><td colspan="3"><b>{L.h(name)}</b></td></tr>',
        f'<tr><td colspan="3">{L.h(L.count(len(values), "Value"))}{L.h(": " + op_text) if op_text else ""}</td></tr>',
    ]
    if shown:
        rows.append(
            '<tr><td align="left"><i>named</i></td><td align="right"><i>data</i></td>'
            '<td align="right"><i>grad</i></td></tr>'
        )
    rows += [_value_row(v, group_of.get(id(v))) for v in shown[:MAX_ROWS_PER_BLOCK]]
    if len(shown) > MAX_ROWS_PER_BLOCK:
        rows.append(
            f'<tr><td colspan="3">... and {len(shown) - MAX_ROWS_PER_BLOCK} more (see the tooltip)</td></tr>'
        )
    tip = [name, L.count(len(values), "Value")] + [
        f"{v.label}: data = {v.data!r}, grad = {v.grad!r}" for v in shown
    ]
    attrs = {
        "label": "<" + L.table(rows, cellpadding="2") + ">",
        "tooltip": L.tooltip(tip),
    }
    if is_root:
        attrs["peripheries"] = "2"
    return attrs


def _value_row(v: Any, group: Group | None) -> str:
    grad = L.h(fmt(v.grad)) + (
        f" <b>{L.h(group.tag)}</b>"
        if group is not None and group.kind == "shared"
        else ""
    )
    colour = (
        f' bgcolor="{group.fillcolor}"'
        if group is not None and group.kind != "nonfinite"
        else ""
    )
    if group is not None and group.kind == "nonfinite":
        grad = f'<font color="#CC3311"><b>{grad}</b></font>'
    return (
        f'<tr><td align="left">{L.h(v.label)}</td><td align="right">{L.h(fmt(v.data))}</td>'
        f'<td align="right"{colour}>{grad}</td></tr>'
    )


def _add_block_edges(
    dot: graphviz.Digraph, edges: list, blocks: dict, order: dict[str, int]
) -> None:
    flows: Counter[tuple[int, int]] = Counter()
    for child, parent in edges:
        a, b = blocks[id(child)], blocks[id(parent)]
        if a is not None and b is not None and a != b:
            flows[(order[a], order[b])] += 1
    for (a, b), n in flows.items():
        width = f"{1 + math.log10(n):.2f}"
        dot.edge(
            f"b{a}",
            f"b{b}",
            label=str(n) if n > 1 else "",
            penwidth=width,
            tooltip=L.tooltip([f"{L.count(n, 'value')} flow from here to there"]),
            fontsize="9",
        )


def _edges_note(hidden: int) -> str:
    text = "arrow = values flowing from one box into another (the number says how many)"
    if hidden:
        text += f"; {hidden:,} unlabelled inputs and constants are not drawn"
    return L.h(text)
