"""Graphviz drawings of an autograd graph that make identical gradients jump out.

Two views, both returned as *unrendered* :class:`graphviz.Digraph` objects (so
Jupyter shows them inline, and ``.source``, ``.save()``, ``.render()`` and
``.pipe()`` work as usual):

* :func:`draw_dot` draws every :class:`~micrograd_like.engine.Value` of an
  expression, one small node per operation in between. Values whose gradients
  are equal (within ``rtol``) share a fill colour and a group letter, and a
  legend inside the picture lists every colour with its gradient and how many
  nodes have it.
* :func:`draw_network` draws an :class:`~micrograd_like.nn.MLP` one node per
  neuron, one edge per weight. Neurons that can never be told apart by gradient
  descent (:func:`~micrograd_like.nn.find_symmetric_neurons`) share a colour,
  and the legend says why that is a problem and how to fix it.

:func:`render` writes a drawing to a file and, when the Graphviz ``dot`` program
is missing, says how to install it.

Colour rules (the same in both views):

* Fills come from Paul Tol's "light" palette, which was designed to stay
  distinguishable for colour-blind readers *and* to keep black text readable.
  The first eight groups get the eight colours with a solid border; groups 9-16
  reuse them with a dashed border, groups 17-24 with a bold border, and so on.
  Every coloured node also carries its group letter (``A``, ``B``, ...) which the
  legend repeats, so two groups can never be confused, even when colours repeat
  or the picture is printed in grey.
* Groups are lettered largest first, so ``A`` is always the most repeated
  gradient: the first place to look for symmetry.
* A gradient of exactly ``0`` is a message of its own ("nothing flows back
  here": backward() not called yet, a dead ReLU, a multiplication by zero), so
  such nodes are always filled pale grey, even a single one, and never use a
  palette colour. NaN and infinite gradients get a red border instead.
"""

from __future__ import annotations

import html
import math
import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import graphviz

from micrograd_like.engine import Value, iter_graph

if TYPE_CHECKING:  # nn is only needed by draw_network, and imported lazily there
    from micrograd_like.nn import MLP

__all__ = [
    "trace",
    "draw_dot",
    "draw_network",
    "render",
    "GraphvizNotFoundError",
    "INSTALL_HINT",
    "PALETTE",
    "ZERO_COLOR",
    "DEFAULT_MAX_NODES",
    "NETWORK_EDGE_LABEL_LIMIT",
    "INTERCHANGEABLE_MESSAGE",
]

#: Paul Tol's "light" qualitative scheme (https://personal.sron.nl/~pault/), in
#: his recommended order, without its pale grey which is reserved for zero.
PALETTE: tuple[str, ...] = (
    "#77AADD",  # light blue
    "#EE8866",  # orange
    "#EEDD88",  # light yellow
    "#FFAABB",  # pink
    "#99DDFF",  # light cyan
    "#44BB99",  # mint
    "#BBCC33",  # pear
    "#AAAA00",  # olive
)
#: Fill of every node whose gradient is exactly 0 (Tol's "pale grey").
ZERO_COLOR = "#DDDDDD"
#: Border of nodes with a NaN or infinite gradient (Tol's "vibrant red").
NONFINITE_COLOR = "#CC3311"
# Border styles that tell apart groups sharing a palette colour (see module doc).
_BORDER_STYLES: tuple[str, ...] = ("", "dashed", "bold")

#: draw_dot refuses graphs with more Values than this: dot needs many seconds to
#: lay them out and nobody can read the result (use draw_network for models).
DEFAULT_MAX_NODES = 500
#: draw_network writes value and gradient on the weight edges only when no layer
#: has more weights than this; otherwise the numbers live in the edge tooltips.
NETWORK_EDGE_LABEL_LIMIT = 32

INTERCHANGEABLE_MESSAGE = (
    "interchangeable: they will receive identical gradients forever; "
    "initialise randomly to break the symmetry"
)

_RANKDIRS = ("LR", "RL", "TB", "BT")
_FONT = "Helvetica"


# ----------------------------------------------------------------------------------
# walking the graph
# ----------------------------------------------------------------------------------


