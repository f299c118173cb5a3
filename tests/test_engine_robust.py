"""The engine under stress: threads, interrupted backward passes, bad assignments,
numbers at the edge of the float range, every way a node is built."""

import sys
import threading
from fractions import Fraction

import pytest

from micrograd_like import Value, functions, grad, gradcheck
from micrograd_like.engine import iter_graph
from micrograd_like.expr import parse_expression

# -- two threads, shared leaves ---------------------------------------------------------


def _shared_leaf_loss(w, b, k):
    y = Value(0.0)
    for i in range(600):
        y = y + (w * (i % 7 + k) + b).tanh()
    return y


@pytest.mark.parametrize("mode", ["grad", "backward"])
def test_threads_sharing_leaves_get_correct_gradients(mode):
    w, b = Value(0.5), Value(-0.2)
    losses = [_shared_leaf_loss(w, b, k) for k in (0, 1)]
    expected = [grad(y, [w, b]) for y in losses]
    nodes = [n for y in losses for n in iter_graph(y)]  # listed now: a walk clears the slots
    results, errors = {0: [], 1: []}, []

    def work(k):
        try:
            for _ in range(15):
                if mode == "grad":
                    results[k].append(grad(losses[k], [w, b]))
                else:
                    losses[k].backward()  # both threads add into the shared w.grad, b.grad
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=work, args=(k,)) for k in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert errors == []
    if mode == "grad":
        assert results == {0: [expected[0]] * 15, 1: [expected[1]] * 15}
    else:
        assert [y.grad for y in losses] == [15.0, 15.0]
        assert w.grad == pytest.approx(15 * (expected[0][0] + expected[1][0]), rel=1e-12)
        assert b.grad == pytest.approx(15 * (expected[0][1] + expected[1][1]), rel=1e-12)
    assert all(n._acc is None for n in nodes)


def test_backward_inside_a_backward_closure_is_refused_clearly():
    a = Value(2.0)
    out = Value(a.data * 3, (a,), "*3")

    def step():
        (a * 1).backward()  # a walk started from inside another walk

    out._backward = step
    with pytest.raises(RuntimeError, match="while a backward pass was running"):
        out.backward()
    assert a.grad == 0.0 and out.grad == 0.0 and a._acc is None
    assert grad(a * 3, [a]) == [3.0]  # the lock was released
    out._backward = lambda: list(iter_graph(a))
    with pytest.raises(RuntimeError, match="iter_graph"):
        grad(out, [a])
    assert list(iter_graph(out)) == [a, out]


# -- all or nothing --------------------------------------------------------------------


def test_backward_with_a_grad_set_to_none_changes_nothing_and_names_the_node():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = a * b
    b.grad = None
    with pytest.raises(TypeError, match=r"Value 'b' has \.grad = NoneType None.*zero_grad"):
        c.backward()
    assert (a.grad, b.grad, c.grad) == (0.0, None, 0.0)
    assert all(n._acc is None for n in (a, b, c))
    x = Value(1.0)
    assert grad(x * 2, [x, c]) == [2.0, 0.0]


class _Interrupting:
    """A .grad whose addition is interrupted, as Ctrl-C in the apply loop would be."""

    def __add__(self, other):
        raise KeyboardInterrupt


def test_backward_interrupted_while_applying_gradients_changes_nothing():
    a, b = Value(2.0), Value(3.0)
    c = (a * b).tanh() + a
    a.grad = 0.25
    interrupting = _Interrupting()
    c.grad = interrupting  # the root is applied last, after every other node
    nodes = list(iter_graph(c))
    with pytest.raises(KeyboardInterrupt):
        c.backward()
    assert (a.grad, b.grad, c.grad) == (0.25, 0.0, interrupting)
    assert all(n._acc is None for n in nodes)
    x = Value(1.0)
    assert grad(x * 2, [x, c]) == [2.0, 0.0]
    c.grad = 0.0
    c.backward()
    assert c.grad == 1.0 and a.grad == 0.25 + grad(c, [a])[0]


class _InterruptedOnce(Value):
    """A Value whose next .grad assignment is interrupted, as Ctrl-C would be."""

    armed = False

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        if self.armed:
            self.armed = False
            raise KeyboardInterrupt
        self._grad = value


