"""Rendering with the real Graphviz ``dot`` program, and what happens without it.

These tests are never skipped: CI installs Graphviz, and if rendering breaks
(or dot is missing) they must fail, not pass silently.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import graphviz
import pytest

from micrograd_like.engine import Value
from micrograd_like.nn import MLP
from micrograd_like.viz import (
    INTERCHANGEABLE_MESSAGE,
    PALETTE,
    GraphvizNotFoundError,
    draw_dot,
    draw_network,
    nodes_and_edges,
    render,
)

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"


def motivating_model(constant: bool = True) -> tuple[MLP, Value]:
    kwargs = {"init": 1.0, "bias_init": 1.0} if constant else {"seed": 0}
    model = MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid", **kwargs)
    loss = Value(0.0)
    for x, y in zip([[0.8, 0.4], [0.3, 0.3]], [[0.2, 0.4], [1.0, 0.0]]):
        for out, target in zip(model(x), y):
            loss = loss + (out - target) ** 2
    loss.backward()
    return model, loss


def svg_nodes(path) -> dict[str, ET.Element]:
    """DOT node name -> its <g class="node ..."> element in the rendered SVG."""
    root = ET.parse(path).getroot()
    out = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class", "").split()[:1] == ["node"]:
            out[g.find(f"{SVG}title").text] = g
    return out


def shape_fill(node: ET.Element) -> str:
    """Fill colour of the node's outline shape (the first path/polygon/ellipse)."""
    for el in node.iter():
        if el.tag in (f"{SVG}path", f"{SVG}polygon", f"{SVG}ellipse"):
            return el.get("fill").lower()
    raise AssertionError("node has no shape")


def texts(node: ET.Element) -> list[str]:
    return [t.text or "" for t in node.iter(f"{SVG}text")]


def graph_label(path) -> list[ET.Element]:
    """The SVG elements of the graph's own label (title and legend): everything
    in the graph that is not inside a node, an edge or a cluster."""
    root = ET.parse(path).getroot()
    graph = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "graph")
    out, stack = [], list(graph)
    while stack:
        el = stack.pop()
        if el.tag == f"{SVG}g" and el.get("class", "").split()[:1] in (["node"], ["edge"], ["cluster"]):
            continue
        out.append(el)
        stack.extend(reversed(list(el)))  # document order
    return out


def test_op_level_graph_of_the_seed_network_renders_with_colours_and_legend(tmp_path):
    model, loss = motivating_model()
    nodes, _ = nodes_and_edges(loss)
    out = render(draw_dot(loss), tmp_path / "ops.svg")
    assert out == tmp_path / "ops.svg" and sorted(p.name for p in tmp_path.iterdir()) == ["ops.svg"]
    svg = svg_nodes(out)
    index = {id(v): i for i, v in enumerate(nodes)}
    # every Value and every op is in the picture
    assert {f"v{i}" for i in range(len(nodes))} <= set(svg)
    assert {f"v{i}op" for i, v in enumerate(nodes) if v.op} <= set(svg)
    # the parameters of the three neurons of hidden layer 0 really are drawn in one colour, one letter
    named = dict(model.named_parameters())
    params = [named[f"layers.0.neurons.{j}.{slot}"] for j in range(3) for slot in ("w.0", "w.1", "b")]
    elements = [svg[f"v{index[id(p)]}"] for p in params]
    assert {shape_fill(e) for e in elements} == {PALETTE[0].lower()}
    assert {e.get("class") for e in elements} == {"node neuron-group-A"}
    assert all(f"layers.0.neurons.{j}.{slot}" in texts(e) for e, (j, slot) in zip(elements, _slots()))
    tip = elements[0].find(f"{SVG}g/{SVG}a").get(f"{XLINK}title")  # full values in the tooltip
    assert f"grad = {params[0].grad!r}" in tip
    # the legend: the two groups of interchangeable neurons, then the groups holding a parameter
    legend = graph_label(out)
    swatches = [el.get("fill").lower() for el in legend if el.tag == f"{SVG}text" and el.text == "\u25a0"]
    assert swatches == [c.lower() for c in PALETTE[:4]]  # layers 0 and 1; each output neuron's 3 weights
    words = [el.text for el in legend if el.tag == f"{SVG}text"]
    assert {"A", "B", "C", "D"} <= set(words)
    counts = [int(m.group(1)) for w in words if (m := re.fullmatch(r"\xa0 (\d+) nodes with grad -?[0-9.e+-]+.*", w))]
    assert counts == [3, 3]
    assert any(w.startswith("Same colour and letter = same gradient") for w in words)
    assert any(w.startswith("not coloured: ") for w in words)


