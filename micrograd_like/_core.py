"""The core of the scalar reverse-mode autograd engine: ``Value``, its graph and the walks
over it. It knows no op: the ops (``+``, ``exp``, ...) are defined in ``_ops`` and
``functions`` through the registry, which install their methods on ``Value`` and mark
the commonest ops hot, so that ``backward()``'s sweep inlines their registered vjp.

Every arithmetic operation on a :class:`Value` records one node in a graph.
Two design rules keep that graph cheap and safe:

* **No reference cycles.** A node points at its inputs and at a shared, stateless
  ``Op`` that knows the local derivative. Nothing points back at the node, so a
  graph is freed by reference counting the moment its last Value is dropped,
  and Python's cyclic garbage collector never has graph garbage to hunt for.
* **No recursion.** Graph walks use explicit stacks, so a chain of a million
  operations backpropagates as happily as a chain of three.

An op's local derivative is its vector-Jacobian product ``vjp(g, out, *inputs)``,
which the registry makes from the op's one registration. Called with floats it
computes gradients; called with Values it records a new graph, which is how
``grad(..., create_graph=True)`` gives higher derivatives.

The internal API the package's other modules use (no leading underscore):
``node_parts``, ``backward_edges``, ``WALK_LOCK``, ``tracing``, ``derivative_error``,
``method_from_template`` and ``install_hot_ops``.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import math
import numbers
import sys
import textwrap
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ._checks import describe

__all__ = ["Value", "grad", "Number"]

Number = int | float


class Op:
    """A differentiable operation: its display name, its forward on floats, and its
    vector-Jacobian product.

    ``forward(*floats) -> float`` computes the op on plain numbers with the same
    checks and error messages as the ``Value`` method (replaying a recorded graph
    relies on that); ``vjp(g, out, *inputs)`` is described below the ops.

    ``formulas`` holds one readable string per input: the local derivative
    d(out)/d(input) written with ``x``, ``y`` (the inputs) and ``out`` (the result).
    Ops made by the registry also carry their ``spec`` and parameter values.
    """

    # __weakref__: caches of what is derived from an op (its trees, its compile templates)
    # forget it when the op is gone, so a parameter that changes every step leaks nothing.
    __slots__ = ("name", "forward", "vjp", "formulas", "spec", "params", "__weakref__")
    shared = True  # one op for many nodes, living as long as the registry

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        vjp: Callable[..., tuple],
        formulas: tuple[str, ...] = (),
        spec: object = None,
        params: tuple = (),
    ) -> None:
        self.name = name
        self.forward = forward
        self.vjp = vjp
        self.formulas = formulas
        self.spec = spec
        self.params = params

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


class _FloatRangeError(ValueError, OverflowError):
    """A number beyond the float range (a ValueError, and an OverflowError as before)."""


def _number_of(x: object) -> Any:
    """The number an ordering comparison reads: a Value's ``.data``, a real as is, else None."""
    if isinstance(x, Value):
        return x.data
    return x if is_real(x) else None


def is_real(x: object) -> bool:
    """The one rule for "a real number", shared by Value, the ops, gradcheck and expr.

    A :class:`numbers.Real` (int, bool, float, Fraction, numpy's registered scalars),
    or a numpy-style scalar that is not registered (``np.bool_``): shape ``()`` and a
    dtype of kind bool, int, unsigned or float.
    """
    if isinstance(x, numbers.Real):
        return True
    kind = getattr(getattr(x, "dtype", None), "kind", None)
    return kind in ("b", "i", "u", "f") and getattr(x, "shape", None) == ()


def abbreviated(x: object) -> str:
    """A short description of a huge number (str() of a huge int may even refuse)."""
    if isinstance(x, int):
        digits = int(abs(x).bit_length() * 0.30103) + 1
        return f"an int of about {digits} digits ({'-' if x < 0 else ''}~1e{digits - 1})"
    try:
        return describe(x)
    except ValueError:  # more digits than Python's int-to-str limit
        return f"a {type(x).__name__} too long to print"


def as_float(x: object, what: str) -> float:
    """Convert a real number (see ``is_real``) to float, or explain why ``x`` is not one."""
    if type(x) is float:  # the hot path: nearly every caller passes a float
        return x
    if is_real(x):
        try:
            return float(x)  # type: ignore[arg-type]
        except OverflowError:
            raise _FloatRangeError(
                f"{what} is {abbreviated(x)}, beyond the largest float ({sys.float_info.max:.4g}); "
                "scale it down (for example work in other units) before making a Value"
            ) from None
    hint = ""
    if isinstance(x, Value):
        traced = _traced_float(x)
        if traced is not None:
            return traced
        hint = f"; to start a new graph from its number, use Value({x.data!r}) (x.data)"
    elif isinstance(x, str):
        hint = f"; to parse text, convert it first: float({x!r})"
    elif isinstance(x, numbers.Complex):
        hint = "; complex numbers are not supported, use the real part (x.real) if that is what you mean"
    raise TypeError(f"{what} must be a real number (int or float), got {type(x).__name__} {x!r}{hint}")


# -- tracing: while ``micrograd_like.compile`` records a function, converting one of its
# traced argument numbers (a Value) gives a float that remembers which argument it was.
_TraceHook = Callable[[object], "float | None"]
_trace_hook: _TraceHook | None = None  # the dispatcher while any thread traces, else None
_hooks: dict[int, _TraceHook] = {}  # each tracing thread's hook
_hooks_lock = threading.Lock()