def trace(root: Value) -> tuple[list[Value], list[tuple[Value, Value]]]:
    """Collect every Value that ``root`` was computed from, and the edges between them.

    The walk is the engine's own (:func:`~micrograd_like.engine.iter_graph`): an
    explicit-stack depth-first search, so graphs of any depth work (a chain of a
    million operations included), and its order depends only on the shape of the
    graph, never on memory addresses: the same expression always gives the same
    lists, hence the same DOT source.

    Args:
        root: The Value to start from (usually the loss).

    Returns:
        ``(nodes, edges)``. ``nodes`` lists each Value once, in topological order:
        every Value comes after all the Values it was computed from, and ``root``
        is last. ``edges`` holds one ``(child, parent)`` pair per argument of each
        op, in the order of ``nodes`` and then argument order; an argument used
        twice (``x * x``) gives two edges, because data really flows twice.

    Raises:
        TypeError: If ``root`` is not a Value.
    """
    _check_value(root, "trace")
    nodes = list(iter_graph(root))  # the engine's walk: iterative, inputs first, root last
    edges = [(child, v) for v in nodes for child in v.children]
    return nodes, edges


# ----------------------------------------------------------------------------------
# grouping equal gradients
# ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Group:
    """A set of nodes drawn alike; ``kind`` is "shared", "zero" or "nonfinite"."""

    kind: str
    tag: str
    value: float
    members: tuple[int, ...]
    fillcolor: str
    style: str  # extra node style ("" or "dashed"/"bold") for repeated colours


def _tag(k: int) -> str:
    """Group letters A, B, ..., Z, AA, AB, ... (spreadsheet-column style)."""
    letters = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        letters = chr(ord("A") + r) + letters
    return letters


