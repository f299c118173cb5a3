"""Rendering never hangs: layout limits on big graphs, a time limit on dot, a clear error when dot fails."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd_like import symmetry
from micrograd_like.engine import Value
from micrograd_like.nn import MLP
from micrograd_like.viz import (
    DEFAULT_MAX_NODES,
    GraphvizCrashedError,
    GraphvizTimeoutError,
    draw_dot,
    nodes_and_edges,
    render,
)
from micrograd_like.viz.graph import BIG_LAYOUT, rank_span

HANG_GUARD = 60.0  # seconds per render: not a timing test, a bound that only a hang exceeds


def shared_chain(length: int) -> Value:
    """A chain of exactly ``length`` Values: x, then tanh steps and (x*w + b) steps sharing w and b."""
    w, b = Value(0.9, label="w"), Value(0.1, label="b")
    x, count = Value(0.5, label="x"), 3
    while count + 3 <= length:  # x*w, +b, tanh: three Values a step
        x, count = (x * w + b).tanh(), count + 3
    while count < length:
        x, count = x.tanh(), count + 1
    assert len(nodes_and_edges(x)[0]) == length
    return x


def render_within_guard(graph, path: Path) -> None:
    render(graph, path, timeout=HANG_GUARD)  # GraphvizTimeoutError fails the test
    assert path.read_bytes().startswith(b"<?xml")


@pytest.mark.slow
def test_every_chain_from_280_to_320_values_renders(tmp_path):
    for length in range(280, 321):
        root = shared_chain(length)
        root.backward()
        render_within_guard(draw_dot(root), tmp_path / f"chain{length}.svg")


@pytest.mark.parametrize("length", [299, 301])
def test_the_chains_that_hung_dot_render(tmp_path, length):
    root = shared_chain(length)
    root.backward()
    render_within_guard(draw_dot(root), tmp_path / "chain.svg")


def test_a_wide_sum_and_an_mlp_near_the_node_limit_render(tmp_path):
    terms = [Value(0.01 * i, label=f"x{i}") for i in range(166)]
    wide = sum((t * t for t in terms), Value(0.0))
    model = MLP(2, [8, 7, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2 + (model([1.0, 2.0]) + 1.0) ** 2
    for name, root in {"wide": wide, "mlp": loss}.items():
        assert 450 <= len(nodes_and_edges(root)[0]) <= DEFAULT_MAX_NODES
        root.backward()
        render_within_guard(draw_dot(root), tmp_path / f"{name}.svg")


def test_only_big_or_long_edged_graphs_get_the_layout_limits():
    model = symmetry.build_network("constant")
    small = draw_dot(symmetry.cost(model)).source  # the docs' picture keeps dot's full search
    assert not any(f"{key}=" in small for key in BIG_LAYOUT if key != "mclimit")
    assert "mclimit=0.01" in small  # the neuron frames' own setting, as before
    short_chain = draw_dot(shared_chain(40)).source
    assert "nslimit" not in short_chain
    long_chain = shared_chain(120)  # only 120 Values, but its shared w and b skip thousands of ranks
    assert rank_span(*nodes_and_edges(long_chain)) > 1000
    assert all(f"{key}=" in draw_dot(long_chain).source for key in BIG_LAYOUT)


def test_rank_span_counts_the_ranks_an_edge_skips():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    assert rank_span(*nodes_and_edges(c.tanh().tanh())) == 0  # inputs sit just before their use
    d = (c.tanh().tanh() + a).tanh()  # a sits at rank 0 for its use at rank 1; its use at rank 4 skips 3
    assert rank_span(*nodes_and_edges(d)) == 3


def fake_dot(folder: Path, body: str) -> dict[str, str]:
    """A real executable named dot that does ``body``, first on PATH; returns the environment."""
    folder.mkdir()
    script = folder / "dot"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


needs_posix = pytest.mark.skipif(sys.platform == "win32", reason="the fake dot is a shell script")


@needs_posix
def test_a_slow_dot_is_stopped_and_the_source_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", fake_dot(tmp_path / "bin", "exec sleep 30")["PATH"])
    graph = draw_dot(Value(2.0, label="a") * 3.0)
    with pytest.raises(GraphvizTimeoutError) as info:
        render(graph, tmp_path / "pic.svg", timeout=0.5)
    message = str(info.value)
    saved = tmp_path / "pic.gv"
    assert info.value.source_path == saved and saved.read_text(encoding="utf-8") == graph.source
    assert "within 0.5 s" in message and str(saved) in message
    assert "--max-nodes" in message and "draw_collapsed" in message and f'dot -Tsvg "{saved}"' in message
    assert not (tmp_path / "pic.svg").exists()
    assert isinstance(info.value, TimeoutError)


@needs_posix
def test_a_crashing_dot_says_so_in_one_line_and_keeps_the_source(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", fake_dot(tmp_path / "bin", "kill -SEGV $$")["PATH"])
    graph = draw_dot(Value(2.0) + 1.0)
    with pytest.raises(GraphvizCrashedError) as info:
        render(graph, tmp_path / "pic.png")
    message = str(info.value)
    assert "crashed (SIGSEGV)" in message and "\n" not in message
    assert (tmp_path / "pic.gv").read_text(encoding="utf-8") == graph.source
    assert 'dot -Tpng "' in message and not (tmp_path / "pic.png").exists()


@needs_posix
def test_a_stepper_page_whose_drawing_crashes_keeps_the_source_beside_the_page(tmp_path, monkeypatch):
    from micrograd_like.viz import stepper

    monkeypatch.setenv("PATH", fake_dot(tmp_path / "bin", "kill -SEGV $$")["PATH"])
    a = Value(2.0, label="a")
    with pytest.raises(GraphvizCrashedError) as info:
        stepper(a * a + 1.0, tmp_path / "steps.html")
    kept = tmp_path / "steps.gv"
    assert info.value.source_path == kept and str(kept) in str(info.value)
    assert kept.read_text(encoding="utf-8").startswith("digraph autograd")
    assert not (tmp_path / "steps.html").exists()


def test_timeout_must_be_a_positive_number(tmp_path):
    graph = draw_dot(Value(1.0) * 2.0)
    with pytest.raises(ValueError, match="timeout"):
        render(graph, tmp_path / "x.svg", timeout=0)
    with pytest.raises(TypeError, match="timeout"):
        render(graph, tmp_path / "x.svg", timeout="60")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


@needs_posix
def test_the_cli_turns_a_crashing_dot_into_one_line_and_exit_1(tmp_path):
    script = Path(sys.executable).parent / "micrograd-like"
    env = {**os.environ, **fake_dot(tmp_path / "bin", "kill -SEGV $$")}
    result = subprocess.run(
        [str(script), "draw", "a*b", "a=1", "b=2", "--out", str(tmp_path / "g.svg")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "crashed (SIGSEGV)" in lines[0] and "Traceback" not in result.stderr
    assert (tmp_path / "g.gv").exists()