@contextmanager
def tracing(hook: _TraceHook) -> Iterator[None]:
    """While inside, in this thread only: converting a Value to a float (``Value(v)``,
    an op's number argument) asks ``hook(v)`` first; None from it means the usual error.
    Nests (the outer hook is back on exit) and threads trace independently."""
    thread = threading.get_ident()
    with _hooks_lock:
        previous = _hooks.get(thread)
        _hooks[thread] = hook
        _set_dispatcher()
    try:
        yield
    finally:
        with _hooks_lock:
            if previous is None:
                del _hooks[thread]
            else:
                _hooks[thread] = previous
            _set_dispatcher()


def _set_dispatcher() -> None:
    global _trace_hook
    _trace_hook = _dispatch if _hooks else None


def _dispatch(x: object) -> float | None:
    hook = _hooks.get(threading.get_ident())
    return None if hook is None else hook(x)


def _traced_float(x: object) -> float | None:
    """The float a tracing hook gives for the Value ``x``, else None."""
    hook = _trace_hook
    return None if hook is None else hook(x)


def _node_name(v: Value, with_data: bool = True) -> str:
    """How error messages name a node: its label, else its op and data."""
    if v.label:
        return f"Value {v.label!r}"
    kind = "leaf Value" if v._fn is None else f"Value made by {v.op!r}"
    if not with_data:  # the message shows the data anyway
        return f"the unlabelled {kind}"
    data = v.data
    shown = abbreviated(data) if isinstance(data, int) and data.bit_length() > 1024 else repr(data)
    return f"the unlabelled {kind} (data={shown})"


def bad_attribute(nodes: Iterable[Value], attrs: tuple = ("data", "grad")) -> Exception | None:
    """After a TypeError or OverflowError: the error naming the node whose ``.data`` or
    ``.grad`` was assigned a non-number (TypeError) or a number beyond the float range."""
    for v in nodes:
        for attr in attrs:
            x = getattr(v, attr)
            if type(x) is float:
                continue
            reset = ", or v.grad = 0.0 / model.zero_grad() to reset it)" if attr == "grad" else ")"
            if not is_real(x):
                return TypeError(
                    f"{_node_name(v)} has .{attr} = {describe(x)}, but .{attr} must be a float; "
                    f"assign a number (v.{attr} = float(...){reset}"
                )
            try:
                float(x)
            except OverflowError:  # v.data = 10**400: Value() refuses it, an assignment cannot
                return _FloatRangeError(
                    f"{_node_name(v, with_data=attr != 'data')} has .{attr} = {abbreviated(x)}, beyond the largest float "
                    f"({sys.float_info.max:.4g}); assign a number in the float range (scale it down{reset}"
                )
    return None


# A derivative that fails in a backward sweep (sqrt'(0) = 0.5 / 0) raises Python's bare
# "float division by zero"; these are rebuilt, same type, to name the op and the inputs.
BARE_MATH_ERRORS = (ZeroDivisionError, OverflowError, ValueError)


def derivative_error(node: Value, error: BaseException) -> BaseException:
    """After a derivative raised: the same error, saying which op at which inputs, and why.
    The traceback stays the original's, so a ``defop`` derivative's own line is shown."""
    op = node._fn
    if type(error) not in BARE_MATH_ERRORS or isinstance(op, _ClosureOp) or op is None:
        return error  # a user's closure, or an error type we cannot rebuild: as it is
    if not _all_floats(node, *node.children):
        return error  # .grad = 10**400 overflows in a sum, which is not the derivative's fault
    message = derivative_message(op, [float(child.data) for child in node.children], error)
    return type(error)(message).with_traceback(error.__traceback__)


def derivative_message(op: Op, inputs: Sequence[float], error: BaseException) -> str:
    """The words "the derivative of sqrt at x = 0.0 (0.5 / out) cannot be computed: <error>", with a fix
    after a bare math error (the registry says the same for a user op's other failures)."""
    at = ", ".join(f"{var} = {x!r}" for var, x in zip("xy", inputs))
    formula = f" ({', '.join(op.formulas)})" if op.formulas else ""
    message = f"the derivative of {op.name} at {at}{formula} cannot be computed: {error}"
    text = str(error)  # math's domain errors: "math domain error", from 3.14 "expected a positive input..."
    if isinstance(error, ArithmeticError) or text == "math domain error" or text.startswith("expected a"):
        if ";" not in text:  # Python's own message says what, not what to do
            message += "; keep the input away from that point (for example add a small epsilon: sqrt(x*x + 1e-12))"
    return message


def _all_floats(*nodes: Value) -> bool:
    """Whether every .data and .grad of ``nodes`` is a float or converts to one."""
    try:
        for v in nodes:
            float(v.data), float(v.grad)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def bad_data_error(error: Exception, *nodes: Value) -> Exception:
    """After an op failed: the error naming an input whose ``.data`` is no float, else ``error``."""
    return bad_attribute(nodes, ("data",)) or error


def data_of(x: object) -> float:
    """The float inside ``x``: lets a derivative formula inspect a value in both modes."""
    return x.data if isinstance(x, Value) else x  # type: ignore[return-value]


