"""diagnose names exactly the causes built into a network, and its sentences say only what runs show.

Each report sentence is parsed and every number in it is checked against quantities
recomputed here from the model and the data (outputs, local derivatives, gradients,
a fresh training run with an independent optimiser), never against the Diagnosis
that wrote it. A sentence of any other form fails the test.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import micrograd_like
from micrograd_like import symmetry
from micrograd_like.diagnose import (
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


def layer_norms(model: MLP, inputs, targets) -> list[float]:
    model.zero_grad()
    sse([model(x) for x in inputs], targets).backward()
    norms = [math.sqrt(sum(p.grad**2 for p in layer.parameters())) for layer in model.layers]
    model.zero_grad()
    return norms


def final_cost(model: MLP, inputs, targets, lr: float, steps: int) -> tuple[float, float]:
    state = model.state_dict()
    opt = SGD(model.parameters(), lr=lr)
    first = sse([model(x) for x in inputs], targets).data
    for _ in range(steps):
        model.zero_grad()
        cost = sse([model(x) for x in inputs], targets)
        cost.backward()
        opt.step()
    last = sse([model(x) for x in inputs], targets).data
    model.load_state_dict(state)
    model.zero_grad()
    return first, last


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
        rf"Dead ReLUs \({GROUPS}\) output 0 on every sample, so their incoming weights get no gradient; "
        r"start with biases near zero or slightly positive\."
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


def check_saturated(m, model: MLP, inputs, targets) -> None:
    derivs = [local_derivative(model, layer, j, x) for layer, ns in parse_groups(m[1]) for j in ns for x in inputs]
    assert max(derivs) < float(m[3]) == SATURATION_DERIVATIVE
    assert close(m[2], max(derivs))
    norms = layer_norms(model, inputs, targets)
    quoted = re.findall(r"layer (\d+): (\S+?)(?:,|$)", m[4])
    assert [int(i) for i, _ in quoted] == list(range(len(norms)))
    assert all(close(q, g) for (_, q), g in zip(quoted, norms))


def check_dead(m, model: MLP, inputs) -> None:
    for layer, ns in parse_groups(m[1]):
        for j in ns:
            assert model.layers[layer].neurons[j].activation == "relu"
            assert all(outputs(model, x)[layer][j] == 0.0 for x in inputs)


def check_step(m, model: MLP, inputs, targets) -> None:
    lr, steps = float(m[1]), int(m[5])
    first, last = final_cost(model, inputs, targets, lr, steps)
    assert close(m[3], first, 1e-5) and close(m[4], last, 1e-5)
    suggested = float(m[7])
    if m[2] == "too small":
        assert suggested == pytest.approx(lr * STEP_FACTOR)
        assert abs(first - last) < SMALL_MOVE * first
        g = re.fullmatch(r"while the gradient norm was (\S+)", m[6])
        assert g and close(g[1], math.sqrt(sum(n * n for n in layer_norms(model, inputs, targets))))
        assert float(g[1]) >= SMALL_GRADIENT
        return
    assert suggested == pytest.approx(lr / STEP_FACTOR)
    smaller = re.fullmatch(r"while at lr (\S+) the same steps reach (\S+)", m[6])
    rose = re.fullmatch(r"and rose at (\d+) of them \((rising|oscillating|diverging)\)", m[6])
    if smaller:
        _, small_last = final_cost(model, inputs, targets, float(smaller[1]), steps)
        assert close(smaller[2], small_last, 1e-5) and small_last < last
    else:
        assert rose, m[6]
        assert last > first or int(rose[1]) >= OSCILLATION_FRACTION * steps


def findings_of(model: MLP, inputs, targets, lr: float, steps: int = 40) -> set[str]:
    """Run diagnose, check every sentence against fresh numbers, return the kinds of sentence."""
    kinds = set()
    for sentence in diagnose(model, inputs, targets, sse, lr=lr, steps=steps).report():
        matches = {k: p.fullmatch(sentence) for k, p in SENTENCES.items()}
        kind = next((k for k, m in matches.items() if m), None)
        assert kind is not None, f"unparsed sentence: {sentence!r}"
        m = matches[kind]
        if kind == "symmetric":
            check_symmetric(m, model)
        elif kind == "saturated":
            check_saturated(m, model, inputs, targets)
        elif kind == "dead":
            check_dead(m, model, inputs)
        elif kind == "step":
            check_step(m, model, inputs, targets)
            kind = "step " + m[2]
        else:
            first, last = final_cost(model, inputs, targets, float(m[4]), int(m[3]))
            assert close(m[1], first, 1e-5) and close(m[2], last, 1e-5)
        kinds.add(kind)
    return kinds


# -- the grid: causes known by construction -------------------------------------------------------


@pytest.mark.parametrize("value", [0.5, 1.0, 2.0])
def test_constant_starts_are_interchangeable_only(value):
    assert findings_of(constant(value), X, T, lr=1.0) == {"symmetric"}


@pytest.mark.parametrize("value", [5.0, 10.0])
def test_saturating_starts_are_saturated(value):
    # Also interchangeable: every constant start is; the step size is not blamed.
    assert findings_of(constant(value), X, T, lr=1.0) == {"symmetric", "saturated"}


@pytest.mark.parametrize("seed", [0, 1])
def test_relu_nets_with_very_negative_biases_are_dead(seed):
    assert findings_of(dead_relu(seed), X, T, lr=0.1) == {"dead"}


@pytest.mark.parametrize(("lr", "expected"), [(1e-4, {"step too small"}), (0.5, {"none"}), (100.0, {"step too large"})])
@pytest.mark.parametrize("seed", [0, 3])
def test_step_sizes(lr, expected, seed):
    assert findings_of(healthy(seed), X, T, lr=lr) == expected


def test_too_large_step_on_the_constant_network_is_named_with_symmetry():
    assert findings_of(constant(1.0), X, T, lr=100.0) == {"symmetric", "step too large"}


def test_diagnose_leaves_the_weights_as_they_were():
    model = healthy(0)
    before = model.state_dict()
    diagnose(model, X, T, sse, lr=100.0, steps=5)
    assert model.state_dict() == before
    assert all(p.grad == 0.0 for p in model.parameters())


def test_exported_from_the_package():
    assert micrograd_like.diagnose is diagnose


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"lr": -1.0}, ValueError, "lr"),
        ({"lr": 0.0}, ValueError, "lr"),
        ({"lr": "big"}, TypeError, "lr"),
        ({"steps": 0}, ValueError, "steps"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, words):
    with pytest.raises(error, match=words):
        diagnose(healthy(0), X, T, sse, **kwargs)


def test_bad_model_and_data_are_named():
    with pytest.raises(TypeError, match="MLP"):
        diagnose("net", X, T, sse)
    with pytest.raises(ValueError, match="one target per input"):
        diagnose(healthy(0), X, T[:1], sse)


# -- random small MLPs: every reported unit really is dead / saturated ------------------------------


@st.composite
def small_mlps(draw):
    nin = draw(st.integers(1, 3))
    widths = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    activation = draw(st.sampled_from(["relu", "tanh", "sigmoid"]))
    model = MLP(nin, [*widths, 1], activation=activation, seed=draw(st.integers(0, 10**6)))
    scale = draw(st.sampled_from([1.0, 8.0, 30.0]))
    shift = draw(st.floats(-20.0, 20.0))
    for layer in model.layers:
        for neuron in layer.neurons:
            neuron.b.data = neuron.b.data * scale + shift
            for w in neuron.w:
                w.data *= scale
    xs = draw(st.lists(st.lists(st.floats(-2, 2), min_size=nin, max_size=nin), min_size=1, max_size=4))
    return model, xs


@given(small_mlps())
def test_reported_units_really_are_dead_or_saturated(case):
    model, xs = case
    targets = [0.5] * len(xs)
    d = diagnose(model, xs, targets, sse, lr=0.01, steps=1)
    for layer, ns in d.dead:
        for j in ns:
            assert model.layers[layer].neurons[j].activation == "relu"
            assert all(outputs(model, x)[layer][j] == 0.0 for x in xs)
    for layer, ns in d.saturated:
        for j in ns:
            assert all(local_derivative(model, layer, j, x) < SATURATION_DERIVATIVE for x in xs)


def test_the_random_networks_do_contain_dead_and_saturated_units():
    """Guards the property above against vacuity: the strategy does produce both kinds."""
    seen = {"dead": 0, "saturated": 0}

    @given(small_mlps())
    def count(case):
        model, xs = case
        d = diagnose(model, xs, [0.5] * len(xs), sse, lr=0.01, steps=1)
        seen["dead"] += bool(d.dead)
        seen["saturated"] += bool(d.saturated)

    count()
    assert seen["dead"] > 0 and seen["saturated"] > 0
