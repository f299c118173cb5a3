"""``compile``: record a scalar program once, then replay it without building Values.

The first call with a given argument structure runs the function on *traced*
numbers (leaf Values that stand for the arguments, as JAX's tracers do), walks
the graph it returns and turns it into one straight-line Python function: the
forward ops, then the backward sweep in exactly the engine's order, so losses
and gradients are bit-identical to ``backward()``. Later calls with the same
structure run that function on the new numbers.

Which leaves are which:

* a leaf that stands for an argument number (also ``Value(x)`` of one) is an
  *input*, read from the arguments at every call;
* a leaf created outside the function and still referenced when the recording
  ends (a model's parameters) is *captured*: every call reads its current
  ``.data`` and adds into its ``.grad``;
* any other leaf (``1`` in ``1 - x``, ``Value(0.5)`` made inside) is a constant.

Python control flow that reads ``.data`` is frozen into the recording: with
``if v.data > 0: y = v else: y = -v`` inside, every replay takes the branch the
recording took. ``check=True`` runs the function eagerly at every call too and
raises :class:`ReplayMismatch` when the two disagree.

Recording swaps in a module-level hook of the engine for the duration of the
call, so record from one thread at a time; replays are plain function calls.
"""

from __future__ import annotations

import inspect
import itertools
import numbers
import weakref
from collections import OrderedDict, namedtuple
from collections.abc import Callable
from typing import Any

from . import _codegen, _static, engine
from ._checks import check_bool, check_int
from ._codegen import Plan as _Plan
from .engine import Value, grad, iter_graph, node_parts

__all__ = ["compile", "Compiled", "CacheInfo", "ReplayMismatch"]

CacheInfo = namedtuple("CacheInfo", "hits misses recordings maxsize")


class ReplayMismatch(ValueError):
    """A replay disagreed with the eager run (``check=True``): frozen control flow."""


class _Traced(Value):
    """A leaf standing for one argument number while a function is recorded.

    Arithmetic makes ordinary graph nodes; ordering comparisons (as on any Value) read the recorded number (and
    are frozen into the recording, like any ``.data`` read). ``float()``, ``int()``
    and ``math`` functions are refused: they would silently turn the argument into a
    constant of the recording, so later calls would reuse the first call's number.
    """

    __slots__ = ("_index", "_owner")
    _index: int  # which argument number this leaf stands for
    _owner: object  # the token of the recording that made it

    def _frozen(self, *args: object) -> Any:
        raise TypeError(
            f"float(), int() or a math function applied to a compiled argument ({self.label or 'an argument'}, "
            f"{self.data!r} in this call) would freeze it into the recording, so later calls would reuse this "
            "number; use Value arithmetic or micrograd_like.functions (exp, log, sin, ...) on it, or read "
            "x.data explicitly if a constant is really meant"
        )

    __float__ = __int__ = __index__ = _frozen

    def _branch(self, *args: object) -> Any:
        raise TypeError(
            f"an argument of a compiled function ({self.label or 'an argument'}) is recorded, not a number: "
            "==, !=, `in` or `if x:` on it would compare the stand-in Value and freeze that branch into the "
            "recording; compare x.data explicitly (the branch is then fixed for later calls), or keep the "
            "branch outside the compiled function"
        )

    __eq__ = __ne__ = __bool__ = _branch
    __hash__ = Value.__hash__


class _ArgumentFloat(float):
    """The float stored by ``Value(t)`` for a traced number ``t``: the same number,
    plus which argument it came from (arithmetic on it gives plain floats)."""

    __slots__ = ("index", "owner")
    index: int
    owner: object

    def __new__(cls, x: float, index: int, owner: object) -> _ArgumentFloat:
        self = super().__new__(cls, x)
        self.index, self.owner = index, owner
        return self


# -- arguments ---------------------------------------------------------------------------


