"""Tests of micrograd_like.viz on the DOT source (no Graphviz binary needed here).

Rendering with the real ``dot`` program is tested in test_viz_render.py.
"""

from __future__ import annotations

import math
import re

import graphviz
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import expressions, points

from micrograd_like.engine import Value
from micrograd_like.nn import MLP
from micrograd_like.viz import (
    DEFAULT_MAX_NODES,
    EXTRA_LOUD,
    PALETTE,
    ZERO_COLOR,
    draw_dot,
    nodes_and_edges,
)

# ----------------------------------------------------------------------------------
# helpers: read the DOT source back
# ----------------------------------------------------------------------------------

NODE_STMT = re.compile(r"^\t+(\w+) \[(.*)\]$", re.MULTILINE)
EDGE_STMT = re.compile(r"^\t(\S+) -> (\S+)(?: \[.*\])?$", re.MULTILINE)
GRAPH_LABEL = re.compile(r"^\tlabel=(<.*>) labeljust=l labelloc=t$", re.MULTILINE)
LEGEND_ROW = re.compile(
    r'<font color="(#[0-9A-F]{6})" point-size="18">&#9632;</font> <b>([A-Z]+|0)</b>&#160; '
    r'(\d+) nodes? with grad ([^<]*?)(?: \((?:dashed|bold) border\))?(?:: holding [^<]*)?(?:<br align="left"/>|</td>)'
)


def node_stmts(source: str) -> dict[str, str]:
    """DOT node name -> its attribute text, for every node statement."""
    return {m.group(1): m.group(2) for m in NODE_STMT.finditer(source) if m.group(1) not in ("graph", "node", "edge")}


def attr(attrs: str, name: str) -> str | None:
    m = re.search(rf'(?:^| ){name}=("([^"]*)"|[^ \]]+)', attrs)
    if m is None:
        return None
    return m.group(2) if m.group(2) is not None else m.group(1)


def look(attrs: str) -> tuple[str | None, str | None, str | None]:
    """How a node looks as far as grouping is concerned: (fill, style, group class)."""
    return attr(attrs, "fillcolor"), attr(attrs, "style"), attr(attrs, "class")


def value_looks(root: Value, **kwargs) -> tuple[list[Value], list[tuple], str]:
    """Draw root; return the traced Values, the look of each, and the source."""
    nodes, _ = nodes_and_edges(root)
    source = draw_dot(root, **kwargs).source
    stmts = node_stmts(source)
    return nodes, [look(stmts[f"v{i}"]) for i in range(len(nodes))], source


def legend(source: str) -> str | None:
    """The graph's own label, which holds the title and the legend."""
    m = GRAPH_LABEL.search(source)
    return m and m.group(1)


def legend_rows(source: str) -> list[tuple[str, str, str, int]]:
    """(colour, tag, gradient text, count) for every coloured row of the legend."""
    return [(c, t, g, int(n)) for c, t, n, g in LEGEND_ROW.findall(legend(source))]


def motivating_loss(model: MLP) -> Value:
    """The motivating user's cost: squared errors over both observations and outputs."""
    xs = [[0.8, 0.4], [0.3, 0.3]]
    ys = [[0.2, 0.4], [1.0, 0.0]]
    loss = Value(0.0)
    for x, y in zip(xs, ys):
        for out, target in zip(model(x), y):
            loss = loss + (out - target) ** 2
    return loss


def constant_network() -> MLP:
    return MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid", init=1.0, bias_init=1.0)


# ----------------------------------------------------------------------------------
# nodes_and_edges (micrograd's trace)
# ----------------------------------------------------------------------------------


def test_nodes_and_edges_is_topological_with_root_last_and_one_edge_per_argument():
    a, c = Value(1.0, label="a"), Value(2.0, label="c")
    sq = a * a
    root = sq.tanh() + c.exp() * a
    nodes, edges = nodes_and_edges(root)
    assert nodes[-1] is root
    assert len({id(v) for v in nodes}) == len(nodes) == 7
    position = {id(v): i for i, v in enumerate(nodes)}
    for child, parent in edges:
        assert position[id(child)] < position[id(parent)]
    # a * a really uses a twice: two edges, not one
    assert sum(1 for child, parent in edges if child is a and parent is sq) == 2
    assert len(edges) == sum(len(v.children) for v in nodes) == 8


