"""A scalar reverse-mode autograd engine.

Every arithmetic operation on a :class:`Value` records one node in a graph.
Two design rules keep that graph cheap and safe:

* **No reference cycles.** A node points at its inputs and at a shared, stateless
  ``_Op`` that knows the local derivative. Nothing points back at the node, so a
  graph is freed by reference counting the moment its last Value is dropped,
  and Python's cyclic garbage collector never has graph garbage to hunt for.
* **No recursion.** Graph walks use explicit stacks, so a chain of a million
  operations backpropagates as happily as a chain of three.

The graph machinery (``_topological_order``, ``_sweep``) knows no calculus. Each
op's local derivative is written exactly once, beside its forward, as a
vector-Jacobian product ``vjp(g, out, *inputs)`` built from ordinary arithmetic.
Called with floats it computes gradients; called with Values it records a new
graph, which is how ``grad(..., create_graph=True)`` gives higher derivatives.
"""

from __future__ import annotations

import math
import numbers
import operator
import sys
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ._checks import describe

__all__ = ["Value", "grad", "Number"]

Number = int | float


class _Op:
    """A differentiable operation: its display name, its forward on floats, and its
    vector-Jacobian product.

    ``forward(*floats) -> float`` computes the op on plain numbers with the same
    checks and error messages as the ``Value`` method (replaying a recorded graph
    relies on that); ``vjp(g, out, *inputs)`` is described below the ops.

    ``formulas`` holds one readable string per input: the local derivative
    d(out)/d(input) written with ``x``, ``y`` (the inputs) and ``out`` (the result).
    Ops made by the registry also carry their ``spec`` and parameter values.
    """

    __slots__ = ("name", "forward", "vjp", "formulas", "spec", "params")
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
        return f"_Op({self.name!r})"


class _FloatRangeError(ValueError, OverflowError):
    """A number beyond the float range (a ValueError, and an OverflowError as before)."""


def _number_of(x: object) -> Any:
    """The number an ordering comparison reads: a Value's ``.data``, a real as is, else None."""
    if isinstance(x, Value):
        return x.data
    return x if _is_real(x) else None


def _is_real(x: object) -> bool:
    """The one rule for "a real number", shared by Value, the ops, gradcheck and expr.

    A :class:`numbers.Real` (int, bool, float, Fraction, numpy's registered scalars),
    or a numpy-style scalar that is not registered (``np.bool_``): shape ``()`` and a
    dtype of kind bool, int, unsigned or float.
    """
    if isinstance(x, numbers.Real):
        return True
    kind = getattr(getattr(x, "dtype", None), "kind", None)
    return kind in ("b", "i", "u", "f") and getattr(x, "shape", None) == ()


def _abbreviated(x: object) -> str:
    """A short description of a huge number (str() of a huge int may even refuse)."""
    if isinstance(x, int):
        digits = int(abs(x).bit_length() * 0.30103) + 1
        return f"an int of about {digits} digits ({'-' if x < 0 else ''}~1e{digits - 1})"
    try:
        return describe(x)
    except ValueError:  # more digits than Python's int-to-str limit
        return f"a {type(x).__name__} too long to print"


def _as_float(x: object, what: str) -> float:
    """Convert a real number (see ``_is_real``) to float, or explain why ``x`` is not one."""
    if type(x) is float:  # the hot path: nearly every caller passes a float
        return x
    if _is_real(x):
        try:
            return float(x)  # type: ignore[arg-type]
        except OverflowError:
            raise _FloatRangeError(
                f"{what} is {_abbreviated(x)}, beyond the largest float ({sys.float_info.max:.4g}); "
                "scale it down (for example work in other units) before making a Value"
            ) from None
    hint = ""
    if isinstance(x, Value):
        if _trace_hook is not None:  # compile.py is recording: Value(x) of a traced number
            traced = _trace_hook(x)  # None: the recording is another thread's
            if traced is not None:
                return traced
        hint = f"; to start a new graph from its number, use Value({x.data!r}) (x.data)"
    elif isinstance(x, str):
        hint = f"; to parse text, convert it first: float({x!r})"
    elif isinstance(x, numbers.Complex):
        hint = "; complex numbers are not supported, use the real part (x.real) if that is what you mean"
    raise TypeError(f"{what} must be a real number (int or float), got {type(x).__name__} {x!r}{hint}")