def _flatten(args: tuple) -> tuple[tuple, list[float], list[str]]:
    """(structure key, the numbers in order, a readable path for each number)."""
    key: list = []
    nums: list[float] = []
    paths: list[str] = []
    stack: list[tuple[Any, str, int]] = [(a, f"arg{i}", 0) for i, a in reversed(list(enumerate(args)))]
    within: list[int] = []  # ids of the lists/tuples enclosing the current item, outermost first
    while stack:
        x, path, depth = stack.pop()
        del within[depth:]
        if type(x) is float or (isinstance(x, numbers.Real) and not isinstance(x, Value)):
            key.append(0)  # a bool is a number here too, as everywhere else in the library
            nums.append(engine.as_float(x, f"the compiled function's argument {path}"))
            paths.append(path)
        elif isinstance(x, (list, tuple)):
            _check_nesting(x, path, within)
            within.append(id(x))
            key.append((type(x), len(x)))
            stack.extend((x[i], f"{path}[{i}]", depth + 1) for i in range(len(x) - 1, -1, -1))
        elif isinstance(x, _Traced):
            raise TypeError(
                f"compiled functions do not nest: {path} is an argument of the compiled function being recorded; "
                "call the inner function's plain version (its .fn) inside, or compile only the outer function"
            )
        else:
            raise TypeError(
                f"compiled function arguments must be numbers or (nested) lists/tuples of numbers, "
                f"got {type(x).__name__} {x!r} at {path}; pass Values in through a closure instead"
            )
    return tuple(key), nums, paths


_MAX_NESTING = 100


def _check_nesting(x: list | tuple, path: str, within: list[int]) -> None:
    if id(x) in within:
        raise ValueError(
            f"compiled function argument {path} contains itself (a list that refers to itself); "
            "pass a list of numbers that does not contain itself"
        )
    if len(within) >= _MAX_NESTING:
        raise ValueError(
            f"compiled function arguments are nested more than {_MAX_NESTING} lists deep (at {path[:60]}...); "
            "pass flatter lists of numbers"
        )


def _rebuild(args: tuple, traced: list[_Traced]) -> tuple:
    """``args`` with each number replaced by its traced stand-in, in order."""
    it = iter(traced)

    def build(x):  # arguments are shallow data, not a graph: depth is the nesting depth
        if isinstance(x, (list, tuple)):
            return type(x)(build(e) for e in x)
        return next(it)

    return tuple(build(a) for a in args)


# -- recording ---------------------------------------------------------------------------


def _trace(fn: Callable, args: tuple, nums: list[float], paths: list[str]) -> tuple[Value, Any, object]:
    """Run ``fn`` on traced numbers; returns its output (loss Value, aux) and the recording token."""
    token = object()
    traced = []
    for i, (x, path) in enumerate(zip(nums, paths)):
        t = _Traced(x, label=path)
        t._index, t._owner = i, token
        traced.append(t)

    def hook(x: object) -> float | None:
        # Value(t) of a traced number t: the new leaf's float remembers t's argument.
        if type(x) is not _Traced:
            return None  # an ordinary Value: the engine's own error
        if x._owner is not token:
            raise TypeError(
                f"Value(data) got {x!r}, an argument stand-in from another recording (kept in a cache or "
                "closure); its number is stale; recompute it from this call's arguments"
            )
        return _ArgumentFloat(x.data, x._index, token)

    with engine.tracing(hook):  # this thread only: other threads may record at the same time
        out = fn(*_rebuild(args, traced))
    return _split_output(out) + (token,)


def _split_output(out: object) -> tuple[Value, Any]:
    """``(loss, aux)`` from what fn returned: a Value, or a pair (Value, nested list of Values)."""
    aux = None
    if isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], Value):
        out, aux = out
    if not isinstance(out, Value):
        raise TypeError(
            f"a compiled function must return a Value (the loss) or a pair (loss, list of Values), got "
            f"{type(out).__name__} {out!r}; return the Value itself, not its .data"
        )
    return out, aux


def _shape(aux: Any, values: list) -> Any:
    """``aux`` with each Value replaced by its position in ``values`` (appended there)."""
    if isinstance(aux, Value):
        values.append(aux)
        return len(values) - 1
    if isinstance(aux, (list, tuple)):
        return [_shape(x, values) for x in aux]
    raise TypeError(f"the extra outputs of a compiled function must be Values or lists of them, got {aux!r}")


