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
    # backward() and grad() share one sweep; create_graph records the same arithmetic.
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
