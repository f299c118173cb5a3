"""The backprop stepper page, tested in a real browser.

Debian's headless Chromium (``/usr/bin/chromium``, installed by ``.ci/run``) is
driven by Playwright's Python package; no browser is ever downloaded. These
tests never skip: if the browser or Playwright is missing, they fail.
"""

from __future__ import annotations

import re

import pytest

from micrograd_like import MLP, Value, explain
from micrograd_like.engine import iter_graph
from micrograd_like.losses import sse
from micrograd_like.viz import stepper

# A real browser per test: seconds in all, so the whole module is left out of the fast run.
pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
ROW_FIELDS = ("row-node", "row-node-grad", "row-formula", "row-local", "row-contribution", "row-input", "row-total")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser):
    """Open a written page; record every request and refuse all but the file itself."""
    pages = []

    def open_(path):
        page = browser.new_page()
        url = path.as_uri()
        requested, refused, errors = [], [], []
        page.on("request", lambda r: requested.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))

        def guard(route):
            if route.request.url == url:
                route.continue_()
            else:
                refused.append(route.request.url)
                route.abort()

        page.route("**/*", guard)
        page.goto(url)
        pages.append((page, url, requested, refused, errors))
        return page

    yield open_
    for page, url, requested, refused, errors in pages:
        page.close()
        assert refused == [] and set(requested) == {url}, f"the page fetched {requested}"
        assert errors == []


def read_row(page) -> dict[str, str]:
    return {f: page.text_content(f"#{f}") for f in ROW_FIELDS}


def grad_text(page, i: int) -> str:
    """The gradient shown in the box of Value i (the text after its "grad")."""
    texts = page.locator(f"#drawing g.node:has(> title:text-is('v{i}')) text").all_text_contents()
    k = len(texts) - 1 - texts[::-1].index("grad")
    return texts[k + 1].strip()


def node_classes(page, i: int) -> str:
    return page.locator(f"#drawing g.node:has(> title:text-is('v{i}'))").get_attribute("class")


def shown_number(page, field: str) -> float:
    """A number of the chain-rule panel: 6 significant digits shown, the exact one on hover."""
    text, exact = page.text_content(f"#{field}"), page.get_attribute(f"#{field}", "title")
    assert text == format(float(exact), ".6g"), (field, text, exact)
    return float(exact)


def expression():
    a, b, c = Value(0.5, label="a"), Value(-0.3, label="b"), Value(0.1, label="c")
    s = a * b + c * b
    root = s.tanh() * s
    root.label = "L"
    return root


def test_each_step_shows_its_ledger_row(tmp_path, open_page):
    root = expression()
    ledger = explain(root)
    page = open_page(stepper(root, tmp_path / "steps.html"))
    n = len(ledger.rows)
    assert page.text_content("#counter") == f"Step 0 of {n}"
    assert grad_text(page, ledger.nodes[-1].index) == format(1.0, "#.4g")
    assert all(grad_text(page, i) == "?" for i in range(len(ledger.nodes) - 1))
    for k in range(1, n + 1):
        if k % 2:
            page.click("#next")
        else:
            page.keyboard.press("ArrowRight")
        row = ledger.rows[k - 1]
        shown = read_row(page)
        assert page.text_content("#counter") == f"Step {k} of {n}"
        assert (shown["row-node"], shown["row-input"], shown["row-formula"]) == (row.node, row.input, row.formula)
        for field, value in (
            ("row-node-grad", row.node_grad),
            ("row-local", row.local),
            ("row-contribution", row.contribution),
            ("row-total", row.total),
        ):
            assert shown_number(page, field) == value, (k, field)
        assert "passing" in node_classes(page, row.node_index)
        assert "receiving" in node_classes(page, row.input_index)
        # A gradient is filled in exactly when it is final.
        for node in ledger.nodes[:-1]:
            text = grad_text(page, node.index)
            if node.final_step < k:
                assert text == format(node.grad, "#.4g"), (k, node.name)
            else:
                assert text == "?" or text.endswith("\u2026"), (k, node.name, text)


