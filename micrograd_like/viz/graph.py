"""The op-level view: every Value of an expression, equal gradients coloured alike."""

from __future__ import annotations

import graphviz

from micrograd_like._checks import check_bool, check_int, check_real
from micrograd_like.engine import Value, iter_graph

from . import _labels as L
from ._args import check_min_group_size, check_rankdir, check_title, check_value
from ._groups import Group, distinct_formats, fmt, group_gradients, unique_groups
from ._style import FONT, NONFINITE_COLOR, ZERO_COLOR, border_note

__all__ = ["DEFAULT_MAX_NODES", "draw_dot", "legend_rows", "trace"]

#: draw_dot refuses graphs with more Values than this: dot needs many seconds to
#: lay them out and nobody can read the result (use draw_collapsed or draw_network).
DEFAULT_MAX_NODES = 500


def trace(root: Value) -> tuple[list[Value], list[tuple[Value, Value]]]:
    """Collect every Value that ``root`` was computed from, and the edges between them.

    The walk is the engine's own (:func:`~micrograd_like.engine.iter_graph`): an
    explicit-stack depth-first search, so graphs of any depth work, and its order
    depends only on the shape of the graph: the same expression always gives the
    same lists, hence the same DOT source.

    Returns:
        ``(nodes, edges)``. ``nodes`` lists each Value once, in topological order
        (``root`` last). ``edges`` holds one ``(child, parent)`` pair per argument
        of each op, in the order of ``nodes`` and then argument order; an argument
        used twice (``x * x``) gives two edges.

    Raises:
        TypeError: If ``root`` is not a Value.
    """
    check_value(root, "trace")
    nodes = list(iter_graph(root))
    edges = [(child, v) for v in nodes for child in v.children]
    return nodes, edges


def draw_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    highlight_equal_grads: bool = True,
    rtol: float = 1e-9,
    max_nodes: int = DEFAULT_MAX_NODES,
    title: str | None = None,
    min_group_size: int = 2,
) -> graphviz.Digraph:
    """Draw the computation graph of ``root``, colouring equal gradients alike.

    Every Value becomes a box showing its label (when it has one), its data and
    its grad to 4 significant digits; hovering over it (SVG, Jupyter) shows the
    full values. Every operation is a small separate oval; arrows follow the data
    flow from inputs to ``root``, which has a double border.

    With ``highlight_equal_grads``, Values whose gradients are equal within
    ``rtol`` share a fill colour and a group letter, and a legend lists each group's
    gradient and size, largest group first. The first eight groups (the largest;
    among equal sizes, those holding an input or parameter) get the eight palette
    colours; later groups repeat them with dashed, then bold borders, and the
    letter stays unique. Gradients of exactly 0 are always pale grey, NaN/inf
    gradients get a red border. Raise ``min_group_size`` to colour only the
    groups of at least that many Values, so that the big ones stand out.

    Args:
        root: The Value to draw, usually the loss after ``loss.backward()``.
        rankdir: Graphviz direction: ``"LR"`` (default), ``"RL"``, ``"TB"``, ``"BT"``.
        highlight_equal_grads: Colour groups of equal gradients and add the legend.
        rtol: Relative tolerance for "equal" (``math.isclose``, no absolute
            tolerance); ``0`` means bit-for-bit equal.
        max_nodes: Refuse graphs with more Values than this (default 500); for a
            bigger graph use :func:`~micrograd_like.viz.draw_collapsed`.
        title: Optional caption above the legend; ``\\n`` separates lines, the first is bold.
        min_group_size: Colour only groups of at least this many Values (>= 2).

    Returns:
        An unrendered :class:`graphviz.Digraph`. Value ``i`` of :func:`trace` order
        is the DOT node ``v{i}``, its op ``v{i}op``.

    Raises:
        TypeError: If ``root`` is not a Value or an option has the wrong type.
        ValueError: If an option has a bad value or the graph has more than ``max_nodes`` Values.
    """
    check_value(root, "draw_dot")
    rankdir = check_rankdir(rankdir)
    highlight = check_bool(highlight_equal_grads, "highlight_equal_grads")
    rtol = check_real(rtol, "rtol", minimum=0.0, example=1e-9)
    max_nodes = check_int(max_nodes, "max_nodes", minimum=1, example=DEFAULT_MAX_NODES)
    title = check_title(title)
    min_size = check_min_group_size(min_group_size)
    nodes, edges = trace(root)
    _check_size(len(nodes), max_nodes)
    groups = _groups_of(nodes, rtol, min_size) if highlight else {}
    dot = _new_digraph("autograd", rankdir, nodesep="0.25", ranksep="0.35")
    _add_values(dot, nodes, edges, groups, root)
    if highlight or title:
        header = _dot_header(rtol, min_size) if highlight else None
        dot.attr(
            label=L.graph_label(title, header, legend_rows(groups, min_size)),
            labelloc="t",
            labeljust="l",
        )
    return dot


def _check_size(n: int, max_nodes: int) -> None:
    if n > max_nodes:
        raise ValueError(
            f"draw_dot: this graph has {n} Values, more than max_nodes={max_nodes}, too many to read; "
            f"draw it one box per neuron or labelled sub-expression with "
            f"micrograd_like.viz.draw_collapsed(root), or a model with draw_network(model), "
            f"or pass max_nodes={n} if you really want every node."
        )


