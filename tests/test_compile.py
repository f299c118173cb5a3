"""micrograd_like.compile: replays agree with eager bit for bit, and say so when they cannot."""

from __future__ import annotations

import math
import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import micrograd_like as ml
from micrograd_like import _core, losses, nn
from micrograd_like.compiled import ReplayMismatch
from micrograd_like.engine import Value, iter_graph
from micrograd_like.testing import expressions, points


def eager_run(fn, args, params):
    """Loss and each parameter's gradient from an ordinary backward(), .grad restored."""
    saved = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    out = fn(*args)
    out.backward()
    grads = [p.grad for p in params]
    for p, g in zip(params, saved):
        p.grad = g
    return out.data, grads


def compiled_run(cfn, args, params):
    for p in params:
        p.grad = 0.0
    loss = cfn(*args)
    return loss, [p.grad for p in params]


# -- agreement with eager ----------------------------------------------------------------


@given(expressions(3), points(3), points(3), st.integers(0, 3))
def test_random_expressions_replay_like_eager(expr, first, second, n_captured):
    """Some inputs captured Values, the rest arguments; two replays with new numbers."""
    params = [Value(x) for x in first[:n_captured]]

    def fn(xs):  # Value(x) of an argument number is linked to that argument
        return expr(*(params + [ml.Value(x) for x in xs]))

    cfn = ml.compile(fn)
    for point in (first, second, first):
        for p, x in zip(params, point):
            p.data = x
        args = (point[n_captured:],)
        want = eager_run(fn, args, params)
        assert compiled_run(cfn, args, params) == want
    assert cfn.cache_info().misses == 1


@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=3),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["relu", "tanh", "sigmoid"]),
)
def test_random_mlps_replay_like_eager(hidden, seed, activation):
    rng = random.Random(seed)
    model = nn.MLP(2, hidden + [2], seed=seed, activation=activation)
    params = model.parameters()

    def loss_fn(X, Y):
        return losses.mse([model(x) for x in X], Y) + 1e-3 * sum(p * p for p in params)

    cfn = ml.compile(loss_fn)
    for _ in range(2):  # two replays with new numbers, after the recording
        X = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(3)]
        Y = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(3)]
        assert compiled_run(cfn, (X, Y), params) == eager_run(loss_fn, (X, Y), params)


def test_arithmetic_on_argument_numbers_is_recorded_and_minibatches_train_like_eager():
    """-y * score, 1 - y, x ** 2 and Value(x) on argument numbers all follow new batches."""
    model = nn.MLP(3, [4, 1], seed=1)
    twin = nn.MLP(3, [4, 1], seed=1)

    def loss_fn(m):
        def fn(X, y):
            scores = [m([ml.Value(a), b, a * b]) for a, b in X]
            margins = [(1 + -yi * s).relu() + (1 - yi) * 0.5 * s * s for yi, s in zip(y, scores)]
            return sum(margins) * (1.0 / len(y)) + sum(x[0] ** 2 for x in X) * m.parameters()[0]

        return fn

    cfn = ml.compile(loss_fn(model))
    eager = loss_fn(twin)
    rng = random.Random(5)
    for _ in range(6):
        X = [(rng.uniform(-2, 2), rng.uniform(-2, 2)) for _ in range(4)]
        y = [rng.choice([-1, 1]) for _ in range(4)]
        model.zero_grad()
        twin.zero_grad()
        loss = cfn(X, y)
        out = eager(X, y)
        out.backward()
        assert loss == out.data
        assert [p.grad for p in model.parameters()] == [p.grad for p in twin.parameters()]
        for p, q in zip(model.parameters(), twin.parameters()):
            p.data -= 0.1 * p.grad
            q.data -= 0.1 * q.grad
    assert cfn.cache_info().misses == 1


def test_gradients_accumulate_like_backward():
    w = Value(2.0)
    cfn = ml.compile(lambda x: w * x * x)
    w.grad = 1.5
    cfn(3.0)
    cfn(4.0)
    assert w.grad == 1.5 + 9.0 + 16.0


def test_returns_a_float():
    w = Value(2.0)
    out = ml.compile(lambda x: w * x)(3)
    assert type(out) is float and out == 6.0


# -- recordings and the cache ------------------------------------------------------------