def test_last_step_is_the_coloured_drawing_and_previous_goes_back(tmp_path, open_page):
    x = Value(0.7, label="x")
    w = [Value(0.2 * (i + 1), label=f"w{i}") for i in range(3)]
    root = (w[0] * x + w[1] * x + w[2] * x).sigmoid()  # the three weights share a gradient (x times the products')
    ledger = explain(root)
    page = open_page(stepper(root, tmp_path / "coloured"))
    assert "stepping" in page.get_attribute("#drawing", "class")  # colours and legend hidden while stepping
    assert page.is_hidden("#drawing .legend >> nth=0")
    for _ in range(len(ledger.rows) + 1):
        page.keyboard.press("ArrowRight")
    assert page.text_content("#counter") == "Overview"
    assert "stepping" not in page.get_attribute("#drawing", "class") and page.is_visible("#drawing .legend >> nth=0")
    assert page.is_hidden("#ledger")  # no chain-rule row on the overview: no empty table
    shared = next(n.grad for n in ledger.nodes if n.name == "w0")
    members = [n for n in ledger.nodes if n.grad == shared]
    assert [n.name for n in members] == ["w0", "w1", "w2"]  # coloured: the group holds labelled inputs
    # The letter of the group depends on the legend's order; find it from one member's node.
    classes = node_classes(page, members[0].index)
    (group,) = [c for c in classes.split() if c.startswith("grad-group-")]
    titles = page.locator(f"#drawing g.{group} > title").all_text_contents()
    assert sorted(titles) == sorted(f"v{n.index}" for n in members)
    assert "Same colour and letter = same gradient" in page.text_content("#drawing svg")
    assert page.is_disabled("#next")
    page.keyboard.press("ArrowRight")  # past the end: stays on the overview
    assert page.text_content("#counter") == "Overview"
    page.keyboard.press("ArrowLeft")
    page.click("#prev")
    k = len(ledger.rows) - 1
    assert page.text_content("#counter") == f"Step {k} of {k + 1}"
    assert shown_number(page, "row-total") == ledger.rows[k - 1].total


def test_a_network_steps_through_its_first_rows(tmp_path, open_page):
    model = MLP(2, [3, 1], activation="sigmoid", init=1.0, bias_init=1.0)
    loss = sse([[model([0.8, 0.4])]], [[0.2]])
    ledger = explain(loss)
    page = open_page(stepper(loss, tmp_path / "mlp.html", title="The first backward pass"))
    assert page.text_content("h1") == "The first backward pass"
    for k in range(1, 8):
        page.click("#next")
        assert shown_number(page, "row-total") == ledger.rows[k - 1].total
        assert page.text_content("#row-formula") == ledger.rows[k - 1].formula


def test_the_file_is_self_contained_and_the_graph_untouched(tmp_path):
    root = expression()
    nodes = list(iter_graph(root))
    root.backward()
    before = [(v.grad, v.label) for v in nodes]
    path = stepper(root, str(tmp_path / "sub" / "page.htm"))
    assert path == tmp_path / "sub" / "page.htm"
    assert [(v.grad, v.label) for v in nodes] == before
    text = path.read_text(encoding="utf-8")
    assert "<svg" in text and "<?xml" not in text and "DOCTYPE svg" not in text
    assert not re.search(r"<script[^>]*\bsrc=|<link\b|<img\b|@import|url\(", text)
    assert re.findall(r"https?://[^\"' ]+", text) == ["http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"]
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["page.htm"]  # no temporary file left


