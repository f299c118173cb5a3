"""A training timeline: one self-contained HTML page with a slider over the steps of training.

Data first: :func:`record_training` trains a network with plain SGD and returns a
:class:`TrainingRecord` (plain numbers: the cost at every step, and at a few dozen
evenly spaced steps every parameter's value and gradient). :func:`timeline` turns one
or more records into a :class:`~micrograd_like.viz.page.Page`: a slider from step 0
to the last snapshot; for each record the network drawing
(:func:`~micrograd_like.viz.draw_network`) at that step, coloured by interchangeable
neurons; the cost curves of all records with a marker at the step; and a table of
the hidden neurons' biases and bias gradients. Every drawing is rendered by
Graphviz beforehand and inlined, so the script only shows and hides them; the page
loads nothing from anywhere.
"""

from __future__ import annotations

import copy
import html
import math
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._checks import check_int, check_real, check_str, describe
from ..engine import Value
from ._groups import fmt
from .network import draw_network, model_problem
from .page import Page, script_json
from .render import render

if TYPE_CHECKING:
    from ..nn import MLP

__all__ = ["DEFAULT_SNAPSHOTS", "Snapshot", "TrainingRecord", "record_training", "snapshot_steps", "timeline"]

#: How many steps :func:`record_training` keeps the parameters of, by default.
DEFAULT_SNAPSHOTS = 41

#: Line colours of the cost curves, one per record (not the group palette: they mean "which start").
_CURVE_COLOURS = ("#222222", "#1F77B4", "#D62728", "#2CA02C")


@dataclass(frozen=True)
class Snapshot:
    """The network at one step of training.

    Attributes:
        step: Updates applied so far (0 = the start).
        cost: The cost at these weights.
        data: Every parameter's value, in ``model.parameters()`` order.
        grads: Every parameter's gradient of the cost at these weights, same order.
    """

    step: int
    cost: float
    data: tuple[float, ...]
    grads: tuple[float, ...]


@dataclass(frozen=True)
class TrainingRecord:
    """One training run as plain numbers (see :func:`record_training`).

    Attributes:
        name: What the run is, e.g. ``"constant 1"``.
        lr: The learning rate.
        costs: The cost after ``k`` updates, for every ``k`` from 0 to the number of steps.
        snapshots: The parameters at :func:`snapshot_steps` of the run, in step order.
    """

    name: str
    lr: float
    costs: tuple[float, ...]
    snapshots: tuple[Snapshot, ...]

    @property
    def steps(self) -> int:
        """The number of updates the run made."""
        return len(self.costs) - 1


def snapshot_steps(steps: int, count: int = DEFAULT_SNAPSHOTS) -> tuple[int, ...]:
    """``count`` evenly spaced steps from 0 to ``steps`` inclusive (fewer when ``steps`` is small).

    Raises:
        TypeError: If an argument is not an int.
        ValueError: If ``steps`` < 0 or ``count`` < 2.
    """
    check_int(steps, "steps", minimum=0, example=2300)
    check_int(count, "count", minimum=2, example=DEFAULT_SNAPSHOTS)
    return tuple(sorted({round(i * steps / (count - 1)) for i in range(count)}))


def record_training(
    model: MLP,
    loss: Callable[[Any], Value],
    *,
    steps: int,
    lr: float,
    snapshots: int = DEFAULT_SNAPSHOTS,
    name: str = "run",
) -> TrainingRecord:
    """Train ``model`` in place with plain full-batch SGD, recording the cost and snapshots.

    Each step computes ``loss(model)`` and its gradients, records them, then
    updates every parameter by ``-lr * grad``. The step is recorded once and
    replayed (:func:`micrograd_like.compile`), which gives the same numbers bit
    for bit as building the graph and calling ``backward()`` every step. After
    the call the parameters hold the final weights and their gradients there.

    Args:
        model: The network (any module with ``parameters()``).
        loss: ``loss(model)`` returns the cost as a Value; it must not take other arguments.
        steps: Number of updates, >= 0.
        lr: Learning rate, > 0.
        snapshots: How many evenly spaced steps (0 and the last included) keep
            every parameter's value and gradient, >= 2.
        name: What the run is, for the page.

    Raises:
        TypeError: If an argument has the wrong type or ``loss`` does not return a Value.
        ValueError: If ``steps``, ``lr`` or ``snapshots`` is out of range.
    """
    from ..compiled import compile as record_step  # lazy: compiled is only needed to train
    from ..optim import SGD

    if not callable(loss):
        raise TypeError(f"loss must be a function of the model returning a Value, got {describe(loss)}")
    keep = set(snapshot_steps(steps, snapshots))
    lr = check_real(lr, "lr", above=0.0, example=1.0)
    name = check_str(name, "name") or ""
    params = model.parameters()
    opt = SGD(params, lr=lr)
    step = record_step(lambda: _checked_loss(loss, model))
    costs: list[float] = []
    shots: list[Snapshot] = []
    for k in range(steps + 1):
        opt.zero_grad()
        costs.append(float(step()))
        if k in keep:
            shots.append(Snapshot(k, costs[-1], tuple(p.data for p in params), tuple(p.grad for p in params)))
        if k < steps:
            opt.step()
    return TrainingRecord(name, float(lr), tuple(costs), tuple(shots))