class Value:
    """A scalar that remembers how it was computed, so it can be differentiated.

    Args:
        data: Any real number (int, float, bool, numpy scalar, Fraction). It is
            stored as a Python float. NaN and infinities are allowed and
            propagate through every op.
        _children, _op: micrograd's constructor, ``Value(data, (a, b), "+")``: records
            up to two inputs and an op name for a node whose derivative is given by
            assigning ``node._backward = closure`` (without one, no gradient flows
            through it). ``Value(2.0, "x")`` still means the label ``"x"``.
        label: An optional name, shown by ``repr`` and by the graph drawings.

    Raises:
        TypeError: ``data`` is not a real number (a str, None, complex, list, ...).
        ValueError: ``data`` is beyond the float range (an int such as 10**400).

    Attributes:
        data: The value, a float. Assign floats only: an op or ``backward()`` that
            meets anything else raises a TypeError naming the node.
        grad: The accumulated derivative of whatever ``backward()`` was called on
            with respect to this value. Starts at 0.0; ``backward()`` *adds* to it,
            so reset it (``v.grad = 0.0``, or ``Module.zero_grad()``) between steps.
        label: The name given at construction (or assigned later).
    """

    # Inputs live in two slots rather than a tuple (every op is unary or binary):
    # one allocation per node instead of two, 96 bytes instead of 144, and less for
    # the garbage collector to track. ``_acc`` is scratch space for a backward sweep.
    # For speed, nodes are built without __init__ in three places that must set every slot
    # but ``_label`` (left empty when unlabelled): ``make_node``, ``lift_operand``'s float constant and
    # ``_METHOD_TEMPLATE``, which every operator and op method is generated from.
    # tests/test_engine_robust.py checks them all.
    __slots__ = ("data", "grad", "_label", "_fn", "_a", "_b", "_acc", "__weakref__")

    def __init__(self, data: Number, _children: Iterable[Value] | None = None, _op: str = "", label: str = "") -> None:
        self.data = as_float(data, "Value(data)")
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__} {label!r}")
        self.grad = 0.0
        if label:
            self._label = label
        self._fn: Op | None = None
        # The inputs: Value or None. Typed Any because the graph machinery reads them only
        # on nodes whose op says they are set, and a check per read would cost the hot path.
        self._a: Any = None
        self._b: Any = None
        self._acc: Any = None  # scratch for a walk: a mark, a gradient (float or Value) or None
        if _children is not None:  # micrograd's Value(data, (a, b), "+")
            _attach(self, _children, _op)

    # An unlabelled node (nearly every node) leaves its ``_label`` slot empty: one store
    # fewer per node, and one reference fewer for the garbage collector to visit.
    @property
    def label(self) -> str:
        try:
            return self._label
        except AttributeError:
            return ""

    @label.setter
    def label(self, label: str) -> None:
        self._label = label

    # -- read-only views of the graph -------------------------------------------------
    @property
    def op(self) -> str:
        """Name of the operation that produced this value; ``""`` for a leaf."""
        return self._fn.name if self._fn is not None else ""

    @property
    def children(self) -> tuple[Value, ...]:
        """The input Values of the producing op, in argument order (``()`` for a leaf)."""
        a, b = self._a, self._b
        return () if a is None else (a,) if b is None else (a, b)

    # micrograd's names for the same two facts, so code written against micrograd
    # internals (its draw_dot, for one) runs unchanged.
    @property
    def _op(self) -> str:
        return self.op

    @property
    def _prev(self) -> set[Value]:
        return set(self.children)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        op = f", op={self.op!r}" if self._fn is not None else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label}{op})"

    # -- arithmetic: the operators' dunders are installed by _ops, generated from
    # ``_METHOD_TEMPLATE``; these declarations are for type checkers only.
    def __pos__(self) -> Value:
        return self

    if TYPE_CHECKING:

        def __add__(self, other: Value | Number) -> Value: ...
        def __mul__(self, other: Value | Number) -> Value: ...
        def __sub__(self, other: Value | Number) -> Value: ...
        def __truediv__(self, other: Value | Number) -> Value: ...
        def __pow__(self, exponent: Value | Number) -> Value: ...
        def __radd__(self, other: Number) -> Value: ...
        def __rmul__(self, other: Number) -> Value: ...
        def __rsub__(self, other: Number) -> Value: ...
        def __rtruediv__(self, other: Number) -> Value: ...
        def __rpow__(self, other: Number) -> Value: ...
        def __neg__(self) -> Value: ...

    # -- comparisons: < <= > >= compare .data and give a bool (as a 0-d tensor does); ----
    # == stays identity, as in micrograd, so Values work as set members and dict keys.
    def __lt__(self, other: object) -> bool:
        n = _number_of(other)
        return NotImplemented if n is None else self.data < n

    def __le__(self, other: object) -> bool:
        n = _number_of(other)
        return NotImplemented if n is None else self.data <= n

    def __gt__(self, other: object) -> bool:
        n = _number_of(other)
        return NotImplemented if n is None else self.data > n

    def __ge__(self, other: object) -> bool:
        n = _number_of(other)
        return NotImplemented if n is None else self.data >= n

    # -- elementary functions ------------------------------------------------------------
    # exp, log, tanh, sigmoid, relu (and every op of micrograd_like.functions) are
    # added by the registry; these declarations are for type checkers only.
    if TYPE_CHECKING:

        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def tanh(self) -> Value: ...
        def sigmoid(self) -> Value: ...
        def relu(self) -> Value: ...
        def step(self) -> Value: ...
        def sign(self) -> Value: ...
        def abs(self) -> Value: ...
        def __abs__(self) -> Value: ...
        def sin(self) -> Value: ...
        def cos(self) -> Value: ...
        def sqrt(self) -> Value: ...
        def softplus(self) -> Value: ...
        def leaky_relu(self, slope: float = 0.01) -> Value: ...
        def log1p(self) -> Value: ...
        def expm1(self) -> Value: ...

    # -- differentiation ---------------------------------------------------------------
    def backward(self) -> None:
        """Backpropagate from this value, adding d(self)/d(node) into every node's ``.grad``.

        The seed d(self)/d(self) = 1.0 is added to ``self.grad`` like every other
        gradient. Gradients *accumulate* (as in PyTorch): call ``zero_grad()`` on
        your model, or set ``v.grad = 0.0``, before the next backward if you do not
        want the sum of both.

        All or nothing: if anything fails (a derivative that cannot be computed, such
        as x ** 0.5 at x = 0, a ``.grad`` that is not a number, even Ctrl-C), every
        ``.grad`` is left exactly as it was. Thread-safe: backward passes and
        ``grad()`` calls from several threads may share nodes; they run one at a
        time (a process-wide lock), so each gives the same numbers as alone.
        """
        _backprop(self, 1.0, False, None)

    def _chain_rule(self) -> None:
        """Apply this node's chain rule once (see ``_backward``)."""
        op, a, b = self._fn, self._a, self._b
        if op is None:
            return
        g = self.grad
        try:
            grads = op.vjp(g, self.data, a.data) if b is None else op.vjp(g, self.data, a.data, b.data)
            sums: list[tuple[Value, Any]] = []  # every sum first, so that a failing one changes nothing
            for i, child in backward_edges(self):
                before = sums[-1][1] if sums and sums[-1][0] is child else child.grad  # x * x: a's sum on b's
                sums.append((child, before + grads[i]))
            for child, total in sums:
                child.grad = total
        except TypeError as e:
            raise (bad_attribute(self.children + (self,)) or e) from None
        except BARE_MATH_ERRORS as e:
            bad = bad_attribute(self.children + (self,)) if isinstance(e, OverflowError) else None
            raise (bad or derivative_error(self, e)) from None

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's by-hand step: ``node._backward()`` adds ``node.grad`` times each
        local derivative into its inputs' ``.grad`` (a leaf does nothing).

        Calling it on every node in reverse topological order, after setting the
        root's ``.grad`` to 1, gives what ``backward()`` gives. Assigning a function
        (``out._backward = fn``, micrograd's way of adding an op by hand) makes the
        node differentiate by calling it, first order only; see the README.
        """
        fn = self._fn
        if type(fn) is _ClosureOp:
            return fn.closure if fn.closure is not None else _nothing
        return self._chain_rule

    @_backward.setter
    def _backward(self, closure: Callable[[], None]) -> None:
        if not callable(closure):
            raise TypeError(f"_backward must be a function of no arguments, got {describe(closure)}")
        if self._a is None:
            raise ValueError(
                f"{_node_name(self)} is a leaf, so a _backward function would never run; "
                "create the node with its inputs: Value(data, (a, b), 'op')"
            )
        self._fn = _ClosureOp(self.op, closure, self)


def _nothing() -> None:
    return None


class _ClosureOp(Op):
    """The op of a node made micrograd's way: ``Value(data, children, op)`` plus an
    optional ``out._backward = closure``.

    Its vjp calls the closure with the node's gradient in ``.grad`` and turns the
    change it makes to the inputs' ``.grad`` into their contributions, restoring
    every ``.grad`` afterwards. Floats only: there is no formula to record for
    higher derivatives. The closure usually refers to the node, a reference cycle
    that the garbage collector frees; built-in ops have none.
    """

    __slots__ = ("closure", "node")
    shared = False  # one node's op, holding the user's closure: compiled code must not cache it

    def __init__(self, name: str, closure: Callable[[], None] | None, node: Value) -> None:
        self.name = name
        self.closure = closure
        self.node = weakref.ref(node)

    def forward(self, *inputs: float) -> float:
        raise NotImplementedError(
            f"the op {self.name!r} was defined by a _backward closure and has no forward "
            "formula to replay; define it with micrograd_like.defop(...) instead"
        )

    def vjp(self, g, out, *inputs):
        node = self.node()
        if isinstance(g, Value) or node is None:
            what = _node_name(node) if node is not None else f"a node made by {self.name!r}"
            raise NotImplementedError(
                f"cannot take a higher derivative through {what}: its derivative is a "
                "_backward closure, which works on floats only (first order); define the "
                "op with micrograd_like.defop(...) to get create_graph=True through it"
            )
        return _run_closure(node, self.closure, g)


def _run_closure(node: Value, closure: Callable[[], None] | None, g: float) -> tuple:
    """Call a user closure with ``node.grad = g`` and the inputs' ``.grad`` at 0; return
    what it added to each input, leaving every ``.grad`` as it was."""
    a, b = node._a, node._b
    saved = (node.grad, a.grad, b.grad if b is not None else None)
    try:
        node.grad, a.grad = g, 0.0
        if b is not None:
            b.grad = 0.0
        if closure is not None:
            closure()
        ga = as_float(a.grad, f"the gradient the _backward of {_node_name(node)} gave its input")
        gb = 0.0 if b is None or b is a else as_float(b.grad, "the gradient it gave its second input")
    finally:
        if b is not None:
            b.grad = saved[2]
        node.grad, a.grad = saved[0], saved[1]
    return (ga,) if b is None else (ga, gb)


def _attach(node: Value, children: Iterable[Value], op: str) -> None:
    """micrograd's constructor: ``Value(data, (a, b), '+')`` records the inputs and the op name."""
    if type(children) is str:  # Value(2.0, "x"): a label, as before micrograd's signature
        if node.label:
            raise TypeError(f"Value got two labels, {children!r} and label={node.label!r}; pass one")
        node.label = children
        return
    if not isinstance(op, str):
        raise TypeError(f"Value's _op must be a str naming the op, got {describe(op)}")
    try:
        inputs = tuple(children)
    except TypeError:
        raise TypeError(f"Value's _children must be a tuple of Values, got {describe(children)}") from None
    for x in inputs:
        if not isinstance(x, Value):
            raise TypeError(f"Value's _children must be Values, got {describe(x)}; wrap numbers: Value(x)")
    if len(inputs) > 2:
        raise ValueError(
            f"a node has at most 2 inputs here, got {len(inputs)} _children; "
            "split the op into binary steps, or define it with micrograd_like.defop(...)"
        )
    if inputs:
        node._a, node._b = inputs[0], (inputs[1] if len(inputs) == 2 else None)
        node._fn = _ClosureOp(op, None, node)


# -- construction helpers (the hot path) -----------------------------------------------


def make_node(data: float, op: Op | None, a: Value | None, b: Value | None = None) -> Value:
    """Build a Value without re-validating data that ops produced themselves.

    With ``op`` and ``a`` None it is a leaf, for constants that are already floats.
    """
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v._fn = op
    v._a = a
    v._b = b
    v._acc = None
    return v


_new = object.__new__

# The one template of every generated method that builds a node (``x + y``, ``x / y``,
# ``-x``, ``x.exp()``): the node is built inline, a call fewer per node than ``make_node``.
# ``{data}`` is the forward written on ``self.data`` (and ``other.data``); a binary
# method first lifts a plain number to a leaf.
_METHOD_TEMPLATE = """\
def {name}(self{other}):
{lift}    v = _new(Value)
    try:
        v.data = {data}
    except (TypeError, OverflowError) as e:  # free when nothing is raised; names a bad v.data = ...
        raise bad_data_error(e, self{inputs}) from None
    v.grad = 0.0
    v._fn = _op
    v._a = self
    v._b = {b}
    v._acc = None
    return v
"""
_LIFT = "    if type(other) is not Value:\n        other = lift_operand(other, {symbol!r})\n"


def method_from_template(name: str, op: Op, data: str, forward: Callable | None = None, symbol: str = "") -> Callable:
    """A method building ``op``'s node inline from ``_METHOD_TEMPLATE``: unary when ``symbol``
    is empty, else binary (``other`` lifted, named by ``symbol`` in errors). ``data`` is the
    forward as an expression of ``self.data``, ``other.data`` and ``_forward`` (= ``forward``)."""
    binary = bool(symbol)
    source = _METHOD_TEMPLATE.format(
        name=name,
        other=", other" if binary else "",
        lift=_LIFT.format(symbol=symbol) if binary else "",
        data=data,
        inputs=", other" if binary else "",
        b="other" if binary else "None",
    )
    namespace = {"_new": _new, "Value": Value, "lift_operand": lift_operand, "bad_data_error": bad_data_error}
    namespace |= {"_op": op, "_forward": forward}
    return _exec_source(source, f"<micrograd_like method {name}>", namespace)[name]


def _exec_source(source: str, filename: str, namespace: dict) -> dict:
    """Run generated source in ``namespace``; its lines go to ``linecache`` so that a
    traceback through the generated code shows them."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)  # our own template, never user text
    return namespace


def unary_method(op: Op, forward: Callable[[float], float]) -> Callable[[Value], Value]:
    """The Value method of a registered one-input op (``x.exp()``), from the one template."""
    return method_from_template("method", op, "_forward(self.data)", forward)


def lift_operand(x: object, op: str) -> Value:
    """Wrap a plain number as a leaf Value; refuse anything that is not a real number."""
    if isinstance(x, Value):
        return x
    if type(x) is float:  # a constant such as the 0.9 in y * 0.9: already valid; inline make_node
        v = _new(Value)
        v.data = x
        v.grad = 0.0
        v._fn = v._a = v._b = v._acc = None
        return v
    if type(x) is int:  # the 0 that sum() starts from
        try:
            return make_node(float(x), None, None)
        except OverflowError:
            pass  # Value() explains it
    return Value(as_float(x, f"the other operand of {op} (a Value or a real number)"))


def checked_pow(base: float, exponent: float) -> float:
    """base ** exponent over the reals, with errors that name the operands."""
    if base < 0.0 and not exponent.is_integer() and math.isfinite(exponent):
        raise ValueError(
            f"{base!r} ** {exponent!r} is not a real number (negative base, non-integer "
            "exponent); use an integer exponent or make the base positive"
        )
    try:
        return base**exponent
    except ZeroDivisionError:
        raise ZeroDivisionError(
            f"0.0 cannot be raised to the negative power {exponent!r}; make sure the base cannot be 0"
        ) from None
    except OverflowError:
        raise OverflowError(
            f"{base!r} ** {exponent!r} overflows a float; scale the base or the exponent down"
        ) from None


# -- the graph machinery ------------------------------------------------------------------


def _topological_order(root: Value, mark: object) -> list[Value]:
    """Every node reachable from ``root``, inputs before the nodes computed from them.

    An explicit-stack depth-first walk (children in argument order), so depth is
    unlimited and the order depends only on the graph's shape, never on memory
    addresses. Visited nodes are marked by setting ``_acc`` to ``mark``. The node
    being expanded is kept in a local (the stack holds only the nodes to resume), and
    a resumed node has its first input done already, so the inner loop looks only at
    its second: each step down is one push, each step back one pop, no re-reads.
    """
    order: list[Value] = []
    stack: list[Value] = []  # list methods called by name: the interpreter specialises those
    root._acc = mark
    node = root
    try:
        while True:
            a = node._a  # a fresh node: go down its first inputs as far as they are new
            while a is not None and a._acc is not mark:
                a._acc = mark
                stack.append(node)
                node = a
                a = node._a
            while True:  # node's first input is done: its second, else node itself
                b = node._b
                if b is not None and b._acc is not mark:
                    b._acc = mark
                    stack.append(node)
                    node = b
                    break
                order.append(node)
                if not stack:
                    return order
                node = stack.pop()
    except BaseException:  # KeyboardInterrupt, MemoryError: leave no marks behind
        for marked in order + stack + [node, root]:
            marked._acc = None
            for child in (marked._a, marked._b):
                if child is not None and child._acc is mark:
                    child._acc = None
        raise


def _sweep(order: list[Value], seed, create_graph: bool, mark: object) -> None:
    """Reverse-mode sweep: leave d(root)/d(node) in every node's ``_acc``.

    ``order`` ends with the root; every other node still holds ``mark``, meaning
    "no gradient yet". Each node's gradient is complete before it is passed down,
    because every node that consumes it comes later in ``order``.
    """
    order[-1]._acc = seed
    try:
        for node in reversed(order):
            op = node._fn
            if op is None:
                continue
            g = node._acc
            a, b = node._a, node._b
            if b is None:
                if create_graph:
                    (ga,) = op.vjp(g, node, a)
                else:
                    (ga,) = op.vjp(g, node.data, a.data)
            else:
                if create_graph:
                    ga, gb = op.vjp(g, node, a, b)
                else:
                    ga, gb = op.vjp(g, node.data, a.data, b.data)
                acc = b._acc  # backward_edges' order, written out: a call per node costs grad() ~70 %
                b._acc = gb if acc is mark else acc + gb
            acc = a._acc
            a._acc = ga if acc is mark else acc + ga
    except BARE_MATH_ERRORS as e:
        raise derivative_error(node, e) from None


def backward_edges(node: Value) -> tuple[tuple[int, Value], ...]:
    """``(position, input)`` for each input of ``node``, in the order every sweep adds their
    gradient contributions: the second input before the first. When both inputs are one
    node (``x * x``) it is listed twice, and each contribution adds to what the one before left."""
    a, b = node._a, node._b
    if b is not None:
        return ((1, b), (0, a))
    return () if a is None else ((0, a),)


# Every walk uses the nodes' ``_acc`` slots as scratch, so two walks over shared nodes
# must not overlap: one process-wide lock, held for the whole walk (one acquire per
# backward, nothing per node). Re-entrant, so that a walk started from inside another
# (a user's _backward closure calling backward()) gets a clear error, not a deadlock.
WALK_LOCK = threading.RLock()
_walking = [False]


def _nested_walk() -> RuntimeError:
    return RuntimeError(
        "backward(), grad() or iter_graph() was called while a backward pass was running "
        "in the same thread (from a _backward closure?); call it after that pass"
    )


def _backprop(root: Value, seed, create_graph: bool, inputs: Sequence[Value] | None):
    """Run a sweep from ``root``; add into ``.grad`` (inputs None) or return inputs' grads.

    All or nothing: if anything raises (a derivative, a ``.grad`` that is not a
    number, KeyboardInterrupt), every ``.grad`` is as before and every scratch slot
    is cleared, so no gradient graph is left hanging off a node.
    """
    mark = object()
    with WALK_LOCK:  # another thread's walk finishes first
        if _walking[0]:
            raise _nested_walk()
        _walking[0] = True
        try:
            order = _topological_order(root, mark)  # clears its own marks if it is interrupted
            try:
                if inputs is None:
                    _sweep_into_grad(order, seed, mark)
                else:
                    _sweep(order, seed, create_graph, mark)
            except BaseException as e:
                _clear(order)
                attrs = ("data", "grad") if inputs is None else ("data",)  # grad() reads no .grad
                bad = bad_attribute(order, attrs) if isinstance(e, (TypeError, OverflowError)) else None
                raise bad or e from None
            if inputs is None:
                return _apply(order)
            # An input that root does not depend on was never marked: its derivative is 0.
            zero = Value if create_graph else float
            result = [zero(0.0) if x._acc is None else x._acc for x in inputs]
            _clear(order)
            return result
        finally:
            _walking[0] = False


def _clear(order: list[Value]) -> None:
    for node in order:
        node._acc = None


# -- backward()'s sweep, generated ------------------------------------------------------
# A loop that calls each node's vjp, with one inline branch (no call, no tuple) per op
# marked hot, written from that op's registered vjp text by ``install_hot_ops``: the
# calculus comes from the registry, the engine only substitutes node parts for names.
_SWEEP_TEMPLATE = """\
def _sweep_into_grad(order, seed, mark):
    \"\"\"``_sweep`` for ``backward()`` (floats), leaving in each node's slot its
    new ``.grad``: the old one plus d(root)/d(node), so that applying cannot fail.
    Generated by micrograd_like._core.install_hot_ops: hot ops inline, others call their vjp.\"\"\"
{bind}    order[-1]._acc = seed
    try:
        for node in reversed(order):
            g = node._acc
            node._acc = node.grad + g
            op = node._fn
            if op is None:
                continue
            a, b = node._a, node._b
{branches}            if b is None:
                (ga,) = op.vjp(g, node.data, a.data)
            else:
                ga, gb = op.vjp(g, node.data, a.data, b.data)
                acc = b._acc
                b._acc = gb if acc is mark else acc + gb
            acc = a._acc
            a._acc = ga if acc is mark else acc + ga
    except BARE_MATH_ERRORS as e:  # free when nothing is raised
        raise derivative_error(node, e) from None
"""
# Where the vjp text's names are read from in the sweep, and the local a repeated one gets.
_READS = {"_g": "g", "_out": "node.data", "_x": "a.data", "_y": "b.data"}
_LOCALS = {"_g": "g", "_out": "out", "_x": "x", "_y": "y"}


class _Inline(ast.NodeTransformer):
    """A vjp's terms with the sweep's reads for its parameters; a function it calls is
    written out when its body is one ``return`` and its arguments are parameters, else
    called through a local ``fn_<name>``."""

    def __init__(self, reads: dict[str, str], functions: Callable[[str], Callable]) -> None:
        self.reads, self.functions = reads, functions
        self.calls: set[str] = set()
        self.guarded: set[str] = set()
        self.globals: dict[str, object] = {}

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise ValueError(f"cannot inline the call {ast.unparse(node)}")
        self.guarded |= {n.id for arg in node.args for n in ast.walk(arg) if isinstance(n, ast.Name)}
        plain = all(isinstance(arg, ast.Name) for arg in node.args)  # written out, nothing is evaluated twice
        args = [self.visit(arg) for arg in node.args]
        body = _written_out(self.functions(node.func.id), args, self.globals) if plain else None
        if body is not None:
            return body
        self.calls.add(node.func.id)
        return ast.Call(ast.Name("fn_" + node.func.id, ast.Load()), args, [])

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id not in self.reads:
            raise ValueError(f"cannot inline the name {node.id!r}")
        return ast.parse(self.reads[node.id], mode="eval").body


def _written_out(function: Callable, args: list[ast.expr], names: dict[str, object]) -> ast.expr | None:
    """``function``'s one returned expression with ``args`` for its parameters (its globals
    go into ``names``), or None when it is not a plain ``def f(x): return <expression>``."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function))).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return None
    if not (isinstance(tree, ast.FunctionDef) and len(tree.body) == 1 and isinstance(tree.body[0], ast.Return)):
        return None
    params, signature = [a.arg for a in tree.args.args], tree.args
    if (
        signature.defaults
        or signature.vararg
        or signature.kwonlyargs
        or tree.decorator_list
        or len(params) != len(args)
    ):
        return None
    expression = tree.body[0].value
    scope: dict[str, object] = getattr(function, "__globals__", {})
    free = {n.id for n in ast.walk(expression) if isinstance(n, ast.Name)} - set(params) if expression else set()
    if expression is None or function.__code__.co_freevars or not free <= set(scope):
        return None
    if any(names.get(f"w_{name}", scope[name]) is not scope[name] for name in free):
        return None  # two written-out functions with different meanings for one name
    names.update((f"w_{name}", scope[name]) for name in free)  # w_: no clash with the sweep's names
    values = {name: ast.Name(f"w_{name}", ast.Load()) for name in free} | dict(zip(params, args))
    return _Substitute(values).visit(expression)


