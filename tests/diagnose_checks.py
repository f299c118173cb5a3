"""Independent checks of diagnose's sentences, shared by the tests of diagnose and of the symmetry verdict.

Every number in a sentence is checked against quantities recomputed here from the
model and the data (outputs, local derivatives, gradients, a fresh training run with
an independent optimiser), never against the Diagnosis that wrote it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from micrograd_like import symmetry
from micrograd_like.diagnose import (
    DIVERGE_FACTOR,
    LARGER_STEP_GAIN,
    OSCILLATION_FRACTION,
    SATURATION_DERIVATIVE,
    SMALL_GRADIENT,
    SMALL_MOVE,
    STEP_FACTOR,
    diagnose,
)
from micrograd_like.losses import sse
from micrograd_like.nn import MLP
from micrograd_like.optim import SGD

X = [list(o) for o in symmetry.OBSERVATIONS]
T = [list(t) for t in symmetry.TARGETS]
SIG = {"activation": "sigmoid", "output_activation": "sigmoid"}


def constant(value: float) -> MLP:
    return MLP(2, [3, 3, 2], init=value, bias_init=value, **SIG)


def healthy(seed: int) -> MLP:
    return MLP(2, [3, 3, 2], seed=seed, **SIG)


def dead_relu(seed: int) -> MLP:
    model = MLP(2, [4, 4, 2], seed=seed)
    for layer in model.layers[:-1]:
        for neuron in layer.neurons:
            neuron.b.data = -50.0
    return model


# -- independent measurements ---------------------------------------------------------------------


def outputs(model: MLP, x: list[float]) -> list[list[float]]:
    per_layer, xs = [], list(x)
    for layer in model.layers:
        xs = [neuron(xs).data for neuron in layer.neurons]
        per_layer.append(xs)
    return per_layer


def local_derivative(model: MLP, layer: int, j: int, x: list[float]) -> float:
    """d(output)/d(pre-activation) by the engine's own backward pass."""
    from micrograd_like.engine import Value

    xs = list(x)
    for li in range(layer):
        xs = [n(xs).data for n in model.layers[li].neurons]
    neuron = model.layers[layer].neurons[j]
    pre = Value(neuron.b.data + sum(w.data * v for w, v in zip(neuron.w, xs)))
    out = pre.sigmoid() if neuron.activation == "sigmoid" else pre.tanh()
    out.backward()
    return pre.grad


@dataclass(frozen=True)
class Case:
    """A model with its data and loss: what every independent measurement needs."""

    model: MLP
    inputs: list
    targets: list
    loss: Callable = sse

    def cost(self):
        return self.loss([self.model(list(x)) for x in self.inputs], list(self.targets))


def layer_norms(case: Case) -> list[float]:
    case.model.zero_grad()
    case.cost().backward()
    norms = [math.sqrt(sum(p.grad**2 for p in layer.parameters())) for layer in case.model.layers]
    case.model.zero_grad()
    return norms


def cost_history(case: Case, lr: float, steps: int) -> list[float]:
    """The cost before each SGD step and after the last (stopping at a non-finite one); weights restored."""
    model = case.model
    state = model.state_dict()
    opt = SGD(model.parameters(), lr=lr)
    history = []
    try:
        for step in range(steps + 1):
            model.zero_grad()
            cost = case.cost()
            history.append(cost.data)
            if step == steps or not math.isfinite(cost.data):
                break
            cost.backward()
            opt.step()
    finally:
        model.load_state_dict(state)
        model.zero_grad()
    return history


def final_cost(case: Case, lr: float, steps: int) -> tuple[float, float]:
    history = cost_history(case, lr, steps)
    return history[0], history[-1]


# -- reading the report back ----------------------------------------------------------------------

GROUPS = r"((?:layer \d+: neurons [\d, ]+(?:; )?)+)"
SENTENCES = {
    "symmetric": re.compile(
        rf"Interchangeable neurons \({GROUPS}\) get identical gradients, so the ([\d-]+) network "
        r"trains like a ([\d-]+) network\."
    ),
    "saturated": re.compile(
        rf"Saturated units \({GROUPS}\) have local derivative at most (\S+) \(below (\S+)\) on every "
        r"sample, and the gradient norms per layer are (.+); start from smaller initial weights\."
    ),
    "dead": re.compile(
        rf"Dead ReLUs \({GROUPS}\) output 0 on every sample \(their largest input is (\S+), their biases "
        r"(\S+?)(?: to (\S+))?\), so their incoming weights get no gradient; (start with biases near zero or "
        r"slightly positive|draw other starting weights \(another seed\) or use leaky_relu, which passes a "
        r"gradient below 0)\."
    ),
    "step": re.compile(
        r"The step size (\S+) is (too large|too small): the cost went from (\S+) to (\S+) in (\d+) steps "
        r"(.+); try lr (\S+)\."
    ),
    "none": re.compile(
        r"None of these: no interchangeable, saturated or dead neurons, and the cost went from (\S+) to "
        r"(\S+) in (\d+) steps at lr (\S+)\."
    ),
}


def parse_groups(text: str) -> list[tuple[int, list[int]]]:
    out = []
    for part in text.split("; "):
        m = re.fullmatch(r"layer (\d+): neurons ([\d, ]+)", part)
        assert m, part
        out.append((int(m[1]), [int(n) for n in m[2].split(", ")]))
    return out


def close(text: str, value: float, rel: float = 5e-2) -> bool:
    return math.isclose(float(text), value, rel_tol=rel, abs_tol=1e-300)


