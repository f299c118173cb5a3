"""Graphviz drawings of an autograd graph that make identical gradients jump out.

Views, each returned as an *unrendered* :class:`graphviz.Digraph` (Jupyter shows
it inline; ``.source``, ``.save()``, ``.pipe()`` work as usual):

* :func:`draw_dot` draws every Value of an expression, one small node per
  operation in between. Values whose gradients are equal (within ``rtol``) share
  a fill colour and a group letter, and a legend lists every group, largest first.
* :func:`draw_collapsed` draws a graph of any size one box per neuron or
  labelled sub-expression, with the gradient groups still coloured.
* :func:`draw_network` draws an MLP one node per neuron; neurons that gradient
  descent can never tell apart share a colour, and the legend says how to fix it;
  given ``diagnosis=`` (from :func:`micrograd_like.diagnose`) it also marks dead
  ReLUs and saturated units and names a step size that is off.

:func:`render` writes a drawing to a file whose suffix names the format, and
:func:`stepper` writes a self-contained HTML page that steps through the backward
pass one chain-rule row at a time (module :mod:`.stepper`; the package attribute
``viz.stepper`` is the function). :func:`timeline` builds a page with a slider over
training (data from :func:`record_training`): network drawings and cost curves per step.

Colour rules (the same in every view): fills start from Paul Tol's colour-blind
safe "light" palette; the groups that matter (interchangeable neurons, groups
holding a parameter or labelled input) get full colours, any others paler tints,
no two groups the same fill, and every coloured node carries its group letter. A
gradient of exactly 0 is always pale grey ("nothing flows back here"); NaN and
infinite gradients get a red border. In the network view a dead ReLU (output 0,
so gradient 0) is filled that grey too, and a saturated unit gets a double wine border.
User text (labels, titles, activation names) is drawn exactly as written.

Modules: :mod:`.graph` (op-level view), :mod:`.collapsed`, :mod:`.network`,
:mod:`.render`, :mod:`.stepper`; private helpers for labels, groups and styles.
"""

from __future__ import annotations

from ._style import EXTRA_LOUD, NONFINITE_COLOR, PALETTE, SATURATED_COLOR, ZERO_COLOR
from .collapsed import OTHER_BLOCK, block_key, draw_collapsed
from .graph import DEFAULT_MAX_NODES, HIGHLIGHTS, draw_dot, nodes_and_edges, trace
from .network import INTERCHANGEABLE_MESSAGE, NETWORK_EDGE_LABEL_LIMIT, draw_network
from .render import (
    DEFAULT_TIMEOUT,
    INSTALL_HINT,
    SUPPORTED_FORMATS,
    GraphvizCrashedError,
    GraphvizNotFoundError,
    GraphvizTimeoutError,
    render,
    resolve_output,
)
from .stepper import stepper
from .timeline import TrainingRecord, record_training, timeline

__all__ = [
    "DEFAULT_MAX_NODES",
    "DEFAULT_TIMEOUT",
    "EXTRA_LOUD",
    "GraphvizCrashedError",
    "GraphvizTimeoutError",
    "HIGHLIGHTS",
    "INSTALL_HINT",
    "INTERCHANGEABLE_MESSAGE",
    "NETWORK_EDGE_LABEL_LIMIT",
    "NONFINITE_COLOR",
    "OTHER_BLOCK",
    "PALETTE",
    "SATURATED_COLOR",
    "SUPPORTED_FORMATS",
    "TrainingRecord",
    "ZERO_COLOR",
    "GraphvizNotFoundError",
    "block_key",
    "draw_collapsed",
    "draw_dot",
    "draw_network",
    "record_training",
    "render",
    "resolve_output",
    "stepper",
    "timeline",
    "nodes_and_edges",
    "trace",
]
