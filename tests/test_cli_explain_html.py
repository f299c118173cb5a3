"""The ledger and the stepper page where users meet them: `explain`, `symmetry --explain`, `--html`.

Every command runs as a real subprocess of the installed ``micrograd-like`` script.
The page's behaviour in a browser is tested in test_stepper.py; here the written
file is read as text: self-contained, and carrying the ledger of the right graph.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from cli_run import SCRIPT, ok, run, usage_error

from micrograd_like import explain, explain_network, symmetry, viz
from micrograd_like.expr import parse_expression
from micrograd_like.losses import sse


def formula_root(formula: str, **values: float):
    root, _ = parse_expression(formula, values)
    root.label = root.label or "L"  # as the command names it
    return root


def page_rows(path: Path) -> list[list]:
    """The ledger rows a written stepper page carries, after checking it is self-contained."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert "<svg" in text  # the drawing is inlined
    assert not re.search(r"<script[^>]*\bsrc=|<link\b|<img\b|@import|url\(", text)
    assert set(re.findall(r"https?://[^\"' ]+", text)) <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    data = re.search(r'<script id="ledger-data" type="application/json">(.*?)</script>', text, re.DOTALL)
    assert data, "no ledger data in the page"
    return json.loads(data.group(1))["rows"]


def ledger_rows(root) -> list[list]:
    """``explain(root)`` in the page's encoding: each number as [6 significant digits, exact repr]."""
    return [
        [r.node_index, r.input_index, r.node, r.input, r.formula, r.final]
        + [[format(x, ".6g"), repr(x)] for x in (r.node_grad, r.local, r.contribution, r.total)]
        + [format(r.total, "#.4g")]  # the running total as the drawing writes numbers
        for r in explain(root).rows
    ]


# -- explain ----------------------------------------------------------------------------------------


def test_explain_prints_the_ledger_of_the_formula(tmp_path):
    out = ok("explain", "tanh(a*b + c)", "a=2", "b=-3", "c=10", cwd=tmp_path)
    expected = str(explain(formula_root("tanh(a*b + c)", a=2.0, b=-3.0, c=10.0)))
    assert out == f"tanh(a*b + c) = 0.999329\n\n{expected}\n"
    assert "d(a*b)/da = b = -3" in out and "d(a*b)/db = a = 2" in out  # the example, in numbers
    assert list(tmp_path.iterdir()) == []  # explain writes nothing


def test_explain_names_the_result_L_apart_from_a_variable_called_L(tmp_path):
    out = ok("explain", "x * 2", "x=3", cwd=tmp_path)
    assert "Backward pass from L, the value being differentiated: dL/dL = 1 (the seed)" in out
    assert "dL/d(node)" in out
    out = ok("explain", "L * 2", "L=3", cwd=tmp_path)
    assert "Backward pass from L_, the value being differentiated: dL_/dL_ = 1" in out
    assert "d(L*2)/dL = 2 " in out and "= 2 = 2" not in out  # a number is not repeated


@pytest.mark.parametrize(
    "args, message",
    [
        (["explain", "__import__('os')"], "not allowed"),
        (["explain", "a + b", "a=1"], "'b' has no value"),
        (["explain", "log(a)", "a=-1"], "log"),
        (["explain", "x**0.5", "x=0"], "cannot differentiate"),
        (["explain", "a", "a=1", "a=2"], "given twice"),
        (["explain", "-x*2", "x=1"], 'micrograd-like explain -- "-x*2" x=1'),
        (["explain"], "expression"),
    ],
)
def test_explain_errors_exit_2_like_draw(tmp_path, args, message):
    assert message in usage_error(*args, cwd=tmp_path)


def test_explain_help_has_examples(tmp_path):
    out = ok("explain", "--help", cwd=tmp_path)
    assert 'micrograd-like explain "tanh(a*b + c)" a=2 b=-3 c=10' in out
    assert "explain" in ok("--help", cwd=tmp_path)


# -- symmetry --explain, --html ------------------------------------------------------------------------


def network_explanation(model) -> str:
    return str(explain_network(model, symmetry.OBSERVATIONS, lambda outs: sse(outs, symmetry.TARGETS)))


@pytest.mark.slow
@pytest.mark.parametrize(
    "options, model",
    [
        ([], lambda: symmetry.build_constant_network(1.0)),
        (["--value", "0.5"], lambda: symmetry.build_constant_network(0.5)),
        (["--init", "xavier", "--seed", "3"], lambda: symmetry.build_network("xavier", seed=3)),
    ],
)
def test_symmetry_explain_prints_the_first_backward_pass_of_the_chosen_start(tmp_path, options, model):
    out = ok("symmetry", "--explain", "--steps", "5", *options, cwd=tmp_path)
    explanation = network_explanation(model())
    assert explanation in out
    assert out.index(explanation) < out.index("Plain SGD")  # first the pass, then the training
    assert "dC/dy_0" not in ok("symmetry", "--steps", "5", *options, cwd=tmp_path)  # only when asked


