"""``compile``'s code generation, as passes with plain data between them.

plan (:class:`Plan`, the recorded graph by slot) -> backward plan (:func:`backward_plan`:
which gradients the sweep computes, in the engine's order) -> fusion (:func:`fuse`:
which values and gradient sums are written into longer lines) -> emitted lines
(:func:`emit`, under a naming: identifiers for the code, labels for the listing) ->
pieces (:func:`pieces`: the source of the replay function, cut into chunk functions
when it is long) -> :func:`load` (compiled and registered with ``linecache``).

Fusion changes only how the program is written, never its floats: a fused line
computes the same operations in the same order as one line per op.
"""

from __future__ import annotations

import builtins
import linecache
import re
from array import array
from collections.abc import Callable, Iterator, MutableSequence
from typing import Any

from ._templates import ADD, ATOM, OpTemplate, template_for

__all__ = ["Plan", "Backward", "Fusion", "backward_plan", "fuse", "no_fusion", "emit", "pieces", "load", "listing"]


class Plan:
    """The recorded graph as flat lists indexed by slot (its position in topological order)."""

    def __init__(self) -> None:
        self.ops: list = []  # per slot: the _Op, or None for a leaf
        # input slots (-1 for none), as compact arrays
        self.a: MutableSequence[int] = array("l")
        self.b: MutableSequence[int] = array("l")
        self.labels: list[str] = []
        self.inputs: dict[int, int] = {}  # slot -> argument index
        self.pending: dict[int, tuple[float, Any]] = {}  # slot -> (data, weakref) of other leaves
        self.captured: list[tuple[int, Any]] = []  # (slot, Value) once resolved
        self.constants: dict[int, float] = {}
        self.aux: list[int] = []  # slots of the extra outputs, if fn returned (loss, aux)
        self.aux_shape: Any = None


# -- backward plan -------------------------------------------------------------------------


class Backward:
    """Which gradients the sweep computes, in the engine's order.

    ``need[slot]``: the slot's gradient is computed (every op node and every captured
    leaf; gradients flowing into inputs and constants are dropped, unless computing
    them could raise, as eager would). ``sweep``: the op slots whose vjp is evaluated,
    root first; each adds into its input ``b``, then ``a``, as the engine does.
    ``templates[slot]``: the op's code templates (None for a leaf).
    """

    __slots__ = ("need", "sweep", "templates")

    def __init__(self, need: list[bool], sweep: list[int], templates: list[OpTemplate | None]) -> None:
        self.need, self.sweep, self.templates = need, sweep, templates


def backward_plan(plan: Plan) -> Backward:
    templates = [None if op is None else template_for(op, 1 if b < 0 else 2) for op, b in zip(plan.ops, plan.b)]
    need = [op is not None for op in plan.ops]
    for slot, _ in plan.captured:
        need[slot] = True
    root = len(plan.ops) - 1
    sweep = [slot for slot in range(root, -1, -1) if plan.ops[slot] is not None] if need[root] else []
    return Backward(need, sweep, templates)


def _targets(plan: Plan, slot: int) -> list[tuple[int, int]]:
    """(input slot, which input) that ``slot``'s vjp adds into, in the engine's order."""
    a, b = plan.a[slot], plan.b[slot]
    return [(b, 1), (a, 0)] if b >= 0 else [(a, 0)]


# -- fusion --------------------------------------------------------------------------------


class Fusion:
    """How the program is written into lines (never which floats it computes).

    ``inline[slot]``: the op's value is written into its one consumer, not a line of
    its own. ``flush[i]``: after the i-th gradient contribution of the sweep (in order,
    ``b`` before ``a``), the sum is written out to the gradient's name. ``alias``: a
    gradient that is a bare name or number stands for itself (no line ``g5 = g3``).
    """

    __slots__ = ("inline", "flush", "alias")

    def __init__(self, inline: bytearray, flush: bytearray, alias: bool) -> None:
        self.inline, self.flush, self.alias = inline, flush, alias


_MAX_DEPTH = 40  # Python's parser limits how deeply one line's expression may nest
_MAX_TERMS = 64  # a gradient sum is written out after this many pending terms