def test_a_new_argument_structure_records_again_and_the_cache_is_bounded():
    w = Value(1.5)
    cfn = ml.compile(lambda xs: sum((w * x for x in xs), Value(0.0)), maxsize=2)
    assert cfn([1.0, 2.0]) == 4.5
    assert cfn([1.0, 2.0, 3.0]) == 9.0
    assert cfn([4.0, 4.0]) == 12.0
    info = cfn.cache_info()
    assert (info.hits, info.misses, info.recordings, info.maxsize) == (1, 2, 2, 2)
    cfn([1.0])  # a third structure evicts the least recently used one ([_, _, _])
    cfn([1.0, 2.0, 3.0])
    assert cfn.cache_info().misses == 4
    assert cfn.cache_info().recordings == 2


def test_decorator_forms():
    w = Value(3.0)

    @ml.compile
    def f(x):
        return w * x

    @ml.compile(check=True)
    def g(x):
        return w * x

    assert f(2.0) == g(2.0) == 6.0
    assert g.check and not f.check


# -- frozen control flow and check=True --------------------------------------------------


def frozen_branch():
    w = Value(1.0, label="w")

    def fn(x):
        v = w * x
        return v if v.data > 0 else -v  # reads .data: the branch is frozen at recording

    return w, fn


def test_control_flow_on_data_is_frozen_into_the_recording():
    w, fn = frozen_branch()
    cfn = ml.compile(fn)
    assert cfn(2.0) == 2.0
    assert cfn(-2.0) == -2.0  # eager would give 2.0: the recording took the first branch


def test_check_names_the_first_differing_number():
    w, fn = frozen_branch()
    cfn = ml.compile(fn, check=True)
    assert cfn(2.0) == 2.0 and w.grad == 2.0
    with pytest.raises(ReplayMismatch, match=r"the output is -2.0 replayed but 2.0 eagerly.*frozen"):
        cfn(-2.0)
    assert w.grad == 2.0  # nothing added on a mismatch


def test_check_compares_gradients_too():
    w = Value(1.0, label="w")
    u = Value(1.0, label="u")
    cfn = ml.compile(lambda x: w * x if x > 0 else u * x, check=True)
    cfn(1.0)
    # At x = -1 both branches give -1.0 (w and u are equal), but the derivative
    # belongs to u eagerly and to w in the frozen recording.
    with pytest.raises(ReplayMismatch, match=r"the gradient of w is -1.0 replayed but 0.0 eagerly"):
        cfn(-1.0)
    assert (w.grad, u.grad) == (1.0, 0.0)


# -- errors --------------------------------------------------------------------------------


def eager_error(fn, *args):
    with pytest.raises(Exception) as info:
        fn(*args).backward()
    return type(info.value), str(info.value)


@pytest.mark.parametrize(
    "make, good, bad",
    [
        (lambda w: lambda x: (w * x).log(), 1.0, -1.0),
        (lambda w: lambda x: (w * x).exp(), 1.0, 800.0),
        (lambda w: lambda x: (w * x) ** 0.5, 1.0, 0.0),  # fails in the derivative only
        (lambda w: lambda x: (w * x).sqrt() * 2.0, 1.0, 0.0),  # the same, inside a division
        (lambda w: lambda x: w / x, 1.0, 0.0),
    ],
    ids=["log", "exp-overflow", "pow-derivative", "sqrt-derivative", "division"],
)
def test_errors_at_replay_match_eager_and_leave_grads_untouched(make, good, bad):
    w = Value(1.0)
    cfn = ml.compile(make(w))
    cfn(good)
    w.grad = 7.0
    kind, message = eager_error(make(Value(1.0)), bad)
    with pytest.raises(kind) as info:
        cfn(bad)
    assert str(info.value) == message
    assert w.grad == 7.0


@pytest.mark.parametrize(
    "fn", [lambda x: x.sqrt() * 2.0, lambda x: (x * 1.0) ** 0.5], ids=["method-of-an-argument", "nothing-captured"]
)
def test_a_replay_error_on_the_arguments_own_ops_is_the_eager_one(fn):
    cfn = ml.compile(fn)
    cfn(4.0)
    kind, message = eager_error(fn, Value(0.0))  # compile hands fn stand-ins that act like Values
    assert "the derivative of" in message
    with pytest.raises(kind) as info:
        cfn(0.0)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "make",
    [
        lambda w: lambda x: (w * x).sqrt() if x > 1 else w * x,  # a comparison on an argument
        lambda w: lambda x: (w * x).sqrt() if x.data > 1 else (w * x - 1.0).log(),  # another error eagerly
        lambda w: lambda x: (w * ml.Value(x)).sqrt(),  # the Value(a) of compile's own example
    ],
    ids=["comparison", "frozen-branch", "value-of-argument"],
)
def test_a_replay_error_is_named_from_the_recording_itself(make):
    w = Value(1.0)
    cfn = ml.compile(make(w))
    cfn(4.0)  # records the sqrt branch, which fails at 0: its error is the one to name
    w.grad = 7.0
    with pytest.raises(ZeroDivisionError, match=r"^the derivative of sqrt at x = 0\.0 \(0\.5 / out\) cannot be"):
        cfn(0.0)
    assert w.grad == 7.0


