"""backward() applies the ops named in ``_ops.HOT`` inline instead of calling their vjp,
in branches generated from their registered vjp text: the gradients must be bit-identical
to a sweep that calls every op's own vjp, and every hot op must have its branch."""

import math
import struct

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from micrograd_like import Value, _core, _ops
from micrograd_like import engine as E
from micrograd_like._registry import vjp_source
from micrograd_like.registry import REGISTRY
from micrograd_like.testing import expressions, interval_points, points, reals

INLINED = _ops.HOT


def _bits(x: float) -> bytes:
    """The float's bytes (telling -0.0 from 0.0); every NaN alike, because CPython itself
    gives NaN products different signs depending on whether the multiplication was
    specialised by the interpreter, whichever engine runs it."""
    return b"nan" if math.isnan(x) else struct.pack("<d", x)


def _vjp_grads(root: Value, into_grad: bool = True) -> list[float]:
    """What backward() would leave in each .grad (into_grad), or grad() would give for each
    node, by calling op.vjp at every node."""
    mark = object()
    order = _core._topological_order(root, mark)
    order[-1]._acc = 1.0
    for node in reversed(order):
        g = node._acc
        node._acc = node.grad + g if into_grad else g
        if node._fn is None:
            continue
        op, inputs = E.node_parts(node)
        contributions = op.vjp(g, node.data, *(x.data for x in inputs))
        for position, child in E.backward_edges(node):
            c = contributions[position]
            child._acc = c if child._acc is mark else child._acc + c
    result = [node._acc for node in order]
    _core._clear(order)
    return result


def _assert_backward_matches_vjps(out: Value) -> None:
    expected = _vjp_grads(out)
    nodes = list(E.iter_graph(out))
    out.backward()
    assert [_bits(v.grad) for v in nodes] == [_bits(g) for g in expected]


@given(expressions(3), points(3), st.lists(st.floats(-3, 3), min_size=3, max_size=3))
def test_backward_equals_the_vjp_sweep_bit_for_bit(expr, xs, old_grads):
    leaves = [Value(x) for x in xs]
    for leaf, g in zip(leaves, old_grads):  # gradients accumulate onto what is there
        leaf.grad = g
    _assert_backward_matches_vjps(expr(*leaves))


@given(expressions(3), points(3))
def test_grad_equals_the_vjp_sweep_bit_for_bit(expr, xs):
    # grad() sweeps with its own loop (no inline branches, no .grad): the same order of sums.
    leaves = [Value(x) for x in xs]
    out = expr(*leaves)
    expected = dict(zip(map(id, E.iter_graph(out)), _vjp_grads(out, into_grad=False)))
    assert [_bits(g) for g in E.grad(out, leaves)] == [_bits(expected.get(id(x), 0.0)) for x in leaves]


# Ordinary numbers mostly, and every special float (both zeros, infinities, NaN) too.
_ANY = st.one_of(st.floats(-10.0, 10.0), st.floats(-10.0, 10.0), st.floats(allow_nan=True, allow_infinity=True))
_BUILD = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "neg": lambda x, y: -x,
    "exp": lambda x, y: x.exp(),
    "log": lambda x, y: x.log(),
    "tanh": lambda x, y: x.tanh(),
    "relu": lambda x, y: x.relu(),
    "sigmoid": lambda x, y: x.sigmoid(),
}


def test_the_hot_ops_are_the_commonest_ops():
    # What backward() must apply inline for the benchmarks' workloads and the README's network
    # (sigmoid, its only activation).
    assert {"add", "sub", "mul", "div", "neg", "exp", "log", "tanh", "sigmoid", "relu"} <= set(INLINED) <= set(REGISTRY)
    assert len(set(INLINED)) == len(INLINED)