def fill_shape(shape: Any, numbers: tuple) -> Any:
    return numbers[shape] if isinstance(shape, int) else [fill_shape(x, numbers) for x in shape]


def _build_plan(out: Value, aux: Any, token: object, paths: list[str]) -> _Plan:
    plan = _Plan()
    slot_of: dict[int, int] = {}
    for slot, node in enumerate(iter_graph(out)):
        slot_of[id(node)] = slot
        op, inputs = node_parts(node)
        plan.ops.append(op)
        if op is not None:  # an op node's label is never shown: the listing names it t<slot>
            plan.labels.append("")
            plan.a.append(slot_of[id(inputs[0])])
            plan.b.append(slot_of[id(inputs[1])] if len(inputs) == 2 else -1)
            continue
        plan.labels.append(node.label)
        plan.a.append(-1)
        plan.b.append(-1)
        if type(node) is _Traced or type(node.data) is _ArgumentFloat:
            _check_owner(node, token)
        if type(node) is _Traced:
            plan.inputs[slot] = node._index
        elif type(node.data) is _ArgumentFloat:
            plan.inputs[slot] = node.data.index
            plan.labels[slot] = node.label or paths[node.data.index]
        else:
            plan.pending[slot] = (node.data, weakref.ref(node))
    if aux is not None:
        values: list[Value] = []
        plan.aux_shape = _shape(aux, values)
        for v in values:
            if id(v) not in slot_of:
                raise ValueError(
                    f"an extra output {v!r} is not part of the loss's graph; return only Values the loss "
                    "was computed from (for example the scores)"
                )
            plan.aux.append(slot_of[id(v)])
    return plan


def _check_owner(node: Value, token: object) -> None:
    """Refuse an argument stand-in left over from another recording (a cache, a closure)."""
    owner = node._owner if type(node) is _Traced else node.data.owner  # type: ignore[attr-defined]
    if owner is not token:
        raise ValueError(
            f"the graph uses {node!r}, an argument stand-in from another recording (a Value kept from an "
            "earlier or another compiled call, e.g. in a cache or closure); its number is stale, so the replay "
            "would be wrong; recompute it inside this call from this call's arguments, or keep the cache out "
            "of compiled functions"
        )


def _resolve_leaves(plan: _Plan) -> None:
    """After the graph is dropped: a leaf still alive is captured, a dead one was a constant."""
    for slot, (data, ref) in plan.pending.items():
        value = ref()
        if value is None:
            plan.constants[slot] = data
        else:
            plan.captured.append((slot, value))
    plan.pending = {}


def _record(fn: Callable, args: tuple, nums: list[float], paths: list[str]) -> _Plan:
    out, aux, token = _trace(fn, args, nums, paths)
    plan = _build_plan(out, aux, token, paths)
    del out, aux  # the graph is gone now, unless the user kept part of it
    _resolve_leaves(plan)
    return plan


# -- the public wrapper ------------------------------------------------------------------

_serial = itertools.count(1)


class _Recording:
    """One argument structure's compiled replay, its captured Values and its plan.

    The plan is kept (compactly) so that ``.source`` and ``.code`` can be written when
    asked for; ``linecache`` asks for ``.code`` when a traceback shows a replayed line.
    """

    __slots__ = ("replay", "captured", "plan", "filename", "n_inputs", "cut", "_source", "__weakref__")

    def __init__(self, plan: _Plan, n_inputs: int, name: str) -> None:
        self.filename = f"<compiled {name}>#{next(_serial)}"  # not <...>: linecache asks us for its lines
        self.cut = (_codegen.WHOLE_LINES, _codegen.CHUNK_LINES)  # so that .code is cut the same way later
        body, result = _codegen.code_lines(plan, n_inputs)
        self.replay = _codegen.load(_codegen.pieces(body, result, self.cut), _codegen.namespace(plan), self.filename)
        self.captured = [value for _, value in plan.captured]
        self.plan = plan
        self.n_inputs = n_inputs
        self._source: str | None = None
        ref = weakref.ref(self)
        _codegen.register(self.filename, lambda: None if ref() is None else ref().code)  # type: ignore[union-attr]
        weakref.finalize(self, _codegen.unregister, self.filename)

    @property
    def code(self) -> str:
        """The code that runs, as one text (generated again: it is not kept)."""
        return "".join(_codegen.pieces(*_codegen.code_lines(self.plan, self.n_inputs), self.cut))

    @property
    def source(self) -> str:
        if self._source is None:
            self._source = _codegen.listing(self.plan)
        return self._source


