"""The op registry: every op proven at first and second order, defop, and what it feeds."""

from __future__ import annotations

import math
import operator
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import micrograd_like as ml
from micrograd_like import Value, _registry, _templates, defop, explain, functions, grad, gradcheck, testing
from micrograd_like._cli import files
from micrograd_like._ops import MUL_OP
from micrograd_like._symbolic import CODE, EXPRESSION, TEXT, Sym, lift, render, times_g
from micrograd_like.expr import FUNCTIONS, ExpressionError, parse_expression
from micrograd_like.registry import NAMESPACE, REALS, REGISTRY, Interval, OpResultError, markdown_list
from micrograd_like.testing import (
    BINARY_NAMES,
    OPS,
    UNARY_NAMES,
    WITHOUT_DOMAIN,
    catalogue,
    expressions,
    points,
    smooth_at,
    without_domain,
)

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture
def scratch():
    """Forget the ops a test registers, so the global registry stays as imported."""
    before = set(REGISTRY)
    yield
    for name in set(REGISTRY) - before:
        del REGISTRY[name]
        NAMESPACE.pop(name, None)
        if name in vars(Value):
            delattr(Value, name)


# -- every registered op, at first and second order --------------------------------------


@pytest.mark.parametrize("case", OPS, ids=str)
@given(data=st.data())
def test_every_op_matches_finite_differences_to_second_order(case, data):
    point = data.draw(case.domain)
    assert smooth_at(case.fn, point)
    assert gradcheck(case.fn, point, order=2)


def test_the_catalogue_covers_every_registered_op():
    names = {str(case).split("(")[0] for case in OPS}
    assert set(REGISTRY) <= names
    assert WITHOUT_DOMAIN == () == without_domain()  # every op of the library has a domain


# issue 16 item 7: an op without a domain is left out of testing, and named, in either order


def test_an_op_registered_without_a_domain_after_importing_testing_is_left_out_and_named(scratch):
    defop("twice", lambda x: 2 * x, lambda x: 2)
    assert without_domain() == ("twice",)
    assert "twice" not in {str(case) for case in catalogue()}
    assert "twice" not in UNARY_NAMES + tuple(testing._unary_names())

    @given(expressions(1), points(1))
    def draw(expr, point):
        assert "twice" not in expr.text
        expr(*[Value(x) for x in point])

    draw()
    with pytest.raises(ValueError, match=r"the ops \['twice'\] have no domain.*defop\(\.\.\., domain=\.\.\.\)"):
        expressions(1, ops=["twice", "add"])


