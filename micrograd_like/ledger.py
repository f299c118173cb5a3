"""The chain-rule ledger: a backward pass written out one multiplication at a time.

:func:`explain` replays reverse mode over a graph and records, for every edge
(node -> input), the node's gradient, the local derivative (as a number and as a
formula), their product and the input's running total. :func:`explain_network`
tells the same story for an MLP in layer notation and shows which neurons get
identical gradients, and why.

Both use the engine's own pieces (``iter_graph`` for the order, each op's float
``vjp`` for the numbers), so the gradients are bit-for-bit those of ``backward()``.
Nothing here touches ``.grad``.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from ._checks import describe
from .engine import BARE_MATH_ERRORS, Value, derivative_error, grad, iter_graph, node_parts
from .registry import node_expression

__all__ = ["LedgerRow", "NodeGradient", "Ledger", "explain", "NetworkExplanation", "explain_network"]

_TOKEN = re.compile(r"\b(x|y|out)\b")
_PLAIN_NAME = re.compile(r"^[\w.\[\]]+$")  # fine inside an expression: a, w.0, 2.5
_IDENTIFIER = re.compile(r"^[A-Za-z_][\w.\[\]]*$")  # fine after d: da, dw.0 (not d2.5)


class LedgerRow(NamedTuple):
    """One step of reverse mode: ``node`` passes its gradient on to ``input``.

    ``node_index`` and ``input_index`` are positions in ``iter_graph(root)`` order
    (the DOT node ``v{i}`` of ``draw_dot``); ``final`` is True when this is the
    last contribution ``input`` receives, so ``total`` is its final gradient.
    """

    step: int
    node: str
    node_index: int
    node_grad: float
    input: str
    input_index: int
    local: float
    formula: str
    contribution: float
    total: float
    final: bool

    def __str__(self) -> str:
        return (
            f"{self.node} -> {self.input}: {_evaluated(self.formula, self.local)}; "
            f"{_num(self.node_grad)} * {_num(self.local)} = {_num(self.contribution)}; "
            f"total {_num(self.total)}"
        )


class NodeGradient(NamedTuple):
    """A node's final gradient; ``final_step`` is the row that completed it (None for the root).

    ``expression`` is how the node was computed from its inputs' names (``"a*b"``),
    ``""`` for a leaf.
    """

    # A field named like tuple.index (the method): the public name is kept, and mypy cannot allow it.
    index: int  # type: ignore[assignment]
    name: str
    expression: str
    op: str
    data: float
    grad: float
    final_step: int | None


@dataclass(frozen=True)
class Ledger:
    """The backward pass of ``root`` as rows; ``str()`` is an aligned text table.

    Attributes:
        rows: One :class:`LedgerRow` per edge, in the order reverse mode adds them.
        nodes: One :class:`NodeGradient` per Value, in ``iter_graph`` order (root last).
    """

    rows: tuple[LedgerRow, ...]
    nodes: tuple[NodeGradient, ...]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, k: int) -> LedgerRow:
        return self.rows[k]

    def __str__(self) -> str:
        root = self.nodes[-1]
        d_root = f"d{wrt(root.name)}"
        head = _row_heads(d_root)
        body = [
            (
                str(r.step),
                r.node,
                _num(r.node_grad),
                _evaluated(r.formula, r.local),
                _num(r.contribution),
                r.input,
                _num(r.total) + (" final" if r.final else ""),
            )
            for r in self.rows
        ]
        lines = [_caption(root), ""]
        lines += _table(head, body, right=(0, 2, 4))
        lines += ["", f"Final gradients {d_root}/d(node):"]
        lines += _table(
            ("node", "op", "data", "grad"),
            [
                (n.name + (f" = {n.expression}" if n.expression else ""), n.op or "leaf", _num(n.data), _num(n.grad))
                for n in self.nodes
            ],
            right=(2, 3),
        )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The ledger as HTML tables (a notebook shows them); full precision on hover."""
        root = self.nodes[-1]
        body = [
            [_cell(str(r.step)), _cell(r.node), _cell_num(r.node_grad), _cell(_evaluated(r.formula, r.local), r.local)]
            + [_cell_num(r.contribution), _cell(r.input), _cell_num(r.total, " final" if r.final else "")]
            for r in self.rows
        ]
        finals = [
            [_cell(n.name + (f" = {n.expression}" if n.expression else "")), _cell(n.op or "leaf")]
            + [_cell_num(n.data), _cell_num(n.grad)]
            for n in self.nodes
        ]
        d_root = f"d{wrt(root.name)}"
        return _html_table(_caption(root), _row_heads(d_root), body) + _html_table(
            f"Final gradients {d_root}/d(node):", ("node", "op", "data", "grad"), finals
        )


