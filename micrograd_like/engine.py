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

from . import functions as _functions  # noqa: F401 - the library's ops: Value's methods and operators

# The internal API, for the package's modules (the names documented in docs/architecture.md;
# the architecture test refuses an import of an underscored name from another module).
from ._core import (  # noqa: F401
    BARE_MATH_ERRORS,
    WALK_LOCK,
    Number,
    Op,
    Value,
    as_float,
    backward_edges,
    bad_attribute,
    derivative_error,
    grad,
    is_real,
    iter_graph,
    make_node,
    node_parts,
    tracing,
)
from ._ops import ADD_OP as _ADD  # noqa: F401
from ._ops import MUL_OP as _MUL  # noqa: F401
from ._registry import REGISTRY  # noqa: F401

__all__ = ["Value", "grad", "iter_graph", "Number"]