def fuse(plan: Plan, bw: Backward) -> Fusion:
    """Single-use values go into their consumer; gradient sums stay pending until read,
    until a term could raise (written where eager would raise), or until they grow long."""
    flush = bytearray()
    terms: dict[int, int] = {}
    need, a, b = bw.need, plan.a, plan.b
    for slot in bw.sweep:
        t = bw.templates[slot]
        plain, risky = (t.plain, t.risky) if t.vjp is not None else ((True, True), (False, False))  # type: ignore[union-attr]
        for target, i in ((b[slot], 1), (a[slot], 0)):
            if target < 0:
                continue
            n = terms.get(target, 0) + 1
            write = need[target] and not (n == 1 and plain[i]) and (risky[i] or n >= _MAX_TERMS)
            flush.append(write)
            terms[target] = 1 if write else n
    return Fusion(_inlinable(plan, bw), flush, alias=True)


def no_fusion(plan: Plan, bw: Backward) -> Fusion:
    """One line per op and per gradient contribution: the Wengert list."""
    flush = bytearray(b"\x01") * sum(len(_targets(plan, slot)) for slot in bw.sweep)
    return Fusion(bytearray(len(plan.ops)), flush, alias=False)


def _inlinable(plan: Plan, bw: Backward) -> bytearray:
    """Op values used once, by the forward only, whose expression cannot raise."""
    uses = [0] * len(plan.ops)
    reads = bytearray(len(plan.ops))  # a vjp reads the value: it needs a name
    A, B = plan.a, plan.b
    flags: dict[int, tuple[bool, bool, bool]] = {}  # per template: does its vjp read o, a, b
    for slot, t in enumerate(bw.templates):
        if t is None:
            continue
        f = flags.get(id(t))
        if f is None:
            f = flags[id(t)] = ("o" in t.reads, "a" in t.reads, "b" in t.reads)
        a, b = A[slot], B[slot]
        uses[a] += 1
        reads[slot] |= f[0]
        reads[a] |= f[1]
        if b >= 0:
            uses[b] += 1
            reads[b] |= f[2]
    for slot in plan.aux:
        reads[slot] = 1
    inline, depth = bytearray(len(plan.ops)), [0] * len(plan.ops)
    for slot, t in enumerate(bw.templates[:-1]):
        if t is None:
            continue
        a, b = plan.a[slot], plan.b[slot]
        depth[slot] = 1 + max(depth[a], depth[b] if b >= 0 else 0)
        if uses[slot] == 1 and not reads[slot] and not t.forward_risky and depth[slot] < _MAX_DEPTH:
            inline[slot] = 1
        else:
            depth[slot] = 0
    return inline


# -- emission ------------------------------------------------------------------------------


class Names:
    """How values, gradients and op calls are written: identifiers for the code (``code``),
    or labels for the listing (``.source``). Values are ``(text, strength)`` pairs (see
    ``_templates.fill_tree``), so that a fused expression can stand wherever a name can."""

    def __init__(self, plan: Plan, code: bool) -> None:
        self.code = code
        self.value: list[tuple[str, int]] = []
        self.ops: dict[int, int] = {}  # id(op) -> its number in the code's F{i}, vjp{i}
        for slot, op in enumerate(plan.ops):
            if op is not None and id(op) not in self.ops:
                self.ops[id(op)] = len(self.ops)
            label = plan.labels[slot]
            if slot in plan.constants:
                c = plan.constants[slot]
                text = repr(c) if c == c and abs(c) != float("inf") else f"K{slot}"
                text = text if not text.startswith("-") else f"({text})"
            elif slot in plan.inputs:
                text = f"x{plan.inputs[slot]}" if code else label
            elif not code and label and op is None:
                text = label
            else:
                text = f"{'v' if code else 't'}{slot}"
            self.value.append((text, ATOM))

    def grad(self, slot: int) -> str:
        return f"g{slot}" if self.code else f"d({self.value[slot][0]})"

    def call(self, kind: str, op) -> str:
        return f"{kind}{self.ops[id(op)]}" if self.code else f"{kind}[{op.name}]"

    def params(self, op) -> str:
        """An op's parameters, for the listing (the code's F{i} has them bound)."""
        return "" if self.code else "".join(f", {p!r}" for p in op.params)


