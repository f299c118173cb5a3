"""A backprop stepper: one self-contained HTML page that walks through a backward pass.

``viz.stepper(root, path)`` (:func:`stepper`, exported by :mod:`micrograd_like.viz`) draws the graph as
:func:`~micrograd_like.viz.draw_dot` does, inlines
the SVG, and adds the rows of :func:`~micrograd_like.ledger.explain` plus a little
script: Next/Previous (buttons or arrow keys) move one chain-rule step; each step
highlights the node passing its gradient on and its inputs, shows the ledger row,
and fills in each gradient once it is final. The last step shows the drawing with
identical gradients coloured alike. The page loads nothing from anywhere.
Without a path, ``stepper(root)`` returns the page as a :class:`~.page.Page`, shown inline by a notebook.
"""

from __future__ import annotations

import html
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, overload

from .._checks import check_int, check_str, describe
from ..engine import Value, iter_graph
from ..ledger import Ledger, explain
from .graph import draw_dot_shown
from .page import Page, html_path
from .render import render

__all__ = ["stepper"]


@overload
def stepper(root: Value, path: None = None, *, title: str | None = None, max_nodes: int = 500) -> Page: ...
@overload
def stepper(root: Value, path: str | os.PathLike[str], *, title: str | None = None, max_nodes: int = 500) -> Path: ...
def stepper(
    root: Value, path: str | os.PathLike[str] | None = None, *, title: str | None = None, max_nodes: int = 500
) -> Page | Path:
    """The HTML page stepping through the backward pass of ``root``: shown inline, or written to ``path``.

    The gradients shown are those ``root.backward()`` computes (from zeroed
    ``.grad``); no Value of the graph is written to.

    Args:
        root: The Value to differentiate, usually a loss.
        path: The file to write; ``.html`` is appended when there is no suffix.
            Without it, the page is returned as a :class:`~micrograd_like.viz.page.Page`,
            which a notebook shows inline (``page.save(path)`` writes it later).
        title: Optional heading of the page (default: "Backward pass, step by step").
        max_nodes: Refuse graphs with more Values than this (checked before any work).

    Returns:
        The path of the written file; without ``path``, the :class:`Page`.

    Raises:
        TypeError: ``root`` is not a Value, ``path`` not a str or path, ``title`` not a str.
        ValueError: ``path`` has a suffix other than ``.html``/``.htm``, or the graph
            is larger than ``max_nodes`` (as ``draw_dot``).
        GraphvizNotFoundError: the Graphviz ``dot`` program is missing.
    """
    if not isinstance(root, Value):
        raise TypeError(f"stepper(root, path) needs a Value as root, got {describe(root)}; pass the loss")
    out = None if path is None else html_path(path)
    heading = check_str(title, "title", allow_none=True) or "Backward pass, step by step"
    _check_size(root, check_int(max_nodes, "max_nodes", minimum=1, example=500))
    ledger = explain(root)
    plain, coloured = _drawings(root, ledger, max_nodes)
    page = Page(_page(heading, ledger, plain, coloured), title=heading, height=PAGE_HEIGHT)
    return page if out is None else page.save(out)  # saved atomically: never half a page


#: The height in CSS pixels of the stepper's frame in a notebook.
PAGE_HEIGHT = 900


def _check_size(root: Value, max_nodes: int) -> None:
    """Refuse a graph too big to step through before any work is done on it."""
    n = sum(1 for _ in iter_graph(root))
    if n > max_nodes:
        raise ValueError(
            f"stepper: this graph has {n} Values, more than max_nodes={max_nodes}, too many steps to follow; "
            f"step through a smaller piece (one neuron, one observation), or pass max_nodes={n}"
        )


def _drawings(root: Value, ledger: Ledger, max_nodes: int) -> tuple[str, str]:
    """The SVG of the graph without and with gradient colouring, showing the ledger's final gradients.

    The numbers and names go to the drawing as mappings: no Value is written to, so
    a ``backward()`` running meanwhile in another thread loses nothing.
    """
    nodes = list(iter_graph(root))
    grads = {v: n.grad for v, n in zip(nodes, ledger.nodes)}
    # name computed nodes as the ledger does (n4, and L for an unlabelled root)
    labels = {v: n.name for v, n in zip(nodes, ledger.nodes) if n.expression and not v.label}
    plain = draw_dot_shown(root, grads=grads, labels=labels, highlight_equal_grads=False, max_nodes=max_nodes)
    coloured = draw_dot_shown(root, grads=grads, labels=labels, max_nodes=max_nodes)
    with tempfile.TemporaryDirectory(prefix="micrograd-stepper-") as tmp:
        return _svg(plain, Path(tmp, "plain.svg")), _svg(coloured, Path(tmp, "coloured.svg"))


