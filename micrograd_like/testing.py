"""Hypothesis strategies for property-testing gradients, yours or this library's.

Needs Hypothesis (``pip install 'micrograd-like[test]'``). Typical use::

    from hypothesis import assume, given
    from micrograd_like import gradcheck
    from micrograd_like.testing import expressions, points, smooth_at

    @given(expressions(3), points(3))
    def test_my_engine_change(expr, x):
        assume(smooth_at(expr, x))          # keep relu kinks out of the finite differences
        assert gradcheck(expr, x, order=2)

What is here:

* :func:`reals` and :func:`points`: bounded, finite floats.
* :data:`OPS`: a catalogue of every registered op of :class:`Value` (and of the
  ways Value applies them: ``2 - x``, ``x * x``), each with the strategy of points
  where it is defined and smooth, for tests parametrized over ops
  (``@pytest.mark.parametrize("case", OPS, ids=str)``); :func:`catalogue` rebuilds
  it with the ops you added since. An op registered without ``domain=`` has no
  points to draw from: the catalogue and :func:`expressions` leave it out, and
  :data:`WITHOUT_DOMAIN` (:func:`without_domain` for ops added since) names it.
* :func:`expressions`: random compositions of all the ops over ``n`` inputs. Every
  op is applied inside its safe domain (the argument of ``log`` is made positive,
  a denominator is kept away from 0, ...), and magnitudes are tracked while the
  expression is drawn, so any point from ``points(n, bound)`` evaluates to finite,
  moderate numbers: no overflow, no NaN.
* :func:`smooth_at`: whether an expression is differentiable in a whole
  neighbourhood of a point (no input of relu, abs, ... near its kink), which
  central differences need.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from . import functions as _functions  # noqa: F401 - registers sin, cos, ... before use
from ._checks import check_int, check_real
from ._symbolic import python_operator
from .engine import Op, Value, iter_graph, node_parts
from .registry import REGISTRY, Interval, OpSpec

__all__ = [
    "OpCase", "OPS", "WITHOUT_DOMAIN", "Expression", "catalogue", "without_domain", "interval_points", "reals",
    "points", "expressions", "smooth_at",
]  # fmt: skip

# Bigger magnitudes are squashed with tanh while an expression is drawn, so that
# the finite differences of gradcheck (step 1e-6 * |x|) stay accurate.
_MAGNITUDE_LIMIT = 1e3


def reals(bound: float = 2.0) -> st.SearchStrategy[float]:
    """Finite floats in ``[-bound, bound]``."""
    bound = check_real(bound, "bound", above=0, example=2.0)
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False)


def points(n: int, bound: float = 2.0) -> st.SearchStrategy[list[float]]:
    """Lists of ``n`` finite floats in ``[-bound, bound]``: a point to check gradients at."""
    n = check_int(n, "n", minimum=1, example=2)
    return st.lists(reals(bound), min_size=n, max_size=n)


# -- a catalogue of ops, each with where it is smooth -----------------------------------


@dataclass(frozen=True)
class OpCase:
    """One differentiable op, for tests parametrized over the catalogue.

    Attributes:
        name: A readable id, e.g. ``"div"`` or ``"rpow"`` (``2 ** x``).
        fn: Takes ``arity`` Values, returns the op's result.
        domain: Draws points (lists of ``arity`` floats) where ``fn`` is defined
            and smooth, so finite differences agree with the true derivative.
    """

    name: str
    fn: Callable[..., Value]
    domain: st.SearchStrategy[list[float]]

    @property
    def arity(self) -> int:
        return self.fn.__code__.co_argcount

    def __str__(self) -> str:
        return self.name


def _away_from(value: float, margin: float, bound: float = 2.0) -> st.SearchStrategy[float]:
    return reals(bound).filter(lambda x: abs(x - value) > margin)


def _positive(low: float, high: float = 3.0) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


_ANY1 = points(1)
_NONZERO = _away_from(0.0, 0.1)
# How far from 0 the catalogue and the expressions draw an op's inputs.
_BOX = 3.0


def interval_points(interval: Interval, bound: float = _BOX) -> st.SearchStrategy[float]:
    """Floats where one input of an op is defined and smooth (inside ``[-bound, bound]``)."""
    low, high = interval.box(bound)
    floats = st.floats(low, high, allow_nan=False, allow_infinity=False)
    if not interval.avoid:
        return floats
    return floats.filter(lambda x: all(abs(x - a) > interval.margin for a in interval.avoid))


def _case(spec: OpSpec, params: tuple[float, ...]) -> OpCase:
    intervals = spec.intervals(*params)
    assert intervals is not None, "the catalogue leaves out ops without a domain"
    domain = st.tuples(*(interval_points(iv) for iv in intervals)).map(list)
    # Operators are applied through Python's syntax (operator.add(a, b) is a + b), so that
    # the catalogue checks the Value methods users call as well as the registered op behind them.
    f = spec.function if spec.symbol is None else python_operator(spec.symbol)
    name = spec.name if not params else f"{spec.name}({', '.join(f'{p:g}' for p in params)})"
    if spec.arity == 1:
        return OpCase(name, lambda a: f(a, *params), domain)
    return OpCase(name, lambda a, b: f(a, b, *params), domain)


def catalogue() -> tuple[OpCase, ...]:
    """Every registered op (at each of its example parameters), then the ways Value wires them.

    Built when called, so ops added with ``defop`` since the import are included. An
    op without a domain is left out (there is nowhere to draw its points from); see
    :func:`without_domain`.
    """
    cases = [_case(spec, p) for spec in REGISTRY.values() if spec.domain is not None for p in spec.examples]
    return (*cases, *_WIRING)


def without_domain() -> tuple[str, ...]:
    """The registered ops that :func:`catalogue` and :func:`expressions` leave out, because
    they were registered without ``domain=``: give them one to have them tested."""
    return tuple(name for name, spec in REGISTRY.items() if spec.domain is None)


# Reflected operators and shared operands: Value's plumbing around the ops.
_WIRING: tuple[OpCase, ...] = (
    OpCase("radd", lambda a: 2.5 + a, _ANY1),
    OpCase("rsub", lambda a: 2.5 - a, _ANY1),
    OpCase("rmul", lambda a: 2.5 * a, _ANY1),
    OpCase("rdiv", lambda a: 2.5 / a, _NONZERO.map(lambda x: [x])),
    OpCase("rpow", lambda a: 2.0**a, _ANY1),
    OpCase("abs_syntax", lambda a: abs(a), _NONZERO.map(lambda x: [x])),
    OpCase("same_operand_mul", lambda a: a * a, _ANY1),
    OpCase("same_operand_div", lambda a: a / a, _NONZERO.map(lambda x: [x])),
)

#: Every op of the registry at import time, with where it is smooth (see :func:`catalogue`).
OPS: tuple[OpCase, ...] = catalogue()
#: The ops registered without a domain at import time, which OPS leaves out (see :func:`without_domain`).
WITHOUT_DOMAIN: tuple[str, ...] = without_domain()


# -- random expressions ---------------------------------------------------------------


@dataclass(frozen=True)
class Expression:
    """A random expression over ``n_inputs`` inputs. Call it with that many Values.

    Attributes:
        n_inputs: How many inputs it takes (it may ignore some of them).
        text: The formula, e.g. ``"tanh((x0 * x1)) + log((x2 * x2) + 0.5)"``.
        bound: A bound on ``|value|`` for inputs within the drawing bound.
    """

    n_inputs: int
    text: str
    bound: float
    _evaluate: Callable[[Sequence[Value]], Value]

    def __call__(self, *xs: Value) -> Value:
        if len(xs) != self.n_inputs:
            raise TypeError(f"{self.text} takes {self.n_inputs} inputs, got {len(xs)}")
        return self._evaluate(xs)

    def __repr__(self) -> str:
        return f"Expression({self.text})"


def _input(i: int, bound: float) -> Expression:
    return Expression(0, f"x{i}", bound, lambda xs: xs[i])


def _const(c: float) -> Expression:
    return Expression(0, repr(c), abs(c), lambda xs: Value(c))


def _squash(e: Expression) -> Expression:
    """tanh(e) when e may be too large for accurate finite differences."""
    if e.bound <= _MAGNITUDE_LIMIT:
        return e
    return Expression(0, f"tanh({e.text})", 1.0, lambda xs: e._evaluate(xs).tanh())


def _positive_form(e: Expression, shift: float) -> Expression:
    """e*e + shift: positive (>= shift) whatever e is; the safe argument for log, /, **."""
    f = e._evaluate
    return Expression(0, f"({e.text} * {e.text} + {shift!r})", e.bound**2 + shift, lambda xs: f(xs) * f(xs) + shift)


def _unary(name: str, e: Expression, shift: float, k: int) -> Expression:
    f = e._evaluate
    if name == "neg":
        return Expression(0, f"-({e.text})", e.bound, lambda xs: -f(xs))
    if name == "tanh":
        return Expression(0, f"tanh({e.text})", 1.0, lambda xs: f(xs).tanh())
    if name == "sigmoid":
        return Expression(0, f"sigmoid({e.text})", 1.0, lambda xs: f(xs).sigmoid())
    if name == "relu":
        return Expression(0, f"relu({e.text})", e.bound, lambda xs: f(xs).relu())
    if name == "exp":
        e = e if e.bound <= 5.0 else _unary("tanh", e, shift, k)
        g = e._evaluate
        return Expression(0, f"exp({e.text})", math.exp(e.bound), lambda xs: g(xs).exp())
    if name == "log":
        p = _positive_form(e, shift)
        g = p._evaluate
        return Expression(0, f"log{p.text}", max(abs(math.log(shift)), math.log(p.bound)), lambda xs: g(xs).log())
    if name == "pow_int":  # any base: k in {2, 3}
        return Expression(0, f"({e.text})**{k}", e.bound**k, lambda xs: f(xs) ** k)
    if name == "pow_real":  # positive base: exponent in {-2, -1, 0.5, 1.5}
        p = _positive_form(e, shift)
        g = p._evaluate
        c = (-2.0, -1.0, 0.5, 1.5)[k % 4]
        bound = max(p.bound**c, shift**c)
        return Expression(0, f"{p.text}**{c!r}", bound, lambda xs: g(xs) ** c)
    return _registered_unary(REGISTRY[name], e)


def _registered_unary(spec: OpSpec, e: Expression) -> Expression:
    """Any registered op of one input, its argument squashed into the op's domain if needed."""
    params = spec.examples[0]
    (e,), box = _into_domain(spec, (e,))
    forward = spec.op(*params).forward
    bound = max(abs(forward(x)) for x in box[0]) * 1.05
    g, function = e._evaluate, spec.function
    return Expression(0, f"{spec.name}({e.text})", bound, lambda xs: function(g(xs), *params))


