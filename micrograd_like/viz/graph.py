"""The op-level view: every Value of an expression, equal gradients coloured alike."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

import graphviz

from micrograd_like._checks import check_bool, check_choice, check_int, check_real
from micrograd_like.engine import Value, iter_graph, node_parts
from micrograd_like.registry import shown_params

from . import _labels as L
from ._args import check_min_group_size, check_rankdir, check_title, check_value
from ._groups import Group, distinct_formats, fmt, group_gradients, unique_groups
from ._neurons import Neuron, neurons_of, same_gradient_neurons
from ._style import FONT, NONFINITE_COLOR, ZERO_COLOR, border_note, looks, tag, tint

__all__ = ["DEFAULT_MAX_NODES", "HIGHLIGHTS", "draw_dot", "legend_rows", "nodes_and_edges", "trace"]

#: draw_dot refuses graphs with more Values than this: dot needs many seconds to
#: lay them out and nobody can read the result (use draw_collapsed or draw_network).
DEFAULT_MAX_NODES = 500
#: A graph with more Values than this, or whose edges skip more than BIG_LAYOUT_SPAN ranks in
#: all, is laid out with :data:`BIG_LAYOUT`; smaller ones get Graphviz's full search (their
#: pictures are unchanged). Measured with dot 2.43 (benchmarks/render_times.py): a chain whose
#: steps share a weight takes 0.2 s at span 630 and 21 s at span 2976 without the limits.
BIG_LAYOUT_FROM = 200
BIG_LAYOUT_SPAN = 1000
#: Layout limits for big graphs. A long chain whose steps share a Value (a weight used at every
#: step) gives dot one long edge per use, O(n^2) virtual nodes in all, and unbounded network-simplex
#: and spline work: hours at 300 Values. These cap the simplex iterations (per node) and the
#: crossing passes, and draw edges straight: every graph within DEFAULT_MAX_NODES takes seconds.
BIG_LAYOUT = {"nslimit": "0.1", "nslimit1": "1", "mclimit": "0.1", "searchsize": "30", "splines": "line"}
#: How much white a neuron frame mixes into its group's colour (no group fill uses it).
FRAME_TINT = 0.65


def nodes_and_edges(root: Value) -> tuple[list[Value], list[tuple[Value, Value]]]:
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
    check_value(root, "nodes_and_edges")
    nodes = list(iter_graph(root))
    edges = [(child, v) for v in nodes for child in v.children]
    return nodes, edges


#: micrograd's lecture calls this walk ``trace``: the same function, for code written against it.
trace = nodes_and_edges


def rank_span(nodes: list[Value], edges: list[tuple[Value, Value]]) -> int:
    """How many ranks the edges skip in all: about the number of virtual nodes dot lays out.

    A computed Value sits one rank after its deepest argument, an input one rank before
    its first use; an edge from rank ``a`` to rank ``b`` skips ``b - a - 1`` ranks.
    """
    rank: dict[int, int] = {}
    for v in nodes:  # topological order: arguments first
        if v.children:
            rank[id(v)] = 1 + max(rank.get(id(c), -1) for c in v.children)
    for child, parent in edges:
        if not child.children:
            rank[id(child)] = min(rank.get(id(child), rank[id(parent)]), rank[id(parent)] - 1)
    return sum(rank[id(parent)] - rank[id(child)] - 1 for child, parent in edges)


#: What ``draw_dot(highlight=...)`` colours (see :func:`draw_dot`).
HIGHLIGHTS = ("parameters", "all", "none")


def draw_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    highlight_equal_grads: bool = True,
    rtol: float = 1e-9,
    max_nodes: int = DEFAULT_MAX_NODES,
    title: str | None = None,
    min_group_size: int = 2,
    highlight: str = "parameters",
    text_scale: float = 1.0,
) -> graphviz.Digraph:
    """Draw the computation graph of ``root``, colouring equal gradients alike.

    Every Value becomes a box showing its label (when it has one), its data and
    its grad to 4 significant digits; hovering over it (SVG, Jupyter) shows the
    full values. Every operation is a small separate oval; arrows follow the data
    flow from inputs to ``root``, which has a double border. The ops of each
    neuron (known from :mod:`micrograd_like.nn`'s parameter names such as
    ``layers.0.neurons.2.w.1``) are framed together and titled with its name.

    Values whose gradients are equal within ``rtol`` form groups, each with a
    fill colour of its own and a letter, and a legend lists them. Which are
    coloured depends on ``highlight``:

    * ``"parameters"`` (default): only groups holding a parameter or a labelled
      input (a labelled Value computed from nothing: what a learner can change).
      Neurons of one layer whose parameters get the same gradients, slot by slot,
      are one group: their parameters share one colour and letter and their
      frames are shaded in it. Groups of intermediate Values (the inputs of one
      ``+``, which all receive its gradient) stay plain, and the legend counts
      them. A graph with no labelled leaf at all has every group coloured.
    * ``"all"``: every group; those holding a named Value get the full colours,
      the others pale ones (a paler tier, with a dashed then bold border, every eight).
    * ``"none"``: no colours and no legend, as ``highlight_equal_grads=False``.

    Gradients of exactly 0 are always pale grey, NaN/inf gradients get a red
    border. Raise ``min_group_size`` to colour only the groups of at least that
    many Values, so that the big ones stand out.

    Args:
        root: The Value to draw, usually the loss after ``loss.backward()``.
        rankdir: Graphviz direction: ``"LR"`` (default), ``"RL"``, ``"TB"``, ``"BT"``.
        highlight_equal_grads: False draws no colours and no legend (``highlight="none"``).
        rtol: Relative tolerance for "equal" (``math.isclose``, no absolute
            tolerance); ``0`` means bit-for-bit equal.
        max_nodes: Refuse graphs with more Values than this (default 500); for a
            bigger graph use :func:`~micrograd_like.viz.draw_collapsed`.
        title: Optional caption above the legend; ``\\n`` separates lines, the first is bold.
        min_group_size: Colour only groups of at least this many Values (>= 2).
        highlight: ``"parameters"``, ``"all"`` or ``"none"``, as above.
        text_scale: Draw the title, the legend and the neuron frames' titles this
            many times larger (>= 1), for a big graph shown scaled down as a whole
            (Graphviz's ``size`` attribute), where they should stay readable.

    Returns:
        An unrendered :class:`graphviz.Digraph`. Value ``i`` of :func:`nodes_and_edges` order
        is the DOT node ``v{i}``, its op ``v{i}op``; neuron frames are the
        clusters ``cluster_neuron{k}``.

    Raises:
        TypeError: If ``root`` is not a Value or an option has the wrong type.
        ValueError: If an option has a bad value or the graph has more than ``max_nodes`` Values.
    """
    return draw_dot_shown(
        root,
        rankdir=rankdir,
        highlight_equal_grads=highlight_equal_grads,
        rtol=rtol,
        max_nodes=max_nodes,
        title=title,
        min_group_size=min_group_size,
        highlight=highlight,
        text_scale=text_scale,
    )


def draw_dot_shown(
    root: Value,
    *,
    grads: Mapping[Value, float] | None = None,
    labels: Mapping[Value, str] | None = None,
    rankdir: str = "LR",
    highlight_equal_grads: bool = True,
    rtol: float = 1e-9,
    max_nodes: int = DEFAULT_MAX_NODES,
    title: str | None = None,
    min_group_size: int = 2,
    highlight: str = "parameters",
    text_scale: float = 1.0,
) -> graphviz.Digraph:
    """:func:`draw_dot`, showing the gradients in ``grads`` and the names in ``labels`` (node -> value).

    For pictures of numbers that are not in ``.grad`` (the stepper shows a ledger's):
    nothing is written to any Value. A node missing from a mapping shows its own
    ``.grad`` or ``.label``. A name given here is only shown: which groups count as
    holding a labelled input still follows ``.label``. The other options are
    :func:`draw_dot`'s.
    """
    check_value(root, "draw_dot")
    rankdir = check_rankdir(rankdir)
    mode = _check_highlight(highlight, check_bool(highlight_equal_grads, "highlight_equal_grads"))
    rtol = check_real(rtol, "rtol", minimum=0.0, example=1e-9)
    max_nodes = check_int(max_nodes, "max_nodes", minimum=1, example=DEFAULT_MAX_NODES)
    title = check_title(title)
    min_size = check_min_group_size(min_group_size)
    scale = check_real(text_scale, "text_scale", minimum=1.0, example=3.0)
    nodes, edges = nodes_and_edges(root)
    _check_size(len(nodes), max_nodes)
    shown = _Shown.of(nodes, grads, labels)
    neurons = neurons_of(nodes)
    twins = same_gradient_neurons(neurons, shown.grads, rtol) if mode != "none" else []
    groups = _groups_of(nodes, shown, (rtol, min_size, mode), twins)
    dot = new_digraph("autograd", rankdir, nodesep="0.25", ranksep="0.35")
    if neurons:  # almost no crossing minimisation: the neuron frames stay in name order
        dot.attr(mclimit="0.01")
    if len(nodes) > BIG_LAYOUT_FROM or rank_span(nodes, edges) > BIG_LAYOUT_SPAN:
        dot.attr(**{**BIG_LAYOUT, **({"mclimit": "0.01"} if neurons else {})})
    _add_values(dot, (nodes, edges, shown), groups, root, neurons, scale)
    if mode != "none" or title:
        header = _dot_header(rtol, min_size) if mode != "none" else None
        names = {i: str(v.label) for i, v in enumerate(nodes) if v.label and not v.children}
        rows = _neuron_rows(groups, neurons, shown.grads) + legend_rows(groups, min_size, names=names)
        label = L.graph_label(title, header, rows + _frame_rows(neurons))
        dot.attr(label=_scaled(label, scale), labelloc="t", labeljust="l")
        if scale != 1.0:
            dot.attr(fontsize=_points(12, scale))
    return dot


def _points(size: float, scale: float) -> str:
    return f"{size * scale:.3g}"


def _scaled(label: str, scale: float) -> str:
    """An HTML-like label with every explicit ``point-size`` multiplied by ``scale``."""
    if scale == 1.0:
        return label
    return re.sub(r'point-size="([\d.]+)"', lambda m: f'point-size="{_points(float(m.group(1)), scale)}"', label)


def _check_highlight(highlight: object, highlight_equal_grads: bool) -> str:
    mode = check_choice(highlight, "highlight", HIGHLIGHTS)
    if not highlight_equal_grads:
        if mode == "all":
            raise ValueError(
                "draw_dot: highlight='all' asks for every colour but highlight_equal_grads=False for none; "
                "pass only one of them"
            )
        return "none"
    return mode


def _check_size(n: int, max_nodes: int) -> None:
    if n > max_nodes:
        raise ValueError(
            f"draw_dot: this graph has {n} Values, more than max_nodes={max_nodes}, too many to read; "
            f"draw it one box per neuron or labelled sub-expression with "
            f"micrograd_like.viz.draw_collapsed(root), or a model with draw_network(model), "
            f"or pass max_nodes={n} if you really want every node."
        )


class _Shown(NamedTuple):
    """What a drawing shows of each node (in :func:`nodes_and_edges` order): its gradient and its name."""

    grads: list[float]
    labels: list[str]

    @classmethod
    def of(cls, nodes: list[Value], grads: Mapping[Value, float] | None, labels: Mapping[Value, str] | None) -> _Shown:
        g, n = grads or {}, labels or {}
        return cls([g.get(v, v.grad) for v in nodes], [str(n.get(v, v.label)) for v in nodes])


def _groups_of(
    nodes: list[Value], shown: _Shown, options: tuple[float, int, str], twins: list[list[Neuron]]
) -> dict[int, Group]:
    """Node index -> group: the same-gradient neurons' parameters first, then equal gradients."""
    rtol, min_size, mode = options
    if mode == "none":
        return {}
    out: dict[int, Group] = {}
    twins = [t for t in twins if sum(len(n.slots) for n in t) >= min_size]
    for k, ((fill, _), members) in enumerate(zip(looks(len(twins)), twins)):
        params = tuple(sorted(i for n in members for _, i in n.slots))
        first = members[0].slots[0][1]
        group = Group("neurons", tag(k), shown.grads[first], params, fill, "", True)
        out.update((i, group) for i in params)
    named = [bool(v.label) and not v.children for v in nodes]
    shared = group_gradients(
        shown.grads, rtol, named=named, min_size=min_size, show_all=mode == "all", skip=set(out), first=len(twins)
    )
    return {**shared, **out}


def _dot_header(rtol: float, min_size: int) -> str:
    plainest = "white = unique gradient" if min_size == 2 else f"white = fewer than {min_size} nodes share it"
    return L.h(f"Same colour and letter = same gradient (rtol={rtol:g}); {plainest}")


def new_digraph(name: str, rankdir: str, **graph_attr: str) -> graphviz.Digraph:
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
    graph: tuple[list[Value], list, _Shown],
    groups: dict[int, Group],
    root: Value,
    neurons: list[Neuron],
    scale: float = 1.0,
) -> None:
    nodes, edges, shown = graph
    index = {id(v): i for i, v in enumerate(nodes)}
    framed = {}
    for k, n in enumerate(neurons):
        with dot.subgraph(name=f"cluster_neuron{k}") as frame:
            frame.attr(**_frame_attrs(n, groups), fontsize=_points(14, scale))
            for i in n.members:
                _add_value(frame, i, nodes[i], (groups, shown), root)
                framed[i] = k
    for i, v in enumerate(nodes):
        if i not in framed:
            _add_value(dot, i, v, (groups, shown), root)
    for child, parent in edges:
        dot.edge(f"v{index[id(child)]}", f"v{index[id(parent)]}op")


def _add_value(dot: graphviz.Digraph, i: int, v: Value, looks: tuple[dict[int, Group], _Shown], root: Value) -> None:
    """The box of Value ``i`` and, for a computed Value, the oval of its op."""
    groups, shown = looks
    attrs = value_attrs(v, groups.get(i), is_root=v is root, grad=shown.grads[i], label=shown.labels[i])
    dot.node(f"v{i}", **attrs)
    if v.op or v.children:
        op = _op_text(v)
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


def _op_text(v: Value) -> str:
    """The op's name, then its parameters if it has any: ``leaky_relu slope=0.2``."""
    return " ".join([v.op or "?", *(f"{n}={x!r}" for n, x in shown_params(node_parts(v)[0]))])


def _frame_attrs(n: Neuron, groups: dict[int, Group]) -> dict[str, str]:
    """A neuron's frame: titled with its name; shaded in its group's colour when it has one."""
    group = groups.get(n.slots[0][1]) if n.slots else None
    attrs = {"label": L.plain(n.name), "color": "#888888", "style": "rounded", "margin": "6"}
    if group is not None and group.kind == "neurons":
        attrs.update(
            label=L.plain(f"{n.name} ({group.tag})"),
            style="rounded,filled",
            fillcolor=tint(group.fillcolor, FRAME_TINT),
            color=group.fillcolor,
            penwidth="2",
        )
    attrs["tooltip"] = L.tooltip([n.name] + ([f"group {group.tag}"] if group is not None else []))
    return attrs


def value_attrs(
    v: Value, group: Group | None, *, is_root: bool, grad: float | None = None, label: str | None = None
) -> dict[str, str]:
    """DOT attributes of one Value's box: label, tooltip and the look of its group.

    ``grad`` and ``label`` replace the Value's own ``.grad`` and ``.label`` when given.
    """
    label = str(v.label) if label is None else label
    grad = v.grad if grad is None else grad
    grad_text = L.h(fmt(grad))
    if group is not None and group.kind in ("shared", "neurons"):
        grad_text += f" <b>{L.h(group.tag)}</b>"  # the letter survives grey print-outs and repeated colours
    rows = ([L.row(L.h(label), bold_first=True)] if label else []) + [
        L.row("data", L.h(fmt(v.data))),
        L.row("grad", grad_text),
    ]
    tip = ([label] if label else []) + [f"data = {v.data!r}", f"grad = {grad!r}"]
    tip += [f"computed by {_op_text(v)}"] if v.op else []
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
    if group is not None and group.kind != "hidden":
        n = len(group.members)
        styles += ["filled"] + ([group.style] if group.style else [])
        attrs["fillcolor"] = group.fillcolor
        if group.kind == "neurons":
            tip.append(f"group {group.tag}: neurons whose parameters get the same gradients, slot by slot")
            attrs["class"] = f"neuron-group-{group.tag}"
        elif group.kind == "shared":
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


def legend_rows(
    groups: dict[int, Group], min_size: int = 2, noun: str = "node", names: dict[int, str] | None = None
) -> list[str]:
    """One legend line per group: swatch, letter, size and gradient; zero and NaN last.

    Groups holding a parameter or labelled input come first, under a heading of
    their own when other groups follow; each part is ordered by size, and names
    the members found in ``names`` (node index -> name). Groups left plain (kind
    "hidden") are counted in one line.
    """
    unique = unique_groups(groups)
    shared = [g for g in unique if g.kind == "shared"]
    hidden = [g for g in unique if g.kind == "hidden"]
    texts = dict(zip((g.tag for g in shared), distinct_formats([g.value for g in shared])))
    rows = []
    for part, heading in ((True, "holding a parameter or labelled input:"), (False, "the other groups:")):
        chosen = [g for g in shared if g.named == part]
        if chosen and any(g.named for g in shared) and not all(g.named for g in shared):
            rows.append(f"<i>{heading}</i>")
        rows += [_shared_row(g, texts[g.tag], noun, names or {}) for g in chosen]
    if not shared and not any(g.kind == "neurons" for g in unique):
        rows.append(_nothing_shared(min_size, noun, bool(hidden)))
    if hidden:
        rows.append(L.h(HIDDEN_NOTE.format(groups=L.count(len(hidden), "group"))))
    for g in unique:
        n = L.count(len(g.members), noun)
        if g.kind == "zero":
            rows.append(L.swatch_row("0", f"{n} with grad exactly 0: nothing flows back here", ZERO_COLOR))
        elif g.kind == "nonfinite":
            rows.append(L.swatch_row("!", f"{n} with grad NaN or infinite (red border)", None, NONFINITE_COLOR))
    return rows


#: The legend line of the groups ``highlight="parameters"`` leaves plain.
HIDDEN_NOTE = (
    "not coloured: {groups} of equal gradients among intermediate nodes only (such as the inputs "
    'of one + node, which all receive its gradient); highlight="all" (draw --highlight all) colours them'
)
#: The legend line when no parameter or labelled input shares its gradient.
NOTHING_SHARED = "no two parameters or labelled inputs share a gradient: nothing here is coloured"


def _nothing_shared(min_size: int, noun: str, hidden: bool) -> str:
    if hidden:
        return NOTHING_SHARED
    if min_size == 2:
        return "every nonzero gradient is different: no shared colour"
    return f"no nonzero gradient is shared by {min_size} or more {noun}s"


def _neuron_rows(groups: dict[int, Group], neurons: list[Neuron], grads: list[float]) -> list[str]:
    """A legend line per group of same-gradient neurons: who, and the gradient of each slot."""
    rows = []
    owner = {i: n for n in neurons for _, i in n.slots}
    for g in unique_groups(groups):
        if g.kind != "neurons":
            continue
        members = list(dict.fromkeys(owner[i] for i in g.members))
        first = members[0]
        slots = ", ".join(f"{s} {fmt(grads[i])}" for s, i in first.slots)
        who = f"{first.layer}.{{{', '.join(n.number for n in members)}}}"
        text = f"neurons {L.h(who)}: the same gradient for each parameter ({L.h(slots)}): interchangeable"
        rows.append(L.swatch_row(g.tag, text, g.fillcolor))
    return rows


def _frame_rows(neurons: list[Neuron]) -> list[str]:
    if not neurons:
        return []
    return [
        L.h(
            "framed: the ops of one neuron, titled with its name; "
            "a shaded frame belongs to a group of interchangeable neurons"
        )
    ]


def _shared_row(g: Group, text: str, noun: str, names: dict[int, str]) -> str:
    words = f"{L.count(len(g.members), noun)} with grad {L.h(text)}{border_note(g.style)}"
    held = [names[i] for i in g.members if i in names]
    if held:
        shown = ", ".join(held[:NAMES_SHOWN]) + (", ..." if len(held) > NAMES_SHOWN else "")
        words += f": holding {L.h(shown)}"
    return L.swatch_row(g.tag, words, g.fillcolor)


#: A legend line names at most this many of its group's parameters and labelled inputs.
NAMES_SHOWN = 3