def test_nodes_and_edges_order_depends_only_on_graph_shape():
    def build():
        x, y = Value(0.5, label="x"), Value(-1.5, label="y")
        return ((x * y).sigmoid() + x.relu() * y - x**2).tanh()

    first, second = build(), build()

    def labels(r):
        return [(v.label, v.op, v.data) for v in nodes_and_edges(r)[0]]

    assert labels(first) == labels(second)
    assert draw_dot(first).source == draw_dot(second).source


@pytest.mark.slow
def test_nodes_and_edges_handles_a_million_node_chain_without_recursion():
    v = x = Value(1.0, label="x")
    for _ in range(1_000_000):
        v = -v
    nodes, edges = nodes_and_edges(v)
    assert len(nodes) == 1_000_001 and len(edges) == 1_000_000
    assert nodes[0] is x and nodes[-1] is v


def test_nodes_and_edges_rejects_non_values():
    with pytest.raises(TypeError, match="needs a Value"):
        nodes_and_edges(3.0)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------
# draw_dot on the motivating network
# ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_network():
    model = constant_network()
    loss = motivating_loss(model)
    loss.backward()
    nodes, looks, source = value_looks(loss, highlight="all")
    index = {id(v): i for i, v in enumerate(nodes)}
    by_name = {name: looks[index[id(p)]] for name, p in model.named_parameters()}
    return model, loss, nodes, looks, source, by_name


def test_parameters_of_interchangeable_neurons_share_one_colour_and_letter(seed_network):
    model, _, _, _, source, by_name = seed_network
    layer_looks = []
    for layer in (0, 1):
        names = [name for name, _ in model.layers[layer].named_parameters()]
        looks = {by_name[f"layers.{layer}.{name}"] for name in names}
        assert len(looks) == 1, f"layer {layer}: the parameters of its 3 neurons look different: {looks}"
        fill, _, group_class = looks.pop()
        assert fill in PALETTE and group_class.startswith("neuron-group-")
        layer_looks.append((fill, group_class))
        # each neuron's ops are framed, titled with its name and the group letter, shaded alike
        letter = group_class.removeprefix("neuron-group-")
        frames = [frame_attrs(source, f"layers.{layer}.neurons.{j}") for j in range(3)]
        assert all(f"({letter})" in a for a in frames)
        assert len({attr(a, "fillcolor") for a in frames}) == 1
    assert layer_looks[0] != layer_looks[1]


def frame_attrs(source: str, name: str) -> str:
    """The attribute lines of the neuron frame (cluster) titled ``name``."""
    for body in re.findall(r"subgraph cluster_neuron\d+ \{\n(.*?)\n\t\}", source, re.DOTALL):
        if f"label={name} " in body or f'label="{name} ' in body or f"label={name}\n" in body:
            return body
    raise AssertionError(f"no frame titled {name}")


def test_output_neurons_do_not_share_colours(seed_network):
    model, _, _, _, _, by_name = seed_network
    out0, out1 = model.layers[2].neurons
    assert out0.b.grad != out1.b.grad  # different targets, different gradients
    for slot in ["w.0", "w.1", "w.2", "b"]:
        a, b = by_name[f"layers.2.neurons.0.{slot}"], by_name[f"layers.2.neurons.1.{slot}"]
        assert a[2] is None or a != b


def test_parameters_are_labelled_with_their_names(seed_network):
    model, _, nodes, _, source, _ = seed_network
    stmts = node_stmts(source)
    index = {id(v): i for i, v in enumerate(nodes)}
    for name, p in model.named_parameters():
        assert f"<b>{name}</b>" in stmts[f"v{index[id(p)]}"]


