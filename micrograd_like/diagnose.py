"""Why a small network does not learn: interchangeable neurons, saturated units, dead ReLUs, step size.

:func:`diagnose` inspects an :class:`~micrograd_like.nn.MLP` on a data set,
trains it for a few steps of plain gradient descent (at the given step size and
at one ten times smaller), and
returns a :class:`Diagnosis`: the findings as numbers first. Its
:meth:`Diagnosis.report` writes one sentence per finding, each quoting the
numbers that support it. The model is never written to (its weights and gradients are left as they
were): the trial runs train copies.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from micrograd_like._checks import check_int, check_real
from micrograd_like.analysis import find_symmetric_neurons
from micrograd_like.engine import Value
from micrograd_like.nn import MLP

__all__ = [
    "SMALLER_STEP_GAIN",
    "LARGER_STEP_GAIN",
    "DEAD_OUTPUT",
    "DIVERGE_FACTOR",
    "STEP_FACTOR",
    "DEFAULT_LR",
    "DEFAULT_STEPS",
    "Diagnosis",
    "SATURATION_DERIVATIVE",
    "SMALL_GRADIENT",
    "SMALL_MOVE",
    "OSCILLATION_FRACTION",
    "diagnose",
]

SATURATION_DERIVATIVE = 1e-4
"""A sigmoid/tanh unit is *saturated* when its local derivative is below this on every sample.

