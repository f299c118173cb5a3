"""micrograd's lecture idioms, run against this engine: backprop by hand with
``_backward()``, micrograd's constructor, and ops added with a ``_backward`` closure."""

import gc
import math
import weakref

import pytest
from hypothesis import given

from micrograd_like import Value, grad
from micrograd_like.engine import iter_graph
from micrograd_like.testing import expressions, points


def _tanh_by_hand(x):
    """An op added micrograd's way: forward, children and op name, and a closure."""
    t = (math.exp(2 * x.data) - 1) / (math.exp(2 * x.data) + 1)
    out = Value(t, _children=(x,), _op="tanh", label="t")

    def _backward():
        x.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def _add_by_hand(a, b):
    out = Value(a.data + b.data, (a, b), "+")

    def _backward():
        a.grad += 1.0 * out.grad
        b.grad += 1.0 * out.grad

    out._backward = _backward
    return out


def test_the_lectures_neuron_backpropagated_one_node_at_a_time():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    n = x1w1 + x2w2 + b
    o = n.tanh()
    assert (o.op, o._op, o._prev) == ("tanh", "tanh", {n})
    o.grad = 1.0
    o._backward()
    assert n.grad == pytest.approx(0.5)
    n._backward()
    n.children[0]._backward()
    x2w2._backward()
    x1w1._backward()
    b._backward()  # a leaf: nothing happens
    assert (x1.grad, w1.grad, x2.grad, w2.grad, b.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0, 0.5))
    by_hand = [v.grad for v in (x1, w1, x2, w2, b)]
    for v in iter_graph(o):
        v.grad = 0.0
    o.backward()
    assert [v.grad for v in (x1, w1, x2, w2, b)] == by_hand


def test_ops_added_by_hand_with_a_closure_backpropagate():
    x, y = Value(0.7), Value(-0.3)
    out = _tanh_by_hand(_add_by_hand(x, y) * x)
    assert (out.op, out.label, out.children[0].op) == ("tanh", "t", "*")
    same = ((x + y) * x).tanh()
    out.backward()
    expected = grad(same, [x, y])
    assert [x.grad, y.grad] == pytest.approx(expected, rel=1e-12)
    assert grad(out, [x, y]) == pytest.approx(expected, rel=1e-12)
    assert out.grad == 1.0  # the closure saw the node's gradient; .grad is as backward left it
    assert out._backward is not None and out._backward.__name__ == "_backward"  # the closure itself
    product = out.children[0]
    before = product.grad
    out._backward()  # micrograd style: calls the closure itself, adding into its input
    assert product.grad == pytest.approx(2 * before) and before != 0.0


def test_a_node_built_micrograd_style_with_the_same_input_twice():
    a = Value(3.0)
    out = Value(a.data * a.data, (a, a), "*")

    def _backward():
        a.grad += a.data * out.grad
        a.grad += a.data * out.grad

    out._backward = _backward
    assert out._prev == {a}
    assert grad(out + a, [a]) == [7.0]


def test_higher_derivatives_through_a_closure_are_refused_naming_the_node():
    x = Value(0.5)
    t = _tanh_by_hand(x)
    with pytest.raises(NotImplementedError, match=r"Value 't'.*first order.*defop"):
        grad(t * 2, [x], create_graph=True)
    assert x._acc is None and t._acc is None


def test_a_closure_op_has_no_forward_to_replay():
    t = _tanh_by_hand(Value(0.5))
    with pytest.raises(NotImplementedError, match=r"'tanh' was defined by a _backward closure.*defop"):
        t._fn.forward(0.5)


def test_a_node_without_a_closure_passes_no_gradient_as_in_micrograd():
    a = Value(2.0)
    out = Value(a.data * 2, (a,), "double")
    assert out.op == "double" and out.children == (a,)
    assert grad(out + a, [a]) == [1.0]


def test_micrograd_constructor_mistakes_are_explained():
    a = Value(1.0)
    with pytest.raises(TypeError, match="_children must be Values"):
        Value(1.0, (a, 2.0), "+")
    with pytest.raises(ValueError, match="at most 2 inputs"):
        Value(1.0, (a, a, a), "sum3")
    with pytest.raises(TypeError, match="_op must be a str"):
        Value(1.0, (a,), 3)
    with pytest.raises(TypeError, match="function of no arguments"):
        (a * 2)._backward = 3
    with pytest.raises(ValueError, match="is a leaf"):
        a._backward = lambda: None
    assert Value(1.0, "x").label == "x"  # a str second argument is still the label


def test_backward_twice_accumulates_as_pytorch_does_not_as_micrograd():
    a, b, f = Value(2.0), Value(-3.0), Value(-2.0)
    L = (a * b) * f
    L.backward()
    L.backward()
    assert a.grad == 12.0  # micrograd re-propagates the accumulated grads and gets 18


def test_built_in_ops_stay_free_of_reference_cycles_closures_need_the_collector():
    gc.disable()
    try:
        x = Value(1.0)
        ref = weakref.ref(x * 2)
        assert ref() is None
        closure_node = _tanh_by_hand(x)
        ref = weakref.ref(closure_node)
        del closure_node
        assert ref() is not None  # the closure refers back to its node
        gc.collect()
        assert ref() is None
    finally:
        gc.enable()


def test_a_subclass_restores_attribute_assignment():
    class MyValue(Value):
        """A user's one-line subclass: it has a __dict__ again."""

    v = MyValue(1.0)
    v.note = "mine"
    assert v.note == "mine"
    with pytest.raises(AttributeError):
        Value(1.0).note = "no __dict__"


@given(expressions(3), points(3))
def test_backward_by_hand_in_reverse_topological_order_equals_backward(expr, xs):
    leaves = [Value(x) for x in xs]
    out = expr(*leaves)
    out.backward()
    expected = [v.grad for v in iter_graph(out)]
    for v in iter_graph(out):
        v.grad = 0.0
    out.grad = 1.0
    for v in reversed(list(iter_graph(out))):
        v._backward()
    assert [v.grad for v in iter_graph(out)] == expected


def test_backward_by_hand_names_a_grad_that_is_not_a_number():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = a * b
    c.grad, a.grad = 1.0, None
    with pytest.raises(TypeError, match=r"Value 'a' has \.grad = NoneType None"):
        c._backward()
    assert b.grad == 0.0  # nothing added when the step fails
