"""Models to and from PyTorch: ``to_torch(model)`` and ``from_torch(module)``.

An :class:`~micrograd_like.nn.MLP` becomes a ``torch.nn.Sequential`` of ``Linear``
layers, each followed by the module of its activation (none for ``"linear"``),
holding exactly the model's weights: row ``j`` of a ``Linear``'s weight is neuron
``j``'s ``w``, its bias entry neuron ``j``'s ``b``. ``from_torch`` reads such a
``Sequential`` back and refuses any other layer by name.

PyTorch is an optional extra (``pip install 'micrograd-like[torch]'``): it is
imported when one of these functions is called, never when this module is.
"""

from __future__ import annotations

from typing import Any

from micrograd_like._checks import check_instance, describe
from micrograd_like.nn import MLP, activation_name

__all__ = ["to_torch", "from_torch", "torch_name", "torch_place", "require_torch", "TORCH_ACTIVATIONS"]

#: Activation name -> the ``torch.nn`` module class computing it; ``"linear"`` has none.
TORCH_ACTIVATIONS: dict[str, str] = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}

INSTALL_HINT = "install the torch extra: pip install 'micrograd-like[torch]'"


def require_torch(who: str) -> Any:
    """Import and return ``torch``, or raise ImportError saying how to install it."""
    try:
        import torch
    except ImportError as exc:
        raise ImportError(f"{who} needs PyTorch, which could not be imported ({exc}); {INSTALL_HINT}") from exc
    return torch


def _layer_activation(model: MLP, index: int) -> str:
    """The activation name shared by every neuron of layer ``index``; ValueError if it has no torch module."""
    names = {activation_name(n.activation) for n in model.layers[index].neurons}
    supported = ", ".join(repr(a) for a in (*TORCH_ACTIVATIONS, "linear"))
    if len(names) != 1:
        raise ValueError(
            f"layer {index} mixes the activations {sorted(names)}, and a torch Linear layer is followed by one "
            f"activation; give every neuron of the layer the same one of {supported}"
        )
    (name,) = names
    if name not in TORCH_ACTIVATIONS and name != "linear":
        raise ValueError(
            f"layer {index} uses the activation {name!r}, which to_torch cannot translate; use one of {supported}"
        )
    return name


def _check_dtype(torch: Any, dtype: Any) -> Any:
    if dtype is None:
        return torch.float64
    check_instance(dtype, "dtype", torch.dtype, "a torch dtype", example="torch.float64")
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating-point torch dtype, got {dtype}; pass e.g. dtype=torch.float64")
    return dtype


