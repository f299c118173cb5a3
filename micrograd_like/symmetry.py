"""The motivating user's network: what happens when every weight starts equal.

The user built a 2-3-3-2 network with a sigmoid on every layer and every
weight and bias set to 1, trained it on two observations with the sum of
squared errors, and found the outputs stuck near the column means of the
targets. The reason: the three neurons of each hidden layer compute the same
value and receive exactly the same gradient, so plain gradient descent keeps
them identical forever and each hidden layer behaves like a single neuron
(see :func:`micrograd_like.nn.find_symmetric_neurons`). Whether the collapsed
network still fits the targets depends on the start, the learning rate and
the budget (at ``lr = 1`` the all-ones start leaves the column means after
about 2,500 steps; an all-0.5 start fits them within 5,000): what never
changes is that its hidden neurons stay bit-for-bit identical.

So nothing printed here is canned: :func:`verdict` turns each
:class:`RunResult` into a :class:`Verdict` (plain data, judged with the named
tolerances :data:`TARGET_TOLERANCE` and :data:`MEANS_TOLERANCE`), and
:func:`verdict_paragraphs` writes one sentence per fact of that verdict. :func:`report`
is the whole text of ``micrograd-like symmetry``; :func:`caption` is the
caption of its "after training" pictures and of the README's copies;
:func:`first_backward_graph` and :func:`network_before` draw its pictures of
the first backward pass.
"""

from __future__ import annotations

import copy
import itertools
import textwrap
from dataclasses import dataclass, field
from typing import Any

from micrograd_like._checks import check_bool, check_int, describe
from micrograd_like.compiled import compile as _compile
from micrograd_like.diagnose import Diagnosis, diagnose
from micrograd_like.engine import Value
from micrograd_like.losses import sse
from micrograd_like.nn import INITS, MLP, find_symmetric_neurons
from micrograd_like.optim import SGD

__all__ = [
    "COLUMN_MEANS",
    "LEARNING_RATE",
    "LESSON",
    "MEANS_TOLERANCE",
    "OBSERVATIONS",
    "PICTURE_TEXT_SCALE",
    "PICTURE_WIDTH_INCHES",
    "SEED",
    "STEPS",
    "TARGETS",
    "TARGET_TOLERANCE",
    "RunResult",
    "Verdict",
    "build_constant_network",
    "build_network",
    "build_random_network",
    "caption",
    "compare",
    "cost",
    "cost_of_outputs",
    "first_backward_graph",
    "format_table",
    "network_before",
    "predict",
    "refresh_gradients",
    "report",
    "run",
    "start_name",
    "train",
    "verdict",
    "verdict_paragraphs",
]

#: The user's two observations (inputs).
OBSERVATIONS: tuple[tuple[float, float], ...] = ((0.8, 0.4), (0.3, 0.3))
#: The user's targets, one row per observation.
TARGETS: tuple[tuple[float, float], ...] = ((0.2, 0.4), (1.0, 0.0))
#: The mean target of each output: the best answer that ignores the input.
COLUMN_MEANS: tuple[float, ...] = tuple(sum(column) / len(column) for column in zip(*TARGETS))
#: Plain SGD learning rate used by :func:`compare`.
LEARNING_RATE = 1.0
#: Training steps used by :func:`compare` (the all-ones start is still at the column means).
STEPS = 2300
#: Seed of the random start used by :func:`compare`.
SEED = 0
#: A run *reaches the targets* when every output is within this of its target.
TARGET_TOLERANCE = 0.05
#: A run *sits at the column means* when every output is within this of its column's mean.
#: Both tolerances are below half the smallest gap (0.2) between a target and its
#: column's mean, so no run can be said to do both.
MEANS_TOLERANCE = 0.05

Groups = tuple[tuple[int, tuple[int, ...]], ...]


