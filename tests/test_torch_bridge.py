"""to_torch, from_torch and compare_with_torch against a real PyTorch (the test extra installs it)."""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import dataclass

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import micrograd_like as ml
from micrograd_like import MLP, symmetry
from micrograd_like.losses import sse
from micrograd_like.nn import ACTIVATIONS
from micrograd_like.testing import points, reals, smooth_at
from micrograd_like.torch_bridge import from_torch, to_torch
from micrograd_like.torch_compare import compare_with_torch


@dataclass(frozen=True)
class Case:
    model: MLP
    activations: tuple[str, ...]
    inputs: tuple[tuple[float, ...], ...]
    targets: tuple[tuple[float, ...], ...]


@st.composite
def cases(draw, bound: float = 1.5) -> Case:
    """A random MLP with its own activation per layer, its weights, a batch of 1-3 inputs and targets."""
    nin = draw(st.integers(1, 3))
    nouts = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    activations = tuple(draw(st.sampled_from(ACTIVATIONS)) for _ in nouts)
    model = MLP(nin, nouts, init=0.0)
    for layer, activation in zip(model.layers, activations):
        for neuron in layer.neurons:
            neuron.activation = activation
    for p in model.parameters():
        p.data = draw(reals(bound))
    batch = draw(st.integers(1, 3))
    inputs = tuple(tuple(draw(points(nin, bound))) for _ in range(batch))
    targets = tuple(tuple(draw(points(nouts[-1], bound))) for _ in range(batch))
    return Case(model, activations, inputs, targets)


def _outputs(model, x):
    out = model(list(x))
    return out if isinstance(out, list) else [out]


def _squared_errors(targets):
    return lambda outs: sum((o - t) ** 2 for out, tgt in zip(outs, targets) for o, t in zip(out, tgt))


def _smooth(case: Case) -> bool:
    """No relu input within 1e-9 of 0, where the two engines' rounding could pick different sides."""
    n = case.model.nin
    flat = [v for x in case.inputs for v in x]

    def cost(*xs):
        rows = [xs[i : i + n] for i in range(0, len(xs), n)]
        return _squared_errors(case.targets)([_outputs(case.model, r) for r in rows])

    return smooth_at(cost, flat, margin=1e-9)


def _torch_grads_by_our_names(net, model) -> dict[str, float]:
    """Row j, column k of the l-th Linear's weight is layers.l.neurons.j.w.k; bias entry j is .b."""
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    grads = {}
    for i, (linear, layer) in enumerate(zip(linears, model.layers)):
        for j, neuron in enumerate(layer.neurons):
            for k in range(len(neuron.w)):
                grads[f"layers.{i}.neurons.{j}.w.{k}"] = linear.weight.grad[j, k].item()
            grads[f"layers.{i}.neurons.{j}.b"] = linear.bias.grad[j].item()
    return grads


def _close(a: float, b: float, scale: float) -> bool:
    # float64 rounding of sums in a different order: 1e-12 relative to the largest magnitude involved.
    return abs(a - b) <= 1e-12 * max(1.0, scale)


@given(cases())
def test_outputs_and_every_gradient_agree_with_pytorch(case):
    assume(_smooth(case))
    net = to_torch(case.model)
    model = case.model
    model.zero_grad()
    ours = [_outputs(model, x) for x in case.inputs]
    cost = _squared_errors(case.targets)(ours)
    cost.backward()
    y = net(torch.tensor(case.inputs, dtype=torch.float64))
    theirs = _squared_errors(case.targets)([[y[n, j] for j in range(y.shape[1])] for n in range(y.shape[0])])
    theirs.backward()
    scale = max(abs(v.data) for row in ours for v in row)
    assert y.dtype == torch.float64
    for n, row in enumerate(ours):
        for j, v in enumerate(row):
            assert _close(v.data, y[n, j].item(), scale)
    expected = _torch_grads_by_our_names(net, model)
    scale = max(abs(p.grad) for p in model.parameters())
    for name, p in model.named_parameters():
        assert _close(p.grad, expected[name], scale), (name, p.grad, expected[name])


@given(cases())
def test_compare_with_torch_tabulates_both_engines_gradients(case):
    assume(_smooth(case))
    model = case.model
    model.zero_grad()
    _squared_errors(case.targets)([_outputs(model, x) for x in case.inputs]).backward()
    ours = {name: p.grad for name, p in model.named_parameters()}
    model.zero_grad()
    table = compare_with_torch(model, case.inputs, _squared_errors(case.targets))
    assert all(p.grad == 0.0 for p in model.parameters())  # it touches no .grad
    assert [r.name for r in table.rows] == list(ours)
    assert [r.ours for r in table.rows] == list(ours.values())
    scale = max(1.0, *(abs(g) for g in ours.values()))
    assert table.largest_difference == max(abs(r.ours - r.theirs) for r in table.rows)
    assert table.largest_difference <= 1e-12 * scale
    assert _close(table.cost, table.torch_cost, abs(table.cost))


