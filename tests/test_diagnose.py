"""diagnose names exactly the causes built into a network, and its sentences say only what runs show.

Each report sentence is parsed and every number in it is checked against quantities
recomputed here from the model and the data (outputs, local derivatives, gradients,
a fresh training run with an independent optimiser), never against the Diagnosis
that wrote it. A sentence of any other form fails the test.
"""

from __future__ import annotations

import pytest
from diagnose_checks import SIG, T, X, constant, dead_relu, findings_of, healthy, local_derivative, outputs
from hypothesis import given
from hypothesis import strategies as st

import micrograd_like
from micrograd_like.diagnose import SATURATION_DERIVATIVE, diagnose
from micrograd_like.losses import mse, sse
from micrograd_like.nn import MLP

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


@pytest.mark.parametrize("init", ["uniform", "xavier", "he", "normal"])
@pytest.mark.parametrize("seed", [1, 2, 5])
def test_healthy_random_starts_get_none(init, seed):
    model = MLP(2, [3, 3, 2], init=init, seed=seed, **SIG)
    assert findings_of(model, X, T, lr=1.0) == {"none"}
    assert findings_of(model, X, T, lr=None, loss=mse, steps=50) == {"none"}  # the defaults, with mse


def shifted(activation: str, seed: int, shift: float) -> MLP:
    """Random (so not interchangeable) weights, every bias moved by ``shift``."""
    model = MLP(2, [3, 3, 2], seed=seed, activation=activation, output_activation=activation)
    for layer in model.layers:
        for neuron in layer.neurons:
            neuron.b.data += shift
    return model


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("seed", [0, 4])
def test_saturated_without_symmetry_is_saturated_only(activation, seed):
    # |w| <= 1 and inputs below 1: every unit's input is above 27 on both samples, by construction.
    assert findings_of(shifted(activation, seed, 30.0), X, T, lr=1.0) == {"saturated"}


def test_constant_tanh_start_is_interchangeable_and_saturated():
    model = MLP(2, [3, 3, 2], init=5.0, bias_init=5.0, activation="tanh", output_activation="tanh")
    assert findings_of(model, X, T, lr=0.1) == {"symmetric", "saturated"}


def test_a_flat_cost_a_larger_step_does_not_lower_is_not_blamed_on_the_step():
    # Tanh units pushed far into saturation: the cost barely moves while the last layer's gradient is
    # about 0.01, yet ten times the step makes it worse, not better. It used to say "too small".
    model = MLP(2, [3, 3, 2], seed=0, activation="tanh", output_activation="tanh")
    for p in model.parameters():
        p.data *= 20
    assert findings_of(model, X, T, lr=0.1, steps=50) == {"saturated"}


def test_dead_relus_with_zero_biases_are_blamed_on_their_weights():
    model = MLP(2, [3, 1], seed=0)  # biases 0, weights made negative: every input is below 0
    for neuron in model.layers[0].neurons:
        for w in neuron.w:
            w.data = -abs(w.data) - 0.1
    kinds = findings_of(model, X, [t[0] for t in T], lr=0.1, loss=mse)
    assert kinds == {"dead"}
    [sentence] = diagnose(model, X, [t[0] for t in T], mse, lr=0.1).report()
    assert "draw other starting weights (another seed)" in sentence  # the biases are 0: not the cause


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


def test_diagnose_never_writes_the_models_data_or_grad():
    # Diagnosing is explaining: a thread training the model meanwhile must lose nothing,
    # and gradients the user computed stay (it used to zero them).
    model = MLP(2, [3, 2], seed=1, activation="sigmoid", output_activation="sigmoid")
    sse([model(x) for x in X], T).backward()
    before = [(p.data, p.grad) for p in model.parameters()]
    assert any(g != 0.0 for _, g in before)
    diagnose(model, X, T, sse, lr=100.0)
    after = [(p.data, p.grad) for p in model.parameters()]
    assert all(a[0] is b[0] and a[1] is b[1] for a, b in zip(before, after))