def test_bad_arguments_and_results_are_refused():
    w = Value(1.0)
    with pytest.raises(TypeError, match="numbers or \\(nested\\) lists/tuples of numbers, got str"):
        ml.compile(lambda x: w * x)("1.0")
    with pytest.raises(TypeError, match="must return a Value"):
        ml.compile(lambda x: 2.0 * x.data)(1.0)
    with pytest.raises(TypeError, match="compile needs a function"):
        ml.compile(3)
    with pytest.raises(ValueError, match="has not been called yet"):
        _ = ml.compile(lambda x: w * x).source


# -- the readable listing ------------------------------------------------------------------


def test_source_names_parameters_and_arguments_forward_then_backward():
    model = nn.MLP(2, [2, 1], seed=0)

    @ml.compile
    def loss_fn(X, y):
        return losses.hinge([model(x) for x in X], y)

    loss_fn([[0.5, -1.0]], [1])
    src = loss_fn.source
    lines = src.splitlines()
    assert lines[0] == "# forward"
    back = lines.index("# backward")
    assert "layers.0.neurons.1.w.1" in "\n".join(lines[:back])
    assert "X[0][1]" in "\n".join(lines[:back])
    assert "d(layers.1.neurons.0.b)" in "\n".join(lines[back:])
    # one line per op of the eager graph in the forward part
    forward = [line for line in lines[1:back] if not line.startswith("#")]
    eager = losses.hinge([model(x) for x in [[0.5, -1.0]]], [Value(1.0)])  # -y is an op too
    assert len(forward) == sum(1 for node in iter_graph(eager) if node.op)


# -- extra outputs (what the moons loop needs for its accuracy) ----------------------------


def test_extra_outputs_let_the_moons_loop_switch_to_compiled_steps():
    from micrograd_like import moons
    from micrograd_like.datasets import make_moons

    X, y = make_moons(12, noise=0.1, seed=3)
    model, twin = nn.MLP(2, [4, 4, 1], seed=2), nn.MLP(2, [4, 4, 1], seed=2)

    @ml.compile
    def step(X, y):
        scores = [model(x) for x in X]
        return losses.hinge(scores, y) + losses.l2_penalty(model.parameters(), moons.ALPHA), scores

    for _ in range(4):
        model.zero_grad()
        loss, scores = step(X, y)
        accuracy = sum((s > 0) == (label > 0) for s, label in zip(scores, y)) / len(y)
        eager_loss, eager_accuracy = moons.loss_and_accuracy(twin, X, y)
        twin.zero_grad()
        eager_loss.backward()
        assert (loss, accuracy) == (eager_loss.data, eager_accuracy)
        assert [p.grad for p in model.parameters()] == [p.grad for p in twin.parameters()]
        for m in (model, twin):
            for p in m.parameters():
                p.data -= 0.5 * p.grad
    assert step.cache_info().misses == 1


def test_extra_outputs_must_come_from_the_graph_and_are_checked():
    w = Value(2.0)
    stray = Value(1.0)
    with pytest.raises(ValueError, match="not part of the loss's graph"):
        ml.compile(lambda x: (w * x, [stray]))(1.0)
    u = Value(3.0, label="u")

    def fn(x):  # the extra output depends on a frozen branch, the loss does not
        a = u * x if x > 0 else -u * x
        return w * x + a * 0.0, [a]

    cfn = ml.compile(fn, check=True)
    assert cfn(1.0) == (2.0, [3.0])
    with pytest.raises(ReplayMismatch, match="extra output 0 is -3.0 replayed but 3.0 eagerly"):
        cfn(-1.0)


def test_values_made_inside_are_constants_and_outside_ones_are_captured():
    w = Value(3.0, label="w")

    @ml.compile
    def f(x):
        return (w * Value(2.0)) ** Value(x)  # a Value exponent from an argument number

    eager = (Value(3.0) * Value(2.0)) ** Value(2.0)
    assert f(2.0) == eager.data
    assert "reads the .data of 1 captured Value(s)" in f.source
    w.grad = 0.0
    w.data = 1.5
    assert f(3.0) == 27.0
    x = Value(3.0)
    ref = (Value(1.5, label="w") * Value(2.0)) ** x
    ref_w = ref._a._a  # the leaf standing for w in the eager graph
    ref.backward()
    assert w.grad == ref_w.grad