@given(cases())
def test_round_trip_is_bit_identical(case):
    back = from_torch(to_torch(case.model))
    assert back.architecture() == case.model.architecture()
    assert [p.data.hex() for p in back.parameters()] == [p.data.hex() for p in case.model.parameters()]
    net = to_torch(case.model)
    again = to_torch(from_torch(net))
    assert [type(m) for m in again] == [type(m) for m in net]
    assert all(torch.equal(a, b) for a, b in zip(again.parameters(), net.parameters()))


def test_the_exported_module_is_plain_pytorch():
    model = symmetry.build_network("uniform", seed=0)
    net = to_torch(model)
    assert [type(m).__name__ for m in net] == ["Linear", "Sigmoid"] * 3
    assert net[0].weight.tolist() == [[w.data for w in n.w] for n in model.layers[0].neurons]
    assert net[4].bias.tolist() == [n.b.data for n in model.layers[2].neurons]
    assert all(p.requires_grad and p.dtype == torch.float64 for p in net.parameters())
    linear = to_torch(MLP(3, [2, 1], activation="tanh", seed=1))  # linear output: no module after it
    assert [type(m).__name__ for m in linear] == ["Linear", "Tanh", "Linear"]


def test_dtype_option_and_other_precisions_read_back():
    model = MLP(2, [3, 1], activation="relu", seed=2)
    net = to_torch(model, dtype=torch.float32)
    assert all(p.dtype == torch.float32 for p in net.parameters())
    back = from_torch(net)  # float32 numbers, widened exactly
    for ours, theirs in zip(model.parameters(), back.parameters()):
        assert theirs.data == float(torch.tensor(ours.data, dtype=torch.float32))
    with pytest.raises(ValueError, match=r"dtype must be a floating-point torch dtype, got torch.int64"):
        to_torch(model, dtype=torch.int64)
    with pytest.raises(TypeError, match=r"dtype must be a torch dtype, got str 'float64'"):
        to_torch(model, dtype="float64")


def test_identity_and_consecutive_linears_read_as_linear_layers():
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Identity(), torch.nn.Linear(3, 2), torch.nn.ReLU())
    model = from_torch(net)
    assert [layer["activation"] for layer in model.architecture()["layers"]] == ["linear", "relu"]
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    assert [layer["activation"] for layer in from_torch(net).architecture()["layers"]] == ["linear", "linear"]


@pytest.mark.parametrize(
    ("layer", "shown"),
    [
        (torch.nn.Dropout(0.5), "Dropout(p=0.5"),
        (torch.nn.Conv1d(3, 3, 1), "Conv1d(3, 3"),
        (torch.nn.LeakyReLU(0.1), "LeakyReLU(negative_slope=0.1)"),
        (torch.nn.GELU(), "GELU("),
        (torch.nn.Sequential(torch.nn.ReLU()), "Sequential("),
    ],
)
def test_from_torch_names_an_unsupported_layer(layer, shown):
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), layer, torch.nn.Linear(3, 1))
    with pytest.raises(ValueError) as info:
        from_torch(net)
    message = str(info.value)
    assert message.startswith(f"layer 1 of the Sequential ({shown}")
    assert "from_torch reads only Linear, ReLU, Tanh, Sigmoid and Identity" in message


@pytest.mark.parametrize(
    ("net", "error", "message"),
    [
        (torch.nn.Linear(2, 1), TypeError, r"from_torch reads a torch.nn.Sequential .* got Linear"),
        (torch.nn.Sequential(), ValueError, r"has no Linear layer; from_torch needs at least one"),
        (
            torch.nn.Sequential(torch.nn.Tanh(), torch.nn.Linear(2, 1)),
            ValueError,
            r"layer 0 of the Sequential \(Tanh\(\)\) is an activation without a Linear layer before it",
        ),
        (
            torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Sigmoid()),
            ValueError,
            r"layer 2 of the Sequential \(Sigmoid\(\)\) is an activation without a Linear",
        ),
        (
            torch.nn.Sequential(torch.nn.Linear(2, 3, bias=False)),
            ValueError,
            r"Linear layer 0 \(.*bias=False\)\) has no bias, .* build it with bias=True",
        ),
        (
            torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(4, 1)),
            ValueError,
            r"Linear layer 1 .* takes 4 inputs but the layer before it gives 3",
        ),
    ],
)
def test_from_torch_refuses_what_is_not_an_mlp(net, error, message):
    with pytest.raises(error, match=message):
        from_torch(net)