def test_an_op_registered_without_a_domain_before_importing_testing_is_left_out_and_named():
    code = (
        "import micrograd_like as ml\n"
        "ml.defop('square2', lambda x, s: x**s, lambda x, s: s * x ** (s - 1), params={'s': 2.0})\n"
        "from hypothesis import given, settings\n"
        "import micrograd_like.testing as t\n"
        "assert t.WITHOUT_DOMAIN == ('square2',), t.WITHOUT_DOMAIN\n"
        "assert 'square2' not in [str(c).split('(')[0] for c in t.OPS]\n"
        "@settings(max_examples=30, derandomize=True)\n"
        "@given(t.expressions(2))\n"
        "def draw(e):\n"
        "    assert 'square2' not in e.text\n"
        "draw()\n"
        "print(ml.registry.markdown_list().splitlines()[-1])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("- `square2(x, s)`")


# -- formulas --------------------------------------------------------------------------------


def test_formulas_are_the_local_derivatives_as_text():
    assert MUL_OP.formulas == ("y", "x")
    assert (Value(1.0).tanh())._fn.formulas == ("1 - out * out",)
    assert (Value(1.0) ** 3)._fn.formulas == ("3 * x**2",)
    assert (Value(1.0).sin())._fn.formulas == ("cos(x)",)  # cos is registered after sin
    for spec in REGISTRY.values():
        for params in spec.examples:
            formulas = spec.op(*params).formulas
            assert len(formulas) == spec.arity and all(isinstance(t, str) and t for t in formulas)


def test_traceable_derivatives_are_compiled_into_one_function():
    # The hot path: no wrapper call between the sweep and the arithmetic.
    for name in ("add", "mul", "tanh", "exp", "relu", "sin"):
        vjp = REGISTRY[name].op().vjp
        assert vjp.__code__.co_filename == f"<derivative of {name}>"


def test_explicit_formulas_win(scratch):
    cube = defop("cube", lambda x: x**3, lambda x: 3 * x * x, domain=REALS, formulas=("3x²",))
    assert cube(Value(2.0))._fn.formulas == ("3x²",)


# -- defop ----------------------------------------------------------------------------------------


def test_defop_gives_a_function_of_floats_and_values_and_a_method(scratch):
    sinh = defop("sinh", math.sinh, lambda x: (functions.exp(x) + functions.exp(-x)) / 2, domain=REALS)
    assert sinh(0.5) == math.sinh(0.5) and sinh(1) == math.sinh(1.0)
    x = Value(0.5)
    y = x.sinh()
    assert y.op == "sinh" and y.data == math.sinh(0.5) and sinh(x).op == "sinh"
    assert gradcheck(lambda v: sinh(v * v), [0.7], order=3)


def test_a_derivative_that_inspects_its_input_still_works_at_any_order(scratch):
    def derivative(x):
        positive = (x.data if isinstance(x, Value) else x) > 0
        return 2 * x if positive else -2 * x

    sq = defop("signed_square", lambda x: x * abs(x), derivative, domain=Interval(avoid=(0.0,)))
    assert sq(Value(1.0))._fn.formulas == ("signed_square'(x)",)
    assert gradcheck(lambda v: sq(v), [0.8], order=2) and gradcheck(lambda v: sq(v), [-0.8], order=2)


def test_binary_user_op(scratch):
    with pytest.raises(ValueError, match="cannot tell how many inputs"):
        defop("hypot", math.hypot, lambda x, y, out: (x / out, y / out), domain=(REALS, REALS))
    hyp = defop("hypot", lambda x, y: math.hypot(x, y), lambda x, y, out: (x / out, y / out), domain=(REALS, REALS))
    assert hyp(3.0, 4.0) == 5.0
    z = hyp(Value(3.0), 4)
    assert z.data == 5.0 and z._fn.formulas == ("x / out", "y / out")
    assert gradcheck(lambda a, b: hyp(a, b), [0.6, -1.3], order=2)


def test_domain_errors_name_the_op_and_the_value():
    with pytest.raises(ValueError, match=r"sqrt is only defined for inputs >= 0, got sqrt\(-1\.0\); keep"):
        Value(-1.0).sqrt()
    with pytest.raises(ValueError, match=r"log1p .*> -1.*log1p\(-2\.0\)"):
        functions.log1p(-2.0)
    assert math.isnan(functions.sqrt(math.nan))  # NaN propagates, it is never refused


def test_binary_domain_errors_name_the_input(scratch):
    logb = defop("logb", lambda x, b: math.log(x, b), lambda x, b, out: (1 / (x * functions.log(b)), -out / (b * functions.log(b))),
                 domain=(Interval(0.0), Interval(1.0)))  # fmt: skip
    assert logb(8.0, 2.0) == pytest.approx(3.0)
    assert gradcheck(lambda x, b: logb(x, b), [2.5, 3.0], order=2)
    with pytest.raises(ValueError, match=r"logb\(x, y\) needs y > 1, got logb\(8\.0, 0\.5\)"):
        logb(Value(8.0), 0.5)


@pytest.mark.parametrize(
    "args, error, message",
    [
        (("1x", math.sin, math.cos), ValueError, "identifier"),
        (("_private", math.sin, math.cos), ValueError, "identifier"),
        (("sin", math.sin, math.cos), ValueError, "already registered"),
        (("backward", math.sin, math.cos), ValueError, "Value already has"),
        (("f", 1.0, math.cos), TypeError, "forward must be a function"),
        (("f", math.sin, "cos"), TypeError, "derivative must be a function"),
        (("f", lambda x, y, z: x, math.cos), ValueError, "1 or 2 inputs"),
        ((3, math.sin, math.cos), TypeError, "name"),
    ],
)
def test_defop_refuses_bad_registrations(scratch, args, error, message):
    before = dict(REGISTRY)
    with pytest.raises(error, match=message):
        defop(*args, domain=REALS)
    assert REGISTRY == before


def test_defop_refuses_formulas_of_the_wrong_length(scratch):
    with pytest.raises(ValueError, match="one per input"):
        defop("f", math.sin, math.cos, domain=REALS, formulas=("a", "b"))
    assert "f" not in REGISTRY


# -- the new built-in ops -------------------------------------------------------------------------


def test_new_ops_accept_floats_and_values():
    for name, reference in (("sin", math.sin), ("cos", math.cos), ("sqrt", math.sqrt), ("expm1", math.expm1)):
        f = getattr(functions, name)
        assert f(0.7) == reference(0.7) and f(Value(0.7)).data == reference(0.7)
    assert functions.softplus(-1000.0) == 0.0 and functions.softplus(1000.0) == 1000.0


def test_abs_is_the_op_behind_the_builtin():
    x = Value(-2.0)
    y = abs(x)
    y.backward()
    assert y.data == 2.0 and y.op == "abs" and x.grad == -1.0


def test_leaky_relu_takes_its_slope_by_position_or_name():
    x = Value(-2.0)
    assert functions.leaky_relu(x).data == -0.02
    assert x.leaky_relu(0.2).data == -0.4 and functions.leaky_relu(x, slope=0.2).data == -0.4
    (d,) = grad(functions.leaky_relu(x, 0.2), [x])
    assert d == pytest.approx(0.2)
    with pytest.raises(TypeError, match="slope"):
        functions.leaky_relu(x, 0.2, 0.3)


# -- what the registry feeds ---------------------------------------------------------------


def test_expr_and_cli_help_list_every_function(scratch):
    assert {"sin", "cos", "sqrt", "abs", "softplus", "leaky_relu", "log1p", "expm1"} <= set(FUNCTIONS)
    defop("double", lambda x: 2 * x, lambda x: 2, domain=REALS)
    out, leaves = parse_expression("double(sin(x))", {"x": 1.0})
    out.backward()
    assert out.data == 2 * math.sin(1.0) and leaves["x"].grad == pytest.approx(2 * math.cos(1.0))
    with pytest.raises(ExpressionError, match="double"):
        parse_expression("nothere(x)", {"x": 1.0})


def test_cli_help_lists_the_registered_functions():
    help_text = subprocess.run(
        [sys.executable, "-m", "micrograd_like", "draw", "--help"], capture_output=True, text=True, check=True
    ).stdout
    listed = re.search(r"the functions\s+([a-z0-9_ ]+)\)", help_text)
    assert listed is not None and listed.group(1).split() == list(FUNCTIONS)


def test_user_ops_join_the_hypothesis_catalogue_and_expressions(scratch):
    defop("wave", lambda x: math.sin(3 * x), lambda x: 3 * functions.cos(3 * x), domain=REALS)
    assert "wave" in [str(case) for case in catalogue()]

    @given(expressions(1, ops=["wave", "add"]), points(1))
    def check(expr, point):
        assert gradcheck(expr, point, order=2)

    check()


def test_the_readme_lists_every_registered_op():
    text = README.read_text()
    listed = text.split("<!-- ops:start -->\n")[1].split("<!-- ops:end -->")[0].strip()
    assert listed == markdown_list(), "regenerate README's op list from registry.markdown_list()"


def test_the_readme_user_op_example_runs(scratch):
    text = README.read_text()
    code = text.split("<!-- defop-example -->\n```python\n")[1].split("```")[0]
    assert len(code.strip().splitlines()) <= 6
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert "swish" in REGISTRY and "swish" in namespace["graph"].source
    assert ml.gradcheck(lambda x: x.swish(), [-1.5], order=2)


@pytest.mark.parametrize(
    "derivative, kind, says",
    [
        (lambda x: math.log(x - 10.0), ValueError, "(math domain error|expected a positive input.*)"),  # 3.14's words
        (lambda x: math.exp(x * 1000.0), OverflowError, "math range error"),
    ],
    ids=["domain", "overflow"],
)
def test_a_defop_derivative_that_fails_is_named_with_its_op_and_input(scratch, derivative, kind, says):
    op = defop("fragile", lambda x: 2.0 * x, derivative, domain=REALS)
    x = Value(1.0)
    with pytest.raises(kind, match=rf"^the derivative of fragile at x = 1\.0 .*cannot be computed: {says}; keep"):
        (op(x) * 3).backward()
    assert x.grad == 0.0


def test_a_defop_derivatives_own_line_stays_in_the_traceback(scratch):
    import traceback

    def derivative(x):
        return math.log(x - 10.0)  # the user's faulty line

    op = defop("fragile_line", lambda x: x, derivative, domain=REALS)
    with pytest.raises(ValueError) as info:
        op(Value(1.0)).backward()
    assert "the user's faulty line" in "".join(traceback.format_tb(info.value.__traceback__))


def test_ops_named_g_and_out_do_not_collide_with_generated_derivative_code():
    # issue 16 item 6: the traced derivative was compiled as lambda g, out, x: (g * g(x),)
    from micrograd_like.engine import Value
    from micrograd_like.registry import REALS, defop

    g = defop("g", lambda x: x * x, lambda x: 2 * x, domain=REALS)
    defop("out", lambda x: x * x, lambda x: 2 * x, domain=REALS)
    defop("uses_g", lambda x: x**3 / 3, lambda x: g(x), domain=REALS)
    defop("uses_out", lambda x: x, lambda x, out: 1 + 0 * out, domain=REALS)
    x = Value(3.0)
    x.uses_g().backward()
    assert x.grad == 9.0
    y = Value(2.0)
    y.out().backward()
    assert y.grad == 4.0


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"domain": 5}, TypeError, "domain must be an Interval"),
        ({"domain": (1, 2)}, TypeError, "domain must be an Interval"),
        ({"params": [("s", 1.0)]}, TypeError, "params must be a dict"),
        ({"params": {"s": "2"}}, TypeError, "parameter s"),
    ],
)
def test_bad_defop_arguments_name_the_op_and_the_fix(kwargs, error, words):
    # issue 16 item 10 (and params of item 7)
    from micrograd_like.registry import REGISTRY, defop

    with pytest.raises(error, match=words) as info:
        defop("badop16", lambda x, s=0: x, lambda x, s=0: 1.0, **kwargs)
    assert "badop16" in str(info.value)
    assert "badop16" not in REGISTRY