# While ``micrograd_like.compile`` records a function, converting one of its traced
# argument numbers (a Value) gives a float that remembers which argument it was.
_trace_hook: Callable[[object], float | None] | None = None


def _node_name(v: Value, with_data: bool = True) -> str:
    """How error messages name a node: its label, else its op and data."""
    if v.label:
        return f"Value {v.label!r}"
    kind = "leaf Value" if v._fn is None else f"Value made by {v.op!r}"
    if not with_data:  # the message shows the data anyway
        return f"the unlabelled {kind}"
    data = v.data
    shown = _abbreviated(data) if isinstance(data, int) and data.bit_length() > 1024 else repr(data)
    return f"the unlabelled {kind} (data={shown})"


def _bad_attribute(nodes: Iterable[Value], attrs: tuple = ("data", "grad")) -> Exception | None:
    """After a TypeError or OverflowError: the error naming the node whose ``.data`` or
    ``.grad`` was assigned a non-number (TypeError) or a number beyond the float range."""
    for v in nodes:
        for attr in attrs:
            x = getattr(v, attr)
            if type(x) is float:
                continue
            reset = ", or v.grad = 0.0 / model.zero_grad() to reset it)" if attr == "grad" else ")"
            if not _is_real(x):
                return TypeError(
                    f"{_node_name(v)} has .{attr} = {describe(x)}, but .{attr} must be a float; "
                    f"assign a number (v.{attr} = float(...){reset}"
                )
            try:
                float(x)
            except OverflowError:  # v.data = 10**400: Value() refuses it, an assignment cannot
                return _FloatRangeError(
                    f"{_node_name(v, with_data=attr != 'data')} has .{attr} = {_abbreviated(x)}, beyond the largest float "
                    f"({sys.float_info.max:.4g}); assign a number in the float range (scale it down{reset}"
                )
    return None


# A derivative that fails in a backward sweep (sqrt'(0) = 0.5 / 0) raises Python's bare
# "float division by zero"; these are rebuilt, same type, to name the op and the inputs.
_BARE_MATH_ERRORS = (ZeroDivisionError, OverflowError, ValueError)


def _derivative_error(node: Value, error: BaseException) -> BaseException:
    """After a derivative raised: the same error, saying which op at which inputs, and why.
    The traceback stays the original's, so a ``defop`` derivative's own line is shown."""
    op = node._fn
    if type(error) not in _BARE_MATH_ERRORS or isinstance(op, _ClosureOp) or op is None:
        return error  # a user's closure, or an error type we cannot rebuild: as it is
    if not _all_floats(node, *node.children):
        return error  # .grad = 10**400 overflows in a sum, which is not the derivative's fault
    message = _derivative_message(op, [float(child.data) for child in node.children], error)
    return type(error)(message).with_traceback(error.__traceback__)


def _derivative_message(op: _Op, inputs: Sequence[float], error: BaseException) -> str:
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


def _bad_data_error(error: Exception, *nodes: Value) -> Exception:
    """After an op failed: the error naming an input whose ``.data`` is no float, else ``error``."""
    return _bad_attribute(nodes, ("data",)) or error


