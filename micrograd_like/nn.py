"""Neurons, layers and multi-layer perceptrons built from scalar ``Value`` nodes.

The layout mirrors micrograd so its code keeps working (``MLP.layers``,
``Layer.neurons``, ``Neuron.w``, ``Neuron.b`` and the same ``parameters()``
order), with the additions a teacher needs:

* named activations and initialisations, including a *constant* initialisation
  (every weight equal);
* stable dotted parameter names (``layers.0.neurons.2.w.1``) that are also put
  on each parameter's ``label`` so graph drawings show them;
* ``save``/``load``/``load_state_dict``, implemented in
  :mod:`micrograd_like.serialization` (atomic, validated JSON files).

``find_symmetric_neurons`` lives in :mod:`micrograd_like.analysis`; it is
importable from here too, as before.

Randomness always comes from a private :class:`random.Random` (built from
``seed``/``rng``); the process-wide :mod:`random` state is never read or
changed, so building a model cannot perturb anyone else's random stream.

A training loop, eager (a new graph every step) or compiled (recorded once by
:func:`micrograd_like.compile`, then replayed; the same numbers bit for bit)::

    model = MLP(2, [16, 16, 1], seed=0)
    opt = SGD(model.parameters(), lr=0.05)           # micrograd_like.optim
    for _ in range(100):                             # eager
        loss = hinge([model(x) for x in X], y)       # micrograd_like.losses
        opt.zero_grad()
        loss.backward()
        opt.step()

    step = ml.compile(lambda X, y: hinge([model(x) for x in X], y))
    for _ in range(100):                             # compiled
        opt.zero_grad()
        loss = step(X, y)                            # a float; .grad filled as backward() would
        opt.step()
"""

from __future__ import annotations

import math
import numbers
import os
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from micrograd_like import serialization
from micrograd_like._checks import check_bool, check_choice, check_instance, check_int, check_real, describe
from micrograd_like.engine import Value
from micrograd_like.serialization import FORMAT_VERSION

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "FORMAT_VERSION",
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "find_symmetric_neurons",  # noqa: F822 - provided by __getattr__ below
]

#: Names accepted for ``activation`` / ``output_activation``.
ACTIVATIONS: tuple[str, ...] = ("relu", "tanh", "sigmoid", "linear")
#: Names accepted for ``init`` / ``bias_init`` (besides a number or a callable).
INITS: tuple[str, ...] = ("uniform", "xavier", "he", "normal")

Activation = str | Callable[[Value], Value]
InitFn = Callable[[int, int, random.Random], float]
Init = str | float | int | InitFn
Scalar = Value | float | int


def __getattr__(name: str) -> Any:
    # find_symmetric_neurons moved to analysis, which imports this module; it is
    # resolved on first use so both import orders work and old imports keep working.
    if name == "find_symmetric_neurons":
        from micrograd_like.analysis import find_symmetric_neurons

        return find_symmetric_neurons
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------
# argument checking helpers
# --------------------------------------------------------------------------


def _check_activation(activation: Any, name: str = "activation") -> Activation:
    """A name from ACTIVATIONS (ValueError if unknown) or a callable."""
    if callable(activation) and not isinstance(activation, str):
        return activation
    choices = ", ".join(repr(a) for a in ACTIVATIONS)
    if isinstance(activation, bool):
        raise TypeError(
            f"{name} must be one of {choices} or a callable Value -> Value, got "
            f"{describe(activation)}; for micrograd's nonlin flag pass "
            f"{name}={'relu' if activation else 'linear'!r}"
        )
    if not isinstance(activation, str):
        raise TypeError(f"{name} must be one of {choices} or a callable Value -> Value, got {describe(activation)}")
    return check_choice(activation, name, ACTIVATIONS)


def _check_init(init: Any, name: str) -> Init:
    """A name from INITS, a finite number (a constant) or a callable (fan_in, fan_out, rng)."""
    if isinstance(init, str):
        return check_choice(init, name, INITS)
    if callable(init):
        return init
    if isinstance(init, numbers.Real):  # bool included: check_real refuses it with a TypeError
        return check_real(init, name, example=1.0)
    choices = ", ".join(repr(i) for i in INITS)
    raise TypeError(
        f"{name} must be one of {choices}, a number or a callable (fan_in, fan_out, rng) -> float, "
        f"got {describe(init)}; pass e.g. {name}='uniform'"
    )