def test_backward_interrupted_while_storing_gradients_finishes_storing_them():
    a, b = Value(2.0), _InterruptedOnce(3.0)
    c = (a * b).tanh() + a
    expected = grad(c, [a, b, c])
    b.armed = True  # a is stored before b, c after it
    nodes = list(iter_graph(c))
    with pytest.raises(KeyboardInterrupt):
        c.backward()
    assert [a.grad, b.grad, c.grad] == expected
    assert all(n._acc is None for n in nodes)


class _MarkInterrupted(Value):
    """A Value whose next mark is interrupted just after it is set, as Ctrl-C would be
    between the walk marking an input and stepping down to it."""

    armed = False

    @property
    def _acc(self):
        return Value._acc.__get__(self)

    @_acc.setter
    def _acc(self, value):
        Value._acc.__set__(self, value)
        if self.armed and value is not None:
            self.armed = False
            raise KeyboardInterrupt


@pytest.mark.parametrize("side", ["first input", "second input"])
def test_walk_interrupted_just_after_marking_an_input_leaves_no_marks(side):
    x = _MarkInterrupted(1.0)
    y = x * 2 if side == "first input" else 2 * x
    z = y + 1
    x.armed = True
    with pytest.raises(KeyboardInterrupt):
        z.backward()
    assert (x._acc, y._acc, z._acc) == (None, None, None)
    assert x.grad == 0.0
    assert grad(Value(1.0) * 2, [x]) == [0.0]  # a mark left behind would come back as x's "derivative"
    assert grad(z, [x]) == [2.0]


def test_a_successful_backward_leaves_no_scratch_state():
    x = Value(0.5)
    y = (x * x).tanh() + x
    nodes = list(iter_graph(y))
    y.backward()
    assert all(n._acc is None for n in nodes)
    assert [n.grad for n in nodes] == [pytest.approx(g) for g in grad(y, nodes)]


# -- assignments a user makes ----------------------------------------------------------


@pytest.mark.parametrize("make", [lambda v: v * 2, lambda v: 2 + v, lambda v: v - 1, lambda v: v / 2, lambda v: v**2])
def test_a_non_number_assigned_to_data_is_named_where_it_is_used(make):
    v = Value(1.0, label="w")
    v.data = "3"
    with pytest.raises(TypeError, match=r"Value 'w' has \.data = str '3'.*float"):
        make(v)


def test_an_unlabelled_node_is_named_by_its_op_and_data():
    v = Value(1.5) * 2
    v.data = [3]
    with pytest.raises(TypeError, match=r"the unlabelled Value made by '\*' \(data=\[3\]\) has \.data = list"):
        v + 1
    leaf = Value(0.5)
    leaf.data = "x"
    with pytest.raises(TypeError, match=r"the unlabelled leaf Value \(data='x'\)"):
        leaf * 2


def test_the_node_named_is_the_one_with_the_bad_data():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    a.data = 2  # an int is a number: fine
    b.data = "x"
    with pytest.raises(TypeError, match=r"Value 'b' has \.data = str 'x'"):
        a + b


def test_a_non_number_assigned_to_data_is_named_in_backward():
    v = Value(1.0, label="w")
    y = v * v
    v.data = None
    with pytest.raises(TypeError, match=r"Value 'w' has \.data = NoneType None"):
        y.backward()
    assert v.grad == 0.0 and v._acc is None


# -- numbers at the edges --------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: Value(10**400),
        lambda: Value(2) + 10**400,
        lambda: Value(Fraction(10**400, 1)),
        lambda: Value(-(10**5000)),
    ],
    ids=["int", "operand", "Fraction", "huge negative int"],
)
def test_numbers_beyond_the_float_range_are_named_with_the_limit(make):
    limit = r"largest float \(1\.798e\+308\)"
    with pytest.raises(ValueError, match=r"(about 401 digits|Fraction|5001 digits).*" + limit) as info:
        make()
    assert isinstance(info.value, OverflowError)  # what Python raised before
    assert len(str(info.value)) < 300


def test_a_huge_int_is_named_by_its_size():
    with pytest.raises(ValueError, match=r"Value\(data\) is an int of about 401 digits \(~1e400\)"):
        Value(10**400)
    with pytest.raises(ValueError, match=r"an int of about 5001 digits \(-~1e5000\)"):
        Value(-(10**5000))


