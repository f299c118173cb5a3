"""The motivating user's network: what happens when every weight starts equal.

The user built a 2-3-3-2 network with a sigmoid on every layer and every
weight and bias set to 1, trained it on two observations with the sum of
squared errors, and found the outputs stuck near the column means of the
targets. The reason: the three neurons of each hidden layer compute the same
value and receive exactly the same gradient, so plain gradient descent keeps
them identical forever and each hidden layer behaves like a single neuron
(see :func:`micrograd_like.nn.find_symmetric_neurons`). Starting saturated
(every sigmoid near 1), that collapsed network sits for thousands of steps on
a plateau where the best it can do is predict the column means.

Honest caveat, worth telling learners: the plateau is not eternal. For these
two observations a 2-1-1-2 network can fit the targets, and at ``lr = 1`` the
constant start leaves the plateau after about 2,500 steps. What never
changes is that its hidden neurons stay bit-for-bit identical: the extra
neurons are wasted capacity. The default budget (2,300 steps) is chosen inside
that plateau, where a seeded random start has already reached the targets.

This module holds the reusable pieces so ``examples/symmetry.py`` and the
``micrograd-like symmetry`` command print the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from micrograd_like.engine import Value
from micrograd_like.losses import sse
from micrograd_like.nn import INITS, MLP, find_symmetric_neurons
from micrograd_like.optim import SGD

__all__ = [
    "OBSERVATIONS",
    "TARGETS",
    "LEARNING_RATE",
    "STEPS",
    "SEED",
    "EXPLANATION",
    "RunResult",
    "build_constant_network",
    "build_random_network",
    "build_network",
    "run",
    "predict",
    "cost",
    "train",
    "compare",
    "format_table",
]

#: The user's two observations (inputs).
OBSERVATIONS: tuple[tuple[float, float], ...] = ((0.8, 0.4), (0.3, 0.3))
#: The user's targets, one row per observation.
TARGETS: tuple[tuple[float, float], ...] = ((0.2, 0.4), (1.0, 0.0))
#: Plain SGD learning rate used by :func:`compare`.
LEARNING_RATE = 1.0
#: Training steps used by :func:`compare` (inside the constant start's plateau).
STEPS = 2300
#: Seed of the random start used by :func:`compare`.
SEED = 0

#: The one-sentence reason printed under the table.
EXPLANATION = (
    "Every hidden neuron of the constant start computes the same value and gets "
    "exactly the same gradient, so gradient descent keeps them identical (bit for "
    "bit) and each 3-neuron layer acts like one neuron, which from this saturated "
    "start sits on a plateau at the column means of the targets; random weights "
    "make the neurons differ from the first step, so they learn different features "
    "and reach the targets."
)


@dataclass(frozen=True)
class RunResult:
    """The outcome of one training run.

    Attributes:
        name: Short description of the start ("constant 1" or "random, seed 0").
        initial_cost: The cost before training.
        final_cost: The cost after training.
        outputs: The network's outputs for each observation after training.
        max_error: Largest absolute difference between an output and its target.
        symmetric: ``find_symmetric_neurons`` of the trained network.
        model: The trained network itself.
    """

    name: str
    initial_cost: float
    final_cost: float
    outputs: tuple[tuple[float, ...], ...]
    max_error: float
    symmetric: tuple[tuple[int, tuple[int, ...]], ...]
    model: MLP = field(repr=False, compare=False)


def build_constant_network(value: float = 1.0) -> MLP:
    """The user's network: 2-3-3-2, sigmoid everywhere, every weight and bias ``value``."""
    return MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid",
               init=value, bias_init=value)


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
            f"unknown scheme {scheme!r}; valid choices are 'constant', "
            f"{', '.join(repr(i) for i in INITS)}"
        )
    return MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid",
               init=scheme, bias_init=0.0, seed=seed)


def predict(model: MLP) -> list[list[Value]]:
    """The model's outputs (as Values) for each of :data:`OBSERVATIONS`."""
    return [list(model(list(x))) for x in OBSERVATIONS]  # type: ignore[arg-type]