def add_into_grads(captured: list[Value], grads: Any) -> None:
    """Add each gradient into its Value's ``.grad`` as ``backward()`` does: under the
    engine's walk lock, and all or nothing (a ``.grad`` that is not a number fails
    before any changes; Ctrl-C during the stores lets them finish first)."""
    with engine.WALK_LOCK:
        try:
            new = [value.grad + g for value, g in zip(captured, grads)]
        except (TypeError, OverflowError) as error:  # OverflowError: .grad = 10**400
            raise engine.bad_attribute(captured, ("grad",)) or error from None
        done = 0
        try:
            for value, total in zip(captured, new):
                value.grad = total
                done += 1
        except BaseException:
            for value, total in zip(captured[done:], new[done:]):  # storing twice is harmless
                value.grad = total
            raise


class Compiled:
    """A function recorded once per argument structure and replayed on new numbers.

    Made by :func:`compile`. Calling it returns the output's ``.data`` (a float) and
    adds the output's derivative into every captured Value's ``.grad``, exactly as
    ``fn(*args).backward()`` would.
    """

    def __init__(
        self,
        fn: Callable,
        check: bool = False,
        maxsize: int = 8,
        static_argnums: int | tuple[int, ...] = (),
        static_argnames: str | tuple[str, ...] = (),
    ) -> None:
        if not callable(fn):
            raise TypeError(f"compile needs a function, got {type(fn).__name__} {fn!r}")
        self.fn = fn
        self._static = _static.StaticSpec(fn, static_argnums, static_argnames)
        self.check = check_bool(check, "check")
        self.maxsize = check_int(maxsize, "maxsize", minimum=1)
        self._cache: OrderedDict[tuple, _Recording] = OrderedDict()
        self._hits = self._misses = 0
        self._last: _Recording | None = None
        self.__name__ = getattr(fn, "__name__", "compiled")
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__wrapped__ = fn

    def _lookup(self, args: tuple, kwargs: dict, numbers: Callable | None = None) -> tuple:
        """(recording, function of the traced arguments, those arguments, their numbers, extra).

        ``numbers(args, name) -> (args of numbers, extra)`` turns other arguments (arrays of
        samples) into numbers to record with; ``name(paths)`` names argument paths
        (``arg0[1]`` -> ``x[1]``) for its messages; ``extra`` is what it returns besides."""
        fn, args, statics, positions = self._static.split(self.fn, args, kwargs)
        extra = None
        if numbers is not None:
            args, extra = numbers(args, lambda paths: _named(self.fn, _static.renumber(paths, positions)))
        key, nums, paths = _flatten(args)
        key = (key, statics) if statics else key
        rec = self._cache.get(key)
        if rec is None:
            self._misses += 1
            paths = _named(self.fn, _static.renumber(paths, positions))
            rec = _Recording(_record(fn, args, nums, paths), len(nums), self.__name__)
            self._cache[key] = rec
            if len(self._cache) > self.maxsize:
                self._cache.popitem(last=False)
        else:
            self._hits += 1
            self._cache.move_to_end(key)
        self._last = rec
        return rec, fn, args, nums, extra

    def __call__(self, *args: Any, **kwargs: Any) -> float | tuple[float, Any]:
        rec, fn, args, nums, _ = self._lookup(args, kwargs)
        try:
            out, grads, aux = rec.replay(nums)
        except TypeError as error:  # a captured Value's .data was assigned a non-number
            raise engine.bad_attribute(rec.captured, ("data",)) or error from None
        except engine.BARE_MATH_ERRORS as error:  # the eager engine's message names the op
            bad = engine.bad_attribute(rec.captured, ("data",)) if isinstance(error, OverflowError) else None
            raise bad or _eager_error(rec.plan, nums, error) or error from None  # bad: .data = 10**400
        if self.check:
            _compare(fn, args, rec, (out, aux), grads)
        add_into_grads(rec.captured, grads)
        shape = rec.plan.aux_shape
        return out if shape is None else (out, fill_shape(shape, aux))

    @property
    def source(self) -> str:
        """A listing of the most recently used recording: one line per op, then one per
        gradient contribution, named by labels (the Wengert list of the code that runs)."""
        return self._latest(".source").source

    @property
    def code(self) -> str:
        """The code that runs for the most recently used recording (fused lines, plain
        names), as tracebacks from a replay show it."""
        return self._latest(".code").code

    def _latest(self, what: str) -> _Recording:
        if self._last is None:
            raise ValueError(f"{self.__name__} has not been called yet; call it once to record it, then read {what}")
        return self._last

    def vectorize(self) -> Any:
        """This function over NumPy arrays of samples (the ``numpy`` extra).

        Every number argument becomes a 1-D array with one number per sample (a 2-D
        ``(samples, k)`` array stands for a list of ``k`` numbers); captured Values stay
        shared. A call returns the per-sample outputs as an array and adds each captured
        Value's gradient, *summed* over the samples, into its ``.grad`` (divide the loss
        by the batch size for a mean). See :mod:`micrograd_like.batched`.
        """
        from .batched import NumpyBatch

        return NumpyBatch(self)

    def to_torch(self, dtype: Any = None, device: Any = None) -> Any:
        """This function over torch tensors of samples (the ``torch`` extra).

        Arguments as for :meth:`vectorize`, as tensors; the call returns the per-sample
        outputs as a tensor whose graph reaches one torch leaf tensor per captured Value
        (``.parameters()``), so ``loss.sum().backward()`` and ``torch.optim`` work.
        ``dtype`` defaults to float64. See :mod:`micrograd_like.batched`.
        """
        from .batched import TorchBatch

        return TorchBatch(self, dtype=dtype, device=device)

    def cache_info(self) -> CacheInfo:
        """``(hits, misses, recordings, maxsize)``: replays, recordings made, recordings kept."""
        return CacheInfo(self._hits, self._misses, len(self._cache), self.maxsize)

    def cache_clear(self) -> None:
        """Forget every recording (the next call records again)."""
        self._cache.clear()
        self._last = None

    def __repr__(self) -> str:
        return f"<compiled {self.__name__}: {len(self._cache)} recording(s)>"