def _checked_loss(loss: Callable[[Any], Value], model: Any) -> Value:
    out = loss(model)
    if not isinstance(out, Value):
        raise TypeError(f"loss(model) must return a Value such as sse(outputs, targets), got {describe(out)}")
    return out


# -- the page ------------------------------------------------------------------------------------


def timeline(model: MLP, records: Sequence[TrainingRecord], *, title: str | None = None) -> Page:
    """The training timeline page of ``records`` (see the module docstring).

    Args:
        model: A network of the records' shape; only its architecture is used
            (it is copied and left as it was).
        records: One or more :class:`TrainingRecord` with the same snapshot steps,
            e.g. two starts of the same network trained the same way.
        title: The page's heading (default: "Training timeline").

    Returns:
        A :class:`~micrograd_like.viz.page.Page` (shown inline by Jupyter; ``.save(path)``).

    Raises:
        TypeError: If ``model`` is not an MLP, ``records`` not a list of
            TrainingRecord or ``title`` not a str.
        ValueError: If ``records`` is empty, their snapshot steps differ, or a record
            does not have one number per parameter of ``model``.
        GraphvizNotFoundError: If the Graphviz ``dot`` program cannot be found.
    """
    problem = model_problem(model)
    if problem:
        raise TypeError(f"model must be the MLP the records were made with, got {describe(model)}: {problem}")
    records = _check_records(records, len(model.parameters()))
    heading = check_str(title, "title", allow_none=True) or "Training timeline"
    frames = [_frames(model, r) for r in records]
    parts = {
        "TITLE": html.escape(heading),
        "LAST": str(len(records[0].snapshots) - 1),
        "INTRO": _intro(records),
        "DRAWINGS": "\n".join(_drawing_block(k, r, f) for k, (r, f) in enumerate(zip(records, frames))),
        "CURVE": _curve(records),
        "TABLE": _table(model, records),
        "DATA": script_json(_data(model, records)),
        "SCRIPT": _SCRIPT,
    }
    text = re.sub(r"%%([A-Z]+)%%", lambda m: parts[m.group(1)], _TEMPLATE)
    return Page(text, title=heading, height=1000)


def _check_records(records: Any, n_params: int) -> list[TrainingRecord]:
    if not isinstance(records, (list, tuple)) or not all(isinstance(r, TrainingRecord) for r in records):
        raise TypeError(f"records must be a list of TrainingRecord from record_training(), got {describe(records)}")
    if not records:
        raise ValueError("records must hold at least one TrainingRecord, got none; pass [record_training(...)]")
    steps = [tuple(s.step for s in r.snapshots) for r in records]
    if len(set(steps)) != 1:
        raise ValueError(
            f"every record needs the same snapshot steps, got {len(set(steps))} different sets; "
            "record them with the same steps and snapshots"
        )
    for r in records:
        if any(len(s.data) != n_params for s in r.snapshots):
            raise ValueError(
                f"record {r.name!r} does not hold one number per parameter of the model ({n_params}); "
                "pass the model the record was made with"
            )
    return list(records)


def _load(model: Any, snap: Snapshot) -> None:
    for p, d, g in zip(model.parameters(), snap.data, snap.grads):
        p.data, p.grad = d, g


def _frames(model: MLP, record: TrainingRecord) -> list[str]:
    """One inlined SVG of ``draw_network`` per snapshot (the caller's model untouched)."""
    scratch = copy.deepcopy(model)
    svgs = []
    with tempfile.TemporaryDirectory(prefix="micrograd-timeline-") as tmp:
        for k, snap in enumerate(record.snapshots):
            _load(scratch, snap)
            caption = f"{record.name}: step {snap.step:,}, cost {snap.cost:.6g}"
            text = render(draw_network(scratch, title=caption), Path(tmp, f"{k}.svg")).read_text(encoding="utf-8")
            svgs.append(text[text.index("<svg") :])  # inlined: no XML prolog
    return svgs


def _drawing_block(k: int, record: TrainingRecord, svgs: list[str]) -> str:
    frames = "\n".join(
        f'<div class="frame" data-frame="{i}"{"" if i == 0 else " hidden"}>{svg}</div>' for i, svg in enumerate(svgs)
    )
    return f'<section class="drawing" id="drawing-{k}" aria-label="{html.escape(record.name)}">{frames}</section>'