def test_labels_cannot_break_out_of_the_page(tmp_path):
    x = Value(1.0, label="</script><script>alert(1)</script>")
    text = stepper(x * 2.0, tmp_path / "label.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in text
    assert text.count("<script") == 2


def test_bad_arguments():
    with pytest.raises(TypeError, match="needs a Value as root, got float 1.0"):
        stepper(1.0, "x.html")
    with pytest.raises(TypeError, match="path must be a str or pathlib.Path"):
        stepper(Value(1.0), 3)
    with pytest.raises(ValueError, match="ends in .svg; use a name ending in .html such as 'x.html'"):
        stepper(Value(1.0), "x.svg")
    with pytest.raises(TypeError, match="title must be a str or None"):
        stepper(Value(1.0), "x.html", title=3)


def test_the_stepper_lives_in_viz_and_the_old_module_is_gone():
    import importlib

    import micrograd_like
    from micrograd_like import viz

    assert viz.stepper is stepper and "stepper" in viz.__all__
    assert importlib.import_module("micrograd_like.viz.stepper").stepper is stepper
    assert not hasattr(micrograd_like, "stepper")
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("micrograd_like.stepper")


def test_a_graph_too_big_is_refused_before_any_work(tmp_path, monkeypatch):
    import importlib

    module = importlib.import_module("micrograd_like.viz.stepper")
    monkeypatch.setattr(module, "explain", lambda root: pytest.fail("the ledger was built for a refused graph"))
    x = Value(1.0, label="x")
    y = sum((x * i for i in range(300)), Value(0.0))
    with pytest.raises(ValueError, match=r"stepper: this graph has \d+ Values, more than max_nodes=500"):
        stepper(y, tmp_path / "big.html")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(TypeError, match="max_nodes must be an int"):
        stepper(y, tmp_path / "big.html", max_nodes="many")


# -- the motivating network: the page follows the pass (issue 19, item 1) ----------------------------

WINDOW = {"width": 1400, "height": 1000}

SETTLED = """() => new Promise((done) => {  // resolves once the drawing has stopped scrolling
  const box = document.getElementById("drawing");
  let last = "", same = 0;
  (function tick() {
    const now = box.scrollLeft + "," + box.scrollTop;
    same = now === last ? same + 1 : 0;
    last = now;
    if (same >= 6) done(now); else requestAnimationFrame(tick);
  })();
})"""

PLACE = """(el) => {  // where an element is: in the window, and relative to the drawing's SVG
  const svg = document.querySelector("#drawing svg");
  const box = document.getElementById("drawing"), b = box.getBoundingClientRect();
  const r = el.getBoundingClientRect(), s = svg.getBoundingClientRect();
  return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,
          inSvg: [r.left - s.left, r.top - s.top, r.width, r.height],
          view: {left: b.left + box.clientLeft, top: b.top + box.clientTop,
                 right: b.left + box.clientLeft + box.clientWidth, bottom: b.top + box.clientTop + box.clientHeight},
          box: [b.left, b.top, b.width, b.height]};
}"""


@pytest.fixture(scope="module")
def symmetry_page(tmp_path_factory):
    """The page ``micrograd-like symmetry --html`` writes, and the ledger it steps through."""
    from micrograd_like import symmetry

    root = symmetry.cost(symmetry.build_network("constant"))
    path = tmp_path_factory.mktemp("symmetry") / "graph_first_backward.html"
    return stepper(root, path, title="First backward pass of the 2-3-3-2 network", max_nodes=5_000), explain(root)


def place(page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(PLACE)


def node_selector(i: int) -> str:
    return f"#drawing g.node:has(> title:text-is('v{i}'))"


def open_at(open_page, path):
    page = open_page(path)
    page.set_viewport_size(WINDOW)
    return page


def go_to(page, k: int) -> None:
    page.fill("#step-box", str(k))
    page.press("#step-box", "Enter")


def inside(place) -> bool:
    view = place["view"]
    return (
        place["left"] >= max(view["left"], 0)
        and place["top"] >= max(view["top"], 0)
        and place["right"] <= min(view["right"], WINDOW["width"])
        and place["bottom"] <= min(view["bottom"], WINDOW["height"])
    )


def test_each_step_brings_the_passing_node_into_view_and_nothing_moves(symmetry_page, open_page):
    path, ledger = symmetry_page
    n = len(ledger.rows)
    page = open_at(open_page, path)
    box = None
    for k in (0, 1, 5, 101, n, n + 1):  # n + 1: the overview
        if k <= n:
            go_to(page, k)
        else:
            page.keyboard.press("End")
        page.evaluate(SETTLED)
        if k == n + 1:
            assert page.text_content("#counter") == "Overview"
            where = place(page, "#drawing text.legend")  # the legend's heading
            assert inside(where), (k, where)
        else:
            row = ledger.rows[k - 1] if k else None
            passing = row.node_index if row else len(ledger.nodes) - 1
            assert "passing" in page.get_attribute(node_selector(passing), "class")
            where = place(page, node_selector(passing))
            assert inside(where), (k, where)
            if row:  # the receiving input too (in this drawing both fit in the window)
                assert inside(place(page, node_selector(row.input_index))), k
            # The next step moves the view, never the drawing: same place in the SVG, same box.
            page.keyboard.press("ArrowRight")
            page.evaluate(SETTLED)
            assert place(page, node_selector(passing))["inSvg"] == where["inSvg"], k
            page.keyboard.press("ArrowLeft")
            page.evaluate(SETTLED)
        box = box or where["box"]
        assert where["box"] == box, k  # the panel's space is reserved: the drawing's box never moves
    assert page.locator("#drawing .legend").first.is_visible()  # the overview shows the legend


def test_home_end_space_pages_and_the_step_box(symmetry_page, open_page):
    path, ledger = symmetry_page
    n = len(ledger.rows)
    page = open_at(open_page, path)
    for key, expected in (
        ("End", "Overview"),
        ("Home", f"Step 0 of {n}"),
        ("Space", f"Step 1 of {n}"),
        ("PageDown", f"Step 11 of {n}"),
        ("PageUp", f"Step 1 of {n}"),
        ("Shift+Space", f"Step 0 of {n}"),
        ("PageUp", f"Step 0 of {n}"),
    ):
        page.keyboard.press(key)
        assert page.text_content("#counter") == expected, key
    go_to(page, 101)
    assert page.text_content("#counter") == f"Step 101 of {n}"
    row = ledger.rows[100]
    assert (page.text_content("#row-node"), page.text_content("#row-input")) == (row.node, row.input)
    assert shown_number(page, "row-contribution") == row.contribution
    page.keyboard.press("ArrowRight")  # the keys work again after the box
    assert page.text_content("#counter") == f"Step 102 of {n}"
    go_to(page, 10_000)  # past the end: the last step
    assert page.text_content("#counter") == f"Step {n} of {n}"
    page.click("#prev")  # a focused button: Space still means "next"
    page.keyboard.press("Space")
    assert page.text_content("#counter") == f"Step {n} of {n}"


def test_next_step_of_this_node_follows_the_receiving_input_or_the_chosen_node(symmetry_page, open_page):
    path, ledger = symmetry_page
    page = open_at(open_page, path)

    def steps_of(i):
        return [r.step + 1 for r in ledger.rows if i in (r.node_index, r.input_index)]

    go_to(page, 1)
    for _ in range(6):  # follow the gradient down: each time the node that just received
        k = int(page.get_attribute("body", "data-step"))
        receiving = ledger.rows[k - 1].input_index
        assert page.text_content("#node-name") == ledger.nodes[receiving].name
        page.keyboard.press("n")
        assert int(page.get_attribute("body", "data-step")) == next(s for s in steps_of(receiving) if s > k)
    weight = next(n for n in ledger.nodes if n.name == "layers.1.neurons.2.w.0")
    page.click(node_selector(weight.index))  # choose a node: "next step of" follows it
    assert page.text_content("#node-name") == weight.name
    assert "chosen" in page.get_attribute(node_selector(weight.index), "class")
    page.click("#next-of-node")
    k = int(page.get_attribute("body", "data-step"))
    assert ledger.rows[k - 1].input_index == weight.index
    assert page.is_disabled("#next-of-node")  # a leaf receives once here: nothing further for it


def test_the_root_is_named_as_labelled_and_said_to_be_differentiated_once(symmetry_page, open_page, tmp_path):
    path, ledger = symmetry_page
    page = open_at(open_page, path)
    assert ledger.nodes[-1].name == "C" and page.text_content("#root-name") == "C"
    body = page.text_content("body")
    assert body.count("is the value being differentiated") == 1 and "C is the value being differentiated" in body
    assert "dC/d(node)" in body and "dL/d" not in body
    assert "the gradient of C with respect to itself is 1" in page.text_content("#message")
    x = Value(2.0, label="x")
    unnamed = open_at(open_page, stepper((x * x).tanh(), tmp_path / "unnamed.html"))
    assert unnamed.text_content("#root-name") == "L"
    assert "L is the value being differentiated" in unnamed.text_content("#intro")
    root_texts = unnamed.locator(node_selector(2) + " text").all_text_contents()
    assert root_texts[0] == "L"  # the drawing names the root as the page does


def test_zoom_fits_the_whole_drawing_and_goes_back_to_full_size(symmetry_page, open_page):
    path, _ = symmetry_page
    page = open_at(open_page, path)
    full = place(page, "#drawing svg")
    assert full["right"] - full["left"] > 3 * WINDOW["width"]  # the motivating network is big
    page.click("#zoom-fit")
    fitted = place(page, "#drawing svg")
    assert inside(fitted) and page.get_attribute("body", "data-zoom") == "fit"
    page.keyboard.press("1")
    page.evaluate(SETTLED)
    again = place(page, "#drawing svg")
    assert again["inSvg"][2:] == full["inSvg"][2:]  # natural size again
    page.keyboard.press("f")
    assert place(page, "#drawing svg")["inSvg"][2:] == fitted["inSvg"][2:]