def _look(k: int) -> tuple[str, str]:
    """Fill colour and border style of the k-th group (0-based)."""
    return PALETTE[k % len(PALETTE)], _BORDER_STYLES[(k // len(PALETTE)) % len(_BORDER_STYLES)]


def _group_gradients(grads: Sequence[float], rtol: float) -> dict[int, _Group]:
    """Map node index -> group for every node that is drawn specially.

    Rule: exact zeros form the "zero" group and NaN/inf the "nonfinite" group,
    whatever their size. The other gradients are sorted; each group starts at its
    smallest gradient (the anchor, shown in the legend) and takes every following
    gradient within ``rtol`` of the anchor (``math.isclose`` with ``rel_tol=rtol``,
    no absolute tolerance). Anchoring, rather than chaining neighbours, guarantees
    that every member really is within ``rtol`` of the value the legend prints.
    Only groups of two or more are coloured; a unique gradient stays plain.
    """
    zero = tuple(i for i, g in enumerate(grads) if g == 0.0)
    nonfinite = tuple(i for i, g in enumerate(grads) if not math.isfinite(g))
    rest = sorted((g, i) for i, g in enumerate(grads) if g != 0.0 and math.isfinite(g))
    runs: list[list[tuple[float, int]]] = []
    for g, i in rest:
        if runs and math.isclose(g, runs[-1][0][0], rel_tol=rtol, abs_tol=0.0):
            runs[-1].append((g, i))
        else:
            runs.append([(g, i)])
    shared = [run for run in runs if len(run) > 1]
    # Largest group first (the most suspicious), ties broken by gradient for stability.
    shared.sort(key=lambda run: (-len(run), run[0][0]))
    out: dict[int, _Group] = {}
    for k, run in enumerate(shared):
        fill, style = _look(k)
        group = _Group("shared", _tag(k), run[0][0], tuple(sorted(i for _, i in run)), fill, style)
        for i in group.members:
            out[i] = group
    if zero:
        group = _Group("zero", "0", 0.0, zero, ZERO_COLOR, "")
        for i in zero:
            out[i] = group
    if nonfinite:
        group = _Group("nonfinite", "!", math.nan, nonfinite, "#FFFFFF", "bold")
        for i in nonfinite:
            out[i] = group
    return out


def _distinct_formats(values: Sequence[float]) -> list[str]:
    """Format values with 4 significant digits, or more if needed to tell them apart.

    Two groups whose gradients differ by more than ``rtol`` but agree to 4 digits
    would otherwise show the same number in the legend.
    """
    for digits in range(4, 18):
        texts = [_fmt(v, digits) for v in values]
        if len(set(texts)) == len(texts):
            return texts
    return [repr(v) for v in values]


# ----------------------------------------------------------------------------------
# text helpers
# ----------------------------------------------------------------------------------


def _fmt(x: float, digits: int = 4) -> str:
    """A float with ``digits`` significant digits, trailing zeros kept (1.000)."""
    if not math.isfinite(x):
        return repr(x)
    return format(x, f"#.{digits}g")


def _printable(text: str) -> str:
    """Replace control characters by visible escapes so that no label breaks a line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def _h(text: Any) -> str:
    """Text for inside an HTML-like label: control characters shown, markup escaped."""
    return html.escape(_printable(str(text)), quote=True)


def _plain(text: Any) -> str:
    """Text for a plain (escString) attribute: backslashes literal, never read as HTML."""
    return graphviz.escape(_printable(str(text)))


def _tooltip(lines: Sequence[str]) -> str:
    # Each line is escaped on its own, then joined with the escString newline "\n".
    return graphviz.nohtml("\\n".join(_plain(line) for line in lines))


# ----------------------------------------------------------------------------------
# argument checks
# ----------------------------------------------------------------------------------


def _check_value(root: Any, who: str) -> None:
    if not isinstance(root, Value):
        raise TypeError(
            f"{who} needs a Value (for example your loss), got {type(root).__name__} {root!r}; "
            "to draw a model's neurons use draw_network(model)"
        )


def _check_rankdir(rankdir: Any) -> str:
    if not isinstance(rankdir, str):
        raise TypeError(f"rankdir must be a str, one of {', '.join(_RANKDIRS)}; got {rankdir!r}")
    if rankdir.upper() not in _RANKDIRS:
        raise ValueError(
            f"rankdir={rankdir!r} is not a Graphviz direction; use one of "
            f"{', '.join(_RANKDIRS)} (LR = left to right, TB = top to bottom)"
        )
    return rankdir.upper()


def _check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return value


def _check_rtol(rtol: Any) -> float:
    if isinstance(rtol, bool) or not isinstance(rtol, numbers.Real):
        raise TypeError(f"rtol must be a float >= 0 such as 1e-9, got {type(rtol).__name__} {rtol!r}")
    rtol = float(rtol)
    if not (math.isfinite(rtol) and rtol >= 0.0):
        raise ValueError(
            f"rtol must be a finite float >= 0 (0 means bit-for-bit equal, 1e-9 forgives "
            f"rounding), got {rtol!r}"
        )
    return rtol


def _check_title(title: Any) -> str | None:
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str (lines separated by \\n) or None, got {type(title).__name__} {title!r}")
    return title or None


def _check_max_nodes(max_nodes: Any) -> int:
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, numbers.Integral):
        raise TypeError(
            f"max_nodes must be a positive int such as {DEFAULT_MAX_NODES}, "
            f"got {type(max_nodes).__name__} {max_nodes!r}"
        )
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int such as {DEFAULT_MAX_NODES}, got {max_nodes!r}")
    return int(max_nodes)


# ----------------------------------------------------------------------------------
# draw_dot: the op-level view
# ----------------------------------------------------------------------------------


def draw_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    highlight_equal_grads: bool = True,
    rtol: float = 1e-9,
    max_nodes: int = DEFAULT_MAX_NODES,
    title: str | None = None,
) -> graphviz.Digraph:
    """Draw the computation graph of ``root``, colouring equal gradients alike.

    Every Value becomes a box showing its label (when it has one), its data and
    its grad to 4 significant digits; hovering over it (SVG, Jupyter) shows the
    full values. Every operation is a small separate oval, and the arrows follow
    the data flow from inputs to ``root``, which has a double border.

    With ``highlight_equal_grads``, Values whose gradients are equal within
    ``rtol`` share a fill colour and a group letter, and a legend inside the graph
    lists each group's gradient and size, e.g. "A  0.02810  x 6 nodes". A node
    whose gradient nobody else has stays white. Gradients of exactly 0 are always
    pale grey (nothing flows back through them), NaN/inf gradients get a red
    border. Colours come from a colour-blind-safe palette; past eight groups they
    repeat with dashed, then bold borders, and the group letter stays unique.

    Args:
        root: The Value to draw, usually the loss after ``loss.backward()``.
        rankdir: Graphviz direction: ``"LR"`` (default), ``"RL"``, ``"TB"``, ``"BT"``.
        highlight_equal_grads: Colour groups of equal gradients and add the legend.
        rtol: Relative tolerance for "equal" (``math.isclose`` with no absolute
            tolerance). ``0`` means bit-for-bit equal; the default ``1e-9`` forgives
            rounding differences between mathematically equal gradients.
        max_nodes: Refuse graphs with more Values than this (default
            ``DEFAULT_MAX_NODES`` = 500).
        title: Optional caption drawn above the legend; ``\n`` separates lines,
            the first is bold.

    Returns:
        An unrendered :class:`graphviz.Digraph`. Value ``i`` of :func:`trace` order
        is the DOT node ``v{i}``, its op ``v{i}op``; the title and legend are the
        graph's own label, at the top left.

    Raises:
        TypeError: If ``root`` is not a Value or an option has the wrong type.
        ValueError: If ``rankdir`` is unknown, ``rtol`` is negative or not finite,
            ``max_nodes`` < 1, or the graph has more than ``max_nodes`` Values.
    """
    _check_value(root, "draw_dot")
    rankdir = _check_rankdir(rankdir)
    highlight = _check_bool(highlight_equal_grads, "highlight_equal_grads")
    rtol = _check_rtol(rtol)
    max_nodes = _check_max_nodes(max_nodes)
    title = _check_title(title)

    nodes, edges = trace(root)
    if len(nodes) > max_nodes:
        raise ValueError(
            f"draw_dot: this graph has {len(nodes)} Values, more than max_nodes={max_nodes}; "
            f"a drawing that large takes Graphviz a long time and nobody can read it. "
            f"For a model, draw one node per neuron with micrograd_like.viz.draw_network(model); "
            f"or draw a smaller expression (one sample instead of the whole batch); "
            f"or pass max_nodes={len(nodes)} if you really want every node."
        )
    groups = _group_gradients([v.grad for v in nodes], rtol) if highlight else {}
    index = {id(v): i for i, v in enumerate(nodes)}

    dot = graphviz.Digraph(
        name="autograd",
        graph_attr={
            "rankdir": rankdir,
            "fontname": _FONT,
            "fontsize": "12",
            "nodesep": "0.25",
            "ranksep": "0.35",
            "tooltip": "autograd graph",
        },
        node_attr={"fontname": _FONT, "fontsize": "11", "shape": "box", "style": "rounded", "margin": "0.06,0.03"},
        edge_attr={"color": "#555555", "arrowsize": "0.6"},
    )
    for i, v in enumerate(nodes):
        group = groups.get(i)
        dot.node(f"v{i}", **_value_node_attrs(v, group, is_root=v is root))
        if v.op or v.children:
            op = v.op or "?"
            dot.node(
                f"v{i}op",
                label=_plain(op),
                shape="ellipse",
                style="solid",
                fontsize="10",
                width="0.3",
                height="0.25",
                margin="0.03,0.01",
                tooltip=_tooltip([f"op {op}"]),
            )
            dot.edge(f"v{i}op", f"v{i}")
    for child, parent in edges:
        dot.edge(f"v{index[id(child)]}", f"v{index[id(parent)]}op")
    if highlight or title:
        header = f"Same colour and letter = same gradient (rtol={rtol:g}); white = unique gradient" if highlight else None
        dot.attr(label=_graph_label(title, header and _h(header), _dot_legend_rows(groups)), labelloc="t", labeljust="l")
    return dot


def _value_node_attrs(v: Value, group: _Group | None, *, is_root: bool) -> dict[str, str]:
    label = str(v.label)
    rows = []
    if label:
        rows.append(f'<tr><td colspan="2"><b>{_h(label)}</b></td></tr>')
    rows.append(f'<tr><td align="left">data</td><td align="right">{_h(_fmt(v.data))}</td></tr>')
    grad_text = _h(_fmt(v.grad))
    if group is not None and group.kind == "shared":
        # The letter repeats the colour in words: it survives grey print-outs,
        # colour blindness and palette reuse beyond eight groups.
        grad_text += f" <b>{_h(group.tag)}</b>"
    rows.append(f'<tr><td align="left">grad</td><td align="right">{grad_text}</td></tr>')
    html_label = (
        '<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">' + "".join(rows) + "</table>>"
    )
    tip = []
    if label:
        tip.append(label)
    tip += [f"data = {v.data!r}", f"grad = {v.grad!r}"]
    if v.op:
        tip.append(f"computed by {v.op}")
    if is_root:
        tip.append("root: backward() starts here")
    attrs = {"label": html_label}
    styles = ["rounded"]
    if group is not None:
        n = len(group.members)
        if group.kind == "shared":
            tip.append(f"group {group.tag}: {n} nodes share this gradient")
        elif group.kind == "zero":
            tip.append(f"gradient exactly 0 ({n} such nodes): nothing flows back here")
        else:
            tip.append("gradient is NaN or infinite")
        styles.append("filled")
        if group.style:
            styles.append(group.style)
        attrs["fillcolor"] = group.fillcolor
        if group.kind == "nonfinite":
            attrs["color"] = NONFINITE_COLOR
            attrs["penwidth"] = "2"
        else:
            # Group identity as an SVG class, so the rendered file can be styled or queried.
            attrs["class"] = f"grad-group-{group.tag}" if group.kind == "shared" else "grad-zero"
    attrs["style"] = ",".join(styles)
    if is_root:
        attrs["peripheries"] = "2"
    attrs["tooltip"] = _tooltip(tip)
    return attrs


def _text_row(html_text: str) -> str:
    return html_text


def _swatch_row(tag: str, html_text: str, fill: str | None, border_color: str = "#444444") -> str:
    # The swatch is a coloured square glyph rather than a table cell: Graphviz
    # stretches the columns of a nested table to fill its cell, which pushed the
    # text away from its swatch whenever the title was wider than the legend.
    glyph = "&#9632;" if fill else "&#9633;"  # filled square, or hollow for "no fill"
    return f'<font color="{fill or border_color}" point-size="18">{glyph}</font> <b>{_h(tag)}</b>&#160; {html_text}'


def _graph_label(title: str | None, header: str | None, rows: list[str]) -> str:
    """The graph's own label: an optional title, then the legend box, top left.

    The legend lives in the graph label rather than in a node: a disconnected node
    would sit in the first rank and widen that whole column of the picture.
    Legend lines are separated by ``<br align="left"/>`` so that each is flush left.
    """
    parts = []
    if title:
        lines = [_h(line) for line in title.split("\n")]
        lines[0] = f'<font point-size="15"><b>{lines[0]}</b></font>'
        parts.append("".join(f'<tr><td align="left">{line}</td></tr>' for line in lines))
    if header is not None:
        # the last line takes its alignment from balign; a final <br/> would add a blank line
        text = '<br align="left"/>'.join([f"<b>{header}</b>", *rows])
        legend = (
            '<table border="1" cellborder="0" cellpadding="5" color="#888888" bgcolor="#FFFFFF">'
            f'<tr><td align="left" balign="left">{text}</td></tr></table>'
        )
        parts.append(f'<tr><td align="left">{legend}</td></tr>')
    return '<<table border="0" cellborder="0" cellspacing="4" cellpadding="0">' + "".join(parts) + "</table>>"


def _count(n: int) -> str:
    return f"{n} node{'s' if n != 1 else ''}"


def _dot_legend_rows(groups: dict[int, _Group]) -> list[str]:
    unique: dict[str, _Group] = {}
    for group in groups.values():
        unique.setdefault(group.tag, group)
    shared = sorted((g for g in unique.values() if g.kind == "shared"), key=lambda g: (-len(g.members), g.value))
    texts = _distinct_formats([g.value for g in shared])
    rows = []
    for group, text in zip(shared, texts):
        border = {"": "", "dashed": " (dashed border)", "bold": " (bold border)"}[group.style]
        rows.append(_swatch_row(group.tag, f"{_count(len(group.members))} with grad {_h(text)}{border}", group.fillcolor))
    if not shared:
        rows.append(_text_row("every nonzero gradient is different: no shared colour"))
    if "0" in unique:
        n = len(unique["0"].members)
        rows.append(_swatch_row("0", f"{_count(n)} with grad exactly 0: nothing flows back here", ZERO_COLOR))
    if "!" in unique:
        n = len(unique["!"].members)
        rows.append(_swatch_row("!", f"{_count(n)} with grad NaN or infinite (red border)", None, NONFINITE_COLOR))
    return rows


# ----------------------------------------------------------------------------------
# draw_network: one node per neuron
# ----------------------------------------------------------------------------------


def _check_model(model: Any) -> list[Any]:
    layers = getattr(model, "layers", None)
    problem = None
    if not isinstance(layers, (list, tuple)) or not layers:
        problem = "it has no non-empty .layers list"
    else:
        for i, layer in enumerate(layers):
            neurons = getattr(layer, "neurons", None)
            if not isinstance(neurons, (list, tuple)) or not neurons:
                problem = f"layers[{i}] has no non-empty .neurons list"
                break
            for j, n in enumerate(neurons):
                w, b = getattr(n, "w", None), getattr(n, "b", None)
                if not isinstance(w, (list, tuple)) or not all(isinstance(x, Value) for x in w) or not isinstance(b, Value):
                    problem = f"layers[{i}].neurons[{j}] lacks a list of Values .w and a Value .b"
                    break
            if problem:
                break
            if i > 0 and any(len(n.w) != len(layers[i - 1].neurons) for n in neurons):
                problem = f"layers[{i}] neurons do not take one input per neuron of layers[{i - 1}]"
                break
    if problem:
        raise TypeError(
            f"draw_network needs an MLP from micrograd_like.nn, got {type(model).__name__}: {problem}. "
            "To draw an expression such as a loss, use draw_dot(value)."
        )
    return list(layers)


def _activation_name(neuron: Any) -> str:
    act = getattr(neuron, "activation", "")
    if isinstance(act, str):
        return act
    return getattr(act, "__name__", None) or type(act).__name__


def draw_network(
    model: MLP, *, rankdir: str = "LR", edge_labels: bool | None = None, title: str | None = None
) -> graphviz.Digraph:
    """Draw an MLP one node per input, neuron and output, one edge per weight.

    Each layer is a cluster; each neuron shows its activation, its bias and the
    bias's gradient; each weight is an edge into its neuron, labelled with its
    value and gradient (hover over it in SVG/Jupyter for the full values and the
    parameter's name such as ``layers.0.neurons.2.w.1``). Neurons that
    :func:`micrograd_like.nn.find_symmetric_neurons` reports as interchangeable
    share a fill colour and group letter, and the legend explains what that
    means and how to fix it.

    Args:
        model: An :class:`~micrograd_like.nn.MLP`, ideally after
            ``loss.backward()`` so that the gradients are filled in.
        rankdir: Graphviz direction: ``"LR"`` (default), ``"RL"``, ``"TB"``, ``"BT"``.
        edge_labels: Write value and gradient on the weight edges. ``None``
            (default) labels them when no layer has more than
            ``NETWORK_EDGE_LABEL_LIMIT`` (32) weights, and otherwise labels none
            (the numbers stay in the edge tooltips, and the legend says so), so
            that micrograd's moons model ``MLP(2, [16, 16, 1])`` stays readable.
            ``True`` or ``False`` forces the choice.
        title: Optional caption drawn above the legend; ``\n`` separates lines,
            the first is bold.

    Returns:
        An unrendered :class:`graphviz.Digraph`. DOT names: ``x{k}`` inputs,
        ``l{i}n{j}`` neuron ``j`` of layer ``i``, ``y{j}`` outputs; clusters
        ``cluster_inputs``, ``cluster_layer{i}``, ``cluster_outputs``; the title
        and legend are the graph's own label, at the top left.

    Raises:
        TypeError: If ``model`` is not an MLP-like model (``.layers`` of
            ``.neurons`` with ``.w`` and ``.b``) or an option has the wrong type.
        ValueError: If ``rankdir`` is unknown.
    """
    from micrograd_like.nn import find_symmetric_neurons  # lazy: the engine-only view must not need nn

    layers = _check_model(model)
    rankdir = _check_rankdir(rankdir)
    if edge_labels is not None:
        _check_bool(edge_labels, "edge_labels")
    title = _check_title(title)
    groups = find_symmetric_neurons(model)
    # (layer, neuron) -> (group letter, fill, border style, all members)
    member_of: dict[tuple[int, int], tuple[str, str, str, list[int]]] = {}
    for k, (li, members) in enumerate(groups):
        fill, style = _look(k)
        for j in members:
            member_of[(li, j)] = (_tag(k), fill, style, list(members))

    nin = len(layers[0].neurons[0].w)
    dot = graphviz.Digraph(
        name="network",
        graph_attr={
            "rankdir": rankdir,
            "fontname": _FONT,
            "fontsize": "12",
            "nodesep": "0.3",
            "ranksep": "1.2",
            # Almost no crossing minimisation: dot then keeps the declaration
            # order, so neuron 0 is on top of neuron 1 in every column. (In a
            # fully connected net crossings are unavoidable anyway; rank=same
            # chains and ordering=out were tried: they fail on 16 neurons, and
            # together they crash Graphviz 2.43.)
            "mclimit": "0.01",
            "tooltip": "network",
        },
        node_attr={"fontname": _FONT, "fontsize": "11", "shape": "box", "style": "rounded", "margin": "0.08,0.04"},
        edge_attr={"fontname": _FONT, "fontsize": "9", "color": "#777777", "arrowsize": "0.6", "fontcolor": "#333333"},
    )

    with dot.subgraph(name="cluster_inputs") as sub:
        sub.attr(label="inputs", style="rounded,dashed", color="#AAAAAA", fontsize="11")
        for k in range(nin):
            sub.node(f"x{k}", label=f"input {k}", shape="ellipse", tooltip=f"input {k}")

    # All edges labelled or none: an edge label takes a rank of its own in dot, so
    # mixing labelled and unlabelled layers sends the unlabelled edges on huge detours.
    sizes = [sum(len(n.w) for n in layer.neurons) for layer in layers]
    label_edges = max(sizes) <= NETWORK_EDGE_LABEL_LIMIT if edge_labels is None else edge_labels
    unlabelled = [] if label_edges else [(i, n) for i, n in enumerate(sizes)]
    last = len(layers) - 1
    for i, layer in enumerate(layers):
        neurons = layer.neurons
        kind = "output layer" if i == last else "hidden layer"
        acts = sorted({_activation_name(n) for n in neurons})
        with dot.subgraph(name=f"cluster_layer{i}") as sub:
            sub.attr(
                label=_plain(f"layers.{i}: {kind}, {', '.join(acts)}"),
                style="rounded",
                color="#AAAAAA",
                fontsize="11",
            )
            for j, n in enumerate(neurons):
                sub.node(f"l{i}n{j}", **_neuron_attrs(i, j, n, member_of.get((i, j))))
        for j, n in enumerate(neurons):
            for k, w in enumerate(n.w):
                src = f"x{k}" if i == 0 else f"l{i - 1}n{k}"
                name = f"layers.{i}.neurons.{j}.w.{k}"
                tip = _tooltip([w.label or name, f"w = {w.data!r}", f"grad = {w.grad!r}"])
                attrs = {"tooltip": tip, "labeltooltip": tip}
                if label_edges:
                    attrs["label"] = graphviz.nohtml(f"w {_fmt(w.data)}\\ngrad {_fmt(w.grad)}")
                dot.edge(src, f"l{i}n{j}", **attrs)

    with dot.subgraph(name="cluster_outputs") as sub:
        sub.attr(label="outputs", style="rounded,dashed", color="#AAAAAA", fontsize="11")
        for j in range(len(layers[-1].neurons)):
            sub.node(f"y{j}", label=f"output {j}", shape="ellipse", tooltip=f"output {j}")
    for j in range(len(layers[-1].neurons)):
        dot.edge(f"l{last}n{j}", f"y{j}", style="dashed")

    params = [p for layer in layers for n in layer.neurons for p in (*n.w, n.b)]
    all_zero = all(p.grad == 0.0 for p in params)
    dot.attr(
        label=_graph_label(title, "How to read this", _network_legend_rows(groups, unlabelled, all_zero)),
        labelloc="t",
        labeljust="l",
    )
    return dot


def _neuron_attrs(i: int, j: int, neuron: Any, group: tuple[str, str, str, list[int]] | None) -> dict[str, str]:
    b = neuron.b
    title = f"neuron {j}"
    if group is not None:
        title += f"  {group[0]}"
    rows = [
        f'<tr><td colspan="2"><b>{_h(title)}</b></td></tr>',
        f'<tr><td align="left">b</td><td align="right">{_h(_fmt(b.data))}</td></tr>',
        f'<tr><td align="left">grad</td><td align="right">{_h(_fmt(b.grad))}</td></tr>',
    ]
    label = '<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">' + "".join(rows) + "</table>>"
    tip = [f"layers.{i}.neurons.{j}", f"activation {_activation_name(neuron)}", f"b = {b.data!r}", f"b.grad = {b.grad!r}"]
    attrs = {"label": label}
    if group is not None:
        tag, fill, style, members = group
        others = ", ".join(str(m) for m in members if m != j)
        tip.append(f"group {tag}: interchangeable with neuron(s) {others} of layers.{i}")
        attrs["fillcolor"] = fill
        attrs["style"] = ",".join(["rounded", "filled"] + ([style] if style else []))
        attrs["class"] = f"interchangeable-{tag}"
    attrs["tooltip"] = _tooltip(tip)
    return attrs


def _network_legend_rows(groups: list[tuple[int, list[int]]], unlabelled: list[tuple[int, int]], all_zero: bool) -> list[str]:
    if unlabelled:
        total = sum(n for _, n in unlabelled)
        edge_row = f"edge = one weight ({total} in all, too many to label): hover over an edge for its value and gradient"
    else:
        edge_row = "edge = one weight: <b>w</b> its value, <b>grad</b> its gradient"
    rows = [_text_row(edge_row), _text_row("neuron: <b>b</b> its bias, <b>grad</b> the bias&#39;s gradient")]
    for k, (li, members) in enumerate(groups):
        fill, style = _look(k)
        border = {"": "", "dashed": " (dashed border)", "bold": " (bold border)"}[style]
        who = f"layers.{li}: neurons {', '.join(str(m) for m in members)}{border}"
        rows.append(_swatch_row(_tag(k), _h(who), fill))
    if groups:
        rows.append(_text_row(f"<b>Same colour = {_h(INTERCHANGEABLE_MESSAGE)}</b>"))
    else:
        rows.append(_text_row("no interchangeable neurons: every neuron can learn something different"))
    if all_zero:
        rows.append(_text_row("every gradient is 0: call loss.backward() before drawing to see them"))
    return rows


# ----------------------------------------------------------------------------------
# rendering
# ----------------------------------------------------------------------------------

INSTALL_HINT = (
    "Install the Graphviz program (pip install graphviz only installs the Python wrapper):\n"
    "  Debian/Ubuntu:  sudo apt-get install graphviz\n"
    "  macOS:          brew install graphviz\n"
    "  conda:          conda install -c conda-forge graphviz\n"
    "  Windows:        the installer from https://graphviz.org/download/ "
    "(tick 'Add Graphviz to the system PATH'), then open a new terminal"
)


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """The Graphviz ``dot`` program is not installed (or not on PATH).

    A subclass of :class:`graphviz.ExecutableNotFound`, so code that already
    catches that keeps working; its message says how to install Graphviz and
    where the DOT source was saved.

    Attributes:
        source_path: Where the DOT source was written, or ``None``.
    """

    def __init__(self, source_path: Path | None = None, command: str | None = None) -> None:
        self.source_path = source_path
        lines = ["Graphviz's 'dot' program was not found on your PATH, so the drawing could not be rendered.", INSTALL_HINT]
        if source_path is not None:
            lines.append(f"The DOT source was saved to {source_path}.")
        if command is not None:
            lines.append(f"Once Graphviz is installed, run: {command}")
        # RuntimeError's constructor, not ExecutableNotFound's, which expects a command list.
        RuntimeError.__init__(self, "\n".join(lines))


def render(graph: graphviz.Digraph | graphviz.Graph | graphviz.Source, path: str | Path, format: str | None = None) -> Path:
    """Render a drawing to a file with Graphviz, explaining how to install it if missing.

    Only the rendered file is left behind on success. If the ``dot`` program is
    missing, the DOT source is saved next to ``path`` (same name, ``.gv``) and
    :class:`GraphvizNotFoundError` says how to install Graphviz. ``graph.source``
    and ``graph.save()`` never need the program.

    Args:
        graph: A drawing from :func:`draw_dot` or :func:`draw_network` (any graphviz graph).
        path: The file to write, e.g. ``"loss.svg"``. Without a suffix, ``.{format}``
            is appended.
        format: Output format such as ``"svg"``, ``"png"``, ``"pdf"``. Default: taken
            from the suffix of ``path``, or ``"svg"`` if it has none.

    Returns:
        The path of the rendered file.

    Raises:
        TypeError: If ``graph`` is not a graphviz graph or ``path`` not a path.
        ValueError: If the format is unknown, or contradicts the suffix of ``path``.
        GraphvizNotFoundError: If the Graphviz ``dot`` program cannot be found.
        graphviz.CalledProcessError: If ``dot`` fails on the source.
    """
    if not isinstance(graph, (graphviz.Digraph, graphviz.Graph, graphviz.Source)):
        raise TypeError(
            f"render needs a graphviz graph such as the result of draw_dot(loss), got {type(graph).__name__}"
        )
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or pathlib.Path such as 'loss.svg', got {type(path).__name__} {path!r}")
    out = Path(path).absolute()
    suffix = out.suffix[1:].lower()
    if format is None:
        if suffix and suffix not in graphviz.FORMATS:
            raise ValueError(
                f"cannot tell the output format from the suffix of {str(path)!r}; "
                "pass format='svg' (or 'png', 'pdf', ...)"
            )
        format = suffix or "svg"
    if not isinstance(format, str) or format.lower() not in graphviz.FORMATS:
        raise ValueError(f"unknown Graphviz output format {format!r}; use for example 'svg', 'png' or 'pdf'")
    format = format.lower()
    if not suffix:
        out = out.with_name(f"{out.name}.{format}")
    elif suffix != format:
        raise ValueError(f"path {str(path)!r} ends in .{suffix} but format is {format!r}; make them agree")
    source = out.with_suffix(".gv")
    if source == out:  # rendering to DOT itself: keep the input file apart
        source = out.with_name(f"{out.stem}.source.gv")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        rendered = graph.render(filename=source, outfile=out, format=format, cleanup=True)
    except graphviz.ExecutableNotFound as exc:
        saved = source if source.exists() else None
        command = f'dot -T{format} "{saved}" -o "{out}"' if saved is not None else None
        raise GraphvizNotFoundError(saved, command) from exc
    return Path(rendered)
