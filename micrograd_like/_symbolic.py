"""One symbolic form for every op: the tree its formulas are traced into, and one printer.

``defop`` calls an op's derivative (and the library's own forwards) once with
:class:`Sym` stand-ins; the arithmetic and the registered functions they meet build
a tree. Everything written about the op is printed from those trees by
:func:`parts`, with one table of binding strengths:

* the float vjp's source (``code`` style: ``_g * _out * (1.0 - _out)``, powers through
  ``_pow`` for the engine's errors), evaluated once and also called with Values
  for ``create_graph``;
* the formulas readers see (``text`` style: ``out * (1 - out)``, ``x**(-2)``), and how
  a node is written (``expression`` style: ``x*y``, ``x + y``);
* compile's templates (:class:`Form`: the code with placeholders ``g o a b``).

A formula that does anything but arithmetic and calls of registered functions
(compares, branches, calls ``math``) cannot be traced: :class:`Untraceable`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ADD", "MUL", "UNARY", "POW", "ATOM", "OPERATORS", "NEG", "Operator", "python_operator", "Sym", "Untraceable",
    "lift", "Style", "CODE", "TEXT", "EXPRESSION", "number_text", "parts", "render", "Form", "times_g",
]  # fmt: skip

# Python's binding strengths, weakest first; a sub-expression is parenthesized only
# where Python would otherwise group it differently (float + is not associative,
# so a + (b + c) keeps its parentheses).
ADD, MUL, UNARY, POW, ATOM = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class Operator:
    """One of Python's binary arithmetic operators, as the printer and the parser see it."""

    symbol: str
    strength: int
    function: Callable[[Any, Any], Any]
    dunder: str  # Sym gets __<dunder>__ and __r<dunder>__
    ast_name: str  # its node in Python's syntax tree (ast.Add, ...)
    raises: bool  # can raise on floats (ZeroDivisionError, a complex power)


#: Every binary arithmetic operator of Python's grammar, so that an op registered with
#: any of them as its ``symbol`` is traced, printed and parsed without another edit.
OPERATORS: dict[str, Operator] = {
    op.symbol: op
    for op in (
        Operator("+", ADD, operator.add, "add", "Add", False),
        Operator("-", ADD, operator.sub, "sub", "Sub", False),
        Operator("*", MUL, operator.mul, "mul", "Mult", False),
        Operator("/", MUL, operator.truediv, "truediv", "Div", True),
        Operator("//", MUL, operator.floordiv, "floordiv", "FloorDiv", True),
        Operator("%", MUL, operator.mod, "mod", "Mod", True),
        Operator("**", POW, operator.pow, "pow", "Pow", True),
    )
}
#: The registry's name for unary minus (its ``symbol``), also the tree's node kind.
NEG = "neg"


def python_operator(symbol: str) -> Callable[..., Any]:
    """The function Python's syntax calls for a registered operator symbol (``neg``: ``-x``)."""
    return operator.neg if symbol == NEG else OPERATORS[symbol].function


class Untraceable(TypeError):
    """The formula does something other than arithmetic and registered functions."""


class Sym:
    """A node of a formula's tree; arithmetic on it builds bigger trees.

    ``kind`` is ``"var"`` (``args == (name,)``), ``"const"`` (``(float,)``), ``"neg"``
    (``(operand,)``), an operator symbol of :data:`OPERATORS` (``(left, right)``) or
    ``"call"`` (``(function name, *arguments)``).
    """

    __slots__ = ("kind", "args")

    def __init__(self, kind: str, args: tuple) -> None:
        self.kind, self.args = kind, args

    @staticmethod
    def var(name: str) -> Sym:
        return Sym("var", (name,))

    @staticmethod
    def call(name: str, args: tuple) -> Sym:
        return Sym("call", (name, *map(lift, args)))

    def is_const(self, value: float) -> bool:
        return self.kind == "const" and self.args[0] == value

    def names(self) -> set[str]:
        """The variables the tree reads."""
        found, stack = set(), [self]
        while stack:
            t = stack.pop()
            if t.kind == "var":
                found.add(t.args[0])
            elif t.kind != "const":
                stack.extend(a for a in t.args if isinstance(a, Sym))
        return found

    def kinds(self) -> set[str]:
        """The kinds of node in the tree (``"call"``, ``"/"``, ...)."""
        found, stack = set(), [self]
        while stack:
            t = stack.pop()
            found.add(t.kind)
            if t.kind not in ("var", "const"):
                stack.extend(a for a in t.args if isinstance(a, Sym))
        return found

    def __neg__(self) -> Sym:
        return Sym(NEG, (self,))

    def __pos__(self) -> Sym:
        return self

    def _refuse(self, *args: Any) -> Any:
        raise Untraceable("the formula inspects its input's value")

    __bool__ = __float__ = __int__ = __index__ = __round__ = __abs__ = _refuse
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __hash__ = None  # type: ignore[assignment]  # unhashable on purpose, as __eq__ refuses


def _operator_methods(symbol: str) -> tuple[Callable, Callable]:
    def method(self: Sym, other: Any) -> Sym:
        return Sym(symbol, (self, lift(other)))

    def reflected(self: Sym, other: Any) -> Sym:
        return Sym(symbol, (lift(other), self))

    return method, reflected