class _Substitute(ast.NodeTransformer):
    """An expression with other expressions for some of its names."""

    def __init__(self, values: dict[str, ast.expr]) -> None:
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return self.values.get(node.id, node)


def _branch(index: int, name: str, text: str, functions: Callable[[str], Callable]) -> tuple[list[str], set[str], dict]:
    """The lines of hot op ``index``'s branch (it is the local ``hot{index}``), the functions
    it calls and the globals of those it writes out. Inputs passed to a function are guarded
    to be floats (else the op's vjp runs), so that the function's float forward is right."""
    tree = ast.parse(text, mode="eval").body
    if not (isinstance(tree, ast.Lambda) and isinstance(tree.body, ast.Tuple)):
        raise ValueError(f"the vjp of {name} is not a lambda of a tuple: {text}")
    params = [arg.arg for arg in tree.args.args]
    names = [n.id for n in ast.walk(tree.body) if isinstance(n, ast.Name)]
    hoisted = {p for p in params[1:] if names.count(p) > 1}
    inline = _Inline({p: _LOCALS[p] if p in hoisted else _READS[p] for p in params}, functions)
    terms = [ast.unparse(inline.visit(term)) for term in tree.body.elts]
    guard = "".join(f" and type({_READS[p]}) is float" for p in params if p in inline.guarded)
    lines = [f"if op is hot{index}{guard}:  # {name}: {text}"]
    lines += [f"    {_LOCALS[p]} = {_READS[p]}" for p in params if p in hoisted]
    grads = []
    for var, term in zip(("ga", "gb"), terms):
        if term != "g":
            lines.append(f"    {var} = {term}")
        grads.append(term if term == "g" else var)
    for child, contribution in reversed(list(zip("ab", grads))):  # b before a, as backward_edges
        lines += [
            f"    acc = {child}._acc",
            f"    {child}._acc = {contribution} if acc is mark else acc + {contribution}",
        ]
    lines.append("    continue")
    return [" " * 12 + line for line in lines], inline.calls, inline.globals


