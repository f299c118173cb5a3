"""draw_network(..., diagnosis=...) draws diagnose's findings: checked on SVG rendered by the real ``dot``.

Which neurons should be marked is recomputed here from the model and the data
(each neuron's output and local derivative on every sample), never read from
the Diagnosis that the drawing draws.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from test_diagnose import small_mlps  # random small MLPs, some units dead or saturated by construction

from micrograd_like import symmetry
from micrograd_like.diagnose import SATURATION_DERIVATIVE, diagnose
from micrograd_like.losses import sse
from micrograd_like.nn import MLP
from micrograd_like.optim import SGD
from micrograd_like.viz import (
    EXTRA_LOUD,
    NONFINITE_COLOR,
    PALETTE,
    SATURATED_COLOR,
    ZERO_COLOR,
    draw_network,
    render,
)

SVG = "{http://www.w3.org/2000/svg}"
X = [list(o) for o in symmetry.OBSERVATIONS]
T = [list(t) for t in symmetry.TARGETS]


def relu_net_with_negative_biases() -> MLP:
    model = MLP(2, [4, 4, 2], seed=0)
    for layer in model.layers[:-1]:
        for neuron in layer.neurons:
            neuron.b.data = -50.0
    return model


# -- independent measurements ---------------------------------------------------------------------


def outputs(model: MLP, x) -> list[list[float]]:
    """outputs[layer][neuron] for one sample, each neuron called on the previous layer's outputs."""
    per_layer, xs = [], [float(v) for v in x]
    for layer in model.layers:
        xs = [n(xs).data for n in layer.neurons]
        per_layer.append(xs)
    return per_layer


def truly_dead(model: MLP, inputs) -> set[str]:
    return {
        f"l{i}n{j}"
        for i, layer in enumerate(model.layers)
        for j, n in enumerate(layer.neurons)
        if n.activation == "relu" and all(outputs(model, x)[i][j] == 0.0 for x in inputs)
    }


def local_derivatives(model: MLP, inputs, i: int, j: int) -> list[float]:
    act = model.layers[i].neurons[j].activation
    ys = [outputs(model, x)[i][j] for x in inputs]
    return [y * (1 - y) if act == "sigmoid" else 1 - y * y for y in ys]


def truly_saturated(model: MLP, inputs) -> dict[str, float]:
    """DOT name -> largest local derivative, for every sigmoid/tanh unit below the threshold on every sample."""
    out = {}
    for i, layer in enumerate(model.layers):
        for j, n in enumerate(layer.neurons):
            if n.activation in ("sigmoid", "tanh"):
                derivs = local_derivatives(model, inputs, i, j)
                if max(derivs) < SATURATION_DERIVATIVE:
                    out[f"l{i}n{j}"] = max(derivs)
    return out


# -- reading the rendered SVG ---------------------------------------------------------------------


def render_with_findings(model: MLP, tmp_path, lr: float = 1.0, name: str = "net"):
    d = diagnose(model, X, T, sse, lr=lr)
    path = render(draw_network(model, diagnosis=d), tmp_path / f"{name}.svg")
    return ET.parse(path).getroot(), d


def nodes(root) -> dict[str, ET.Element]:
    out = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class", "").split()[:1] == ["node"]:
            out[g.find(f"{SVG}title").text] = g
    return out


def outline(node) -> list[ET.Element]:
    return [el for el in node.iter() if el.tag in (f"{SVG}path", f"{SVG}polygon", f"{SVG}ellipse")]


def fill(node) -> str:
    return outline(node)[0].get("fill").lower()


def wine_borders(node) -> int:
    return sum(1 for el in outline(node) if (el.get("stroke") or "").lower() == SATURATED_COLOR.lower())


def node_text(node) -> str:
    return " ".join(t.text or "" for t in node.iter(f"{SVG}text")).replace("\xa0", " ")


def legend_text(root) -> str:
    """Every text of the graph that is not inside a node, an edge or a cluster, in document order."""
    graph = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "graph")
    texts, stack = [], list(reversed(list(graph)))
    while stack:
        el = stack.pop()
        if el.tag == f"{SVG}g" and el.get("class", "").split()[:1] in (["node"], ["edge"], ["cluster"]):
            continue
        if el.tag == f"{SVG}text":
            texts.append(el.text or "")
        stack.extend(reversed(list(el)))
    return re.sub(r"\s+", " ", " ".join(texts).replace("\xa0", " "))