def _intro(records: list[TrainingRecord]) -> str:
    names = " and ".join(html.escape(r.name) for r in records)
    return (
        f"Plain SGD (lr {records[0].lr:g}), {names}. Drag the slider (or use the arrow keys, Page Up/Down, Home, End) "
        "to see the network at that step: each weight edge shows its value <b>w</b> and gradient <b>grad</b>; "
        "neurons of one colour are interchangeable (same weights, same gradients)."
    )


def _bias_positions(model: Any) -> list[list[int]]:
    """Per hidden layer, the index in ``parameters()`` of each neuron's bias."""
    index = {id(p): n for n, p in enumerate(model.parameters())}
    return [[index[id(n.b)] for n in layer.neurons] for layer in model.layers[:-1]]


def _table(model: Any, records: list[TrainingRecord]) -> str:
    """The numbers of the shown step: each record's cost and its hidden neurons' biases."""
    rows = [f'<p class="step-line">step <b id="step">{records[0].snapshots[0].step:,}</b></p>']
    for k, r in enumerate(records):
        colour = _CURVE_COLOURS[k % len(_CURVE_COLOURS)]
        rows.append(
            f'<h3><span class="swatch" style="background:{colour}"></span>{html.escape(r.name)}: '
            f'cost <span id="cost-{k}"></span></h3><table class="biases"><tr><th></th>'
        )
        positions = _bias_positions(model)
        rows.append("".join(f"<th>neuron {j}</th>" for j in range(max(len(p) for p in positions))) + "</tr>")
        for i, layer in enumerate(positions):
            for what, key in (("bias", "b"), ("bias grad", "g")):
                cells = "".join(f'<td id="{key}-{k}-{i}-{j}"></td>' for j in range(len(layer)))
                rows.append(f"<tr><th>layers.{i} {what}</th>{cells}</tr>")
        rows.append("</table>")
    return "\n".join(rows)


def _data(model: Any, records: list[TrainingRecord]) -> dict[str, Any]:
    """What the script fills in per snapshot: shown texts (formatted here) and marker positions."""
    positions = _bias_positions(model)
    scale = _scale(records)
    runs = []
    for r in records:
        runs.append(
            {
                "cost": [f"{s.cost:.6g}" for s in r.snapshots],
                "b": [[[fmt(s.data[n]) for n in layer] for layer in positions] for s in r.snapshots],
                "g": [[[fmt(s.grads[n]) for n in layer] for layer in positions] for s in r.snapshots],
                "xy": [_point(s.step, s.cost, scale) for s in r.snapshots],
            }
        )
    return {"steps": [s.step for s in records[0].snapshots], "runs": runs}


_W, _H, _PAD = 440.0, 260.0, 40.0


def _span(records: list[TrainingRecord]) -> tuple[float, float]:
    """The log10 range of the cost axis (costs fall by orders of magnitude)."""
    costs = [c for r in records for c in r.costs if c > 0 and math.isfinite(c)] or [1.0]
    low, high = math.log10(min(costs)), math.log10(max(costs))
    return low, max(high, low + 1e-9)


def _scale(records: list[TrainingRecord]) -> tuple[int, float, float]:
    """The last step and the log10 cost range: what :func:`_point` maps onto the plot."""
    return max(max(r.steps for r in records), 1), *_span(records)


def _point(step: int, cost: float, scale: tuple[int, float, float]) -> tuple[float, float]:
    last, low, high = scale
    level = math.log10(cost) if cost > 0 and math.isfinite(cost) else low
    x = 1.5 * _PAD + (_W - 2 * _PAD) * step / last
    y = _H - _PAD - (_H - 1.5 * _PAD) * (min(max(level, low), high) - low) / (high - low)
    return round(x, 1), round(y, 1)


