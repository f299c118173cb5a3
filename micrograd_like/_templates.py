"""Per-op code templates for ``compile`` and ``batched``, read from the registry's trees.

A library op's templates are the trees :mod:`~micrograd_like._registry` traced once when the
op was made (see :mod:`~micrograd_like._symbolic`), printed as code with the
placeholders ``g o a b``. Where an op has no such tree (its forward checks its
domain or calls ``math``; its derivative calls a function or ``_pow``; a
micrograd-style node; a user op, whose results are checked), the compiled code calls the op's own function instead, so
every op works, new ones included, and errors are the engine's own.
"""

from __future__ import annotations

import weakref
from typing import Any

from ._registry import TREES, OpSpec
from ._symbolic import ADD, ATOM, OPERATORS, Form, Sym

__all__ = ["OpTemplate", "Form", "template_for", "fill_tree", "ATOM", "ADD"]

# The trees' variables as template placeholders.
_PLACEHOLDERS = {"g": "g", "out": "o", "x": "a", "y": "b"}


def _placeholders(tree: Sym) -> Sym:
    """``tree`` with its variables renamed to placeholders (x -> a, out -> o)."""
    if tree.kind == "var":
        return Sym.var(_PLACEHOLDERS[tree.args[0]])
    if tree.kind == "const":
        return tree
    return Sym(tree.kind, tuple(_placeholders(a) if isinstance(a, Sym) else a for a in tree.args))


def _arithmetic(tree: Sym) -> bool:
    """Plain arithmetic that compiled code can write out: no call (``**`` is ``_pow``, a call)."""
    return not ({"call", "**"} & tree.kinds())


def _risky(tree: Sym) -> bool:
    """Whether the tree can raise on floats (a division, ...)."""
    return any(kind in OPERATORS and OPERATORS[kind].raises for kind in tree.kinds())


def fill_tree(tree: Sym, env: dict) -> tuple[str, int]:
    """Source text of ``tree`` with placeholders from ``env`` (name -> (text, strength))."""
    return Form(tree).fill(env)


class OpTemplate:
    """Expression forms for one op, or None where the op's function must be called.

    ``forward`` uses placeholders ``a``, ``b``; each entry of ``vjp`` uses ``g``,
    ``o``, ``a``, ``b``. ``risky[i]``: ``vjp[i]`` can raise on floats (/ or **);
    ``plain[i]``: it is ``g`` itself; ``reads``: placeholders the vjp reads.
    """

    __slots__ = ("forward", "vjp", "risky", "plain", "reads", "forward_risky")

    def __init__(self, forward: Sym | None, vjp: tuple[Sym, ...] | None, arity: int) -> None:
        self.forward = Form(forward) if forward is not None else None
        self.forward_risky = forward is None or _risky(forward)
        self.vjp = [Form(t) for t in vjp] if vjp else None
        self.risky = [_risky(t) for t in vjp] if vjp else [True] * arity
        self.plain = [t.kind == "var" and t.args[0] == "g" for t in vjp] if vjp else [True] * arity
        self.reads = set().union(*(t.names() for t in vjp)) if vjp else {"g", "o", "a", "b"}


# Weak keys: a template lives as long as its op (a parameter changing every step leaks nothing).
_CACHE: weakref.WeakKeyDictionary[Any, OpTemplate] = weakref.WeakKeyDictionary()


def template_for(op: Any, arity: int) -> OpTemplate:
    """The templates of ``op`` (an engine ``Op``) applied to ``arity`` inputs."""
    hit = _CACHE.get(op)
    if hit is not None:
        return hit
    spec = getattr(op, "spec", None)
    trees = TREES.get((spec.name, op.params)) if isinstance(spec, OpSpec) else None
    forward = vjp = None
    if trees is not None and trees.spec is spec and not spec.user:  # a user op's results are checked: call it
        forward = _placeholders(trees.forward) if trees.forward is not None and _arithmetic(trees.forward) else None
        if trees.vjp is not None and len(trees.vjp) == arity and all(map(_arithmetic, trees.vjp)):
            vjp = tuple(map(_placeholders, trees.vjp))
    template = OpTemplate(forward, vjp, arity)
    if op.shared:  # registry ops are long-lived; a micrograd-style node's op holds user objects
        _CACHE[op] = template
    return template