class _NumpyLikeBool:
    """Stands in for np.bool_, which (unlike numpy's numbers) is not a numbers.Real:
    numpy is not a test dependency, so this has the attributes the engine looks at."""

    class dtype:
        kind = "b"

    shape = ()

    def __float__(self):
        return 1.0


def test_numpy_style_bool_scalars_are_accepted_everywhere():
    assert Value(_NumpyLikeBool()).data == 1.0
    assert (Value(2.0) * _NumpyLikeBool()).data == 2.0
    assert gradcheck(lambda x: x * x, [_NumpyLikeBool()])
    out, _ = parse_expression("x * 2", {"x": _NumpyLikeBool()})
    assert out.data == 2.0


def test_a_shape_without_a_numeric_dtype_is_not_a_number():
    class Shaped:
        shape = ()

        def __float__(self):
            return 1.0

    with pytest.raises(TypeError, match="real number"):
        Value(Shaped())


def test_a_walk_leaves_no_marks_for_a_later_grad():
    x, c = Value(1.0), Value(3.0)
    list(iter_graph(c * 2))
    assert grad(x * 2, [x, c]) == [2.0, 0.0]


def test_complex_numbers_get_a_hint():
    with pytest.raises(TypeError, match=r"use the real part \(x\.real\)"):
        Value(1 + 2j)


def test_two_labels_are_refused():
    with pytest.raises(TypeError, match="two labels, 'x' and label='y'"):
        Value(1.0, "x", label="y")


def test_integer_exponents_from_1e15_are_named_as_floats():
    assert (Value(1.0) ** 1e15).op == "**1000000000000000.0"
    assert (Value(1.0) ** (1e15 - 1)).op == "**999999999999999"


def test_iter_graph_refuses_a_non_value():
    with pytest.raises(TypeError, match="iter_graph needs a Value, got int 3"):
        iter_graph(3)


def test_division_by_zero_message_says_how_to_avoid_it():
    with pytest.raises(ZeroDivisionError, match="make sure the denominator cannot be 0"):
        Value(1.0) / Value(0.0)


def test_one_rule_for_numbers_in_value_gradcheck_and_expr():
    from test_engine import _RegisteredReal  # numpy's float32/int64 register like this

    assert gradcheck(lambda x: x * x, [_RegisteredReal()], atol=_RegisteredReal(), rtol=_RegisteredReal())
    assert gradcheck(lambda x: x * 3, [True])
    for bad in ("1", None, 1j):
        with pytest.raises(TypeError, match="real number"):
            gradcheck(lambda x: x, [bad])
        with pytest.raises(TypeError, match="real number"):
            parse_expression("x", {"x": bad})
    with pytest.raises(ValueError, match="largest float"):
        gradcheck(lambda x: x, [10**400])
    with pytest.raises(ValueError, match="largest float"):
        parse_expression("x", {"x": 10**400})


# -- every way a node is built sets every slot ------------------------------------------


def test_every_fast_construction_path_sets_every_slot():
    # Nodes are built without __init__ in several places (speed); a slot added to Value
    # but forgotten in one of them would surface here as an AttributeError.
    from micrograd_like.engine import make_node
    from micrograd_like.registry import REGISTRY

    x = Value(0.5)
    nodes = {
        "__init__": Value(1.0),
        "+": x + x,
        "*": x * x,
        "-": x - x,
        "/": x / x,
        "neg": -x,
        "**": x**2,
        "** Value": x**x,
        "reflected": 2.0 - x,
        "float constant": x * 0.9,
        "int constant": x + 2,
        "_node": make_node(1.0, None, None),
    }
    for name, spec in REGISTRY.items():  # every op's method and function
        if spec.symbol is None:
            nodes[name] = spec.function(x) if spec.arity == 1 else spec.function(x, x)
    slots = [s for s in Value.__slots__ if s not in ("_label", "__weakref__")]
    for path, v in nodes.items():
        missing = [s for s in slots if not hasattr(v, s)]
        assert not missing, f"{path} leaves {missing} unset"
        assert v.label == "" and v._acc is None and v.grad == 0.0, path


