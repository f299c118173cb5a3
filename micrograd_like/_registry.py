"""The op registry: every differentiable op of :class:`~micrograd_like.engine.Value`,
registered once with :func:`defop`. Import it as ``micrograd_like.registry``, which
registers the library's own ops first. It imports only the engine's core (``_core``);
the op definitions (``_ops``, ``functions``) import it.

An op is a forward on floats, a local derivative written as a formula in the
library's own elementwise functions, and a domain. From that the registry makes
the engine's ``Op`` (name, checked forward, ``vjp``, human-readable ``formulas``),
a ``Value`` method, and a function that accepts floats or Values; the expression
parser, the Hypothesis catalogue and the README's op list read the registry too.

Derivatives stay fast: :func:`defop` traces the formula once into trees (the one
symbolic form of :mod:`~micrograd_like._symbolic`, kept in ``TREES``), and prints the
product ``g * derivative`` from them as one plain function, so backward makes exactly
as many calls per node as a hand-written ``vjp``; the formulas, how a node is written
and compile's templates are printed from the same trees. A formula that inspects its
input's value (``if x > 0``) cannot be traced; it is then called as is, which costs
one extra call per node and is just as correct.
"""

from __future__ import annotations

import inspect
import keyword
import math
import sys
import types
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from . import _opcheck
from ._checks import check_bool, check_real, check_str, describe
from ._core import Op, Value, as_float, bad_data_error, checked_pow, lift_operand, make_node, unary_method
from ._symbolic import CODE, EXPRESSION, NEG, TEXT, Sym, Untraceable, lift, number_text, render, times_g

__all__ = ["Interval", "REALS", "OpSpec", "REGISTRY", "FUNCTIONS", "defop", "markdown_list"]


@dataclass(frozen=True)
class Interval:
    """Where one input of an op is defined and smooth.

    Attributes:
        low, high: The op is defined for ``low < x < high`` (``low <= x`` when
            ``closed`` is true); infinite bounds mean none.
        avoid: Points inside where the op is defined but not smooth (a kink such as
            relu's 0) or not defined (a pole such as 1/x at 0): tests keep ``margin``
            away from them.
        margin: How far tests stay from ``avoid`` points and finite bounds.
        hint: Text for the error raised outside the interval, after "keep the
            argument" (e.g. "positive, for example log(x*x + 1)").
    """

    low: float = -math.inf
    high: float = math.inf
    closed: bool = False
    avoid: tuple[float, ...] = ()
    margin: float = 1e-3
    hint: str = ""

    def contains(self, x: float) -> bool:
        """Whether ``x`` is inside (NaN counts as inside: it propagates, it is never refused)."""
        too_low = x < self.low if self.closed else x <= self.low
        return not (too_low or x >= self.high)

    def describe(self, var: str = "inputs") -> str:
        """``"inputs > 0"``, ``"inputs >= 0"``, ``"any real inputs"``."""
        parts = []
        if self.low > -math.inf:
            parts.append(f"{'>=' if self.closed else '>'} {self.low:g}")
        if self.high < math.inf:
            parts.append(f"< {self.high:g}")
        return f"{var} " + " and ".join(parts) if parts else f"any real {var}"

    def box(self, bound: float) -> tuple[float, float]:
        """The finite part tests draw from: inside ``[-bound, bound]``, ``margin`` from the ends."""
        low = -bound if self.low == -math.inf else self.low + max(self.margin, 0.05)
        high = bound if self.high == math.inf else self.high - max(self.margin, 0.05)
        return low, max(high, low)


REALS: Interval = Interval()


