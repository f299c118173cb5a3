"""The training timeline page in a real browser: the slider shows each recorded step's numbers.

Driven by tests/test_stepper.py's fixtures: Playwright's Python package and Debian's
``/usr/bin/chromium``; every request but the page itself is refused and counted.
"""

from __future__ import annotations

import re

import pytest
from test_stepper import browser, open_page  # noqa: F401  # the same browser and request guard
from test_timeline import replay

from micrograd_like import symmetry
from micrograd_like.viz import record_training, timeline
from micrograd_like.viz._groups import fmt
from micrograd_like.viz.timeline import snapshot_steps

pytestmark = pytest.mark.slow

STEPS, LR, SNAPSHOTS = 60, 1.0, 9
SCHEMES = ("constant", "uniform")


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    records = [
        record_training(symmetry.build_network(s), symmetry.cost, steps=STEPS, lr=LR, snapshots=SNAPSHOTS, name=s)
        for s in SCHEMES
    ]
    path = tmp_path_factory.mktemp("timeline") / "timeline.html"
    return timeline(symmetry.build_network("constant"), records, title="timeline test").save(path)


@pytest.fixture
def page(page_file, open_page):  # noqa: F811  # the fixture imported above
    tab = open_page(page_file)  # refuses and counts every request but the page itself
    tab.set_viewport_size({"width": 1400, "height": 1000})
    return tab


def move(tab, position: int) -> None:
    tab.fill("#slider", str(position))  # sets the value and fires "input", as a drag does


def edge_tooltip(tab, k: int, edge: str) -> str:
    """The full-precision tooltip of a weight edge in start k's visible drawing."""
    frame = tab.locator(f"#drawing-{k} .frame:visible")
    assert frame.count() == 1
    link = frame.locator(f"g.edge:has(> title:text-is('{edge}')) a").first
    return link.get_attribute("xlink:title") or link.get_attribute("title")


def test_slider_positions_map_to_the_recorded_steps(page):
    steps = snapshot_steps(STEPS, SNAPSHOTS)
    assert page.get_attribute("#slider", "max") == str(len(steps) - 1)
    for position in (len(steps) - 1, 0, 3, len(steps) // 2):
        move(page, position)
        assert page.text_content("#step") == f"{steps[position]:,}"
        for k in range(len(SCHEMES)):
            caption = page.locator(f"#drawing-{k} .frame:visible text").first.text_content()
            assert f"step {steps[position]:,}," in caption


def test_each_position_shows_a_replayed_runs_numbers(page):
    steps = snapshot_steps(STEPS, SNAPSHOTS)
    model = symmetry.build_network("constant")
    names = {id(p): n for n, p in enumerate(model.parameters())}
    w00 = names[id(model.layers[0].neurons[0].w[0])]
    for k, scheme in enumerate(SCHEMES):
        runs = replay(scheme, STEPS, LR)
        for position in (0, 2, len(steps) - 1):
            move(page, position)
            cost, data, grads = runs[steps[position]]
            assert float(page.text_content(f"#cost-{k}")) == pytest.approx(cost, rel=1e-5)
            for j, neuron in enumerate(model.layers[0].neurons):
                b = names[id(neuron.b)]
                assert page.text_content(f"#b-{k}-0-{j}") == fmt(data[b])
                assert page.text_content(f"#g-{k}-0-{j}") == fmt(grads[b])
            tip = edge_tooltip(page, k, "x0->l0n0")
            assert f"w = {data[w00]!r}" in tip and f"grad = {grads[w00]!r}" in tip


def test_constant_start_neurons_stay_identical_while_random_ones_differ(page):
    last = len(snapshot_steps(STEPS, SNAPSHOTS)) - 1
    move(page, last)
    constant = [page.text_content(f"#g-0-0-{j}") for j in range(3)]
    random_ = [page.text_content(f"#g-1-0-{j}") for j in range(3)]
    assert len(set(constant)) == 1 and len(set(random_)) == 3


def test_the_marker_moves_along_the_cost_curve(page):
    move(page, 0)
    start = [float(page.get_attribute("#marker-0", a)) for a in ("cx", "cy")]
    move(page, len(snapshot_steps(STEPS, SNAPSHOTS)) - 1)
    end = [float(page.get_attribute("#marker-0", a)) for a in ("cx", "cy")]
    assert end[0] > start[0] and end[1] > start[1]  # later, and lower cost (SVG y grows downwards)
    assert re.fullmatch(r"[\d.]+", page.get_attribute("#marker-line", "x1"))
    assert page.get_attribute("#marker-line", "x1") == page.get_attribute("#marker-0", "cx")


def test_keys_move_the_slider_from_anywhere_on_the_page(page):
    steps = snapshot_steps(STEPS, SNAPSHOTS)
    page.click("h1")  # focus away from the slider
    for key, position in (("End", len(steps) - 1), ("ArrowLeft", len(steps) - 2), ("Home", 0), ("PageDown", 5)):
        page.keyboard.press(key)
        assert page.input_value("#slider") == str(position), key
        assert page.text_content("#step") == f"{steps[position]:,}", key
    page.focus("#slider")  # the slider's own keys do the same
    page.keyboard.press("End")
    assert page.text_content("#step") == f"{steps[-1]:,}"
