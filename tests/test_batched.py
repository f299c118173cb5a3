"""A compiled function over arrays (vectorize, to_torch) against the scalar replay, sample by sample."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import micrograd_like as ml
from micrograd_like import Value, defop
from micrograd_like._array_forms import _FORMS
from micrograd_like.batched import set_array_form
from micrograd_like.nn import MLP
from micrograd_like.registry import NAMESPACE, REALS, REGISTRY
from micrograd_like.testing import expressions, points

TOLERANCE = 1e-12


def _close(got: float, want: float, scale: float) -> bool:
    """Equal to 1e-12 of ``scale`` (the size of the numbers summed); NaN only with NaN."""
    return abs(got - want) <= TOLERANCE * max(scale, 1.0)


def _scalar_reference(compiled, params, samples):
    """Per-sample outputs of the scalar replay, the gradients summed, and their scales."""
    for p in params:
        p.grad = 0.0
    outputs, scales = [], [0.0] * len(params)
    for sample in samples:
        before = [p.grad for p in params]
        outputs.append(compiled(*sample))
        scales = [s + abs(p.grad - b) for s, p, b in zip(scales, params, before)]
    grads = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    return outputs, grads, scales


def _assert_batch_matches(compiled, params, samples):
    """vectorize() and to_torch() on the samples give the scalar replay's numbers."""
    want, want_grads, scales = _scalar_reference(compiled, params, samples)
    columns = [np.array(column, dtype=float) for column in zip(*samples)]
    got = compiled.vectorize()(*columns)
    assert got.shape == (len(samples),)
    for g, w in zip(got, want):
        assert _close(g, w, abs(w)), (g, w)
    for p, w, s in zip(params, want_grads, scales):
        assert _close(p.grad, w, s), (p.label, p.grad, w)
        p.grad = 0.0
    batch = compiled.to_torch()
    leaves = batch.parameters(params)
    out = batch(*(torch.tensor(c) for c in columns))
    assert out.shape == (len(samples),) and out.dtype == torch.float64
    for g, w in zip(out.tolist(), want):
        assert _close(g, w, abs(w)), (g, w)
    if out.requires_grad:
        out.sum().backward()
    for leaf, w, s in zip(leaves, want_grads, scales):
        got_grad = 0.0 if leaf.grad is None else leaf.grad.item()
        assert _close(got_grad, w, s), (got_grad, w)
    assert all(p.grad == 0.0 for p in params)  # torch's backward leaves the Values alone


@given(
    expressions(4, max_leaves=10),
    points(2),
    st.lists(points(2), min_size=1, max_size=7),
)
def test_random_expressions_over_a_batch_equal_the_scalar_replay(expr, weights, samples):
    params = [Value(w, label=f"p{i}") for i, w in enumerate(weights)]
    compiled = ml.compile(lambda x0, x1: expr(x0, x1, *params))
    _assert_batch_matches(compiled, params, [tuple(s) for s in samples])


ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")


@given(
    st.integers(1, 3),
    st.lists(st.integers(1, 4), min_size=1, max_size=3),
    st.sampled_from(ACTIVATIONS),
    st.integers(0, 2**32),
    st.integers(1, 9),
)
def test_random_mlps_over_a_batch_equal_the_scalar_replay(nin, widths, activation, seed, n):
    model = MLP(nin, widths, activation=activation, rng=random.Random(seed))
    params = model.parameters()

    def loss(*args):
        *x, y = args
        out = model(list(x))
        scores = out if isinstance(out, list) else [out]
        return sum((1 + -y * s).relu() for s in scores) + 0.5 * sum((s - y) ** 2 for s in scores)

    rng = random.Random(seed + 1)
    samples = [tuple(rng.uniform(-2, 2) for _ in range(nin)) + (rng.choice((-1.0, 1.0)),) for _ in range(n)]
    _assert_batch_matches(ml.compile(loss), params, samples)


def test_a_2d_array_stands_for_a_list_per_sample_and_plain_numbers_for_every_sample():
    model = MLP(3, [4, 1], rng=random.Random(0))
    compiled = ml.compile(lambda x, y, scale: scale * (model(x) - y) ** 2)
    X = np.random.default_rng(0).normal(size=(5, 3))
    y = np.linspace(-1, 1, 5)
    want = [compiled(list(row), yi, 0.5) for row, yi in zip(X, y)]
    got = compiled.vectorize()(X, y, 0.5)
    assert np.allclose(got, want, rtol=1e-12, atol=0)


def test_extra_outputs_come_back_per_sample():
    w = Value(2.0)

    def f(x):
        scaled, shared = w * x, w + 1.0
        return scaled * scaled * shared, [scaled, shared]

    out, (scaled, shared) = ml.compile(f).vectorize()(np.array([1.0, -3.0]))
    assert out.tolist() == [12.0, 108.0]
    assert scaled.tolist() == [2.0, -6.0] and shared.tolist() == [3.0, 3.0]
    assert w.grad == (2 * 2.0 * 3.0 + 4.0) * 1.0 + (2 * 2.0 * 3.0 + 4.0) * 9.0  # (2 w (w + 1) + w^2) x^2, summed


def test_gradients_are_summed_into_grad_and_the_recording_is_shared():
    w = Value(3.0)
    w.grad = 1.0
    compiled = ml.compile(lambda x: w * x)
    vectorized = compiled.vectorize()
    vectorized(np.array([1.0, 2.0, 4.0]))
    assert w.grad == 1.0 + 7.0
    vectorized(np.array([5.0]))
    assert w.grad == 13.0
    compiled(1.0)  # the scalar call replays the same recording
    assert compiled.cache_info()[:3] == (2, 1, 1)