def test_the_output_may_be_a_captured_value_itself():
    w = Value(3.0)
    f = ml.compile(lambda x: w)
    assert f(1.0) == 3.0 and w.grad == 1.0


def test_a_bad_grad_fails_before_any_captured_grad_changes():
    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    f = ml.compile(lambda x: a * x + b * x + c * x)
    f(1.0)
    b.grad = None
    with pytest.raises(TypeError, match=r"Value 'b' has \.grad = NoneType None"):
        f(1.0)
    assert (a.grad, b.grad, c.grad) == (1.0, None, 1.0)  # nothing half-applied


def test_a_bad_captured_data_is_named_at_replay():
    w = Value(0.5, label="w")
    f = ml.compile(lambda x: w * x)
    f(2.0)
    w.data = "3"
    with pytest.raises(TypeError, match=r"Value 'w' has \.data = str '3'"):
        f(2.0)
    assert w.grad == 2.0


@pytest.mark.parametrize("freeze", [float, int, math.exp])
def test_float_int_or_math_on_an_argument_is_refused_instead_of_frozen(freeze):
    w = Value(0.5, label="w")
    f = ml.compile(lambda x: w * freeze(x))
    with pytest.raises(TypeError, match="would freeze it into the recording"):
        f(1.0)
    g = ml.compile(lambda x: w * ml.functions.exp(x))  # the way that stays an input
    assert g(0.0) == 0.5 and g(1.0) == 0.5 * math.exp(1.0)


# -- issue 16 items 1 and 2: a compiled call equals eager or raises a documented error ---------

BRANCH_MESSAGE = "an argument of a compiled function"
STALE_MESSAGE = "from another recording"


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x * 10.0 if x == 0 else x * 0.0,
        lambda x: x * 1.0 if x else x * 0.0,
        lambda x: x * 20.0 if x in (1, 2) else x * 2.0,
        lambda x: x * 0.0 if x != x else x * math.nan,
    ],
)
def test_equality_membership_and_truth_of_an_argument_are_refused(fn):
    with pytest.raises(TypeError, match=BRANCH_MESSAGE):
        ml.compile(fn)(0.0)


def test_a_cached_stand_in_from_another_recording_is_refused_not_misread():
    w = Value(0.7)
    cache = {}

    @ml.compile
    def encode(x):
        cache["h"] = (w * x).tanh()
        return cache["h"]

    @ml.compile
    def loss(x):
        return cache["h"] * x + x * x

    encode(1.5)
    with pytest.raises(ValueError, match=STALE_MESSAGE):
        loss(2.0)


def test_a_closure_keeping_last_calls_value_is_refused_when_recording_again():
    kept = []

    @ml.compile
    def total(xs):
        s = kept[-1] if kept else Value(0.0)
        for x in xs:
            s = s + x
        kept.append(s)
        return s * s

    total([1.0, 2.0])
    with pytest.raises(ValueError, match=STALE_MESSAGE):
        total([1.0, 2.0, 3.0])


PROGRAM_STEPS = st.lists(st.sampled_from(["add_w", "mul_x", "tanh", "cached", "eq", "bool", "in", "lt"]), max_size=6)


def _run_program(steps, x, w, cached):
    y = x * w
    for step in steps:
        if step == "add_w":
            y = y + w
        elif step == "mul_x":
            y = y * x
        elif step == "tanh":
            y = y.tanh()
        elif step == "cached" and cached:
            y = y + cached[0]
        elif step == "eq":
            y = y * 2.0 if x == 1.0 else y
        elif step == "bool":
            y = y + 1.0 if x else y
        elif step == "in":
            y = y * 3.0 if x in (1.0, 2.0) else y
        elif step == "lt":
            y = y - 1.0 if x < 1.0 else y
    return y


@given(PROGRAM_STEPS, st.sampled_from([0.0, 1.0, 2.0, -0.5]))
def test_random_programs_compile_to_eager_numbers_or_a_documented_error(steps, x):
    w = Value(0.3)
    cached: list = []

    @ml.compile
    def producer(x):
        cached[:] = [(w * x).tanh()]
        return cached[0]

    producer(0.5)
    eager_cached = [(w * Value(0.5)).tanh()]
    eager = _run_program(steps, x, w, eager_cached).data
    try:
        got = ml.compile(lambda x: _run_program(steps, x, w, cached))(x)
    except TypeError as e:
        assert BRANCH_MESSAGE in str(e)
        return
    except ValueError as e:
        assert STALE_MESSAGE in str(e)
        return
    assert got == pytest.approx(eager, rel=1e-12, abs=1e-12) or (math.isnan(got) and math.isnan(eager))


