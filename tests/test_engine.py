"""Plain tests of the engine: the API, the known-hard graphs, errors, memory."""

import gc
import math
import numbers
import subprocess
import sys
import textwrap
import weakref
from fractions import Fraction

import pytest

from micrograd_like import Value, _core, engine, grad
from micrograd_like.engine import iter_graph

# -- the public API ---------------------------------------------------------------------


def test_value_attributes():
    v = Value(3, label="v")
    assert type(v.data) is float and v.data == 3.0
    assert v.grad == 0.0 and v.label == "v" and v.op == "" and v.children == ()
    w = v * 2
    assert w.op == "*" and w.children[0] is v and w.children[1].data == 2.0
    assert w.label == ""


def test_children_keep_argument_order():
    a, b = Value(1.0), Value(2.0)
    assert (a - b).children == (a, b)
    assert (b - a).children == (b, a)
    assert (a**b).children == (a, b)
    assert a.exp().children == (a,)


def test_repr_is_readable():
    assert repr(Value(2.5, label="x")) == "Value(data=2.5, grad=0.0, label='x')"
    assert repr(Value(2.0) * 3) == "Value(data=6.0, grad=0.0, op='*')"
    assert repr((Value(2.0) * 3)._fn) == "Op('*')"  # what a debugger shows for node._fn


def test_an_op_keeps_everything_it_was_made_with():
    # The Op contract other modules read: name, forward, vjp, formulas, spec, params.
    def forward(x, c):
        return x**c

    def vjp(g, out, x):
        return (g,)

    op = engine.Op("mine", forward, vjp, ("1",), spec="the spec", params=(2.0,))
    assert (op.name, op.forward, op.vjp) == ("mine", forward, vjp)
    assert (op.formulas, op.spec, op.params) == (("1",), "the spec", (2.0,))
    bare = engine.Op("bare", forward, vjp)
    assert (bare.formulas, bare.spec, bare.params) == ((), None, ())


@pytest.mark.parametrize("number", [3, 3.0, True, Fraction(1, 4)], ids=["int", "float", "bool", "Fraction"])
def test_any_real_number_is_stored_as_float(number):
    v = Value(number)
    assert type(v.data) is float and v.data == float(number)


class _RegisteredReal:
    """Stands in for numpy scalars, which register themselves as numbers.Real.

    numpy is not a dependency, so the test uses the same mechanism numpy does.
    """

    def __float__(self):
        return 1.5


numbers.Real.register(_RegisteredReal)


def test_registered_real_types_like_numpy_scalars_are_accepted():
    v = Value(_RegisteredReal())
    assert type(v.data) is float and v.data == 1.5
    assert (Value(1.0) + _RegisteredReal()).data == 2.5


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda v: v + 2, 5.0),
        (lambda v: 2 + v, 5.0),
        (lambda v: v - 2, 1.0),
        (lambda v: 2 - v, -1.0),
        (lambda v: v * 2, 6.0),
        (lambda v: 2 * v, 6.0),
        (lambda v: v / 2, 1.5),
        (lambda v: 2 / v, 2 / 3),
        (lambda v: v**2, 9.0),
        (lambda v: 2**v, 8.0),
        (lambda v: v ** Value(2.0), 9.0),
        (lambda v: -v, -3.0),
        (lambda v: +v, 3.0),
        (lambda v: sum([v, v, v]), 9.0),
        (lambda v: v.exp(), math.exp(3)),
        (lambda v: v.log(), math.log(3)),
        (lambda v: v.tanh(), math.tanh(3)),
        (lambda v: v.sigmoid(), 1 / (1 + math.exp(-3))),
        (lambda v: v.relu(), 3.0),
        (lambda v: v.step(), 1.0),
        (lambda v: (-v).step(), 0.0),
    ],
)
def test_operators_compute_the_right_value(make, expected):
    assert make(Value(3.0)).data == pytest.approx(expected, rel=1e-15)


