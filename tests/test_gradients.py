"""Every gradient, proven against central finite differences with Hypothesis.

The tests use the library's own tools (``micrograd_like.testing`` strategies and
``gradcheck``), so those tools are tested by use as well.
"""

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import OPS, expressions, points, reals, smooth_at

from micrograd_like import Value, grad, gradcheck
from micrograd_like.registry import REGISTRY, Interval


@pytest.mark.parametrize("case", OPS, ids=str)
@given(data=st.data())
def test_each_op_first_and_second_derivatives(case, data):
    point = data.draw(case.domain, label="point")
    assert gradcheck(case.fn, point, order=2, atol=1e-5, rtol=1e-4)


@given(expr=expressions(3), point=points(3))
def test_random_expressions_first_order(expr, point):
    assume(smooth_at(expr, point))
    assert gradcheck(expr, point)


@given(expr=expressions(2, max_leaves=6), point=points(2))
def test_random_expressions_second_order(expr, point):
    assume(smooth_at(expr, point))
    assert gradcheck(expr, point, order=2, atol=1e-4, rtol=1e-3)


@given(a=reals(), b=reals())
def test_relu_of_a_difference(a, b):
    assume(abs(a - b) > 1e-3)  # the kink is where the two arguments meet
    assert gradcheck(lambda x, y: (x - y).relu() * x, [a, b])


@given(expr=expressions(3), point=points(3))
def test_backward_and_grad_agree(expr, point):
    xs = [Value(x) for x in point]
    y = expr(*xs)
    expected = grad(y, xs)
    graph = [g.data for g in grad(y, xs, create_graph=True)]
    y.backward()
    # backward() and grad() are two different sweeps (backward's adds into .grad with the hot
    # ops' chain rule written inline, grad's calls each op's vjp): they must agree bit for bit,
    # and create_graph=True must record the same arithmetic as Values.
    assert [x.grad for x in xs] == expected
    for got, want in zip(graph, expected):
        assert got == want or (math.isnan(got) and math.isnan(want))


@given(expr=expressions(3), point=points(3))
def test_gradients_are_deterministic(expr, point):
    def run():
        xs = [Value(x) for x in point]
        expr(*xs).backward()
        return [x.grad.hex() for x in xs]

    assert run() == run()


@given(expr=expressions(2), point=points(2))
def test_expressions_stay_finite_in_their_domain(expr, point):
    # The strategy's promise to users: no overflow, no NaN, no exception.
    y = expr(*[Value(x) for x in point])
    assert math.isfinite(y.data) and abs(y.data) <= expr.bound * (1 + 1e-9)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: points(0), ValueError, r"n must be an int >= 1, got 0"),
        (lambda: points(2.0), TypeError, r"n must be an int >= 1, got float 2\.0"),
        (lambda: points(True), TypeError, r"n must be an int >= 1, got bool True"),
        (lambda: reals(0.0), ValueError, r"bound must be a finite number > 0, got 0\.0"),
        (lambda: reals(math.inf), ValueError, r"bound must be a finite number > 0, got inf"),
        (lambda: reals(True), TypeError, r"bound must be a finite number > 0, got bool True"),
        (lambda: reals("2"), TypeError, r"bound must be a finite number > 0, got str '2'"),
        (lambda: expressions(0), ValueError, r"n_inputs must be an int >= 1, got 0"),
        (lambda: expressions(1.0), TypeError, r"n_inputs must be an int >= 1, got float 1\.0"),
        (lambda: expressions(2, max_leaves=0), ValueError, r"max_leaves must be an int >= 1, got 0"),
        (lambda: expressions(2, max_leaves=None), TypeError, r"max_leaves must be an int >= 1, got NoneType None"),
    ],
)
def test_strategy_arguments_are_checked_wrong_type_vs_bad_value(make, error, message):
    with pytest.raises(error, match=message):
        make()


# -- the domains the catalogue draws from are the ops' real domains ------------------------

_REFUSED = (ValueError, ZeroDivisionError)


def _inside(iv: Interval) -> float:
    """An ordinary point of ``iv`` (inside, and more than its margin from any avoided point)."""
    low, high = iv.box(3.0)
    for x in (1.0, 2.0, -1.0, -2.0, (low + high) / 2, low, high):
        if iv.contains(x) and all(abs(x - a) > iv.margin for a in iv.avoid):
            return x
    raise AssertionError(f"no ordinary point in {iv}")


def _domain_cases():
    """(name, forward of one input with the others at an ordinary point, that input's Interval)."""
    for spec in REGISTRY.values():
        for params in spec.examples:
            intervals = spec.intervals(*params)
            for i, iv in enumerate(intervals):
                base = [_inside(other) for other in intervals]
                forward = spec.op(*params).forward

                def f(x, forward=forward, base=base, i=i):
                    return forward(*base[:i], x, *base[i + 1 :])

                yield f"{spec.name}{params} input {i}", f, iv


def _defined(f, x: float) -> bool:
    try:
        f(x)
    except _REFUSED:
        return False
    return True


def test_every_bounded_domain_is_exactly_where_the_op_is_defined():
    # Interval's promise: defined for low < x < high (low <= x when closed), so the
    # catalogue never draws a point an op refuses, nor leaves out one it accepts.
    for name, f, iv in _domain_cases():
        if iv.low > -math.inf:
            assert _defined(f, iv.low) == iv.closed, name
            assert _defined(f, math.nextafter(iv.low, math.inf)), name
            assert not _defined(f, math.nextafter(iv.low, -math.inf)), name
        if iv.high < math.inf:
            assert not _defined(f, iv.high), name
            assert _defined(f, math.nextafter(iv.high, -math.inf)), name


def test_every_avoided_point_is_a_kink_a_jump_or_a_pole():
    # Interval.avoid lists where an op is not smooth or not defined; anywhere else (x ** 0
    # at 0, say) the catalogue and smooth_at must not stay away.
    h = 1e-6
    for name, f, iv in _domain_cases():
        for a in iv.avoid:
            if not _defined(f, a):
                continue  # a pole
            left, mid, right = f(a - h), f(a), f(a + h)
            jump = abs(right - left) > 1e-3
            kink = abs((right - mid) / h - (mid - left) / h) > 1e-3
            assert jump or kink, f"{name} avoids {a}, where it is smooth"