# -- issue 17 item 1: one symbolic form per op; a new operator is one registration --------------


def test_each_hand_written_binary_form_of_expressions_draws_the_op_it_stands_for():
    x = [Value(0.5), Value(0.7)]
    for name, op in testing._HAND_WRITTEN_BINARY.items():
        e = testing._binary(name, testing._input(0, 2.0), testing._input(1, 2.0), 0.5)
        assert e._evaluate(x)._fn.spec.name == op
    drawn = set(testing._HAND_WRITTEN_BINARY.values()) | set(BINARY_NAMES)
    assert {name for name, spec in REGISTRY.items() if spec.arity == 2} <= drawn


def test_a_users_binary_op_joins_expressions(scratch):
    defop("mean2", lambda x, y: (x + y) / 2, lambda x, y: (0.5, 0.5), domain=(REALS, Interval(0.0)))
    assert "mean2" in testing._binary_names()
    seen = []

    @given(expressions(2, ops=["mean2", "tanh"]), points(2))
    def check(expr, point):
        seen.append("mean2(" in expr.text)
        assert gradcheck(expr, point, order=2)

    check()
    assert any(seen)


def test_compile_calls_a_user_ops_checked_derivative_rather_than_writing_its_tree_out(scratch):
    nan_slope = defop("nan_slope2", lambda x: x, lambda x: x * 1e308 * 10 - x * 1e308 * 10, domain=REALS)
    assert _templates.template_for(nan_slope(Value(1.0))._fn, 1).vjp is None  # traced, but checked when run
    w = Value(1.0)
    f = ml.compile(lambda x: nan_slope(w * x))
    with pytest.raises(OpResultError, match="derivative of nan_slope2"):
        f(1.0)
    assert w.grad == 0.0