A sigmoid's derivative is at most 0.25 and a tanh's at most 1; below 1e-4 a
unit passes back less than 1/2500 of what a sigmoid at its steepest would (its
input is beyond about +-9.2), so two such layers in a row shrink the gradient
by more than six orders of magnitude."""

DEAD_OUTPUT = 0.0
"""A ReLU is *dead* when its output is exactly this (0) on every sample: then its
local derivative is 0 too, so none of its incoming weights ever receives a gradient."""

SMALL_MOVE = 0.01
"""The cost "barely moves" when it changes by less than this fraction of its start over the run."""

SMALL_GRADIENT = 1e-2
"""Gradients are "not small" when the norm of the whole gradient is at least this at the start.
Below it a step of 1 lowers the cost by at most about 1e-4 per step, so a cost that does not
move is explained by a flat region (often saturation), not by the step size."""

SMALLER_STEP_GAIN = 0.01
"""The step is too large when the same number of steps at ``lr / STEP_FACTOR`` ends at a cost lower
by more than this fraction of the starting cost: a step that lands past the valley, or throws the
network into a flat saturated region, loses to a smaller one, while a step that is merely fast wins."""

LARGER_STEP_GAIN = 2.0
"""The step is too small only when the same number of steps at ``lr * STEP_FACTOR`` lowers the cost
at least this many times as much as ``lr`` does (and ends lower): where gradient descent is slow because
the step is small, a ten times larger step makes close to ten times the progress, while a cost that is
flat because the network sits on a plateau (saturated units) moves no faster, or gets worse."""

OSCILLATION_FRACTION = 0.3
"""The cost *oscillates* when at least this fraction of the steps raise it: gradient descent
with a small enough step lowers a smooth cost at nearly every step."""

DIVERGE_FACTOR = 10.0
"""The cost *diverges* when it ends above this many times its start, or stops being finite."""

STEP_FACTOR = 10.0
"""The suggested step is the current one divided (too large) or multiplied (too small) by this:
one order of magnitude, the usual next try in a learning-rate sweep."""

DEFAULT_LR = 0.1
DEFAULT_STEPS = 50

Loss = Callable[[Any, Any], Value]


@dataclass(frozen=True)
class Diagnosis:
    """The findings of :func:`diagnose`, each with its evidence.

    Attributes:
        shape: Widths of the network, inputs first, e.g. ``(2, 3, 3, 2)``.
        effective_shape: The same with each group of interchangeable neurons counted once.
        symmetric: ``[(layer, [neurons]), ...]`` interchangeable groups in the starting weights.
        saturated: ``[(layer, [neurons]), ...]`` sigmoid/tanh units saturated on every sample.
        max_derivative: Per saturated unit ``(layer, neuron)``, its largest local derivative.
        dead: ``[(layer, [neurons]), ...]`` ReLU units whose output is 0 on every sample.
        dead_inputs: Per dead unit ``(layer, neuron, bias, largest input)``: its bias and the largest
            value its ReLU receives over the samples (at most 0).
        grad_norms: Norm of the gradient of each layer's parameters at the start.
        surviving: Each layer's gradient norm divided by the last layer's (1.0 for the last).
        lr: The step size trained with; ``steps`` the number of steps.
        costs: The cost before each step and after the last one.
        smaller_costs: The same for a run from the same start at ``lr / STEP_FACTOR``.
        larger_costs: The same at ``lr * STEP_FACTOR``, run only when the cost barely moved while
            the gradient was not small (``()`` otherwise): the evidence for "too small".
        step: ``"too large"``, ``"too small"`` or ``None``; ``step_trend`` says how
            (``"diverging"``, ``"rising"``, ``"oscillating"``, ``"overshooting"`` (a smaller step
            ends lower) or ``"flat"``).
        suggested_lr: The step size to try instead, or ``None``.
    """

    shape: tuple[int, ...]
    effective_shape: tuple[int, ...]
    symmetric: tuple[tuple[int, tuple[int, ...]], ...]
    saturated: tuple[tuple[int, tuple[int, ...]], ...]
    max_derivative: tuple[tuple[int, int, float], ...]
    dead: tuple[tuple[int, tuple[int, ...]], ...]
    grad_norms: tuple[float, ...]
    surviving: tuple[float, ...]
    lr: float
    steps: int
    costs: tuple[float, ...]
    smaller_costs: tuple[float, ...]
    step: str | None
    step_trend: str | None
    suggested_lr: float | None
    larger_costs: tuple[float, ...] = ()
    dead_inputs: tuple[tuple[int, int, float, float], ...] = ()

    @property
    def findings(self) -> tuple[str, ...]:
        """Names of the findings present: a subset of symmetry, saturation, dead, step size."""
        names = [("symmetric", self.symmetric), ("saturated", self.saturated), ("dead", self.dead)]
        found = [name for name, groups in names if groups]
        if self.step is not None:
            found.append("step " + self.step)
        return tuple(found)

    def sentences(self) -> dict[str, str]:
        """One sentence per finding, keyed by its name in :attr:`findings` (empty when there is none)."""
        writers = {"symmetric": _symmetric_sentence, "saturated": _saturated_sentence, "dead": _dead_sentence}
        out = {name: writers[name](self) for name in self.findings if name in writers}
        if self.step is not None:
            out["step " + self.step] = _step_sentence(self)
        return out

    def report(self) -> list[str]:
        """One sentence per finding, each quoting its numbers; one sentence when there is none."""
        sentences = list(self.sentences().values())
        if not sentences:
            sentences.append(
                f"None of these: no interchangeable, saturated or dead neurons, and the cost went "
                f"from {self.costs[0]:.6g} to {self.costs[-1]:.6g} in {self.steps} steps at lr {self.lr:g}."
            )
        return sentences


def _groups_text(groups: Sequence[tuple[int, Sequence[int]]]) -> str:
    return "; ".join(f"layer {layer}: neurons {', '.join(str(n) for n in ns)}" for layer, ns in groups)


def _symmetric_sentence(d: Diagnosis) -> str:
    shape = "-".join(str(n) for n in d.shape)
    eff = "-".join(str(n) for n in d.effective_shape)
    return (
        f"Interchangeable neurons ({_groups_text(d.symmetric)}) get identical gradients, "
        f"so the {shape} network trains like a {eff} network."
    )


def _saturated_sentence(d: Diagnosis) -> str:
    largest = max(m for _, _, m in d.max_derivative)
    norms = ", ".join(f"layer {i}: {g:.2g}" for i, g in enumerate(d.grad_norms))
    return (
        f"Saturated units ({_groups_text(d.saturated)}) have local derivative at most {largest:.2g} "
        f"(below {SATURATION_DERIVATIVE:g}) on every sample, and the gradient norms per layer are "
        f"{norms}; start from smaller initial weights."
    )


def _dead_sentence(d: Diagnosis) -> str:
    biases = [b for _, _, b, _ in d.dead_inputs]
    largest = max(x for _, _, _, x in d.dead_inputs)
    if max(biases) < 0:
        advice = "start with biases near zero or slightly positive"
    else:  # the biases are not what pushes them below zero: their weights are
        advice = "draw other starting weights (another seed) or use leaky_relu, which passes a gradient below 0"
    return (
        f"Dead ReLUs ({_groups_text(d.dead)}) output 0 on every sample (their largest input is {largest:.3g}, "
        f"their biases {_span(biases)}), so their incoming weights get no gradient; "
        f"{advice}."
    )


def _span(values: Sequence[float]) -> str:
    low, high = f"{min(values):.3g}", f"{max(values):.3g}"
    return low if low == high else f"{low} to {high}"


def _step_sentence(d: Diagnosis) -> str:
    first, last = d.costs[0], d.costs[-1]
    ups = sum(1 for a, b in zip(d.costs, d.costs[1:]) if b > a)
    head = f"The step size {d.lr:g} is {d.step}: the cost went from {first:.6g} to {last:.6g} in {d.steps} steps"
    total = math.sqrt(sum(g * g for g in d.grad_norms))
    if d.step_trend == "overshooting":
        why = f"while at lr {d.suggested_lr:g} the same steps reach {d.smaller_costs[-1]:.6g}"
    elif d.step == "too large":
        why = f"and rose at {ups} of them ({d.step_trend})"
    else:
        why = (
            f"while the gradient norm was {total:.2g}, and at lr {d.suggested_lr:g} the same steps "
            f"reach {d.larger_costs[-1]:.6g}"
        )
    return f"{head} {why}; try lr {d.suggested_lr:g}."


# -- measuring ------------------------------------------------------------------------------------


def _activations(model: MLP, inputs: Sequence[Sequence[float]]) -> list[list[list[float]]]:
    """acts[sample][layer][neuron]: each neuron's output, in plain floats."""
    out = []
    for x in inputs:
        per_layer = []
        xs = [float(v) for v in x]
        for layer in model.layers:
            xs = [n(xs).data for n in layer.neurons]
            per_layer.append(xs)
        out.append(per_layer)
    return out