def _groups_of(nodes: list[Value], rtol: float, min_size: int) -> dict[int, Group]:
    named = [bool(v.label) and not v.children for v in nodes]
    return group_gradients([v.grad for v in nodes], rtol, named=named, min_size=min_size)


def _dot_header(rtol: float, min_size: int) -> str:
    plainest = "white = unique gradient" if min_size == 2 else f"white = fewer than {min_size} nodes share it"
    return L.h(f"Same colour and letter = same gradient (rtol={rtol:g}); {plainest}")


def _new_digraph(name: str, rankdir: str, **graph_attr: str) -> graphviz.Digraph:
    return graphviz.Digraph(
        name=name,
        graph_attr={
            "rankdir": rankdir,
            "fontname": FONT,
            "fontsize": "12",
            "tooltip": name,
            **graph_attr,
        },
        node_attr={
            "fontname": FONT,
            "fontsize": "11",
            "shape": "box",
            "style": "rounded",
            "margin": "0.06,0.03",
        },
        edge_attr={"color": "#555555", "arrowsize": "0.6"},
    )


def _add_values(
    dot: graphviz.Digraph,
    nodes: list[Value],
    edges: list,
    groups: dict[int, Group],
    root: Value,
) -> None:
    index = {id(v): i for i, v in enumerate(nodes)}
    for i, v in enumerate(nodes):
        dot.node(f"v{i}", **value_attrs(v, groups.get(i), is_root=v is root))
        if v.op or v.children:
            op = v.op or "?"
            dot.node(
                f"v{i}op",
                label=L.plain(op),
                shape="ellipse",
                style="solid",
                fontsize="10",
                width="0.3",
                height="0.25",
                margin="0.03,0.01",
                tooltip=L.tooltip([f"op {op}"]),
            )
            dot.edge(f"v{i}op", f"v{i}")
    for child, parent in edges:
        dot.edge(f"v{index[id(child)]}", f"v{index[id(parent)]}op")


def value_attrs(v: Value, group: Group | None, *, is_root: bool) -> dict[str, str]:
    """DOT attributes of one Value's box: label, tooltip and the look of its group."""
    label = str(v.label)
    grad_text = L.h(fmt(v.grad))
    if group is not None and group.kind == "shared":
        grad_text += f" <b>{L.h(group.tag)}</b>"  # the letter survives grey print-outs and repeated colours
    rows = ([L.row(L.h(label), bold_first=True)] if label else []) + [
        L.row("data", L.h(fmt(v.data))),
        L.row("grad", grad_text),
    ]
    tip = ([label] if label else []) + [f"data = {v.data!r}", f"grad = {v.grad!r}"]
    tip += [f"computed by {v.op}"] if v.op else []
    tip += ["root: backward() starts here"] if is_root else []
    attrs = {"label": "<" + L.table(rows) + ">"}
    tip += group_look(attrs, group)
    if is_root:
        attrs["peripheries"] = "2"
    attrs["tooltip"] = L.tooltip(tip)
    return attrs


def group_look(attrs: dict[str, str], group: Group | None, base: str = "rounded") -> list[str]:
    """Set the fill, border and SVG class of a node in ``group``; return its tooltip lines."""
    styles = [base]
    tip = []
    if group is not None:
        n = len(group.members)
        styles += ["filled"] + ([group.style] if group.style else [])
        attrs["fillcolor"] = group.fillcolor
        if group.kind == "shared":
            tip.append(f"group {group.tag}: {n} nodes share this gradient")
            attrs["class"] = f"grad-group-{group.tag}"
        elif group.kind == "zero":
            tip.append(f"gradient exactly 0 ({n} such nodes): nothing flows back here")
            attrs["class"] = "grad-zero"
        else:
            tip.append("gradient is NaN or infinite")
            attrs.update(color=NONFINITE_COLOR, penwidth="2")
    attrs["style"] = ",".join(styles)
    return tip


def legend_rows(groups: dict[int, Group], min_size: int = 2, noun: str = "node") -> list[str]:
    """One legend line per group: swatch, letter, size and gradient; zero and NaN last.

    Groups holding a parameter or labelled input come first, under a heading of
    their own when other groups follow; each part is ordered by size.
    """
    unique = unique_groups(groups)
    shared = [g for g in unique if g.kind == "shared"]
    texts = dict(zip((g.tag for g in shared), distinct_formats([g.value for g in shared])))
    rows = []
    for part, heading in ((True, "holding a parameter or labelled input:"), (False, "the other groups:")):
        chosen = [g for g in shared if g.named == part]
        if chosen and any(g.named for g in shared) and not all(g.named for g in shared):
            rows.append(f"<i>{heading}</i>")
        rows += [_shared_row(g, texts[g.tag], noun) for g in chosen]
    if not shared:
        rows.append(
            "every nonzero gradient is different: no shared colour"
            if min_size == 2
            else f"no nonzero gradient is shared by {min_size} or more {noun}s"
        )
    for g in unique:
        n = L.count(len(g.members), noun)
        if g.kind == "zero":
            rows.append(L.swatch_row("0", f"{n} with grad exactly 0: nothing flows back here", ZERO_COLOR))
        elif g.kind == "nonfinite":
            rows.append(L.swatch_row("!", f"{n} with grad NaN or infinite (red border)", None, NONFINITE_COLOR))
    return rows


def _shared_row(g: Group, text: str, noun: str) -> str:
    words = f"{L.count(len(g.members), noun)} with grad {L.h(text)}{border_note(g.style)}"
    return L.swatch_row(g.tag, words, g.fillcolor)