def test_power_with_value_exponent_differentiates_both_sides():
    a, b = Value(2.0), Value(3.0)
    da, db = grad(a**b, [a, b])
    assert da == pytest.approx(3 * 2.0**2)
    assert db == pytest.approx(2.0**3 * math.log(2.0))
    (dx,) = grad(2**a, [a])
    assert dx == pytest.approx(4 * math.log(2.0))
    # backward(), with the exponent also used by another node: both contributions add up
    ((a**b) * b).backward()
    assert a.grad == pytest.approx(3 * 3 * 2.0**2)
    assert b.grad == pytest.approx(2.0**3 * math.log(2.0) * 3 + 2.0**3)


# -- the known-hard graphs ----------------------------------------------------------------


def test_micrograd_readme_example():
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert round(g.data, 4) == 24.7041
    assert round(a.grad, 4) == 138.8338
    assert round(b.grad, 4) == 645.5773


def test_reused_non_leaf_node():
    x = Value(3.0)
    a = x * x
    b = a + a
    c = b * a  # c = 2 x**4
    c.backward()
    assert x.grad == 8 * 3.0**3
    assert a.grad == 2 * a.data + 2 * a.data  # dc/da through b and directly
    assert b.grad == a.data


def test_fan_out():
    x = Value(0.5)
    outs = [x * k for k in range(1, 6)]
    total = sum(outs)
    total.backward()
    assert x.grad == 15.0


@pytest.mark.parametrize(
    "f, expected",
    [
        (lambda x: x * x, lambda x: 2 * x),
        (lambda x: x + x, lambda x: 2.0),
        (lambda x: x - x, lambda x: 0.0),
        (lambda x: x / x, lambda x: 0.0),
        (lambda x: x**x, lambda x: x**x * (math.log(x) + 1)),
    ],
    ids=["x*x", "x+x", "x-x", "x/x", "x**x"],
)
@pytest.mark.parametrize("x", [0.3, 3.0, 7.0])
def test_same_value_on_both_sides(f, expected, x):
    v = Value(x)
    f(v).backward()
    assert v.grad == pytest.approx(expected(x), rel=1e-15, abs=0.0)


def test_x_over_x_gradient_is_exactly_zero():
    for x in (0.1, 1 / 3, 3.0, 7.0, 1e-7, 12345.678):
        v = Value(x)
        (v / v).backward()
        assert v.grad == 0.0


def test_relu_at_exactly_zero_has_zero_output_and_zero_gradient():
    x = Value(0.0)
    y = x.relu()
    y.backward()
    assert y.data == 0.0 and x.grad == 0.0
    # max(0, -0.0) is 0.0: relu never shows a learner a "-0.0" (repr, drawings)
    assert math.copysign(1.0, Value(-0.0).relu().data) == 1.0


def test_nan_propagates_and_is_never_masked():
    x = Value(math.nan)
    # Every derivative below depends on x, so it must be NaN too.
    for y in (x.relu(), x * x, x.tanh(), x.sigmoid(), x.exp(), x**2, x.log()):
        assert math.isnan(y.data)
        (g,) = grad(y, [x])
        assert math.isnan(g), f"{y.op} turned a NaN into the gradient {g}"
    z = Value(1.0)
    (g,) = grad((z * math.nan).relu(), [z])
    assert math.isnan(g)


@pytest.mark.slow
def test_deep_chain_of_a_million_ops_backpropagates_and_is_freed():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0000001
    y.backward()
    assert x.grad == pytest.approx(1.0000001**1_000_000, rel=1e-9)
    # Freed by reference counting alone, without a crash in deallocation.
    ref = weakref.ref(y)
    gc.disable()
    try:
        del y
        assert ref() is None
    finally:
        gc.enable()


def test_deep_chain_higher_order():
    x = Value(0.5)
    y = x
    for _ in range(20_000):
        y = (y * 0.9999).tanh() + 0.0001
    (d1,) = grad(y, [x], create_graph=True)
    (d2,) = grad(d1, [x])
    assert math.isfinite(d1.data) and math.isfinite(d2)


# -- ops at their special points (x**0, 0**y, relu at 0 and NaN) ----------------------------