def _registered_binary(spec: OpSpec, left: Expression, right: Expression) -> Expression:
    """Any registered op of two inputs, each argument squashed into the op's domain if needed."""
    params = spec.examples[0]
    (left, right), (xs, ys) = _into_domain(spec, (left, right))
    forward = spec.op(*params).forward
    bound = max(abs(forward(x, y)) for x in xs[::4] for y in ys[::4]) * 1.05
    f, g, function = left._evaluate, right._evaluate, spec.function
    return Expression(0, f"{spec.name}({left.text}, {right.text})", bound, lambda v: function(f(v), g(v), *params))


def _squashed_into(e: Expression, low: float, high: float) -> Expression:
    """``e`` mapped into ``(low, high)`` through tanh."""
    mid, half, f = (low + high) / 2, (high - low) / 2, e._evaluate
    return Expression(0, f"({mid!r} + {half!r} * tanh({e.text}))", max(abs(low), abs(high)),
                      lambda xs: mid + half * f(xs).tanh())  # fmt: skip


def _into_domain(spec: OpSpec, args: tuple[Expression, ...]) -> tuple[tuple[Expression, ...], list[list[float]]]:
    """Each argument squashed into its input's domain (inside the test box) where its bound
    leaves it, and a grid of the points each argument can reach, to bound the op's result."""
    intervals = spec.intervals(*spec.examples[0])
    assert intervals is not None, "expressions leave out ops without a domain"
    squashed, grids = [], []
    for e, interval in zip(args, intervals):
        low, high = interval.box(_BOX)
        if not (low <= -e.bound and e.bound <= high):
            e = _squashed_into(e, low, high)
        low, high = max(low, -e.bound), min(high, e.bound)
        squashed.append(e)
        grids.append([low + (high - low) * k / 64 for k in range(65)])
    return tuple(squashed), grids