def _svg(graph: Any, path: Path) -> str:
    text = render(graph, path).read_text(encoding="utf-8")
    return text[text.index("<svg") :]  # drop the XML prolog and DOCTYPE: the SVG is inlined


def _data(ledger: Ledger) -> str:
    """The ledger as JSON for the page's script; numbers as Python reprs, so they stay exact."""
    rows = [
        [
            r.node_index,
            r.input_index,
            r.node,
            repr(r.node_grad),
            r.input,
            r.formula,
            repr(r.local),
            repr(r.contribution),
            repr(r.total),
            r.final,
        ]
        for r in ledger.rows
    ]
    finals = [-1 if n.final_step is None else n.final_step for n in ledger.nodes]
    data = {"rows": rows, "root": len(ledger.nodes) - 1, "rootName": ledger.nodes[-1].name, "finalStep": finals}
    text = json.dumps(data, separators=(",", ":"))
    # Nothing in the data may close the script element or start markup.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _page(heading: str, ledger: Ledger, plain: str, coloured: str) -> str:
    parts = {
        "TITLE": html.escape(heading),
        "STEPS": str(len(ledger.rows)),
        "PLAIN": plain,
        "COLOURED": coloured,
        "DATA": _data(ledger),
        "SCRIPT": _SCRIPT,
    }
    # One pass, so that text inside a part (a label, say) is never taken for a placeholder.
    return re.sub(r"%%([A-Z]+)%%", lambda m: parts[m.group(1)], _TEMPLATE)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>%%TITLE%%</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 1em; color: #222; }