def test_legend_counts_match_the_nodes_of_each_colour(seed_network):
    _, _, nodes, looks, source, _ = seed_network
    rows = legend_rows(source)
    assert rows, "the legend lists no colour"
    for colour, tag, grad_text, count in rows:
        if tag == "0":
            members = [i for i, lk in enumerate(looks) if lk[0] == ZERO_COLOR]
            assert all(nodes[i].grad == 0.0 for i in members)
        else:
            members = [i for i, lk in enumerate(looks) if lk[2] == f"grad-group-{tag}"]
            assert {looks[i][0] for i in members} == {colour}
            # every node with this gradient, anywhere in the graph outside a neuron group, is counted
            g = nodes[members[0]].grad
            assert math.isclose(g, float(grad_text), rel_tol=1e-3)
            in_neuron_groups = {i for i, lk in enumerate(looks) if lk[2] and lk[2].startswith("neuron-group-")}
            expected = [
                i
                for i, v in enumerate(nodes)
                if math.isclose(v.grad, g, rel_tol=1e-9, abs_tol=0) and i not in in_neuron_groups
            ]
            assert members == expected
        assert count == len(members)
    # groups holding a parameter are lettered first, each part largest first
    named = {i for i, v in enumerate(nodes) if v.label and not v.children}
    parts = {True: [], False: []}
    for _, tag, _, count in rows:
        if tag != "0":
            members = {i for i, lk in enumerate(looks) if lk[2] == f"grad-group-{tag}"}
            parts[bool(members & named)].append((tag, count))
    assert parts[True] and parts[False]
    tags = [t for t, _ in parts[True] + parts[False]]
    assert tags == sorted(tags, key=lambda t: (len(t), t))  # A, B, ... in legend order
    for part in parts.values():
        counts = [c for _, c in part]
        assert counts == sorted(counts, reverse=True)


def test_every_legend_colour_is_used_and_every_used_colour_is_in_the_legend(seed_network):
    _, _, _, looks, source, _ = seed_network
    legend = {(colour, tag) for colour, tag, _, _ in legend_rows(source)}
    used = {(fill, cls.removeprefix("grad-group-")) for fill, _, cls in looks if cls and cls.startswith("grad-group-")}
    assert used == {(c, t) for c, t in legend if t != "0"}


def test_value_nodes_show_data_and_grad_to_4_significant_digits_and_full_tooltip():
    x = Value(0.123456789, label="x")
    y = x * 3.0
    y.backward()
    stmts = node_stmts(draw_dot(y).source)
    assert ">0.1235<" in stmts["v0"] and ">3.000<" in stmts["v0"]  # data, grad of x
    assert "data = 0.123456789" in attr(stmts["v0"], "tooltip")
    assert "grad = 3.0" in attr(stmts["v0"], "tooltip")
    # ops are small separate nodes; arrows follow the data flow
    assert attr(stmts["v2op"], "label") == "*"
    edges = EDGE_STMT.findall(draw_dot(y).source)
    assert ("v0", "v2op") in edges and ("v1", "v2op") in edges and ("v2op", "v2") in edges


# ----------------------------------------------------------------------------------
# other colour rules
# ----------------------------------------------------------------------------------


def test_all_distinct_gradients_give_no_shared_colour():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    root = (a * b).tanh()
    root.backward()
    nodes, looks, source = value_looks(root)
    assert len({v.grad for v in nodes}) == len(nodes)
    assert all(fill is None for fill, _, _ in looks)
    assert legend_rows(source) == []
    assert "every nonzero gradient is different" in legend(source)


def test_zero_gradients_are_always_pale_grey_even_alone():
    a, b = Value(-2.0, label="a"), Value(3.0, label="b")
    root = a.relu() * b + b  # a.relu() is dead: a gets no gradient
    root.backward()
    nodes, looks, source = value_looks(root)
    zero = [i for i, v in enumerate(nodes) if v.grad == 0.0]
    assert [nodes[i].label for i in zero] == ["a"]  # only a: relu(a) itself has grad 3
    assert looks[zero[0]][0] == ZERO_COLOR
    assert (ZERO_COLOR, "0", "exactly 0: nothing flows back here", 1) in legend_rows(source)
    assert "1 node with grad exactly 0" in legend(source)


def test_before_backward_everything_is_zero_grey():
    root = Value(1.0) * Value(2.0) + Value(3.0)
    nodes, looks, source = value_looks(root)
    assert {lk[0] for lk in looks} == {ZERO_COLOR}
    assert (ZERO_COLOR, "0", "exactly 0: nothing flows back here", len(nodes)) in legend_rows(source)


def test_nonfinite_gradients_get_a_red_border():
    a = Value(1.0, label="a")
    root = a * 2.0
    a.grad = math.nan
    _nodes, _, source = value_looks(root)
    stmt = node_stmts(source)["v0"]
    assert attr(stmt, "color") == "#CC3311"
    assert "1 node with grad NaN or infinite" in legend(source)