def test_derivative_of_x_to_the_zero():
    for x0 in (0.0, 2.5, -3.0):
        x = Value(x0)
        y = x**0
        assert y.data == 1.0
        y.backward()
        assert x.grad == 0.0 and type(x.grad) is float
    x = Value(0.0)
    (d,) = grad(x**0, [x], create_graph=True)
    assert isinstance(d, Value) and d.data == 0.0
    assert grad(d, [x]) == [0.0]


def test_zero_base_to_a_value_power_with_zero_upstream_gradient():
    for y0 in (0.0, 1.0, 2.0):  # y = 0 is the case the formula would divide by zero at
        x, y = Value(0.0), Value(y0)
        ((x**y) * 0).backward()
        assert (x.grad, y.grad) == (0.0, 0.0)


def test_constant_power_op_names():
    assert (Value(3.0) ** 2).op == "**2"
    assert (Value(3.0) ** 2.0).op == "**2"
    assert (Value(3.0) ** -1).op == "**-1"
    assert (Value(3.0) ** 0.5).op == "**0.5"


def test_relu_slope_is_a_step():
    for x0, slope in ((2.0, 1.0), (-2.0, 0.0), (0.0, 0.0)):
        x = Value(x0)
        x.relu().backward()
        assert x.grad == slope
    x = Value(math.nan)
    x.relu().backward()
    assert math.isnan(x.grad)


# -- backward and grad ---------------------------------------------------------------------


def test_backward_accumulates_and_can_be_reset():
    x = Value(2.0)
    y = x * x
    y.backward()
    assert x.grad == 4.0 and y.grad == 1.0
    y.backward()
    assert x.grad == 8.0 and y.grad == 2.0  # accumulated, seed included
    x.grad = y.grad = 0.0
    y.backward()
    assert x.grad == 4.0


def test_grad_touches_no_grad_attribute_and_handles_unused_inputs():
    x, unused = Value(2.0), Value(5.0)
    y = x.exp()
    dx, du = grad(y, [x, unused])
    assert dx == pytest.approx(math.exp(2.0)) and du == 0.0
    assert x.grad == 0.0 and y.grad == 0.0 and unused.grad == 0.0


def test_grad_takes_a_single_value_as_inputs():
    x = Value(2.0)
    assert grad(x * x, x) == [4.0]  # one Value: as [x], the result is still a list


def test_grad_with_respect_to_an_intermediate_node():
    x = Value(2.0)
    h = x * 3
    y = h * h
    (dh,) = grad(y, [h])
    assert dh == 2 * h.data


def test_higher_order_derivatives():
    x = Value(1.5)
    y = x**4
    (d1,) = grad(y, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x], create_graph=True)
    (d4,) = grad(d3, [x])
    assert isinstance(d1, Value) and isinstance(d3, Value)
    assert (d1.data, d2.data, d3.data, d4) == pytest.approx((4 * 1.5**3, 12 * 1.5**2, 24 * 1.5, 24.0))


def test_second_derivative_of_every_elementary_function():
    cases = {
        "exp": (lambda v: v.exp(), lambda x: math.exp(x)),
        "log": (lambda v: v.log(), lambda x: -1 / x**2),
        "tanh": (lambda v: v.tanh(), lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2)),
        "sigmoid": (lambda v: v.sigmoid(), lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 2 * s)),
        "relu": (lambda v: v.relu(), lambda x: 0.0),
        "inverse": (lambda v: 1 / v, lambda x: 2 / x**3),
    }
    for name, (f, d2) in cases.items():
        x = Value(0.7)
        (d1,) = grad(f(x), [x], create_graph=True)
        (got,) = grad(d1, [x])
        assert got == pytest.approx(d2(0.7), rel=1e-12), name


def test_gradients_are_bit_identical_across_processes():
    program = textwrap.dedent(
        """
        import random
        from micrograd_like import Value
        rng = random.Random(7)
        xs = [Value(rng.uniform(-1, 1)) for _ in range(50)]
        junk = [object() for _ in range(rng.randrange(1000))]  # shift addresses
        total = sum((xs[i] * xs[(i * 7) % 50]).tanh() for i in range(50))
        total = total * total + sum(x.sigmoid() for x in xs)
        total.backward()
        print([x.grad.hex() for x in xs])
        """
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", program],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": str(seed), "PATH": ""},
        ).stdout
        for seed in (1, 2, 3)
    }
    assert len(outputs) == 1


