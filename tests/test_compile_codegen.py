"""How compile turns a recording into code: chunked code for long programs gives the
same numbers bit for bit, and recording a big graph does not peak at kilobytes per node."""

from __future__ import annotations

import contextlib
import json
import math
import re
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

import micrograd_like as ml
from micrograd_like import _codegen, losses, nn
from micrograd_like.engine import Value
from micrograd_like.testing import expressions, points


@contextlib.contextmanager
def chunks_of(lines: int):
    """Cut every program into chunk functions of ``lines`` lines, however short."""
    saved = _codegen.WHOLE_LINES, _codegen.CHUNK_LINES
    _codegen.WHOLE_LINES, _codegen.CHUNK_LINES = 0, lines
    try:
        yield
    finally:
        _codegen.WHOLE_LINES, _codegen.CHUNK_LINES = saved


def run(cfn, args, params):
    for p in params:
        p.grad = 0.0
    out = cfn(*args)
    return out, [p.grad for p in params]


def eager(fn, args, params):
    for p in params:
        p.grad = 0.0
    out = fn(*args)
    loss = out[0] if isinstance(out, tuple) else out
    loss.backward()
    data = (loss.data, [v.data for v in out[1]]) if isinstance(out, tuple) else loss.data
    return data, [p.grad for p in params]


@given(expressions(3), points(3), st.integers(0, 3), st.integers(1, 4))
def test_chunked_code_replays_random_expressions_like_eager(expr, point, n_captured, lines):
    params = [Value(x) for x in point[:n_captured]]

    def fn(xs):
        return expr(*(params + [ml.Value(x) for x in xs]))

    with chunks_of(lines):
        cfn = ml.compile(fn)
        args = (point[n_captured:],)
        got = run(cfn, args, params)
    want = eager(fn, args, params)
    assert got == want or (math.isnan(got[0]) and math.isnan(want[0]))
    empty = len(cfn.code.splitlines()) == 3  # def replay, its warm-up line, return: nothing to cut
    assert empty or "def _chunk0(xs, R):" in cfn.code  # really cut (the cut is kept with the recording)


@pytest.mark.parametrize("lines", [1, 2, 7, 50])
def test_chunked_code_replays_an_mlp_step_with_extra_outputs_like_eager(lines):
    model = nn.MLP(2, [3, 3, 1], seed=4, activation="sigmoid")
    params = model.parameters()

    def step(X, y):
        scores = [model(x) for x in X]
        return losses.hinge(scores, y) + 1e-3 * sum(p * p for p in params), scores

    X, y = [[0.5, -1.0], [2.0, 0.25], [-1.5, 1.0]], [1.0, -1.0, 1.0]
    with chunks_of(lines):
        cfn = ml.compile(step)
        first = run(cfn, (X, y), params)
        second = run(cfn, ([[1.0, 1.0], [0.0, -2.0], [3.0, 0.5]], y), params)
    assert first == eager(step, (X, y), params)
    assert second == eager(step, ([[1.0, 1.0], [0.0, -2.0], [3.0, 0.5]], y), params)


@pytest.mark.parametrize(
    "make",
    [
        lambda w: lambda x: w,  # the output is a captured Value: its gradient is the literal 1.0
        lambda w: lambda x: w * x * float("nan") + w * float("inf"),  # constants that are names
        lambda w: lambda x: (w * x) ** 0.5 + (w / x).log() + ml.functions.leaky_relu(w * x, 0.25),  # risky lines
    ],
    ids=["captured-output", "nan-inf-constants", "risky-and-parametrized"],
)
def test_chunked_code_handles_literal_gradients_named_constants_and_risky_lines(make):
    w = Value(1.5)
    with chunks_of(1):
        cfn = ml.compile(make(w))
        got = run(cfn, (2.0,), [w])
    want = eager(make(w), (Value(2.0),), [w])
    assert got == want or all(map(math.isnan, [got[0], want[0]]))


def test_chunked_code_raises_the_eager_error():
    w = Value(1.0)
    with chunks_of(2):
        cfn = ml.compile(lambda x: (w * x).log() + w)
        cfn(1.0)
    with pytest.raises(ValueError, match="log"):
        cfn(-1.0)


PEAK = """
import json, resource, sys
import micrograd_like as ml
ws = [ml.Value(0.5 + (i % 7) * 0.01) for i in range(int(sys.argv[1]))]
def chain(x):
    s = x
    for w in ws:
        s = (s * w).sin()
    return s
start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
f = ml.compile(chain)
out = f(0.3)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start
print(json.dumps({"kib": peak, "nodes": len(f._last.plan.ops), "out": out}))
"""


