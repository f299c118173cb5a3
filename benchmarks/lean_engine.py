"""Two stripped-down engines for the benchmark only: a ceiling, and what a tape would buy.

``Value`` is micrograd_like's design with everything that is not arithmetic taken
out of building a node: no number checks, no labels, no weak references, no error
messages. Its backward() is micrograd_like's own walk, sweep and apply, without the
lock and the clean-up on errors. ``bench_gpt.py`` runs it beside the real engine to
show how much of the time is the design itself (one Python object per node, which the
garbage collector visits, the walk and the sweep) rather than what the real engine
adds on top.

``TapeValue`` is the same, but every node it creates is also appended to a list (a
tape, as TensorFlow's GradientTape keeps): nodes are created after their inputs, so
creation order is an order backward can run in, and no walk is needed. The price is
that the tape holds every node created since the last backward(), including graphs
nobody differentiates. Neither is a usable engine: they accept anything and explain
nothing.
"""

from __future__ import annotations

import math

try:  # the engine's layout since the one-way chain
    from micrograd_like import _core, _ops

    _OPS = (_ops.ADD_OP, _ops.MUL_OP, _ops.SUB_OP, _ops.DIV_OP, _ops.EXP_OP, _ops.LOG_OP, _ops.RELU_OP, _ops.NEG_OP)
except ImportError:  # an older tree, when benchmarks/compare_engines.py runs this file against it
    from micrograd_like import engine as _core  # type: ignore[no-redef]

    _ops = _core  # type: ignore[misc]
    _OPS = tuple(getattr(_core, "_" + n) for n in ("ADD", "MUL", "SUB", "DIV", "EXP", "LOG", "RELU", "NEG"))

_new = object.__new__
ADD, MUL, SUB, DIV, EXP, LOG, RELU, NEG = _OPS


class Value:
    __slots__ = ("data", "grad", "_fn", "_a", "_b", "_acc")

    def __init__(self, data):
        self.data = float(data)
        self.grad = 0.0
        self._fn = self._a = self._b = self._acc = None

    def _node(self, data, fn, other=None):
        v = _new(type(self))
        v.data, v.grad, v._fn, v._a, v._b, v._acc = data, 0.0, fn, self, other, None
        return v

    # The two commonest ops build their node inline, as the real engine does.
    def __add__(self, other):
        other = other if type(other) is Value else Value(other)
        v = _new(Value)
        v.data, v.grad, v._fn, v._a, v._b, v._acc = self.data + other.data, 0.0, ADD, self, other, None
        return v

    def __mul__(self, other):
        other = other if type(other) is Value else Value(other)
        v = _new(Value)
        v.data, v.grad, v._fn, v._a, v._b, v._acc = self.data * other.data, 0.0, MUL, self, other, None
        return v

    def __sub__(self, other):
        other = other if isinstance(other, Value) else type(self)(other)
        return self._node(self.data - other.data, SUB, other)

    def __truediv__(self, other):
        other = other if isinstance(other, Value) else type(self)(other)
        return self._node(self.data / other.data, DIV, other)

    def __pow__(self, c):
        return self._node(self.data**c, _ops._const_pow_op(float(c)))

    def exp(self):
        return self._node(math.exp(self.data), EXP)

    def log(self):
        return self._node(math.log(self.data), LOG)

    def relu(self):
        return self._node(max(0.0, self.data), RELU)

    def __neg__(self):
        return self._node(-self.data, NEG)

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def backward(self):
        mark = object()
        order = _core._topological_order(self, mark)
        _core._sweep_into_grad(order, 1.0, mark)
        _core._apply(order)


# -- the same with a tape instead of a walk ----------------------------------------------
TAPE: list = []
_record = TAPE.append


class TapeValue(Value):
    __slots__ = ()

    def _node(self, data, fn, other=None):
        v = _new(TapeValue)
        v.data, v.grad, v._fn, v._a, v._b, v._acc = data, 0.0, fn, self, other, None
        _record(v)
        return v

    def __add__(self, other):
        other = other if type(other) is TapeValue else TapeValue(other)
        v = _new(TapeValue)
        v.data, v.grad, v._fn, v._a, v._b, v._acc = self.data + other.data, 0.0, ADD, self, other, None
        _record(v)
        return v

    def __mul__(self, other):
        other = other if type(other) is TapeValue else TapeValue(other)
        v = _new(TapeValue)
        v.data, v.grad, v._fn, v._a, v._b, v._acc = self.data * other.data, 0.0, MUL, self, other, None
        _record(v)
        return v

    def backward(self):
        """Differentiate the newest node; the tape is cleared."""
        if not TAPE or TAPE[-1] is not self:
            raise ValueError("this tape engine differentiates only the newest node")
        leaves: list = []  # reached nodes that are not on the tape
        _tape_sweep(TAPE, leaves)
        for node in TAPE:  # a node nothing reached still has None
            new = node._acc
            if new is not None:
                node.grad, node._acc = new, None
        for node in leaves:
            node.grad, node._acc = node.grad + node._acc, None
        TAPE.clear()


def _tape_sweep(tape, leaves):
    """micrograd_like's sweep over the tape, with None for "no gradient yet": a node
    nothing reached is skipped, and a leaf is listed when it gets its first gradient."""
    tape[-1]._acc = 1.0
    for node in reversed(tape):
        g = node._acc
        if g is None:
            continue
        node._acc = node.grad + g
        op, a, b = node._fn, node._a, node._b
        if op is MUL:
            ga, gb = g * b.data, g * a.data
        elif op is ADD:
            ga = gb = g
        elif op is EXP:
            ga, gb = g * node.data, None
        elif b is None:
            ((ga,), gb) = op.vjp(g, node.data, a.data), None
        else:
            ga, gb = op.vjp(g, node.data, a.data, b.data)
        if gb is not None:  # inline, as the real sweep does: a call per edge costs a fifth
            acc = b._acc
            if acc is not None:
                b._acc = acc + gb
            else:
                b._acc = gb
                if b._fn is None:  # a leaf: its slot holds the sum to add to .grad
                    leaves.append(b)
        acc = a._acc
        if acc is not None:
            a._acc = acc + ga
        else:
            a._acc = ga
            if a._fn is None:
                leaves.append(a)
