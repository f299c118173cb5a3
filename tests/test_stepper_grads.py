"""Drawing and explaining never write a user's ``.grad`` (issue 16, item 3).

The stepper used to put the ledger's numbers into ``.grad`` while it drew and the
saved ones back afterwards, erasing what a ``backward()`` in another thread added
meanwhile. These tests need Graphviz's ``dot`` (the stepper renders its drawings),
but no browser.
"""

from __future__ import annotations

import threading

from micrograd_like import MLP, Value, explain
from micrograd_like.engine import iter_graph
from micrograd_like.losses import sse
from micrograd_like.viz import stepper

BACKWARD_CALLS = 20_000
DRAWINGS = 3  # pages the drawing thread finishes while the training thread runs


class Watched(Value):
    """A leaf that records every assignment to its ``.grad`` once armed."""

    __slots__ = ()
    writes: list[str] = []  # noqa: RUF012  (shared on purpose: one log for every watched leaf)
    armed = False

    def __setattr__(self, name: str, value: object) -> None:
        if name == "grad" and Watched.armed:
            Watched.writes.append(str(self.label))
        super().__setattr__(name, value)


def test_a_training_thread_loses_no_update_while_another_thread_draws(tmp_path):
    w, x, y = Value(0.3, label="w"), Value(2.0, label="x"), Value(-1.5, label="y")
    train_loss = (w * x).tanh()  # the training thread's graph ...
    drawn = (w * y + w * w).sigmoid()  # ... and the drawing thread's share w
    train_loss.backward()
    one = w.grad  # d tanh(w x)/dw, the number each backward() adds to w.grad
    for v in iter_graph(train_loss):
        v.grad = 0.0
    done = threading.Event()
    drawings = []

    def draw():
        while not done.is_set():
            drawings.append(stepper(drawn, tmp_path / f"page{len(drawings) % 2}.html"))

    drawer = threading.Thread(target=draw)
    drawer.start()
    calls = 0
    try:  # at least 20,000 calls, and on until three pages were drawn meanwhile
        while calls < BACKWARD_CALLS or (len(drawings) < DRAWINGS and drawer.is_alive()):
            train_loss.backward()
            calls += 1
    finally:
        done.set()
        drawer.join(timeout=120)  # a hang guard, not a timing
    assert not drawer.is_alive() and len(drawings) >= DRAWINGS
    expected = 0.0
    for _ in range(calls):
        expected += one  # in the order the engine adds them, so bit for bit
    assert w.grad == expected


def test_stepper_and_explain_leave_every_grad_object_in_place(tmp_path):
    a, b = Watched(0.5, label="a"), Watched(-0.3, label="b")
    root = (a * b + a).tanh() * b
    root.backward()
    nodes = list(iter_graph(root))
    before = [v.grad for v in nodes]
    Watched.writes.clear()
    Watched.armed = True
    try:
        stepper(root, tmp_path / "page.html")
        explain(root)
    finally:
        Watched.armed = False
    assert Watched.writes == []  # not even written and put back
    assert all(v.grad is g for v, g in zip(nodes, before))  # the very same float objects
    assert [v.label for v in nodes[:2]] == ["a", "b"] and all(not v.label for v in nodes[2:])  # no name added


def test_the_symmetry_pictures_leave_the_models_grads_alone():
    from micrograd_like import symmetry

    model = MLP(2, [3, 3, 2], activation="sigmoid", init=1.0, bias_init=1.0)
    sse([[model([0.8, 0.4])[0]]], [[0.2]]).backward()
    params = model.parameters()
    before = [p.grad for p in params]
    symmetry.first_backward_graph(model, "constant")
    symmetry.network_before(model, "constant")
    assert all(p.grad is g for p, g in zip(params, before))