@dataclass(frozen=True, eq=False)
class OpSpec:
    """One registered op. ``op(*params)`` gives the engine's ``Op`` for parameter values."""

    name: str
    arity: int
    forward: Callable[..., float]
    derivative: Callable[..., Any]
    domain: Callable[..., tuple[Interval, ...]] | None
    doc: str
    params: tuple[tuple[str, float], ...] = ()
    examples: tuple[tuple[float, ...], ...] = ((),)
    formulas: tuple[str, ...] | None = None
    symbol: str | None = None  # operators ("+", "**") have no function or method of their own
    checks_domain: bool = True
    user: bool = False  # registered after the library's own ops: results are checked (see _checked_forward)
    function: Callable[..., Any] = field(default=None, repr=False)  # type: ignore[assignment]

    def op(self, *params: float) -> Op:
        return _make_op(self, tuple(params))

    def intervals(self, *params: float) -> tuple[Interval, ...] | None:
        return None if self.domain is None else self.domain(*params)

    def op_name(self, params: tuple[float, ...]) -> str:
        if self.symbol is not None and params:  # an operator with a parameter: x ** 2 is "**2"
            return self.symbol + "".join(number_text(c) for c in params)
        return self.symbol or self.name


def shown_params(op: Any) -> tuple[tuple[str, float], ...]:
    """(name, value) of each parameter of an engine ``Op`` that readers should see:
    ``(("slope", 0.2),)`` for ``leaky_relu(x, 0.2)``; none for operators (``**2`` names its own)."""
    spec = getattr(op, "spec", None)
    if not isinstance(spec, OpSpec) or spec.symbol is not None:
        return ()
    return tuple((n, v) for (n, _), v in zip(spec.params, op.params))


#: Every registered op, by name, in registration order.
REGISTRY: dict[str, OpSpec] = {}


class _Functions(Mapping[str, Callable[..., Any]]):
    """A live view: name -> function of every registered op that is called like ``f(x)``."""

    def _names(self) -> list[str]:
        return [name for name, spec in REGISTRY.items() if spec.symbol is None and spec.arity == 1]

    def __getitem__(self, name: str) -> Callable[..., Any]:
        if name not in self._names():
            raise KeyError(name)
        return REGISTRY[name].function

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


#: The registered functions of one input (``exp``, ``sin``, yours), in registration order.
FUNCTIONS: Mapping[str, Callable[..., Any]] = _Functions()


def markdown_list() -> str:
    """The README's list of ops: one line per registered op, its derivative and its domain."""
    return "\n".join(_markdown_line(spec) for spec in REGISTRY.values())


def _markdown_line(spec: OpSpec) -> str:
    params = spec.examples[0]
    if spec.symbol:
        head = f"`{spec.doc}`"
    else:
        head = f"`{spec.name}({', '.join(['x', *(n for n, _ in spec.params)])})`: {spec.doc}"
    derivative = ", ".join(f"`{t}`" for t in spec.op(*params).formulas)
    if spec.params:
        derivative += " (at " + ", ".join(f"{n} = {v:g}" for (n, _), v in zip(spec.params, params)) + ")"
    where = []
    for name, iv in zip(_INPUTS, spec.intervals(*params) or ()):
        kinks = f" (tests keep away from {', '.join(f'{a:g}' for a in iv.avoid)})" if iv.avoid else ""
        where.append(f"{iv.describe(name)}{kinks}")
    return f"- {head}; derivative {derivative}; {'; '.join(where)}"


# What compiled derivative formulas can call: every registered function, and _pow.
NAMESPACE: dict[str, Any] = {"__builtins__": {}}
# The compiled source of each traced vjp, for readers and for tests.
_SOURCES: dict[tuple[str, tuple], str] = {}


# -- tracing a derivative formula into trees, and the code printed from them ------------------


def checked_power(x: Any, c: Any) -> Any:
    """x ** c for floats or Values, with the engine's clear errors."""
    return x**c if isinstance(x, Value) or isinstance(c, Value) else checked_pow(x, c)


NAMESPACE["_pow"] = checked_power  # the name generated code calls it by


def call_derivative(spec: OpSpec, args: tuple, params: tuple, out: Any, derivative: Callable | None = None) -> tuple:
    f = derivative or spec.derivative
    d = f(*args, *params, **({"out": out} if _wants_out(f) else {}))
    d = d if isinstance(d, tuple) else (d,)
    if len(d) != spec.arity:
        raise ValueError(
            f"the derivative of {spec.name} returned {len(d)} values for {spec.arity} inputs; "
            "return one local derivative per input"
        )
    return d