@pytest.fixture
def library_op(scratch):
    """Register as the library does (results unchecked, so compile writes the op's trees out)."""
    was = _registry._BUILDING_IN[0]
    _registry._BUILDING_IN[0] = True
    try:
        yield _registry.register_builtin
    finally:
        _registry._BUILDING_IN[0] = was


def test_a_new_binary_operator_is_one_registration(library_op):
    mod = library_op("mod", operator.mod, lambda x, y: (1, -((x - x % y) / y)), (REALS, REALS), "x % y", symbol="%")
    a, b = Value(7.5, label="a"), Value(2.0, label="b")
    c = mod(a, b)
    assert (c.op, c.data) == ("%", 1.5)
    assert c._fn.formulas == ("1", "-((x - x % y) / y)")
    assert _registry._SOURCES[("mod", ())] == "lambda _g, _out, _x, _y: (_g, _g * -((_x - _x % _y) / _y),)"
    ledger = explain(c)
    assert ledger.nodes[-1].expression == "a%b" and ledger.rows[1].formula == "d(a%b)/db = -((a - a % b) / b)"
    assert parse_expression("a % b", {"a": 7.5, "b": 2.0})[0].data == 1.5  # the parser reads the registry
    template = _templates.template_for(c._fn, 2)
    assert template.forward.fill({"a": ("A", 5), "b": ("B", 5)}) == ("A % B", 2) and template.risky == [False, True]
    assert (
        template.vjp[1].fill({"g": ("G", 5), "o": ("O", 5), "a": ("A", 5), "b": ("B", 5)})[0]
        == "G * -((A - A % B) / B)"
    )
    w = Value(2.0)
    f = ml.compile(lambda x: mod(x * 1.5, w))
    assert f(5.0) == 1.5 and "%" in f.source  # compile writes the op's trees out
    assert w.grad == grad(mod(Value(5.0) * 1.5, (w2 := Value(2.0))), [w2])[0] == -3.0
    assert "mod" in testing._binary_names() and files.formula_stem("a % b") == "a_mod_b"


def test_every_op_is_traced_once_into_the_trees_its_texts_are_printed_from():
    for spec in REGISTRY.values():
        for params in spec.examples:
            op = spec.op(*params)
            trees = _registry.TREES.get((spec.name, params))
            if op.vjp.__code__.co_filename.startswith("<derivative of"):  # traced: source and formulas from trees
                vjp = "(" + "".join(render(t, CODE, _registry._CODE_NAMES) + ", " for t in trees.vjp)
                assert _registry._SOURCES[(spec.name, params)].endswith(vjp.rstrip() + ")")
                assert spec.formulas is not None or op.formulas == tuple(render(t, TEXT) for t in trees.derivative)


