"""Gradients of random small MLPs under every loss agree with finite differences."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from strategies import NNCase, nn_cases

from micrograd_like.engine import Value
from micrograd_like.gradcheck import gradcheck
from micrograd_like.losses import binary_cross_entropy, cross_entropy, hinge, mse, sse
from micrograd_like.nn import MLP
from micrograd_like.testing import smooth_at


def _loss_fn(case: NNCase):
    """f(*params, *x) -> loss Value, with every parameter and input a Value argument."""
    model = MLP(
        case.nin, list(case.nouts), activation=case.activation, output_activation=case.output_activation, init=0.0
    )
    neurons = [n for layer in model.layers for n in layer.neurons]
    n_params = len(case.params)

    def f(*values: Value) -> Value:
        it = iter(values[:n_params])
        for n in neurons:  # swap the model's leaves for the Values gradcheck varies
            n.w = [next(it) for _ in n.w]
            n.b = next(it)
        out = model(list(values[n_params:]))
        outs = out if isinstance(out, list) else [out]
        if case.loss == "mse":
            return mse(outs, list(case.target))
        if case.loss == "sse":
            return sse(outs, list(case.target))
        if case.loss == "hinge":
            return hinge(outs, list(case.target))
        if case.loss == "bce_logits":
            return binary_cross_entropy(outs, list(case.target), from_logits=True)
        if case.loss == "bce_probs":
            return binary_cross_entropy(outs, list(case.target))
        return cross_entropy(outs, case.target)

    return f


@given(nn_cases())
def test_random_mlp_and_loss_pass_gradcheck(case):
    f = _loss_fn(case)
    point = list(case.params) + list(case.x)
    # Central differences are wrong across a relu kink (hidden relus and the hinge).
    assume(smooth_at(f, point))
    assert gradcheck(f, point)


@pytest.mark.slow
@given(nn_cases(max_width=2, max_hidden=1, bound=1.0))
def test_random_mlp_and_loss_pass_second_order_gradcheck(case):
    f = _loss_fn(case)
    point = list(case.params) + list(case.x)
    assume(smooth_at(f, point))
    assert gradcheck(f, point, order=2)