@cache
def _wants_out(f: Callable) -> bool:
    try:
        return "out" in inspect.signature(f).parameters
    except (TypeError, ValueError):
        return False


_INPUTS = ("x", "y")
# Variables of the generated code start with "_", which op names cannot: an op called
# g, out or x never collides with them.
_CODE_NAMES = {"g": "_g", "out": "_out", "x": "_x", "y": "_y"}


@dataclass(frozen=True, eq=False)
class Trees:
    """The symbolic form of one op at one parameter value, traced once by :func:`_compile`.

    ``derivative``: d(out)/d(input) per input, in ``x``, ``y``, ``out``; ``vjp``: the
    contributions ``g * derivative`` as the float vjp computes them; ``forward``: the
    op's checked float forward when it is plain arithmetic (library ops only). None
    where tracing failed (the function is then called as is).
    """

    spec: OpSpec
    derivative: tuple[Sym, ...] | None
    vjp: tuple[Sym, ...] | None
    forward: Sym | None = None
    late: tuple[str, ...] = ()  # names the derivative called before they were defined


#: The trees of each (op name, parameters) traced so far, for compile and the ledger.
TREES: dict[tuple[str, tuple], Trees] = {}


def _trace_derivative(spec: OpSpec, params: tuple) -> tuple[tuple[Sym, ...], tuple[str, ...]]:
    """The local derivatives as trees, and the names it called before they were defined
    (raises what tracing met).

    A name the formula calls that is not defined yet (sin's cos, defined after sin, a
    helper further down, or the op's own function) is traced as a call of that name; the
    generated code looks it up, when it runs, where the derivative was written, as Python would.
    """
    names = _INPUTS[: spec.arity]
    derivative, late = spec.derivative, {}  # type: ignore[var-annotated]
    for _ in range(8):  # a formula calls a few functions at most
        try:
            d = call_derivative(spec, tuple(map(Sym.var, names)), params, Sym.var("out"), derivative)
            return tuple(map(lift, d)), tuple(late)
        except NameError as error:
            name = getattr(error, "name", None)
            code = getattr(spec.derivative, "__code__", None)
            if name is None or name in late or code is None or name not in code.co_names:
                raise
            late[name] = _late_call(name)
            derivative = _rebound(spec.derivative, late)
    raise Untraceable(f"the derivative of {spec.name} names too many undefined functions")


class _LateName:
    """What the generated code of one derivative calls for a name that was not defined when it
    was traced: the name, looked up when called in the globals of the function that wrote it
    (as Python would), else among the registered functions (the op's own, while ``defop(...,
    check=True)`` checks it, before its name is assigned)."""

    def __init__(self, name: str, scope: dict) -> None:
        self.name, self.scope = name, scope

    def __call__(self, *args: Any) -> Any:
        function = self.scope.get(self.name) or NAMESPACE.get(self.name)
        if function is None:
            raise NameError(f"name {self.name!r} is not defined", name=self.name)
        return function(*args)


def _namespace_of(spec: OpSpec, late: tuple[str, ...]) -> dict[str, Any]:
    """Where a derivative's generated code runs: the registered functions, and its own late names."""
    if not late:
        return NAMESPACE
    scope = spec.derivative.__globals__
    return {**NAMESPACE, **{name: _LateName(name, scope) for name in late}}


def _late_call(name: str) -> Callable[..., Sym]:
    return lambda *args: Sym.call(name, args)


def _rebound(f: Any, names: dict[str, Any]) -> Callable:
    """``f`` seeing ``names`` as globals too (for tracing only)."""
    return types.FunctionType(f.__code__, {**f.__globals__, **names}, f.__name__, f.__defaults__, f.__closure__)