def _row_heads(d_root: str) -> tuple[str, ...]:
    return ("step", "node", f"{d_root}/d(node)", "local derivative d(node)/d(input)", "contribution", "input", "total")


def _caption(root: NodeGradient) -> str:
    return (
        f"Backward pass from {root.name}, the value being differentiated: "
        f"d{wrt(root.name)}/d{wrt(root.name)} = {_num(root.grad)} (the seed)"
    )


def _cell(text: str, exact: float | None = None) -> str:
    """A table cell; with ``exact``, hovering shows that number in full."""
    tip = "" if exact is None else f' title="{html.escape(repr(exact))}"'
    return f"<td{tip}>{html.escape(text)}</td>"


def _cell_num(x: float, note: str = "") -> str:
    return f'<td style="text-align:right" title="{html.escape(repr(x))}">{html.escape(_num(x) + note)}</td>'


def _html_table(caption: str, head: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """An HTML table: ``head`` is plain text (escaped here), ``body`` rows of finished cells."""
    heads = "".join(f'<th style="text-align:left">{html.escape(h)}</th>' for h in head)
    rows = "".join(f"<tr>{''.join(cells)}</tr>" for cells in body)
    return (
        f'<table class="micrograd-ledger"><caption style="text-align:left">{html.escape(caption)}</caption>'
        f"<thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table>"
    )


def _evaluated(formula: str, local: float) -> str:
    """``d(a*b)/da = b = 0.8``; a formula that is already its number is not repeated (``= 1``)."""
    number = _num(local)
    return formula if formula.rsplit(" = ", 1)[-1] == number else f"{formula} = {number}"


def _num(x: float) -> str:
    """Short but honest: 6 significant digits, NaN and infinities spelled out."""
    return repr(x) if not math.isfinite(x) else format(x, ".6g")


def _table(head: Sequence[str], body: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    widths = [max([len(head[c])] + [len(row[c]) for row in body]) for c in range(len(head))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(w) if c in right else cell.ljust(w) for c, (cell, w) in enumerate(zip(cells, widths))
        ).rstrip()

    rule = ["-" * w if h else "" for h, w in zip(head, widths)]  # a column without a heading gets no rule
    return [line(head), line(rule)] + [line(row) for row in body]


#: The name of an unlabelled root: the value being differentiated.
ROOT_NAME = "L"


def _node_name(v: Value, index: int, is_root: bool = False) -> str:
    """The label if any; an unlabelled root L; a constant leaf by its number; any other node as n<index>."""
    if v.label:
        return v.label
    if is_root:
        return ROOT_NAME
    if node_parts(v)[0] is None:
        return _num(v.data)
    return f"n{index}"


@lru_cache(maxsize=512)
def _pieces(template: str) -> tuple[str, ...]:
    """Split a formula into literal text and the names x, y, out (odd positions)."""
    return tuple(_TOKEN.split(template))


def _fill(template: str, names: dict[str, str]) -> str:
    parts = _pieces(template)
    return "".join(names[p] if i % 2 else p for i, p in enumerate(parts))


def _op_texts(op: Any, arity: int) -> tuple[str, tuple[str, ...]]:
    """The node's expression (for the left side "d(x*y)/dx") and its local-derivative formulas."""
    formulas = tuple(getattr(op, "formulas", ()) or ("?",) * arity)
    return node_expression(op, arity), formulas


def _shown(name: str) -> str:
    return name if _PLAIN_NAME.match(name) else f"({name})"


def wrt(name: str) -> str:
    """The name after the d of a derivative: da, but d(2.5)."""
    return name if _IDENTIFIER.match(name) else f"({name})"


def explain(root: Value) -> Ledger:
    """Replay the backward pass of ``root`` as a ledger of chain-rule steps.

    Rows come in the order reverse mode computes them: nodes from ``root`` down
    (reverse ``iter_graph`` order), each node's inputs in argument order, except
    ``x * x``-style nodes whose one input is both arguments: there the second
    argument's contribution comes first, as in the engine. The gradients are those
    ``root.backward()`` would add (bit for bit); no ``.grad`` is changed.

    Nodes are named by their labels; an unlabelled ``root`` is ``L`` (the value
    being differentiated), another unlabelled computed node ``n<k>`` (its position
    in ``iter_graph`` order), an unlabelled constant by its value.

    Raises:
        TypeError: ``root`` is not a Value.
        ValueError, ZeroDivisionError, OverflowError: as ``backward()`` would.
    """
    if not isinstance(root, Value):
        raise TypeError(f"explain(root) needs a Value, got {describe(root)}; pass the Value to differentiate")
    order = list(iter_graph(root))
    position = {id(v): i for i, v in enumerate(order)}
    names = [_node_name(v, i, is_root=i == len(order) - 1) for i, v in enumerate(order)]
    totals: list[float | None] = [None] * len(order)
    totals[-1] = 1.0
    expressions = [""] * len(order)
    rows: list[LedgerRow] = []
    for i in range(len(order) - 1, -1, -1):
        node = order[i]
        if node_parts(node)[0] is not None:
            rows.extend(_node_rows(node, i, (position, names, totals, expressions), len(rows)))
    nodes = _finish(order, (names, totals, expressions), rows)  # marks final rows in place
    return Ledger(tuple(rows), nodes)


def _node_rows(node: Value, i: int, state: tuple, start: int) -> list[LedgerRow]:
    """The rows of one node: call its vjp once with g (the engine's numbers) and once with 1."""
    position, names, totals, expressions = state
    g = totals[i]
    op, inputs = node_parts(node)
    assert op is not None and inputs, "only op nodes have rows"  # the caller checks the op
    datas = [x.data for x in inputs]
    try:
        contributions = op.vjp(g, node.data, *datas)
        locals_ = op.vjp(1.0, node.data, *datas)
    except BARE_MATH_ERRORS as e:  # in backward()'s words
        raise derivative_error(node, e) from None
    expression, formulas = _op_texts(op, len(inputs))
    idx = [position[id(x)] for x in inputs]
    subst = {"x": _shown(names[idx[0]]), "y": _shown(names[idx[-1]]), "out": _shown(names[i])}
    lhs = expressions[i] = _fill(expression, subst)
    edges = [1, 0] if len(inputs) == 2 and inputs[0] is inputs[1] else list(range(len(inputs)))
    rows: list[LedgerRow] = []
    for k in edges:
        j = idx[k]
        prior = totals[j]
        totals[j] = contributions[k] if prior is None else prior + contributions[k]
        formula = f"d({lhs})/d{wrt(names[j])} = {_fill(formulas[k], subst)}"
        rows.append(
            LedgerRow(
                start + len(rows), names[i], i, g, names[j], j, locals_[k], formula, contributions[k], totals[j], False
            )
        )
    return rows


def _finish(order: list, state: tuple, rows: list[LedgerRow]) -> tuple[NodeGradient, ...]:
    """Mark each input's last contribution as final and list every node's gradient.

    The gradient is ``0.0 + total``, exactly what ``backward()`` leaves in a zeroed
    ``.grad`` (so a -0.0 total is shown as 0.0, as there).
    """
    names, totals, expressions = state
    final_step: list[int | None] = [None] * len(order)
    for k in range(len(rows) - 1, -1, -1):
        j = rows[k].input_index
        if final_step[j] is None:
            final_step[j] = k
            rows[k] = rows[k]._replace(final=True)
    return tuple(
        NodeGradient(i, names[i], expressions[i], v.op, v.data, 0.0 + totals[i], final_step[i])
        for i, v in enumerate(order)
    )


# -- the same story for a network, in layer notation ------------------------------------


@dataclass(frozen=True)
class NetworkExplanation:
    """One backward pass of an MLP, read layer by layer; ``str()`` is the text.

    Layers, neurons, inputs and observations are numbered from 0, as in the parameter
    names (``layers.0.neurons.2.w.1``) and the symmetry report.

    Attributes:
        cost: The cost's value.
        output_grads: ``output_grads[n][j]`` = dC/dy_j for observation n.
        activation_grads: ``activation_grads[l][n][j]`` = dC/da[l,j] for hidden layer l.
        weight_grads: ``weight_grads[l][j]`` = (dC/dw[l,j,1], ..., dC/db[l,j]), every layer.
        twins: per layer, the groups of neurons (0-based) whose gradients are identical.
    """

    cost: float
    output_grads: tuple[tuple[float, ...], ...]
    activation_grads: tuple[tuple[tuple[float, ...], ...], ...]
    weight_grads: tuple[tuple[tuple[float, ...], ...], ...]
    twins: tuple[tuple[tuple[int, ...], ...], ...]
    text: str

    def __str__(self) -> str:
        return self.text


def explain_network(model: Any, inputs: Sequence[Sequence[float]], loss: Callable[[list], Value]) -> NetworkExplanation:
    """Explain the first backward pass of ``model`` in the learner's notation.

    Runs the forward pass on every input vector, builds the cost with
    ``loss(outputs)`` (``outputs[n]`` is the list of output Values for
    observation n), and differentiates it with :func:`~micrograd_like.grad`, so
    no ``.grad`` changes. The text lists dC/dy per output, dC/da per hidden
    neuron, and per layer a table of weight gradients in which neurons with
    identical rows are put side by side, with the reasons that hold for them
    (same inputs, same weights, same upstream gradient), each checked on the numbers.

    Raises:
        TypeError: ``model`` is not an MLP, ``loss`` is not callable or does not return a Value.
    """
    from .nn import MLP  # nn is heavier than the engine; only this function needs it

    if not isinstance(model, MLP):
        raise TypeError(f"explain_network needs an MLP as model, got {describe(model)}; build one with MLP(nin, nouts)")
    if not callable(loss):
        raise TypeError(
            f"loss must be a function of the outputs returning a Value, got {describe(loss)}; "
            "pass e.g. lambda outs: sse(outs, targets)"
        )
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence) or not inputs:
        raise TypeError(f"inputs must be a non-empty list of input vectors, got {describe(inputs)}")
    acts = [_forward_layers(model, x) for x in inputs]  # acts[n][l] = list of Values
    cost = loss([list(a[-1]) for a in acts])
    if not isinstance(cost, Value):
        raise TypeError(f"loss(outputs) must return a Value, got {describe(cost)}; build the cost from the outputs")
    params = model.parameters()
    flat = [v for a in acts for layer in a for v in layer]
    grads = iter(grad(cost, flat + params))
    act_grads = [[[next(grads) for _ in layer] for layer in a] for a in acts]
    per_layer = [[tuple(next(grads) for _ in n.parameters()) for n in layer.neurons] for layer in model.layers]
    twins = tuple(_twins(rows) for rows in per_layer)
    hidden = tuple(tuple(tuple(a[li]) for a in act_grads) for li in range(len(model.layers) - 1))
    result: dict[str, Any] = dict(
        cost=cost.data,
        output_grads=tuple(tuple(a[-1]) for a in act_grads),
        activation_grads=hidden,
        weight_grads=tuple(tuple(rows) for rows in per_layer),
        twins=twins,
    )
    return NetworkExplanation(text=_network_text(model, acts, result), **result)


def _forward_layers(model: Any, x: Sequence[float]) -> list[list[Value]]:
    out: list[list[Value]] = []
    xs: Any = list(x)
    for layer in model.layers:
        ys = layer(xs)
        xs = ys if isinstance(ys, list) else [ys]
        out.append(xs)
    return out


def _twins(rows: Sequence[tuple[float, ...]]) -> tuple[tuple[int, ...], ...]:
    """Groups (two or more) of neurons whose gradient rows are bit-for-bit equal."""
    groups: dict[tuple[float, ...], list[int]] = {}
    for j, row in enumerate(rows):
        groups.setdefault(row, []).append(j)
    return tuple(tuple(g) for g in groups.values() if len(g) > 1)


def _network_text(model: Any, acts: list, r: dict) -> str:
    n_layers = len(model.layers)
    lines = [
        f"Cost C = {_num(r['cost'])} over {len(acts)} observation(s); its backward pass, layer by layer.",
        "Notation (from 0, as in layers.0.neurons.2.w.1): y_j = output neuron j; a[l,j] = neuron j of layer l;",
        "w[l,j,k] = weight from input k into that neuron; b[l,j] = its bias.",
        "",
        f"Output neurons (layer {n_layers - 1}): dC/dy_j",
    ]
    head = ["observation"] + [f"dC/dy_{j}" for j in range(len(r["output_grads"][0]))]
    lines += _indent(
        _table(
            head,
            [[str(n)] + [_num(g) for g in row] for n, row in enumerate(r["output_grads"])],
            right=range(1, len(head)),
        )
    )
    for li in range(n_layers - 2, -1, -1):
        grads = r["activation_grads"][li]
        head = ["observation"] + [f"dC/da[{li},{j}]" for j in range(len(grads[0]))]
        lines += ["", f"Hidden layer {li}: dC/da[{li},j], passed back from layer {li + 1}"]
        lines += _indent(
            _table(head, [[str(n)] + [_num(g) for g in row] for n, row in enumerate(grads)], right=range(1, len(head)))
        )
    for li in range(n_layers):
        lines += [""] + _layer_weights_text(model, li, r)
    return "\n".join(lines)


def _indent(lines: list[str]) -> list[str]:
    return ["  " + line for line in lines]


def _layer_weights_text(model: Any, li: int, r: dict) -> list[str]:
    rows = r["weight_grads"][li]
    nin = len(rows[0]) - 1
    head = ["neuron"] + [f"dC/dw[{li},j,{k}]" for k in range(nin)] + [f"dC/db[{li},j]", ""]
    first: dict[tuple[float, ...], int] = {}
    body = []
    for j, row in enumerate(rows):
        same = first.setdefault(row, j)
        note = f"= neuron {same}, bit for bit" if same != j else ""
        body.append([str(j)] + [_num(g) for g in row] + [note])
    lines = [f"Layer {li} weight gradients (summed over the observations):"]
    lines += _indent(_table(head, body, right=range(1, nin + 2)))
    for group in r["twins"][li]:
        lines += _indent(_why_equal(model, li, group, r))
    if not r["twins"][li]:
        lines.append("  No two neurons of this layer have identical gradients.")
    return lines


def _why_equal(model: Any, li: int, group: tuple[int, ...], r: dict) -> list[str]:
    """Say why a group of neurons got identical gradients, checking each reason on the numbers."""
    neurons = [model.layers[li].neurons[j] for j in group]
    same_weights = len({tuple(p.data for p in n.parameters()) for n in neurons}) == 1
    upstream = r["output_grads"] if li == len(model.layers) - 1 else r["activation_grads"][li]
    same_upstream = all(len({obs[j] for j in group}) == 1 for obs in upstream)
    source = "the network's inputs" if li == 0 else f"the outputs of layer {li - 1}"
    names = ", ".join(str(j) for j in group)
    if same_weights and same_upstream:
        return [
            f"Neurons {names} have identical gradients because they have",
            f"  - the same inputs ({source}: every neuron of a layer sees them all),",
            "  - the same weights and bias (so the same output and the same local derivative),",
            "  - the same upstream gradient dC/da for every observation (checked above),",
            "  so every product of the chain rule is the same number. A gradient step changes them",
            "  alike, so they stay identical: together they do the work of one neuron.",
        ]
    missing = [m for m, ok in (("weights", same_weights), ("upstream gradients", same_upstream)) if not ok]
    return [
        f"Neurons {names} have identical gradients in this pass although their {' and '.join(missing)} differ:",
        "  a coincidence of these numbers, not a symmetry that training will keep.",
    ]