class _Sums:
    """Gradient sums in the engine's order: pending expressions, written out as fusion says.

    The engine adds contributions one at a time, ``acc = acc + c``; the left-nested
    sum ``c1 + c2 + c3`` written into one line computes exactly the same floats.
    """

    def __init__(self, names: Names, need: list[bool], alias: bool, lines: list[str]) -> None:
        self.names, self.need, self.alias, self.lines = names, need, alias, lines
        self.expr: dict[int, tuple[str, int]] = {}

    def add(self, target: int, expr: tuple[str, int], risky: bool, flush: int) -> None:
        if not self.need[target]:
            if risky:  # evaluate anyway: eager would raise here
                self.lines.append(f"_ = {expr[0]}")
            return
        previous = self.expr.get(target)
        if previous is not None:
            right = expr[0] if expr[1] > ADD else f"({expr[0]})"
            expr = (f"{previous[0]} + {right}", ADD)
        self.expr[target] = expr
        if flush:
            self.read(target)

    def read(self, target: int) -> tuple[str, int]:
        """The sum as something a line can use: written out to its name if it is not a
        bare name or number already (always, without ``alias``)."""
        text, prec = self.expr[target]
        name = self.names.grad(target)
        if prec != ATOM or (not self.alias and text != name):
            self.lines.append(f"{name} = {text}")
            self.expr[target] = (name, ATOM)
        return self.expr[target]


def emit(plan: Plan, bw: Backward, fusion: Fusion, names: Names) -> tuple[list[str], list[str], list[list[str]]]:
    """(forward lines, backward lines, what is returned: [[output], gradients, extra outputs])."""
    forward = _forward(plan, bw, fusion, names)
    backward: list[str] = []
    sums = _Sums(names, bw.need, fusion.alias, backward)
    _sweep(plan, bw, fusion, names, sums)
    grads = [sums.read(slot)[0] for slot, _ in plan.captured]
    root = len(plan.ops) - 1
    return forward, backward, [[names.value[root][0]], grads, [names.value[slot][0] for slot in plan.aux]]


def _forward(plan: Plan, bw: Backward, fusion: Fusion, names: Names) -> list[str]:
    """One line per op (and, in code, per captured Value read where it is first used)."""
    lines = []
    v = names.value
    captured = {slot: k for k, (slot, _) in enumerate(plan.captured)} if names.code else {}
    for slot, op in enumerate(plan.ops):
        if op is None:
            if slot in captured:
                lines.append(f"{v[slot][0]} = c{captured[slot]}.data")
            continue
        a, b = plan.a[slot], plan.b[slot]
        t = bw.templates[slot]
        if t.forward is not None:  # type: ignore[union-attr]
            expr = t.forward.fill({"a": v[a], "b": v[b] if b >= 0 else None})  # type: ignore[union-attr]
        elif not names.code and not op.name.isidentifier():  # "**2", "/": written as operators
            expr = (f"({v[a][0]}){op.name}" if b < 0 else f"{v[a][0]} {op.name} {v[b][0]}", ADD)
        else:
            inner = v[a][0] if b < 0 else f"{v[a][0]}, {v[b][0]}"
            expr = (f"{names.call('F', op) if names.code else op.name}({inner}{names.params(op)})", ATOM)
        if fusion.inline[slot]:
            v[slot] = expr
        else:
            lines.append(f"{v[slot][0]} = {expr[0]}")
    return lines


def _sweep(plan: Plan, bw: Backward, fusion: Fusion, names: Names, sums: _Sums) -> None:
    """The engine's sweep, unrolled: the same contributions, in the same order (``b``, then ``a``)."""
    v, A, B = names.value, plan.a, plan.b
    flush = iter(fusion.flush)
    root = len(plan.ops) - 1
    if bw.need[root]:
        sums.expr[root] = ("1.0", ATOM)
    for slot in bw.sweep:
        t, a, b = bw.templates[slot], A[slot], B[slot]
        g = sums.read(slot)
        if t.vjp is not None:  # type: ignore[union-attr]
            env = {"g": g, "o": v[slot], "a": v[a], "b": v[b] if b >= 0 else None}
            forms, risky = t.vjp, t.risky  # type: ignore[union-attr]
            if b >= 0:
                sums.add(b, forms[1].fill(env), risky[1], next(flush))
            sums.add(a, forms[0].fill(env), risky[0], next(flush))
            continue
        # an op without templates: its vjp is called, which raises what eager would
        op = plan.ops[slot]
        operands = [g, v[slot], v[a]] + ([v[b]] if b >= 0 else [])
        temps = [f"ga{slot}", f"gb{slot}"][: len(operands) - 2]
        inner = ", ".join(x[0] for x in operands) + names.params(op)
        sums.lines.append(f"{', '.join(temps)}, = {names.call('vjp', op)}({inner})")
        if b >= 0:
            sums.add(b, (temps[1], ATOM), False, next(flush))
        sums.add(a, (temps[0], ATOM), False, next(flush))