def _compile(spec: OpSpec, params: tuple) -> tuple[Callable, tuple[str, ...]]:
    """(vjp, traced formulas); the vjp calls the derivative directly when tracing fails."""
    names = _INPUTS[: spec.arity]
    try:
        derivative, late = _trace_derivative(spec, params)
    except Exception:  # noqa: BLE001 - any formula that does not trace is called as is
        TREES[(spec.name, params)] = Trees(spec, None, None)
        return _direct_vjp(spec, params), tuple(f"{spec.name}'({n})" for n in names)
    vjp = tuple(map(times_g, derivative))
    TREES[(spec.name, params)] = Trees(spec, derivative, vjp, late=late)
    body = ", ".join(render(t, CODE, _CODE_NAMES) for t in vjp)
    source = f"lambda _g, _out, {', '.join(_CODE_NAMES[n] for n in names)}: ({body},)"
    _SOURCES[(spec.name, params)] = source
    code = compile(source, f"<derivative of {spec.name}>", "eval")
    vjp_function = eval(code, _namespace_of(spec, late))  # our own trees, never user text
    return vjp_function, tuple(render(t, TEXT) for t in derivative)


def _trace_forward(spec: OpSpec, params: tuple, forward: Callable[..., float]) -> None:
    """Add the tree of a library op's checked forward to its trees, when it is plain arithmetic
    (a user op's forward is never called here: its checked result refuses a Sym anyway)."""
    trees = TREES.get((spec.name, params))
    if spec.user or trees is None or trees.spec is not spec:
        return
    try:
        tree = lift(forward(*map(Sym.var, _INPUTS[: spec.arity])))
    except Exception:  # noqa: BLE001 - a forward that checks, branches or calls math is called as is
        return
    TREES[(spec.name, params)] = Trees(spec, trees.derivative, trees.vjp, tree, trees.late)


def node_expression(op: Any, arity: int) -> str:
    """How a node of ``op`` is written with its inputs x, y: ``x*y``, ``-x``, ``x**2``, ``tanh(x)``,
    ``leaky_relu(x, 0.2)``. An operator is found by its symbol, for a micrograd-style node too."""
    spec = getattr(op, "spec", None)
    symbol = spec.symbol if isinstance(spec, OpSpec) else _symbol_of(op.name)
    xs = tuple(map(Sym.var, _INPUTS[:arity]))
    tree = Sym.call(op.name, (*xs, *(v for _, v in shown_params(op))))
    if symbol == NEG and arity == 1:
        tree = -xs[0]
    elif symbol is not None and arity == 2 and op.name == symbol:
        tree = Sym(symbol, xs)
    elif symbol is not None and arity == 1 and op.name != symbol:  # x ** c: the parameter follows
        try:
            tree = Sym(symbol, (xs[0], Sym("const", (float(op.name[len(symbol) :]),))))
        except ValueError:
            pass
    return render(tree, EXPRESSION)


def _symbol_of(name: str) -> str | None:
    """The longest registered operator symbol that ``name`` starts with (``**`` for ``**2``)."""
    symbols = [s.symbol for s in REGISTRY.values() if s.symbol is not None and name.startswith(s.symbol)]
    return max(symbols, key=len, default=None)


def _direct_vjp(spec: OpSpec, params: tuple) -> Callable:
    if spec.arity == 1:
        return lambda g, out, x: (g * call_derivative(spec, (x,), params, out)[0],)

    def vjp(g: Any, out: Any, x: Any, y: Any) -> tuple:
        dx, dy = call_derivative(spec, (x, y), params, out)
        return g * dx, g * dy

    return vjp


# -- from a spec to the engine's Op, a Value method and a function ----------------------


def _bounded(iv: Interval) -> bool:
    return iv.low > -math.inf or iv.high < math.inf


def _checked_forward(spec: OpSpec, params: tuple) -> Callable[..., float]:
    """The forward with the domain check, parameters bound; a user op's result checked too."""
    forward = _domain_checked(spec, params)
    return _opcheck.checked_forward(spec, params, forward) if spec.user else forward