def install_hot_ops(hot: Sequence[tuple[Op, str]], functions: Callable[[str], Callable]) -> None:
    """Regenerate ``backward()``'s sweep with an inline branch for each ``(op, vjp text)``,
    in that order (commonest first). ``functions(name)`` gives the float function a vjp
    text calls by ``name``. The text is ``lambda _g, _out, _x[, _y]: (term, ...)``."""
    bind, branches, calls = [], [], set()
    names: dict[str, object] = {}
    for index, (op, text) in enumerate(hot):
        lines, used, written_out = _branch(index, op.name, text, functions)
        branches += lines
        calls |= used
        names |= written_out
    if hot:
        bind.append(f"    {', '.join(f'hot{i}' for i in range(len(hot)))}, = _HOT")
    bind += [f"    fn_{name} = _FN[{name!r}]" for name in sorted(calls)]
    source = _SWEEP_TEMPLATE.format(
        bind="".join(f"{line}\n" for line in bind), branches="".join(f"{line}\n" for line in branches)
    )
    namespace = names | {"_HOT": tuple(op for op, _ in hot), "_FN": {name: functions(name) for name in calls}}
    namespace |= {"BARE_MATH_ERRORS": BARE_MATH_ERRORS, "derivative_error": derivative_error}
    global _sweep_into_grad, _SWEEP_SOURCE, _HOT_OPS
    _sweep_into_grad = _exec_source(source, "<micrograd_like backward sweep>", namespace)["_sweep_into_grad"]
    _SWEEP_SOURCE, _HOT_OPS = source, tuple(op for op, _ in hot)