@pytest.mark.parametrize(
    "derivative, text, code",
    [
        (lambda x, y: x / y, "x / y", "_g * _x / _y"),  # g * (x / y) rounds as (g * x) / y, as hand-written
        (lambda x, y: 1 / y, "1 / y", "_g / _y"),
        (lambda x, y: x * y * y, "x * y * y", "_g * _x * _y * _y"),
        (lambda x, y: x - (y - 1), "x - (y - 1)", "_g * (_x - (_y - 1.0))"),  # float - is not associative
        (lambda x, y: -1, "-1", "-_g"),
        (lambda x, y: 1, "1", "_g"),
        (lambda x, y: x**-2, "x**(-2)", "_g * _pow(_x, -2.0)"),
        (lambda x, y: -(x + y), "-(x + y)", "_g * -(_x + _y)"),
        (lambda x, y: (x**y) ** 2, "(x**y)**2", "_g * _pow(_pow(_x, _y), 2.0)"),
        (lambda x, y: functions.tanh(x) ** 1, "tanh(x)", "_g * _pow(tanh(_x), 1.0)"),
    ],
)
def test_one_printer_writes_the_formula_and_the_code_of_the_product_with_g(derivative, text, code):
    x, y = Sym.var("x"), Sym.var("y")
    d = lift(derivative(x, y))
    assert render(d, TEXT) == text
    assert render(times_g(d), CODE, _registry._CODE_NAMES) == code


_LEAVES = st.sampled_from(["x", "y", 0.0, 0.5, 1.0, 2.0, -1.0, -3.0])
_TREES = st.recursive(
    _LEAVES, lambda kids: st.tuples(st.sampled_from(["+", "-", "*", "/", "**", "neg"]), kids, kids), max_leaves=7
)


def _arith(t, x, y, constant=float):
    """The tree ``t`` computed with Python's own operators on x and y (floats, or Syms with
    ``constant=lift`` so that no part is computed while tracing)."""
    if isinstance(t, str):
        return {"x": x, "y": y}[t]
    if isinstance(t, float):
        return constant(t)
    op, a, b = t
    if op == "neg":
        return -_arith(a, x, y, constant)
    a, b = _arith(a, x, y, constant), _arith(b, x, y, constant)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    return a / b if op == "/" else a**b


def _outcome(text, x, y, exact):
    """What Python makes of ``text`` at x, y: ``("value", v)``, or the error's type."""
    names = {"x": x, "y": y, "_pow": lambda a, b: a**b}
    try:
        v = eval(text, {"__builtins__": {}}, names)  # noqa: S307 - our own printer's text
    except (ZeroDivisionError, OverflowError) as e:
        return ("error", type(e).__name__)
    # The code (CODE) writes every number as a float, so it must agree bit for bit; a formula
    # for people (TEXT, EXPRESSION) writes 2 for 2.0, which only a zero's sign could tell apart.
    return ("value", repr(v) if exact else (v if v == v else "nan"))


@given(_TREES, st.sampled_from([0.0, 0.5, -1.5, 3.0]), st.sampled_from([0.0, 2.0, -0.25, 1.0]))
def test_the_printer_writes_text_python_reads_as_the_same_arithmetic(tree, x, y):
    # Every binding strength and parenthesis: the printed formula, read back by Python,
    # computes what the arithmetic the tree was traced from computes.
    sym = _arith(tree, Sym.var("x"), Sym.var("y"), constant=lift)
    try:
        want = ("value", _arith(tree, x, y))
    except (ZeroDivisionError, OverflowError) as e:
        want = ("error", type(e).__name__)
    exact = want if want[0] == "error" else ("value", repr(want[1]))
    loose = want if want[0] == "error" or want[1] == want[1] else ("value", "nan")
    assert _outcome(render(sym, CODE), x, y, exact=True) == exact, render(sym, CODE)
    for style in (TEXT, EXPRESSION):
        assert _outcome(render(sym, style), x, y, exact=False) == loose, render(sym, style)


# -- issue 16 item 4: what a user op gives is checked at the op boundary --------------------


def _root(x):
    return x**0.5  # complex for a negative x, in Python


@pytest.mark.parametrize(
    ("forward", "error", "gave"),
    [
        (_root, TypeError, r"gave complex \(1\.2246467991473532e-16\+2j\)"),
        (lambda x: "a", TypeError, "gave str 'a'"),
        (lambda x: None, TypeError, "gave NoneType None"),
        (lambda x: Value(x), TypeError, "gave Value"),
        (lambda x: 10**400, ValueError, "gave an int of about 401 digits"),
        (lambda x: math.nan, ValueError, "gave nan although every input is finite"),
    ],
    ids=["complex", "str", "None", "Value", "huge int", "nan"],
)
def test_a_user_op_that_gives_no_real_number_is_refused_naming_op_input_and_result(scratch, forward, error, gave):
    op = defop("checked_op", forward, lambda x: 1.0, domain=REALS)
    for call in (lambda: op(Value(-4.0)), lambda: op(-4.0), lambda: Value(-4.0).checked_op()):
        with pytest.raises(error, match=rf"^the op checked_op, at x = -4\.0, {gave}.*defop\('checked_op'"):
            call()
    compiled = ml.compile(lambda x: op(x) * 2.0)
    with pytest.raises(error, match=rf"the op checked_op, at x = -4\.0, {gave}"):
        compiled(-4.0)


