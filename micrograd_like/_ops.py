"""The library's own ops (the operators, exp, log, tanh, sigmoid, step, relu), each
registered once with the registry, and what makes them part of ``Value``: the
operators' dunders, generated from the core's one method template, and the hot
ops' inline branches in ``backward()``'s sweep, generated from their registered vjp.

``HOT`` names the ops that ``backward()`` applies inline (no call, no tuple), commonest first.
The elementwise functions beyond these (sin, sqrt, ...) are in ``functions``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

from ._core import (
    Op,
    Value,
    as_float,
    bad_data_error,
    checked_pow,
    data_of,
    install_hot_ops,
    lift_operand,
    make_node,
    method_from_template,
)
from ._registry import NAMESPACE, REALS, REGISTRY, Interval, checked_power, register_builtin, vjp_source


def _sigmoid(x: float) -> float:
    # Two branches so that exp() only ever sees a non-positive argument: no overflow.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _checked_vpow(base: float, exponent: float) -> float:
    # d/d(exponent) of base**exponent is base**exponent * log(base), which is real only
    # for base > 0 (and taken as 0 at base == 0, its limit from the right).
    if base < 0.0:
        raise ValueError(
            f"{base!r} ** Value(...): a Value exponent needs a base >= 0, because the "
            "derivative with respect to the exponent involves log(base); for integer powers "
            "of negative numbers pass a plain number as the exponent"
        )
    return checked_pow(base, exponent)


def _value_pow(base: Value, exponent: Value) -> Value:
    return make_node(_checked_vpow(base.data, exponent.data), VPOW_OP, base, exponent)


def _checked_div(a: float, b: float) -> float:
    if b == 0.0:
        raise ZeroDivisionError(
            f"division by zero: {a!r} / {b!r}; make sure the denominator cannot be 0 (for example divide by x*x + eps)"
        )
    return a / b


def _checked_exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(
            f"exp overflows a float for input {x!r} (the limit is about 709.78); "
            "scale the input down or use a stable formula (e.g. sigmoid, log-sum-exp)"
        ) from None


def _checked_log(x: float) -> float:
    if x <= 0.0:
        raise ValueError(
            f"log is only defined for inputs > 0, got log({x!r}); "
            "keep the argument positive (for example log(x*x + 1) or log(sigmoid(x)))"
        )
    return math.log(x)


def _relu(x: float) -> float:
    return 0.0 if x <= 0.0 else x  # NaN > 0 is False, but NaN <= 0 too: NaN stays NaN


# -- the built-in ops, each registered once ------------------------------------------
# The registry (micrograd_like.registry) turns each derivative formula into the op's
# vjp(g, out, *inputs): the contribution to each input's gradient. In float mode every
# argument is a float; in create_graph mode every argument is a Value, so the same
# formula records the graph of the derivative.


def _step(x: float) -> float:
    return 1.0 if x > 0.0 else (0.0 if x <= 0.0 else math.nan)  # NaN stays NaN


def _vpow_derivative(x, y, out):
    # At x == y == 0 the formula is 0 * 0 ** -1; the limit from x > 0 (where x ** 0 is
    # constant) is 0. Elsewhere keep the formula: its derivative in y is not 0.
    d_base = 0.0 if data_of(x) == 0.0 and data_of(y) == 0.0 else y * checked_power(x, y - 1)
    d_exponent = 0.0 if data_of(x) == 0.0 else out * REGISTRY["log"].function(x)
    return d_base, d_exponent


def _pow_domain(c: float) -> tuple[Interval, ...]:
    if c.is_integer():
        return (REALS if c >= 0 else Interval(avoid=(0.0,), margin=0.1),)
    return (Interval(0.0, closed=c > 0),)


_R2 = (REALS, REALS)
register_builtin("add", operator.add, lambda x, y: (1, 1), _R2, "x + y", symbol="+")
register_builtin("sub", operator.sub, lambda x, y: (1, -1), _R2, "x - y", symbol="-")
register_builtin("mul", operator.mul, lambda x, y: (y, x), _R2, "x * y", symbol="*")
# d/dy as -out/y (not -x/y**2) makes x / x give exactly 0 to x.
register_builtin(
    "div",
    _checked_div,
    lambda x, y, out: (1 / y, -out / y),
    (REALS, Interval(avoid=(0.0,), margin=0.1)),
    "x / y",
    symbol="/",
    checks=False,
)
register_builtin("neg", operator.neg, lambda x: -1, REALS, "-x", symbol="neg")
register_builtin(
    "pow",
    checked_pow,
    lambda x, c: 0.0 if c == 0 else c * x ** (c - 1),
    _pow_domain,
    "x ** c",
    symbol="**",
    checks=False,
    params={"c": 2.0},
    examples=((2.0,), (3.0,), (0.0,), (-1.0,), (-2.0,), (0.5,), (1.5,)),
)
register_builtin(
    "vpow",
    _checked_vpow,
    _vpow_derivative,
    (Interval(0.0, closed=True), REALS),
    "x ** y",
    symbol="**",
    checks=False,
    formulas=("y * x**(y - 1)", "out * log(x)"),
)
register_builtin("exp", _checked_exp, lambda x, out: out, REALS, "e ** x", method=True)
register_builtin("log", _checked_log, lambda x: 1 / x, Interval(0.0), "natural logarithm", method=True, checks=False)
register_builtin("tanh", math.tanh, lambda x, out: 1 - out * out, REALS, "hyperbolic tangent", method=True)
register_builtin("sigmoid", _sigmoid, lambda x, out: out * (1 - out), REALS, "1 / (1 + e ** -x)", method=True)
register_builtin(
    "step", _step, lambda x: 0.0, Interval(avoid=(0.0,)), "1 for x > 0, else 0 (the slope of relu)", method=True
)
register_builtin(
    "relu",
    _relu,
    lambda x: REGISTRY["step"].function(x),
    Interval(avoid=(0.0,)),
    "max(0, x); 0 with slope 0 at x = 0",
    method=True,
    formulas=("step(x)",),
)

ADD_OP, SUB_OP, MUL_OP, DIV_OP, NEG_OP, VPOW_OP = (
    REGISTRY[n].op() for n in ("add", "sub", "mul", "div", "neg", "vpow")
)
EXP_OP, LOG_OP, TANH_OP, SIGMOID_OP, RELU_OP = (REGISTRY[n].op() for n in ("exp", "log", "tanh", "sigmoid", "relu"))


def _const_pow_op(c: float) -> Op:
    """The op x ** c for a constant c, shared by every node with that exponent."""
    return REGISTRY["pow"].op(c)


def _power(self: Value, exponent: Value | float) -> Value:
    """``x ** c`` (one op per constant exponent) or ``x ** y`` for a Value exponent."""
    if isinstance(exponent, Value):
        return _value_pow(self, exponent)
    c = as_float(exponent, "the exponent of **")
    try:
        return make_node(checked_pow(self.data, c), _const_pow_op(c), self)
    except (TypeError, ValueError, OverflowError) as e:  # ValueError: str() of a huge int refuses
        raise bad_data_error(e, self) from None


def _reflected(forward: Callable[[Value, Value], Value], symbol: str) -> Callable[[Value, float], Value]:
    """``2 + x`` and the like: the left operand is a plain number."""

    def reflected(self: Value, other: float) -> Value:
        return forward(lift_operand(other, symbol), self)

    return reflected


# Python's binary operators and their dunders (``**`` is two ops, see _power): an op
# registered with one of these symbols becomes that operator of Value.
_DUNDERS = {"+": "add", "-": "sub", "*": "mul", "/": "truediv", "//": "floordiv", "%": "mod", "@": "matmul"}


def _install_operators() -> None:
    """Value's operator dunders: every binary op registered with a symbol of ``_DUNDERS``
    from the core's one template (the forward written inline where it is Python's own
    operator, else called), its reflected form, ``-x``, and ``**``."""
    for spec in REGISTRY.values():
        dunder = _DUNDERS.get(str(spec.symbol))
        if dunder is None or spec.arity != 2:
            continue
        op = spec.op()
        inline = op.forward is getattr(operator, dunder)
        data = f"self.data {spec.symbol} other.data" if inline else "_forward(self.data, other.data)"
        method = method_from_template(f"__{dunder}__", op, data, op.forward, str(spec.symbol))
        setattr(Value, f"__{dunder}__", method)
        setattr(Value, f"__r{dunder}__", _reflected(method, str(spec.symbol)))
    Value.__neg__ = method_from_template("__neg__", NEG_OP, "-self.data")  # type: ignore[method-assign]
    Value.__pow__ = _power  # type: ignore[method-assign]
    Value.__rpow__ = _reflected(_power, "**")  # type: ignore[method-assign]


def _float_function(name: str) -> Callable[..., float]:
    """What a hot op's vjp text calls ``name`` by, on floats: a library op's checked forward
    (what its function calls for a float), else the function derivative formulas call."""
    spec = REGISTRY.get(name)
    if spec is not None and not spec.params and not spec.user:
        return spec.op().forward
    return NAMESPACE[name]


# The ops backward() applies inline, from their registered vjp: commonest first, because
# each branch is one comparison more for every node of the ops after it.
HOT = ("mul", "add", "exp", "tanh", "sigmoid", "relu", "sub", "div", "log", "neg")


def _install_hot_ops() -> None:
    """``backward()``'s sweep with an inline branch for every op in ``HOT``."""
    hot = []
    for name in HOT:
        op = REGISTRY[name].op()
        text = vjp_source(op)
        if text is None:
            raise RuntimeError(f"the hot op {name} has no traced vjp to inline; take it out of HOT")
        hot.append((op, text))
    install_hot_ops(hot, _float_function)


_install_operators()
_install_hot_ops()