def to_torch(model: MLP, *, dtype: Any = None) -> Any:
    """Return a ``torch.nn.Sequential`` computing ``model``, holding exactly its weights.

    Layer ``l`` of the model becomes ``Linear(nin, nout)`` followed by ``ReLU``,
    ``Tanh`` or ``Sigmoid`` (nothing for a linear layer). In float64 (the default)
    every weight is copied bit for bit, so outputs and gradients agree with this
    engine to rounding (1e-12), and ``from_torch(to_torch(model))`` gives the same
    numbers back. The model is not changed.

    Args:
        model: An :class:`~micrograd_like.nn.MLP`.
        dtype: A floating-point ``torch.dtype`` for the parameters (default ``torch.float64``).

    Raises:
        ImportError: If PyTorch is not installed.
        TypeError: If ``model`` is not an MLP or ``dtype`` not a torch dtype.
        ValueError: If a layer's activation is a custom callable (or differs between
            its neurons), or ``dtype`` is not a floating-point type.
    """
    check_instance(model, "model", MLP, "an MLP", example="MLP(2, [3, 3, 2])")
    torch = require_torch("to_torch")
    dtype = _check_dtype(torch, dtype)
    activations = [_layer_activation(model, i) for i in range(len(model.layers))]
    modules = []
    for layer, name in zip(model.layers, activations):
        linear = torch.nn.Linear(layer.nin, layer.nout, dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        modules.append(linear)
        if name in TORCH_ACTIVATIONS:
            modules.append(getattr(torch.nn, TORCH_ACTIVATIONS[name])())
    return torch.nn.Sequential(*modules)


def torch_place(module: Any, parameter_name: str) -> tuple[str, tuple[int, ...]]:
    """Where a parameter of ``model``, by its dotted name, sits in ``module = to_torch(model)``.

    Returns (tensor name, index): ``"layers.1.neurons.2.w.0"`` -> ``("2.weight", (2, 0))`` when layer 0 has an activation module.
    """
    linears = [name for name, m in module.named_children() if type(m).__name__ == "Linear"]
    _, layer, _, neuron, kind, *rest = parameter_name.split(".")
    if kind == "w":
        return f"{linears[int(layer)]}.weight", (int(neuron), int(rest[0]))
    return f"{linears[int(layer)]}.bias", (int(neuron),)


def torch_name(module: Any, parameter_name: str) -> str:
    """:func:`torch_place` as text: ``"2.weight[2, 0]"``."""
    tensor, index = torch_place(module, parameter_name)
    return f"{tensor}[{', '.join(str(i) for i in index)}]"


def _describe_layer(position: int, layer: Any) -> str:
    return f"layer {position} of the Sequential ({layer!r})"


def _read_layers(torch: Any, module: Any) -> list[tuple[Any, str]]:
    """``[(Linear, activation name), ...]`` from a Sequential; ValueError naming any other layer."""
    by_class = {getattr(torch.nn, cls): name for name, cls in TORCH_ACTIVATIONS.items()}
    by_class[torch.nn.Identity] = "linear"
    accepted = "Linear, " + ", ".join(TORCH_ACTIVATIONS.values()) + " and Identity"
    layers: list[tuple[Any, str]] = []
    pending: Any = None
    for position, layer in enumerate(module):
        if type(layer) is torch.nn.Linear:
            if pending is not None:
                layers.append((pending, "linear"))
            pending = layer
        elif type(layer) in by_class and pending is not None:
            layers.append((pending, by_class[type(layer)]))
            pending = None
        elif type(layer) in by_class:
            raise ValueError(
                f"{_describe_layer(position, layer)} is an activation without a Linear layer before it; "
                "from_torch reads Linear layers each followed by at most one activation"
            )
        else:
            raise ValueError(
                f"{_describe_layer(position, layer)} has no counterpart in micrograd_like; "
                f"from_torch reads only {accepted}: remove it or convert the model by hand"
            )
    if pending is not None:
        layers.append((pending, "linear"))
    if not layers:
        raise ValueError(f"{module!r} has no Linear layer; from_torch needs at least one")
    return layers


def _check_linear(position: int, linear: Any, nin: int) -> None:
    if linear.bias is None:
        raise ValueError(
            f"Linear layer {position} ({linear!r}) has no bias, but every neuron here has one; "
            "build it with bias=True (a zero bias computes the same)"
        )
    if linear.in_features != nin:
        raise ValueError(
            f"Linear layer {position} ({linear!r}) takes {linear.in_features} inputs but the layer before it "
            f"gives {nin}; the Sequential cannot run"
        )


def from_torch(module: Any) -> MLP:
    """Read a ``torch.nn.Sequential`` of ``Linear`` layers and activations into a new MLP.

    Each ``Linear`` may be followed by one ``ReLU``, ``Tanh``, ``Sigmoid`` or
    ``Identity`` (none means linear). Weights are converted to float64 exactly
    (from any device and floating-point dtype), so ``from_torch(to_torch(model))``
    is bit-identical to ``model``.

    Raises:
        ImportError: If PyTorch is not installed.
        TypeError: If ``module`` is not a ``torch.nn.Sequential``.
        ValueError: Naming the layer, for any other layer (``Dropout``, ``Conv2d``,
            ``LeakyReLU``, ...), a ``Linear`` without bias, mismatched sizes, or a
            weight that is not finite.
    """
    torch = require_torch("from_torch")
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(
            f"from_torch reads a torch.nn.Sequential of Linear layers and activations, got {describe(module)}; "
            "put the layers in a Sequential"
        )
    layers = _read_layers(torch, module)
    nin = layers[0][0].in_features
    for position, (linear, _) in enumerate(layers):
        _check_linear(position, linear, nin if position == 0 else layers[position - 1][0].out_features)
    model = MLP(nin, [linear.out_features for linear, _ in layers], init=0.0, bias_init=0.0)
    state = {}
    for index, ((linear, activation), layer) in enumerate(zip(layers, model.layers)):
        weight = linear.weight.detach().to(device="cpu", dtype=torch.float64).tolist()
        bias = linear.bias.detach().to(device="cpu", dtype=torch.float64).tolist()
        for j, neuron in enumerate(layer.neurons):
            neuron.activation = activation
            state.update({f"layers.{index}.neurons.{j}.w.{k}": w for k, w in enumerate(weight[j])})
            state[f"layers.{index}.neurons.{j}.b"] = bias[j]
    model.load_state_dict(state)  # checks every number is finite
    return model