def _domain_checked(spec: OpSpec, params: tuple) -> Callable[..., float]:
    """The forward with the domain check (for bounded domains), parameters bound."""
    f, name = spec.forward, spec.name
    intervals = spec.intervals(*params) or (REALS,) * spec.arity
    if not (spec.checks_domain and any(_bounded(iv) for iv in intervals)):
        return (lambda *xs: f(*xs, *params)) if params else f
    if spec.arity == 1:
        (iv,) = intervals
        hint = f"; keep the argument {iv.hint}" if iv.hint else ""

        def forward(x: float) -> float:
            if not iv.contains(x):
                raise ValueError(f"{name} is only defined for {iv.describe()}, got {name}({x!r}){hint}")
            return f(x, *params)

        return forward

    def forward2(x: float, y: float) -> float:
        for var, v, iv in zip(_INPUTS, (x, y), intervals):
            if not iv.contains(v):
                hint = f"; keep it {iv.hint}" if iv.hint else ""
                raise ValueError(f"{name}(x, y) needs {iv.describe(var)}, got {name}({x!r}, {y!r}){hint}")
        return f(x, y, *params)

    return forward2


def _vjp(spec: OpSpec, params: tuple) -> tuple[Callable, tuple[str, ...]]:
    """(vjp, traced formulas); a user op's vjp has its results checked and failures named."""
    vjp, traced = _compile(spec, params)
    return (_opcheck.checked_vjp(spec, params, vjp) if spec.user else vjp), traced


@lru_cache(maxsize=4096)
def _cached_op(spec: OpSpec, params: tuple) -> Op:
    vjp, traced = _vjp(spec, params)
    formulas = spec.formulas if spec.formulas is not None else traced
    op = Op(spec.op_name(params), _checked_forward(spec, params), vjp, formulas)
    op.spec, op.params = spec, params
    _trace_forward(spec, params, op.forward)
    # Its trees live as long as the op: evicted from this cache and unused, both go. (A weak
    # reference with a callback, not weakref.finalize, which would run code at exit.)
    key = (spec.name, params)
    _OWNERS[key] = weakref.ref(op, lambda ref: _forget_trees(key, ref))
    return op


#: The op each entry of TREES and _SOURCES belongs to.
_OWNERS: dict[tuple[str, tuple], weakref.ref] = {}


def _forget_trees(key: tuple[str, tuple], ref: weakref.ref, owners=_OWNERS, trees=TREES, sources=_SOURCES) -> None:
    # The dicts are bound as defaults: at interpreter exit, module globals may already be None.
    if owners.get(key) is ref:  # not a newer op's trees for the same key
        del owners[key]
        trees.pop(key, None)
        sources.pop(key, None)


# An op without parameters is made once per spec and kept while the spec is registered: the
# LRU cache above, which ops with parameters share, must never evict (and so remake) ``mul``,
# whose one op the operators and backward()'s inline branches hold.
_PLAIN_OPS: dict[OpSpec, Op] = {}


def _make_op(spec: OpSpec, params: tuple) -> Op:
    if params:
        return _cached_op(spec, params)
    op = _PLAIN_OPS.get(spec)
    if op is None:
        op = _PLAIN_OPS[spec] = _cached_op.__wrapped__(spec, params)
    return op


def _bind(spec: OpSpec, args: tuple, kwargs: dict) -> tuple[float, ...]:
    """The parameter values of a call such as ``leaky_relu(x, 0.2)`` or ``(x, slope=0.2)``."""
    names = [n for n, _ in spec.params]
    if len(args) > len(names) or set(kwargs) - set(names):
        raise TypeError(f"{spec.name} takes the parameters {names}, got {args} and {sorted(kwargs)}")
    values = dict(spec.params) | dict(zip(names, args)) | kwargs
    return tuple(check_real(values[n], f"{spec.name}'s {n}") for n in names)


