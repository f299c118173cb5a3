"""SGD and Adam against PyTorch's update rules written out by hand."""

from __future__ import annotations

import math

import pytest

from micrograd_like.engine import Value
from micrograd_like.nn import MLP
from micrograd_like.optim import SGD, Adam

# A fixed gradient sequence per parameter, so the hand formulas are easy to follow.
GRADS = [[0.5, -1.0], [0.25, 2.0], [-0.75, 0.1], [1.5, -0.3]]
START = [1.0, -2.0]


def _run(opt_factory, steps=None):
    steps = len(GRADS) if steps is None else steps
    ps = [Value(x) for x in START]
    opt = opt_factory(ps)
    history = []
    for k in range(steps):
        opt.zero_grad()
        for p, g in zip(ps, GRADS[k]):
            p.grad += g
        opt.step()
        history.append([p.data for p in ps])
    return history


def test_plain_sgd():
    lr = 0.1
    got = _run(lambda ps: SGD(ps, lr=lr))
    p = list(START)
    for k, row in enumerate(got):
        p = [pi - lr * g for pi, g in zip(p, GRADS[k])]
        assert row == pytest.approx(p, rel=1e-15)


@pytest.mark.parametrize("momentum, wd", [(0.9, 0.0), (0.5, 0.01), (0.0, 0.1)])
def test_sgd_momentum_and_weight_decay_follow_pytorch(momentum, wd):
    lr = 0.05
    got = _run(lambda ps: SGD(ps, lr=lr, momentum=momentum, weight_decay=wd))
    p = list(START)
    buf = None
    for k, row in enumerate(got):
        g = [gi + wd * pi for gi, pi in zip(GRADS[k], p)]
        if momentum:
            buf = list(g) if buf is None else [momentum * b + gi for b, gi in zip(buf, g)]
            g = buf
        p = [pi - lr * gi for pi, gi in zip(p, g)]
        assert row == pytest.approx(p, rel=1e-14)


@pytest.mark.parametrize(
    "lr, betas, eps", [(1e-3, (0.9, 0.999), 1e-8), (0.1, (0.5, 0.9), 1e-3), (0.01, (0.0, 0.0), 1e-12)]
)
def test_adam_follows_the_paper_with_bias_correction(lr, betas, eps):
    got = _run(lambda ps: Adam(ps, lr=lr, betas=betas, eps=eps))
    b1, b2 = betas
    p = list(START)
    m = [0.0, 0.0]
    v = [0.0, 0.0]
    for k, row in enumerate(got):
        t = k + 1
        g = GRADS[k]
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
        v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g)]
        m_hat = [mi / (1 - b1**t) for mi in m]
        v_hat = [vi / (1 - b2**t) for vi in v]
        p = [pi - lr * mh / (math.sqrt(vh) + eps) for pi, mh, vh in zip(p, m_hat, v_hat)]
        assert row == pytest.approx(p, rel=1e-13)


def test_first_adam_step_moves_each_parameter_by_about_lr():
    # With bias correction the first step is lr * g / (|g| + eps): a sign step.
    got = _run(lambda ps: Adam(ps, lr=0.01), steps=1)
    assert got[0] == pytest.approx([START[0] - 0.01, START[1] + 0.01], rel=1e-6)


def test_zero_grad_and_module_params():
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    opt = SGD(model, lr=0.1)
    assert opt.params == model.parameters()
    model([1.0, 2.0]).backward()
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_optimizers_decrease_a_simple_loss():
    for factory in (lambda ps: SGD(ps, lr=0.1), lambda ps: SGD(ps, lr=0.05, momentum=0.9), lambda ps: Adam(ps, lr=0.1)):
        x = Value(3.0)
        opt = factory([x])
        for _ in range(200):
            loss = (x - 1.0) ** 2
            opt.zero_grad()
            loss.backward()
            opt.step()
        assert abs(x.data - 1.0) < 1e-2


@pytest.mark.parametrize(
    "factory, exc, match",
    [
        (lambda ps: SGD(ps, lr=-0.1), ValueError, "lr"),
        (lambda ps: SGD(ps, lr=math.nan), ValueError, "lr"),
        (lambda ps: SGD(ps, lr="0.1"), TypeError, "lr"),
        (lambda ps: SGD(ps, lr=0.1, momentum=-1), ValueError, "momentum"),
        (lambda ps: SGD(ps, lr=0.1, weight_decay=math.inf), ValueError, "weight_decay"),
        (lambda ps: Adam(ps, betas=(0.9, 1.0)), ValueError, r"betas\[1\]"),
        (lambda ps: Adam(ps, betas=0.9), TypeError, "betas"),
        (lambda ps: Adam(ps, eps=-1e-8), ValueError, "eps"),
        (lambda ps: Adam(ps, eps=0.0), ValueError, r"eps must be a finite number > 0.*eps=1e-08"),
        (lambda ps: Adam(ps, betas=(0.9, 0.99, 0.9)), ValueError, "got 3 numbers"),
        (lambda ps: Adam(ps, betas=(0.9, "0.99")), TypeError, r"betas\[1\]"),
        (lambda ps: SGD(ps, lr=True), TypeError, "lr"),
        (lambda ps: SGD([], lr=0.1), ValueError, "empty"),
        (lambda ps: SGD([ps[0], ps[0]], lr=0.1), ValueError, "more than once"),
        (lambda ps: SGD([1.0], lr=0.1), TypeError, r"params\[0\]"),
        (lambda ps: SGD(ps[0], lr=0.1), TypeError, "single Value"),
        (lambda ps: SGD(5, lr=0.1), TypeError, "iterable"),
    ],
)
def test_argument_validation(factory, exc, match):
    with pytest.raises(exc, match=match):
        factory([Value(1.0), Value(2.0)])