def test_highlighting_can_be_switched_off():
    a = Value(1.0)
    root = a + a
    root.backward()
    source = draw_dot(root, highlight_equal_grads=False).source
    assert "fillcolor" not in source and legend(source) is None


def test_rtol_decides_what_counts_as_equal():
    a, b = Value(1.0, label="a"), Value(1.0, label="b")
    root = a + b
    a.grad, b.grad, root.grad = 0.5, 0.5 * (1 + 1e-6), 1.0
    _, strict, _ = value_looks(root, rtol=1e-9)
    _, loose, _ = value_looks(root, rtol=1e-5)
    assert strict[0][0] is None and strict[1][0] is None  # both plain: no shared colour
    assert loose[0] == loose[1] and loose[0][0] == PALETTE[0]


def test_legend_shows_enough_digits_to_tell_close_groups_apart():
    vs = [Value(float(i), label=f"p{i}") for i in range(4)]
    root = vs[0] + vs[1] + vs[2] + vs[3]
    vs[0].grad = vs[1].grad = 0.123450
    vs[2].grad = vs[3].grad = 0.123451
    texts = sorted(g for _, tag, g, _ in legend_rows(draw_dot(root).source) if tag != "0")
    assert len(texts) == 2 and texts[0] != texts[1]
    assert float(texts[0]) == pytest.approx(0.123450) and float(texts[1]) == pytest.approx(0.123451)


def test_more_groups_than_colours_stay_distinguishable():
    # 12 pairs of leaves, each pair with its own gradient: 12 groups, 8 colours.
    leaves = [Value(1.0, label=f"p{i}") for i in range(24)]
    root = leaves[0]
    for v in leaves[1:]:
        root = root + v
    for i, v in enumerate(leaves):
        v.grad = 1.0 + i // 2
    source = draw_dot(root).source
    stmts = node_stmts(source)
    nodes, _ = nodes_and_edges(root)
    leaf_looks = [look(stmts[f"v{i}"]) for i, v in enumerate(nodes) if v.label]
    assert len(set(leaf_looks)) == 12
    assert len({fill for fill, _, _ in leaf_looks}) == 12  # no two groups share a fill
    assert {fill for fill, _, _ in leaf_looks} >= set(PALETTE)  # the palette first, then further full colours
    rows = legend_rows(source)
    assert len({tag for _, tag, _, _ in rows}) == len(rows) >= 12


def test_every_group_has_a_fill_of_its_own_with_highlight_all():
    # 40 groups of intermediate Values (no parameter among them): pale fills, none repeated
    x = Value(1.0, label="x")
    terms = [(x * 1.0) * float(k + 2) for k in range(40)]
    root = sum(terms[1:], terms[0])
    root.backward()
    nodes, looks, source = value_looks(root, highlight="all")
    fills = {lk[2]: lk[0] for lk in looks if lk[2] and lk[2].startswith("grad-group-")}
    assert len(fills) >= 40 and len(set(fills.values())) == len(fills)
    named = {lk[2] for i, lk in enumerate(looks) if nodes[i].label}
    assert not {f for c, f in fills.items() if c not in named} & set(PALETTE)  # pale, never a full colour


def test_by_default_only_groups_holding_a_labelled_leaf_are_coloured():
    a, b = Value(2.0, label="a"), Value(2.0, label="b")
    u, v = Value(3.0), Value(3.0)
    root = (a * 1.5 + b * 1.5) * ((u + v) * 0.5)  # a, b share a gradient; so do u, v and the + node's inputs
    root.backward()
    nodes, looks, source = value_looks(root)
    index = {id(n): i for i, n in enumerate(nodes)}
    assert looks[index[id(a)]] == looks[index[id(b)]] and looks[index[id(a)]][0] in PALETTE
    assert looks[index[id(u)]][0] is None and looks[index[id(v)]][0] is None
    text = legend(source)
    assert "not coloured: 2 groups of equal gradients among intermediate nodes only" in text
    assert "2 nodes with grad 4.500: holding a, b" in text  # the legend names what a learner can change
    _, all_looks, _ = value_looks(root, highlight="all")
    assert all_looks[index[id(u)]] == all_looks[index[id(v)]] and all_looks[index[id(u)]][0] not in PALETTE
    assert value_looks(root, highlight="none")[1] == value_looks(root, highlight_equal_grads=False)[1]
    with pytest.raises(ValueError, match="highlight"):
        draw_dot(root, highlight="some")
    with pytest.raises(ValueError, match="pass only one"):
        draw_dot(root, highlight="all", highlight_equal_grads=False)


