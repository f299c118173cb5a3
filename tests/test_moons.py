"""make_moons, and micrograd's two-moons demo trained to 100 % accuracy."""

from __future__ import annotations

import math
import random

import pytest

from micrograd_like.datasets import make_moons
from micrograd_like.moons import loss_and_accuracy, train
from micrograd_like.nn import MLP
from micrograd_like.optim import Adam


def test_shapes_labels_and_balance():
    X, y = make_moons(101, noise=0.1, seed=0)
    assert len(X) == len(y) == 101
    assert all(len(p) == 2 and all(isinstance(c, float) for c in p) for p in X)
    assert set(y) == {-1, 1}
    assert y.count(-1) == 50 and y.count(1) == 51


def test_noiseless_points_lie_on_the_two_arcs():
    X, y = make_moons(40, noise=0.0, seed=0)
    for (a, b), label in zip(X, y):
        if label == -1:  # upper moon: unit half circle around (0, 0)
            assert math.hypot(a, b) == pytest.approx(1.0, abs=1e-12) and b >= -1e-12
        else:  # lower moon: unit half circle around (1, 0.5), opening upwards
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0, abs=1e-12) and b <= 0.5 + 1e-12
    unshuffled = make_moons(6, noise=0.0, shuffle=False)
    assert unshuffled[1] == [-1, -1, -1, 1, 1, 1]
    assert unshuffled[0][0] == [1.0, 0.0] and unshuffled[0][3] == [0.0, 0.5]


def test_noise_has_the_requested_spread():
    clean, _ = make_moons(2000, noise=0.0, seed=3)
    noisy, _ = make_moons(2000, noise=0.1, seed=3)  # same seed: same shuffle, then noise
    diffs = [n[k] - c[k] for n, c in zip(noisy, clean) for k in (0, 1)]
    mean = sum(diffs) / len(diffs)
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / len(diffs))
    assert abs(mean) < 0.01 and sd == pytest.approx(0.1, rel=0.05)


def test_seeded_is_reproducible_and_global_random_untouched():
    random.seed(99)
    state = random.getstate()
    a = make_moons(50, seed=7)
    b = make_moons(50, seed=7)
    make_moons(50)
    assert a == b and make_moons(50, seed=8) != a
    assert random.getstate() == state


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"n": 1}, ValueError, "n must be an int >= 2"),
        ({"n": 10.0}, TypeError, "n must be an int"),
        ({"n": True}, TypeError, "n must be an int"),
        ({"noise": -0.1}, ValueError, "noise"),
        ({"noise": math.nan}, ValueError, "noise"),
        ({"noise": "0.1"}, TypeError, "noise"),
        ({"seed": 1.5}, TypeError, "seed"),
        ({"shuffle": 1}, TypeError, "shuffle"),
    ],
)
def test_argument_validation(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        make_moons(**kwargs)


@pytest.mark.slow
def test_two_moons_demo_reaches_full_training_accuracy():
    # micrograd's demo: 100 points, MLP(2, [16, 16, 1]), SVM hinge loss + 1e-4 L2.
    # Adam instead of the demo's decaying SGD, so it needs far fewer steps
    # (about 25 for these seeds) and the test stays fast.
    X, y = make_moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    opt = Adam(model.parameters(), lr=0.1)
    max_steps = 60
    for _ in range(max_steps + 1):
        loss, accuracy = loss_and_accuracy(model, X, y)
        if accuracy == 1.0:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert accuracy == 1.0, f"accuracy {accuracy} after {max_steps} steps"


def test_the_demo_schedule_reaches_full_accuracy_and_decays_the_rate():
    # The CLI's `train moons`: micrograd's own recipe (SGD, lr 1.0 decaying to 0.1).
    X, y = make_moons(100, noise=0.1, seed=0)
    model = MLP(2, [8, 8, 1], seed=0)
    steps = list(train(model, X, y, steps=60, lr=1.0))
    assert [s.step for s in steps] == list(range(60))
    assert steps[0].lr == 1.0 and steps[-1].lr == pytest.approx(1.0 - 0.9 * 59 / 60)
    assert steps[-1].loss < steps[0].loss
    assert loss_and_accuracy(model, X, y)[1] >= 0.95


@pytest.mark.parametrize("hidden, seed", [([4, 4], 0), ([8, 3], 5)])
def test_compiled_steps_are_bit_identical_to_eager(hidden, seed):
    X, y = make_moons(30, noise=0.1, seed=seed)
    compiled, eager = MLP(2, [*hidden, 1], seed=seed), MLP(2, [*hidden, 1], seed=seed)
    steps = list(train(compiled, X, y, steps=8, lr=0.5))  # compiled is the default
    assert steps == list(train(eager, X, y, steps=8, lr=0.5, compiled=False))
    assert len({s.loss for s in steps}) == 8  # the steps really differ: new weights every time
    assert [(p.data, p.grad) for p in compiled.parameters()] == [(p.data, p.grad) for p in eager.parameters()]


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        ({"compiled": 1}, TypeError),
        ({"steps": -1}, ValueError),
        ({"steps": 1.5}, TypeError),
        ({"lr": 0.0}, ValueError),
        ({"lr": "1"}, TypeError),
    ],
)
def test_train_validates_its_arguments(kwargs, exc):
    with pytest.raises(exc, match=next(iter(kwargs))):
        next(train(MLP(2, [2, 1], seed=0), [[0.0, 0.0]], [1], **kwargs))


@pytest.mark.slow
def test_readme_training_loops_run_and_agree():
    """README's nn section shows an eager and a compiled loop: both run, with the same numbers."""
    from pathlib import Path

    import micrograd_like as ml
    from micrograd_like import losses, nn, optim

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("- The training loop, eager", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    code = "\n".join(line[2:] for line in block.splitlines())  # the block is indented in a list item
    eager, compiled = code.split("\n\n")
    setup = "\n".join(eager.splitlines()[:2])
    X, y = make_moons(10, noise=0.1, seed=1)
    results = []
    for part in (eager, setup + "\n" + compiled):
        names = {"ml": ml, "nn": nn, "optim": optim, "losses": losses, "X": X, "y": y}
        exec(part, names)  # noqa: S102 (our own README)
        loss = names["loss"]
        results.append((getattr(loss, "data", loss), [p.data for p in names["model"].parameters()]))
    assert results[0] == results[1]
    assert isinstance(results[1][0], float) and "step" in compiled