def test_graph_order_is_inputs_first_and_deterministic():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    c = a * b
    d = c + a
    order = list(iter_graph(d))
    assert order[-1] is d
    for node in order:
        for child in node.children:
            assert order.index(child) < order.index(node)
    assert [n.label for n in order if n.label] == ["a", "b"]


# -- no reference cycles --------------------------------------------------------------------


def test_graphs_are_freed_by_reference_counting_alone():
    gc.disable()
    try:
        x = Value(1.5)
        h = (x * x).tanh()
        y = h * x + h.exp()
        y.backward()
        (d1,) = grad(y, [x], create_graph=True)
        (d2,) = grad(d1, [x])
        refs = [weakref.ref(v) for v in (x, h, y, d1)]
        del x, h, y, d1
        assert [r() for r in refs] == [None] * 4
    finally:
        gc.enable()


def test_backward_leaves_no_scratch_references():
    gc.disable()
    try:
        x = Value(2.0)
        y = x * x
        grad(y, [x], create_graph=True)  # result dropped immediately
        ref = weakref.ref(y)
        del y
        assert ref() is None
        assert x._acc is None
    finally:
        gc.enable()


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["1", None, 1 + 2j, [1], {"a": 1}], ids=repr)
def test_value_rejects_non_real_numbers(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_string_hint_says_how_to_convert():
    with pytest.raises(TypeError, match=r"float\('1'\)"):
        Value("1")


@pytest.mark.parametrize(
    "make",
    [
        lambda v: v + "a",
        lambda v: "a" + v,
        lambda v: v * None,
        lambda v: v - [1],
        lambda v: v / "2",
        lambda v: v ** "2",
    ],
    ids=["add", "radd", "mul", "sub", "div", "pow"],
)
def test_operators_reject_non_numbers(make):
    with pytest.raises(TypeError, match="str|NoneType|list"):
        make(Value(1.0))


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)


@pytest.mark.parametrize("x", [0.0, -1.0, -1e-300])
def test_log_of_non_positive_raises_value_error_naming_the_value(x):
    with pytest.raises(ValueError, match=r"log.*" + re_float(x) + r".*; keep the argument positive \(for example"):
        Value(x).log()


def re_float(x):
    import re

    return re.escape(repr(x))


def test_fractional_power_of_negative_base_raises():
    with pytest.raises(ValueError, match=r"-8\.0 \*\* 0\.5"):
        Value(-8.0) ** 0.5
    assert (Value(-2.0) ** 3).data == -8.0  # integer exponents are fine
    with pytest.raises(ValueError, match="base >= 0"):
        Value(-2.0) ** Value(2.0)


_BAD_INPUTS = [
    # (how users apply the op, a valid point to get its op, a point outside its domain)
    ("x ** 0.5", lambda x: x**0.5, (4.0,), (-8.0,)),
    ("x ** 1.5", lambda x: x**1.5, (4.0,), (-1.0,)),
    ("x ** -0.5", lambda x: x**-0.5, (4.0,), (0.0,)),
    ("x ** -1", lambda x: x**-1, (4.0,), (0.0,)),
    ("x ** y", lambda x, y: x**y, (2.0, 2.0), (-2.0, 2.0)),
    ("0 ** y, y < 0", lambda x, y: x**y, (2.0, 2.0), (0.0, -1.0)),
    ("x / y", lambda x, y: x / y, (1.0, 2.0), (1.0, 0.0)),
    ("log", lambda x: x.log(), (1.0,), (0.0,)),
    ("exp", lambda x: x.exp(), (1.0,), (1000.0,)),
    ("sqrt", lambda x: x.sqrt(), (1.0,), (-1.0,)),
]