def test_a_graph_without_labelled_leaves_has_every_group_coloured():
    xs = [Value(1.0) for _ in range(4)]
    root = xs[0] * 2.0 + xs[1] * 2.0 + xs[2] * 3.0 + xs[3] * 3.0
    root.backward()
    _, looks, source = value_looks(root)
    assert {lk[0] for lk in looks} - {None} and "not coloured" not in legend(source)


# ----------------------------------------------------------------------------------
# the defining property, on random expressions
# ----------------------------------------------------------------------------------

UNARY = {"neg": lambda a: -a, "tanh": Value.tanh, "sigmoid": Value.sigmoid, "relu": Value.relu, "sq": lambda a: a**2}
BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
LEAF = st.one_of(st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0]), st.floats(-2, 2, allow_nan=False))


@st.composite
def shared_dags(draw) -> Value:
    """A random DAG: leaves, then ops whose arguments are any earlier node (so sharing happens)."""
    pool = [Value(x, label=f"x{i}") for i, x in enumerate(draw(st.lists(LEAF, min_size=1, max_size=4)))]
    steps = draw(
        st.lists(
            st.tuples(st.sampled_from(sorted(UNARY) + sorted(BINARY)), st.integers(0, 99), st.integers(0, 99)),
            min_size=1,
            max_size=8,
        )
    )
    for name, i, j in steps:
        a, b = pool[i % len(pool)], pool[j % len(pool)]
        pool.append(UNARY[name](a) if name in UNARY else BINARY[name](a, b))
    return pool[-1]


def closeness_is_an_equivalence(grads: list[float], rtol: float) -> bool:
    near = [frozenset(j for j, h in enumerate(grads) if math.isclose(g, h, rel_tol=rtol, abs_tol=0)) for g in grads]
    return all(near[i] == near[j] for i in range(len(grads)) for j in near[i])


RTOLS = st.sampled_from([0.0, 1e-12, 1e-9, 1e-6])


@settings(deadline=None)
@given(expr=expressions(3, max_leaves=10), x=points(3), rtol=RTOLS)
def test_same_fill_exactly_when_gradients_equal_within_rtol(expr, x, rtol):
    # The project's shared random expressions (a tree over 3 inputs: inputs reused,
    # all ops kept in their safe domains).
    root = expr(*[Value(xi, label=f"x{i}") for i, xi in enumerate(x)])
    check_same_fill_iff_close(root, rtol)


@settings(deadline=None)
@given(root=shared_dags())
def test_by_default_a_node_is_coloured_exactly_when_its_group_holds_a_labelled_leaf(root):
    root.backward()
    nodes, looks, _ = value_looks(root, rtol=0.0)
    grads = [v.grad for v in nodes]
    assume(all(math.isfinite(g) for g in grads))
    for i, g in enumerate(grads):
        peers = [j for j, h in enumerate(grads) if h == g]
        named = any(nodes[j].label and not nodes[j].children for j in peers)
        if g == 0.0:
            assert looks[i][0] == ZERO_COLOR
        elif len(peers) > 1 and named:
            assert looks[i][0] in PALETTE + EXTRA_LOUD and [j for j, lk in enumerate(looks) if lk == looks[i]] == peers
        else:
            assert looks[i] == (None, "rounded", None)


@settings(deadline=None)
@given(root=shared_dags(), rtol=RTOLS)
def test_same_fill_exactly_when_gradients_equal_within_rtol_on_shared_subgraphs(root, rtol):
    # DAGs that reuse intermediate nodes and round leaf values, so exact ties and
    # accumulated gradients are frequent.
    check_same_fill_iff_close(root, rtol)


@settings(deadline=None)
@given(root=shared_dags(), k=st.integers(2, 5))
def test_min_group_size_colours_exactly_the_groups_that_big(root, k):
    root.backward()
    nodes, looks, _ = value_looks(root, rtol=0.0, min_group_size=k, highlight="all")
    grads = [v.grad for v in nodes]
    assume(all(math.isfinite(g) for g in grads))
    for i, g in enumerate(grads):
        size = grads.count(g)
        if g == 0.0:
            assert looks[i][0] == ZERO_COLOR  # zero is always grey, whatever k
        elif size >= k:
            assert looks[i][2] is not None and looks[i][2].startswith("grad-group-")
            assert [j for j, lk in enumerate(looks) if lk == looks[i]] == [j for j, h in enumerate(grads) if h == g]
        else:
            assert looks[i] == (None, "rounded", None)