# -- the code: pieces, loaded --------------------------------------------------------------


def code_lines(plan: Plan, n_inputs: int) -> tuple[list[str], list[list[str]]]:
    """The body of the replay function (fused, under code names) and what it returns."""
    bw = backward_plan(plan)
    forward, backward, result = emit(plan, bw, fuse(plan, bw), Names(plan, code=True))
    del bw
    body = ["".join(f"x{i}, " for i in range(n_inputs)) + "= xs"] if n_inputs else []
    body += forward
    del forward
    body += backward
    return body, result


def listing(plan: Plan) -> str:
    """The Wengert list: one line per op and per gradient contribution, under labels."""
    bw = backward_plan(plan)
    forward, backward, ((out,), grads, aux) = emit(plan, bw, no_fusion(plan, bw), Names(plan, code=False))
    shown = _tuple(grads) if len(grads) <= 4 else ", ".join(grads[:3]) + f", ... ({len(grads)} gradients)"
    reads = (
        f"# a listing of the recorded program, one line per op, named by labels (the code that runs, fused: "
        f".code); reads the .data of {len(plan.captured)} captured Value(s) and the argument numbers"
    )
    return "\n".join(
        ["# forward", reads, *forward, "# backward", *backward, f"# returns {out}, ({shown}), ({_tuple(aux)})"]
    )


# Python's parser and compiler hold about 3 kB per line of a function at once, so one
# huge function peaks at gigabytes. Programs longer than WHOLE_LINES are compiled in
# chunks of CHUNK_LINES; up to it they stay one function, which replays faster (a value
# that crosses a cut is handed on through a tuple).
WHOLE_LINES = 20_000
CHUNK_LINES = 2_000
_RESULTS_PER_LINE = 200
_LOCAL = re.compile(r"\b(?:v|g|ga|gb|x)\d+\b")  # the names generated code keeps in locals


# CPython 3.11 specializes a function's bytecode (quickening) only after its 8th call, and a
# replay runs about 1.5x slower before that: a word replayed a few times would never get
# there. So each generated function starts by returning at once when its xs is None, and
# load calls it that often first; later Pythons specialize earlier, where this costs nothing.
_WARM_CALLS = 8
_WARM = "if xs is None: return None  # warming up (see load)"


def pieces(body: list[str], result: list[list[str]], cut: tuple[int, int] | None = None) -> Iterator[str]:
    """The replay function's source, in pieces that compile on their own.

    ``body`` is consumed; ``result`` is [[output], gradients, extra outputs]. A short
    body is one function. A long one is cut into chunk functions that run in turn and
    pass values on through one list ``R``: a chunk ends by storing, for each later
    chunk that reads names it made last, those names as one tuple, and a chunk starts
    by unpacking the tuples stored for it. The results go into ``R``'s first places, a
    group of them per line of the body, so that no line names all the gradients.
    ``cut``: (WHOLE_LINES, CHUNK_LINES), the module's by default.
    """
    whole, size = cut or (WHOLE_LINES, CHUNK_LINES)
    if len(body) <= whole:
        (out,), grads, aux = result
        yield (
            "def replay(xs):\n    "
            + "\n    ".join([_WARM, *body, f"return {out}, ({_tuple(grads)}), ({_tuple(aux)})"])
            + "\n"
        )
        return
    places = [item for part in result for item in part]
    for i in range(0, len(places), _RESULTS_PER_LINE):
        group = places[i : i + _RESULTS_PER_LINE]
        body.append(f"R[{i}:{i + len(group)}] = ({_tuple(group)})")
    starts = range(0, len(body), size)
    handed = _crossing(body, starts, size)  # (maker, reader) -> names
    place = {pair: len(places) + i for i, pair in enumerate(sorted(handed))}
    for k, start in enumerate(starts):
        chunk = body[start : start + size]
        body[start : start + len(chunk)] = [""] * len(chunk)  # freed as it is emitted
        lines = [f"{_tuple(handed[j, m])} = R[{place[j, m]}]" for j, m in sorted(handed) if m == k] + chunk
        lines += [f"R[{place[j, m]}] = ({_tuple(handed[j, m])})" for j, m in sorted(handed) if j == k]
        yield f"def _chunk{k}(xs, R):\n    " + "\n    ".join([_WARM, *lines]) + "\n"
    n = len(result[1])
    lines = [_WARM, f"R = [None] * {len(places) + len(place)}"] + [f"_chunk{k}(xs, R)" for k in range(len(starts))]
    lines.append(f"return R[0], tuple(R[1:{1 + n}]), tuple(R[{1 + n}:{len(places)}])")
    yield "def replay(xs):\n    " + "\n    ".join(lines) + "\n"