def _slots():
    return [(j, slot) for j in range(3) for slot in ("w.0", "w.1", "b")]


def test_network_view_renders_interchangeable_neurons_in_one_colour_in_index_order(tmp_path):
    model, _ = motivating_model()
    out = render(draw_network(model), tmp_path / "net.svg")
    svg = svg_nodes(out)
    assert {"x0", "x1", "y0", "y1"} | {f"l{i}n{j}" for i, n in enumerate([3, 3, 2]) for j in range(n)} == set(svg)
    assert {shape_fill(svg[f"l0n{j}"]) for j in range(3)} == {PALETTE[0].lower()}
    assert {shape_fill(svg[f"l1n{j}"]) for j in range(3)} == {PALETTE[1].lower()}
    assert {shape_fill(svg[f"l2n{j}"]) for j in range(2)} == {"none"}
    legend = graph_label(out)
    legend_text = [el.text for el in legend if el.tag == f"{SVG}text"]
    assert f"Same colour = {INTERCHANGEABLE_MESSAGE}" in legend_text
    assert {"\xa0 layers.0: neurons 0, 1, 2", "\xa0 layers.1: neurons 0, 1, 2"} <= set(legend_text)
    swatches = [el.get("fill").lower() for el in legend if el.tag == f"{SVG}text" and el.text == "\u25a0"]
    assert swatches == [PALETTE[0].lower(), PALETTE[1].lower()]
    # neurons are stacked in index order, top to bottom, in every column
    for column in (["x0", "x1"], ["l0n0", "l0n1", "l0n2"], ["l1n0", "l1n1", "l1n2"], ["l2n0", "l2n1"]):
        ys = [min(float(t.get("y")) for t in svg[name].iter(f"{SVG}text")) for name in column]
        assert ys == sorted(ys), column
    # one drawn edge per weight, plus one per output
    root = ET.parse(out).getroot()
    edges = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    assert len(edges) == 2 * 3 + 3 * 3 + 3 * 2 + 2


def test_moons_model_network_view_renders_quickly_and_in_order(tmp_path):
    model = MLP(2, [16, 16, 1], seed=0)
    (model([0.3, -0.7]) ** 2).backward()
    svg = svg_nodes(render(draw_network(model), tmp_path / "moons.svg"))
    ys = [min(float(t.get("y")) for t in svg[f"l1n{j}"].iter(f"{SVG}text")) for j in range(16)]
    assert ys == sorted(ys)


def test_user_text_survives_rendering_literally(tmp_path):
    nasty = '<b>"x":port</b> & \\ {a|b}'
    a = Value(1.5, label=nasty)
    root = a * a
    root.backward()
    svg = svg_nodes(render(draw_dot(root), tmp_path / "nasty.svg"))
    assert nasty in texts(svg["v0"])


def test_render_to_png_and_format_checks(tmp_path):
    g = draw_dot(Value(2.0) * Value(3.0))
    png = render(g, tmp_path / "small", format="png")
    assert png.name == "small.png" and png.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ValueError, match=r"\.png.*'svg'"):
        render(g, tmp_path / "x.png", format="svg")
    with pytest.raises(ValueError, match=r"cannot write format 'svgz2'; use one of svg, png, pdf, gv"):
        render(g, tmp_path / "x", format="svgz2")
    with pytest.raises(TypeError, match="draw_dot"):
        render("digraph {}", tmp_path / "x.svg")  # type: ignore[arg-type]