def check_same_fill_iff_close(root: Value, rtol: float) -> None:
    root.backward()
    nodes, looks, _source = value_looks(root, rtol=rtol, highlight="all")
    grads = [v.grad for v in nodes]
    assume(all(math.isfinite(g) for g in grads))
    # With a tolerance, "close" need not be transitive (a~b, b~c, a!~c); no colouring
    # can then satisfy "same colour iff close", so such samples are out of scope.
    assume(closeness_is_an_equivalence(grads, rtol))
    for i in range(len(nodes)):
        for j in range(i + 1, len(nodes)):
            close = math.isclose(grads[i], grads[j], rel_tol=rtol, abs_tol=0)
            same = looks[i][0] is not None and looks[i] == looks[j]
            assert same == close, (grads[i], grads[j], looks[i], looks[j])
    groups = {lk for lk in looks if lk[2] and lk[2].startswith("grad-group-")}
    assert len({fill for fill, _, _ in groups}) == len(groups)  # the fill colour alone tells groups apart
    for i, lk in enumerate(looks):  # a gradient nobody else has stays plain, unless it is 0
        alone = sum(math.isclose(grads[i], h, rel_tol=rtol, abs_tol=0) for h in grads) == 1
        if alone:
            assert lk[0] == (ZERO_COLOR if grads[i] == 0.0 else None)


# ----------------------------------------------------------------------------------
# escaping, naming, validation, size limit
# ----------------------------------------------------------------------------------


def test_user_markup_is_escaped_and_node_names_have_no_colon():
    # What the picture shows is tested through real dot output in test_viz_render.py;
    # here: user text never becomes markup, and DOT names never carry ports.
    nasty = '<b>"x":port</b> & {a|b}'
    a = Value(1.0, label=nasty)
    root = a * Value(2.0, label="<<html>>")
    root.backward()
    source = draw_dot(root).source
    stmts = node_stmts(source)
    assert "&lt;b&gt;&quot;x&quot;:port&lt;/b&gt; &amp; {a|b}" in stmts["v0"]
    assert '<b>"x"' not in source and "&lt;&lt;html&gt;&gt;" in stmts["v1"]
    names = list(stmts) + [n for edge in EDGE_STMT.findall(source) for n in edge]
    assert names and all(re.fullmatch(r"[A-Za-z0-9_]+", n) for n in names)


def test_argument_validation_names_the_value_and_the_fix():
    root = Value(1.0) + Value(2.0)
    with pytest.raises(TypeError, match=r"draw_network"):
        draw_dot(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"rankdir must be one of 'LR', 'RL', 'TB', 'BT', got 'XY'"):
        draw_dot(root, rankdir="XY")
    with pytest.raises(TypeError, match="rankdir"):
        draw_dot(root, rankdir=3)  # type: ignore[arg-type]
    assert "rankdir=TB" in draw_dot(root, rankdir="tb").source
    with pytest.raises(ValueError, match=r"rtol.*-1"):
        draw_dot(root, rtol=-1)
    with pytest.raises(ValueError, match=r"rtol.*nan"):
        draw_dot(root, rtol=math.nan)
    with pytest.raises(TypeError, match=r"rtol.*'1e-9'"):
        draw_dot(root, rtol="1e-9")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="rtol"):
        draw_dot(root, rtol=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"max_nodes.*0"):
        draw_dot(root, max_nodes=0)
    with pytest.raises(TypeError, match=r"max_nodes.*2.5"):
        draw_dot(root, max_nodes=2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="highlight_equal_grads"):
        draw_dot(root, highlight_equal_grads="yes")  # type: ignore[arg-type]


def test_too_many_nodes_raises_naming_the_count_and_draw_network():
    v = Value(1.0)
    for _ in range(DEFAULT_MAX_NODES):
        v = -v
    with pytest.raises(
        ValueError, match=rf"{DEFAULT_MAX_NODES + 1} Values.*max_nodes={DEFAULT_MAX_NODES}.*draw_network"
    ):
        draw_dot(v)
    assert isinstance(draw_dot(v, max_nodes=DEFAULT_MAX_NODES + 1), graphviz.Digraph)