def _unary_function(spec: OpSpec) -> tuple[Callable, Callable]:
    name = spec.name
    if not spec.params:
        op = spec.op()
        forward = op.forward
        method = unary_method(op, forward)

        def function(x: Any) -> Any:
            if type(x) is float:  # the fast path, taken by derivative formulas
                return forward(x)
            if isinstance(x, Value):
                try:
                    return make_node(forward(x.data), op, x)
                except (TypeError, OverflowError) as e:  # free when nothing is raised
                    raise bad_data_error(e, x) from None
            if isinstance(x, Sym):
                return Sym.call(name, (x,))
            return forward(as_float(x, f"the argument of {name}()"))

        return method, function

    def pmethod(self: Value, *args: float, **kwargs: float) -> Value:
        op = spec.op(*_bind(spec, args, kwargs))
        try:
            return make_node(op.forward(self.data), op, self)
        except (TypeError, OverflowError) as e:
            raise bad_data_error(e, self) from None

    def pfunction(x: Any, *args: float, **kwargs: float) -> Any:
        params = _bind(spec, args, kwargs)
        if isinstance(x, Value):
            return pmethod(x, *params)
        if isinstance(x, Sym):
            return Sym.call(name, (x, *params))
        return spec.op(*params).forward(as_float(x, f"the argument of {name}()"))

    return pmethod, pfunction


def _binary_function(spec: OpSpec) -> tuple[Callable, Callable]:
    name = spec.name

    def function(x: Any, y: Any, *args: float, **kwargs: float) -> Any:
        params = _bind(spec, args, kwargs)
        if isinstance(x, Sym) or isinstance(y, Sym):
            return Sym.call(name, (x, y, *params))
        op = spec.op(*params)
        if isinstance(x, Value) or isinstance(y, Value):
            a, b = lift_operand(x, name), lift_operand(y, name)
            try:
                return make_node(op.forward(a.data, b.data), op, a, b)
            except (TypeError, OverflowError) as e:
                raise bad_data_error(e, a, b) from None
        return op.forward(as_float(x, f"{name}()'s x"), as_float(y, f"{name}()'s y"))

    return function, function


def register(spec: OpSpec, method: bool) -> Callable[..., Any]:
    """Add ``spec`` to the registry (and its method to Value); return its function."""
    if spec.name in REGISTRY:
        raise ValueError(f"an op named {spec.name!r} is already registered; pick another name")
    if method and hasattr(Value, spec.name):
        raise ValueError(f"Value already has an attribute {spec.name!r}; pick another name for the op")
    meth, function = (_unary_function if spec.arity == 1 else _binary_function)(spec)
    for f in (meth, function):
        # A code object of its own per op: the interpreter specialises each call site
        # for one callee, and a code object shared by every op would defeat that.
        code = f.__code__.replace(co_name=spec.name)
        if sys.version_info >= (3, 11):  # co_qualname is new in 3.11; the package supports 3.10
            code = code.replace(co_qualname=spec.name)
        f.__code__ = code
        f.__name__ = f.__qualname__ = spec.name
        f.__doc__ = spec.doc
    object.__setattr__(spec, "function", function)
    REGISTRY[spec.name] = spec
    if spec.symbol is None:
        NAMESPACE[spec.name] = function
    if method:
        setattr(Value, spec.name, meth)
    return function


def defop(
    name: str,
    forward: Callable[..., float],
    derivative: Callable[..., Any],
    *,
    domain: Interval | tuple[Interval, ...] | Callable[..., Any] | None = None,
    doc: str = "",
    params: dict[str, float] | None = None,
    formulas: tuple[str, ...] | None = None,
    examples: tuple[tuple[float, ...], ...] | None = None,
    check: bool = False,
) -> Callable[..., Any]:
    """Register a differentiable op; return a function of floats or Values, and add a Value method.

    Args:
        name: A Python identifier, not yet used by an op or a ``Value`` attribute.
        forward: ``forward(x)`` or ``forward(x, y)`` (then the parameters) on floats.
        derivative: Same arguments (and optionally ``out=``, the op's result); returns
            d(out)/d(input), one per input, written with :mod:`micrograd_like.functions`
            and arithmetic so that it works on floats and on Values (any order).
        domain: An :class:`Interval` per input (one for a unary op), or a function of
            the parameters returning them. Calls outside raise ValueError; tests draw
            points inside. Required for the registry's own gradcheck test.
        doc: One line for the docstrings, the README's op list and ``--help``.
        params: Parameter names with default values (``{"slope": 0.01}``).
        formulas: The local derivatives as text with ``x``, ``y``, ``out``; traced
            from ``derivative`` when omitted.
        examples: Parameter values the registry test checks (default: the defaults).
        check: Also gradcheck the derivative now, at a few points of the domain for
            each of ``examples``, and refuse the op if it is wrong there.

    What the op gives is checked at every call: its forward must return a real number
    (stored as a float; NaN only from a NaN or infinite input), its derivative too,
    else a TypeError or ValueError names the op, its input and what it gave.

    Raises:
        TypeError: ``forward`` or ``derivative`` is not callable, or ``name`` is not a str.
        ValueError: ``name`` is not an identifier, is a Python keyword or is taken, the
            arity is not 1 or 2, or ``check=True`` found a wrong derivative (nothing is
            registered then).
    """
    check_str(name, "defop's name")
    if not name.isidentifier() or name.startswith("_") or keyword.iskeyword(name):
        raise ValueError(
            f"defop's name must be a public identifier that is not a Python keyword, such as 'sin', "
            f"got {name!r}: it becomes a Value method and a function in formulas; pick another name"
        )
    check = check_bool(check, "defop's check")
    function = register_builtin(
        name, forward, derivative, domain, doc, params=params, formulas=formulas, examples=examples, method=True
    )
    if check:
        try:
            _opcheck.self_check(REGISTRY[name])
        except BaseException:
            _unregister(name)
            raise
    return function