def _check_rng(rng: Any) -> random.Random:
    if rng is None:
        # A fresh generator seeded from the OS: never touches the global state.
        return random.Random()
    return check_instance(rng, "rng", random.Random, "a random.Random or None", example="random.Random(0)")


def _draw(init: Init, fan_in: int, fan_out: int, rng: random.Random, name: str) -> float:
    """Draw one initial value for a weight or bias."""
    if isinstance(init, float):
        return init
    if init == "uniform":  # micrograd's choice
        return rng.uniform(-1.0, 1.0)
    if init == "xavier":  # Glorot & Bengio (2010), uniform variant
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit)
    if init == "he":  # He et al. (2015), normal variant, for relu layers
        return rng.gauss(0.0, math.sqrt(2.0 / fan_in))
    if init == "normal":
        return rng.gauss(0.0, 1.0)
    value = init(fan_in, fan_out, rng)  # type: ignore[operator]  # not a name (checked): a callable
    return check_real(value, f"the value returned by the {name} callable")


def _apply_activation(activation: Activation, x: Value) -> Value:
    if activation == "relu":
        return x.relu()
    if activation == "tanh":
        return x.tanh()
    if activation == "sigmoid":
        return x.sigmoid()
    if activation == "linear":
        return x
    out = activation(x)  # type: ignore[operator]  # not a name (checked): a callable
    if not isinstance(out, Value):
        raise TypeError(
            f"custom activation {activation!r} returned {out!r} of type "
            f"{type(out).__name__}; it must return a Value (build it from Value ops)"
        )
    return out


def _from_nonlin(nonlin: Any, activation: Any) -> Any:
    """Translate micrograd's ``nonlin`` flag into an activation name.

    The flag may be a keyword (``nonlin=False``) or, as in micrograd's
    ``Neuron(nin, nonlin=True)``, the second positional argument, which is
    ``activation``'s place here: a bool is never an activation, so
    ``Neuron(2, False)`` is unambiguous.
    """
    if isinstance(activation, bool):
        if nonlin is not None:
            raise ValueError(
                f"micrograd's flag was given twice: {activation!r} in activation's place and "
                f"nonlin={nonlin!r}; pass it once"
            )
        nonlin, activation = activation, "relu"
    if nonlin is None:
        return activation
    check_bool(nonlin, "nonlin")
    if activation != "relu":
        raise ValueError(f"pass either nonlin={nonlin!r} (micrograd's flag) or activation={activation!r}, not both")
    return "relu" if nonlin else "linear"


def activation_name(activation: Activation) -> str:
    """How an activation is named in saved files and architecture dicts."""
    if isinstance(activation, str):
        return activation
    name = getattr(activation, "__qualname__", None) or type(activation).__name__
    return f"custom:{name}"


def _as_inputs(x: Any, nin: int, who: str) -> Sequence[Scalar]:
    # A bare scalar is accepted for one-input modules, so that chaining
    # micrograd-style layers through a width-1 layer (which returns a bare
    # Value) keeps working.
    if isinstance(x, (Value, numbers.Real)) and not isinstance(x, bool):
        x = (x,)
    elif isinstance(x, Iterable) and not isinstance(x, (str, bytes, Mapping, Sequence)):
        x = tuple(x)  # a generator, a numpy row: anything micrograd's zip() would take
    elif isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        raise TypeError(f"{who} expects a sequence of {nin} floats or Values, got {describe(x)}")
    if len(x) != nin:
        raise ValueError(
            f"{who} expects {nin} input{'s' if nin != 1 else ''} but got {len(x)}; pass a sequence of length {nin}"
        )
    for i, xi in enumerate(x):
        if not isinstance(xi, (Value, numbers.Real)):
            raise TypeError(f"{who} input [{i}] is {describe(xi)}; inputs must be floats, ints or Values")
    return x


# --------------------------------------------------------------------------
# modules
# --------------------------------------------------------------------------