def test_the_slots_comment_names_every_place_that_builds_a_node_without_init():
    # The comment at Value.__slots__ lists them; the test above builds a node through each.
    import ast
    import inspect

    from micrograd_like import _core

    source = inspect.getsource(_core)
    tree = ast.parse(source)
    builders = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and "_new(Value)" in ast.unparse(n)}
    for node in tree.body:  # a template of generated source
        if isinstance(node, ast.Assign) and "_new(Value)" in ast.unparse(node.value):
            builders.add(ast.unparse(node.targets[0]))
    assert builders == {"make_node", "lift_operand", "_METHOD_TEMPLATE"}
    comment = inspect.getsource(_core.Value).split("__slots__ =")[0]
    assert "in three places" in comment and all(f"``{name}``" in comment for name in ("make_node", "_METHOD_TEMPLATE"))
    assert "``lift_operand``" in comment


# -- a derivative that cannot be computed is named like every other error ------------------

_FAILING_DERIVATIVES = [
    (
        lambda x: x.sqrt(),
        r"the derivative of sqrt at x = 0\.0 \(0\.5 / out\) cannot be computed: .*division by zero.*; ",
    ),
    (lambda x: x**0.5, r"the derivative of \*\*0\.5 at x = 0\.0 \(.*\) cannot be computed: .*base cannot be 0$"),
    (lambda x: Value(0.0) ** (x + 0.5), r"the derivative of \*\* at x = 0\.0, y = 0\.5 \(.*\) cannot be computed"),
]


@pytest.mark.parametrize("make, says", _FAILING_DERIVATIVES, ids=["sqrt", "pow", "value-pow"])
@pytest.mark.parametrize("how", ["backward", "grad", "create_graph", "by hand"])
def test_a_failing_derivative_names_op_and_inputs_and_changes_no_gradient(make, says, how):
    x, w = Value(0.0), Value(2.0)
    node = make(x)
    y = node * w + w
    with pytest.raises(ZeroDivisionError, match=says):
        if how == "backward":
            y.backward()
        elif how == "by hand":
            node.grad = 1.0
            node._backward()
        else:
            grad(y, [x, w], create_graph=how == "create_graph")
    assert (x.grad, w.grad, y.grad) == (0.0, 0.0, 0.0)
    assert all(v._acc is None for v in (x, w, node, y))


def test_a_closure_that_raises_keeps_its_own_error():
    x = Value(0.0)
    out = Value(1.0, (x,), "mine")

    def closure():
        x.grad += 1 / x.data  # the user's own code: its error is theirs to read

    out._backward = closure
    with pytest.raises(ZeroDivisionError) as info:
        out.backward()
    assert str(info.value) == "float division by zero"
    assert x.grad == 0.0


def test_a_huge_int_grad_is_not_blamed_on_the_derivative():
    x = Value(2.0)
    y = x * 3
    y.grad = 10**400
    with pytest.raises(OverflowError) as info:
        y.backward()
    assert "derivative" not in str(info.value)
    assert x.grad == 0.0 and y.grad == 10**400


def test_an_int_grad_on_the_failing_node_keeps_the_named_message():
    s = Value(0.0).sqrt()
    s.grad = 0  # micrograd's zero_grad idiom assigns an int
    with pytest.raises(ZeroDivisionError, match="the derivative of sqrt at x = 0.0"):
        (s * 2).backward()
    s.grad = 1
    with pytest.raises(ZeroDivisionError, match="the derivative of sqrt at x = 0.0"):
        s._backward()


def test_a_huge_int_on_an_input_is_not_blamed_on_the_derivative():
    x, w = Value(2.0), Value(3.0)
    y = x * w
    x.grad = 10**400  # the by-hand step adds into the inputs' .grad
    y.grad = 1.0
    with pytest.raises(OverflowError) as info:
        y._backward()
    assert "derivative" not in str(info.value)
    w.data = 10**5000  # too long even to print: the error must not try
    with pytest.raises(OverflowError) as info:
        y.backward()
    assert "derivative" not in str(info.value)


def test_the_walk_is_depth_first_from_the_root_with_inputs_in_argument_order():
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    p = y * 2.0  # built before q, but reached after it
    q = x + 1.0
    r = q * p
    r.label, p.label, q.label = "r", "p", "q"
    order = list(iter_graph(r))
    assert [v.label or v.data for v in order] == ["x", 1.0, "q", "y", 2.0, "p", "r"]


class _Tripwire(Value):
    """A node whose first read of its input raises, as Ctrl-C in the walk would."""

    __slots__ = ()
    tripped = [False]

    @property
    def _a(self):
        if not self.tripped[0]:
            self.tripped[0] = True
            raise KeyboardInterrupt
        return None