def test_symmetry_explain_shows_the_equal_gradients_side_by_side(tmp_path):
    out = ok("symmetry", "--explain", "--steps", "0", cwd=tmp_path)
    assert out.count("= neuron 0, bit for bit") == 4  # neurons 2 and 3 of both hidden layers
    assert "the same upstream gradient" in out


def test_symmetry_html_writes_the_stepper_of_the_first_backward_pass(tmp_path):
    out = ok("symmetry", "--html", "--value", "0.5", "--steps", "3", "--out", "pics", cwd=tmp_path)
    page = tmp_path / "pics" / "graph_first_backward.html"
    assert f"open {Path('pics', 'graph_first_backward.html')} in a browser" in out
    assert "graph_first_backward.html" in out.split("wrote ")[1]  # listed with the other files
    rows = page_rows(page)
    assert rows == ledger_rows(symmetry.cost(symmetry.build_constant_network(0.5)))
    assert len(rows) > 100  # the whole 2-3-3-2 network, not a toy
    assert "constant 0.5 start" in page.read_text(encoding="utf-8")  # the title says which start


def test_symmetry_html_without_graphviz_fails_with_exit_1_after_the_report(tmp_path):
    env = {**os.environ, "PATH": str(Path(SCRIPT).parent)}  # no dot on this PATH
    result = run("symmetry", "--html", "--steps", "2", "--out", "pics", cwd=tmp_path, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "stepper page" in result.stderr and result.stderr.count("apt-get install graphviz") == 1
    assert "Plain SGD" in result.stdout  # the run itself is still reported
    assert not (tmp_path / "pics" / "graph_first_backward.html").exists()
    assert not (tmp_path / "pics" / "training_timeline.html").exists()


def test_symmetry_html_writes_the_training_timeline_of_both_starts(tmp_path):
    out = ok("symmetry", "--html", "--init", "xavier", "--seed", "3", "--steps", "7", "--out", "pics", cwd=tmp_path)
    assert f"wrote {Path('pics', 'training_timeline.html')}: drag its slider" in out
    text = (tmp_path / "pics" / "training_timeline.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script id="timeline-data" type="application/json">(.*?)</script>', text)[1])
    assert data["steps"] == list(range(8))  # 7 steps: every one is a snapshot
    for k, model in enumerate((symmetry.build_network("xavier", seed=3), symmetry.build_constant_network(1.0))):
        record = viz.record_training(model, symmetry.cost, steps=7, lr=symmetry.LEARNING_RATE)
        assert data["runs"][k]["cost"] == [f"{c:.6g}" for c in record.costs]  # the chosen start first
    assert "random (xavier, seed 3)" in text and "constant 1" in text


# -- draw --html ------------------------------------------------------------------------------------------


def test_draw_html_writes_the_page_named_like_the_picture(tmp_path):
    out = ok("draw", "tanh(a*b + c)", "a=2", "b=-3", "c=10", "--html", cwd=tmp_path)
    folder = tmp_path / "micrograd-graphs"
    assert sorted(p.name for p in folder.iterdir()) == [
        "tanh_a_times_b_plus_c.gv",
        "tanh_a_times_b_plus_c.html",
        "tanh_a_times_b_plus_c.svg",
    ]
    assert "micrograd-graphs/tanh_a_times_b_plus_c.html" in out
    page = folder / "tanh_a_times_b_plus_c.html"
    assert page_rows(page) == ledger_rows(formula_root("tanh(a*b + c)", a=2.0, b=-3.0, c=10.0))
    assert "<title>tanh(a*b + c)</title>" in page.read_text(encoding="utf-8")


def test_draw_html_follows_out_and_format(tmp_path):
    ok("draw", "x*x", "x=3", "--html", "--out", "sq.png", cwd=tmp_path)
    ok("draw", "x*x", "x=3", "--html", "--format", "gv", "--out", "page.html", cwd=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.gv", "page.html", "sq.gv", "sq.html", "sq.png"]
    assert page_rows(tmp_path / "page.html") == ledger_rows(formula_root("x*x", x=3.0))
    # Without --html an .html --out is no picture: a usage error that names the flag.
    result = run("draw", "x*x", "x=3", "--out", "other.html", cwd=tmp_path)
    assert result.returncode == 2 and "add --html" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "other.html").exists()


def test_draw_html_without_graphviz_is_exit_1(tmp_path):
    env = {**os.environ, "PATH": str(Path(SCRIPT).parent)}
    result = run("draw", "x*x", "x=3", "--html", "--out", "sq.svg", cwd=tmp_path, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("apt-get install graphviz") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sq.gv"]