def _binary(name: str, left: Expression, right: Expression, shift: float) -> Expression:
    f, g = left._evaluate, right._evaluate
    if name == "add":
        return Expression(0, f"({left.text} + {right.text})", left.bound + right.bound, lambda xs: f(xs) + g(xs))
    if name == "sub":
        return Expression(0, f"({left.text} - {right.text})", left.bound + right.bound, lambda xs: f(xs) - g(xs))
    if name == "mul":
        return Expression(0, f"({left.text} * {right.text})", left.bound * right.bound, lambda xs: f(xs) * g(xs))
    if name == "div":  # denominator kept >= shift > 0
        p = _positive_form(right, shift)
        h = p._evaluate
        return Expression(0, f"({left.text} / {p.text})", left.bound / shift, lambda xs: f(xs) / h(xs))
    if name == "pow_value":  # positive base, bounded exponent
        p = _positive_form(left, shift)
        h = p._evaluate
        bound = max(p.bound, 1.0 / shift)
        return Expression(0, f"{p.text}**tanh({right.text})", bound, lambda xs: h(xs) ** g(xs).tanh())
    return _registered_binary(REGISTRY[name], left, right)


_HAND_WRITTEN = ("neg", "tanh", "sigmoid", "relu", "exp", "log", "pow_int", "pow_real")


