"""Every gradient, proven against central finite differences with Hypothesis.

The tests use the library's own tools (``micrograd_like.testing`` strategies and
``gradcheck``), so those tools are tested by use as well. Each registered op on its
own, to second order, is proven in test_registry.py; the strategies themselves are
tested in test_testing.py.
"""

import math

from hypothesis import assume, given
from strategies import expressions, points, reals, smooth_at

from micrograd_like import Value, grad, gradcheck


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