class Module:
    """Base class: parameter listing, gradient reset and (de)serialisation.

    Subclasses implement :meth:`named_parameters` and :meth:`architecture`;
    everything else is derived from those two.
    """

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Return ``(dotted name, Value)`` pairs in :meth:`parameters` order."""
        return []

    def parameters(self) -> list[Value]:
        """Return every parameter: layer by layer, neuron by neuron, weights then bias.

        This is micrograd's order, so weights can be copied across with
        ``for p, q in zip(ours.parameters(), theirs.parameters()): p.data = q.data``.
        """
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set the ``.grad`` of every parameter to 0.0.

        Gradients accumulate across ``backward()`` calls, so call this (or an
        optimizer's ``zero_grad``) before each backward pass.
        """
        for p in self.parameters():
            p.grad = 0.0

    def architecture(self) -> dict[str, Any]:
        """Return a JSON-able description of the shape and activations."""
        return {"type": type(self).__name__}

    def _set_labels(self) -> None:
        # Names relative to this module; an enclosing module overwrites them
        # with its own longer names after construction.
        for name, p in self.named_parameters():
            p.label = name

    # ---------------------------------------------------------------- state

    def state_dict(self) -> dict[str, float]:
        """Return ``{dotted name: float}`` for every parameter, in order."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy parameter values from ``state`` into this module.

        Everything is validated first; on any problem nothing is changed.

        Args:
            state: Mapping from every dotted parameter name to a finite real
                number (as returned by :meth:`state_dict`).

        Raises:
            TypeError: If ``state`` is not a mapping, or a value is not a real
                number (bools and strings included).
            ValueError: If names are missing or unknown, or a value is NaN,
                infinite or too large for a float.
        """
        serialization.load_state_dict(self, state)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the architecture and every parameter to ``path`` as JSON, atomically.

        The file is first written to a temporary file in the same folder,
        flushed and fsync'ed, then renamed over ``path``; a crash at any point
        leaves either the old file or the new one, never a mix. Floats are
        written with ``repr`` (JSON's default), so they load back bit-identical.
        When ``path`` is a symbolic link, the file it points to is replaced
        (atomically, as above) and the link stays a link.

        A model with a custom (callable) activation is saved with the
        activation recorded as ``"custom:<qualname>"``; functions cannot be
        stored, so :meth:`load` only accepts such a file into a model that
        has a callable with the same qualified name in the same place.

        Args:
            path: Destination file.

        Raises:
            TypeError: If a parameter's ``data`` is not a real number.
            ValueError: If a parameter is NaN or infinite (such a file could
                not be loaded back).
            OSError: If the folder is not writable, or ``path`` is a loop of
                symbolic links; the old file is untouched.
        """
        serialization.save(self, path)

    def load(self, path: str | os.PathLike[str]) -> Module:
        """Load parameters saved by :meth:`save` into this module.

        The whole file is read and checked (JSON syntax, format name and
        version, architecture equal to this module's, exactly the expected
        parameter names, finite real values) before any parameter changes.
        Anything that is not a regular file (``/dev/zero``, a pipe, a folder)
        and any file over :data:`micrograd_like.serialization.MAX_FILE_BYTES`
        (64 MiB) is refused without being read.

        Args:
            path: File written by :meth:`save`.

        Returns:
            This module, so ``model = MLP(2, [16, 16, 1]).load(path)`` works.

        Raises:
            ValueError: Naming the problem, if the file is not valid JSON, was
                not written by :meth:`save`, has another format version,
                describes a different architecture, has missing, unknown
                or invalid parameters, is not a regular file or is too large.
                The module is then unchanged.
            OSError: If the file cannot be read.
        """
        serialization.load(self, path)
        return self

    def __call__(self, x: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class Neuron(Module):
    """One neuron: ``activation(b + w[0]*x[0] + w[1]*x[1] + ...)``.

    Args:
        nin: Number of inputs.
        activation: ``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"linear"`` or a
            callable ``Value -> Value``.
        init: How to draw each weight: ``"uniform"`` (U(-1, 1), micrograd's),
            ``"xavier"`` (Glorot uniform, U(-a, a) with a = sqrt(6 / (fan_in +
            fan_out))), ``"he"`` (Kaiming normal, N(0, 2 / fan_in)),
            ``"normal"`` (N(0, 1)), a number (every weight equals it) or a
            callable ``(fan_in, fan_out, rng) -> float``.
        bias_init: Same choices, for the bias. Default 0.0.
        rng: A :class:`random.Random` to draw from; ``None`` makes a fresh
            OS-seeded one. The global :mod:`random` state is never used.
        fan_out: Width of the layer this neuron belongs to (only used by
            ``"xavier"`` and custom inits). Default 1.
        nonlin: micrograd's spelling, accepted so its code runs unchanged:
            ``True`` means ``"relu"``, ``False`` means ``"linear"``. As in
            micrograd it may also be passed positionally, ``Neuron(2, False)``.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If ``nin`` < 1 or an activation/init name is unknown.
    """

    def __init__(
        self,
        nin: int,
        activation: Activation | bool = "relu",  # a bool: micrograd's positional nonlin
        init: Init = "uniform",
        bias_init: Init = 0.0,
        rng: random.Random | None = None,
        *,
        fan_out: int = 1,
        nonlin: bool | None = None,
    ) -> None:
        self.nin = check_int(nin, "nin", minimum=1, example=2)
        fan_out = check_int(fan_out, "fan_out", minimum=1)
        self.activation: Activation = _check_activation(_from_nonlin(nonlin, activation))
        init = _check_init(init, "init")
        bias_init = _check_init(bias_init, "bias_init")
        rng = _check_rng(rng)
        self.w: list[Value] = [Value(_draw(init, self.nin, fan_out, rng, "init")) for _ in range(self.nin)]
        self.b: Value = Value(_draw(bias_init, self.nin, fan_out, rng, "bias_init"))
        self._set_labels()

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: False only for a linear neuron."""
        return self.activation != "linear"

    def __call__(self, x: Any) -> Value:
        """Compute the neuron's output for one input vector.

        Args:
            x: A sequence of ``nin`` floats or Values (a bare one when ``nin == 1``).

        Raises:
            TypeError: If ``x`` is not a sequence of numbers or Values.
            ValueError: If ``len(x) != nin``.
        """
        xs = _as_inputs(x, self.nin, "Neuron")
        return self._forward(xs)

    def _forward(self, xs: Sequence[Scalar]) -> Value:
        # Same association as micrograd's sum(..., self.b): ((b + w0 x0) + w1 x1) + ...
        # so both libraries produce bit-identical results from the same weights.
        act = self.b
        for wi, xi in zip(self.w, xs):
            act = act + wi * xi
        return _apply_activation(self.activation, act)

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Return ``[("w.0", w0), ..., ("b", b)]``."""
        out = [(f"w.{i}", w) for i, w in enumerate(self.w)]
        out.append(("b", self.b))
        return out

    def architecture(self) -> dict[str, Any]:
        return {"type": "Neuron", "nin": self.nin, "activation": activation_name(self.activation)}

    def __repr__(self) -> str:
        return f"Neuron(nin={self.nin}, activation={activation_name(self.activation)!r})"


class Layer(Module):
    """A row of ``nout`` independent neurons that all see the same inputs.

    Calling a layer returns a list of its outputs, or a bare Value when it has
    a single neuron (as in micrograd).

    Args:
        nin: Number of inputs of every neuron.
        nout: Number of neurons.
        activation: As for :class:`Neuron`.
        init: As for :class:`Neuron`.
        bias_init: As for :class:`Neuron`.
        rng: As for :class:`Neuron`; neurons draw from it in order.
        nonlin: As for :class:`Neuron` (micrograd compatibility).

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If a size is < 1 or an activation/init name is unknown.
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: Activation | bool = "relu",  # a bool: micrograd's positional nonlin
        init: Init = "uniform",
        bias_init: Init = 0.0,
        rng: random.Random | None = None,
        *,
        nonlin: bool | None = None,
    ) -> None:
        self.nin = check_int(nin, "nin", minimum=1, example=2)
        self.nout = check_int(nout, "nout", minimum=1, example=2)
        activation = _check_activation(_from_nonlin(nonlin, activation))
        rng = _check_rng(rng)
        self.neurons: list[Neuron] = [
            Neuron(self.nin, activation, init, bias_init, rng, fan_out=self.nout) for _ in range(self.nout)
        ]
        self._set_labels()

    @property
    def activation(self) -> Activation:
        """The activation of the first neuron (all share it unless edited by hand)."""
        return self.neurons[0].activation

    def __call__(self, x: Any) -> Value | list[Value]:
        """Compute every neuron's output for one input vector.

        Args:
            x: A sequence of ``nin`` floats or Values (a bare one when ``nin == 1``).

        Returns:
            A list of ``nout`` Values, or a single Value when ``nout == 1``.

        Raises:
            TypeError: If ``x`` is not a sequence of numbers or Values.
            ValueError: If ``len(x) != nin``.
        """
        out = self._forward(_as_inputs(x, self.nin, "Layer"))
        return out[0] if len(out) == 1 else out

    def _forward(self, xs: Sequence[Scalar]) -> list[Value]:
        # Always a list, so an MLP with a width-1 middle layer works.
        return [n._forward(xs) for n in self.neurons]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Return ``[("neurons.0.w.0", ...), ..., ("neurons.<n-1>.b", ...)]``."""
        return [(f"neurons.{i}.{name}", p) for i, n in enumerate(self.neurons) for name, p in n.named_parameters()]

    def architecture(self) -> dict[str, Any]:
        return {"type": "Layer", **_layer_arch(self)}

    def __repr__(self) -> str:
        return f"Layer(nin={self.nin}, nout={self.nout}, activation={_layer_arch(self)['activation']!r})"


def _layer_arch(layer: Layer) -> dict[str, Any]:
    acts = [activation_name(n.activation) for n in layer.neurons]
    # One name when the neurons agree (the normal case); the full list if
    # someone edited a neuron's activation by hand, so nothing is lost.
    activation: str | list[str] = acts[0] if len(set(acts)) == 1 else acts
    return {"nin": layer.nin, "nout": layer.nout, "activation": activation}


class MLP(Module):
    """A multi-layer perceptron: layers applied one after the other.

    ``MLP(2, [16, 16, 1])`` matches micrograd's: relu hidden layers, a linear
    output layer, weights drawn from U(-1, 1) and biases 0. A sigmoid network
    with every weight and bias 1 is ``MLP(2, [3, 3, 2], activation="sigmoid",
    output_activation="sigmoid", init=1.0, bias_init=1.0)``.

    Args:
        nin: Number of inputs.
        nouts: Width of each layer; the last one is the output layer.
        activation: Activation of every hidden layer (see :class:`Neuron`).
        output_activation: Activation of the last layer. Default ``"linear"``.
        init: Weight initialisation (see :class:`Neuron`).
        bias_init: Bias initialisation (see :class:`Neuron`). Default 0.0.
        seed: Seed for a private :class:`random.Random`, for reproducible
            weights. ``None`` (and no ``rng``) draws a fresh OS-seeded one.
        rng: Alternatively, a :class:`random.Random` to draw from.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If a size is < 1, ``nouts`` is empty, both ``seed`` and
            ``rng`` are given, or an activation/init name is unknown.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: Activation = "relu",
        output_activation: Activation = "linear",
        init: Init = "uniform",
        bias_init: Init = 0.0,
        seed: int | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.nin = check_int(nin, "nin", minimum=1, example=2)
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence):
            raise TypeError(f"nouts must be a list of layer widths, got {describe(nouts)}; pass e.g. [16, 16, 1]")
        if len(nouts) == 0:
            raise ValueError("nouts must list at least one layer width, e.g. [16, 16, 1]")
        sizes = [self.nin] + [check_int(n, f"nouts[{i}]", minimum=1, example=16) for i, n in enumerate(nouts)]
        activation = _check_activation(activation)
        output_activation = _check_activation(output_activation, "output_activation")
        if seed is not None and rng is not None:
            raise ValueError("pass either seed or rng, not both")
        if seed is not None:
            rng = random.Random(check_int(seed, "seed", example=0))
        rng = _check_rng(rng)
        last = len(nouts) - 1
        self.layers: list[Layer] = [
            Layer(
                sizes[i],
                sizes[i + 1],
                output_activation if i == last else activation,
                init,
                bias_init,
                rng,
            )
            for i in range(len(nouts))
        ]
        self._set_labels()

    @property
    def nouts(self) -> list[int]:
        """Width of each layer."""
        return [layer.nout for layer in self.layers]

    def __call__(self, x: Any) -> Value | list[Value]:
        """Run the network on one input vector.

        Args:
            x: A sequence of ``nin`` floats or Values (a bare one when ``nin == 1``).

        Returns:
            A single Value when the last layer has one neuron, else a list.

        Raises:
            TypeError: If ``x`` is not a sequence of numbers or Values.
            ValueError: If ``len(x) != nin``.
        """
        xs: Sequence[Scalar] = _as_inputs(x, self.nin, "MLP")
        outs: list[Value] = []
        for layer in self.layers:  # at least one
            outs = layer._forward(xs)
            xs = outs
        return outs[0] if len(outs) == 1 else outs

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Return ``[("layers.0.neurons.0.w.0", ...), ...]`` in :meth:`parameters` order."""
        return [
            (f"layers.{i}.{name}", p) for i, layer in enumerate(self.layers) for name, p in layer.named_parameters()
        ]

    def architecture(self) -> dict[str, Any]:
        return {"type": "MLP", "nin": self.nin, "layers": [_layer_arch(layer) for layer in self.layers]}

    def __repr__(self) -> str:
        acts = [_layer_arch(layer)["activation"] for layer in self.layers]
        return f"MLP(nin={self.nin}, nouts={self.nouts}, activations={acts!r})"