def _named(fn: Callable, paths: list[str]) -> list[str]:
    """Replace ``argN`` in argument paths by the parameter's name, where it has one."""
    try:
        params = [
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        return paths
    out = []
    for path in paths:
        head, bracket, rest = path.partition("[")
        i = int(head[3:])
        out.append((params[i] if i < len(params) else head) + bracket + rest)
    return out


def _eager_error(plan: _Plan, nums: list[float], error: BaseException) -> BaseException | None:
    """The error the eager engine raises on the recorded graph with these numbers: the
    same ops rebuilt as Values (the captured ones copied) and differentiated with
    ``grad``, touching no ``.grad``. Its message names the op; None if it differs."""
    captured = dict(plan.captured)
    nodes: list[Value] = []
    try:
        for slot, op in enumerate(plan.ops):
            if op is not None:
                inputs = [nodes[plan.a[slot]]] + ([nodes[plan.b[slot]]] if plan.b[slot] >= 0 else [])
                nodes.append(engine.make_node(op.forward(*(x.data for x in inputs)), op, *inputs))
            elif slot in plan.inputs:
                nodes.append(Value(nums[plan.inputs[slot]]))
            else:
                nodes.append(Value(captured[slot].data if slot in captured else plan.constants[slot]))
        grad(nodes[-1], [])
    except engine.BARE_MATH_ERRORS as eager:
        return eager if type(eager) is type(error) else None
    except Exception:  # noqa: BLE001 - then the replay's own error is the one to raise
        return None
    return None


def _compare(fn: Callable, args: tuple, rec: _Recording, outputs: tuple, grads: tuple) -> None:
    """Run ``fn`` eagerly on plain numbers; raise ReplayMismatch at the first difference."""
    eager, aux = _split_output(fn(*args))
    values: list[Value] = []
    if aux is not None:
        _shape(aux, values)
    hint = (
        "; either Python control flow that reads .data (an if, max, sorted on .data) is frozen into "
        "the recording, or fn keeps state or has side effects (check=True runs it a second time, eagerly, "
        "on the first call too): make it branch-free (relu, max via Value ops) and free of state and "
        "side effects, or do not compile this function"
    )
    pairs = [("the output", outputs[0], eager.data)]
    pairs += [(f"extra output {i}", mine, v.data) for i, (mine, v) in enumerate(zip(outputs[1], values))]
    for what, mine, theirs in pairs:
        if mine != theirs and not (mine != mine and theirs != theirs):
            raise ReplayMismatch(f"compiled {fn.__name__}: {what} is {mine!r} replayed but {theirs!r} eagerly{hint}")
    eager_grads = grad(eager, rec.captured) if rec.captured else []
    for value, mine, theirs in zip(rec.captured, grads, eager_grads):
        if mine != theirs and not (mine != mine and theirs != theirs):
            name = value.label or repr(value)
            raise ReplayMismatch(
                f"compiled {fn.__name__}: the gradient of {name} is {mine!r} replayed but {theirs!r} eagerly{hint}"
            )


def compile(  # noqa: A001
    fn: Callable | None = None,
    *,
    check: bool = False,
    maxsize: int = 8,
    static_argnums: int | tuple[int, ...] = (),
    static_argnames: str | tuple[str, ...] = (),
):
    """Record ``fn`` once per argument structure and replay it without building Values.

    Use as ``ml.compile(fn)``, ``@ml.compile`` or ``@ml.compile(check=True)``.

    Args:
        fn: A function of numbers and (nested) lists/tuples of numbers that returns a
            Value, or a pair ``(loss, extra)`` where ``extra`` is a (nested) list of Values
            the loss was computed from (the scores, say). Values it reaches that were made outside it (a model's parameters)
            are captured: read at every call, their ``.grad`` accumulated into.
        check: Also run ``fn`` eagerly at every call and raise :class:`ReplayMismatch`
            naming the first number that differs (a frozen ``if`` on ``.data``, or state or
            side effects in ``fn``). ``fn`` then runs twice on the first call (record, then
            eager): its side effects happen twice.
        maxsize: How many recordings to keep (least recently used dropped first): the
            memory bound, since each distinct argument structure and each distinct set of
            static values holds one recording until it is dropped.
        static_argnums, static_argnames: Arguments (by position, by name) whose values
            choose the graph (a word whose letters pick embeddings): they are passed to
            ``fn`` as they are and become part of the recording's key, so each distinct
            value is recorded once and replayed afterwards. They must be hashable and not
            floats (a float is a number to trace; pass it as an ordinary argument).

    Recording is per thread (several threads may record at once; nothing stays installed
    afterwards). ``==``, ``!=``, ``in`` and ``bool()`` on an argument raise ``TypeError``;
    a stand-in kept from another recording raises ``ValueError``; compiled functions do
    not nest.

    Returns:
        A :class:`Compiled` callable returning the output's ``.data`` as a float (with
        ``extra``: the pair ``(loss, extra)`` with floats in place of the Values).
    """
    options: dict[str, Any] = dict(
        check=check, maxsize=maxsize, static_argnums=static_argnums, static_argnames=static_argnames
    )
    if fn is None:
        return lambda f: Compiled(f, **options)
    return Compiled(fn, **options)