def _unregister(name: str) -> None:
    """Undo ``register``: the op, its function in formulas and its Value method go."""
    spec = REGISTRY.pop(name)
    NAMESPACE.pop(name, None)
    if vars(Value).get(name) is not None:
        delattr(Value, name)
    _PLAIN_OPS.pop(spec, None)
    for key in [key for key, trees in TREES.items() if trees.spec is spec]:
        del TREES[key]
        _SOURCES.pop(key, None)


def register_builtin(
    name: str,
    forward: Callable[..., float],
    derivative: Callable[..., Any],
    domain: Any,
    doc: str,
    *,
    params: dict[str, float] | None = None,
    formulas: tuple[str, ...] | None = None,
    examples: tuple[tuple[float, ...], ...] | None = None,
    symbol: str | None = None,
    method: bool = False,
    checks: bool = True,
) -> Callable[..., Any]:
    """defop without the name checks, for the engine's operators (``symbol``) too."""
    for what, f in (("forward", forward), ("derivative", derivative)):
        if not callable(f):
            raise TypeError(f"defop's {what} must be a function, got {describe(f)}; pass e.g. math.sin")
    params_ = _checked_params(name, params)
    arity = _arity(forward) - len(params_)
    if arity not in (1, 2):
        raise ValueError(f"{name}: forward must take 1 or 2 inputs (then the parameters), it takes {arity}")
    if formulas is not None and (len(formulas) != arity or not all(isinstance(t, str) for t in formulas)):
        raise ValueError(f"{name}: formulas must be {arity} str (one per input), got {formulas!r}")
    if isinstance(domain, Interval):
        domain = (domain,)
    bad_tuple = isinstance(domain, tuple) and not all(isinstance(iv, Interval) for iv in domain)
    if bad_tuple or not (domain is None or isinstance(domain, tuple) or callable(domain)):
        raise TypeError(
            f"{name}: domain must be an Interval, a tuple of Intervals or a function of the parameters, "
            f"got {describe(domain)}; pass e.g. domain=REALS"
        )
    if isinstance(domain, tuple):
        domain = _constant_domain(domain)
    examples = _checked_examples(name, examples, params_)
    _check_domain_results(name, domain, examples, arity)
    spec = OpSpec(
        name,
        arity,
        forward,
        derivative,
        domain,
        doc,
        params_,
        examples,
        formulas,
        symbol,
        checks,
        not _BUILDING_IN[0],
    )
    return register(spec, method)