@dataclass(frozen=True)
class RunResult:
    """The outcome of one training run.

    Attributes:
        name: Short description of the start ("constant 1" or "random (uniform, seed 0)").
        initial_cost: The cost before training.
        final_cost: The cost after training.
        outputs: The network's outputs for each observation after training.
        max_error: Largest absolute difference between an output and its target.
        symmetric: ``find_symmetric_neurons`` of the trained network.
        model: The trained network itself, its gradients taken at the final weights.
        symmetric_before: ``find_symmetric_neurons`` before training.
        steps: The number of SGD steps taken.
        lr: The learning rate.
        diagnosis: :func:`micrograd_like.diagnose` of the start, at ``lr``, taken
            before training (``None`` for a run that was built by hand).
    """

    name: str
    initial_cost: float
    final_cost: float
    outputs: tuple[tuple[float, ...], ...]
    max_error: float
    symmetric: Groups
    model: MLP = field(repr=False, compare=False)
    symmetric_before: Groups = ()
    steps: int = 0
    lr: float = LEARNING_RATE
    diagnosis: Diagnosis | None = field(default=None, repr=False)


def build_constant_network(value: float = 1.0) -> MLP:
    """The user's network: 2-3-3-2, sigmoid everywhere, every weight and bias ``value``."""
    return MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid", init=value, bias_init=value)


def build_random_network(seed: int = SEED) -> MLP:
    """The same shape with micrograd's initialisation (U(-1, 1) weights, bias 0), seeded."""
    return build_network("uniform", seed=seed)


def build_network(scheme: str = "constant", *, value: float = 1.0, seed: int = SEED) -> MLP:
    """The user's 2-3-3-2 sigmoid network with a chosen initialisation.

    Args:
        scheme: ``"constant"`` (every weight and bias equals ``value``: the
            user's case) or a weight initialisation of :class:`MLP`
            (``"uniform"``, ``"xavier"``, ``"he"``, ``"normal"``), with biases 0
            and weights drawn from a generator seeded with ``seed``.
        value: The constant, for ``scheme="constant"``.
        seed: The seed, for the random schemes.

    Raises:
        ValueError: If ``scheme`` is not one of the names above.
    """
    if scheme == "constant":
        return build_constant_network(value)
    if scheme not in INITS:
        raise ValueError(
            f"unknown scheme {scheme!r}; valid choices are 'constant', {', '.join(repr(i) for i in INITS)}"
        )
    return MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid", init=scheme, bias_init=0.0, seed=seed)


def start_name(scheme: str = "constant", *, value: float = 1.0, seed: int = SEED) -> str:
    """The column title of a start: ``"constant 1"`` or ``"random (xavier, seed 3)"``."""
    return f"constant {value:g}" if scheme == "constant" else f"random ({scheme}, seed {seed})"


def predict(model: MLP) -> list[list[Value]]:
    """The model's outputs (as Values) for each of :data:`OBSERVATIONS`.

    Input k of observation n is one Value labelled ``x[n][k]``, shared by every
    neuron of the first layer, so drawings and ledgers name it.
    """
    inputs = [[Value(v, label=f"x[{n}][{k}]") for k, v in enumerate(x)] for n, x in enumerate(OBSERVATIONS)]
    return [list(model(x)) for x in inputs]  # type: ignore[arg-type]  # 3 outputs: a list


def cost(model: MLP) -> Value:
    """Sum of squared errors over both observations and both outputs (the user's cost), labelled ``C``.

    Target j of observation n is a Value labelled ``target[n][j]``.
    """
    targets = [[Value(v, label=f"target[{n}][{j}]") for j, v in enumerate(t)] for n, t in enumerate(TARGETS)]
    c = sse(predict(model), targets)
    c.label = "C"
    return c


def cost_of_outputs(outputs: Any) -> Any:
    """The cost C of ``outputs[n][j]`` (one list per observation), in plain arithmetic.

    The same sum of squared errors as :func:`cost`, written so that it also works
    on PyTorch's outputs (0-d tensors): the loss :func:`micrograd_like.compare_with_torch`
    needs.
    """
    return sum((o - t) ** 2 for out, tgt in zip(outputs, TARGETS) for o, t in zip(out, tgt))


def refresh_gradients(model: MLP) -> float:
    """Set every parameter's ``.grad`` to the cost's gradient at the current weights.

    One forward and one backward pass, no update, so that weights and
    gradients (as drawn by :func:`micrograd_like.viz.draw_network`) belong to
    the same moment. Returns the cost.
    """
    model.zero_grad()
    c = cost(model)
    c.backward()
    return c.data