def test_draw_dot_returns_an_unrendered_digraph():
    g = draw_dot(Value(1.0) * Value(2.0))
    assert isinstance(g, graphviz.Digraph)
    assert g.source.startswith("digraph autograd {")


# ----------------------------------------------------------------------------------
# draw_network
# ----------------------------------------------------------------------------------

from micrograd_like.viz import INTERCHANGEABLE_MESSAGE, draw_network  # noqa: E402 (imports of this section)


def edge_stmts(source: str) -> dict[tuple[str, str], str]:
    """(tail, head) -> attribute text of every visible edge."""
    out = {}
    for m in re.finditer(r"^\t+(\w+) -> (\w+)(?: \[(.*)\])?$", source, re.MULTILINE):
        attrs = m.group(3) or ""
        if "style=invis" not in attrs:
            out[(m.group(1), m.group(2))] = attrs
    return out


@pytest.fixture(scope="module")
def seed_network_view():
    model = constant_network()
    motivating_loss(model).backward()
    return model, draw_network(model).source


def test_network_has_one_node_per_input_neuron_and_output(seed_network_view):
    _, source = seed_network_view
    names = set(node_stmts(source))
    expected = {"x0", "x1", "y0", "y1"} | {f"l{i}n{j}" for i, n in enumerate([3, 3, 2]) for j in range(n)}
    assert names == expected
    edge_names = [n for edge in edge_stmts(source) for n in edge]
    assert all(re.fullmatch(r"[A-Za-z0-9_]+", n) for n in edge_names)  # no ":" port separators
    for cluster in ["cluster_inputs", "cluster_layer0", "cluster_layer1", "cluster_layer2", "cluster_outputs"]:
        assert f"subgraph {cluster} {{" in source


def test_network_has_one_labelled_edge_per_weight(seed_network_view):
    model, source = seed_network_view
    edges = edge_stmts(source)
    weight_edges = {e: a for e, a in edges.items() if not e[1].startswith("y")}
    assert len(weight_edges) == 2 * 3 + 3 * 3 + 3 * 2
    for i, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            for k, w in enumerate(neuron.w):
                src = f"x{k}" if i == 0 else f"l{i - 1}n{k}"
                attrs = weight_edges[(src, f"l{i}n{j}")]
                assert attr(attrs, "label") == f"w {w.data:#.4g}\\ngrad {w.grad:#.4g}"
                assert f"layers.{i}.neurons.{j}.w.{k}" in attr(attrs, "tooltip")
                assert f"grad = {w.grad!r}" in attr(attrs, "tooltip")
    assert {e for e in edges if e[1].startswith("y")} == {("l2n0", "y0"), ("l2n1", "y1")}


def test_network_shows_each_bias_in_its_neuron(seed_network_view):
    model, source = seed_network_view
    stmts = node_stmts(source)
    for i, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            label = stmts[f"l{i}n{j}"]
            assert f'<td align="left">b</td><td align="right">{neuron.b.data:#.4g}</td>' in label
            assert f'<td align="left">grad</td><td align="right">{neuron.b.grad:#.4g}</td>' in label
            assert "sigmoid" in attr(stmts[f"l{i}n{j}"], "tooltip")


def test_interchangeable_neurons_share_a_colour_and_the_legend_says_why(seed_network_view):
    _, source = seed_network_view
    stmts = node_stmts(source)
    fills = {name: attr(a, "fillcolor") for name, a in stmts.items()}
    assert fills["l0n0"] == fills["l0n1"] == fills["l0n2"] == PALETTE[0]
    assert fills["l1n0"] == fills["l1n1"] == fills["l1n2"] == PALETTE[1]
    assert fills["l2n0"] is None and fills["l2n1"] is None  # output neurons: each has its own target
    text = legend(source)
    assert text.count(INTERCHANGEABLE_MESSAGE) == 1
    for colour, tag, layer in [(PALETTE[0], "A", 0), (PALETTE[1], "B", 1)]:
        swatch = f'<font color="{colour}" point-size="18">&#9632;</font> <b>{tag}</b>&#160; '
        assert f'{swatch}layers.{layer}: neurons 0, 1, 2<br align="left"/>' in text  # a line of its own