@pytest.mark.parametrize("make, valid, bad", [case[1:] for case in _BAD_INPUTS], ids=[c[0] for c in _BAD_INPUTS])
def test_an_ops_forward_refuses_bad_input_exactly_like_the_value_method(make, valid, bad):
    # The Op contract: forward(*floats) has the method's checks and messages (replay needs it).
    op = make(*[Value(x) for x in valid])._fn
    with pytest.raises((ValueError, ZeroDivisionError, OverflowError)) as by_method:
        make(*[Value(x) for x in bad])
    with pytest.raises(type(by_method.value)) as by_forward:
        op.forward(*bad)
    assert str(by_forward.value) == str(by_method.value)


def test_division_by_zero():
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError):
        1 / Value(0.0)
    with pytest.raises(ZeroDivisionError, match="negative power"):
        Value(0.0) ** -1


def test_sigmoid_and_tanh_are_stable_everywhere():
    assert Value(-1000).sigmoid().data == 0.0
    assert Value(1000).sigmoid().data == 1.0
    assert Value(-1e308).sigmoid().data == 0.0
    assert Value(1000).tanh().data == 1.0 and Value(-1000).tanh().data == -1.0
    for x in (-1000.0, 1000.0):
        v = Value(x)
        (g,) = grad(v.sigmoid(), [v])
        assert g == 0.0


def test_exp_overflow_names_the_op_and_input():
    with pytest.raises(OverflowError, match=r"exp.*1000\.0"):
        Value(1000.0).exp()


def test_failed_backward_changes_no_gradient():
    x = Value(0.0)
    w = Value(2.0)
    y = (x**0.5) * w + w  # d/dx sqrt(x) is infinite at 0
    with pytest.raises(ZeroDivisionError):
        y.backward()
    assert (x.grad, w.grad, y.grad) == (0.0, 0.0, 0.0)
    assert x._acc is None and w._acc is None


def test_grad_rejects_non_values():
    x = Value(1.0)
    with pytest.raises(TypeError, match="output"):
        grad(1.0, [x])
    with pytest.raises(TypeError, match=r"inputs\[1\]"):
        grad(x * 2, [x, 3.0])


