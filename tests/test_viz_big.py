"""Big graphs stay readable: which gradient groups stand out, and the collapsed view."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from micrograd_like import moons, symmetry
from micrograd_like.datasets import make_moons
from micrograd_like.engine import Value
from micrograd_like.nn import MLP
from micrograd_like.viz import (
    DEFAULT_MAX_NODES,
    EXTRA_LOUD,
    OTHER_BLOCK,
    PALETTE,
    ZERO_COLOR,
    draw_collapsed,
    draw_dot,
    nodes_and_edges,
)

NODE_STMT = re.compile(r"^\t+(\w+) \[(.*)\]$", re.MULTILINE)
SVG = "{http://www.w3.org/2000/svg}"


def node_attrs(source: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in NODE_STMT.finditer(source) if m.group(1) not in ("graph", "node", "edge")}


def attr(attrs: str, name: str) -> str | None:
    m = re.search(rf'(?:^| ){name}=("([^"]*)"|[^ \]]+)', attrs)
    return None if m is None else (m.group(2) if m.group(2) is not None else m.group(1))


@pytest.fixture(scope="module")
def symmetry_graph():
    """The op-level graph of the symmetry run: the constant start after its first backward."""
    model = symmetry.build_network("constant")
    loss = symmetry.cost(model)
    loss.backward()
    nodes, _ = nodes_and_edges(loss)
    return model, loss, nodes


def looks_by_group(nodes, source):
    """group tag -> (fill, style, member indices), from the DOT source (neuron groups too)."""
    stmts = node_attrs(source)
    out: dict[str, tuple[str, str, list[int]]] = {}
    for i in range(len(nodes)):
        a = stmts[f"v{i}"]
        cls = attr(a, "class")
        if cls and cls.startswith(("grad-group-", "neuron-group-")):
            tag = cls.rpartition("-")[2]
            fill, style = attr(a, "fillcolor"), attr(a, "style")
            assert out.setdefault(tag, (fill, style, []))[:2] == (fill, style)
            out[tag][2].append(i)
    return out


def test_every_group_of_the_symmetry_graph_has_a_fill_of_its_own_and_only_named_ones_are_full(symmetry_graph):
    model, loss, nodes = symmetry_graph
    assert len(nodes) == 148  # every input and target one labelled Value, shared by the neurons using it
    groups = looks_by_group(nodes, draw_dot(loss, highlight="all").source)
    assert len(groups) > len(PALETTE)  # more groups than palette colours: the problem this fixes
    fills = [fill for fill, _, _ in groups.values()]
    assert len(set(fills)) == len(fills)  # no two groups share a fill
    named = {i for i, v in enumerate(nodes) if v.label and not v.children}
    full = {t for t, (fill, _, _) in groups.items() if fill in PALETTE + EXTRA_LOUD}
    assert full == {t for t, (_, _, m) in groups.items() if set(m) & named}
    assert all(groups[t][1] == "rounded,filled" for t in full)  # plain border
    # the parameters of the three neurons of each hidden layer are one group: one fill, one letter
    index = {id(v): i for i, v in enumerate(nodes)}
    for layer in (0, 1):
        members = {index[id(p)] for p in model.layers[layer].parameters()}
        assert [t for t, (_, _, m) in groups.items() if members & set(m)] == [tag_of(groups, members)]


def tag_of(groups, members) -> str:
    (tag,) = [t for t, (_, _, m) in groups.items() if set(m) == members]
    return tag


def test_legend_lists_parameter_groups_first_each_part_by_size(symmetry_graph):
    _, loss, nodes = symmetry_graph
    source = draw_dot(loss, highlight="all").source
    groups = looks_by_group(nodes, source)
    label = re.search(r"^\tlabel=(<.*>) labeljust=l labelloc=t$", source, re.MULTILINE).group(1)
    neurons = re.findall(r"</font> <b>([A-Z]+)</b>&#160; neurons layers\.\d\.neurons\.\{0, 1, 2\}", label)
    assert neurons == ["A", "B"]
    order = re.findall(r"</font> <b>([A-Z]+)</b>&#160; (\d+) nodes? with grad", label)
    assert [t for t, _ in order] == sorted(set(groups) - {"A", "B"}, key=lambda t: (len(t), t))
    named = {i for i, v in enumerate(nodes) if v.label and not v.children}
    loud = sum(1 for t, _ in order if set(groups[t][2]) & named)
    heads = [label.index("holding a parameter or labelled input:"), label.index("the other groups:")]
    assert heads[0] < label.index(f"<b>{order[0][0]}</b>")
    assert label.index(f"<b>{order[loud - 1][0]}</b>") < heads[1] < label.index(f"<b>{order[loud][0]}</b>")
    sizes = [int(n) for _, n in order]
    assert sizes[:loud] == sorted(sizes[:loud], reverse=True) and sizes[loud:] == sorted(sizes[loud:], reverse=True)
    assert all(len(groups[t][2]) == int(n) for t, n in order)


@pytest.mark.parametrize("k", [3, 6, 18, 19])
def test_min_group_size_colours_only_groups_that_big(symmetry_graph, k):
    _, loss, nodes = symmetry_graph
    source = draw_dot(loss, min_group_size=k, highlight="all").source
    groups = looks_by_group(nodes, source)
    all_groups = looks_by_group(nodes, draw_dot(loss, highlight="all").source)
    assert sorted(len(m) for _, _, m in groups.values()) == sorted(
        len(m) for _, _, m in all_groups.values() if len(m) >= k
    )
    stmts = node_attrs(source)
    coloured = {i for _, _, m in groups.values() for i in m}
    for i, v in enumerate(nodes):
        if i not in coloured and v.grad != 0.0:
            assert attr(stmts[f"v{i}"], "fillcolor") is None
    assert f"fewer than {k} nodes share it" in source
    if not groups:
        assert f"no nonzero gradient is shared by {k} or more nodes" in source


def test_min_group_size_is_checked():
    root = Value(1.0) + Value(2.0)
    with pytest.raises(ValueError, match=r"min_group_size must be an int >= 2, got 1"):
        draw_dot(root, min_group_size=1)
    with pytest.raises(TypeError, match=r"min_group_size must be an int >= 2, got str '3'"):
        draw_dot(root, min_group_size="3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_group_size"):
        draw_collapsed(root, min_group_size=0)


def test_without_named_values_the_first_eight_groups_are_loud():
    xs = [Value(1.0) for _ in range(6)]
    root = xs[0] * 1.0 + xs[1] * 1.0 + xs[2] * 2.0 + xs[3] * 2.0
    root.backward()
    fills = {attr(a, "fillcolor") for a in node_attrs(draw_dot(root).source).values()} - {None, ZERO_COLOR}
    assert fills and fills <= set(PALETTE)


# ----------------------------------------------------------------------------------
# draw_collapsed
# ----------------------------------------------------------------------------------


def test_collapsed_view_puts_each_value_in_its_neurons_box():
    model = MLP(2, [2, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    source = draw_collapsed(loss).source
    boxes = node_attrs(source)
    headings = {re.search(r"<b>([^<]*)</b>", a).group(1): a for a in boxes.values()}
    assert set(headings) == {"layers.0.neurons.0", "layers.0.neurons.1", "layers.1.neurons.0"}
    # neuron (0, 0): w0*x0, w1*x1, two sums with b, and the activation; plus its 3 parameters
    assert "8 Values" in headings["layers.0.neurons.0"]
    # the output neuron's box also holds the loss built only from it (- 1, **2); no other box
    assert OTHER_BLOCK not in headings and "peripheries=2" in headings["layers.1.neurons.0"]
    # one arrow per pair of boxes the values flow between
    edges = re.findall(r"^\t(b\d+) -> (b\d+)", source, re.MULTILINE)
    assert len(edges) == len(set(edges)) == 2


def test_collapsed_view_of_the_moons_loss_is_one_box_per_neuron_and_renders(tmp_path):
    X, y = make_moons(100, noise=0.1, seed=1337)
    model = MLP(2, [16, 16, 1], seed=1337)
    loss, _ = moons.loss_and_accuracy(model, X, y)
    loss.backward()
    n = len(nodes_and_edges(loss)[0])
    assert n > 60_000
    with pytest.raises(ValueError, match=rf"{n} Values.*draw_collapsed\(root\)"):
        draw_dot(loss)
    graph = draw_collapsed(loss)
    boxes = node_attrs(graph.source)
    assert len(boxes) == 16 + 16 + 1 + 1  # every neuron, and the sums of the loss
    svg = ET.fromstring(graph.pipe(format="svg"))
    drawn = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "node"]
    assert len(drawn) == 34
    texts = [t.text or "" for t in svg.iter(f"{SVG}text")]
    assert f"One box per neuron or labelled sub-expression ({n:,} Values in all); " in "".join(texts)


def test_collapsed_view_colours_equal_gradients_across_boxes():
    # A constant start: the 16 neurons of each hidden layer are interchangeable, so
    # the same weight slot gets the same gradient (letter and colour) in every box.
    X, y = make_moons(20, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], init=0.1, bias_init=0.1)
    loss, _ = moons.loss_and_accuracy(model, X, y)
    loss.backward()
    boxes = node_attrs(draw_collapsed(loss).source)
    looks = {}
    for a in boxes.values():
        name = re.search(r"<b>([^<]*)</b>", a).group(1)
        # strip cells (many named Values) or gradient cells of the table (a few)
        looks[name] = re.findall(r'<td (?:width="14" height="14"|align="right")(?: bgcolor="(#[0-9A-F]{6})")?>', a)
    for layer, cells in ((0, 2 * 3), (1, 17)):  # table: data and grad of w.0, w.1, b; strip: 17 cells
        seen = {tuple(looks[f"layers.{layer}.neurons.{j}"]) for j in range(16)}
        assert len(seen) == 1, layer
        fills = [f for f in seen.pop() if f]
        assert len(fills) == cells // 2 if layer == 0 else len(fills) == cells
        assert all(f in PALETTE or f == ZERO_COLOR for f in fills)


def test_collapsed_view_key_groups_by_any_rule():
    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    root = (a * b).tanh() + c * a
    root.backward()
    together = draw_collapsed(root, key=lambda v: {"a": "in", "b": "in"}.get(v.label)).source
    # a*b, its tanh, c*a (c is unnamed now: counted, not drawn) and the sum all join "in"
    assert re.findall(r"<td><b>([^<]*)</b></td>", together) == ["in"]
    assert "2 unlabelled inputs and constants are not drawn" not in together and "1 unlabelled" in together
    apart = draw_collapsed(root, key=lambda v: v.label.upper() or None).source
    # a*b mixes two boxes, so it and everything after it go to the box of everything else
    assert re.findall(r"<td><b>([^<]*)</b></td>", apart) == ["A", "B", OTHER_BLOCK, "C"]
    with pytest.raises(TypeError, match="key must be a function"):
        draw_collapsed(root, key="label")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="draw_collapsed needs a Value"):
        draw_collapsed([root])  # type: ignore[arg-type]


def test_default_max_nodes_still_refuses_by_default():
    v = Value(1.0)
    for _ in range(DEFAULT_MAX_NODES):
        v = -v
    with pytest.raises(ValueError, match="draw_collapsed"):
        draw_dot(v)


@pytest.mark.slow
def test_the_example_script_draws_the_moons_picture(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "examples" / "draw_big_graphs.py"
    result = subprocess.run(
        [sys.executable, str(script), "--outdir", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    names = ["moons_collapsed_graph"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.{e}" for n in names for e in ("png", "svg"))
    for n in names:
        assert (tmp_path / f"{n}.png").read_bytes().startswith(b"\x89PNG")
        assert (
            b"Same colour" in (tmp_path / f"{n}.svg").read_bytes()
            or b"same colour" in (tmp_path / f"{n}.svg").read_bytes()
        )