#controls button { font-size: 1em; padding: 0.3em 1em; }
#counter { margin-left: 1em; font-weight: bold; }
#ledger { border-collapse: collapse; margin: 0.8em 0; }
#ledger th { text-align: left; font-weight: normal; color: #555; padding: 0.15em 1em 0.15em 0; }
#ledger td { font-family: monospace; padding: 0.15em 0; }
#message { margin: 0.4em 0 0.8em; }
.drawing { overflow: auto; border: 1px solid #ddd; }
g.node.passing path, g.node.passing polygon { stroke: #D62728; stroke-width: 3px; }
g.node.input path, g.node.input polygon { stroke: #1F77B4; stroke-width: 2px; }
g.node.receiving path, g.node.receiving polygon { stroke: #1F77B4; stroke-width: 4px; }
g.edge.active path { stroke: #D62728; stroke-width: 2.5px; }
text.pending { fill: #999999; }
text.partial { fill: #1F77B4; font-style: italic; }
</style>
</head>
<body>
<h1>%%TITLE%%</h1>
<p>Reverse mode passes each node's gradient dL/d(node) to its inputs, times the local derivative
d(node)/d(input); an input's gradient is the sum of what it receives. Use the buttons or the arrow keys.
Red: the node passing its gradient on; blue: its inputs (thick: the one receiving now).
Grey <b>?</b>: not computed yet; blue italic: a running total that is not final yet.</p>
<div id="controls">
<button id="prev" type="button">Previous</button>
<button id="next" type="button">Next</button>
<span id="counter"></span> <span>(%%STEPS%% chain-rule steps, then an overview)</span>
</div>
<table id="ledger">
<tr><th>node passing its gradient on</th><td id="row-node"></td></tr>
<tr><th>its gradient dL/d(node)</th><td id="row-node-grad"></td></tr>
<tr><th>local derivative d(node)/d(input)</th><td><span id="row-formula"></span> = <span id="row-local"></span></td></tr>
<tr><th>contribution (gradient &times; local)</th><td id="row-contribution"></td></tr>
<tr><th>input receiving it</th><td id="row-input"></td></tr>
<tr><th>input's running total</th><td><span id="row-total"></span> <span id="row-final"></span></td></tr>
</table>
<p id="message"></p>
<div id="plain" class="drawing">%%PLAIN%%</div>
<div id="coloured" class="drawing" hidden>%%COLOURED%%</div>
<script id="ledger-data" type="application/json">%%DATA%%</script>
<script>%%SCRIPT%%</script>
</body>
</html>
"""

_SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ledger-data").textContent);
  var rows = data.rows, last = rows.length + 1, step = 0;
  var nodes = {}, edges = {}, gradText = {};
  document.querySelectorAll("#plain g.node").forEach(function (g) {
    var title = g.querySelector("title").textContent;
    if (/^v\d+$/.test(title)) {
      var i = Number(title.slice(1)), texts = g.querySelectorAll("text");
      nodes[i] = g;
      gradText[i] = {el: texts[texts.length - 1], final: texts[texts.length - 1].textContent};
    }
  });
  document.querySelectorAll("#plain g.edge").forEach(function (g) {
    edges[g.querySelector("title").textContent.replace("\u2192", "->")] = g;
  });
  function num(s) { return s === "nan" ? NaN : s === "inf" ? Infinity : s === "-inf" ? -Infinity : Number(s); }
  function short(s) { var x = num(s); return isFinite(x) ? x.toPrecision(4) : s; }
  function set(id, text) { document.getElementById(id).textContent = text; }
  function clearMarks() {
    document.querySelectorAll("#plain .passing, #plain .input, #plain .receiving, #plain .active")
      .forEach(function (el) { el.classList.remove("passing", "input", "receiving", "active"); });
  }
  function showGradients(done) {  // done = number of ledger rows applied so far
    var totals = {};
    for (var k = 0; k < done; k++) totals[rows[k][1]] = rows[k][8];
    Object.keys(gradText).forEach(function (key) {
      var i = Number(key), t = gradText[i], fin = data.finalStep[i];
      t.el.classList.remove("pending", "partial");
      if (i === data.root || (fin >= 0 && fin < done)) { t.el.textContent = t.final; }
      else if (totals[i] !== undefined) { t.el.textContent = short(totals[i]) + "\u2026"; t.el.classList.add("partial"); }
      else { t.el.textContent = "?"; t.el.classList.add("pending"); }
    });
  }
  function showRow(r) {
    set("row-node", r[2]); set("row-node-grad", r[3]); set("row-formula", r[5]); set("row-local", r[6]);
    set("row-contribution", r[7]); set("row-input", r[4]); set("row-total", r[8]);
    set("row-final", r[9] ? "(final: " + r[4] + " receives nothing more)" : "(more may come)");
    set("message", r[2] + " passes " + r[3] + " \u00d7 " + r[6] + " = " + r[7] + " to " + r[4] + ".");
    nodes[r[0]].classList.add("passing");
    rows.forEach(function (o) { if (o[0] === r[0]) nodes[o[1]].classList.add("input"); });
    nodes[r[1]].classList.add("receiving");
    var e = edges["v" + r[1] + "->v" + r[0] + "op"];
    if (e) e.classList.add("active");
  }
  function render() {
    clearMarks();
    ["row-node", "row-node-grad", "row-formula", "row-local", "row-contribution", "row-input", "row-total", "row-final"]
      .forEach(function (id) { set(id, ""); });
    document.getElementById("plain").hidden = step === last;
    document.getElementById("coloured").hidden = step !== last;
    document.getElementById("ledger").hidden = step === 0 || step === last;  // no row to show there
    set("counter", step === last ? "Overview" : "Step " + step + " of " + rows.length);
    document.getElementById("prev").disabled = step === 0;
    document.getElementById("next").disabled = step === last;
    if (step === 0) {
      showGradients(0);
      nodes[data.root].classList.add("passing");
      set("message", "Start: the gradient of " + data.rootName + " with respect to itself is 1 (the seed).");
    } else if (step === last) {
      set("message", "Every gradient is final. Same colour and letter = same gradient; the legend lists the groups.");
    } else {
      showGradients(step);
      showRow(rows[step - 1]);
    }
    document.body.setAttribute("data-step", String(step));
  }
  function go(delta) { step = Math.max(0, Math.min(last, step + delta)); render(); }
  document.getElementById("next").addEventListener("click", function () { go(1); });
  document.getElementById("prev").addEventListener("click", function () { go(-1); });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "ArrowRight") { go(1); ev.preventDefault(); }
    else if (ev.key === "ArrowLeft") { go(-1); ev.preventDefault(); }
  });
  render();
})();
"""