def test_errors_survive_python_dash_o():
    program = "from micrograd_like import Value\ntry:\n    Value('1')\nexcept TypeError:\n    print('ok')\n"
    out = subprocess.run([sys.executable, "-O", "-c", program], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_value_exponent_at_zero_base():
    a, b = Value(0.0), Value(0.0)
    assert (a**b).data == 1.0
    assert grad(a**b, [a, b]) == [0.0, 0.0]  # the limits from a > 0
    a, b = Value(0.0), Value(2.0)
    assert grad(a**b, [a, b]) == [0.0, 0.0]
    a, b = Value(0.0), Value(0.5)
    with pytest.raises(ZeroDivisionError, match="negative power"):
        (a**b).backward()  # d/da sqrt(a) is infinite at 0
    assert a.grad == 0.0


def test_micrograd_internal_names_still_work():
    # micrograd's own draw_dot walks v._prev and prints v._op.
    x = Value(2.0)
    y = x * 3 + x
    assert y._op == "+" and x._op == ""
    assert y._prev == set(y.children) and isinstance(y._prev, set)
    nodes, stack = set(), [y]
    while stack:
        v = stack.pop()
        if v not in nodes:
            nodes.add(v)
            stack.extend(v._prev)
    assert len(nodes) == 4  # x, 3, x*3 and y


def test_value_of_a_value_says_how_to_copy():
    with pytest.raises(TypeError, match=r"Value\(1\.0\)"):
        Value(Value(1.0))


def test_walk_interrupted_midway_leaves_no_marks():
    x = Value(1.0)
    y = x * 2
    z = y + 1
    y._b = object()  # a corrupt input: the walk fails on it after marking x and y
    with pytest.raises(AttributeError):
        z.backward()
    assert (x._acc, y._acc, z._acc) == (None, None, None)
    y._b = Value(2.0)
    assert grad(z, [x]) == [2.0]


def test_ordering_comparisons_read_data_and_equality_stays_identity():
    a, b = Value(0.5), Value(2.0)
    assert (a < b, a <= b, a > b, a >= b) == (True, True, False, False)
    assert (a < 1, 0.1 < a, a >= 0.5, a > Fraction(1, 4)) == (True, True, True, True)
    assert type(a < b) is bool
    twin = Value(0.5)
    assert a != twin and a == a and len({a, twin}) == 2  # identity, as in micrograd
    assert sorted([b, a]) == [a, b]
    with pytest.raises(TypeError, match="not supported"):
        a < "1"  # noqa: B015


# -- the internal API other modules use ---------------------------------------------------


def test_node_parts_are_the_op_and_the_inputs_in_argument_order():
    a, b = Value(1.0), Value(2.0)
    assert engine.node_parts(a) == (None, ())
    assert engine.node_parts(a - b) == ((a - b)._fn, (a, b))
    y = a.exp()
    assert engine.node_parts(y) == (y._fn, (a,)) and y._fn.name == "exp"


def test_backward_edges_list_the_second_input_first_and_one_input_twice():
    a, b = Value(1.0), Value(2.0)
    assert engine.backward_edges(a) == ()
    assert engine.backward_edges(a.tanh()) == ((0, a),)
    assert engine.backward_edges(a / b) == ((1, b), (0, a))
    square = engine.backward_edges(a * a)
    assert square == ((1, a), (0, a)) and square[0][1] is square[1][1]


@pytest.mark.parametrize("how", ["backward", "by hand"])
def test_one_input_twice_gets_its_contributions_in_the_order_of_backward_edges(how):
    # x / x at x = 3 onto .grad 0.1: (0.1 + d/dy) + d/dx is 0.1, (0.1 + d/dx) + d/dy is not.
    x = Value(3.0)
    x.grad = 0.1
    y = x / x
    contributions = y._fn.vjp(1.0, y.data, x.data, x.data)
    expected = 0.1
    for position, child in engine.backward_edges(y):
        assert child is x
        expected += contributions[position]
    assert expected == 0.1 != (0.1 + contributions[0]) + contributions[1]
    if how == "backward":
        y.backward()
        assert x.grad == expected and y.grad == 1.0
    else:
        y.grad = 1.0
        y._backward()
        assert x.grad == expected


def test_tracing_asks_the_hook_in_this_thread_only_and_nests():
    import threading

    seen = []

    def outer(v):
        seen.append(("outer", v.data))
        return v.data + 1.0

    with engine.tracing(outer):
        assert Value(Value(1.0)).data == 2.0
        with engine.tracing(lambda v: None):  # None: not one of its numbers, the usual error
            with pytest.raises(TypeError, match="use Value\\(3.0\\)"):
                Value(Value(3.0))
        assert Value(Value(4.0)).data == 5.0
        other: list = []
        thread = threading.Thread(target=lambda: other.append(_conversion_error(Value(6.0))))
        thread.start()
        thread.join(30)
        assert isinstance(other[0], TypeError)  # the other thread does not trace
    assert seen == [("outer", 1.0), ("outer", 4.0)]
    assert isinstance(_conversion_error(Value(7.0)), TypeError) and _core._hooks == {}


def _conversion_error(v):
    try:
        Value(v)
    except TypeError as e:
        return e
    return None


def test_tracing_ends_when_the_traced_code_raises():
    with pytest.raises(KeyError), engine.tracing(lambda v: 1.0):
        raise KeyError("x")
    assert _core._trace_hook is None
    assert isinstance(_conversion_error(Value(1.0)), TypeError)


def test_the_walk_lock_is_the_one_backward_holds():
    # Another thread holding WALK_LOCK keeps backward() waiting: it is the lock the walk takes.
    import threading

    x = Value(2.0)
    y = x * x
    done = threading.Event()
    with engine.WALK_LOCK:
        worker = threading.Thread(target=lambda: (y.backward(), done.set()))
        worker.start()
        assert not done.wait(0.2) and x.grad == 0.0
    worker.join(60)
    assert done.is_set() and x.grad == 4.0


def test_the_derivative_error_is_the_engines_own():
    x = Value(0.0)
    y = x.sqrt()
    error = engine.derivative_error(y, ZeroDivisionError("float division by zero"))
    assert type(error) is ZeroDivisionError and "the derivative of sqrt at x = 0.0" in str(error)
