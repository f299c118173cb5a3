"""The chain-rule ledger (explain) and the network explanation (explain_network)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given

from micrograd_like import MLP, Value, explain
from micrograd_like.engine import Op, iter_graph, make_node
from micrograd_like.ledger import explain_network
from micrograd_like.losses import sse
from micrograd_like.symmetry import OBSERVATIONS, TARGETS, build_constant_network, build_random_network
from micrograd_like.testing import expressions, points


def bits(x: float) -> bytes:
    """Bit pattern of a float: tells -0.0 from 0.0 and compares NaNs exactly."""
    return struct.pack("<d", x)


def user_cost(outs):
    return sse(outs, [list(t) for t in TARGETS])


@given(expr=expressions(3), point=points(3))
def test_ledger_gradients_are_bit_identical_to_backward(expr, point):
    xs = [Value(p, label=f"x{i}") for i, p in enumerate(point)]
    root = expr(*xs)
    ledger = explain(root)
    nodes = list(iter_graph(root))
    assert all(v.grad == 0.0 for v in nodes)  # explain touches no .grad
    root.backward()
    assert [bits(n.grad) for n in ledger.nodes] == [bits(v.grad) for v in nodes]
    # One row per edge; each input's final row carries its final gradient.
    assert len(ledger.rows) == sum(len(v.children) for v in nodes)
    for n in ledger.nodes[:-1]:
        row = ledger.rows[n.final_step]
        assert row.final and row.input_index == n.index and bits(0.0 + row.total) == bits(n.grad)


@given(expr=expressions(2), point=points(2))
def test_rows_follow_reverse_mode(expr, point):
    root = expr(*(Value(p) for p in point))
    ledger = explain(root)
    finals = [n.grad for n in ledger.nodes]
    running: dict[int, float] = {}
    for k, row in enumerate(ledger.rows):
        assert row.step == k
        # A node passes its gradient on only once that gradient is complete.
        assert bits(0.0 + row.node_grad) == bits(finals[row.node_index])
        assert row.input_index < row.node_index
        before = running.get(row.input_index)
        expected = row.contribution if before is None else before + row.contribution
        assert bits(row.total) == bits(expected)
        running[row.input_index] = row.total
    node_order = [row.node_index for row in ledger.rows]
    assert node_order == sorted(node_order, reverse=True)


def test_the_issue_example_reads_as_arithmetic():
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b
    d = e + c
    L = d.tanh()
    L.label = "L"
    ledger = explain(L)
    formulas = [r.formula for r in ledger]
    assert formulas[0] == "d(tanh(n4))/dn4 = 1 - L * L"
    assert "d(a*b)/da = b" in formulas and "d(a*b)/db = a" in formulas
    row_a = next(r for r in ledger if r.input == "a")
    assert row_a.local == b.data and row_a.node == "n2"
    assert row_a.contribution == row_a.node_grad * b.data
    text = str(ledger)
    assert "d(a*b)/da = b = -3" in text
    assert [n.name for n in ledger.nodes] == ["a", "b", "n2", "c", "n4", "L"]
    assert ledger.nodes[2].expression == "a*b" and ledger.nodes[-1].final_step is None


def test_text_table_is_aligned():
    x, y = Value(0.5, label="x"), Value(-1.25, label="weight")
    ledger = explain((x * y + x.exp() / y).sigmoid())
    lines = str(ledger).splitlines()
    header = lines[2]
    body = lines[4 : 4 + len(ledger.rows)]
    start = header.rindex("input")
    end = header.index("contribution") + len("contribution")
    for row, line in zip(ledger.rows, body):
        assert line[start:].startswith(row.input + " ")  # left-aligned column
        assert line[:end].endswith(format(row.contribution, ".6g"))  # right-aligned column
        assert line[end : end + 2] == "  "


def test_formulas_cover_every_op_and_constant_power():
    x, y = Value(0.7, label="x"), Value(1.3, label="y")  # each root unlabelled: called L, as out is in a formula
    cases = {
        "d(x + y)/dy = 1": x + y,
        "d(x - y)/dy = -1": x - y,
        "d(x/y)/dy = -L / y": x / y,
        "d(-x)/dx = -1": -x,
        "d(x**y)/dy = L * log(x)": x**y,
        "d(exp(x))/dx = L": x.exp(),
        "d(log(x))/dx = 1 / x": x.log(),
        "d(sigmoid(x))/dx = L * (1 - L)": x.sigmoid(),
        "d(relu(x))/dx = step(x)": x.relu(),
        "d(sin(x))/dx = cos(x)": x.sin(),
        "d(x**3)/dx = 3 * x**2": x**3,
        "d(x**0.5)/dx = 0.5 * x**(-0.5)": x**0.5,
        "d(x**2)/dx = 2 * x": x**2,
    }
    for expected, root in cases.items():
        formulas = [r.formula for r in explain(root)]
        assert expected in formulas, (expected, formulas)


def test_an_op_with_its_own_formulas_is_used():
    op = Op("cube", lambda v: v**3, lambda g, out, a: (g * 3 * a * a,), formulas=("3 * x**2",))
    x = Value(2.0, label="t")
    ledger = explain(make_node(8.0, op, x))
    assert ledger[0].formula == "d(cube(t))/dt = 3 * t**2"
    assert ledger[0].local == 12.0


@pytest.mark.parametrize("x0", [0.2, 0.4, 1.0, 1.3])
def test_a_node_that_is_both_arguments_adds_in_the_engines_order(x0):
    # The engine adds the second argument's contribution first; with an earlier
    # contribution already in x, (acc - g) + g and (acc + g) - g round differently.
    x = Value(x0, label="x")
    root = (x - x) * 0.3 + x.tanh()
    ledger = explain(root)
    root.backward()
    assert bits(ledger.nodes[0].grad) == bits(x.grad)
    rows = [r for r in ledger if r.node == "n1"]
    assert [r.formula for r in rows] == ["d(x - x)/dx = -1", "d(x - x)/dx = 1"]


def test_an_input_used_twice_accumulates_as_the_engine_does():
    x = Value(0.3, label="x")
    u = x.exp()
    root = u * x + (x * x)  # x * x: one input is both arguments
    ledger = explain(root)
    root.backward()
    assert bits(ledger.nodes[0].grad) == bits(x.grad)
    square = [r for r in ledger if r.node_index == ledger.nodes[-2].index]
    assert [r.input for r in square] == ["x", "x"]


def test_constants_and_unnamed_nodes_get_readable_names():
    x = Value(4.0, label="x")
    ledger = explain(1 / x - 2.5)
    formulas = [r.formula for r in ledger]
    assert "d(1/x)/d(1) = 1 / x" in formulas
    assert "d(n2 - 2.5)/d(2.5) = -1" in formulas


@pytest.mark.slow
def test_a_100000_node_graph_is_explained_without_recursion():
    x = Value(1.0, label="x")
    k = Value(0.5, label="k")
    y = x
    for _ in range(100_000):
        y = y * k + x
    ledger = explain(y)
    assert len(ledger.nodes) == 200_002
    assert len(ledger.rows) == 400_000
    assert ledger.nodes[0].grad == pytest.approx(2.0)  # sum of 0.5**i


def test_errors_are_those_of_backward():
    with pytest.raises(TypeError, match=r"explain\(root\) needs a Value, got int 3"):
        explain(3)
    x = Value(0.0)
    y = x**0.5
    with pytest.raises(ZeroDivisionError) as from_backward:
        y.backward()
    with pytest.raises(ZeroDivisionError) as from_explain:
        explain(y)
    assert str(from_explain.value) == str(from_backward.value)


def test_a_leaf_root_has_no_rows():
    x = Value(3.0, label="x")
    ledger = explain(x)
    assert ledger.rows == () and ledger.nodes[0].grad == 1.0
    assert "Backward pass from x, the value being differentiated: dx/dx = 1 (the seed)" in str(ledger)


# -- explain_network ------------------------------------------------------------------


def test_network_gradients_equal_backward():
    model = build_constant_network()
    result = explain_network(model, OBSERVATIONS, user_cost)
    cost = user_cost([list(model(list(x))) for x in OBSERVATIONS])
    assert all(p.grad == 0.0 for p in model.parameters())  # explain_network touches no .grad
    cost.backward()
    flat = [g for layer in result.weight_grads for neuron in layer for g in neuron]
    assert [bits(g) for g in flat] == [bits(p.grad) for p in model.parameters()]
    assert result.cost == cost.data


def test_constant_start_shows_twins_and_says_why():
    result = explain_network(build_constant_network(), OBSERVATIONS, user_cost)
    assert result.twins == (((0, 1, 2),), ((0, 1, 2),), ())
    for layer in result.activation_grads:  # same upstream gradient, observation by observation
        for obs in layer:
            assert len(set(obs)) == 1
    text = str(result)
    assert text.count("= neuron 0, bit for bit") == 4
    assert text.count("the same weights and bias") == 2
    assert "the same inputs (the network's inputs" in text and "the same inputs (the outputs of layer 0" in text
    assert "dC/dy_1" in text and "dC/da[1,2]" in text and "dC/dw[0,j,1]" in text


def test_random_start_has_no_twins():
    result = explain_network(build_random_network(), OBSERVATIONS, user_cost)
    assert result.twins == ((), (), ())
    assert str(result).count("No two neurons of this layer have identical gradients.") == 3
    assert "bit for bit" not in str(result)


def test_equal_gradients_without_symmetry_are_called_a_coincidence():
    model = MLP(2, [2, 1], activation="tanh", init="uniform", seed=3)
    for w in model.layers[1].neurons[0].w:
        w.data = 0.0  # nothing flows back to layer 0: its gradients are all 0
    result = explain_network(model, [(0.5, -0.2)], lambda outs: (outs[0][0] - 1.0) ** 2)
    assert result.twins[0] == ((0, 1),)
    assert "although their weights differ" in str(result)
    assert "the same weights and bias" not in str(result)


def test_network_argument_errors():
    with pytest.raises(TypeError, match="needs an MLP"):
        explain_network("net", OBSERVATIONS, user_cost)
    with pytest.raises(TypeError, match="loss must be a function"):
        explain_network(build_constant_network(), OBSERVATIONS, 3)
    with pytest.raises(TypeError, match="must return a Value"):
        explain_network(build_constant_network(), OBSERVATIONS, lambda outs: 1.0)
    with pytest.raises(TypeError, match="non-empty list of input vectors"):
        explain_network(build_constant_network(), [], user_cost)


@pytest.mark.parametrize("name", sorted(__import__("micrograd_like.registry").registry.FUNCTIONS))
def test_every_registered_function_explains_with_its_formula(name):
    from micrograd_like.registry import FUNCTIONS, REGISTRY

    x = Value(0.7, label="x")
    (row,) = explain(FUNCTIONS[name](x)).rows
    defaults = "".join(f", {v!r}" for _, v in REGISTRY[name].params)  # leaky_relu(x, 0.01)
    assert row.formula.startswith(f"d({name}(x{defaults}))/dx = ") and "?" not in row.formula, row.formula


def test_a_formula_that_is_its_own_number_is_not_repeated():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    text = str(explain(a * b + a))
    assert "d(n2 + a)/da = 1 " in text and "= 1 = 1" not in text
    assert "d(a*b)/da = b = -3" in text  # a formula with a symbol still shows its number


def test_the_root_is_named_by_its_label_else_L():
    a = Value(2.0, label="a")
    root = (a * 3.0).tanh()
    ledger = explain(root)
    text = str(ledger)
    assert text.startswith("Backward pass from L, the value being differentiated: dL/dL = 1 (the seed)")
    assert ledger.rows[0].node == "L" and ledger.nodes[-1].name == "L"
    assert "dL/d(node)" in text and "Final gradients dL/d(node):" in text
    root.label = "C"
    text = str(explain(root))
    assert text.startswith("Backward pass from C, the value being differentiated: dC/dC = 1 (the seed)")
    assert "dC/d(node)" in text and "dL/d" not in text


def test_a_notebook_shows_the_ledger_as_an_html_table_with_everything_escaped():
    import xml.etree.ElementTree as ET

    a, b = Value(0.5, label="<a>"), Value(-0.3, label="b&c")
    root = (a * b).tanh() + a
    ledger = explain(root)
    doc = ET.fromstring(f"<div>{ledger._repr_html_()}</div>")  # well-formed: every label escaped
    rows_table, finals = doc.findall("table")
    assert rows_table.find("caption").text.startswith("Backward pass from L, the value being differentiated")
    heads = [th.text for th in rows_table.iter("th")]
    assert heads == [
        "step",
        "node",
        "dL/d(node)",
        "local derivative d(node)/d(input)",
        "contribution",
        "input",
        "total",
    ]
    body = rows_table.find("tbody").findall("tr")
    assert len(body) == len(ledger.rows)
    for tr, row in zip(body, ledger.rows):
        cells = tr.findall("td")
        assert [c.text for c in (cells[0], cells[1], cells[5])] == [str(row.step), row.node, row.input]
        assert float(cells[4].get("title")) == row.contribution  # full precision on hover
        assert cells[4].text == format(row.contribution, ".6g")
        assert float(cells[6].get("title")) == row.total and cells[6].text.endswith(" final") == row.final
    names = [tr.find("td").text for tr in finals.find("tbody").findall("tr")]
    assert names[:2] == ["<a>", "b&c"] and len(names) == len(ledger.nodes)
    assert [float(tr.findall("td")[3].get("title")) for tr in finals.find("tbody").findall("tr")] == [
        n.grad for n in ledger.nodes
    ]


def test_an_ops_parameters_are_shown_in_its_expression():
    # issue 16 item 13: leaky_relu(x, 0.2) was shown as leaky_relu(x)
    x = Value(-1.5, label="x")
    y = x.leaky_relu(0.2)
    y.label = "y"
    ledger = explain(y.leaky_relu())
    assert ledger.rows[-1].formula == "d(leaky_relu(x, 0.2))/dx = 0.2 + 0.8 * step(x)"
    assert ledger.rows[0].formula.startswith("d(leaky_relu(y, 0.01))/dy = ")
    assert [n.expression for n in ledger.nodes] == ["", "leaky_relu(x, 0.2)", "leaky_relu(y, 0.01)"]
    assert "x**2" in explain(x**2).rows[0].formula  # an operator keeps its own form