def test_static_arguments_choose_the_recording_for_the_whole_batch():
    table = {c: Value(float(i + 1)) for i, c in enumerate("ab")}
    compiled = ml.compile(lambda word, x: sum((table[c] * x for c in word), Value(0.0)), static_argnums=0)
    vectorized = compiled.vectorize()
    assert vectorized("ab", np.array([1.0, 2.0])).tolist() == [3.0, 6.0]
    assert vectorized("b", np.array([1.0, 2.0])).tolist() == [2.0, 4.0]
    assert table["a"].grad == 3.0 and table["b"].grad == 6.0
    assert compiled.cache_info().misses == 2


def test_torch_leaves_train_with_torch_optim_and_write_back():
    w = Value(0.0)
    compiled = ml.compile(lambda x, y: (w * x - y) ** 2)
    batch = compiled.to_torch()
    optimizer = torch.optim.SGD(batch.parameters([w]), lr=1.0)
    x = torch.linspace(-1, 1, 9, dtype=torch.float64)
    for _ in range(100):
        optimizer.zero_grad()
        batch(x, 3.0 * x).mean().backward()
        optimizer.step()
    assert w.data == 0.0  # the Value keeps its number until written back
    batch.write_back()
    assert w.data == pytest.approx(3.0, abs=1e-9)
    assert batch.parameters() == [batch.leaf(w)]


@pytest.fixture
def scratch_ops():
    """Forget the ops (and array forms) a test registers."""
    before = set(REGISTRY)
    yield
    for name in set(REGISTRY) - before:
        del REGISTRY[name]
        NAMESPACE.pop(name, None)
        _FORMS.pop(name, None)
        if name in vars(Value):
            delattr(Value, name)


def test_an_opaque_op_is_refused_by_name_until_it_gets_an_array_form(scratch_ops):
    def clipped(x):
        return x if x < 1.0 else 1.0

    clip = defop("clip_one", clipped, lambda x: REGISTRY["step"].function(1.0 - x), domain=REALS)
    compiled = ml.compile(lambda x: clip(x * 2.0))
    with pytest.raises(
        TypeError, match=r"'clip_one' cannot run on arrays: its forward .* is an opaque.*set_array_form\('clip_one'"
    ):
        compiled.vectorize()(np.array([0.25, 1.0]))
    with pytest.raises(TypeError, match="'clip_one' cannot run on arrays"):
        compiled.to_torch()(torch.tensor([0.25, 1.0]))
    set_array_form("clip_one", lambda xp, x: xp.where(x < 1.0, x, 1.0 + 0.0 * x))
    assert compiled.vectorize()(np.array([0.25, 1.0])).tolist() == [0.5, 1.0]
    assert compiled.to_torch()(torch.tensor([0.25, 1.0])).tolist() == [0.5, 1.0]


def test_a_math_forward_needs_the_same_function_in_the_array_library(scratch_ops):
    erf = defop("erf_op", math.erf, lambda x: 2 / math.sqrt(math.pi) * ml.functions.exp(-x * x), domain=REALS)
    compiled = ml.compile(lambda x: erf(x))
    with pytest.raises(
        TypeError, match="'erf_op' cannot run on arrays: its forward is math.erf, and numpy has no function erf"
    ):
        compiled.vectorize()(np.array([0.5]))
    assert compiled.to_torch()(torch.tensor([0.5])).item() == pytest.approx(math.erf(0.5), rel=1e-15)


def test_a_closure_op_is_refused():
    from micrograd_like.engine import Op, make_node

    cube = Op("cube", lambda x: x**3, lambda g, out, x: (g * 3 * x * x,))
    compiled = ml.compile(lambda x: make_node(x.data**3, cube, x) * 2.0)
    with pytest.raises(TypeError, match="'cube' cannot run on arrays: it was not registered with defop"):
        compiled.vectorize()(np.array([1.0]))


def test_a_sample_outside_an_ops_domain_is_named_and_no_grad_changes():
    w = Value(1.0)
    compiled = ml.compile(lambda x: (w * x).log())
    with pytest.raises(ValueError, match=r"sample 1 gives nan .*no \.grad was changed"):
        compiled.vectorize()(np.array([1.0, -1.0, 2.0]))
    assert w.grad == 0.0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ((np.array([1.0, 2.0]), np.array([1.0])), r"the same number of samples, got 2 at x, 1 at y"),
        ((1.0, 2.0), "the same number of samples, got none"),
        ((np.zeros((2, 2, 2)), np.zeros(2)), r"x has shape \(2, 2, 2\)"),
        ((np.array([1.0]), "a"), "must be numbers"),
    ],
)
def test_bad_batches_are_refused_with_what_to_pass(args, needle):
    compiled = ml.compile(lambda x, y: Value(2.0) * x * y)
    with pytest.raises((ValueError, TypeError), match=needle):
        compiled.vectorize()(*args)


def test_importing_the_package_imports_neither_numpy_nor_torch():
    import subprocess
    import sys

    code = "import sys, micrograd_like as ml; ml.compile(lambda x: x * 2)(1.0); print('numpy' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_an_mlps_layers_become_matrix_products():
    from micrograd_like.batched import NumpyBatch

    model = MLP(3, [5, 4, 1], rng=random.Random(0))
    compiled = ml.compile(lambda x, y: (model(x) - y) ** 2)
    batch: NumpyBatch = compiled.vectorize()
    batch(np.ones((2, 3)), np.zeros(2))
    (program,) = batch._programs.values()
    sizes = sorted((len(g.members), len(g.xs)) for g in program.groups.values())
    assert sizes == [(1, 4), (4, 5), (5, 3)]  # (neurons, inputs) of each layer