def _data(x: object) -> float:
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
    # For speed, nodes are built without __init__ in five places that must set every slot
    # but ``_label`` (left empty when unlabelled): ``_node``, ``_unary_method``, ``_lift``
    # and ``__add__``/``__mul__``/``__sub__``. tests/test_engine_robust.py checks them all.
    __slots__ = ("data", "grad", "_label", "_fn", "_a", "_b", "_acc", "__weakref__")

    def __init__(self, data: Number, _children: Iterable[Value] | None = None, _op: str = "", label: str = "") -> None:
        self.data = _as_float(data, "Value(data)")
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__} {label!r}")
        self.grad = 0.0
        if label:
            self._label = label
        self._fn: _Op | None = None
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

    # -- arithmetic ------------------------------------------------------------------
    # ``type(other) is not Value`` first: the common case (Value with Value) then
    # skips a function call, which is measurable when building big graphs. The
    # commonest ops (+, *, -) build their node inline, as ``_node`` would: a call
    # fewer per node (a graph's other big cost is the garbage collector's visits).
    def __add__(self, other: Value | Number) -> Value:
        if type(other) is not Value:
            other = _lift(other, "+")
        v = _new(Value)
        try:
            v.data = self.data + other.data
        except (TypeError, OverflowError) as e:  # free when nothing is raised; names a bad v.data = ...
            raise _bad_data_error(e, self, other) from None
        v.grad = 0.0
        v._fn = _ADD
        v._a = self
        v._b = other
        v._acc = None
        return v

    def __mul__(self, other: Value | Number) -> Value:
        if type(other) is not Value:
            other = _lift(other, "*")
        v = _new(Value)
        try:
            v.data = self.data * other.data
        except (TypeError, OverflowError) as e:  # free when nothing is raised; names a bad v.data = ...
            raise _bad_data_error(e, self, other) from None
        v.grad = 0.0
        v._fn = _MUL
        v._a = self
        v._b = other
        v._acc = None
        return v

    def __sub__(self, other: Value | Number) -> Value:
        if type(other) is not Value:
            other = _lift(other, "-")
        v = _new(Value)
        try:
            v.data = self.data - other.data
        except (TypeError, OverflowError) as e:  # free when nothing is raised; names a bad v.data = ...
            raise _bad_data_error(e, self, other) from None
        v.grad = 0.0
        v._fn = _SUB
        v._a = self
        v._b = other
        v._acc = None
        return v

    def __truediv__(self, other: Value | Number) -> Value:
        if type(other) is not Value:
            other = _lift(other, "/")
        try:
            return _node(_checked_div(self.data, other.data), _DIV, self, other)
        except (TypeError, OverflowError) as e:  # free when nothing is raised; names a bad v.data = ...
            raise _bad_data_error(e, self, other) from None

    def __neg__(self) -> Value:
        return _node(-self.data, _NEG, self)

    def __pos__(self) -> Value:
        return self

    def __pow__(self, exponent: Value | Number) -> Value:
        if isinstance(exponent, Value):
            return _value_pow(self, exponent)
        c = _as_float(exponent, "the exponent of **")
        try:
            return _node(_checked_pow(self.data, c), _const_pow_op(c), self)
        except (TypeError, ValueError, OverflowError) as e:  # ValueError: str() of a huge int refuses
            raise _bad_data_error(e, self) from None

    # Reflected forms: the left operand is a plain number.
    def __radd__(self, other: Number) -> Value:  # sum(values) starts with 0 + values[0]
        return _lift(other, "+") + self

    def __rmul__(self, other: Number) -> Value:
        return _lift(other, "*") * self

    def __rsub__(self, other: Number) -> Value:
        return _lift(other, "-") - self

    def __rtruediv__(self, other: Number) -> Value:
        return _lift(other, "/") / self

    def __rpow__(self, other: Number) -> Value:
        return _lift(other, "**") ** self

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
            if b is None:
                (ga,) = op.vjp(g, self.data, a.data)
                a.grad += ga
                return
            ga, gb = op.vjp(g, self.data, a.data, b.data)
            if a is b:  # b first, then a: the order backward() adds them in
                a.grad = a.grad + gb + ga
            else:
                new_b, new_a = b.grad + gb, a.grad + ga
                b.grad, a.grad = new_b, new_a
        except TypeError as e:
            raise (_bad_attribute(self.children + (self,)) or e) from None
        except _BARE_MATH_ERRORS as e:
            bad = _bad_attribute(self.children + (self,)) if isinstance(e, OverflowError) else None
            raise (bad or _derivative_error(self, e)) from None

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


class _ClosureOp(_Op):
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
        ga = _as_float(a.grad, f"the gradient the _backward of {_node_name(node)} gave its input")
        gb = 0.0 if b is None or b is a else _as_float(b.grad, "the gradient it gave its second input")
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


def _node(data: float, op: _Op | None, a: Value | None, b: Value | None = None) -> Value:
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


def _unary_method(op: _Op, forward: Callable[[float], float]) -> Callable[[Value], Value]:
    """The Value method of a registered one-input op (``x.exp()``), building its node
    inline like ``__add__`` does: a call fewer per node than going through ``_node``."""

    def method(self: Value) -> Value:
        try:
            data = forward(self.data)
        except (TypeError, OverflowError) as e:  # free when nothing is raised; names a bad v.data = ...
            raise _bad_data_error(e, self) from None
        v = _new(Value)
        v.data = data
        v.grad = 0.0
        v._fn = op
        v._a = self
        v._b = None
        v._acc = None
        return v

    return method


