"""The collapsed view: one box per neuron or labelled sub-expression, for graphs too big to draw."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import graphviz

from micrograd_like._checks import check_real, describe

from . import _labels as L
from ._args import check_min_group_size, check_rankdir, check_title, check_value
from ._groups import Group, fmt, group_gradients
from ._neurons import block_key
from ._style import NONFINITE_COLOR
from .graph import legend_rows, new_digraph, nodes_and_edges

__all__ = ["OTHER_BLOCK", "ROWS_PER_BLOCK", "block_key", "draw_collapsed"]

#: The box of Values whose inputs come from several blocks (the loss's sums, usually).
OTHER_BLOCK = "everything else"
#: A box lists up to this many named Values with data and gradient; more become a strip of cells.
ROWS_PER_BLOCK = 6
#: A strip shows at most this many cells; the rest are counted (all are in the tooltip).
STRIP_CELLS = 40


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
        raise TypeError(f"key must be a function Value -> str or None, got {describe(key)}; pass e.g. key=block_key")
    rankdir = check_rankdir(rankdir)
    rtol = check_real(rtol, "rtol", minimum=0.0, example=1e-9)
    min_size = check_min_group_size(min_group_size)
    title = check_title(title)
    nodes, edges = nodes_and_edges(root)
    blocks, named = _assign_blocks(nodes, key)
    shown = [v for v in nodes if id(v) in named]
    groups = group_gradients([v.grad for v in shown], rtol, named=[True] * len(shown), min_size=min_size)
    dot = new_digraph("collapsed", rankdir, nodesep="0.3", ranksep="0.8")
    group_of = {id(v): groups.get(i) for i, v in enumerate(shown)}
    order = _add_blocks(dot, nodes, blocks, named, group_of, root)
    _add_block_edges(dot, edges, blocks, order)
    hidden = sum(1 for v in nodes if blocks[id(v)] is None)
    rows = legend_rows(groups, min_size, noun="named Value") + [_edges_note(hidden)]
    header = L.h(
        f"One box per neuron or labelled sub-expression ({len(nodes):,} Values in all); "
        f"same colour and letter = same gradient (rtol={rtol:g})"
    )
    dot.attr(label=L.graph_label(title, header, rows), labelloc="t", labeljust="l")
    return dot


def _assign_blocks(nodes: list[Any], key: Callable[[Any], str | None]) -> tuple[dict[int, str | None], set[int]]:
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
        blocks[id(v)] = candidates.pop() if len(candidates) == 1 else (OTHER_BLOCK if candidates else None)
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
        dot.node(f"b{order[name]}", **_block_attrs(name, values, shown, group_of, is_root))
    return order


def _block_attrs(name: str, values: list[Any], shown: list[Any], group_of: dict, is_root: bool) -> dict[str, str]:
    ops = Counter(v.op for v in values if v.op)
    op_text = ", ".join(f"{n} {op}" for op, n in ops.most_common(3)) + (", ..." if len(ops) > 3 else "")
    summary = L.count(len(values), "Value") + (f": {op_text}" if op_text else "")
    rows = [f"<tr><td><b>{L.h(name)}</b></td></tr>", f"<tr><td>{L.h(summary)}</td></tr>"]
    if len(shown) > ROWS_PER_BLOCK:
        rows.append(f"<tr><td>{_strip(shown, group_of)}</td></tr>")
    elif shown:
        rows.append(f"<tr><td>{_value_table(shown, group_of)}</td></tr>")
    tip = [name, summary] + [f"{v.label}: data = {v.data!r}, grad = {v.grad!r}" for v in shown]
    attrs = {"label": "<" + L.table(rows, cellpadding="2") + ">", "tooltip": L.tooltip(tip)}
    if is_root:
        attrs["peripheries"] = "2"
    return attrs


def _value_table(shown: list[Any], group_of: dict) -> str:
    """A few named Values: name, data and gradient, the gradient cell in its group's colour."""
    head = '<tr><td align="left"><i>named</i></td><td align="right"><i>data</i></td><td align="right"><i>grad</i></td></tr>'
    rows = [head]
    for v in shown:
        grad, colour = _grad_cell(v, group_of.get(id(v)))
        rows.append(
            f'<tr><td align="left">{L.h(v.label)}</td><td align="right">{L.h(fmt(v.data))}</td>'
            f'<td align="right"{colour}>{grad}</td></tr>'
        )
    return L.table(rows, cellspacing="0", cellpadding="2")


def _strip(shown: list[Any], group_of: dict) -> str:
    """Many named Values: one small cell each, coloured and lettered by gradient group."""
    cells = []
    for v in shown[:STRIP_CELLS]:
        group = group_of.get(id(v))
        letter = f'<font point-size="8">{L.h(group.tag)}</font>' if group is not None and group.kind == "shared" else ""
        _, colour = _grad_cell(v, group)
        cells.append(f'<td width="14" height="14"{colour}>{letter}</td>')
    more = f'<td border="0">+{len(shown) - STRIP_CELLS}</td>' if len(shown) > STRIP_CELLS else ""
    caption = f"{len(shown)} named Values, in order (hover for values):"
    return L.table(
        [
            f'<tr><td colspan="{len(cells) + bool(more)}" border="0">{L.h(caption)}</td></tr>',
            "<tr>" + "".join(cells) + more + "</tr>",
        ],
        cellborder="1",
        cellspacing="1",
    )


def _grad_cell(v: Any, group: Group | None) -> tuple[str, str]:
    """The gradient as HTML text, and the cell attribute that colours it (or "")."""
    grad = L.h(fmt(v.grad))
    if group is None:
        return grad, ""
    if group.kind == "nonfinite":
        return f'<font color="{NONFINITE_COLOR}"><b>{grad}</b></font>', ""
    letter = f" <b>{L.h(group.tag)}</b>" if group.kind == "shared" else ""
    return grad + letter, f' bgcolor="{group.fillcolor}"'


def _add_block_edges(dot: graphviz.Digraph, edges: list, blocks: dict, order: dict[str, int]) -> None:
    flows: Counter[tuple[int, int]] = Counter()
    for child, parent in edges:
        a, b = blocks[id(child)], blocks[id(parent)]
        if a is not None and b is not None and a != b:
            flows[(order[a], order[b])] += 1
    for (a, b), n in flows.items():
        width = f"{1 + math.log10(n):.2f}"
        dot.edge(f"b{a}", f"b{b}", penwidth=width, tooltip=L.tooltip([f"{L.count(n, 'value')} flow this way"]))


def _edges_note(hidden: int) -> str:
    text = "arrow = values flowing from one box into another; the more values, the thicker (hover for the count)"
    if hidden:
        text += (
            "; 1 unlabelled input or constant is not drawn"
            if hidden == 1
            else f"; {hidden:,} unlabelled inputs and constants are not drawn"
        )
    return L.h(text)