def test_missing_dot_says_how_to_install_and_source_still_works(tmp_path, monkeypatch):
    model, loss = motivating_model()
    graphs = {"ops": draw_dot(loss), "net": draw_network(model)}
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    for name, g in graphs.items():
        with pytest.raises(GraphvizNotFoundError) as info:
            render(g, tmp_path / f"{name}.svg")
        message = str(info.value)
        assert isinstance(info.value, graphviz.ExecutableNotFound)  # old handlers still catch it
        for hint in [
            "apt-get install graphviz",
            "brew install graphviz",
            "conda install -c conda-forge graphviz",
            "graphviz.org",
        ]:
            assert hint in message
        saved = tmp_path / f"{name}.gv"
        assert info.value.source_path == saved and str(saved) in message
        assert saved.read_text(encoding="utf-8") == g.source
        # .source and .save() need no binary
        assert g.source.startswith("digraph")
        copy = g.save(tmp_path / f"{name}-copy.gv")
        assert (tmp_path / f"{name}-copy.gv").read_text(encoding="utf-8") == g.source and copy
    # and what was saved is valid DOT: the real dot renders it once it is back on PATH
    monkeypatch.undo()
    for name in graphs:
        rendered = graphviz.Source.from_file(tmp_path / f"{name}.gv").pipe(format="svg")
        assert b"<svg" in rendered and b"Same colour" in rendered


@pytest.mark.parametrize("suffix", ["svg", "png", "pdf", "gv", "SVG"])
def test_render_takes_the_format_from_the_suffix_and_writes_only_that_file(tmp_path, suffix):
    g = draw_dot(Value(2.0, label="a") * Value(3.0))
    (tmp_path / "pic.gv.keep").write_text("unrelated")
    out = render(g, tmp_path / f"pic.{suffix}")
    assert out == tmp_path / f"pic.{suffix}"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"pic.{suffix}", "pic.gv.keep"])
    magic = {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF", "gv": b"digraph autograd {"}[suffix.lower()]
    assert out.read_bytes().startswith(magic)


def test_render_never_deletes_or_overwrites_a_neighbouring_dot_file(tmp_path):
    mine = tmp_path / "loss.gv"
    mine.write_text("my own notes")
    render(draw_dot(Value(1.0) + 2.0), tmp_path / "loss.svg")
    assert mine.read_text() == "my own notes"


@pytest.mark.parametrize("name", ["a.docx", "a.webm", "a.txt", "notes.drawing", "a.svg.bak"])
def test_render_refuses_a_suffix_it_cannot_write_and_writes_nothing(tmp_path, name):
    with pytest.raises(ValueError) as info:
        render(draw_dot(Value(1.0) * 2.0), tmp_path / name)
    message = str(info.value)
    suffix = "." + name.rsplit(".", 1)[1]
    assert f"cannot write {suffix} files" in message and ".svg, .png, .pdf, .gv" in message
    assert list(tmp_path.iterdir()) == []  # in particular no a.jpg.svg


def test_render_format_must_agree_with_the_suffix_and_is_appended_without_one(tmp_path):
    g = draw_dot(Value(1.0) * 2.0)
    assert render(g, tmp_path / "plain") == tmp_path / "plain.svg"
    assert render(g, tmp_path / "doc", format="PDF") == tmp_path / "doc.pdf"
    assert render(g, tmp_path / "same.png", format="png") == tmp_path / "same.png"
    with pytest.raises(ValueError, match=r"ends in \.svg but format is 'png'"):
        render(g, tmp_path / "x.svg", format="png")
    with pytest.raises(ValueError, match="cannot write format 'docx'"):
        render(g, tmp_path / "x", format="docx")
    with pytest.raises(TypeError, match="format must be a str or None, got int 3"):
        render(g, tmp_path / "x", format=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.pdf", "plain.svg", "same.png"]


def test_failing_dot_leaves_no_half_written_picture(tmp_path):
    old = tmp_path / "pic.svg"
    old.write_text("previous picture")
    broken = graphviz.Source("digraph { a -> }")
    with pytest.raises(graphviz.CalledProcessError):
        render(broken, old)
    assert old.read_text() == "previous picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pic.svg"]


def test_resolve_output_is_the_decision_render_makes_without_writing(tmp_path):
    from micrograd_like.viz import resolve_output

    assert resolve_output(tmp_path / "a.PNG") == (tmp_path / "a.PNG", "png")
    assert resolve_output(tmp_path / "a") == (tmp_path / "a.svg", "svg")
    with pytest.raises(ValueError, match=r"cannot write \.docx files .*\.svg, \.png, \.pdf, \.gv"):
        resolve_output(tmp_path / "a.docx")
    assert list(tmp_path.iterdir()) == []