def check_symmetric(m, model: MLP) -> None:
    groups = parse_groups(m[1])
    widths = [model.nin, *model.nouts]
    assert m[2] == "-".join(map(str, widths))
    for layer, ns in groups:
        nxt = model.layers[layer + 1].neurons
        for j in ns[1:]:
            a, b = model.layers[layer].neurons[ns[0]], model.layers[layer].neurons[j]
            assert [w.data for w in a.w] + [a.b.data] == [w.data for w in b.w] + [b.b.data]
            assert [n.w[ns[0]].data for n in nxt] == [n.w[j].data for n in nxt]
        widths[layer + 1] -= len(ns) - 1
    assert m[3] == "-".join(map(str, widths))


def check_saturated(m, case: Case) -> None:
    groups = parse_groups(m[1])
    derivs = [local_derivative(case.model, layer, j, x) for layer, ns in groups for j in ns for x in case.inputs]
    assert max(derivs) < float(m[3]) == SATURATION_DERIVATIVE
    assert close(m[2], max(derivs))
    norms = layer_norms(case)
    quoted = re.findall(r"layer (\d+): (\S+?)(?:,|$)", m[4])
    assert [int(i) for i, _ in quoted] == list(range(len(norms)))
    assert all(close(q, g) for (_, q), g in zip(quoted, norms))


def check_dead(m, model: MLP, inputs) -> None:
    biases, largest = [], []
    for layer, ns in parse_groups(m[1]):
        for j in ns:
            neuron = model.layers[layer].neurons[j]
            assert neuron.activation == "relu"
            assert all(outputs(model, x)[layer][j] == 0.0 for x in inputs)
            seen = [x if layer == 0 else outputs(model, x)[layer - 1] for x in inputs]
            largest.append(max(neuron.b.data + sum(w.data * v for w, v in zip(neuron.w, xs)) for xs in seen))
            biases.append(neuron.b.data)
    assert close(m[2], max(largest), 1e-2) and max(largest) <= 0.0
    assert close(m[3], min(biases), 1e-2) and close(m[4] or m[3], max(biases), 1e-2)
    # Bias advice only when every dead unit's bias is negative; otherwise its weights are the cause.
    assert m[5].startswith("start with biases") == (max(biases) < 0)


def check_step(m, case: Case) -> None:
    lr, steps = float(m[1]), int(m[5])
    history = cost_history(case, lr, steps)
    first, last = history[0], history[-1]
    assert close(m[3], first, 1e-5) and close(m[4], last, 1e-5)
    suggested = float(m[7])
    if m[2] == "too small":
        assert suggested == pytest.approx(lr * STEP_FACTOR)
        assert abs(first - last) < SMALL_MOVE * first
        g = re.fullmatch(r"while the gradient norm was (\S+), and at lr (\S+) the same steps reach (\S+)", m[6])
        assert g and close(g[1], math.sqrt(sum(n * n for n in layer_norms(case))))
        assert float(g[1]) >= SMALL_GRADIENT
        # The larger step really does better: lower, and by LARGER_STEP_GAIN times the progress.
        assert float(g[2]) == pytest.approx(suggested)
        _, larger_last = final_cost(case, suggested, steps)
        assert close(g[3], larger_last, 1e-5) and larger_last < last
        assert first - larger_last >= LARGER_STEP_GAIN * (first - last)
        return
    assert suggested == pytest.approx(lr / STEP_FACTOR)
    smaller = re.fullmatch(r"while at lr (\S+) the same steps reach (\S+)", m[6])
    rose = re.fullmatch(r"and rose at (\d+) of them \((rising|oscillating|diverging)\)", m[6])
    if smaller:
        assert float(smaller[1]) == pytest.approx(suggested)
        _, small_last = final_cost(case, float(smaller[1]), steps)
        assert close(smaller[2], small_last, 1e-5) and small_last < last
        return
    assert rose, m[6]
    ups = sum(1 for a, b in zip(history, history[1:]) if b > a)
    assert int(rose[1]) == ups
    diverging = not math.isfinite(last) or last > DIVERGE_FACTOR * first
    trend = "diverging" if diverging else "rising" if last > first else "oscillating"
    assert rose[2] == trend
    if trend == "oscillating":
        assert ups >= OSCILLATION_FRACTION * (len(history) - 1)


def check_sentence(sentence: str, case: Case) -> str:
    """Check one sentence of diagnose's report against fresh numbers; return its kind."""
    matches = {k: p.fullmatch(sentence) for k, p in SENTENCES.items()}
    kind = next((k for k, m in matches.items() if m), None)
    assert kind is not None, f"unparsed sentence: {sentence!r}"
    m = matches[kind]
    if kind == "symmetric":
        check_symmetric(m, case.model)
    elif kind == "saturated":
        check_saturated(m, case)
    elif kind == "dead":
        check_dead(m, case.model, case.inputs)
    elif kind == "step":
        check_step(m, case)
        kind = "step " + m[2]
    else:
        first, last = final_cost(case, float(m[4]), int(m[3]))
        assert close(m[1], first, 1e-5) and close(m[2], last, 1e-5)
    return kind


def findings_of(model: MLP, inputs, targets, lr: float | None, steps: int = 40, loss: Callable = sse) -> set[str]:
    """Run diagnose, check every sentence against fresh numbers, return the kinds of sentence."""
    case = Case(model, inputs, targets, loss)
    report = diagnose(model, inputs, targets, loss, lr=lr, steps=steps).report()
    return {check_sentence(sentence, case) for sentence in report}