def test_recording_in_several_threads_at_once_is_per_thread_and_leaves_no_hook():
    import threading

    w = Value(0.5)
    results: dict[int, float] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(i):
        try:
            start.wait()
            cfn = ml.compile(lambda x: (Value(x) * w).tanh() + x * x)
            results[i] = cfn(float(i))
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert results == {i: (Value(float(i)) * w).tanh().data + i * i for i in range(8)}
    assert _core._trace_hook is None and _core._hooks == {}  # nothing left installed
    with pytest.raises(TypeError, match="use Value\\(1.0\\)"):
        Value(Value(1.0))


def test_a_plain_value_in_value_while_recording_gets_the_eager_message():
    with pytest.raises(TypeError, match="use Value\\(1.0\\)"):
        ml.compile(lambda x: Value(Value(1.0)) * x)(2.0)


def test_nested_compile_says_compiled_functions_do_not_nest():
    inner = ml.compile(lambda x: x * x)
    with pytest.raises(TypeError, match="compiled functions do not nest"):
        ml.compile(lambda x: Value(inner(x)) + x)(2.0)


def test_a_huge_int_argument_is_named_by_its_path_and_bools_are_numbers():
    w = Value(1.5)
    f = ml.compile(lambda xs: w * xs[1])
    with pytest.raises(OverflowError, match=r"argument arg0\[1\] is .*beyond the largest float"):
        f([1.0, 10**400])
    assert f([0.0, True]) == 1.5 and f([0.0, False]) == 0.0


def test_check_mismatch_names_state_and_side_effects_as_causes():
    w = Value(1.0)
    calls = []

    def stateful(x):
        calls.append(x)
        return w * x * len(calls)

    with pytest.raises(ReplayMismatch, match="keeps state or has side effects"):
        ml.compile(stateful, check=True)(2.0)
    assert len(calls) == 2  # recorded once, run eagerly once: documented


def test_source_shows_an_ops_parameters():
    w = Value(0.5)
    f = ml.compile(lambda x: ml.functions.leaky_relu(w * x, 0.25) + (w * x).leaky_relu(0.125))
    f(1.0)
    forward, backward = f.source.split("# backward")
    for p in ("0.25", "0.125"):
        assert re.search(rf"= leaky_relu\(t\d+, {p}\)", forward), forward
        assert re.search(rf"= vjp\[leaky_relu\]\(.*, {p}\)", backward), backward


def test_template_cache_keeps_no_micrograd_style_closure_alive():
    import gc
    import weakref

    from micrograd_like import _templates

    class Payload:
        pass

    def make_op(x):
        out = Value(x.data * 3.0, (x,), "triple")
        payload = Payload()

        def _backward():
            x.grad += 3.0 * out.grad * (payload is not None)

        out._backward = _backward
        return out, weakref.ref(payload)

    refs = []

    def fn(x):
        out, ref = make_op(x * 1.0)
        refs.append(ref)
        return out

    f = ml.compile(fn)
    with pytest.raises(NotImplementedError, match="defined by a _backward closure"):
        f(2.0)
    del f
    gc.collect()
    assert refs and all(r() is None for r in refs)
    assert not any(not op.shared for op in _templates._CACHE.keys())


def test_self_referencing_and_very_deep_list_arguments_are_refused():
    f = ml.compile(lambda xs: Value(1.0) * xs[0])
    loop: list = [1.0]
    loop.append(loop)
    with pytest.raises(ValueError, match=r"arg0\[1\] contains itself"):
        f(loop)
    deep: list = [1.0]
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(ValueError, match="nested more than 100 lists deep"):
        f(deep)
    shared = [1.0, 2.0]
    assert ml.compile(lambda a: a[0][1] * a[1][0])([shared, shared]) == 2.0  # shared, not a cycle


def test_a_huge_int_assigned_to_a_captured_values_data_or_grad_is_named():
    # issue 16 item 11 (eager's words): "int too large to convert to float" said nothing of which Value
    w = ml.Value(2.0, label="w")
    f = ml.compile(lambda x: (w * x).tanh())
    f(1.0)
    w.data = 10**400
    with pytest.raises(ValueError, match=r"^Value 'w' has \.data = an int of about 401 digits"):
        f(1.0)
    w.data, w.grad = 2.0, 10**400
    with pytest.raises(ValueError, match=r"^Value 'w' has \.grad = an int of about 401 digits.*zero_grad"):
        f(1.0)
    assert w.grad == 10**400  # nothing was added