def _lift(x: object, op: str) -> Value:
    """Wrap a plain number as a leaf Value; refuse anything that is not a real number."""
    if isinstance(x, Value):
        return x
    if type(x) is float:  # a constant such as the 0.9 in y * 0.9: already valid; inline _node
        v = _new(Value)
        v.data = x
        v.grad = 0.0
        v._fn = v._a = v._b = v._acc = None
        return v
    if type(x) is int:  # the 0 that sum() starts from
        try:
            return _node(float(x), None, None)
        except OverflowError:
            pass  # Value() explains it
    return Value(_as_float(x, f"the other operand of {op} (a Value or a real number)"))


def _sigmoid(x: float) -> float:
    # Two branches so that exp() only ever sees a non-positive argument: no overflow.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _checked_pow(base: float, exponent: float) -> float:
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


def _checked_vpow(base: float, exponent: float) -> float:
    # d/d(exponent) of base**exponent is base**exponent * log(base), which is real only
    # for base > 0 (and taken as 0 at base == 0, its limit from the right).
    if base < 0.0:
        raise ValueError(
            f"{base!r} ** Value(...): a Value exponent needs a base >= 0, because the "
            "derivative with respect to the exponent involves log(base); for integer powers "
            "of negative numbers pass a plain number as the exponent"
        )
    return _checked_pow(base, exponent)


def _value_pow(base: Value, exponent: Value) -> Value:
    return _node(_checked_vpow(base.data, exponent.data), _VPOW, base, exponent)


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

from ._registry import REALS, REGISTRY, Interval, _pow, _register  # noqa: E402 - it needs Value, defined above


def _step(x: float) -> float:
    return 1.0 if x > 0.0 else (0.0 if x <= 0.0 else math.nan)  # NaN stays NaN


def _vpow_derivative(x, y, out):
    # At x == y == 0 the formula is 0 * 0 ** -1; the limit from x > 0 (where x ** 0 is
    # constant) is 0. Elsewhere keep the formula: its derivative in y is not 0.
    d_base = 0.0 if _data(x) == 0.0 and _data(y) == 0.0 else y * _pow(x, y - 1)
    d_exponent = 0.0 if _data(x) == 0.0 else out * REGISTRY["log"].function(x)
    return d_base, d_exponent


def _pow_domain(c: float) -> tuple[Interval, ...]:
    if c.is_integer():
        return (REALS if c >= 0 else Interval(avoid=(0.0,), margin=0.1),)
    return (Interval(0.0, closed=c > 0),)


_R2 = (REALS, REALS)
_register("add", operator.add, lambda x, y: (1, 1), _R2, "x + y", symbol="+")
_register("sub", operator.sub, lambda x, y: (1, -1), _R2, "x - y", symbol="-")
_register("mul", operator.mul, lambda x, y: (y, x), _R2, "x * y", symbol="*")
# d/dy as -out/y (not -x/y**2) makes x / x give exactly 0 to x.
_register(
    "div",
    _checked_div,
    lambda x, y, out: (1 / y, -out / y),
    (REALS, Interval(avoid=(0.0,), margin=0.1)),
    "x / y",
    symbol="/",
    checks=False,
)
_register("neg", operator.neg, lambda x: -1, REALS, "-x", symbol="neg")
_register(
    "pow",
    _checked_pow,
    lambda x, c: 0.0 if c == 0 else c * x ** (c - 1),
    _pow_domain,
    "x ** c",
    symbol="**",
    checks=False,
    params={"c": 2.0},
    examples=((2.0,), (3.0,), (0.0,), (-1.0,), (-2.0,), (0.5,), (1.5,)),
)
_register(
    "vpow",
    _checked_vpow,
    _vpow_derivative,
    (Interval(0.0, closed=True), REALS),
    "x ** y",
    symbol="**",
    checks=False,
    formulas=("y * x**(y - 1)", "out * log(x)"),
)
_register("exp", _checked_exp, lambda x, out: out, REALS, "e ** x", method=True)
_register("log", _checked_log, lambda x: 1 / x, Interval(0.0), "natural logarithm", method=True, checks=False)
_register("tanh", math.tanh, lambda x, out: 1 - out * out, REALS, "hyperbolic tangent", method=True)
_register("sigmoid", _sigmoid, lambda x, out: out * (1 - out), REALS, "1 / (1 + e ** -x)", method=True)
_register("step", _step, lambda x: 0.0, Interval(avoid=(0.0,)), "1 for x > 0, else 0 (the slope of relu)", method=True)
_register(
    "relu",
    _relu,
    lambda x: REGISTRY["step"].function(x),
    Interval(avoid=(0.0,)),
    "max(0, x); 0 with slope 0 at x = 0",
    method=True,
    formulas=("step(x)",),
)

