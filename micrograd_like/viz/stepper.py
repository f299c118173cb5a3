"""A backprop stepper: one self-contained HTML page that walks through a backward pass.

``viz.stepper(root, path)`` (:func:`stepper`, exported by :mod:`micrograd_like.viz`) draws the graph
once as :func:`~micrograd_like.viz.draw_dot` does, with the gradients and node names of
:func:`~micrograd_like.ledger.explain` (passed to the drawing, never written to ``.grad``), inlines the
SVG and adds the ledger's rows plus a little script. Each chain-rule step highlights the node passing
its gradient on and its inputs, shows the row, fills in each gradient once it is final and scrolls the
drawing to the nodes involved; the overview after the last step shows the same drawing with equal
gradients coloured alike. Nothing is laid out again between steps. The page loads nothing from
anywhere. Without a path, ``stepper(root)`` returns it as a :class:`~.page.Page`, shown inline by a
notebook.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from pathlib import Path
from typing import overload

from .._checks import check_int, check_str, describe
from ..engine import Value, iter_graph
from ..ledger import Ledger, explain, wrt
from ._groups import fmt
from .graph import draw_dot_shown
from .page import Page, html_path, script_json
from .render import GraphvizCrashedError, GraphvizTimeoutError, render

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
        GraphvizTimeoutError, GraphvizCrashedError: Graphviz was stopped or crashed; the DOT
            source is saved next to ``path`` (same name, ``.gv``; without ``path``, as
            ``micrograd-stepper.gv`` in the temp folder) and no page is written.
    """
    if not isinstance(root, Value):
        raise TypeError(f"stepper(root, path) needs a Value as root, got {describe(root)}; pass the loss")
    out = None if path is None else html_path(path)
    heading = check_str(title, "title", allow_none=True) or "Backward pass, step by step"
    _check_size(root, check_int(max_nodes, "max_nodes", minimum=1, example=500))
    ledger = explain(root)
    page = Page(
        _page(heading, ledger, _drawing(root, ledger, max_nodes, _kept_source(out))), title=heading, height=PAGE_HEIGHT
    )
    return page if out is None else page.save(out)  # saved atomically: never half a page


#: The height in CSS pixels of the stepper's frame in a notebook.
PAGE_HEIGHT = 900


def _kept_source(out: Path | None) -> Path:
    """Where a DOT source Graphviz failed on is kept: beside the page, else in the temp folder."""
    return out.with_suffix(".gv") if out is not None else Path(tempfile.gettempdir(), "micrograd-stepper.gv")


def _check_size(root: Value, max_nodes: int) -> None:
    """Refuse a graph too big to step through before any work is done on it."""
    n = sum(1 for _ in iter_graph(root))
    if n > max_nodes:
        raise ValueError(
            f"stepper: this graph has {n} Values, more than max_nodes={max_nodes}, too many steps to follow; "
            f"step through a smaller piece (one neuron, one observation), or pass max_nodes={n}"
        )


def _drawing(root: Value, ledger: Ledger, max_nodes: int, keep: Path) -> str:
    """The SVG of the graph, equal gradients coloured, showing the ledger's final gradients and names.

    One drawing serves every step (the page hides its colours until the overview),
    so nothing moves between steps. The numbers and names go to the drawing as
    mappings: no Value is written to, so a ``backward()`` running meanwhile in
    another thread loses nothing. Every node carries the ledger's name (``n4``,
    ``L`` for an unlabelled root, a constant its value), so each can be found by it.
    If Graphviz is stopped or crashes, the DOT source it failed on is kept at ``keep``.
    """
    nodes = list(iter_graph(root))
    grads = {v: n.grad for v, n in zip(nodes, ledger.nodes)}
    labels = {v: n.name for v, n in zip(nodes, ledger.nodes) if not v.label}
    graph = draw_dot_shown(root, grads=grads, labels=labels, max_nodes=max_nodes)
    with tempfile.TemporaryDirectory(prefix="micrograd-stepper-") as tmp:
        try:
            text = render(graph, Path(tmp, "graph.svg")).read_text(encoding="utf-8")
        except (GraphvizTimeoutError, GraphvizCrashedError) as exc:
            keep.parent.mkdir(parents=True, exist_ok=True)
            raise exc.kept_at(keep) from None
    return text[text.index("<svg") :]  # drop the XML prolog and DOCTYPE: the SVG is inlined