# -- the three broken starts and a healthy one ----------------------------------------------------


def test_dead_relus_are_filled_grey_and_the_legend_says_what_grey_means(tmp_path):
    model = relu_net_with_negative_biases()
    root, _ = render_with_findings(model, tmp_path, lr=0.1)
    svg = nodes(root)
    expected = truly_dead(model, X)
    assert expected == {f"l{i}n{j}" for i in (0, 1) for j in range(4)}  # built so: every hidden ReLU
    assert {name for name, g in svg.items() if fill(g) == ZERO_COLOR.lower()} == expected
    assert all("dead: output 0" in node_text(svg[name]) for name in expected)
    assert not any(wine_borders(g) for g in svg.values())
    legend = legend_text(root)
    assert "dead grey fill (layers.0: neurons 0, 1, 2, 3; layers.1: neurons 0, 1, 2, 3)" in legend
    assert "dead ReLU: output 0 on every sample, so no gradient reaches its weights and bias" in legend
    assert "every neuron can learn something different" not in legend


def test_dead_interchangeable_neurons_keep_their_group_colour_as_border(tmp_path):
    model = MLP(2, [3, 3, 2], init=1.0, bias_init=-50.0)  # ReLU, every weight equal: dead and interchangeable
    root, d = render_with_findings(model, tmp_path, lr=0.1)
    svg = nodes(root)
    assert truly_dead(model, X) == {f"l{i}n{j}" for i in (0, 1) for j in range(3)}
    for i in (0, 1):
        for j in range(3):
            shape = outline(svg[f"l{i}n{j}"])[0]
            assert (shape.get("fill").lower(), shape.get("stroke").lower()) == (ZERO_COLOR.lower(), PALETTE[i].lower())
    assert "a dead neuron of a group of interchangeable neurons has its group's colour as border" in legend_text(root)


def test_saturated_units_get_a_double_wine_border_and_their_local_derivative(tmp_path):
    model = symmetry.build_network("constant", value=5.0)
    root, _ = render_with_findings(model, tmp_path)
    svg = nodes(root)
    expected = truly_saturated(model, X)
    assert set(expected) == {"l1n0", "l1n1", "l1n2", "l2n0", "l2n1"}  # layer 0 is not saturated on sample 1
    assert {name: wine_borders(g) for name, g in svg.items() if wine_borders(g)} == dict.fromkeys(expected, 2)
    for name, largest in expected.items():
        assert f"local deriv. ≤ {largest:#.2g}" in node_text(svg[name])
    # the interchangeable neurons keep their colour under the border: two findings, two channels
    assert {fill(svg[f"l1n{j}"]) for j in range(3)} == {PALETTE[1].lower()}
    legend = legend_text(root)
    assert "saturated double wine border (layers.1: neurons 0, 1, 2; layers.2: neurons 0, 1)" in legend
    assert f"local derivative below {SATURATION_DERIVATIVE:g} on every sample" in legend
    assert "Same colour = interchangeable" in legend


def test_layer_titles_show_each_layers_gradient_norm(tmp_path):
    model = symmetry.build_network("constant", value=5.0)
    root, _ = render_with_findings(model, tmp_path)
    model.zero_grad()
    sse([model(x) for x in X], T).backward()
    titles = " ".join(
        t.text or "" for g in root.iter(f"{SVG}g") if g.get("class") == "cluster" for t in g.iter(f"{SVG}text")
    )
    for i, layer in enumerate(model.layers):
        norm = math.sqrt(sum(p.grad**2 for p in layer.parameters()))
        assert f"layers.{i}: " in titles and f"gradient norm {norm:#.2g}" in titles
    assert f"{math.sqrt(sum(p.grad**2 for p in model.layers[0].parameters())):#.2g}".endswith("e-19")  # vanished


