"""micrograd_like: a scalar autograd engine for learning backpropagation one number at a time.

The engine (``Value``, ``grad``, ``gradcheck``) is importable on its own and needs
only the standard library; the neural-net layer lives in ``micrograd_like.nn``
(also ``losses``, ``optim``), drawings in ``micrograd_like.viz`` (which needs the
``graphviz`` package, imported only when a drawing name is first used),
Hypothesis strategies in ``micrograd_like.testing``.
"""

from typing import Any

from .engine import Value, grad
from .gradcheck import GradcheckError, gradcheck, numerical_grad
from .nn import MLP, Layer, Module, Neuron, find_symmetric_neurons

# Drawing names, imported from micrograd_like.viz on first use (PEP 562), so that
# ``import micrograd_like`` works where the graphviz package is not installed.
_LAZY_VIZ = ("draw_dot", "draw_network", "draw_collapsed")

__all__ = [
    "MLP",
    "GradcheckError",
    "Layer",
    "Module",
    "Neuron",
    "Value",
    "draw_collapsed",
    "draw_dot",
    "draw_network",
    "find_symmetric_neurons",
    "grad",
    "gradcheck",
    "numerical_grad",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name not in _LAZY_VIZ:
        raise AttributeError(f"module 'micrograd_like' has no attribute {name!r}")
    try:
        from . import viz
    except ImportError as exc:
        raise ImportError(
            f"micrograd_like.{name} draws with Graphviz, but the graphviz package could not be "
            f"imported ({exc}); install it with: pip install graphviz"
        ) from exc
    value = getattr(viz, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_VIZ))