def _unary_names() -> tuple[str, ...]:
    """The hand-written forms above, then every other registered op called like f(x) that has a domain."""
    from .registry import FUNCTIONS

    drawable = (name for name in FUNCTIONS if REGISTRY[name].domain is not None)
    return _HAND_WRITTEN + tuple(name for name in drawable if name not in _HAND_WRITTEN)


# The hand-written forms of _binary, each with the registered op it draws.
_HAND_WRITTEN_BINARY = {"add": "add", "sub": "sub", "mul": "mul", "div": "div", "pow_value": "vpow"}


def _binary_names() -> tuple[str, ...]:
    """The hand-written forms above, then every other registered op of two inputs that has a domain."""
    drawable = (name for name, spec in REGISTRY.items() if spec.arity == 2 and spec.domain is not None)
    drawn = set(_HAND_WRITTEN_BINARY.values())
    return tuple(_HAND_WRITTEN_BINARY) + tuple(name for name in drawable if name not in drawn)


UNARY_NAMES = _unary_names()
BINARY_NAMES = _binary_names()


def expressions(
    n_inputs: int,
    *,
    bound: float = 2.0,
    max_leaves: int = 8,
    ops: Sequence[str] | None = None,
) -> st.SearchStrategy[Expression]:
    """Random expressions over ``n_inputs`` inputs, built from the given ops.

    Every op is kept inside its safe domain, so for any point drawn from
    ``points(n_inputs, bound)`` the expression evaluates to a finite number
    without raising. Inputs can be used several times and both sides of an op can
    be the same input (``x0 * x0``), which exercises gradient accumulation.

    Args:
        n_inputs: Number of inputs, >= 1.
        bound: The bound the inputs will be drawn within (as for :func:`points`).
        max_leaves: Roughly how many inputs and constants one expression has.
        ops: Which ops to use; a subset of ``UNARY_NAMES + BINARY_NAMES`` (default:
            all, including every op registered with ``defop`` so far that has a domain).

    Raises:
        TypeError: ``n_inputs`` or ``max_leaves`` is not an int, or ``bound`` not a number.
        ValueError: An argument is out of range or an op name is unknown.
    """
    n_inputs = check_int(n_inputs, "n_inputs", minimum=1, example=2)
    max_leaves = check_int(max_leaves, "max_leaves", minimum=1, example=8)
    reals(bound)  # validates bound
    unary_names, binary_names = _unary_names(), _binary_names()
    known = set(unary_names + binary_names)
    ops = sorted(known) if ops is None else ops
    unknown = [op for op in ops if op not in known]
    no_domain = [op for op in unknown if op in without_domain()]
    if no_domain:
        raise ValueError(
            f"the ops {no_domain!r} have no domain, so expressions() cannot keep their inputs inside it; "
            "register them with defop(..., domain=...) (REALS for any real input)"
        )
    if unknown or not ops:
        raise ValueError(f"unknown ops {unknown!r}; choose from {sorted(known)}")
    unary = [op for op in unary_names if op in ops]
    binary = [op for op in binary_names if op in ops]

    inputs = st.integers(0, n_inputs - 1).map(lambda i: _input(i, bound))
    constants = st.floats(-2.0, 2.0, allow_nan=False).map(lambda c: _const(round(c, 3)))
    # Inputs listed twice: three leaves in four are inputs, so that most expressions
    # depend on the inputs, while constants still appear.
    leaves = st.one_of(inputs, inputs, inputs, constants)
    shifts = st.sampled_from((0.25, 0.5, 1.0, 2.0))

    def extend(children: st.SearchStrategy[Expression]) -> st.SearchStrategy[Expression]:
        options = []
        if unary:
            options.append(st.builds(_unary, st.sampled_from(unary), children, shifts, st.integers(2, 5)).map(_squash))
        if binary:
            options.append(st.builds(_binary, st.sampled_from(binary), children, children, shifts).map(_squash))
        return st.one_of(options)

    def finish(e: Expression) -> Expression:
        return Expression(n_inputs, e.text, e.bound, e._evaluate)

    return st.recursive(leaves, extend, max_leaves=max_leaves).map(finish)


def smooth_at(f: Callable[..., Value], point: Sequence[float], margin: float = 1e-3) -> bool:
    """Whether ``f`` is smooth around ``point``: no op input within ``margin`` of a kink.

    Central differences step across a kink (relu's and abs's 0, or any point a
    registered op's domain lists in ``avoid``) when an input is that close to it,
    and then disagree with the (correct) one-sided derivative. Use it with
    Hypothesis' ``assume`` before calling :func:`~micrograd_like.gradcheck`.

    Args:
        f: Takes one Value per coordinate of ``point`` and returns a Value.
        point: Where to evaluate.
        margin: How close to a kink an op's input may come, > 0.
    """
    out = f(*[Value(x) for x in point])
    return all(_smooth_node(node, margin) for node in iter_graph(out))


def _smooth_node(node: Value, margin: float) -> bool:
    op: Op | None = node_parts(node)[0]
    spec = getattr(op, "spec", None)  # ops made outside the registry may have none
    if op is None or not isinstance(spec, OpSpec):
        return True
    intervals = spec.intervals(*op.params) or ()
    return all(abs(child.data - a) > margin for child, iv in zip(node.children, intervals) for a in iv.avoid)
