"""The network view: an MLP drawn one node per neuron, interchangeable neurons coloured alike."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import graphviz

from micrograd_like._checks import check_bool
from micrograd_like.engine import Value

from . import _labels as L
from ._args import check_rankdir, check_title
from ._findings import Findings, read_findings
from ._groups import Group, fmt
from ._style import FONT, border_note, look, tag

if TYPE_CHECKING:  # nn is only needed when drawing, and imported lazily there
    from micrograd_like.diagnose import Diagnosis
    from micrograd_like.nn import MLP

__all__ = ["INTERCHANGEABLE_MESSAGE", "NETWORK_EDGE_LABEL_LIMIT", "draw_network"]

#: draw_network writes value and gradient on the weight edges only when no layer
#: has more weights than this; otherwise the numbers live in the edge tooltips.
NETWORK_EDGE_LABEL_LIMIT = 32

INTERCHANGEABLE_MESSAGE = (
    "interchangeable: they will receive identical gradients forever; initialise randomly to break the symmetry"
)
#: The legend's words for a drawing whose gradients are all 0.
GRADIENTS_NOT_COMPUTED = "gradients not computed yet (no backward pass has reached them)"
_CLUSTER = {"style": "rounded", "color": "#AAAAAA", "fontsize": "11"}


def draw_network(
    model: MLP,
    *,
    rankdir: str = "LR",
    edge_labels: bool | None = None,
    title: str | None = None,
    diagnosis: Diagnosis | None = None,
) -> graphviz.Digraph:
    """Draw an MLP one node per input, neuron and output, one edge per weight.

    Each layer is a cluster; each neuron shows its bias and the bias's gradient;
    each weight is an edge into its neuron, labelled with its value and gradient
    (hover in SVG/Jupyter for the full values and the parameter's name such as
    ``layers.0.neurons.2.w.1``). Neurons that
    :func:`micrograd_like.nn.find_symmetric_neurons` reports as interchangeable
    share a fill colour and group letter, and the legend says what that means.
    With a ``diagnosis`` the findings of :func:`micrograd_like.diagnose` are
    drawn too: dead ReLUs filled grey, saturated sigmoid/tanh units with a double
    wine border and their largest local derivative, each layer's
    gradient norm in its title, and a legend line per finding (step size
    included), or one saying that no problem was found.

    Args:
        model: An :class:`~micrograd_like.nn.MLP`, ideally after ``loss.backward()``.
        rankdir: Graphviz direction: ``"LR"`` (default), ``"RL"``, ``"TB"``, ``"BT"``.
        edge_labels: Write value and gradient on the weight edges. ``None``
            (default) labels them when no layer has more than
            ``NETWORK_EDGE_LABEL_LIMIT`` (32) weights and otherwise none (the
            numbers stay in the tooltips); ``True``/``False`` force the choice.
        title: Optional caption above the legend; ``\\n`` separates lines, the first is bold.
        diagnosis: A :class:`~micrograd_like.diagnose.Diagnosis` of this model, or
            ``None`` (default) to draw no findings. It describes the weights
            ``diagnose`` saw: draw the model unchanged since then.

    Returns:
        An unrendered :class:`graphviz.Digraph`. DOT names: ``x{k}`` inputs,
        ``l{i}n{j}`` neuron ``j`` of layer ``i``, ``y{j}`` outputs; clusters
        ``cluster_inputs``, ``cluster_layer{i}``, ``cluster_outputs``.

    Raises:
        TypeError: If ``model`` is not an MLP-like model or an option has the wrong type.
        ValueError: If ``rankdir`` is unknown or ``diagnosis`` is of a network of another shape.
    """
    from micrograd_like.nn import (
        find_symmetric_neurons,  # lazy: the engine-only view must not need nn
    )

    layers = _check_model(model)
    rankdir = check_rankdir(rankdir)
    if edge_labels is not None:
        check_bool(edge_labels, "edge_labels")
    title = check_title(title)
    findings = read_findings(diagnosis, (len(layers[0].neurons[0].w), *(len(layer.neurons) for layer in layers)))
    groups = find_symmetric_neurons(model)
    sizes = [sum(len(n.w) for n in layer.neurons) for layer in layers]
    # All edges labelled or none: an edge label takes a rank of its own in dot, so
    # mixing labelled and unlabelled layers sends the unlabelled edges on huge detours.
    label_edges = max(sizes) <= NETWORK_EDGE_LABEL_LIMIT if edge_labels is None else edge_labels
    dot = _network_digraph(rankdir)
    _add_end(dot, "inputs", "x", "input", len(layers[0].neurons[0].w))
    for i, layer in enumerate(layers):
        _add_layer(dot, i, layer, len(layers), _neuron_groups(groups, i), findings)
        _add_weight_edges(dot, i, layer, label_edges)
    _add_end(dot, "outputs", "y", "output neuron", len(layers[-1].neurons))
    for j in range(len(layers[-1].neurons)):
        dot.edge(f"l{len(layers) - 1}n{j}", f"y{j}", style="dashed")
    all_zero = all(p.grad == 0.0 for layer in layers for n in layer.neurons for p in (*n.w, n.b))
    rows = _network_legend_rows(groups, 0 if label_edges else sum(sizes), all_zero, findings)
    dot.attr(
        label=L.graph_label(title, "How to read this", rows),
        labelloc="t",
        labeljust="l",
    )
    return dot


def _network_digraph(rankdir: str) -> graphviz.Digraph:
    return graphviz.Digraph(
        name="network",
        graph_attr={
            "rankdir": rankdir,
            "fontname": FONT,
            "fontsize": "12",
            "nodesep": "0.3",
            "ranksep": "1.2",
            # Almost no crossing minimisation: dot keeps the declaration order, so
            # neuron 0 is above neuron 1 in every column (rank=same chains and
            # ordering=out fail on 16 neurons and together crash Graphviz 2.43).
            "mclimit": "0.01",
            "tooltip": "network",
        },
        node_attr={
            "fontname": FONT,
            "fontsize": "11",
            "shape": "box",
            "style": "rounded",
            "margin": "0.08,0.04",
        },
        edge_attr={
            "fontname": FONT,
            "fontsize": "9",
            "color": "#777777",
            "arrowsize": "0.6",
            "fontcolor": "#333333",
        },
    )


def _check_model(model: Any) -> list[Any]:
    problem = model_problem(model)
    if problem:
        raise TypeError(
            f"draw_network needs an MLP from micrograd_like.nn, got {type(model).__name__}: {problem}. "
            "To draw an expression such as a loss, use draw_dot(value)."
        )
    return list(model.layers)


def model_problem(model: Any) -> str | None:
    """What keeps ``model`` from being drawn as an MLP, or None."""
    layers = getattr(model, "layers", None)
    if not isinstance(layers, (list, tuple)) or not layers:
        return "it has no non-empty .layers list"
    for i, layer in enumerate(layers):
        neurons = getattr(layer, "neurons", None)
        if not isinstance(neurons, (list, tuple)) or not neurons:
            return f"layers[{i}] has no non-empty .neurons list"
        for j, n in enumerate(neurons):
            w, b = getattr(n, "w", None), getattr(n, "b", None)
            if not isinstance(w, (list, tuple)) or not all(isinstance(x, Value) for x in w) or not isinstance(b, Value):
                return f"layers[{i}].neurons[{j}] lacks a list of Values .w and a Value .b"
        if i > 0 and any(len(n.w) != len(layers[i - 1].neurons) for n in neurons):
            return f"layers[{i}] neurons do not take one input per neuron of layers[{i - 1}]"
    return None


def _neuron_groups(groups: list[tuple[int, list[int]]], layer: int) -> dict[int, Group]:
    """Neuron index -> its group of interchangeable neurons in ``layer``."""
    out: dict[int, Group] = {}
    for k, (li, members) in enumerate(groups):
        if li == layer:
            fill, style = look(k)
            group = Group("shared", tag(k), 0.0, tuple(members), fill, style)
            out.update((j, group) for j in members)
    return out


def _activation_name(neuron: Any) -> str:
    act = getattr(neuron, "activation", "")
    if isinstance(act, str):
        return act
    return getattr(act, "__name__", None) or type(act).__name__


def _add_end(dot: graphviz.Digraph, name: str, prefix: str, noun: str, n: int) -> None:
    with dot.subgraph(name=f"cluster_{name}") as sub:
        sub.attr(label=name, **{**_CLUSTER, "style": "rounded,dashed"})
        for k in range(n):
            sub.node(
                f"{prefix}{k}",
                label=f"{noun} {k}",
                shape="ellipse",
                tooltip=f"{noun} {k}",
            )


def _add_layer(
    dot: graphviz.Digraph, i: int, layer: Any, depth: int, groups: dict[int, Group], findings: Findings | None
) -> None:
    kind = "output layer" if i == depth - 1 else "hidden layer"
    acts = ", ".join(sorted({_activation_name(n) for n in layer.neurons}))
    note = findings.layer_note(i) if findings is not None else ""
    with dot.subgraph(name=f"cluster_layer{i}") as sub:
        sub.attr(label=L.plain(f"layers.{i}: {kind}, {acts}{note}"), **_CLUSTER)
        for j, n in enumerate(layer.neurons):
            sub.node(f"l{i}n{j}", **_neuron_attrs(i, j, n, groups.get(j), findings))


def _add_weight_edges(dot: graphviz.Digraph, i: int, layer: Any, label_edges: bool) -> None:
    for j, n in enumerate(layer.neurons):
        for k, w in enumerate(n.w):
            name = f"layers.{i}.neurons.{j}.w.{k}"
            tip = L.tooltip([w.label or name, f"w = {w.data!r}", f"grad = {w.grad!r}"])
            attrs = {"tooltip": tip, "labeltooltip": tip}
            if label_edges:
                attrs["label"] = graphviz.nohtml(f"w {fmt(w.data)}\\ngrad {fmt(w.grad)}")
            dot.edge(f"x{k}" if i == 0 else f"l{i - 1}n{k}", f"l{i}n{j}", **attrs)


def _neuron_attrs(i: int, j: int, neuron: Any, group: Group | None, findings: Findings | None) -> dict[str, str]:
    b = neuron.b
    heading = f"neuron {j}" + (f"  {group.tag}" if group is not None else "")
    rows = [
        L.row(L.h(heading), bold_first=True),
        L.row("b", L.h(fmt(b.data))),
        L.row("grad", L.h(fmt(b.grad))),
        *(findings.neuron_rows(i, j) if findings is not None else []),
    ]
    tip = [
        f"layers.{i}.neurons.{j}",
        f"activation {_activation_name(neuron)}",
        f"b = {b.data!r}",
        f"b.grad = {b.grad!r}",
    ]
    attrs = {"label": "<" + L.table(rows) + ">"}
    style = ["rounded"]
    if group is not None:
        others = ", ".join(str(m) for m in group.members if m != j)
        tip.append(f"group {group.tag}: interchangeable with neuron(s) {others} of layers.{i}")
        style += ["filled"] + ([group.style] if group.style else [])
        attrs.update(fillcolor=group.fillcolor)
        attrs["class"] = f"interchangeable-{group.tag}"
    if findings is not None:
        tip += findings.neuron_tooltip(i, j)
        marks = findings.neuron_attrs(i, j, style, group.fillcolor if group is not None else None)
        if "class" in marks and "class" in attrs:
            marks["class"] = f"{attrs['class']} {marks['class']}"
        attrs.update(marks)
    attrs["style"] = ",".join(style)
    attrs["tooltip"] = L.tooltip(tip)
    return attrs


def _network_legend_rows(
    groups: list[tuple[int, list[int]]], unlabelled: int, all_zero: bool, findings: Findings | None
) -> list[str]:
    if unlabelled:
        edge_row = (
            f"edge = one weight ({unlabelled} in all, too many to label): hover over an edge for its value and gradient"
        )
    else:
        edge_row = "edge = one weight: <b>w</b> its value, <b>grad</b> its gradient"
    rows = [edge_row, "neuron: <b>b</b> its bias, <b>grad</b> the bias&#39;s gradient"]
    for k, (li, members) in enumerate(groups):
        fill, style = look(k)
        who = f"layers.{li}: neurons {', '.join(str(m) for m in members)}{border_note(style)}"
        rows.append(L.swatch_row(tag(k), L.h(who), fill))
    if groups:
        rows.append(f"<b>Same colour = {L.h(INTERCHANGEABLE_MESSAGE)}</b>")
    elif findings is not None and (findings.dead or findings.saturated):
        rows.append("no interchangeable neurons")  # but some cannot learn: the lines below say which
    else:
        rows.append("no interchangeable neurons: every neuron can learn something different")
    if all_zero:
        rows.append(f"every gradient is 0: {GRADIENTS_NOT_COMPUTED}")
    if findings is not None:
        rows += findings.legend_rows(any((li, m) in findings.dead for li, members in groups for m in members))
    return rows