def train(model: MLP, steps: int = STEPS, lr: float = LEARNING_RATE, *, compiled: bool = True) -> float:
    """Train ``model`` in place with plain SGD on the full batch.

    Args:
        model: A network built by :func:`build_constant_network` or
            :func:`build_random_network` (any 2-input, 2-output MLP works).
        steps: Number of gradient steps, >= 0.
        lr: Learning rate.
        compiled: Record the cost's step once with :func:`micrograd_like.compile`
            and replay it (the default); False builds the graph and calls
            ``backward()`` at every step. The weights come out bit-identical.

    Returns:
        The cost after the last step. The parameters' gradients are then
        those at the final weights (see :func:`refresh_gradients`).

    Raises:
        TypeError: If ``steps`` is not an int or ``compiled`` not a bool.
        ValueError: If ``steps`` is negative (and as :class:`SGD` for ``lr``).
    """
    check_int(steps, "steps", minimum=0, example=STEPS)
    opt = SGD(model.parameters(), lr=lr)
    if check_bool(compiled, "compiled"):
        step = _compile(lambda: cost(model))  # no arguments: the observations are constants
        for _ in range(steps):
            opt.zero_grad()
            step()
            opt.step()
    else:
        for _ in range(steps):
            c = cost(model)
            opt.zero_grad()
            c.backward()
            opt.step()
    return refresh_gradients(model)


def run(name: str, model: MLP, steps: int = STEPS, lr: float = LEARNING_RATE, *, compiled: bool = True) -> RunResult:
    """Train ``model`` in place (see :func:`train`) and summarise the outcome.

    Args:
        name: Label for the table column.
        model: A 2-input, 2-output network, e.g. from :func:`build_network`.
        steps: Plain SGD steps.
        lr: Learning rate.
        compiled: Replay a recorded step (True) or run eagerly, as :func:`train`.

    Returns:
        A :class:`RunResult` (holding the trained model too, and the
        :func:`~micrograd_like.diagnose` of its start at ``lr``).
    """
    before = _groups(model)
    diagnosis = diagnose(model, [list(x) for x in OBSERVATIONS], [list(t) for t in TARGETS], sse, lr=lr)
    initial = cost(model).data
    final = train(model, steps, lr, compiled=compiled)
    outputs = tuple(tuple(o.data for o in row) for row in predict(model))
    err = max(abs(o - t) for row, trow in zip(outputs, TARGETS) for o, t in zip(row, trow))
    return RunResult(
        name,
        initial,
        final,
        outputs,
        err,
        _groups(model),
        model,
        symmetric_before=before,
        steps=steps,
        lr=lr,
        diagnosis=diagnosis,
    )


def _groups(model: MLP) -> Groups:
    return tuple((li, tuple(group)) for li, group in find_symmetric_neurons(model))


def compare(
    steps: int = STEPS, lr: float = LEARNING_RATE, seed: int = SEED, *, compiled: bool = True
) -> tuple[RunResult, RunResult]:
    """Train the constant start and a seeded random start the same way.

    Args:
        steps: Training steps for each run.
        lr: Plain SGD learning rate.
        seed: Seed of the random start.
        compiled: Replay a recorded step (True) or run eagerly, as :func:`train`.

    Returns:
        ``(constant_run, random_run)``.
    """
    return (
        run(start_name("constant"), build_constant_network(1.0), steps, lr, compiled=compiled),
        run(start_name("uniform", seed=seed), build_random_network(seed), steps, lr, compiled=compiled),
    )