def _tuple(items: list[str]) -> str:
    """The inside of a tuple display of ``items``: ``a, b,`` (empty for none)."""
    return "".join(f"{x}, " for x in items).rstrip(" ")


def _crossing(body: list[str], starts: range, size: int) -> dict[tuple[int, int], list[str]]:
    """For each pair (maker chunk, later reader chunk): the names (sorted) that the
    reader reads before making them and that the maker made last before it."""
    made: list[set[str]] = []
    reads: list[set[str]] = []
    later: set[str] = set()  # names some later chunk reads before making them
    for start in reversed(starts):  # backward: what is read later is known
        mine: set[str] = set()
        read: set[str] = set()
        for line in body[start : start + size]:
            left, _, right = line.partition(" = ")
            read.update(n for n in _LOCAL.findall(right) if n not in mine)
            mine.update(_LOCAL.findall(left))
        made.append(mine & later)  # only what is read later needs to be known
        reads.append(read)
        later |= read
    made.reverse()
    reads.reverse()
    maker: dict[str, int] = {}  # name -> the latest chunk so far that made it
    handed: dict[tuple[int, int], list[str]] = {}
    for k, read in enumerate(reads):  # forward: who made each name last
        for name in sorted(read):
            handed.setdefault((maker[name], k), []).append(name)
        maker.update(dict.fromkeys(made[k], k))
    return handed


def namespace(plan: Plan) -> dict[str, Any]:
    """The globals the code reads: each op's float functions, captured Values, odd constants."""
    space: dict[str, Any] = {}
    numbers: dict[int, int] = {}
    for op in plan.ops:
        if op is not None and id(op) not in numbers:
            i = numbers[id(op)] = len(numbers)
            space[f"F{i}"], space[f"vjp{i}"] = op.forward, op.vjp
    for k, (_, value) in enumerate(plan.captured):
        space[f"c{k}"] = value
    for slot, c in plan.constants.items():
        space[f"K{slot}"] = c
    return space


def load(code: Iterator[str], space: dict[str, Any], filename: str) -> Callable:
    """Compile each piece on its own (the parser's memory is per piece) into ``space``,
    with the line numbers it has in the whole text, and warm it; returns ``replay``."""
    line = 1
    for piece in code:
        exec(builtins.compile(piece, filename, "exec"), space)  # noqa: S102 - our own generated source
        function = space[piece[4 : piece.index("(")]]  # "def NAME(..."
        function.__code__ = function.__code__.replace(co_firstlineno=line)
        line += piece.count("\n")
        for _ in range(_WARM_CALLS):
            function(*[None] * function.__code__.co_argcount)  # returns at once (see _WARM)
    return space["replay"]


def register(filename: str, text: Callable[[], str | None]) -> None:
    """Let ``linecache`` (so tracebacks) find the generated lines: ``text()`` is called
    only when a line is first looked up (the text is not kept until then)."""
    linecache.cache[filename] = (text,)


def unregister(filename: str) -> None:
    linecache.cache.pop(filename, None)
