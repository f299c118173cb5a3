"""backward() applies the commonest ops inline instead of calling their vjp: the
gradients must be bit-identical to a sweep that calls every op's own vjp."""

import math
import struct

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from micrograd_like import Value
from micrograd_like import engine as E
from micrograd_like.registry import REGISTRY
from micrograd_like.testing import expressions, interval_points, points, reals

INLINED = ("add", "sub", "mul", "div", "neg", "exp", "log", "tanh", "relu")


def _bits(x: float) -> bytes:
    """The float's bytes (telling -0.0 from 0.0); every NaN alike, because CPython itself
    gives NaN products different signs depending on whether the multiplication was
    specialised by the interpreter, whichever engine runs it."""
    return b"nan" if math.isnan(x) else struct.pack("<d", x)


def _vjp_grads(root: Value) -> list[float]:
    """What backward() would leave in each .grad, by calling op.vjp at every node."""
    mark = object()
    order = E._topological_order(root, mark)
    order[-1]._acc = 1.0
    for node in reversed(order):
        g = node._acc
        node._acc = node.grad + g
        if node._fn is None:
            continue
        a, b = node._a, node._b
        if b is None:
            (ga,) = node._fn.vjp(g, node.data, a.data)
        else:
            ga, gb = node._fn.vjp(g, node.data, a.data, b.data)
            b._acc = gb if b._acc is mark else b._acc + gb
        a._acc = ga if a._acc is mark else a._acc + ga
    result = [node._acc for node in order]
    E._clear(order)
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
}


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
    assert out._a._fn is getattr(E, f"_{name.upper()}")
    _assert_backward_matches_vjps(out)


def test_relu_at_zero_and_nan_passes_what_step_gives():
    for x in (0.0, -0.0, math.nan, -1.0, 2.0):
        a = Value(x)
        _assert_backward_matches_vjps(a.relu() * -3.0)


@given(x=interval_points(REGISTRY["vpow"].intervals()[0]), y=reals(), old=reals())
def test_an_op_backward_does_not_inline_adds_into_inputs_other_nodes_also_feed(x, y, old):
    """x ** y is differentiated by its vjp; its inputs already hold gradient from the
    nodes after it (y from the product, x from the sum), which its share must add to."""
    a, b = Value(x), Value(y)
    b.grad = old
    _assert_backward_matches_vjps((a**b) * b + a)