_SWEEP_SOURCE = ""
_HOT_OPS: tuple[Op, ...] = ()
_sweep_into_grad: Callable[[list[Value], float, object], None]
_NO_FUNCTIONS: dict[str, Callable] = {}
install_hot_ops((), _NO_FUNCTIONS.__getitem__)  # the plain loop, until _ops defines the ops


def _apply(order: list[Value]) -> None:
    """Store the new gradients that ``_sweep_into_grad`` left and clear the slots. This
    cannot fail; if Ctrl-C lands in it, it is finished before the interrupt goes on."""
    try:
        for node in order:
            node.grad = node._acc
            node._acc = None
    except BaseException:
        for node in order:  # finish: a node still holding its new gradient gets it
            if node._acc is not None:
                node.grad = node._acc
                node._acc = None
        raise


def grad(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> list:
    """Derivatives of ``output`` with respect to each of ``inputs``, touching no ``.grad``.

    Args:
        output: The Value to differentiate.
        inputs: The Values to differentiate with respect to (leaves or intermediate
            nodes). An input that ``output`` does not depend on gets 0.
        create_graph: If False, return floats. If True, return Values that are
            themselves part of a graph, so they can be differentiated again:
            ``grad(grad(y, [x], create_graph=True)[0], [x])`` is d²y/dx².

    Returns:
        A list with one derivative per input, in the same order.

    Raises:
        TypeError: ``output`` or an element of ``inputs`` is not a Value.

    Safe to call from several threads at once, on graphs that share nodes: walks
    take turns (a process-wide lock), so each result is what it would be alone.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad(output, ...) needs a Value as output, got {type(output).__name__} {output!r}")
    inputs = list(inputs) if not isinstance(inputs, Value) else [inputs]
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(
                f"grad(..., inputs) needs Values, but inputs[{i}] is {type(x).__name__} {x!r}; "
                "pass the Value objects the output was computed from"
            )
    seed = Value(1.0) if create_graph else 1.0
    return _backprop(output, seed, create_graph, inputs)


def iter_graph(root: Value) -> Iterable[Value]:
    """Every Value that ``root`` was computed from (root included), each once.

    Inputs come before the nodes computed from them, and ``root`` comes last. The
    order is deterministic (depth-first from ``root``, children in argument order),
    the walk is iterative, so graphs of any depth are fine, and it is thread-safe
    like ``backward()``.
    """
    if not isinstance(root, Value):
        raise TypeError(f"iter_graph needs a Value, got {type(root).__name__} {root!r}")
    mark = object()
    with WALK_LOCK:
        if _walking[0]:
            raise _nested_walk()
        order = _topological_order(root, mark)  # clears its own marks if it is interrupted
        _clear(order)
    return iter(order)


# The ops beyond the engine's own (sin, sqrt, abs, ...) are registered in functions.py; import


# -- the internal API: what the package's other modules use, by name ---------------------

# ``WALK_LOCK``, ``derivative_error``, ``backward_edges``, ``tracing`` and the float helpers
# (``as_float``, ``is_real``, ``bad_attribute``, ``BARE_MATH_ERRORS``, ``make_node``, ``Op``)
# are defined above, where they belong; docs/architecture.md lists them all.


def node_parts(node: Value) -> tuple[Op | None, tuple[Value, ...]]:
    """``(op, inputs)`` of a node: its ``Op`` (None for a leaf) and its input Values in argument order."""
    return node._fn, node.children