def cost(model: MLP) -> Value:
    """Sum of squared errors over both observations and both outputs (the user's cost)."""
    return sse(predict(model), [list(t) for t in TARGETS])


def train(model: MLP, steps: int = STEPS, lr: float = LEARNING_RATE) -> float:
    """Train ``model`` in place with plain SGD on the full batch.

    Args:
        model: A network built by :func:`build_constant_network` or
            :func:`build_random_network` (any 2-input, 2-output MLP works).
        steps: Number of gradient steps, >= 0.
        lr: Learning rate.

    Returns:
        The cost after the last step.

    Raises:
        ValueError: If ``steps`` is negative (and as :class:`SGD` for ``lr``).
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, got {steps!r}")
    opt = SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        c = cost(model)
        opt.zero_grad()
        c.backward()
        opt.step()
    return cost(model).data


def run(name: str, model: MLP, steps: int = STEPS, lr: float = LEARNING_RATE) -> RunResult:
    """Train ``model`` in place (see :func:`train`) and summarise the outcome.

    Args:
        name: Label for the table column.
        model: A 2-input, 2-output network, e.g. from :func:`build_network`.
        steps: Plain SGD steps.
        lr: Learning rate.

    Returns:
        A :class:`RunResult` (holding the trained model too).
    """
    initial = cost(model).data
    final = train(model, steps, lr)
    outputs = tuple(tuple(o.data for o in row) for row in predict(model))
    err = max(abs(o - t) for row, trow in zip(outputs, TARGETS) for o, t in zip(row, trow))
    sym = tuple((li, tuple(group)) for li, group in find_symmetric_neurons(model))
    return RunResult(name, initial, final, outputs, err, sym, model)


def compare(steps: int = STEPS, lr: float = LEARNING_RATE, seed: int = SEED) -> tuple[RunResult, RunResult]:
    """Train the constant start and a seeded random start the same way.

    Args:
        steps: Training steps for each run.
        lr: Plain SGD learning rate.
        seed: Seed of the random start.

    Returns:
        ``(constant_run, random_run)``.
    """
    return (
        run("constant 1", build_constant_network(1.0), steps, lr),
        run(f"random, seed {seed}", build_random_network(seed), steps, lr),
    )


def format_table(results: tuple[RunResult, ...], steps: int = STEPS, lr: float = LEARNING_RATE) -> str:
    """Render runs side by side as a plain-text table, followed by :data:`EXPLANATION`."""
    def fmt_row(row: tuple[float, ...]) -> str:
        return "[" + ", ".join(f"{x:.4f}" for x in row) + "]"

    def fmt_sym(sym: tuple[tuple[int, tuple[int, ...]], ...]) -> str:
        if not sym:
            return "none"
        return "; ".join(f"layer {li}: {list(g)}" for li, g in sym)

    lines: list[tuple[str, ...]] = [("", *(r.name for r in results))]
    lines.append(("cost before", *(f"{r.initial_cost:.6f}" for r in results)))
    lines.append((f"cost after {steps} steps", *(f"{r.final_cost:.6f}" for r in results)))
    for i, target in enumerate(TARGETS):
        lines.append((f"output {i} (target {fmt_row(target)})", *(fmt_row(r.outputs[i]) for r in results)))
    lines.append(("max |output - target|", *(f"{r.max_error:.4f}" for r in results)))
    lines.append(("identical hidden neurons", *(fmt_sym(r.symmetric) for r in results)))
    widths = [max(len(line[c]) for line in lines) for c in range(len(lines[0]))]
    text = [f"Plain SGD, lr = {lr:g}, {steps} steps, cost = sum of squared errors", ""]
    for n, line in enumerate(lines):
        text.append("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
        if n == 0:
            text.append("  ".join("-" * w for w in widths))
    text += ["", EXPLANATION]
    return "\n".join(text)
