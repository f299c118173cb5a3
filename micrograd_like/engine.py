"""A scalar reverse-mode autograd engine: :class:`Value`, :func:`grad` and :func:`iter_graph`.

Every arithmetic operation on a :class:`Value` records one node in a graph, and
``backward()`` (or ``grad``) walks it in reverse, iteratively and without
reference cycles. This module is the public face of three private ones, each
importing only the ones before it:

* ``_core``: ``Value``, its graph, the walks and sweeps; it knows no op.
* ``_registry`` (public as ``micrograd_like.registry``): turns one registration
  per op into its forward, its vjp, its ``Value`` method and its function.
* ``_ops`` and ``functions``: the library's ops, registered once each; ``_ops``
  installs the operators on ``Value`` and the hot ops' inline branches in ``backward()``.

Importing it imports them all, so every documented ``Value`` method exists.
"""

from __future__ import annotations

from collections.abc import Callable

from . import functions as _functions  # noqa: F401 - the library's ops: Value's methods and operators

# The internal API and, until their callers switch to it, the old private names: for the
# package's modules, not for users.
from ._core import (  # noqa: F401
    _BARE_MATH_ERRORS,
    _WALK_LOCK,
    WALK_LOCK,
    Number,
    Value,
    _all_floats,
    _apply,
    _as_float,
    _backprop,
    _bad_attribute,
    _bad_data_error,
    _checked_pow,
    _clear,
    _data,
    _derivative_error,
    _derivative_message,
    _is_real,
    _lift,
    _new,
    _node,
    _Op,
    _sweep,
    _sweep_into_grad,
    _topological_order,
    _unary_method,
    backward_edges,
    derivative_error,
    grad,
    iter_graph,
    node_parts,
    tracing,
)
from ._ops import (  # noqa: F401
    _ADD,
    _DIV,
    _EXP,
    _LOG,
    _MUL,
    _NEG,
    _RELU,
    _SIGMOID,
    _SUB,
    _TANH,
    _VPOW,
    _checked_div,
    _checked_exp,
    _checked_log,
    _checked_vpow,
    _const_pow_op,
    _relu,
    _sigmoid,
    _step,
    _value_pow,
)
from ._registry import REGISTRY  # noqa: F401

__all__ = ["Value", "grad", "iter_graph", "Number"]

# Before ``tracing``, compiled.py recorded by assigning this; the core still reads it.
_trace_hook: Callable[[object], float | None] | None = None