def test_a_user_op_giving_an_int_gives_a_float_as_value_of_an_int_does(scratch):
    op = defop("floor3", lambda x: 3, lambda x: 0.0, domain=REALS)
    assert type(op(Value(1.5)).data) is float and op(Value(1.5)).data == 3.0 == op(1.5)


def test_nan_and_infinities_into_a_user_op_may_come_out_as_nan(scratch):
    op = defop("diff_self", lambda x: x - x, lambda x: 0.0, domain=REALS)
    assert math.isnan(op(Value(math.nan)).data) and math.isnan(op(Value(math.inf)).data)
    assert op(Value(2.0)).data == 0.0


def test_a_user_op_giving_an_infinity_from_finite_inputs_is_allowed(scratch):
    op = defop("blowup", lambda x: math.inf, lambda x: 0.0, domain=REALS)
    assert op(Value(1.0)).data == math.inf


def _complex_below_zero(x):
    return complex(0.0, 1.0) if x < 0 else 1.0  # reads the value: called as is, never traced


def test_a_user_derivative_that_gives_no_real_number_is_refused_and_no_grad_changes(scratch):
    op = defop("bent", lambda x: x, _complex_below_zero, domain=REALS)
    x = Value(-2.0)
    with pytest.raises(TypeError, match=r"^the derivative of bent with respect to x, at x = -2\.0, gave complex 1j"):
        (op(x) * 3.0).backward()
    assert x.grad == 0.0
    compiled = ml.compile(lambda v: op(v) * 3.0)
    assert compiled(2.0) == 6.0
    with pytest.raises(TypeError, match=r"the derivative of bent with respect to x, at x = -2\.0, gave complex"):
        compiled(-2.0)


def test_a_user_derivative_giving_nan_at_finite_inputs_is_refused(scratch):
    op = defop("nan_slope", lambda x: x, lambda x: math.nan, domain=REALS)
    with pytest.raises(OpResultError, match=r"derivative of nan_slope with respect to x, at x = 1\.0, gave nan"):
        op(Value(1.0)).backward()
    nan_in = Value(math.nan)
    op(nan_in).backward()  # a NaN input may give a NaN derivative, as for the built-in ops
    assert math.isnan(nan_in.grad)


def test_a_broken_derivative_is_named_with_its_op_in_its_own_exception_type(scratch):
    op = defop("broken", lambda x: x, lambda x: undefined_name(x), domain=REALS)  # noqa: F821
    x = Value(2.0)
    with pytest.raises(NameError, match=r"^the derivative of broken at x = 2\.0 \(undefined_name\(x\)\) cannot be computed: name "
                                        r"'undefined_name' is not defined; fix the derivative given to defop"):  # fmt: skip
        op(x).backward()
    assert x.grad == 0.0


def test_a_math_derivative_says_to_use_the_library_functions_for_higher_orders(scratch):
    op = defop("msin", math.sin, lambda x: math.cos(x), domain=REALS)
    x = Value(1.0)
    op(x).backward()
    assert x.grad == math.cos(1.0)
    with pytest.raises(TypeError, match=r"^the derivative of msin at x = 1\.0 .*micrograd_like\.functions"):
        grad(op(x), [x], create_graph=True)


def test_the_library_ops_run_unwrapped():
    # the checks cost user ops a call per node; the built-in ops keep their plain functions
    assert not any(spec.user for spec in REGISTRY.values() if spec.name in functions.__all__ or spec.symbol)
    assert REGISTRY["sin"].op().forward is math.sin
    assert REGISTRY["leaky_relu"].op(0.2).vjp.__name__ == "<lambda>"  # the traced formula itself


# -- defop(..., check=True) -------------------------------------------------------------------


def test_check_true_refuses_a_wrong_derivative_naming_op_and_point_and_registers_nothing(scratch):
    with pytest.raises(ValueError, match=r"(?s)^defop\('cube_wrong', \.\.\., check=True\): the derivative of cube_wrong "
                                         r"at x = -?\d+\.\d+ disagrees with finite differences.*MISMATCH"):  # fmt: skip
        defop("cube_wrong", lambda x: x**3, lambda x: 2 * x * x, domain=REALS, check=True)
    assert "cube_wrong" not in REGISTRY and not hasattr(Value, "cube_wrong")
    # nothing of the refused op is kept: no op, no trees, no vjp source
    assert not any(spec.name == "cube_wrong" for spec in _registry._PLAIN_OPS)
    assert not any(name == "cube_wrong" for name, _ in [*_registry.TREES, *_registry._SOURCES])
    cube = defop("cube_wrong", lambda x: x**3, lambda x: 3 * x * x, domain=REALS, check=True)  # the fixed one
    assert cube(2.0) == 8.0