def test_recording_a_big_graph_peaks_far_below_the_one_function_compile():
    """A guard, not a measurement: a 60,000-node sin chain compiled as one function
    peaked at about 7 kB per node; chunked it is about 1 kB (benchmarks/bench_compile_memory.py)."""
    done = subprocess.run(
        [sys.executable, "-c", PEAK, "20000"], capture_output=True, text=True, check=True, timeout=600
    )
    result = json.loads(done.stdout)
    assert result["nodes"] == 60_001
    assert result["kib"] * 1024 / result["nodes"] < 3000, result  # bytes per node


# -- the passes, the code that runs and its lines in tracebacks ------------------------------


def _moons_like():
    model = nn.MLP(2, [3, 1], seed=1)
    params = model.parameters()

    def step(X, y):
        return losses.hinge([model(x) for x in X], y) + 1e-3 * sum(p * p for p in params)

    return step, params


@pytest.mark.parametrize("lines", [None, 3])
def test_code_is_the_text_that_runs_and_linecache_serves_it(lines):
    import linecache

    step, params = _moons_like()
    with chunks_of(lines) if lines else contextlib.nullcontext():
        cfn = ml.compile(step)
        cfn([[0.5, -1.0], [1.0, 2.0]], [1.0, -1.0])
        code = cfn.code
    replay = cfn._last.replay
    filename = replay.__code__.co_filename
    assert "".join(linecache.getlines(filename)) == code
    functions = [replay] + [f for name, f in replay.__globals__.items() if name.startswith("_chunk")]
    assert len(functions) == (1 if lines is None else code.count("def _chunk") + 1)
    for function in functions:  # each function's first line is where its text stands
        first = function.__code__.co_firstlineno
        assert code.splitlines()[first - 1].startswith(f"def {function.__name__}(")
    assert (lines is None) == ("def _chunk0" not in code)
    assert cfn.source.splitlines()[1].startswith("# a listing of the recorded program")  # not the code: says so


def test_a_replay_error_traceback_shows_the_generated_line():
    import traceback

    def triple(x):  # a micrograd-style op: it has no forward formula to replay
        out = Value(x.data * 3.0, (x,), "triple")

        def _backward():
            x.grad += 3.0 * out.grad

        out._backward = _backward
        return out

    w = Value(2.0)
    cfn = ml.compile(lambda x: triple(w * x) + w)
    with pytest.raises(NotImplementedError) as info:
        cfn(1.0)
    frames = traceback.extract_tb(info.value.__traceback__)
    mine = [f for f in frames if f.filename == cfn._last.filename]
    assert mine, [f.filename for f in frames]
    assert mine[-1].line == cfn.code.splitlines()[mine[-1].lineno - 1].strip()
    assert re.fullmatch(r"v\d+ = F\d+\(.*\)", mine[-1].line), mine[-1].line
    assert "triple" in "".join(traceback.format_exception(info.value))


def test_a_recordings_lines_leave_linecache_with_it():
    import gc
    import linecache

    w = Value(2.0)
    cfn = ml.compile(lambda x: (w * x).tanh())
    cfn(1.0)
    filename = cfn._last.filename
    assert linecache.getlines(filename)
    cfn.cache_clear()
    gc.collect()
    assert filename not in linecache.cache


@given(expressions(3), points(3), st.integers(0, 3))
def test_unfused_code_computes_the_same_floats_as_fused_code(expr, point, n_captured):
    """The fusion pass changes how lines are written, never a number: the one-line-per-op
    program (the listing's shape, under code names) gives bit-identical results."""
    params = [Value(x) for x in point[:n_captured]]
    cfn = ml.compile(lambda xs: expr(*(params + [ml.Value(x) for x in xs])))
    args = point[n_captured:]
    try:
        out = cfn(args)
    except (ValueError, ZeroDivisionError, OverflowError):
        return
    plan = cfn._last.plan
    fused = out, [v.grad for v in cfn._last.captured]  # each .grad was 0.0: now the replay's gradient
    bw = _codegen.backward_plan(plan)
    forward, backward, result = _codegen.emit(plan, bw, _codegen.no_fusion(plan, bw), _codegen.Names(plan, code=True))
    body = ["".join(f"x{i}, " for i in range(len(args))) + "= xs"] if args else []
    replay = _codegen.load(_codegen.pieces(body + forward + backward, result), _codegen.namespace(plan), "<unfused>")
    out, grads, _ = replay(list(args))
    assert (out, list(grads)) == fused or math.isnan(out)