def _curve(records: list[TrainingRecord]) -> str:
    """The cost curves as an inline SVG with axes, a legend and one marker per record."""
    scale = _scale(records)
    _, low, high = scale
    last = max(r.steps for r in records)
    x0, y0, x1, y1 = 1.5 * _PAD, _H - _PAD, _W - _PAD / 2, _PAD / 2
    parts = [
        f'<svg id="curve" width="{_W:g}" height="{_H:g}" viewBox="0 0 {_W:g} {_H:g}" role="img" '
        'aria-label="cost against training step">',
        f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#888"/>',
        f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="#888"/>',
        f'<text x="{x0}" y="{y0 + 16}" class="tick">0</text>',
        f'<text x="{x1}" y="{y0 + 16}" class="tick" text-anchor="end">{last:,}</text>',
        f'<text x="{(x0 + x1) / 2}" y="{y0 + 30}" class="tick" text-anchor="middle">training step</text>',
        f'<text x="{x0 - 8}" y="{y1 + 4}" class="tick" text-anchor="end">{10**high:.3g}</text>',
        f'<text x="{x0 - 8}" y="{y0}" class="tick" text-anchor="end">{10**low:.3g}</text>',
        f'<text x="{x0 + 4}" y="{y1 - 6}" class="tick">cost (log scale)</text>',
        f'<line id="marker-line" x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="#999" stroke-dasharray="3,3"/>',
    ]
    for k, r in enumerate(records):
        colour = _CURVE_COLOURS[k % len(_CURVE_COLOURS)]
        points = " ".join("{:g},{:g}".format(*_point(step, c, scale)) for step, c in enumerate(r.costs))
        dash = "" if k == 0 else ' stroke-dasharray="6,3"'
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5"{dash} points="{points}"/>')
        parts.append(f'<circle id="marker-{k}" r="5" fill="{colour}" cx="{x0}" cy="{y0}"/>')
        ly = (y0 + y1) / 2 + 16 * k
        parts.append(f'<line x1="{x0 + 60}" y1="{ly - 4}" x2="{x0 + 80}" y2="{ly - 4}" stroke="{colour}"{dash}/>')
        parts.append(f'<text x="{x0 + 85}" y="{ly}" class="tick">{html.escape(r.name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>%%TITLE%%</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 0.6em 1em; color: #222; }
h1 { font-size: 1.3em; margin: 0 0 0.2em; }
h3 { font-size: 1em; margin: 0.8em 0 0.2em; }
p.intro { margin: 0 0 0.4em; max-width: 110em; font-size: 0.9em; }
#controls { display: flex; align-items: center; gap: 1em; margin-bottom: 0.4em; }
#slider { flex: 1; max-width: 60em; }
#layout { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
#drawings { flex: 0 0 900px; }
.drawing { border: 1px solid #ddd; margin-bottom: 0.4em; height: 400px; overflow: hidden; }
.drawing svg { width: 100%; height: 100%; }
#side { flex: 1; min-width: 0; }
.tick { font-size: 11px; fill: #444; }
table.biases { border-collapse: collapse; font-size: 0.85em; }
table.biases th { text-align: left; font-weight: normal; color: #555; padding: 0.1em 0.8em 0.1em 0; }
table.biases td { font-family: monospace; padding: 0.1em 0.8em 0.1em 0; }
.swatch { display: inline-block; width: 1.6em; height: 0.35em; margin-right: 0.4em; vertical-align: middle; }
.step-line { margin: 0.3em 0; font-size: 1.1em; }
</style>
</head>
<body>
<h1>%%TITLE%%</h1>
<p class="intro">%%INTRO%%</p>
<div id="controls">
<label for="slider">snapshot</label>
<input id="slider" type="range" min="0" max="%%LAST%%" step="1" value="0">
</div>
<div id="layout">
<div id="drawings">%%DRAWINGS%%</div>
<div id="side">
%%CURVE%%
%%TABLE%%
</div>
</div>
<script id="timeline-data" type="application/json">%%DATA%%</script>
<script>%%SCRIPT%%</script>
</body>
</html>
"""

_SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("timeline-data").textContent);
  var slider = document.getElementById("slider");
  var marker = document.getElementById("marker-line");
  function set(id, text) { var el = document.getElementById(id); if (el) { el.textContent = text; } }
  function show(i) {
    document.querySelectorAll(".drawing").forEach(function (d) {
      d.querySelectorAll(".frame").forEach(function (f) { f.hidden = Number(f.dataset.frame) !== i; });
    });
    set("step", data.steps[i].toLocaleString("en-US"));
    data.runs.forEach(function (run, k) {
      set("cost-" + k, run.cost[i]);
      var dot = document.getElementById("marker-" + k);
      dot.setAttribute("cx", run.xy[i][0]);
      dot.setAttribute("cy", run.xy[i][1]);
      ["b", "g"].forEach(function (key) {
        run[key][i].forEach(function (layer, li) {
          layer.forEach(function (text, j) { set(key + "-" + k + "-" + li + "-" + j, text); });
        });
      });
    });
    var x = data.runs[0].xy[i][0];
    marker.setAttribute("x1", x);
    marker.setAttribute("x2", x);
  }
  slider.addEventListener("input", function () { show(Number(slider.value)); });
  var keys = {Home: -Infinity, End: Infinity, ArrowLeft: -1, ArrowRight: 1, PageUp: -5, PageDown: 5};
  document.addEventListener("keydown", function (e) {
    if (e.target === slider || !(e.key in keys)) { return; }  // the slider handles its own keys
    var i = Math.min(Math.max(Number(slider.value) + keys[e.key], 0), Number(slider.max));
    e.preventDefault();
    slider.value = String(i);
    show(i);
  });
  show(Number(slider.value));
}());
"""