def test_check_true_looks_at_every_input_and_every_example_parameter(scratch):
    with pytest.raises(ValueError, match=r"hyp_wrong at x = -?[\d.]+, y = -?[\d.]+ disagrees"):
        defop(
            "hyp_wrong",
            lambda x, y: math.hypot(x, y),
            lambda x, y, out: (x / out, x / out),
            domain=(REALS, REALS),
            check=True,
        )
    with pytest.raises(ValueError, match=r"scaled_wrong at x = -?[\d.]+ \(k = 3\.0\) disagrees"):
        defop("scaled_wrong", lambda x, k: k * x, lambda x, k: 2.0, domain=REALS, params={"k": 2.0},
              examples=((2.0,), (3.0,)), check=True)  # fmt: skip
    assert "hyp_wrong" not in REGISTRY and "scaled_wrong" not in REGISTRY


def test_check_true_stays_away_from_the_points_a_domain_avoids(scratch):
    defop("my_abs", math.fabs, lambda x: functions.sign(x), domain=Interval(avoid=(0.0,)), check=True)
    assert "my_abs" in REGISTRY


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({}, "has none; pass domain=REALS"),
        ({"domain": REALS, "forward": lambda x: math.log(x)}, "fails inside its domain: ValueError: math domain"),
    ],
    ids=["no domain", "forward fails"],
)
def test_check_true_explains_what_it_cannot_check(scratch, kwargs, words):
    args = {"forward": math.exp, "derivative": lambda x, out: out} | kwargs
    with pytest.raises(ValueError, match=words):
        defop("self_named", args.pop("forward"), args.pop("derivative"), check=True, **args)
    assert "self_named" not in REGISTRY


def test_a_formula_naming_a_function_defined_later_resolves_it_by_name_when_it_runs(scratch):
    # The op's own function (assigned when defop returns) and one registered afterwards,
    # as sin's derivative names cos: traced as calls, looked up when the derivative runs.
    module: dict = {}  # a user's module
    exec(
        "import math\nfrom micrograd_like.registry import REALS, defop\n"
        "self_named = defop('self_named', math.exp, lambda x: self_named(x), domain=REALS, check=True)\n"
        "twice_later = defop('twice_later', lambda x: x * x, lambda x: later(x), domain=REALS)\n",
        module,
    )
    assert module["self_named"](Value(1.0))._fn.formulas == ("self_named(x)",)
    assert _registry._SOURCES[("twice_later", ())] == "lambda _g, _out, _x: (_g * later(_x),)"
    exec("later = defop('later', lambda x: 2 * x, lambda x: 2, domain=REALS)", module)
    twice_later, self_named = module["twice_later"], module["self_named"]
    assert gradcheck(lambda v: twice_later(v) * self_named(v), [0.7], order=2)


def test_a_later_function_under_another_python_name_is_found_where_the_derivative_was_written(scratch):
    # my_cos is registered as "cos2": no registered function is called my_cos, so the call
    # is looked up, when the derivative runs, in the module that wrote the derivative.
    module: dict = {}
    exec(
        "import math\nfrom micrograd_like.registry import REALS, defop\n"
        "my_sin = defop('my_sin', math.sin, lambda x: my_cos(x), domain=REALS)\n"
        "my_cos = defop('cos2', math.cos, lambda x: -math.sin(x), domain=REALS)\n",
        module,
    )
    x = Value(0.4)
    module["my_sin"](x).backward()
    assert x.grad == math.cos(0.4)
    assert gradcheck(lambda v: module["my_sin"](v), [0.4], order=2)


def test_a_name_defined_nowhere_is_still_a_name_error_naming_the_op(scratch):
    nowhere = defop("nowhere_op", math.sin, lambda x: never_defined(x), domain=REALS)  # noqa: F821
    with pytest.raises(NameError, match=r"derivative of nowhere_op .*name 'never_defined' is not defined"):
        nowhere(Value(0.4)).backward()


def test_check_must_be_a_bool(scratch):
    with pytest.raises(TypeError, match="defop's check must be True or False"):
        defop("yes_op", math.exp, lambda x, out: out, domain=REALS, check="yes")
    assert "yes_op" not in REGISTRY


# -- issue 16 item 10: names that cannot be a method or appear in a formula ---------------------


@pytest.mark.parametrize("name", ["lambda", "None", "True", "class", "if", "not"])
def test_python_keywords_are_refused_as_op_names(scratch, name):
    with pytest.raises(ValueError, match=rf"not a Python keyword, such as 'sin', got '{name}'"):
        defop(name, math.exp, lambda x, out: out, domain=REALS)
    assert name not in REGISTRY


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"domain": lambda s: 5}, TypeError, r"domain\(1\.0\) gave int 5, not a tuple of 1 Interval"),
        ({"domain": lambda s: 1 / 0}, ValueError, r"domain\(1\.0\) raised ZeroDivisionError"),
        ({"domain": (REALS, REALS)}, TypeError, r"domain\(1\.0\) gave tuple .*not a tuple of 1 Interval"),
        ({"domain": REALS, "examples": ((1.0, 2.0),)}, TypeError, "examples must be a non-empty tuple"),
        ({"domain": REALS, "examples": (("a",),)}, TypeError, "example parameter must be a finite number"),
        ({"domain": REALS, "examples": 5}, TypeError, "examples must be a non-empty tuple .* got int 5"),
        ({"domain": REALS, "examples": ()}, TypeError, "examples must be a non-empty tuple"),
    ],
    ids=[
        "domain gives int",
        "domain raises",
        "two intervals for one input",
        "examples too long",
        "examples str",
        "examples a number",
        "no examples",
    ],
)
def test_a_domain_or_examples_that_would_break_testing_later_are_refused_now(kwargs, error, words):
    # issue 16 item 7: what the catalogue, markdown_list and the first call read is checked at registration
    with pytest.raises(error, match=words) as info:
        defop("later16", lambda x, s: s * x, lambda x, s: s, params={"s": 1.0}, **kwargs)
    assert "later16" in str(info.value) and "later16" not in REGISTRY


