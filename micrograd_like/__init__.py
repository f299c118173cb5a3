"""micrograd_like: a scalar autograd engine for learning backpropagation one number at a time.

The engine (``Value``, ``grad``, ``gradcheck``) is importable on its own; the
neural-net layer lives in ``micrograd_like.nn`` (also ``losses``, ``optim``),
drawings in ``micrograd_like.viz``, Hypothesis strategies in ``micrograd_like.testing``.
"""

from . import functions
from .engine import Value, grad
from .gradcheck import GradcheckError, gradcheck, numerical_grad
from .nn import MLP, Layer, Module, Neuron, find_symmetric_neurons
from .registry import defop
from .viz import draw_dot, draw_network

__all__ = [
    "Value",
    "grad",
    "defop",
    "functions",
    "gradcheck",
    "numerical_grad",
    "GradcheckError",
    "MLP",
    "Layer",
    "Module",
    "Neuron",
    "find_symmetric_neurons",
    "draw_dot",
    "draw_network",
]
__version__ = "0.1.0"
