"""gradcheck and numerical_grad: they must pass right derivatives and catch wrong ones."""

import math

import pytest

from micrograd_like import GradcheckError, Value, _core, engine, gradcheck, numerical_grad


def _sin_with_wrong_second_derivative(x: Value) -> Value:
    # The vjp multiplies by cos(x) as a float: right first derivative, but in
    # create_graph mode the cos factor is a constant, so d2/dx2 comes out wrong.
    op = engine.Op("sin", math.sin, lambda g, out, a: (g * math.cos(_core.data_of(a)),))
    return engine.make_node(math.sin(x.data), op, x)


def _sin_with_wrong_derivative(x: Value) -> Value:
    op = engine.Op("sin", math.sin, lambda g, out, a: (g * 1.01 * math.cos(_core.data_of(a)),))
    return engine.make_node(math.sin(x.data), op, x)


def test_numerical_grad_matches_known_derivatives():
    got = numerical_grad(lambda x, y: x * y.exp(), [2.0, 0.5])
    assert got == pytest.approx([math.exp(0.5), 2 * math.exp(0.5)], rel=1e-8)


def test_numerical_grad_accepts_values_and_ints():
    assert numerical_grad(lambda x: x * x, [Value(3)]) == pytest.approx([6.0])
    assert numerical_grad(lambda x: x * x, [3]) == pytest.approx([6.0])


def test_gradcheck_passes_correct_gradients_at_every_order():
    assert gradcheck(lambda x, y: (x * y).tanh() + x**3 / y, [0.3, 1.7], order=3)


def test_gradcheck_reports_every_input_when_one_is_wrong():
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: _sin_with_wrong_derivative(x) * y, [0.4, 2.0])
    message = str(info.value)
    assert "dx[0]" in message and "dx[1]" in message  # every input is listed
    assert message.count("MISMATCH") == 1
    assert f"{2 * 1.01 * math.cos(0.4):.9g}" in message  # the analytic value
    assert f"{2 * math.cos(0.4):.6g}"[:6] in message  # the numeric value


def test_gradcheck_order_2_catches_a_wrong_second_derivative():
    assert gradcheck(_sin_with_wrong_second_derivative, [0.4], order=1)
    with pytest.raises(GradcheckError, match="order 2"):
        gradcheck(_sin_with_wrong_second_derivative, [0.4], order=2)


def test_gradcheck_flags_nan():
    with pytest.raises(GradcheckError, match="nan"):
        gradcheck(lambda x: x * math.nan, [1.0])


def test_gradcheck_catches_relu_kink():
    with pytest.raises(GradcheckError):
        gradcheck(lambda x: x.relu(), [0.0])


def test_gradcheck_is_not_an_assert_statement():
    # GradcheckError is raised explicitly, so python -O keeps the check.
    assert issubclass(GradcheckError, AssertionError)
    with pytest.raises(GradcheckError):
        gradcheck(_sin_with_wrong_derivative, [0.1])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"order": 0}, ValueError, r"order must be an int >= 1, got 0; pass e\.g\. order=2$"),
        ({"order": 1.5}, TypeError, "order must be an int >= 1, got float 1.5"),
        ({"order": True}, TypeError, "order must be an int >= 1, got bool True"),
        ({"atol": -1.0}, ValueError, r"atol must be a finite number >= 0\.0, got -1\.0; pass e\.g\. atol=1e-05$"),
        ({"rtol": math.nan}, ValueError, r"rtol must be a finite number >= 0\.0, got nan; pass e\.g\. rtol=0\.001$"),
        ({"eps": 0.0}, ValueError, r"eps must be a finite number > 0\.0, got 0\.0; pass e\.g\. eps=1e-06$"),
        ({"eps": -1e-6}, ValueError, "eps"),
        ({"eps": "1e-6"}, TypeError, "eps"),
    ],
)
def test_gradcheck_validates_its_arguments_before_calling_f(kwargs, error, match):
    calls = []

    def f(x):
        calls.append(x)
        return x * x

    with pytest.raises(error, match=match):
        gradcheck(f, [1.0], **kwargs)
    assert calls == []  # refused up front: f (perhaps a whole model) never ran


def test_gradcheck_validates_inputs_and_f():
    with pytest.raises(ValueError, match="empty"):
        gradcheck(lambda: Value(1.0), [])
    with pytest.raises(TypeError, match="wrap it in a list"):
        gradcheck(lambda x: x, 1.0)
    with pytest.raises(TypeError, match=r"inputs\[0\]"):
        gradcheck(lambda x: x, ["1.0"])
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck(lambda x: 3.0, [1.0])


# -- tolerances, steps and reports -----------------------------------------------------------


def test_gradcheck_with_zero_tolerances():
    assert gradcheck(lambda x: x * 2 + 1, [0.5], atol=0.0, rtol=1e-6)
    assert gradcheck(lambda x: x * 2 + 1, [0.5], atol=1e-6, rtol=0.0)
    with pytest.raises(AssertionError):
        gradcheck(lambda x: (x * 2).relu() * 0 + x * Value(1.0 + 1e-4), [0.5], atol=0.0, rtol=0.0)
    # At 0 the central difference of 2x is exactly 2.0: "<=" lets an exact match pass
    assert numerical_grad(lambda x: x * 2, [0.0]) == [2.0]
    assert gradcheck(lambda x: x * 2, [0.0], atol=0.0, rtol=0.0)


def test_numerical_grad_scales_its_step_with_large_inputs():
    (d,) = numerical_grad(lambda x: x * x, [1e8])
    assert d == pytest.approx(2e8, rel=1e-6)
    (d,) = numerical_grad(lambda x: x * x, [-1e8])
    assert d == pytest.approx(-2e8, rel=1e-6)
    (d,) = numerical_grad(lambda x: x * x * x, [0.5])
    assert d == pytest.approx(0.75, rel=1e-6)


def test_numerical_grad_step_is_eps_times_max_of_1_and_abs_x():
    # For x**3 central differences give 3x**2 + h**2 exactly: h is visible at x = 0.
    (d,) = numerical_grad(lambda x: x * x * x, [0.0], eps=1e-3)
    assert d == pytest.approx(1e-6, rel=1e-6)


def test_gradcheck_checks_only_the_orders_asked_for():
    calls = []

    def f(x):
        calls.append(x)
        return x * x

    assert gradcheck(f, [0.5])  # order 1 by default
    assert len(calls) == 3  # one analytic evaluation, two finite differences
    assert gradcheck(f, [0.5], order=1)
    assert len(calls) == 6


def test_gradcheck_validates_eps():
    with pytest.raises(ValueError, match="eps"):
        gradcheck(lambda x: x, [0.5], eps=0.0)
    with pytest.raises(ValueError, match="eps"):
        numerical_grad(lambda x: x, [0.5], eps=0.0)


def test_numerical_grad_refuses_a_function_that_returns_no_value():
    with pytest.raises(TypeError, match="f must return a Value, but it returned float 1.0"):
        numerical_grad(lambda x: 1.0, [0.5])


def test_gradcheck_report_shows_the_absolute_error():
    def twice_with_wrong_derivative(x):
        out = Value(x.data * 2, (x,), "twice")

        def _backward():
            x.grad += 3 * out.grad

        out._backward = _backward
        return out

    with pytest.raises(AssertionError) as info:
        gradcheck(twice_with_wrong_derivative, [0.5])
    (row,) = [line for line in str(info.value).splitlines() if "MISMATCH" in line]
    assert row.split()[2:5] == ["3", "2", "1"]  # analytic, numeric, |analytic - numeric|