def test_a_derivative_calling_a_two_input_function_is_traced_as_that_call(scratch):
    # A registered function of two inputs meets the tracer's stand-ins: it records a call
    # (shown in the formula and written into the code), it does not compute.
    hyp = defop("hyp", lambda x, y: math.hypot(x, y), lambda x, y, out: (x / out, y / out), domain=(REALS, REALS))
    lifted = defop("lifted", lambda x: math.hypot(x, 1.0), lambda x: x / hyp(x, 1.0), domain=REALS)
    assert lifted(Value(0.0))._fn.formulas == ("x / hyp(x, 1)",)
    assert _registry._SOURCES[("lifted", ())] == "lambda _g, _out, _x: (_g * _x / hyp(_x, 1.0),)"
    assert gradcheck(lambda v: lifted(v), [0.75])


def _module(source: str) -> dict:
    """A user's module: ``source`` run with defop and REALS imported."""
    module: dict = {}
    exec("import math\nfrom micrograd_like.registry import REALS, defop\n" + source, module)
    return module


def test_a_later_helper_is_the_python_function_of_that_name_not_an_op_registered_so(scratch):
    # The derivative calls helper, a plain function defined below it; an op registered under
    # the name "helper" (before or after) must not take its place.
    before = _module("halfsq = defop('helper', lambda x: 0.5 * x * x, lambda x: x, domain=REALS)\n")
    mod = _module(
        "cube = defop('cube', lambda x: x**3, lambda x: helper(x), domain=REALS)\ndef helper(x): return 3*x*x\n"
    )
    x = Value(2.0)
    mod["cube"](x).backward()
    assert before["halfsq"](Value(1.0)).data == 0.5 and x.grad == 12.0
    assert grad(mod["cube"](x), [x], create_graph=True)[0].data == 12.0
    assert ml.compile(lambda v: mod["cube"](v))(2.0) == 8.0


def test_two_modules_each_get_their_own_later_helper(scratch):
    a = _module(
        "cube = defop('cube', lambda x: x**3, lambda x: helper(x), domain=REALS)\ndef helper(x): return 3*x*x\n"
    )
    b = _module(
        "quart = defop('quart', lambda x: x**4, lambda x: helper(x), domain=REALS)\ndef helper(x): return 4*x**3\n"
    )
    x, y = Value(2.0), Value(2.0)
    b["quart"](y).backward()
    a["cube"](x).backward()
    assert (x.grad, y.grad) == (12.0, 32.0)


def test_vectorize_refuses_a_derivative_calling_a_later_helper_by_name(scratch):
    import numpy as np  # the numpy extra, which the test extra installs

    from micrograd_like._array_forms import _FORMS
    from micrograd_like.batched import set_array_form

    mod = _module(
        "cube = defop('cube', lambda x: x**3, lambda x: helper(x), domain=REALS)\ndef helper(x): return 3*x*x\n"
    )
    set_array_form("cube", lambda xp, x: x**3)
    try:
        w = Value(0.5)
        step = ml.compile(lambda a: mod["cube"](w * a))
        step(1.0)
        with pytest.raises(TypeError, match=r"the op 'cube' cannot run on arrays: its derivative formula calls helper"):
            step.vectorize()(np.array([1.0, 2.0]))
    finally:
        _FORMS.pop("cube", None)


def test_an_op_parameter_changing_every_step_leaves_nothing_behind():
    # An annealed slope makes a new op per value; its trees, vjp source and compile template
    # go with it once the op's cache lets it go and no node uses it.
    import gc

    def leaky_ops():
        return {params for (name, params) in _registry.TREES if name == "leaky_relu"}

    before = leaky_ops()
    for i in range(5000):  # more than the op cache holds (4096)
        x = Value(-1.0)
        y = x.leaky_relu(0.5 + i * 1e-7)
        _templates.template_for(y._fn, 1)
        y.backward()
    del x, y
    gc.collect()
    kept = leaky_ops() - before
    assert 0 < len(kept) <= 4096
    assert {params for (name, params) in _registry._SOURCES if name == "leaky_relu"} - before == kept
    assert sum(1 for op in list(_templates._CACHE.keys()) if op.name.startswith("leaky_relu")) <= 4096 + len(before)