def _number(x: float) -> list[str]:
    """A number for the page: 6 significant digits to show, the exact repr for hovering."""
    return [format(x, ".6g"), repr(x)]


def _data(ledger: Ledger) -> str:
    """The ledger as JSON for the page's script (see ``_SCRIPT`` for the fields of a row)."""
    rows = [
        [r.node_index, r.input_index, r.node, r.input, r.formula, r.final]
        + [_number(x) for x in (r.node_grad, r.local, r.contribution, r.total)]
        + [fmt(r.total)]  # a running total as the drawing writes numbers
        for r in ledger.rows
    ]
    finals = [-1 if n.final_step is None else n.final_step for n in ledger.nodes]
    names = [n.name for n in ledger.nodes]
    data = {"rows": rows, "root": len(ledger.nodes) - 1, "names": names, "finalStep": finals}
    return script_json(data)


def _page(heading: str, ledger: Ledger, drawing: str) -> str:
    root = ledger.nodes[-1].name
    parts = {
        "TITLE": html.escape(heading),
        "ROOT": html.escape(root),
        "DROOT": html.escape(f"d{wrt(root)}"),
        "STEPS": str(len(ledger.rows)),
        "DRAWING": drawing,
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
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; box-sizing: border-box; padding: 0.4em 1em 0.6em;
  font-family: Helvetica, Arial, sans-serif; color: #222; overflow: hidden; }
body > * { flex: none; }
h1 { font-size: 1.4em; margin: 0 0 0.2em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#intro { margin: 0 0 0.3em; font-size: 0.9em; line-height: 1.3; }
#controls { display: flex; align-items: center; gap: 0.3em; white-space: nowrap; overflow: hidden; height: 2.4em; flex: none; }
#controls button { font-size: 0.95em; padding: 0.25em 0.7em; }
#controls .gap { margin-left: 1em; }
#counter { display: inline-block; min-width: 8.5em; font-weight: bold; }
#step-box { width: 4.5em; font-size: 0.95em; }
#node-name { display: inline-block; max-width: 16em; overflow: hidden; text-overflow: ellipsis; vertical-align: bottom; }
#panel { height: 3.9em; overflow: hidden; margin: 0.3em 0 0; }  /* the same height at every step */
#ledger { table-layout: fixed; width: 100%; border-collapse: collapse; }
#ledger th { text-align: left; font-weight: normal; color: #555; padding: 0.1em 0.6em 0.1em 0; width: 15em; font-size: 0.9em; }
#ledger td { font-family: monospace; padding: 0.1em 1em 0.1em 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#message { height: 2.6em; overflow: hidden; margin: 0.3em 0; flex: none; line-height: 1.3; }
#drawing { flex: 1 1 0; min-height: 0; overflow: auto; border: 1px solid #ccc; }
#drawing svg { display: block; }
#drawing.stepping g.node path:not([fill="none"]), #drawing.stepping g.node polygon:not([fill="none"]) { fill: #ffffff; }
#drawing.stepping g.cluster path, #drawing.stepping g.cluster polygon { fill: none; stroke: #888888; stroke-width: 1px; }
#drawing.stepping .letter, #drawing.stepping .legend { visibility: hidden; }
g.node.passing path, g.node.passing polygon { stroke: #D62728; stroke-width: 3px; vector-effect: non-scaling-stroke; }
#drawing.stepping g.node.passing path:first-of-type { fill: #FDE0DD; }
g.node.input path, g.node.input polygon { stroke: #1F77B4; stroke-width: 2px; vector-effect: non-scaling-stroke; }
g.node.receiving path, g.node.receiving polygon { stroke: #1F77B4; stroke-width: 4px; vector-effect: non-scaling-stroke; }
#drawing.stepping g.node.receiving path:first-of-type { fill: #DCEBF7; }
g.node.chosen path:not([fill="none"]) { stroke: #FF7F0E; stroke-width: 3px; stroke-dasharray: 6 3; vector-effect: non-scaling-stroke; }
g.node { cursor: pointer; }
g.edge.active path { stroke: #D62728; stroke-width: 2.5px; vector-effect: non-scaling-stroke; }
text.pending { fill: #999999; }
text.partial { fill: #1F77B4; font-style: italic; }
</style>
</head>
<body>
<h1>%%TITLE%%</h1>
<p id="intro"><b id="root-name">%%ROOT%%</b> is the value being differentiated. Reverse mode passes each node's
gradient %%DROOT%%/d(node) to its inputs, times the local derivative d(node)/d(input); an input's gradient is
the sum of what it receives. Red: the node passing its gradient on; blue: its inputs (thick: the one receiving
now); grey <b>?</b>: not computed yet; blue italic: a running total. Keys: &rarr; or Space next, &larr; previous,
PageDown/PageUp 10 steps, Home/End first step/overview, N next step of the chosen node (click a node to choose
it). Numbers: 6 significant digits; hover for all of them.</p>
<div id="controls">
<button id="first" type="button" title="first step (Home)">First</button>
<button id="prev" type="button" title="previous step (&larr;)">Previous</button>
<button id="next" type="button" title="next step (&rarr; or Space)">Next</button>
<button id="last" type="button" title="overview (End)">Overview</button>
<label class="gap">step <input id="step-box" type="number" min="0" max="%%STEPS%%" step="1"
 title="type a step number and press Enter"></label>
<span id="counter"></span>
<button id="next-of-node" type="button" class="gap" title="the next step this node takes part in (N)">Next step of
<span id="node-name"></span></button>
<span class="gap">zoom</span>
<button id="zoom-fit" type="button" title="the whole drawing in the window (F)">Fit</button>
<button id="zoom-100" type="button" title="full size (1)">100 %</button>
</div>
<div id="panel"><table id="ledger">
<tr><th>node passing its gradient on</th><td id="row-node"></td>
<th>input receiving it</th><td id="row-input"></td></tr>
<tr><th>its gradient %%DROOT%%/d(node)</th><td id="row-node-grad"></td>
<th>contribution (gradient &times; local)</th><td id="row-contribution"></td></tr>
<tr><th>local derivative d(node)/d(input)</th><td id="row-local-cell"><span id="row-formula"></span> = <span id="row-local"></span></td>
<th>input's running total</th><td><span id="row-total"></span> <span id="row-final"></span></td></tr>
</table></div>
<p id="message"></p>
<div id="drawing" class="stepping" tabindex="-1">%%DRAWING%%</div>
<script id="ledger-data" type="application/json">%%DATA%%</script>
<script>%%SCRIPT%%</script>
</body>
</html>
"""
_SCRIPT = r"""
(function () {
  "use strict";
  // A row: [node index, input index, node, input, formula, final, gradient, local, contribution, total,
  // total as the drawing writes it]; each number is [6 significant digits, exact repr].
  var data = JSON.parse(document.getElementById("ledger-data").textContent);
  var rows = data.rows, n = rows.length, overview = n + 1, step = 0, chosen = null;
  var box = document.getElementById("drawing"), svg = box.querySelector("svg");
  var nodes = {}, edges = {}, gradText = {}, legend = [], involved = {};
  var smooth = !(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  box.querySelectorAll("g.node").forEach(function (g) {
    var title = g.querySelector("title").textContent;
    if (!/^v\d+$/.test(title)) return;
    var i = Number(title.slice(1)), texts = Array.prototype.slice.call(g.querySelectorAll("text"));
    var k = texts.map(function (t) { return t.textContent; }).lastIndexOf("grad");
    nodes[i] = g;
    gradText[i] = {el: texts[k + 1], final: texts[k + 1].textContent.trim()};
    texts.slice(k + 2).forEach(function (t) { t.classList.add("letter"); });  // the group letter
    g.addEventListener("click", function () { chosen = chosen === i ? null : i; render(false); });
  });
  box.querySelectorAll("g.edge").forEach(function (g) {
    edges[g.querySelector("title").textContent.replace("\u2192", "->")] = g;
  });
  var background = svg.querySelector("g.graph polygon");
  svg.querySelectorAll("g.graph text, g.graph polygon").forEach(function (el) {
    if (el !== background && !el.closest("g.node, g.edge, g.cluster")) { el.classList.add("legend"); legend.push(el); }
  });
  rows.forEach(function (r, k) {
    [r[0], r[1]].forEach(function (i) { (involved[i] = involved[i] || []).push(k + 1); });
  });
  var natural = {w: svg.width.baseVal.value, h: svg.height.baseVal.value};

  function set(id, text, exact) {
    var el = document.getElementById(id);
    el.textContent = text;
    if (exact === undefined) el.removeAttribute("title"); else el.title = exact;
  }
  function clearMarks() {
    box.querySelectorAll(".passing, .input, .receiving, .active, .chosen")
      .forEach(function (el) { el.classList.remove("passing", "input", "receiving", "active", "chosen"); });
  }
  function showGradients(done) {  // done = number of ledger rows applied so far
    var totals = {};
    for (var k = 0; k < done; k++) totals[rows[k][1]] = rows[k][10];
    Object.keys(gradText).forEach(function (key) {
      var i = Number(key), t = gradText[i], fin = data.finalStep[i];
      t.el.classList.remove("pending", "partial");
      if (done < 0 || i === data.root || (fin >= 0 && fin < done)) { t.el.textContent = t.final; }
      else if (totals[i] !== undefined) { t.el.textContent = totals[i] + "\u2026"; t.el.classList.add("partial"); }
      else { t.el.textContent = "?"; t.el.classList.add("pending"); }
    });
  }
  function showRow(r) {
    set("row-node", r[2]); set("row-input", r[3]); set("row-formula", r[4]);
    document.getElementById("row-local-cell").title = r[4] + " = " + r[7][1];
    set("row-node-grad", r[6][0], r[6][1]); set("row-local", r[7][0], r[7][1]);
    set("row-contribution", r[8][0], r[8][1]); set("row-total", r[9][0], r[9][1]);
    set("row-final", r[5] ? "(final: " + r[3] + " receives nothing more)" : "(more may come)");
    set("message", r[2] + " passes " + r[6][0] + " \u00d7 " + r[7][0] + " = " + r[8][0] + " to " + r[3] + ".");
    nodes[r[0]].classList.add("passing");
    rows.forEach(function (o) { if (o[0] === r[0]) nodes[o[1]].classList.add("input"); });
    nodes[r[1]].classList.add("receiving");
    var e = edges["v" + r[1] + "->v" + r[0] + "op"];
    if (e) e.classList.add("active");
  }
  function focusNode() {  // the node "next step of" follows: the chosen one, else the one receiving now
    if (chosen !== null) return chosen;
    return step === 0 ? data.root : step === overview ? null : rows[step - 1][1];
  }
  function nextOf(i) {
    var steps = i === null ? [] : involved[i] || [];
    for (var k = 0; k < steps.length; k++) if (steps[k] > step) return steps[k];
    return null;
  }
  function showNodeButton() {
    var i = focusNode(), target = nextOf(i), button = document.getElementById("next-of-node");
    set("node-name", i === null ? "\u2014" : data.names[i], i === null ? undefined : data.names[i]);
    button.disabled = target === null;
    if (chosen !== null) nodes[chosen].classList.add("chosen");
  }
  function rectOf(els) {
    var r = null;
    els.forEach(function (el) {
      var b = el.getBoundingClientRect();
      r = r ? {left: Math.min(r.left, b.left), top: Math.min(r.top, b.top),
               right: Math.max(r.right, b.right), bottom: Math.max(r.bottom, b.bottom)} : b;
    });
    return r;
  }
  function bring(els, start, instant) {  // scroll the drawing so that els are in view; els[0] first
    var view = box.getBoundingClientRect(), w = box.clientWidth, h = box.clientHeight, m = 24;
    var r = rectOf(els);
    if (r.right - r.left > w - 2 * m || r.bottom - r.top > h - 2 * m) r = els[0].getBoundingClientRect();
    var inside = r.left >= view.left + m && r.right <= view.left + w - m && r.top >= view.top + m && r.bottom <= view.top + h - m;
    if (inside) return;
    var x = start ? r.left - view.left - m : (r.left + r.right) / 2 - view.left - w / 2;
    var y = start ? r.top - view.top - m : (r.top + r.bottom) / 2 - view.top - h / 2;
    box.scrollTo({left: box.scrollLeft + x, top: box.scrollTop + y, behavior: smooth && !instant ? "smooth" : "auto"});
  }
  function follow(instant) {
    if (step === overview) { bring(legend.length ? legend : [nodes[data.root]], legend.length > 0, instant); return; }
    var r = step === 0 ? null : rows[step - 1];
    bring(r ? [nodes[r[0]], nodes[r[1]]] : [nodes[data.root]], false, instant);
  }
  function render(scroll) {
    clearMarks();
    ["row-node", "row-node-grad", "row-formula", "row-local", "row-contribution", "row-input", "row-total", "row-final"]
      .forEach(function (id) { set(id, ""); });
    box.classList.toggle("stepping", step !== overview);
    document.getElementById("ledger").style.visibility = step === 0 || step === overview ? "hidden" : "visible";
    set("counter", step === overview ? "Overview" : "Step " + step + " of " + n);
    document.getElementById("step-box").value = step === overview ? "" : String(step);
    document.getElementById("prev").disabled = document.getElementById("first").disabled = step === 0;
    document.getElementById("next").disabled = document.getElementById("last").disabled = step === overview;
    if (step === 0) {
      showGradients(0);
      nodes[data.root].classList.add("passing");
      set("message", "Start: the gradient of " + data.names[data.root] + " with respect to itself is 1 (the seed).");
    } else if (step === overview) {
      showGradients(-1);
      set("message", "Every gradient is final. Same colour and letter = same gradient; the legend (top left) lists the groups; Fit (F) shows the whole drawing.");
    } else {
      showGradients(step);
      showRow(rows[step - 1]);
    }
    showNodeButton();
    document.body.setAttribute("data-step", String(step));
    if (scroll !== false) follow(false);
  }
  function goTo(k) { step = Math.max(0, Math.min(overview, k)); render(); }
  function zoom(z) {
    svg.style.width = natural.w * z + "px";
    svg.style.height = natural.h * z + "px";
    document.body.setAttribute("data-zoom", z === 1 ? "100" : "fit");
    follow(true);
  }
  function fit() { zoom(Math.min(1, (box.clientWidth - 2) / natural.w, (box.clientHeight - 2) / natural.h)); }
  function byId(id, f) { document.getElementById(id).addEventListener("click", f); }
  byId("next", function () { goTo(step + 1); });
  byId("prev", function () { goTo(step - 1); });
  byId("first", function () { goTo(0); });
  byId("last", function () { goTo(overview); });
  byId("next-of-node", function () { var k = nextOf(focusNode()); if (k !== null) goTo(k); });
  byId("zoom-fit", fit);
  byId("zoom-100", function () { zoom(1); });
  var stepBox = document.getElementById("step-box");
  stepBox.addEventListener("change", function () {
    var k = parseInt(stepBox.value, 10);
    stepBox.blur();  // the keys work again
    if (isNaN(k)) render(false); else goTo(Math.min(k, n));
  });
  var keys = {
    "ArrowRight": function () { goTo(step + 1); }, "ArrowLeft": function () { goTo(step - 1); },
    " ": function (ev) { goTo(step + (ev.shiftKey ? -1 : 1)); },
    "PageDown": function () { goTo(step + 10); }, "PageUp": function () { goTo(step - 10); },
    "Home": function () { goTo(0); }, "End": function () { goTo(overview); },
    "n": function () { var k = nextOf(focusNode()); if (k !== null) goTo(k); },
    "f": fit, "1": function () { zoom(1); }
  };
  document.addEventListener("keydown", function (ev) {
    var f = keys[ev.key.length === 1 ? ev.key.toLowerCase() : ev.key];
    if (!f || ev.target === stepBox || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    ev.preventDefault();  // also keeps Space from pressing a focused button
    f(ev);
  });
  render();
})();
"""