def test_a_walk_interrupted_midway_leaves_no_marks():
    x = Value(1.0)
    t = object.__new__(_Tripwire)
    t.data, t.grad, t._fn, t._b, t._acc = 3.0, 0.0, None, None, None
    left = x * 2.0
    y = (left + x) * (x + t)  # the walk has a node on its stack and one in order when t trips
    with pytest.raises(KeyboardInterrupt):
        y.backward()
    assert _Tripwire.tripped[0]
    nodes = [y, y._a, y._b, left, x, t, left._b, y._a._b]
    assert all(v._acc is None for v in nodes)
    assert all(v.grad == 0.0 for v in nodes)


def test_a_derivative_error_prints_an_input_as_a_float():
    x = Value(0.0)
    s = x.sqrt()
    x.data = Fraction(10**5000, 10**5000 + 1)  # converts to a float, but its repr is too long to print
    s.data = 0.0
    with pytest.raises(ZeroDivisionError, match=r"the derivative of sqrt at x = 1\.0 \(0\.5 / out\)"):
        s.backward()


# issue 16 item 11: .data = 10**400 is accepted (an assignment is not checked: it is the hot
# path of every node), and the first op or backward that reads it names the node and the fix


@pytest.mark.parametrize(
    "use",
    [
        lambda v: v + 1,
        lambda v: 1 - v,
        lambda v: v * 2,
        lambda v: v / 2,
        lambda v: v**2,
        lambda v: v.tanh(),
        lambda v: v.exp(),
        lambda v: v.sin(),
        lambda v: functions.sin(v),
        lambda v: functions.log1p(v),
        lambda v: (v * 1.0).backward(),
    ],
    ids=["add", "rsub", "mul", "div", "pow", "tanh", "exp", "sin", "sin()", "log1p()", "backward"],
)
def test_a_huge_int_assigned_to_data_is_named_where_it_is_used(use):
    v = Value(1.0, label="w")
    v.data = 10**400
    with pytest.raises(ValueError, match=r"^Value 'w' has \.data = an int of about 401 digits \(~1e400\), beyond the "
                                         r"largest float \(1\.798e\+308\); assign a number in the float range"):  # fmt: skip
        use(v)
    assert v.grad == 0.0


def test_a_huge_int_in_a_graph_is_named_by_backward_and_no_grad_changes():
    x = Value(1.0)
    y = Value(2.0, label="y")
    out = (x * y).tanh()
    x.data = -(10**5000)  # more digits than Python prints
    with pytest.raises(OverflowError, match=r"^the unlabelled leaf Value has \.data = an int of about 5001 digits"):
        out.backward()
    y.grad = 10**400
    x.data = 1.0
    with pytest.raises(ValueError, match=r"Value 'y' has \.grad = an int of about 401 digits.*zero_grad"):
        out.backward()
    assert x.grad == 0.0 and out.grad == 0.0


def test_every_binary_operator_op_is_a_value_operator_from_the_one_template():
    # A binary op registered with one of Python's operator symbols becomes that operator:
    # the dunder from the core's template, and its reflected form.
    import operator

    from micrograd_like import _ops
    from micrograd_like.registry import REGISTRY

    operators = [spec for spec in REGISTRY.values() if spec.arity == 2 and spec.symbol in _ops._DUNDERS]
    assert {spec.name for spec in operators} == {"add", "sub", "mul", "div"}
    x, y = Value(3.0), Value(4.0)
    for spec in operators:
        dunder = _ops._DUNDERS[spec.symbol]
        method = getattr(Value, f"__{dunder}__")
        assert method.__code__.co_filename == f"<micrograd_like method __{dunder}__>"
        assert getattr(operator, dunder)(x, y).data == spec.op().forward(3.0, 4.0)
        assert getattr(operator, dunder)(2.0, y).data == spec.op().forward(2.0, 4.0)  # reflected
        assert getattr(operator, dunder)(x, y)._fn is spec.op()


def test_a_generated_operator_shows_its_line_in_a_traceback():
    import traceback

    v = Value(1.0)
    v.data = "one"  # not a number: the generated __add__ names the node
    with pytest.raises(TypeError, match="has .data = str 'one'") as info:
        v + 1.0
    lines = "".join(traceback.format_tb(info.value.__traceback__))
    assert "<micrograd_like method __add__>" in lines and "raise bad_data_error" in lines
