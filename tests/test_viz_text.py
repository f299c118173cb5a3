"""User text is drawn exactly as written, checked on real ``dot`` SVG output.

Graphviz reads backslash sequences (``\\N`` node name, ``\\G`` graph name,
``\\E`` edge name, ``\\H``/``\\T`` head/tail, ``\\L`` the label, ``\\n \\l \\r``
line breaks) and ``&...;`` entities in labels, titles and tooltips; every one of
them must come out as the user typed it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from micrograd_like.engine import Value
from micrograd_like.nn import MLP
from micrograd_like.viz import draw_collapsed, draw_dot, draw_network

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"

ESCAPES = ["\\N", "\\G", "\\E", "\\H", "\\T", "\\L", "\\n", "\\l", "\\r"]
TEXTS = [f"x{e}y" for e in ESCAPES] + [
    "x\\",
    "\\",
    "a\\\\b",
    'q\\"',
    "&amp; &#92; &lt;",
    "<b>\\N</b>",
]


def rendered(graph) -> tuple[list[str], list[str]]:
    """Every text line and every tooltip of the SVG that dot makes of ``graph``."""
    root = ET.fromstring(graph.pipe(format="svg"))
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    tips = [a.get(f"{XLINK}title") or "" for a in root.iter(f"{SVG}a")]
    return texts, [line for tip in tips for line in tip.split("\n")]


@pytest.mark.parametrize("text", TEXTS)
def test_value_labels_titles_and_tooltips_render_as_written(text):
    a = Value(1.5, label=text)
    root = a * 2.0
    root.backward()
    texts, tips = rendered(draw_dot(root, title=f"T{text}"))
    assert text in texts  # the node's label
    assert f"T{text}" in texts  # the title
    assert text in tips  # first line of the node's tooltip


@pytest.mark.parametrize("text", TEXTS)
def test_activation_names_render_as_written_in_draw_network(text):
    def act(v: Value) -> Value:
        return v.tanh()

    act.__name__ = text
    model = MLP(2, [2, 1], activation=act, seed=0)
    model.layers[0].neurons[0].w[1].label = f"w{text}"
    texts, tips = rendered(draw_network(model, title=text))
    assert f"layers.0: hidden layer, {text}" in texts  # the layer's cluster label
    assert f"activation {text}" in tips  # every hidden neuron's tooltip
    assert f"w{text}" in tips  # the weight's edge tooltip starts with its label
    assert text in texts  # the title


@pytest.mark.parametrize("text", TEXTS)
def test_collapsed_boxes_render_names_as_written(text):
    a = Value(1.5, label=text)
    b = Value(-2.0, label="b")
    root = a * b + b
    root.backward()
    texts, tips = rendered(draw_collapsed(root, title=text))
    assert texts.count(text) >= 3  # the title, the box heading, its row of named values
    assert text in tips  # the box tooltip starts with its name


def test_control_characters_are_shown_not_obeyed():
    a = Value(1.0, label="two\nlines\tand a tab")
    texts, tips = rendered(draw_dot(a * 1.0))
    assert "two\\nlines\\tand a tab" in texts and "two\\nlines\\tand a tab" in tips