def _derivative(activation: str, y: float) -> float:
    return y * (1.0 - y) if activation == "sigmoid" else 1.0 - y * y


def _units(model: MLP, acts: list[list[list[float]]], kinds: tuple[str, ...], test: Callable[[str, float], bool]):
    found = []
    for li, layer in enumerate(model.layers):
        members = [
            j
            for j, neuron in enumerate(layer.neurons)
            if neuron.activation in kinds and all(test(neuron.activation, s[li][j]) for s in acts)
        ]
        if members:
            found.append((li, tuple(members)))
    return tuple(found)


def _cost(model: MLP, inputs: Sequence[Any], targets: Sequence[Any], loss: Loss) -> Value:
    return loss([model(list(x)) for x in inputs], list(targets))


def _layer_norms(model: MLP) -> tuple[float, ...]:
    return tuple(math.sqrt(sum(p.grad * p.grad for p in layer.parameters())) for layer in model.layers)


def _train(
    model: MLP, inputs, targets, loss: Loss, lr: float, steps: int
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    params = model.parameters()
    costs: list[float] = []
    norms: tuple[float, ...] = ()
    for step in range(steps + 1):
        model.zero_grad()
        c = _cost(model, inputs, targets, loss)
        costs.append(c.data)
        if step == steps or not math.isfinite(c.data):
            break
        c.backward()
        if step == 0:
            norms = _layer_norms(model)
        for p in params:
            p.data -= lr * p.grad
    model.zero_grad()
    return tuple(costs), norms or tuple(0.0 for _ in model.layers)


def _step_finding(costs: tuple[float, ...], norms: tuple[float, ...], lr: float, smaller: tuple[float, ...] | None):
    first, last = costs[0], costs[-1]
    ups = sum(1 for a, b in zip(costs, costs[1:]) if b > a)
    if not math.isfinite(last) or last > DIVERGE_FACTOR * first:
        return "too large", "diverging", lr / STEP_FACTOR
    if last > first:
        return "too large", "rising", lr / STEP_FACTOR
    if len(costs) > 1 and ups >= OSCILLATION_FRACTION * (len(costs) - 1):
        return "too large", "oscillating", lr / STEP_FACTOR
    total = math.sqrt(sum(g * g for g in norms))
    if smaller is not None and smaller[-1] < last - SMALLER_STEP_GAIN * abs(first):
        return "too large", "overshooting", lr / STEP_FACTOR
    if abs(first - last) < SMALL_MOVE * abs(first) and total >= SMALL_GRADIENT:
        return "too small", "flat", lr * STEP_FACTOR
    return None, None, None


def diagnose(
    model: MLP,
    inputs: Sequence[Sequence[float]],
    targets: Sequence[Any],
    loss: Loss,
    *,
    lr: float | None = None,
    steps: int = DEFAULT_STEPS,
) -> Diagnosis:
    """Say which of four classic reasons keeps ``model`` from learning ``targets`` from ``inputs``.

    Inspects the starting weights (interchangeable neurons, saturated
    sigmoid/tanh units, dead ReLUs, gradient norms per layer), then trains
    for ``steps`` steps of plain gradient descent at ``lr`` and reads the cost
    history for a step size that is too large or too small. The model itself
    is never written to (the trial runs train copies): its weights and any
    gradients it holds stay as they were.

    Args:
        model: An :class:`~micrograd_like.nn.MLP`.
        inputs: One sequence of ``model.nin`` numbers per sample.
        targets: One target per sample, shaped like the model's output.
        loss: ``loss(predictions, targets) -> Value``, e.g. :func:`~micrograd_like.losses.mse`.
        lr: Step size; :data:`DEFAULT_LR` when ``None``.
        steps: Number of training steps, >= 1.

    Raises:
        TypeError: If ``model`` is not an MLP or a number argument is not a number.
        ValueError: If ``lr`` is not positive, ``steps < 1`` or ``inputs`` and ``targets`` differ in length.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"diagnose needs an MLP, got {type(model).__name__}; pass e.g. MLP(2, [3, 1])")
    lr = DEFAULT_LR if lr is None else check_real(lr, "lr", minimum=0.0, example=0.1)
    if lr == 0.0:
        raise ValueError("lr must be positive, got 0; pass e.g. lr=0.1")
    steps = check_int(steps, "steps", minimum=1, example=50)
    if len(inputs) != len(targets) or len(inputs) == 0:
        raise ValueError(
            f"inputs has {len(inputs)} sample(s) and targets {len(targets)}; pass one target per input, at least one"
        )
    acts = _activations(model, inputs)
    saturated = _units(model, acts, ("sigmoid", "tanh"), lambda a, y: _derivative(a, y) < SATURATION_DERIVATIVE)
    dead = _units(model, acts, ("relu",), lambda a, y: y == DEAD_OUTPUT)
    symmetric = tuple((li, tuple(ns)) for li, ns in find_symmetric_neurons(model))
    costs, norms = _trial(model, inputs, targets, loss, lr, steps)
    smaller, _ = _trial(model, inputs, targets, loss, lr / STEP_FACTOR, steps)
    step, trend, suggested = _step_finding(costs, norms, lr, smaller)
    larger: tuple[float, ...] = ()
    if step == "too small":  # only a larger step that really does better makes the step "too small"
        larger, _ = _trial(model, inputs, targets, loss, lr * STEP_FACTOR, steps)
        if not _larger_helps(costs, larger):
            step = trend = suggested = None
    return Diagnosis(
        shape=(model.nin, *model.nouts),
        effective_shape=_effective_shape(model, symmetric),
        symmetric=symmetric,
        saturated=saturated,
        max_derivative=_max_derivatives(model, acts, saturated),
        dead=dead,
        grad_norms=norms,
        surviving=tuple(g / norms[-1] if norms[-1] else 0.0 for g in norms),
        lr=lr,
        steps=steps,
        costs=costs,
        smaller_costs=smaller,
        step=step,
        step_trend=trend,
        suggested_lr=suggested,
        larger_costs=larger,
        dead_inputs=_dead_inputs(model, inputs, acts, dead),
    )


def _trial(model: MLP, inputs, targets, loss: Loss, lr: float, steps: int):
    """Train a copy from the current weights (see :func:`_train`): the model's ``.data`` and
    ``.grad`` are never written, so a thread training it meanwhile loses nothing."""
    return _train(copy.deepcopy(model), inputs, targets, loss, lr, steps)


def _larger_helps(costs: tuple[float, ...], larger: tuple[float, ...]) -> bool:
    gain, larger_gain = costs[0] - costs[-1], costs[0] - larger[-1]
    return math.isfinite(larger[-1]) and larger[-1] < costs[-1] and larger_gain >= LARGER_STEP_GAIN * gain


def _dead_inputs(model: MLP, inputs, acts, dead) -> tuple[tuple[int, int, float, float], ...]:
    """``(layer, neuron, bias, largest input to its ReLU over the samples)`` of each dead unit."""
    out = []
    for li, ns in dead:
        for j in ns:
            neuron = model.layers[li].neurons[j]
            seen = [[float(v) for v in x] if li == 0 else a[li - 1] for x, a in zip(inputs, acts)]
            pre = max(neuron.b.data + sum(w.data * v for w, v in zip(neuron.w, xs)) for xs in seen)
            out.append((li, j, neuron.b.data, pre))
    return tuple(out)


def _effective_shape(model: MLP, symmetric) -> tuple[int, ...]:
    widths = [model.nin, *model.nouts]
    for li, ns in symmetric:
        widths[li + 1] -= len(ns) - 1
    return tuple(widths)


def _max_derivatives(model: MLP, acts, saturated) -> tuple[tuple[int, int, float], ...]:
    out = []
    for li, ns in saturated:
        for j in ns:
            act = model.layers[li].neurons[j].activation
            out.append((li, j, max(_derivative(act, s[li][j]) for s in acts)))
    return tuple(out)
