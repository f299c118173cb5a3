"""Per-op code templates, derived generically from each ``_Op``'s float functions.

An op's ``forward`` and ``vjp`` are called once with symbolic stand-ins that write
down the arithmetic they see (``+ - * / ** neg`` with numeric constants). If the
function does anything else (compares, branches, calls ``math``), the symbolic
run gives up and the compiled code calls the op's own function instead, so
every op works, new ones included, and errors are the engine's own.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

__all__ = ["OpTemplate", "Form", "template_for", "render", "ATOM", "ADD"]


class _GiveUp(Exception):
    """The function did something other than plain arithmetic on its arguments."""


# Python's binding strengths, weakest first; a sub-expression is parenthesized only
# where Python would otherwise group it differently (float + is not associative,
# so a + (b + c) keeps its parentheses).
ADD, MUL, UNARY, POW, ATOM = 1, 2, 3, 4, 5
_PREC = {"+": ADD, "-": ADD, "*": MUL, "/": MUL, "**": POW}


def _operand(x: object) -> tuple:
    if isinstance(x, _Sym):
        return x.tree
    if (type(x) is int or type(x) is float) and math.isfinite(x):
        return ("const", x)
    raise _GiveUp


class _Sym:
    """A placeholder that records the arithmetic done to it as a small expression tree."""

    __slots__ = ("tree",)

    def __init__(self, tree: tuple) -> None:
        self.tree = tree

    def _bin(self, other: object, op: str, reflected: bool = False) -> _Sym:
        left, right = _operand(other), self.tree
        return _Sym((op, left, right) if reflected else (op, right, left))

    def __add__(self, o):
        return self._bin(o, "+")

    def __radd__(self, o):
        return self._bin(o, "+", True)

    def __sub__(self, o):
        return self._bin(o, "-")

    def __rsub__(self, o):
        return self._bin(o, "-", True)

    def __mul__(self, o):
        return self._bin(o, "*")

    def __rmul__(self, o):
        return self._bin(o, "*", True)

    def __truediv__(self, o):
        return self._bin(o, "/")

    def __rtruediv__(self, o):
        return self._bin(o, "/", True)

    def __pow__(self, o):
        return self._bin(o, "**")

    def __rpow__(self, o):
        return self._bin(o, "**", True)

    def __neg__(self):
        return _Sym(("neg", self.tree))

    def __pos__(self):
        return self

    def _refuse(self, *args):
        raise _GiveUp

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __bool__ = __float__ = __int__ = __index__ = __round__ = __abs__ = _refuse
    __hash__ = None  # type: ignore[assignment]  # unhashable on purpose, as __eq__ refuses


def _parts(tree: tuple, threshold: int, out: list) -> int:
    """Append the text of ``tree`` to ``out`` as literal strings and ``(placeholder,
    threshold)`` pairs; a placeholder is parenthesized at use if its strength is below
    its threshold. Returns the strength of the whole (0 when it is a bare placeholder)."""
    kind = tree[0]
    if kind == "var":
        out.append((tree[1], threshold))
        return 0
    if kind == "const":
        prec = ATOM if tree[1] >= 0 else UNARY
        out.append(repr(tree[1]) if prec >= threshold else f"({tree[1]!r})")
        return prec
    prec = UNARY if kind == "neg" else _PREC[kind]
    wrap = prec < threshold
    out.append("(" if wrap else "")
    if kind == "neg":
        out.append("-")
        _parts(tree[1], UNARY, out)
    elif prec == POW:  # right-associative, and tighter than a unary minus on its left
        _parts(tree[1], POW + 1, out)
        out.append(" ** ")
        _parts(tree[2], UNARY, out)
    else:  # left-associative: a - (b - c) and a + (b + c) keep their parentheses
        _parts(tree[1], prec, out)
        out.append(f" {kind} ")
        _parts(tree[2], prec + 1, out)
    out.append(")" if wrap else "")
    return ATOM if wrap else prec


class Form:
    """A template ready to fill: ``fill(env)`` gives ``(text, strength)``."""

    __slots__ = ("parts", "prec")

    def __init__(self, tree: tuple) -> None:
        parts: list = []
        self.prec = _parts(tree, 0, parts)
        self.parts = [p for p in parts if p != ""]

    def fill(self, env: dict) -> tuple[str, int]:
        if self.prec == 0:  # the template is one bare placeholder
            return env[self.parts[0][0]]
        out = []
        for p in self.parts:
            if type(p) is str:
                out.append(p)
            else:
                text, prec = env[p[0]]
                out.append(text if prec >= p[1] else f"({text})")
        return "".join(out), self.prec


def render(tree: tuple, env: dict) -> tuple[str, int]:
    """Source text of ``tree`` with placeholders from ``env`` (name -> (text, strength))."""
    return Form(tree).fill(env)


def _names(tree: tuple) -> set:
    found, stack = set(), [tree]
    while stack:
        t = stack.pop()
        if t[0] == "var":
            found.add(t[1])
        elif t[0] != "const":
            stack.extend(t[1:])
    return found


def _risky(tree: tuple) -> bool:
    stack = [tree]
    while stack:
        t = stack.pop()
        if t[0] in ("/", "**"):
            return True
        if t[0] not in ("var", "const"):
            stack.extend(t[1:])
    return False


class OpTemplate:
    """Expression trees for one op, or None where the op's function must be called.

    ``forward`` uses placeholders ``a``, ``b``; each entry of ``vjp`` uses ``g``,
    ``o``, ``a``, ``b``. ``risky[i]``: ``vjp[i]`` can raise on floats (/ or **);
    ``plain[i]``: it is ``g`` itself; ``reads``: placeholders the vjp reads.
    """

    __slots__ = ("forward", "vjp", "risky", "plain", "reads", "forward_risky")

    def __init__(self, forward: tuple | None, vjp: list[tuple] | None, arity: int) -> None:
        self.forward = Form(forward) if forward is not None else None
        self.forward_risky = forward is None or _risky(forward)
        self.vjp = [Form(t) for t in vjp] if vjp else None
        self.risky = [_risky(t) for t in vjp] if vjp else [True] * arity
        self.plain = [t == ("var", "g") for t in vjp] if vjp else [True] * arity
        self.reads = set().union(*map(_names, vjp)) if vjp else {"g", "o", "a", "b"}


def _trace(fn: Callable, names: list[str]) -> list[tuple] | None:
    try:
        result = fn(*(_Sym(("var", n)) for n in names))
    except Exception:  # noqa: BLE001 - any failure means "call the function instead"
        return None
    parts = result if isinstance(result, tuple) else (result,)
    return [p.tree for p in parts] if all(isinstance(p, _Sym) for p in parts) else None


def _same(fn: Callable, trees: list[tuple], names: list[str], rng: random.Random) -> bool:
    """Check the rendered templates against the function on a few ordinary points."""
    for _ in range(3):
        args = [rng.uniform(0.25, 2.0) for _ in names]
        try:
            want = fn(*args)
        except Exception:  # noqa: BLE001
            return False
        want = want if isinstance(want, tuple) else (want,)
        env = {n: (n, ATOM) for n in names}
        got = tuple(eval(render(t, env)[0], {}, dict(zip(names, args))) for t in trees)  # noqa: S307
        if got != want:
            return False
    return True


_CACHE: dict[int, tuple[object, OpTemplate]] = {}


def template_for(op, arity: int) -> OpTemplate:
    """The templates of ``op`` (an engine ``_Op``) applied to ``arity`` inputs."""
    hit = _CACHE.get(id(op))
    if hit is not None and hit[0] is op:
        return hit[1]
    rng = random.Random(0)
    ins = ["a", "b"][:arity]
    fwd = _trace(op.forward, ins)
    if not (fwd and len(fwd) == 1 and _same(op.forward, fwd, ins, rng)):
        fwd = None
    vjp = _trace(op.vjp, ["g", "o", *ins])
    if not (vjp and len(vjp) == arity and _same(op.vjp, vjp, ["g", "o", *ins], rng)):
        vjp = None
    template = OpTemplate(fwd[0] if fwd else None, vjp, arity)
    if op.shared:  # registry ops are long-lived; a micrograd-style node's op holds user objects
        _CACHE[id(op)] = (op, template)
    return template
