"""The op registry: every differentiable op of :class:`~micrograd_like.engine.Value`,
registered once with :func:`defop` (``Interval``, ``REALS``, ``OpSpec``, ``REGISTRY``,
``FUNCTIONS``, ``markdown_list``, and ``OpResultError``, what a user op's bad result
raises; see ``_registry`` for how an op is made).

The code lives in ``_registry``; importing ``functions`` here registers the library's
own ops first, so that the registry is complete whichever module a program imports first.
"""

from . import functions as _functions  # noqa: F401 - the library's ops, registered
from ._opcheck import OpResultError
from ._registry import (
    FUNCTIONS,
    NAMESPACE,  # noqa: F401 - what compiled derivative formulas may call (tests read it)
    REALS,
    REGISTRY,
    Interval,
    OpSpec,
    defop,
    markdown_list,
    node_expression,  # noqa: F401 - for explain: how a node is written (x*y, tanh(x))
    shown_params,  # noqa: F401 - for explain and the drawings: an op's parameters as readers see them
)

__all__ = ["Interval", "REALS", "OpSpec", "REGISTRY", "FUNCTIONS", "OpResultError", "defop", "markdown_list"]