def test_from_torch_refuses_a_weight_that_is_not_finite():
    net = torch.nn.Sequential(torch.nn.Linear(2, 1))
    with torch.no_grad():
        net[0].weight[0, 1] = float("nan")
    with pytest.raises(ValueError, match=r"layers\.0\.neurons\.0\.w\.1"):
        from_torch(net)


def test_to_torch_refuses_what_pytorch_has_no_layer_for():
    def swish(v):
        return v * v.sigmoid()

    with pytest.raises(ValueError, match=r"layer 0 uses the activation 'custom:.*swish'.* use one of 'relu', 'tanh'"):
        to_torch(MLP(2, [2, 1], activation=swish))
    mixed = MLP(2, [2, 1], seed=0)
    mixed.layers[0].neurons[1].activation = "tanh"
    with pytest.raises(ValueError, match=r"layer 0 mixes the activations \['relu', 'tanh'\]"):
        to_torch(mixed)
    with pytest.raises(TypeError, match=r"model must be an MLP, got Neuron"):
        to_torch(ml.Neuron(2))


def _detached_on_torch(outs):
    cost = symmetry.cost_of_outputs(outs)
    return cost if isinstance(cost, ml.Value) else cost.detach()


def test_compare_with_torch_explains_a_loss_that_works_only_on_values():
    model = symmetry.build_network("constant")
    with pytest.raises(TypeError, match=r"loss failed on PyTorch's outputs .* build it from arithmetic"):
        compare_with_torch(model, symmetry.OBSERVATIONS, lambda outs: sse(outs, symmetry.TARGETS))
    with pytest.raises(ValueError, match=r"inputs\[1\] must be a list of 2 numbers"):
        compare_with_torch(model, [(0.1, 0.2), (0.3,)], symmetry.cost_of_outputs)
    with pytest.raises(TypeError, match=r"loss must be a function of the outputs"):
        compare_with_torch(model, symmetry.OBSERVATIONS, "sse")
    with pytest.raises(ValueError, match=r"does not depend on PyTorch's outputs \(did it read .data"):
        compare_with_torch(model, symmetry.OBSERVATIONS, _detached_on_torch)
    assert all(p.grad == 0.0 for p in model.parameters())  # a refused comparison leaves no gradient behind


def test_the_comparison_reads_as_a_table():
    model = symmetry.build_network("constant")
    table = compare_with_torch(model, symmetry.OBSERVATIONS, symmetry.cost_of_outputs)
    text = str(table)
    lines = text.splitlines()
    assert lines[0] == f"cost: micrograd_like {table.cost!r}, PyTorch {table.torch_cost!r}, difference " + format(
        abs(table.cost - table.torch_cost), ".3g"
    )
    assert "parameter" in lines[2] and "PyTorch grad" in lines[2]
    assert len(table.rows) == 29
    for row in table.rows:
        assert any(line.startswith(row.name) and repr(row.ours) in line and repr(row.theirs) in line for line in lines)
    assert lines[-1] == (
        f"largest difference: {table.largest_difference:.3g} ({table.largest.name}) over 29 parameters"
    )
    # The constant start's neurons are interchangeable in PyTorch too: equal gradients, bit for bit.
    theirs = {r.name: r.theirs for r in table.rows}
    assert theirs["layers.0.neurons.0.w.1"] == theirs["layers.0.neurons.2.w.1"]
    assert math.isclose(table.cost, symmetry.cost(symmetry.build_network("constant")).data, rel_tol=1e-15)


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_import_micrograd_like_never_imports_torch_or_numpy():
    code = (
        "import sys, importlib\n"
        "import micrograd_like as ml\n"
        "for name in ml._SUBMODULES: importlib.import_module('micrograd_like.' + name)\n"
        "ml.to_torch, ml.from_torch, ml.compare_with_torch\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'numpy')))\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_without_pytorch_the_functions_say_how_to_install_it():
    code = (
        "import sys\n"
        "sys.modules['torch'] = None\n"  # None makes any import of it fail
        "import micrograd_like as ml\n"
        "try:\n"
        "    ml.to_torch(ml.MLP(2, [1]))\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("to_torch needs PyTorch, which could not be imported (")
    assert result.stdout.strip().endswith("install the torch extra: pip install 'micrograd-like[torch]'")