def test_random_start_has_no_interchangeable_neurons():
    model = MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid", seed=0)
    motivating_loss(model).backward()
    source = draw_network(model).source
    assert "fillcolor" not in source
    text = legend(source)
    assert "no interchangeable neurons" in text and INTERCHANGEABLE_MESSAGE not in text


def test_fresh_model_legend_says_gradients_are_not_computed_yet():
    text = legend(draw_network(constant_network()).source)
    assert "gradients not computed yet" in text and "backward()" not in text


def test_moons_model_stays_readable_with_every_parameter_in_a_tooltip():
    model = MLP(2, [16, 16, 1], seed=1)
    loss = Value(0.0)
    for x, y in [([0.5, -0.2], 1.0), ([-1.0, 0.3], -1.0)]:
        loss = loss + (model(x) - y) ** 2
    loss.backward()
    source = draw_network(model).source
    assert len(model.parameters()) == 337
    edges = edge_stmts(source)
    assert len([e for e in edges if not e[1].startswith("y")]) == 304
    assert all(attr(a, "label") is None for a in edges.values())  # no edge text to pile up
    assert "304 in all, too many to label" in legend(source)
    tooltips = [attr(a, "tooltip") or "" for a in list(edges.values()) + list(node_stmts(source).values())]
    for name, p in model.named_parameters():
        if ".w." in name:
            assert any(t.startswith(name + "\\n") and f"grad = {p.grad!r}" in t for t in tooltips), name
        else:
            neuron = name.removesuffix(".b")
            assert any(t.startswith(neuron + "\\n") and f"b.grad = {p.grad!r}" in t for t in tooltips), name
    # forcing labels on works too
    forced = edge_stmts(draw_network(model, edge_labels=True).source)
    assert all(attr(a, "label") for e, a in forced.items() if not e[1].startswith("y"))


def test_small_network_labels_can_be_switched_off(seed_network_view):
    model, _ = seed_network_view
    edges = edge_stmts(draw_network(model, edge_labels=False).source)
    assert all(attr(a, "label") is None for a in edges.values())


def test_network_text_is_escaped():
    def squash(v: Value) -> Value:
        return v.tanh()

    squash.__name__ = "<squash & co>"
    model = MLP(2, [2, 1], activation=squash, seed=0)
    source = draw_network(model).source
    stmts = node_stmts(source)
    assert "activation &lt;squash &amp; co&gt;" in attr(stmts["l0n0"], "tooltip")  # entities: dot decodes them
    assert 'label="layers.0: hidden layer, &lt;squash &amp; co&gt;"' in source


def test_draw_network_validates_its_arguments(seed_network_view):
    model, _ = seed_network_view
    with pytest.raises(TypeError, match=r"draw_network needs an MLP.*Value.*draw_dot"):
        draw_network(Value(1.0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"rankdir must be one of 'LR', 'RL', 'TB', 'BT', got 'sideways'"):
        draw_network(model, rankdir="sideways")
    with pytest.raises(TypeError, match="edge_labels"):
        draw_network(model, edge_labels="yes")  # type: ignore[arg-type]


def test_title_is_shown_above_the_legend_and_escaped():
    root = Value(1.0) * Value(2.0)
    root.backward()
    for g in (
        draw_dot(root, title="x < y & z\nsecond line"),
        draw_network(constant_network(), title="x < y & z\nsecond line"),
    ):
        text = legend(g.source)
        assert '<font point-size="15"><b>x &lt; y &amp; z</b></font>' in text
        assert text.index("second line") < text.index('table border="1"')  # title first, then the legend box
    assert legend(draw_dot(root, highlight_equal_grads=False, title="only a title").source).count("only a title") == 1
    with pytest.raises(TypeError, match="title"):
        draw_dot(root, title=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="title"):
        draw_network(constant_network(), title=["a"])  # type: ignore[arg-type]


def test_an_ops_parameters_are_shown_on_its_node():
    # issue 16 item 13: the drawing said leaky_relu for every slope
    x = Value(-1.5, label="x")
    source = draw_dot(x.leaky_relu(0.2).leaky_relu() + x**3).source
    assert 'label="leaky_relu slope=0.2"' in source and 'label="leaky_relu slope=0.01"' in source
    assert "computed by leaky_relu slope=0.2" in source  # the tooltip of the Value it makes
    assert 'label="**3"' in source  # an operator keeps its own name
