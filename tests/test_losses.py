"""Loss functions: values, gradients, stability, shapes and errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd_like.engine import Value
from micrograd_like.gradcheck import gradcheck
from micrograd_like.losses import binary_cross_entropy, cross_entropy, hinge, l2_penalty, mse, sse

bounded = st.floats(-5, 5, allow_nan=False)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    return math.exp(z) / (1.0 + math.exp(z))


# ---------------------------------------------------------------- sse / mse


def test_sse_and_mse_by_hand():
    preds = [[Value(1.0), Value(2.0)], [Value(0.5), Value(-1.0)]]
    targets = [[0.0, 2.5], [1.0, 1.0]]
    assert sse(preds, targets).data == 1.0 + 0.25 + 0.25 + 4.0
    assert mse(preds, targets).data == pytest.approx(5.5 / 4, rel=1e-15)


def test_single_scalar_prediction():
    assert sse(Value(3.0), 1.0).data == 4.0
    assert mse(3.0, Value(1.0)).data == 4.0


def test_single_vector_equals_batch_of_scalars():
    p = [Value(0.3), Value(0.9)]
    assert mse(p, [0.0, 1.0]).data == mse([[p[0]], [p[1]]], [[0.0], [1.0]]).data


def test_sse_gradient_and_value_targets_get_gradients():
    p, t = Value(3.0), Value(1.0)
    sse([p], [t]).backward()
    assert p.grad == 4.0 and t.grad == -4.0


@pytest.mark.parametrize("loss", [sse, mse])
@pytest.mark.parametrize(
    "preds, targets, match",
    [
        ([1.0, 2.0], [1.0], "predictions has 2 element"),
        ([[1.0, 2.0], [3.0]], [[1.0, 2.0], [3.0, 4.0]], r"predictions\[1\] has 1"),
        ([], [], "empty"),
    ],
)
def test_shape_mismatch_is_a_value_error(loss, preds, targets, match):
    with pytest.raises(ValueError, match=match):
        loss(preds, targets)


@pytest.mark.parametrize("loss", [sse, mse, hinge, binary_cross_entropy])
@pytest.mark.parametrize("preds, targets", [(["a"], [1.0]), ([1.0], [None]), ([True], [1.0]), ({1.0}, [1.0])])
def test_non_numbers_are_type_errors(loss, preds, targets):
    with pytest.raises(TypeError):
        loss(preds, targets)


# ----------------------------------------------------------------- hinge


def test_hinge_matches_micrograd_formula():
    scores = [Value(0.5), Value(-2.0), Value(3.0)]
    labels = [1, -1, -1]
    expected = (max(0.0, 1 - 0.5) + max(0.0, 1 - 2.0) + max(0.0, 1 + 3.0)) / 3
    loss = hinge(scores, labels)
    assert loss.data == pytest.approx(expected, rel=1e-15)
    loss.backward()
    assert [s.grad for s in scores] == pytest.approx([-1 / 3, 0.0, 1 / 3])


@pytest.mark.parametrize("bad", [0, 0.5, 2, -1.5])
def test_hinge_labels_must_be_plus_minus_one(bad):
    with pytest.raises(ValueError, match=r"-1 or \+1"):
        hinge([Value(0.1)], [bad])


# ------------------------------------------------------------------- BCE


@given(z=bounded, t=st.floats(0, 1))
def test_bce_from_logits_equals_bce_of_sigmoid(z, t):
    from_logits = binary_cross_entropy(Value(z), t, from_logits=True).data
    p = _sigmoid(z)
    direct = -(t * math.log(p) + (1 - t) * math.log(1 - p))
    assert from_logits == pytest.approx(direct, rel=1e-9, abs=1e-12)
    from_probs = binary_cross_entropy(Value(z).sigmoid(), t).data
    assert from_probs == pytest.approx(direct, rel=1e-9, abs=1e-12)


@given(z=bounded, t=st.floats(0, 1))
def test_bce_from_logits_gradient_is_sigmoid_minus_target(z, t):
    v = Value(z)
    binary_cross_entropy(v, t, from_logits=True).backward()
    assert v.grad == pytest.approx(_sigmoid(z) - t, abs=1e-12)


@pytest.mark.parametrize(
    "z, t, expected", [(1000.0, 0.0, 1000.0), (1000.0, 1.0, 0.0), (-1000.0, 1.0, 1000.0), (-1000.0, 0.0, 0.0)]
)
def test_bce_from_logits_is_stable_at_huge_logits(z, t, expected):
    v = Value(z)
    loss = binary_cross_entropy(v, t, from_logits=True)
    assert loss.data == pytest.approx(expected, abs=1e-12)
    loss.backward()
    assert v.grad == pytest.approx(_sigmoid(z) - t, abs=1e-12)


def test_bce_of_confident_correct_probability_is_zero():
    assert binary_cross_entropy([Value(1.0), Value(0.0)], [1.0, 0.0]).data == 0.0


@pytest.mark.parametrize("p, t", [(0.0, 1.0), (1.0, 0.0), (0.0, 0.5), (1.0, 0.5)])
def test_bce_of_infinitely_wrong_probability_says_use_logits(p, t):
    with pytest.raises(ValueError, match="from_logits=True"):
        binary_cross_entropy(Value(p), t)


def test_bce_batch_mean_and_range_checks():
    preds = [Value(0.2), Value(0.9)]
    expected = (-math.log(0.8) - math.log(0.9)) / 2
    assert binary_cross_entropy(preds, [0.0, 1.0]).data == pytest.approx(expected, rel=1e-14)
    with pytest.raises(ValueError, match="target"):
        binary_cross_entropy(Value(0.5), 1.5)
    with pytest.raises(ValueError, match="probability"):
        binary_cross_entropy(Value(1.5), 1.0)
    with pytest.raises(ValueError, match="has 1 element"):
        binary_cross_entropy([Value(0.5)], [1.0, 0.0])


# ---------------------------------------------------------- cross entropy


def test_cross_entropy_value_and_gradient_is_softmax_minus_onehot():
    zs = [Value(1.0), Value(2.0), Value(-0.5)]
    loss = cross_entropy(zs, 1)
    exps = [math.exp(z.data) for z in zs]
    assert loss.data == pytest.approx(-math.log(exps[1] / sum(exps)), rel=1e-14)
    loss.backward()
    soft = [e / sum(exps) for e in exps]
    assert [z.grad for z in zs] == pytest.approx([soft[0], soft[1] - 1, soft[2]], abs=1e-14)


def test_cross_entropy_is_stable_for_huge_logits():
    zs = [Value(1000.0), Value(0.0), Value(-1000.0)]
    assert cross_entropy(zs, 0).data == pytest.approx(0.0, abs=1e-12)
    assert cross_entropy(zs, 1).data == pytest.approx(1000.0, rel=1e-12)
    assert cross_entropy([1000.0, 1000.0], 0).data == pytest.approx(math.log(2), rel=1e-12)


def test_cross_entropy_batch_is_the_mean():
    batch = [[Value(1.0), Value(2.0)], [Value(0.0), Value(3.0)]]
    mean = (cross_entropy(batch[0], 0).data + cross_entropy(batch[1], 1).data) / 2
    assert cross_entropy(batch, [0, 1]).data == pytest.approx(mean, rel=1e-15)


@pytest.mark.parametrize(
    "logits, target, exc, match",
    [
        ([1.0, 2.0], 2, ValueError, "valid: 0..1"),
        ([1.0, 2.0], -1, ValueError, "class index"),
        ([1.0, 2.0], 1.0, TypeError, "int class index"),
        ([1.0, 2.0], True, TypeError, "int class index"),
        ([], 0, ValueError, "empty"),
        ([[1.0, 2.0]], [0, 1], ValueError, "1 logit lists but 2 targets"),
        ([1.0, "x"], 0, TypeError, r"logits\[1\]"),
        (1.0, 0, TypeError, "logits"),
    ],
)
def test_cross_entropy_errors(logits, target, exc, match):
    with pytest.raises(exc, match=match):
        cross_entropy(logits, target)


# ------------------------------------------------------------ l2 penalty


def test_l2_penalty():
    ps = [Value(1.0), Value(-2.0)]
    pen = l2_penalty(ps, 0.5)
    assert pen.data == 2.5
    pen.backward()
    assert [p.grad for p in ps] == [1.0, -2.0]
    with pytest.raises(ValueError, match="alpha"):
        l2_penalty(ps, -1.0)
    with pytest.raises(TypeError, match="alpha"):
        l2_penalty(ps, "1")
    with pytest.raises(TypeError, match="alpha"):
        l2_penalty(ps, True)  # a bool is a slip, not a strength
    with pytest.raises(ValueError, match="empty"):
        l2_penalty([], 1.0)
    with pytest.raises(TypeError, match=r"params\[1\] must be a Value"):
        l2_penalty([Value(1.0), 2.0], 1.0)  # a float would make the penalty a float, not a Value


# ------------------------------------------- gradients vs finite differences


@given(p=st.lists(bounded, min_size=1, max_size=4), data=st.data())
def test_regression_losses_pass_gradcheck(p, data):
    t = data.draw(st.lists(bounded, min_size=len(p), max_size=len(p)))
    n = len(p)
    for loss in (sse, mse):
        assert gradcheck(lambda *v, loss=loss: loss(list(v[:n]), list(v[n:])), p + t)


@given(z=st.lists(bounded, min_size=2, max_size=4), data=st.data())
def test_cross_entropy_passes_gradcheck(z, data):
    target = data.draw(st.integers(0, len(z) - 1))
    assert gradcheck(lambda *v: cross_entropy(list(v), target), z)


@given(z=st.lists(bounded, min_size=1, max_size=3), data=st.data())
def test_bce_passes_gradcheck_in_both_forms(z, data):
    t = data.draw(st.lists(st.floats(0, 1), min_size=len(z), max_size=len(z)))
    assert gradcheck(lambda *v: binary_cross_entropy(list(v), t, from_logits=True), z)
    assert gradcheck(lambda *v: binary_cross_entropy([x.sigmoid() for x in v], t), z)


@pytest.mark.parametrize("flag", [1, "yes", None])
def test_from_logits_must_be_a_bool(flag):
    with pytest.raises(TypeError, match="from_logits must be True or False"):
        binary_cross_entropy([0.0], [1.0], from_logits=flag)


def test_hinge_accepts_plain_float_scores_and_labels():
    # Both sides plain numbers used to fail with "'float' object has no attribute 'relu'".
    loss = hinge([0.25, -3.0, 2.0], [1, 1, -1.0])
    assert isinstance(loss, Value)
    assert loss.data == pytest.approx((0.75 + 4.0 + 3.0) / 3)


def test_bce_refuses_moons_labels_and_says_how_to_map_them():
    from micrograd_like.datasets import make_moons

    _, y = make_moons(6, seed=0)
    with pytest.raises(ValueError, match=r"outside \[0, 1\].*\(t \+ 1\) / 2.*hinge"):
        binary_cross_entropy([0.5] * 6, y)
    assert binary_cross_entropy([0.5] * 6, [(t + 1) / 2 for t in y]).data == pytest.approx(math.log(2))