# -- the verdict: data first --------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What one run shows, as numbers and yes/no facts (see :func:`verdict`).

    Attributes:
        name: The run's name.
        steps: SGD steps taken.
        groups_before: Interchangeable hidden neurons before training, as
            ``((layer, (neurons...)), ...)``.
        groups_after: The same after training.
        shape: The network's widths, inputs first: ``(2, 3, 3, 2)``.
        effective_shape: The widths once each group of interchangeable
            neurons counts as one neuron: ``(2, 1, 1, 2)`` for a constant start.
        copies: Per hidden layer, how many of its neurons copy another one of
            the same layer (a group of k neurons holds k - 1 copies).
        parameters: Number of parameters of the network.
        free_parameters: Number of parameters of the effective network: the
            independent numbers gradient descent can move.
        max_error: Largest ``|output - target|``.
        reaches_targets: ``max_error <= TARGET_TOLERANCE``.
        means_distance: Largest ``|output - column mean of its targets|``.
        at_column_means: ``means_distance <= MEANS_TOLERANCE``.
        diagnosis: The run's :class:`~micrograd_like.diagnose.Diagnosis` of its
            start, or ``None``.
    """

    name: str
    steps: int
    groups_before: Groups
    groups_after: Groups
    shape: tuple[int, ...]
    effective_shape: tuple[int, ...]
    copies: tuple[int, ...]
    parameters: int
    free_parameters: int
    max_error: float
    reaches_targets: bool
    means_distance: float
    at_column_means: bool
    diagnosis: Diagnosis | None = None

    @property
    def causes(self) -> tuple[str, ...]:
        """What the diagnosis of the start found besides interchangeable neurons."""
        found = self.diagnosis.findings if self.diagnosis is not None else ()
        return tuple(name for name in found if name != "symmetric")

    @property
    def hidden_neurons(self) -> int:
        """Number of hidden neurons."""
        return sum(self.shape[1:-1])

    @property
    def stays_symmetric(self) -> bool:
        """It started with interchangeable neurons and they still are after training."""
        return bool(self.groups_before) and self.groups_before == self.groups_after


def _check_run(result: object, name: str = "result") -> RunResult:
    if not isinstance(result, RunResult):
        raise TypeError(
            f"{name} must be a RunResult made by symmetry.run(), got {describe(result)}; pass e.g. compare()[0]"
        )
    return result


def _check_runs(results: object) -> tuple[RunResult, ...]:
    if not isinstance(results, tuple):
        raise TypeError(f"results must be a tuple of RunResult, got {describe(results)}; pass e.g. compare()")
    if not results:
        raise ValueError("results must hold at least one RunResult, got (); pass e.g. compare()")
    return tuple(_check_run(r, f"results[{k}]") for k, r in enumerate(results))


def _parameter_count(shape: tuple[int, ...]) -> int:
    return sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(shape))


def verdict(result: RunResult) -> Verdict:
    """Judge one run from its numbers, with :data:`TARGET_TOLERANCE` and :data:`MEANS_TOLERANCE`.

    Raises:
        TypeError: If ``result`` is not a :class:`RunResult`.
    """
    _check_run(result)
    layers = result.model.layers
    shape = (len(layers[0].neurons[0].w), *(len(layer.neurons) for layer in layers))
    copies = [0] * (len(shape) - 2)
    for li, members in result.symmetric:
        copies[li] += len(members) - 1
    effective = (shape[0], *(w - c for w, c in zip(shape[1:-1], copies)), shape[-1])
    distance = max(abs(o - m) for row in result.outputs for o, m in zip(row, COLUMN_MEANS))
    return Verdict(
        name=result.name,
        steps=result.steps,
        groups_before=result.symmetric_before,
        groups_after=result.symmetric,
        shape=shape,
        effective_shape=effective,
        copies=tuple(copies),
        parameters=_parameter_count(shape),
        free_parameters=_parameter_count(effective),
        max_error=result.max_error,
        reaches_targets=result.max_error <= TARGET_TOLERANCE,
        means_distance=distance,
        at_column_means=distance <= MEANS_TOLERANCE,
        diagnosis=result.diagnosis,
    )


# -- the verdict as text: one sentence per fact ---------------------------------------------------


def _groups_text(groups: Groups) -> str:
    if not groups:
        return "none"
    return "; ".join(f"layer {layer}: neurons {list(members)}" for layer, members in groups)


def _vector_shortest(values) -> str:
    """Numbers as ``[0.6, 0.2]``: each in its shortest form (``:g``)."""
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


def _shape_text(shape: tuple[int, ...]) -> str:
    return "-".join(str(w) for w in shape)


def _layers_text(groups: Groups) -> str:
    return " and ".join(f"layer {layer} {list(members)}" for layer, members in groups) or "no layer"


def _symmetry_sentence(v: Verdict) -> str:
    if v.stays_symmetric:
        return (
            f"{v.name}: interchangeable hidden neurons (same weights, same gradients) at the start "
            f"and still after {v.steps} steps, in {_layers_text(v.groups_after)}."
        )
    if not v.groups_before and not v.groups_after:
        return f"{v.name}: no two hidden neurons are interchangeable, at the start or after {v.steps} steps."
    return (
        f"{v.name}: interchangeable hidden neurons at the start in {_layers_text(v.groups_before)}, "
        f"after {v.steps} steps in {_layers_text(v.groups_after)}."
    )


def _waste_sentence(v: Verdict) -> str:
    copies = sum(v.copies)
    if not copies:
        return (
            f"None of its {v.hidden_neurons} hidden neurons copies another, so all "
            f"{v.parameters} parameters can learn different things."
        )
    per_layer = ", ".join(f"layer {li}: {c} of {v.shape[li + 1]}" for li, c in enumerate(v.copies))
    return (
        f"{copies} of its {v.hidden_neurons} hidden neurons copy another neuron of their layer "
        f"({per_layer}), so its {v.parameters} parameters move as only {v.free_parameters} "
        f"independent numbers: it trains like a {_shape_text(v.effective_shape)} network."
    )


def _fit_sentences(v: Verdict) -> list[str]:
    means = _vector_shortest(COLUMN_MEANS)
    if v.reaches_targets:
        sentences = [(f"Every output is within {TARGET_TOLERANCE:g} of its target (largest error {v.max_error:.4f}).")]
        if sum(v.copies):
            sentences.append(
                f"So for these two observations a {_shape_text(v.effective_shape)} network "
                f"is enough, and the copied neurons added nothing."
            )
        return sentences  # the tolerances are disjoint: not at the column means
    sentences = [
        (f"It has not reached the targets: its largest error is {v.max_error:.4f}, more than {TARGET_TOLERANCE:g}.")
    ]
    if v.at_column_means:
        sentences.append(
            f"Its outputs are within {MEANS_TOLERANCE:g} of the column means of the targets "
            f"{means} for both observations: nearly the same answer whatever the input."
        )
    else:
        sentences.append(
            f"Nor are its outputs at the column means of the targets {means} "
            f"(one is {v.means_distance:.4f} away, more than {MEANS_TOLERANCE:g})."
        )
    return sentences


def _diagnosis_sentences(v: Verdict) -> list[str]:
    """The diagnosis of the start, one sentence per cause besides interchangeable neurons (said above)."""
    if v.diagnosis is None:
        return []
    sentences = v.diagnosis.sentences()
    return [f"From its start, {sentences[c][0].lower()}{sentences[c][1:]}" for c in v.causes]


#: The closing sentence, printed when a run kept its interchangeable neurons and its diagnosis
#: found no other cause (saturation, dead units or the step size come with their own advice).
LESSON = (
    "Neurons that start equal compute the same value and get the same gradient, so plain "
    "gradient descent keeps them equal forever; start from random weights to make them differ."
)


def verdict_paragraphs(verdicts: tuple[Verdict, ...]) -> list[list[str]]:
    """The verdicts as sentences: one paragraph (a list of sentences) per run, then the lesson.

    Every sentence states a fact of its :class:`Verdict`; the diagnosis of a
    run's start adds one sentence per other cause it found, each ending in its
    own advice. The lesson paragraph (:data:`LESSON`) is there only when some
    run kept interchangeable neurons and its diagnosis found nothing else: then
    the equal start is the cause, and random weights the fix.
    """
    paragraphs = [
        [_symmetry_sentence(v), _waste_sentence(v), *_fit_sentences(v), *_diagnosis_sentences(v)] for v in verdicts
    ]
    if any(v.stays_symmetric and not v.causes for v in verdicts):
        paragraphs.append([LESSON])
    return paragraphs


# -- tables, the report and captions ------------------------------------------------------------


def format_table(results: tuple[RunResult, ...], steps: int | None = None, lr: float | None = None) -> str:
    """Render runs side by side as a plain-text table (steps and lr default to the first run's).

    Raises:
        TypeError: If ``results`` is not a tuple of :class:`RunResult`.
        ValueError: If ``results`` is empty.
    """
    _check_runs(results)
    steps = results[0].steps if steps is None else steps
    lr = results[0].lr if lr is None else lr

    def fmt_row(row: tuple[float, ...]) -> str:
        return "[" + ", ".join(f"{x:.4f}" for x in row) + "]"

    lines: list[tuple[str, ...]] = [("", *(r.name for r in results))]
    lines.append(("cost before", *(f"{r.initial_cost:.6f}" for r in results)))
    lines.append((f"cost after {steps} steps", *(f"{r.final_cost:.6f}" for r in results)))
    for i, target in enumerate(TARGETS):
        lines.append((f"observation {i} (targets {fmt_row(target)})", *(fmt_row(r.outputs[i]) for r in results)))
    lines.append(("max |output - target|", *(f"{r.max_error:.4f}" for r in results)))
    lines.append(
        ("interchangeable hidden neurons", *(_groups_text(r.symmetric).replace("neurons ", "") for r in results))
    )
    widths = [max(len(line[c]) for line in lines) for c in range(len(lines[0]))]
    text = [f"Plain SGD, lr = {lr:g}, {steps} steps, cost = sum of squared errors", ""]
    for n, line in enumerate(lines):
        text.append("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
        if n == 0:
            text.append("  ".join("-" * w for w in widths))
    return "\n".join(text)


def report(results: tuple[RunResult, ...], width: int = 100) -> str:
    """The text of ``micrograd-like symmetry``: the table, the verdict, the neuron groups.

    Args:
        results: Runs from :func:`run` (trained the same way).
        width: Column at which the verdict's paragraphs are wrapped, >= 20.

    Raises:
        TypeError: If ``results`` is not a tuple of :class:`RunResult` or
            ``width`` is not an int.
        ValueError: If ``results`` is empty or ``width`` is below 20.
    """
    _check_runs(results)
    check_int(width, "width", minimum=20, example=100)
    text = [format_table(results), ""]
    for paragraph in verdict_paragraphs(tuple(verdict(r) for r in results)):
        text += [*_wrap(" ".join(paragraph), width), ""]
    for r in results:
        text.append(f"interchangeable neurons, {r.name}:")
        text.append(f"  before training: {_groups_text(r.symmetric_before)}")
        text.append(f"  after training:  {_groups_text(r.symmetric)}")
    return "\n".join(text)


def _wrap(text: str, width: int) -> list[str]:
    """Wrap ``text`` without breaking inside a ``[...]`` list."""
    glue = "\0"
    depth, chars = 0, []
    for ch in text:
        depth += (ch == "[") - (ch == "]")
        chars.append(glue if ch == " " and depth else ch)
    return [line.replace(glue, " ") for line in textwrap.wrap("".join(chars), width, break_on_hyphens=False)]


def caption(result: RunResult) -> str:
    """The caption of a trained network's picture (lines separated by ``\\n``; see ``draw_network``).

    The run's name and budget, its cost and outputs against the targets, and
    the verdict's fit and symmetry facts, in short lines.

    Raises:
        TypeError: If ``result`` is not a :class:`RunResult`.
    """
    v = verdict(result)
    when = f"after {result.steps:,} steps of plain SGD (lr {result.lr:g})" if result.steps else "before training"
    outputs = " and ".join(_vector_two_decimals(row) for row in result.outputs)
    targets = " and ".join(_vector_two_decimals(row) for row in TARGETS)
    if v.reaches_targets:
        fit = f"Every output is within {TARGET_TOLERANCE:g} of its target."
    elif v.at_column_means:
        fit = (
            f"Every output is within {MEANS_TOLERANCE:g} of the column means {_vector_two_decimals(COLUMN_MEANS)} "
            f"of the targets: nearly the same answer whatever the input."
        )
    else:
        fit = (
            f"The outputs are within neither {TARGET_TOLERANCE:g} of the targets nor "
            f"{MEANS_TOLERANCE:g} of their column means {_vector_two_decimals(COLUMN_MEANS)}."
        )
    if sum(v.copies):
        same = (
            f"{sum(v.copies)} of its {v.hidden_neurons} hidden neurons copy another (same colour): same "
            f"weights, same gradients, so it trains like a {_shape_text(v.effective_shape)} network."
        )
    else:
        same = "Every neuron has its own weights and gradients: none are interchangeable."
    return "\n".join(
        [
            f"{result.name}: weights and gradients {when}",
            f"cost {result.final_cost:.4f}; outputs {outputs} for targets {targets}",
            fit,
            same,
        ]
    )


def _vector_two_decimals(values) -> str:
    """Numbers as ``[0.20, 0.40]``: each with two decimals, as the report's tables print outputs."""
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


# -- the pictures of the first backward pass ----------------------------------------------------

#: The op-level picture is laid out at most this many inches (72 pt) wide: Graphviz scales the
#: whole graph down so that it fits a 1,400 px window, and :data:`PICTURE_TEXT_SCALE` enlarges
#: its title, legend and neuron frame titles to stay readable there (the numbers need a zoom).
PICTURE_WIDTH_INCHES = 14.0
PICTURE_TEXT_SCALE = 3.8


def _first_backward(model: MLP) -> tuple[MLP, Value]:
    """A copy of ``model`` after one backward pass from zero gradients, and its cost C.

    The pictures draw the copy: the caller's ``.grad`` are never written, so a
    ``backward()`` running meanwhile in another thread loses nothing.
    """
    scratch = copy.deepcopy(model)
    scratch.zero_grad()
    c = cost(scratch)
    c.backward()
    return scratch, c


def _interchangeable_text(model: MLP) -> str:
    groups = find_symmetric_neurons(model)
    if not groups:
        return "No two neurons are interchangeable: each gets gradients of its own and can learn something different."
    where = " and ".join(f"layers.{li}.neurons.{{{', '.join(str(j) for j in members)}}}" for li, members in groups)
    return (
        f"Interchangeable neurons (same colour): {where}.\n"
        "Same weights, so the same gradient for every parameter: gradient descent can never make them differ."
    )


def first_backward_graph(model: MLP, name: str) -> Any:
    """The op-level picture of the cost's first backward pass (``graph_first_backward.svg``).

    Every Value of the cost C (built as :func:`cost`: inputs ``x[n][k]``, targets
    ``target[n][j]``) with its gradient dC/d(value), one frame per neuron, drawn
    by :func:`micrograd_like.viz.draw_dot` and titled with what it shows. The
    gradients are those of one backward pass from zero; the model's ``.grad``
    are left as they were. Returns an unrendered ``graphviz.Digraph``.
    """
    from .viz import draw_dot, nodes_and_edges

    _, c = _first_backward(model)
    n = len(nodes_and_edges(c)[0])
    title = "\n".join(
        [
            f"The first backward pass of the 2-3-3-2 network, {name} start: every Value of the cost C "
            f"({n} Values) with its gradient dC/d(value)",
            _interchangeable_text(model),
            "x[n][k] = input k of observation n; target[n][j] = its target for output neuron j. "
            "Zoom in for the numbers, hover for full precision.",
        ]
    )
    dot = draw_dot(c, max_nodes=5_000, title=title, text_scale=PICTURE_TEXT_SCALE)
    dot.attr(size=f"{PICTURE_WIDTH_INCHES:g},100")
    return dot


def network_before(model: MLP, name: str) -> Any:
    """The network view before training, with the gradients of the first backward pass.

    The picture ``micrograd-like symmetry`` writes as ``network_*_before.svg``: the
    starting weights and, on every edge and bias, dC/d(parameter) of one backward
    pass (what the learner computes by hand), titled so, at most
    :data:`PICTURE_WIDTH_INCHES` wide. The model's ``.grad`` are left as they
    were. Returns an unrendered ``graphviz.Digraph``.
    """
    from .viz import draw_network

    scratch, c = _first_backward(model)
    title = "\n".join(
        [
            f"{name} start: weights before training, with the gradients of the first backward pass",
            f"cost C {c.data:.4f} for targets {' and '.join(_vector_two_decimals(row) for row in TARGETS)}; "
            "grad = dC/d(parameter), before any update",
            _interchangeable_text(model),
        ]
    )
    dot = draw_network(scratch, title=title)
    dot.attr(size=f"{PICTURE_WIDTH_INCHES:g},100")  # scaled down to fit a 1,400 px window
    return dot