_ADD, _SUB, _MUL, _DIV, _NEG, _VPOW = (REGISTRY[n].op() for n in ("add", "sub", "mul", "div", "neg", "vpow"))
_EXP, _LOG, _TANH, _SIGMOID, _RELU = (REGISTRY[n].op() for n in ("exp", "log", "tanh", "sigmoid", "relu"))


def _const_pow_op(c: float) -> _Op:
    """The op x ** c for a constant c, shared by every node with that exponent."""
    return REGISTRY["pow"].op(c)


# -- the graph machinery: no calculus below this line ----------------------------------


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
                acc = b._acc
                b._acc = gb if acc is mark else acc + gb
            acc = a._acc
            a._acc = ga if acc is mark else acc + ga
    except _BARE_MATH_ERRORS as e:
        raise _derivative_error(node, e) from None


# Every walk uses the nodes' ``_acc`` slots as scratch, so two walks over shared nodes
# must not overlap: one process-wide lock, held for the whole walk (one acquire per
# backward, nothing per node). Re-entrant, so that a walk started from inside another
# (a user's _backward closure calling backward()) gets a clear error, not a deadlock.
_WALK_LOCK = threading.RLock()
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
    with _WALK_LOCK:  # another thread's walk finishes first
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
                bad = _bad_attribute(order, attrs) if isinstance(e, (TypeError, OverflowError)) else None
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


def _sweep_into_grad(order: list[Value], seed: float, mark: object) -> None:
    """``_sweep`` for ``backward()`` (floats), leaving in each node's slot its
    new ``.grad``: the old one plus d(root)/d(node), so that applying cannot fail.

    A node's gradient is complete when the sweep reaches it, so the sum can be taken
    there; a ``.grad`` that is not a number fails here, before any ``.grad`` changed.

    The commonest ops are applied inline (no call, no tuple), each with exactly the
    arithmetic of its registered vjp, in the same order (tests/test_sweep_inline.py
    pins it); every other op calls its vjp.
    """
    add, mul, sub, neg, exp, tanh, relu, log, div = _ADD, _MUL, _SUB, _NEG, _EXP, _TANH, _RELU, _LOG, _DIV
    nan = math.nan
    order[-1]._acc = seed
    try:
        for node in reversed(order):
            g = node._acc
            node._acc = node.grad + g
            op = node._fn
            if op is None:
                continue
            a, b = node._a, node._b
            if op is mul:  # the two commonest ops finish here: b's gradient, then a's
                ga, gb = g * b.data, g * a.data
                acc = b._acc
                b._acc = gb if acc is mark else acc + gb
                acc = a._acc
                a._acc = ga if acc is mark else acc + ga
                continue
            if op is add:
                acc = b._acc
                b._acc = g if acc is mark else acc + g
                acc = a._acc
                a._acc = g if acc is mark else acc + g
                continue
            if op is exp:
                ga = g * node.data
            elif op is sub:
                ga, gb = g, -g
            elif op is relu and type(a.data) is float:  # step(x) as the vjp computes it for a float
                x = a.data
                ga = g * (1.0 if x > 0.0 else (0.0 if x <= 0.0 else nan))
            elif op is div:
                ga, gb = g / b.data, g * -node.data / b.data
            elif op is tanh:
                out = node.data
                ga = g * (1.0 - out * out)
            elif op is log:
                ga = g / a.data
            elif op is neg:
                ga = -g
            elif b is None:
                (ga,) = op.vjp(g, node.data, a.data)
            else:
                ga, gb = op.vjp(g, node.data, a.data, b.data)
            if b is not None:
                acc = b._acc
                b._acc = gb if acc is mark else acc + gb
            acc = a._acc
            a._acc = ga if acc is mark else acc + ga
    except _BARE_MATH_ERRORS as e:  # free when nothing is raised
        raise _derivative_error(node, e) from None


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
    with _WALK_LOCK:
        if _walking[0]:
            raise _nested_walk()
        order = _topological_order(root, mark)  # clears its own marks if it is interrupted
        _clear(order)
    return iter(order)


# The ops beyond the engine's own (sin, sqrt, abs, ...) are registered in functions.py; import
# it here so that every documented Value method exists as soon as the engine is imported.
from . import functions as _functions  # noqa: E402, F401
