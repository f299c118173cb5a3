"""The training timeline's data (record_training) and page (viz.timeline), without a browser."""

from __future__ import annotations

import re

import pytest

from micrograd_like import symmetry
from micrograd_like.nn import MLP
from micrograd_like.viz import TrainingRecord, record_training, timeline
from micrograd_like.viz.page import Page
from micrograd_like.viz.timeline import snapshot_steps


def replay(scheme: str, steps: int, lr: float) -> list[tuple[float, list[float], list[float]]]:
    """Eager plain SGD on the symmetry network: (cost, weights, grads) after k updates, every k."""
    model = symmetry.build_network(scheme)
    params = model.parameters()
    out = []
    for k in range(steps + 1):
        for p in params:
            p.grad = 0.0
        c = symmetry.cost(model)
        c.backward()
        out.append((c.data, [p.data for p in params], [p.grad for p in params]))
        if k < steps:
            for p in params:
                p.data -= lr * p.grad
    return out


def record(scheme: str, steps: int = 30, lr: float = 1.0, snapshots: int = 7) -> TrainingRecord:
    model = symmetry.build_network(scheme)
    return record_training(model, symmetry.cost, steps=steps, lr=lr, snapshots=snapshots, name=scheme)


@pytest.mark.parametrize("scheme", ["constant", "uniform"])
def test_recorded_costs_weights_and_gradients_equal_a_replayed_run(scheme):
    rec = record(scheme, steps=30, lr=0.7)
    expected = replay(scheme, 30, 0.7)
    assert rec.steps == 30 and rec.lr == 0.7 and rec.name == scheme
    assert list(rec.costs) == [c for c, _, _ in expected]
    assert [s.step for s in rec.snapshots] == list(snapshot_steps(30, 7))
    for s in rec.snapshots:
        cost, data, grads = expected[s.step]
        assert (s.cost, list(s.data), list(s.grads)) == (cost, data, grads), s.step


def test_the_model_ends_at_the_final_weights_with_their_gradients():
    model = symmetry.build_network("constant")
    rec = record_training(model, symmetry.cost, steps=12, lr=1.0, snapshots=3)
    last = rec.snapshots[-1]
    assert last.step == 12
    assert [p.data for p in model.parameters()] == list(last.data)
    assert [p.grad for p in model.parameters()] == list(last.grads)


@pytest.mark.parametrize(
    ("steps", "count", "expected"),
    [(0, 5, (0,)), (1, 41, (0, 1)), (10, 3, (0, 5, 10)), (2300, 2, (0, 2300)), (4, 5, (0, 1, 2, 3, 4))],
)
def test_snapshot_steps_are_evenly_spaced_from_0_to_the_last(steps, count, expected):
    assert snapshot_steps(steps, count) == expected


def test_snapshot_steps_default_is_a_few_dozen_including_both_ends():
    shown = snapshot_steps(2300)
    assert 20 <= len(shown) <= 60 and shown[0] == 0 and shown[-1] == 2300
    assert list(shown) == sorted(set(shown))


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"steps": -1}, ValueError, "steps"),
        ({"steps": 1.5}, TypeError, "steps"),
        ({"lr": 0.0}, ValueError, "lr"),
        ({"lr": "1"}, TypeError, "lr"),
        ({"snapshots": 1}, ValueError, "count"),
        ({"name": 3}, TypeError, "name"),
    ],
)
def test_record_training_rejects_bad_arguments_by_name(kwargs, error, words):
    model = symmetry.build_network("constant")
    before = [p.data for p in model.parameters()]
    args = {"steps": 3, "lr": 1.0, **kwargs}
    with pytest.raises(error, match=words):
        record_training(model, symmetry.cost, **args)
    assert [p.data for p in model.parameters()] == before


def test_record_training_needs_a_loss_returning_a_value():
    model = symmetry.build_network("constant")
    with pytest.raises(TypeError, match="loss"):
        record_training(model, "sse", steps=3, lr=1.0)
    with pytest.raises(TypeError, match=r"loss\(model\) must return a Value"):
        record_training(model, lambda m: 0.5, steps=3, lr=1.0)


@pytest.fixture(scope="module")
def two_starts():
    records = [record("constant"), record("uniform")]
    model = symmetry.build_network("constant")
    return model, records, timeline(model, records, title="Two <starts>")


def test_timeline_is_a_page_with_one_drawing_per_snapshot_and_start(two_starts):
    model, records, page = two_starts
    assert isinstance(page, Page) and page.title == "Two <starts>"
    text = str(page)
    assert "<h1>Two &lt;starts&gt;</h1>" in text
    n = len(records[0].snapshots)
    assert f'max="{n - 1}"' in text
    for k in range(2):
        section = text[text.index(f'id="drawing-{k}"') :]
        assert section.count('class="frame"') >= n
    assert text.count("<svg") == 2 * n + 1  # the drawings and the cost curve
    assert "<iframe" in page._repr_html_()


def test_timeline_loads_nothing_external(two_starts):
    text = str(two_starts[2])
    links = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", text, flags=re.IGNORECASE)
    assert not [u for u in links if re.match(r"\s*(https?:)?//", u, flags=re.IGNORECASE)]
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", text, flags=re.IGNORECASE)
    assert "default-src 'none'" in text


def test_timeline_leaves_the_model_as_it_was(two_starts):
    model = two_starts[0]
    fresh = symmetry.build_network("constant")
    assert [p.data for p in model.parameters()] == [p.data for p in fresh.parameters()]
    assert all(p.grad == 0.0 for p in model.parameters())


def test_timeline_draws_interchangeable_neurons_only_where_they_are(two_starts):
    text = str(two_starts[2])
    constant = text[text.index('id="drawing-0"') : text.index('id="drawing-1"')]
    random_ = text[text.index('id="drawing-1"') :]
    assert "layers.0: neurons 0, 1, 2" in constant
    assert "layers.0: neurons 0, 1, 2" not in random_


def test_timeline_rejects_records_that_do_not_fit():
    model = symmetry.build_network("constant")
    with pytest.raises(TypeError, match="TrainingRecord"):
        timeline(model, ["run"])
    with pytest.raises(TypeError, match="model must be the MLP"):
        timeline("model", [record("constant", steps=4, snapshots=2)])
    with pytest.raises(ValueError, match="at least one"):
        timeline(model, [])
    with pytest.raises(ValueError, match="same snapshot steps"):
        timeline(model, [record("constant", steps=10), record("uniform", steps=20)])
    small = MLP(2, [2], seed=0)
    with pytest.raises(ValueError, match="one number per parameter"):
        timeline(small, [record("constant", steps=4, snapshots=2)])