for _op in OPERATORS.values():
    _method, _reflected = _operator_methods(_op.symbol)
    setattr(Sym, f"__{_op.dunder}__", _method)
    setattr(Sym, f"__r{_op.dunder}__", _reflected)


def lift(v: Any) -> Sym:
    """A tree for ``v``: a Sym as is, a finite real number as a constant."""
    if isinstance(v, Sym):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        try:
            number = float(v)
        except OverflowError:
            number = float("inf")
        if number - number == 0.0:  # finite
            return Sym("const", (number,))
    raise Untraceable(f"cannot trace {type(v).__name__} {v!r}")


# -- the printer ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """How :func:`parts` writes a tree.

    ``code``: Python source (constants as floats, ``**`` as ``_pow(a, b)``); else text
    for readers (``2`` for 2.0, ``x**(-2)``, an exponent 1 left out). Operators at least
    ``tight`` strong are written without spaces around them.
    """

    code: bool
    tight: int = ATOM + 1


CODE = Style(code=True)
TEXT = Style(code=False, tight=POW)  # formulas: out * (1 - out), x**2
EXPRESSION = Style(code=False, tight=MUL)  # nodes: x*y, x + y


def number_text(v: float, code: bool = False) -> str:
    """A number as code writes it (``2.0``) or as readers see it (``2``; ``0.5``, ``inf``)."""
    if not code and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def parts(tree: Sym, threshold: int, out: list, style: Style) -> int:
    """Append the text of ``tree`` to ``out`` as literal strings and ``(variable,
    threshold)`` pairs; a variable is parenthesized where it is filled in if its
    strength is below its threshold. Returns the strength of the whole (0 when it
    is a bare variable)."""
    kind, args = tree.kind, tree.args
    if kind == "var":
        out.append((args[0], threshold))
        return 0
    if kind == "const":
        strength = ATOM if args[0] >= 0 else UNARY
        text = number_text(args[0], style.code)
        out.append(text if strength >= threshold else f"({text})")
        return strength
    if kind == "call" or (kind == "**" and style.code):  # code: through _pow, for the engine's errors
        out.append(f"{args[0]}(" if kind == "call" else "_pow(")
        for k, arg in enumerate(args[1:] if kind == "call" else args):
            if k:
                out.append(", ")
            parts(arg, 0, out, style)
        out.append(")")
        return ATOM
    if kind == "**" and args[1].is_const(1.0):  # text: x**1 is x
        return parts(args[0], threshold, out, style)
    strength = UNARY if kind == NEG else OPERATORS[kind].strength
    wrap = strength < threshold
    if wrap:
        out.append("(")
    if kind == NEG:
        out.append("-")
        parts(args[0], UNARY, out, style)
    else:
        # ** (text only: code calls _pow) binds right to left and tighter than a unary minus
        # on its left; readers get x**(-2).
        left, right = (POW + 1, POW) if strength == POW else (strength, strength + 1)
        parts(args[0], left, out, style)
        out.append(kind if strength >= style.tight else f" {kind} ")
        parts(args[1], right, out, style)
    if wrap:
        out.append(")")
    return ATOM if wrap else strength


def render(tree: Sym, style: Style, names: dict[str, str] | None = None) -> str:
    """The text of ``tree``; each variable written as ``names[var]`` (default: its own name)."""
    out: list = []
    parts(tree, 0, out, style)
    names = names or {}
    return "".join([p if type(p) is str else names.get(p[0], p[0]) for p in out])


class Form:
    """A tree as a template ready to fill: ``fill(env)`` gives ``(text, strength)``,
    ``env`` mapping each variable to ``(text, strength)``."""

    __slots__ = ("parts", "prec")

    def __init__(self, tree: Sym, style: Style = CODE) -> None:
        out: list = []
        self.prec = parts(tree, 0, out, style)
        self.parts = out

    def fill(self, env: dict) -> tuple[str, int]:
        if self.prec == 0:  # the template is one bare variable
            return env[self.parts[0][0]]
        out = []
        for p in self.parts:
            if type(p) is str:
                out.append(p)
            else:
                text, prec = env[p[0]]
                out.append(text if prec >= p[1] else f"({text})")
        return "".join(out), self.prec


# -- from a local derivative to its contribution g * d ------------------------------------


def times_g(d: Sym) -> Sym:
    """The tree of ``g * d``, grouped so that it rounds like the hand-written products:
    ``g`` for 1, ``-g`` for -1, and g * (a / b) as (g * a) / b (g / b when a is 1)."""
    g = Sym.var("g")
    if d.is_const(1.0):
        return g
    if d.is_const(-1.0):
        return -g
    if d.kind in ("*", "/"):
        left, right = d.args
        return Sym(d.kind, (g if left.is_const(1.0) else _g_times(left), right))
    return Sym("*", (g, d))


def _g_times(a: Sym) -> Sym:
    """g * a with a product or quotient a regrouped from the left: g * x / y is (g * x) / y."""
    if a.kind in ("*", "/"):
        return Sym(a.kind, (_g_times(a.args[0]), a.args[1]))
    return Sym("*", (Sym.var("g"), a))