def _checked_examples(name: str, examples: Any, params: tuple) -> tuple[tuple[float, ...], ...]:
    """``examples`` as a tuple of parameter tuples, one number per parameter (default: the defaults)."""
    if examples is None:
        return (tuple(v for _, v in params),)
    n = len(params)
    shape_ok = isinstance(examples, (tuple, list)) and len(examples) > 0
    if not (shape_ok and all(isinstance(e, (tuple, list)) and len(e) == n for e in examples)):
        raise TypeError(
            f"{name}: examples must be a non-empty tuple of parameter tuples of {n} number(s) each, "
            f"got {describe(examples)}; pass e.g. examples=((0.01,), (0.2,))"
        )
    return tuple(tuple(check_real(v, f"{name}'s example parameter") for v in e) for e in examples)


def _check_domain_results(name: str, domain: Any, examples: tuple, arity: int) -> None:
    """A domain function must give ``arity`` Intervals at every example parameter: checked now,
    so that it cannot break ``testing``, ``markdown_list`` or the op's first call later."""
    if domain is None:
        return
    for params in examples:
        call = f"domain({', '.join(map(repr, params))})"
        try:
            intervals = domain(*params)
        except Exception as error:  # noqa: BLE001 - reported with the op's name
            raise ValueError(
                f"{name}: {call} raised {type(error).__name__}: {error}; "
                "the domain function must accept every example parameter"
            ) from None
        if not (isinstance(intervals, tuple) and len(intervals) == arity):
            raise TypeError(
                f"{name}: {call} gave {describe(intervals)}, not a tuple of {arity} Interval(s) "
                f"(one per input); return e.g. {'(REALS,)' if arity == 1 else '(REALS, REALS)'}"
            )
        if not all(isinstance(iv, Interval) for iv in intervals):
            raise TypeError(f"{name}: {call} gave {describe(intervals)}; each entry must be an Interval")


# True while the library registers its own ops (engine, then functions); then False, and
# every op registered since is a user op whose results are checked (see _opcheck).
_BUILDING_IN = [True]


def built_ins_done() -> None:
    """Called once, by ``functions`` after its last op: later ops are users' ops."""
    _BUILDING_IN[0] = False


def _checked_params(name: str, params: Any) -> tuple[tuple[str, float], ...]:
    """``params`` as ((name, default), ...): a dict of identifiers to finite numbers."""
    if params is None:
        return ()
    if not isinstance(params, dict):
        raise TypeError(f"{name}: params must be a dict of names to defaults, got {describe(params)}; "
                        "pass e.g. params={'slope': 0.01}")  # fmt: skip
    for key in params:
        if not (isinstance(key, str) and key.isidentifier()):
            raise ValueError(f"{name}: a parameter name must be an identifier, got {key!r}; pass e.g. 'slope'")
    return tuple((k, check_real(v, f"{name}'s parameter {k}")) for k, v in params.items())


def _constant_domain(intervals: tuple[Interval, ...]) -> Callable[..., tuple[Interval, ...]]:
    def domain(*params: float) -> tuple[Interval, ...]:
        return intervals

    return domain


def _arity(f: Callable) -> int:
    """How many inputs (then parameters) ``forward`` takes; refuses ``*args``."""
    unclear = f"cannot tell how many inputs {describe(f)} takes; wrap it, e.g. lambda x, y: f(x, y)"
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        raise ValueError(unclear) from None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in sig.parameters.values()):
        raise ValueError(unclear)
    return sum(1 for p in sig.parameters.values() if p.kind in kinds and p.default is p.empty)


def vjp_source(op: Op) -> str | None:
    """The source text of a registry op's traced vjp, ``lambda _g, _out, _x[, _y]: (...)``;
    None when its formula could not be traced (or ``op`` is not the registry's)."""
    spec = op.spec
    return _SOURCES.get((spec.name, op.params)) if isinstance(spec, OpSpec) else None


def foreign_calls(op: Op) -> tuple[str, ...]:
    """The names a registry op's traced derivative calls that are not, where the derivative was
    written, the registered function of that name (a helper defined after it, another name for
    an op): code that knows only the registered functions cannot run that formula."""
    spec = op.spec
    if not isinstance(spec, OpSpec) or (trees := TREES.get((spec.name, op.params))) is None:
        return ()
    scope = spec.derivative.__globals__
    return tuple(n for n in trees.late if n not in REGISTRY or scope.get(n) is not REGISTRY[n].function)
