"""micrograd_like: a scalar autograd engine for learning backpropagation one number at a time.

The engine (``Value``, ``grad``, ``gradcheck``) is importable on its own; the
neural-net layer lives in ``micrograd_like.nn`` (also ``losses``, ``optim``),
drawings in ``micrograd_like.viz`` (which needs the ``graphviz``
package, imported only when a drawing name is first used), the chain-rule ledger ``explain(root)`` in
``micrograd_like.ledger``, Hypothesis strategies in ``micrograd_like.testing``,
``to_torch``/``from_torch``/``compare_with_torch`` (PyTorch, an optional extra,
imported only when one of them is called).

The names below are imported on first use (PEP 562), so ``import micrograd_like``
runs almost nothing: the ``micrograd-like`` command starts with its Ctrl-C
handling in place, and Graphviz is only imported when a drawing is asked for.
"""

_TYPE_CHECKING = False  # not typing.TYPE_CHECKING: this module imports nothing
if _TYPE_CHECKING:
    from . import functions as functions
    from .analysis import find_symmetric_neurons as find_symmetric_neurons
    from .compiled import compile as compile
    from .diagnose import diagnose as diagnose
    from .engine import Value as Value
    from .engine import grad as grad
    from .gradcheck import GradcheckError as GradcheckError
    from .gradcheck import gradcheck as gradcheck
    from .gradcheck import numerical_grad as numerical_grad
    from .ledger import explain as explain
    from .ledger import explain_network as explain_network
    from .nn import MLP as MLP
    from .nn import Layer as Layer
    from .nn import Module as Module
    from .nn import Neuron as Neuron
    from .registry import defop as defop
    from .torch_bridge import from_torch as from_torch
    from .torch_bridge import to_torch as to_torch
    from .torch_compare import compare_with_torch as compare_with_torch
    from .viz import draw_collapsed as draw_collapsed
    from .viz import draw_dot as draw_dot
    from .viz import draw_network as draw_network

#: Public name -> the submodule that defines it.
_EXPORTS = {
    "Value": "engine",
    "grad": "engine",
    "defop": "registry",
    "compile": "compiled",
    "gradcheck": "gradcheck",
    "numerical_grad": "gradcheck",
    "GradcheckError": "gradcheck",
    "MLP": "nn",
    "Layer": "nn",
    "Module": "nn",
    "Neuron": "nn",
    "find_symmetric_neurons": "analysis",
    "diagnose": "diagnose",
    "explain": "ledger",
    "explain_network": "ledger",
    "draw_dot": "viz",
    "draw_network": "viz",
    "draw_collapsed": "viz",
    "to_torch": "torch_bridge",
    "from_torch": "torch_bridge",
    "compare_with_torch": "torch_compare",
}
_SUBMODULES = (
    "analysis",
    "compiled",
    "datasets",
    "diagnose",
    "engine",
    "expr",
    "functions",
    "gradcheck",
    "ledger",
    "losses",
    "moons",
    "nn",
    "optim",
    "registry",
    "serialization",
    "symmetry",
    "testing",
    "torch_bridge",
    "torch_compare",
    "viz",
)

__all__ = list(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    from importlib import import_module

    if name not in _EXPORTS:  # exported names win over submodules of the same name (gradcheck)
        if name in _SUBMODULES:
            return import_module(f"{__name__}.{name}")
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = _EXPORTS[name]
    try:
        value = getattr(import_module(f"{__name__}.{module}"), name)
    except ImportError as exc:
        if module != "viz":
            raise
        raise ImportError(
            f"micrograd_like.{name} draws with Graphviz, but the graphviz package could not be "
            f"imported ({exc}); install it with: pip install graphviz"
        ) from exc
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_SUBMODULES})


import sys as _sys  # noqa: E402 (always loaded already: no import happens here)


class _Package(type(_sys)):  # type: ignore[misc]  # the module type, not nameable statically
    """Keeps ``micrograd_like.gradcheck`` the function when its submodule of that name is imported.

    Importing a submodule sets the package attribute of the same name to the module;
    names exported here win, as when the package imported them eagerly.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name in _EXPORTS and isinstance(value, type(_sys)):
            value = getattr(value, name)
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package