def test_every_hot_op_has_its_generated_branch_in_the_sweep():
    assert _core._HOT_OPS == tuple(REGISTRY[name].op() for name in INLINED)
    for i, name in enumerate(INLINED):
        text = vjp_source(REGISTRY[name].op())
        assert (
            f"if op is hot{i}" in _core._SWEEP_SOURCE and f"# {REGISTRY[name].op().name}: {text}" in _core._SWEEP_SOURCE
        )
    # backward() runs the generated sweep, not a hand-written one
    assert _core._sweep_into_grad.__code__.co_filename == "<micrograd_like backward sweep>"


def test_every_hot_op_is_built_by_the_arithmetic_test():
    # A hot op added without a way to build it here would go unchecked by the test below.
    assert set(INLINED) <= set(_BUILD)


@pytest.mark.parametrize("name", INLINED)
@given(x=_ANY, y=_ANY, scale=_ANY, same=st.booleans())
def test_each_inlined_op_equals_its_vjp_on_any_floats(name, x, y, scale, same):
    """Zeros of both signs, infinities and NaN, an arbitrary upstream gradient, and an
    op whose two inputs are one node (x * x): the edge cases of float arithmetic."""
    a = Value(x)
    b = a if same else Value(y)
    try:
        out = _BUILD[name](a, b) * scale  # the op's node receives the gradient `scale`
    except (ValueError, ZeroDivisionError, OverflowError):
        assume(False)  # outside the op's domain: there is no graph to differentiate
    assert out._a._fn is REGISTRY[name].op()
    _assert_backward_matches_vjps(out)


def test_relu_at_zero_and_nan_passes_what_step_gives():
    for x in (0.0, -0.0, math.nan, -1.0, 2.0):
        a = Value(x)
        _assert_backward_matches_vjps(a.relu() * -3.0)


@pytest.mark.parametrize("data", [3, -2, True, 0])
def test_relu_of_data_that_is_no_float_calls_its_vjp(data):
    # The inline branch calls step's float forward only for a float .data (the guard);
    # an int assigned to .data goes through relu's vjp, which converts it.
    a = Value(1.0)
    out = a.relu() * 2.0
    a.data = data
    _assert_backward_matches_vjps(out)


def _twice(x):
    return x + x


def test_a_generated_branch_reads_each_input_once_and_guards_what_it_calls():
    functions = {"step": _ops._step, "twice": _twice, "hard": math.atan2}.get
    text = "lambda _g, _out, _x, _y: (_g * step(_x) * _x, _g * hard(_out, twice(_g * _y)),)"
    lines, calls, names = _core._branch(3, "demo", text, functions)
    code = "\n".join(lines)
    # step is written out (one return, a parameter for its argument); a builtin has no source
    # and twice's argument is an expression, so both are called.
    assert calls == {"hard", "twice"} and names == {"w_math": math}  # math: step's NaN, by a name of its own
    assert "ga = g * (1.0 if x > 0.0 else 0.0 if x <= 0.0 else w_math.nan) * x" in code and "x = a.data" in code
    assert "gb = g * fn_hard(node.data, fn_twice(g * b.data))" in code
    guard = "if op is hot3 and type(g) is float and type(node.data) is float and type(a.data) is float and type(b.data) is float:"
    assert code.startswith(" " * 12 + guard)  # every input of a function is a float, else the vjp runs
    assert code.index("b._acc =") < code.index("a._acc =")  # b before a, as backward_edges
    with pytest.raises(ValueError, match="cannot inline the name 'z'"):
        _core._branch(0, "demo", "lambda _g, _out, _x: (_g * z,)", functions)


@given(x=interval_points(REGISTRY["vpow"].intervals()[0]), y=reals(), old=reals())
def test_an_op_backward_does_not_inline_adds_into_inputs_other_nodes_also_feed(x, y, old):
    """x ** y is differentiated by its vjp; its inputs already hold gradient from the
    nodes after it (y from the product, x from the sum), which its share must add to."""
    a, b = Value(x), Value(y)
    b.grad = old
    _assert_backward_matches_vjps((a**b) * b + a)
