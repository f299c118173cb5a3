"""The formula parser behind `micrograd-like draw`: a whitelist, never eval."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import expressions, points

from micrograd_like import Value
from micrograd_like.expr import MAX_LENGTH, ExpressionError, parse_assignment, parse_expression


def test_parses_and_differentiates():
    out, leaves = parse_expression("tanh(a*b + c)", {"a": 2.0, "b": -3.0, "c": 10.0})
    assert out.data == pytest.approx(math.tanh(4.0))
    out.backward()
    slope = 1 - math.tanh(4.0) ** 2
    assert leaves["a"].grad == pytest.approx(-3 * slope)
    assert leaves["b"].grad == pytest.approx(2 * slope)
    assert leaves["c"].grad == pytest.approx(slope)
    assert [leaf.label for leaf in leaves.values()] == ["a", "b", "c"]


def test_every_allowed_construct():
    text = "exp(x) + log(y) - sigmoid(x) * relu(-x) / tanh(y) ** 2 + 2 ** x + x ** y + +x - -1.5e0"
    out, leaves = parse_expression(text, {"x": 0.5, "y": 2.0})
    x, y = 0.5, 2.0
    expected = math.exp(x) + math.log(y) - 1 / (1 + math.exp(-x)) * 0.0 / math.tanh(y) ** 2 + 2**x + x**y + x + 1.5
    assert out.data == pytest.approx(expected)


def test_constant_exponents_allow_negative_bases():
    out, leaves = parse_expression("x ** -1 + x ** 3 + x ** (1 + 1)", {"x": -2.0})
    assert out.data == pytest.approx(-0.5 - 8 + 4)
    out.backward()
    assert leaves["x"].grad == pytest.approx(-1 / 4 + 3 * 4 - 4)


@pytest.mark.parametrize(
    "text", ["leaky_relu(x, 0.2)", "leaky_relu(x, slope=0.2)", "leaky_relu(x, 2e-1)", "leaky_relu(x, +0.2)"]
)
def test_an_ops_parameters_are_numbers_after_x(text):
    out, leaves = parse_expression(text, {"x": -1.0})
    out.backward()
    assert (out.data, leaves["x"].grad) == (-0.2, 0.2)
    default, _ = parse_expression("leaky_relu(x)", {"x": -1.0})
    assert default.data == -0.01
    negative, _ = parse_expression("leaky_relu(x, -0.5)", {"x": -2.0})
    assert negative.data == 1.0


@pytest.mark.parametrize(
    "text, reason",
    [
        ("leaky_relu(x, y)", "a slope for leaky_relu that is not a plain number"),
        ("leaky_relu(x, 2 * 0.1)", "a slope for leaky_relu that is not a plain number"),
        ("leaky_relu(x, 0.1, 0.2)", r"leaky_relu\(\) with other than x, then up to 1 number\(s\) for slope"),
        ("leaky_relu(x, alpha=0.2)", "with other than x, then up to 1"),
        ("leaky_relu(x, 0.2, slope=0.3)", "with other than x, then up to 1"),
        ("leaky_relu(slope=0.2)", "with other than x, then up to 1"),
        ("leaky_relu(x, 1e999)", "beyond the float range"),
    ],
)
def test_an_ops_parameters_must_be_plain_numbers(text, reason):
    with pytest.raises(ExpressionError, match=reason):
        parse_expression(text, {"x": -1.0, "y": 2.0})


@pytest.mark.parametrize(
    "text, reason",
    [
        ("__import__('os').system('touch pwned')", "calling anything but"),
        ("a.__class__", "attribute access"),
        ("a[0]", "subscript"),
        ("(lambda: 1)()", "calling anything but"),
        ("lambda: 1", "lambda"),
        ("[x for x in (1, 2)]", "comprehension"),
        ("'abc'", "str"),
        ("True", "bool"),
        ("1j", "complex"),
        ("a < 1", "comparison"),
        ("a if a else 1", "conditional"),
        ("exp", "without calling it"),
        ("exp(a, a)", "exactly one argument"),
        ("exp(x=a)", "exactly one argument"),
        ("a % 2", "Mod"),
        ("a // 2", "FloorDiv"),
        ("~a", "Invert"),
        ("not a", "Not"),
        ("(a := 3)", "assignment"),
        ("f'{a}'", "f-string"),
        ("nope", "has no value"),
        ("a +", "not a valid formula"),
        ("", "empty"),
        ("a\x00", "cannot be parsed|not a valid formula"),
    ],
)
def test_refuses_everything_off_the_whitelist(text, reason):
    with pytest.raises(ExpressionError, match=reason):
        parse_expression(text, {"a": 1.0})


def test_refuses_huge_and_deep_input_before_doing_work():
    with pytest.raises(ExpressionError, match="limit"):
        parse_expression("a+" * 5_000_000 + "a", {"a": 1.0})  # 10 MB: refused by length
    with pytest.raises(ExpressionError, match="deeper|nested|cannot be parsed"):
        parse_expression("-" * (MAX_LENGTH - 1) + "a", {"a": 1.0})
    with pytest.raises(ExpressionError, match="nested|deeper|cannot be parsed"):
        parse_expression("(" * 900 + "a" + ")" * 900, {"a": 1.0})


def test_a_formula_that_is_not_a_str_is_a_type_error():
    with pytest.raises(TypeError, match=r"the formula must be a str, got bytes b'a'"):
        parse_expression(b"a", {"a": 1.0})


@pytest.mark.parametrize(
    "text, reason", [("log(a - 1)", "log"), ("a / (a - 1)", "division by zero"), ("exp(a * 1000)", "exp overflows")]
)
def test_math_errors_are_expression_errors(text, reason):
    with pytest.raises(ExpressionError, match=reason):
        parse_expression(text, {"a": 1.0})


@pytest.mark.parametrize("text, expected", [("a=2", ("a", 2.0)), ("x_1 = -1e-3", ("x_1", -0.001)), ("n=nan", None)])
def test_parse_assignment(text, expected):
    name, value = parse_assignment(text)
    if expected is None:
        assert name == "n" and math.isnan(value)
    else:
        assert (name, value) == expected


@pytest.mark.parametrize(
    "text, reason",
    [
        ("a", "NAME=NUMBER"),
        ("1a=2", "variable name"),
        ("for=1", "variable name"),
        ("exp=1", "variable name"),
        ("a=two", "must be a number"),
        ("a=inf", "finite"),
    ],
)
def test_parse_assignment_refuses(text, reason):
    with pytest.raises(ExpressionError, match=reason):
        parse_assignment(text)


@given(expr=expressions(2), point=points(2))
def test_text_of_random_expressions_parses_to_the_same_function(expr, point):
    # The strategy prints its formulas in the parser's language: both must agree,
    # in value and in every gradient.
    out, leaves = parse_expression(expr.text, {"x0": point[0], "x1": point[1]})
    xs = [Value(p) for p in point]
    want = expr(*xs)
    assert out.data == pytest.approx(want.data, rel=1e-12)
    out.backward()
    want.backward()
    for leaf, x in zip(leaves.values(), xs):
        assert leaf.grad == pytest.approx(x.grad, rel=1e-9, abs=1e-12)


@given(st.text(max_size=60))
def test_random_text_is_either_a_formula_or_an_expression_error(text):
    try:
        out, _ = parse_expression(text, {"a": 0.5, "b": 2.0})
    except ExpressionError as e:
        assert "\n" not in str(e)  # one line, for the command line
    else:
        assert isinstance(out.data, float)
