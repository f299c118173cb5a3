"""The pictures ``micrograd-like symmetry`` writes, rendered with the real ``dot``: what they must show.

The op-level picture of the first backward pass colours only what a learner can
change, one colour per group of interchangeable neurons, each fill its own; the
network pictures before training show the gradients of that first backward pass.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from micrograd_like import symmetry
from micrograd_like.viz import EXTRA_LOUD, PALETTE, render
from micrograd_like.viz.graph import NOTHING_SHARED

SVG = "{http://www.w3.org/2000/svg}"
FULL = {c.lower() for c in PALETTE + EXTRA_LOUD}


def nodes(svg: ET.Element) -> dict[str, ET.Element]:
    """DOT node name -> its <g class="node ..."> element."""
    return {g.find(f"{SVG}title").text: g for g in svg.iter(f"{SVG}g") if g.get("class", "").split()[:1] == ["node"]}


def fill(node: ET.Element) -> str:
    shape = next(el for el in node.iter() if el.tag in (f"{SVG}path", f"{SVG}polygon", f"{SVG}ellipse"))
    return shape.get("fill").lower()


def group_class(node: ET.Element) -> str | None:
    return next((c for c in node.get("class").split()[1:] if c.endswith(tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))), None)


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


@pytest.fixture(scope="module")
def first_backward(tmp_path_factory):
    """The rendered op-level pictures of both starts, and the Values they draw (in DOT order)."""
    out = {}
    for scheme in ("constant", "he"):
        model = symmetry.build_network(scheme)
        path = render(
            symmetry.first_backward_graph(model, symmetry.start_name(scheme)), tmp_path_factory.mktemp(scheme) / "g.svg"
        )
        from micrograd_like.viz import trace

        drawn_model, c = symmetry._first_backward(model)  # the copy the pictures draw
        values = trace(c)[0]
        out[scheme] = (drawn_model, values, ET.parse(path).getroot())
    return out


def test_constant_start_colours_interchangeable_neurons_alike_and_nothing_else_loud(first_backward):
    model, values, svg = first_backward["constant"]
    drawn = nodes(svg)
    index = {id(v): i for i, v in enumerate(values)}
    layer0 = [drawn[f"v{index[id(p)]}"] for p in model.layers[0].parameters()]
    assert len(layer0) == 9 and len({fill(e) for e in layer0}) == 1 and fill(layer0[0]) in FULL
    # a full colour only for groups holding a parameter or labelled input
    named = {f"v{i}" for i, v in enumerate(values) if v.label and not v.children}
    by_group: dict[str, set[str]] = {}
    for name, element in drawn.items():
        cls = group_class(element)
        if cls:
            by_group.setdefault(cls, set()).add(name)
        elif fill(element) in FULL:
            raise AssertionError(f"{name} is in no group but has a full colour {fill(element)}")
    assert all(members & named for members in by_group.values())
    fills = [fill(drawn[next(iter(m))]) for m in by_group.values()]
    assert len(set(fills)) == len(fills) >= 4  # pairwise distinct
    # every neuron of layer 0 is a frame titled with its name, shaded in its group's colour
    frames = {
        t: g
        for g in svg.iter(f"{SVG}g")
        if g.get("class") == "cluster"
        for t in texts(g)
        if t.startswith("layers.0.neurons.")
    }
    assert sorted(frames) == [f"layers.0.neurons.{j} (A)" for j in range(3)]
    assert len({fill(g) for g in frames.values()}) == 1
    title = " ".join(texts(svg)[:3])
    assert "The first backward pass of the 2-3-3-2 network, constant 1 start" in title
    assert "Interchangeable neurons (same colour)" in title


def test_random_start_has_no_parameter_group_and_says_so(first_backward):
    _, values, svg = first_backward["he"]
    drawn = nodes(svg)
    assert not any(group_class(e) for e in drawn.values())
    assert not {fill(e) for e in drawn.values()} & FULL
    words = texts(svg)
    assert NOTHING_SHARED in words
    assert any(w.startswith("The first backward pass of the 2-3-3-2 network, random (he, seed 0) start") for w in words)


def test_the_cost_and_the_inputs_are_labelled(first_backward):
    _, values, svg = first_backward["constant"]
    drawn = nodes(svg)
    assert "C" in texts(drawn[f"v{len(values) - 1}"])  # the root, last in trace order
    labels = {v.label for v in values if not v.children}
    assert {"x[0][0]", "x[0][1]", "x[1][0]", "x[1][1]", "target[1][0]"} <= labels


def test_the_picture_fits_a_1400_px_window_with_a_readable_legend(first_backward):
    _, _, svg = first_backward["constant"]
    assert float(svg.get("width").removesuffix("pt")) <= symmetry.PICTURE_WIDTH_INCHES * 72 + 1
    # the title's first line is still at least 11 pt once scaled down
    scale = float(svg.find(f"{SVG}g").get("transform").split("scale(")[1].split()[0])
    first = next(t for t in svg.iter(f"{SVG}text") if (t.text or "").startswith("The first backward pass"))
    assert float(first.get("font-size")) * scale >= 11


@pytest.mark.parametrize("scheme", ["constant", "uniform"])
def test_before_pictures_show_the_first_backward_gradients_with_a_title(tmp_path, scheme):
    model = symmetry.build_network(scheme)
    path = render(symmetry.network_before(model, symmetry.start_name(scheme)), tmp_path / "before.svg")
    words = texts(ET.parse(path).getroot())
    assert not any(w.strip() == "grad 0.000" or w.endswith("grad 0.000") for w in words)
    assert any("weights before training, with the gradients of the first backward pass" in w for w in words)
    assert all(p.grad == 0.0 for p in model.parameters())  # the model's own gradients are left alone
    if scheme == "constant":
        assert any(w.startswith("grad 0.0003942") for w in words)  # dC/dw of layer 0, as by hand


@pytest.mark.slow
def test_the_example_script_draws_every_readme_picture(tmp_path):
    script = Path(__file__).resolve().parent.parent / "examples" / "draw_symmetry.py"
    result = subprocess.run(
        [sys.executable, str(script), "--outdir", str(tmp_path), "--steps", "5"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    stems = ["symmetry_graph", "symmetry_graph_random"] + [
        f"symmetry_{tag}{when}" for tag in ("constant", "random") for when in ("", "_before")
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{s}.{e}" for s in stems for e in ("png", "svg"))
