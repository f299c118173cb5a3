"""``viz.stepper(root)`` without a path: the page a notebook shows inline (issue 19, item 6).

Needs Graphviz's ``dot``, no browser (the page itself is tested in test_stepper.py).
"""

from __future__ import annotations

import html
import re

from micrograd_like import Value
from micrograd_like.viz import stepper
from micrograd_like.viz.page import Page


def expression():
    a, b = Value(0.5, label="a"), Value(-0.3, label="b")
    return (a * b + a).tanh()


def test_without_a_path_the_page_is_returned_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    page = stepper(expression(), title="One neuron & its pass")
    assert isinstance(page, Page) and list(tmp_path.iterdir()) == []
    assert page.title == "One neuron & its pass" and str(page).startswith("<!DOCTYPE html>")
    frame = page._repr_html_()
    assert frame.startswith("<iframe") and 'sandbox="allow-scripts"' in frame
    (srcdoc,) = re.findall(r'srcdoc="([^"]*)"', frame)  # the whole page, quoted: no " left in it
    assert html.unescape(srcdoc) == str(page)


def test_with_a_path_the_same_page_is_written_and_its_path_returned(tmp_path):
    path = stepper(expression(), tmp_path / "steps")
    assert path == tmp_path / "steps.html"
    assert path.read_text(encoding="utf-8") == str(stepper(expression()))
    assert stepper(expression()).save(tmp_path / "again.html").read_text(encoding="utf-8") == path.read_text(
        encoding="utf-8"
    )


def test_every_node_the_ledger_names_carries_that_name_in_the_drawing():
    import xml.etree.ElementTree as ET

    from micrograd_like import explain, symmetry

    svg = "{http://www.w3.org/2000/svg}"
    root = symmetry.cost(symmetry.build_network("constant"))
    x = Value(0.5, label="x")
    for graph in (root, (x * 3.0 + 1.0).tanh()):  # labelled root C; unlabelled root L with constants
        ledger = explain(graph)
        text = str(stepper(graph, max_nodes=5_000))
        drawing = ET.fromstring(text[text.index("<svg") : text.index("</svg>") + 6])
        names = {}
        for g in drawing.iter(f"{svg}g"):
            title = g.find(f"{svg}title")
            if "node" in (g.get("class") or "").split() and re.fullmatch(r"v\d+", title.text or ""):
                names[int(title.text[1:])] = [t.text for t in g.iter(f"{svg}text")]
        assert sorted(names) == list(range(len(ledger.nodes)))
        for node in ledger.nodes:
            assert names[node.index][0] == node.name, node  # the first line of its box
    assert ledger.nodes[-1].name == "L" and {"3", "1"} <= {n.name for n in ledger.nodes}
