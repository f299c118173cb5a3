"""Neuron, Layer, MLP: structure, activations, initialisations, validation, symmetry."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from micrograd_like.engine import Value
from micrograd_like.nn import (
    ACTIVATIONS,
    INITS,
    MLP,
    Layer,
    Module,
    Neuron,
    find_symmetric_neurons,
)

# ---------------------------------------------------------------- structure


def test_named_parameters_follow_micrograd_order_and_dotted_names():
    model = MLP(2, [3, 1], seed=0)
    names = [n for n, _ in model.named_parameters()]
    expected = []
    for n in range(3):
        expected += [f"layers.0.neurons.{n}.w.0", f"layers.0.neurons.{n}.w.1", f"layers.0.neurons.{n}.b"]
    expected += [f"layers.1.neurons.0.w.{i}" for i in range(3)] + ["layers.1.neurons.0.b"]
    assert names == expected
    # parameters() is the same list, built from the public attributes in micrograd's order.
    by_attr = [p for layer in model.layers for n in layer.neurons for p in n.w + [n.b]]
    assert all(a is b for a, b in zip(model.parameters(), by_attr))
    assert len(model.parameters()) == len(by_attr)


def test_parameter_labels_are_dotted_names():
    model = MLP(2, [3, 2], seed=1)
    for name, p in model.named_parameters():
        assert p.label == name
    neuron = Neuron(3, rng=random.Random(0))
    assert [p.label for p in neuron.parameters()] == ["w.0", "w.1", "w.2", "b"]
    layer = Layer(2, 2, rng=random.Random(0))
    assert [p.label for p in layer.parameters()][:3] == ["neurons.0.w.0", "neurons.0.w.1", "neurons.0.b"]


def test_parameter_count():
    assert len(MLP(2, [16, 16, 1]).parameters()) == (2 + 1) * 16 + (16 + 1) * 16 + (16 + 1)


def test_mlp_matches_micrograd_defaults_and_outputs():
    ours = MLP(2, [16, 16, 1], seed=3)
    assert [layer.activation for layer in ours.layers] == ["relu", "relu", "linear"]
    for layer in ours.layers:
        for n in layer.neurons:
            assert all(-1.0 <= w.data <= 1.0 for w in n.w)
            assert n.b.data == 0.0
    # A float-only reference forward pass in micrograd's association order:
    # ((b + w0*x0) + w1*x1) + ..., relu on hidden layers, linear output.
    rng = random.Random(5)
    for _ in range(10):
        x = [rng.uniform(-2, 2), rng.uniform(-2, 2)]
        h = x
        for li, layer in enumerate(ours.layers):
            nxt = []
            for n in layer.neurons:
                act = n.b.data
                for w, xi in zip(n.w, h):
                    act = act + w.data * xi
                nxt.append(act if li == 2 else (act if act > 0 else 0.0))
            h = nxt
        out = ours(x)
        assert isinstance(out, Value)
        assert out.data == h[0]  # bit-identical, so micrograd's weights give micrograd's outputs


def test_micrograd_nonlin_flag_is_accepted():
    assert Neuron(2, nonlin=False).activation == "linear"
    assert Neuron(2, nonlin=True).activation == "relu"
    assert [n.activation for n in Layer(2, 3, nonlin=False).neurons] == ["linear"] * 3
    with pytest.raises(ValueError, match="not both"):
        Neuron(2, activation="tanh", nonlin=True)
    with pytest.raises(TypeError, match="nonlin"):
        Layer(2, 3, nonlin=1)


def test_micrograd_positional_nonlin_works_like_the_keyword():
    # micrograd's signature is Neuron(nin, nonlin=True); its code passes the flag positionally.
    for flag, name in ((True, "relu"), (False, "linear")):
        a, b = Neuron(2, flag, rng=random.Random(3)), Neuron(2, nonlin=flag, rng=random.Random(3))
        assert a.activation == name and a.nonlin is flag
        assert a.state_dict() == b.state_dict()
        assert a([0.5, -2.0]).data == b([0.5, -2.0]).data
        assert [n.activation for n in Layer(2, 3, flag).neurons] == [name] * 3
    assert Neuron(2, False, init=-1.0)([1.0, 1.0]).data == -2.0  # linear: no relu clamp
    assert Neuron(2, True, init=-1.0)([1.0, 1.0]).data == 0.0
    with pytest.raises(ValueError, match="given twice"):
        Neuron(2, False, nonlin=False)


def test_a_bool_activation_on_mlp_is_a_type_error_that_names_the_fix():
    with pytest.raises(TypeError, match="activation='linear'"):
        MLP(2, [3, 1], activation=False)
    with pytest.raises(TypeError, match="output_activation='relu'"):
        MLP(2, [3, 1], output_activation=True)


def test_one_output_returns_value_else_list():
    assert isinstance(MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    out = MLP(2, [3, 2], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2 and all(isinstance(o, Value) for o in out)
    assert isinstance(Layer(2, 1, rng=random.Random(0))([1.0, 2.0]), Value)
    assert len(Layer(2, 4, rng=random.Random(0))([1.0, 2.0])) == 4
    assert isinstance(Neuron(2, rng=random.Random(0))([1.0, 2.0]), Value)


def test_width_one_middle_layer_works_forward_and_backward():
    model = MLP(2, [1, 3, 1], activation="tanh", seed=0)
    out = model([0.5, -0.25])
    out.backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    # Hand-chaining micrograd-style layers through a width-1 layer works too.
    l1, l2 = Layer(2, 1, activation="tanh", rng=random.Random(1)), Layer(1, 2, rng=random.Random(2))
    h = l1([0.5, -0.25])
    assert isinstance(h, Value)
    assert len(l2(h)) == 2


def test_accepts_values_and_floats_and_backprops_into_inputs():
    model = MLP(2, [2, 1], activation="tanh", seed=0)
    x = [Value(0.3), Value(-0.7)]
    model(x).backward()
    assert x[0].grad != 0.0 and x[1].grad != 0.0
    assert model((0.3, -0.7)).data == model([0.3, -0.7]).data


@pytest.mark.parametrize("bad", [[1.0], [1.0, 2.0, 3.0], []])
def test_input_length_mismatch_is_a_clear_value_error(bad):
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="expects 2 inputs but got"):
        model(bad)


@pytest.mark.parametrize("bad", ["ab", None, {1: 2}])
def test_non_sequence_input_is_a_type_error(bad):
    with pytest.raises(TypeError, match="sequence"):
        MLP(2, [1], seed=0)(bad)


@pytest.mark.parametrize("bad", [["a", 1.0], [1.0, None], [1.0, [2.0]]])
def test_non_number_input_elements_are_type_errors_naming_the_position(bad):
    with pytest.raises(TypeError, match=r"input \[\d\]"):
        MLP(2, [1], seed=0)(bad)


def test_bare_scalar_input_only_for_one_input_modules():
    assert isinstance(MLP(1, [2, 1], seed=0)(0.5), Value)
    with pytest.raises(ValueError, match="expects 2 inputs but got 1"):
        MLP(2, [1], seed=0)(0.5)


def test_zero_grad_resets_every_parameter():
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_reprs_mention_shape():
    assert "nouts=[3, 1]" in repr(MLP(2, [3, 1], seed=0))
    assert "nout=4" in repr(Layer(2, 4, rng=random.Random(0)))
    assert "nin=5" in repr(Neuron(5, rng=random.Random(0)))


# -------------------------------------------------------------- activations


@pytest.mark.parametrize(
    "name, f",
    [
        ("relu", lambda z: max(z, 0.0)),
        ("tanh", math.tanh),
        ("sigmoid", lambda z: 1.0 / (1.0 + math.exp(-z))),
        ("linear", lambda z: z),
    ],
)
@pytest.mark.parametrize("x", [[0.5, -1.5], [2.0, 1.0]])
def test_named_activations_compute_the_right_function(name, f, x):
    n = Neuron(2, activation=name, init=0.7, bias_init=-0.2)
    z = -0.2 + 0.7 * x[0] + 0.7 * x[1]
    assert n(x).data == pytest.approx(f(z), rel=1e-15, abs=1e-15)


def test_callable_activation_is_used_and_kept():
    def square(v: Value) -> Value:
        return v * v

    n = Neuron(2, activation=square, init=1.0, bias_init=0.0)
    assert n.activation is square
    assert n([1.0, 2.0]).data == 9.0
    model = MLP(2, [2, 1], activation=square, init=1.0)
    assert model.layers[0].activation is square and model.layers[1].activation == "linear"


def test_callable_activation_returning_non_value_is_a_type_error():
    n = Neuron(2, activation=lambda v: v.data, init=1.0)
    with pytest.raises(TypeError, match="must return a Value"):
        n([1.0, 2.0])


@pytest.mark.parametrize("bad", ["softmax", "ReLU", ""])
def test_unknown_activation_lists_valid_choices(bad):
    with pytest.raises(ValueError) as info:
        MLP(2, [1], activation=bad)
    for name in ACTIVATIONS:
        assert repr(name) in str(info.value)
    with pytest.raises(ValueError, match="output_activation"):
        MLP(2, [1], output_activation=bad)


@pytest.mark.parametrize("bad", [3, None, 1.5])
def test_non_string_non_callable_activation_is_a_type_error(bad):
    with pytest.raises(TypeError, match="activation"):
        Neuron(2, activation=bad)


# ---------------------------------------------------------- initialisations


def _weights(model: MLP) -> list[float]:
    return [w.data for layer in model.layers for n in layer.neurons for w in n.w]


def _biases(model: MLP) -> list[float]:
    return [n.b.data for layer in model.layers for n in layer.neurons]


def test_constant_init_sets_every_weight_and_bias():
    model = MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid", init=1.0, bias_init=1.0)
    assert set(_weights(model)) == {1.0} and set(_biases(model)) == {1.0}
    assert set(_weights(MLP(2, [2], init=-3))) == {-3.0}


def test_uniform_init_is_within_minus_one_one():
    ws = _weights(MLP(10, [50], seed=0))
    assert all(-1.0 <= w <= 1.0 for w in ws)
    assert min(ws) < -0.9 and max(ws) > 0.9


def test_xavier_init_respects_glorot_bound():
    model = MLP(30, [20], init="xavier", seed=0)
    bound = math.sqrt(6.0 / (30 + 20))
    ws = _weights(model)
    assert all(-bound <= w <= bound for w in ws)
    assert max(abs(w) for w in ws) > 0.9 * bound


def test_he_and_normal_init_have_the_documented_spread():
    he = _weights(MLP(50, [60], init="he", seed=0))
    assert statistics.pstdev(he) == pytest.approx(math.sqrt(2.0 / 50), rel=0.1)
    normal = _weights(MLP(50, [60], init="normal", seed=0))
    assert statistics.pstdev(normal) == pytest.approx(1.0, rel=0.1)
    assert abs(statistics.fmean(normal)) < 0.1


def test_random_bias_init():
    bs = _biases(MLP(2, [50], bias_init="uniform", seed=0))
    assert len(set(bs)) == 50 and all(-1 <= b <= 1 for b in bs)


def test_callable_init_receives_fan_in_fan_out_and_rng():
    calls = []

    def init(fan_in, fan_out, rng):
        calls.append((fan_in, fan_out, type(rng)))
        return 0.25

    model = MLP(3, [4, 2], init=init, bias_init=init, seed=0)
    assert set(_weights(model)) == {0.25} and set(_biases(model)) == {0.25}
    assert set(calls) == {(3, 4, random.Random), (4, 2, random.Random)}
    assert len(calls) == len(model.parameters())


@pytest.mark.parametrize(
    "ret, exc", [("x", TypeError), (True, TypeError), (math.nan, ValueError), (math.inf, ValueError)]
)
def test_callable_init_returning_garbage_is_rejected(ret, exc):
    with pytest.raises(exc, match="init"):
        MLP(2, [1], init=lambda fi, fo, rng: ret)


@pytest.mark.parametrize(
    "bad, exc",
    [("glorot", ValueError), (True, TypeError), (math.nan, ValueError), (math.inf, ValueError), ([1.0], TypeError)],
)
def test_bad_init_is_rejected_with_choices(bad, exc):
    with pytest.raises(exc) as info:
        MLP(2, [1], init=bad)
    if isinstance(bad, str):
        for name in INITS:
            assert repr(name) in str(info.value)
    with pytest.raises(exc, match="bias_init"):
        MLP(2, [1], bias_init=bad)


def test_seed_and_rng_make_weights_reproducible():
    assert _weights(MLP(2, [4, 3, 1], seed=42)) == _weights(MLP(2, [4, 3, 1], seed=42))
    assert _weights(MLP(2, [4, 3, 1], seed=42)) != _weights(MLP(2, [4, 3, 1], seed=43))
    assert _weights(MLP(2, [4, 1], rng=random.Random(7))) == _weights(MLP(2, [4, 1], seed=7))
    a = Layer(3, 2, rng=random.Random(9))
    b = Layer(3, 2, rng=random.Random(9))
    assert a.state_dict() == b.state_dict()


@pytest.mark.parametrize("kwargs", [{}, {"seed": 1}, {"init": "he", "bias_init": "normal"}, {"init": "xavier"}])
def test_global_random_state_is_never_read_or_changed(kwargs):
    random.seed(1234)
    state = random.getstate()
    MLP(3, [5, 5, 1], **kwargs)
    Neuron(4)
    Layer(4, 3)
    assert random.getstate() == state
    # ...and the global state does not influence the seeded weights.
    random.seed(1)
    w1 = _weights(MLP(2, [3], seed=5))
    random.seed(2)
    assert _weights(MLP(2, [3], seed=5)) == w1


def test_unseeded_models_differ():
    assert _weights(
        MLP(
            3,
            [8],
        )
    ) != _weights(MLP(3, [8]))


# --------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "args, kwargs, exc, match",
    [
        ((0, [1]), {}, ValueError, "nin"),
        ((-2, [1]), {}, ValueError, "nin"),
        (("2", [1]), {}, TypeError, "nin"),
        ((2.0, [1]), {}, TypeError, "nin"),
        ((True, [1]), {}, TypeError, "nin"),
        ((2, []), {}, ValueError, "nouts"),
        ((2, [3, 0]), {}, ValueError, r"nouts\[1\]"),
        ((2, [3, 1.5]), {}, TypeError, r"nouts\[1\]"),
        ((2, "31"), {}, TypeError, "nouts"),
        ((2, 3), {}, TypeError, "nouts"),
        ((2, [1]), {"seed": 1, "rng": random.Random(1)}, ValueError, "either seed or rng"),
        ((2, [1]), {"seed": "1"}, TypeError, "seed"),
        ((2, [1]), {"rng": 5}, TypeError, "random.Random"),
    ],
)
def test_mlp_argument_validation(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        MLP(*args, **kwargs)


def test_layer_and_neuron_validation():
    with pytest.raises(ValueError, match="nout"):
        Layer(2, 0)
    with pytest.raises(TypeError, match="nin"):
        Neuron(None)
    with pytest.raises(TypeError, match="random.Random"):
        Neuron(2, rng=random)


# ----------------------------------------------------------------- symmetry


def test_constant_network_reports_both_hidden_layers_not_outputs():
    model = MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid", init=1.0, bias_init=1.0)
    assert find_symmetric_neurons(model) == [(0, [0, 1, 2]), (1, [0, 1, 2])]


def test_random_network_has_no_symmetric_neurons():
    assert find_symmetric_neurons(MLP(2, [16, 16, 1], seed=0)) == []


def test_equal_incoming_but_different_outgoing_weights_are_not_symmetric():
    model = MLP(2, [3, 1], init=1.0)
    model.layers[1].neurons[0].w[2].data = 0.5
    assert find_symmetric_neurons(model) == [(0, [0, 1])]


def test_different_activations_are_not_symmetric():
    model = MLP(2, [2, 1], init=1.0)
    model.layers[0].neurons[1].activation = "tanh"
    assert find_symmetric_neurons(model) == []


def test_partial_groups_and_tolerance():
    model = MLP(1, [4, 1], init=1.0)
    model.layers[0].neurons[1].b.data = 2.0
    model.layers[0].neurons[3].w[0].data = 1.0 + 1e-9
    assert find_symmetric_neurons(model) == [(0, [0, 2])]
    assert find_symmetric_neurons(model, tol=1e-6) == [(0, [0, 2, 3])]
    assert find_symmetric_neurons(model, tol=2.0) == [(0, [0, 1, 2, 3])]


def test_symmetric_neurons_get_identical_gradients():
    # The claim of the docstring, checked on a deeper relu/tanh net with a Value target.
    model = MLP(3, [4, 4, 2], activation="tanh", init=0.3, bias_init=-0.1)
    out = model([0.2, -0.5, 0.9])
    loss = (out[0] - 1.0) ** 2 + (out[1] + 0.5) ** 2
    loss.backward()
    for li in (0, 1):
        grads = [[w.grad for w in n.w] + [n.b.grad] for n in model.layers[li].neurons]
        assert all(g == grads[0] for g in grads)


@pytest.mark.parametrize("bad, exc", [(Neuron(2, rng=random.Random(0)), TypeError), ("model", TypeError)])
def test_find_symmetric_neurons_rejects_non_mlp(bad, exc):
    with pytest.raises(exc, match="MLP"):
        find_symmetric_neurons(bad)


@pytest.mark.parametrize("tol, exc", [(-1.0, ValueError), (math.nan, ValueError), ("0", TypeError), (True, TypeError)])
def test_find_symmetric_neurons_rejects_bad_tol(tol, exc):
    with pytest.raises(exc, match="tol"):
        find_symmetric_neurons(MLP(2, [2, 1], seed=0), tol=tol)


def test_module_base_has_no_parameters():
    m = Module()
    assert m.parameters() == [] and m.state_dict() == {}


def test_any_iterable_of_numbers_is_an_input_and_nonlin_reads_like_micrograd():
    model = MLP(3, [4, 1], seed=0)
    expected = model([0.1, 0.2, 0.3]).data
    assert model(x for x in (0.1, 0.2, 0.3)).data == expected
    assert model(iter([0.1, 0.2, 0.3])).data == expected
    assert model.layers[0].neurons[0].nonlin is True
    assert model.layers[1].neurons[0].nonlin is False


def test_find_symmetric_neurons_is_one_function_under_three_names():
    # It lives in analysis; nn and the package keep the names docs and users import.
    import micrograd_like
    from micrograd_like import analysis, nn

    assert nn.find_symmetric_neurons is analysis.find_symmetric_neurons
    assert micrograd_like.find_symmetric_neurons is analysis.find_symmetric_neurons
    assert "find_symmetric_neurons" in nn.__all__
    with pytest.raises(AttributeError, match="no_such_name"):
        nn.no_such_name  # noqa: B018 - the module __getattr__ still refuses unknown names