def test_a_too_large_step_is_a_legend_line_with_the_costs_of_the_run(tmp_path):
    model = symmetry.build_network("constant")
    root, d = render_with_findings(model, tmp_path, lr=100.0)
    legend = legend_text(root)
    m = re.search(r"step size lr 100 is too large \((\w+)\): the cost went from (\S+) to (\S+) in (\d+) steps", legend)
    assert m, legend
    opt, costs = SGD(model.parameters(), lr=100.0), []
    for _ in range(int(m[4]) + 1):
        model.zero_grad()
        cost = sse([model(x) for x in X], T)
        costs.append(cost.data)
        cost.backward()
        opt.step()
    assert float(m[2]) == pytest.approx(costs[0], rel=1e-3) and float(m[3]) == pytest.approx(costs[-1], rel=1e-3)
    assert "try lr 10" in legend
    svg = nodes(root)
    assert not any(wine_borders(g) or fill(g) == ZERO_COLOR.lower() for g in svg.values())


def test_the_constant_1_start_is_drawn_interchangeable_and_nothing_else(tmp_path):
    model = symmetry.build_network("constant")
    root, _ = render_with_findings(model, tmp_path)
    svg = nodes(root)
    assert {fill(svg[f"l0n{j}"]) for j in range(3)} == {PALETTE[0].lower()}
    assert not any(wine_borders(g) or fill(g) == ZERO_COLOR.lower() for g in svg.values())
    legend = legend_text(root)
    assert "diagnosis of the starting weights: interchangeable neurons (coloured above)" in legend
    assert "step size" not in legend and "no problem found" not in legend


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_healthy_network_is_not_marked_and_the_legend_says_no_problem_was_found(tmp_path, seed):
    model = MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid", seed=seed)
    root, d = render_with_findings(model, tmp_path)
    assert not truly_dead(model, X) and not truly_saturated(model, X)
    svg = nodes(root)
    assert all(fill(g) in ("none", "white", "#ffffff") for g in svg.values())
    assert not any(wine_borders(g) for g in svg.values())
    assert SATURATED_COLOR.lower() not in ET.tostring(root, encoding="unicode").lower()
    assert "no problem found" in legend_text(root)


def test_each_mark_has_a_look_of_its_own():
    fills = {c.upper() for c in PALETTE + EXTRA_LOUD}
    assert ZERO_COLOR.upper() not in fills and SATURATED_COLOR.upper() not in fills
    assert len({ZERO_COLOR, SATURATED_COLOR, NONFINITE_COLOR}) == 3


def test_the_diagnosis_argument_is_checked():
    model = symmetry.build_network("constant")
    with pytest.raises(TypeError, match=r"diagnosis must be a Diagnosis, got .*str.*diagnose\(model"):
        draw_network(model, diagnosis="saturated")  # type: ignore[arg-type]
    other = diagnose(MLP(2, [2, 2], seed=0), X, T, sse)
    with pytest.raises(ValueError, match=r"diagnosis is of a 2-2-2 network but the model is 2-3-3-2"):
        draw_network(model, diagnosis=other)


# -- any small network: the marks are exactly the dead and saturated units ------------------------


NODE = re.compile(r"^\t+(l\d+n\d+) \[(.*)\]$", re.MULTILINE)


@given(small_mlps())
def test_the_marked_neurons_are_exactly_the_dead_and_the_saturated_ones(case):
    model, xs = case
    source = draw_network(model, diagnosis=diagnose(model, xs, [0.5] * len(xs), sse, lr=0.01, steps=1)).source
    stmts = {m[1]: m[2] for m in NODE.finditer(source)}
    grey = {name for name, a in stmts.items() if re.search(rf'fillcolor="{ZERO_COLOR}"', a)}
    assert grey == truly_dead(model, xs)
    assert {name for name, a in stmts.items() if "peripheries=2" in a} == set(truly_saturated(model, xs))


@pytest.mark.slow
def test_the_example_script_draws_the_readme_picture(tmp_path):
    script = Path(__file__).resolve().parent.parent / "examples" / "draw_diagnose.py"
    result = subprocess.run(
        [sys.executable, str(script), "--outdir", str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["diagnose_saturated.png", "diagnose_saturated.svg"]
    root = ET.parse(tmp_path / "diagnose_saturated.svg").getroot()
    marked = {name for name, g in nodes(root).items() if wine_borders(g) == 2}
    assert marked == set(truly_saturated(symmetry.build_network("constant", value=5.0), X))
    assert "Saturated units (layer 1: neurons 0, 1, 2; layer 2: neurons 0, 1)" in legend_text(root)
