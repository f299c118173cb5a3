"""Parse a formula such as ``"tanh(a*b + c)"`` into Values, safely.

The text is untrusted (it comes from the command line), so it is never given to
``eval``. Python's own parser turns it into a syntax tree, and every node of that
tree must be on a short whitelist: numbers, variable names, ``+ - * / **``, unary
minus (and plus), and calls of the registered functions (``exp``, ``sin``, ...,
see ``FUNCTIONS``) with one argument, followed by numbers for an op's parameters
(``leaky_relu(x, 0.2)`` or ``leaky_relu(x, slope=0.2)``).
Anything else is refused, with the reason, before anything is evaluated.

One rule for numbers: every number is a finite float. A constant (``1e999``,
a 400-digit integer), a variable's value (``inf``, ``nan``) and the value of
every part of the formula (``1e308*1e308``) are checked alike, and the first one
that is not finite is refused, naming it.
"""

from __future__ import annotations

import ast
import keyword
import math
import unicodedata
from collections.abc import Callable, Mapping
from typing import cast

from . import functions as _functions  # noqa: F401 - registers sin, cos, ... before use
from ._checks import check_str
from ._symbolic import OPERATORS
from .engine import Value
from .registry import FUNCTIONS as _REGISTERED
from .registry import REGISTRY

__all__ = ["ExpressionError", "FUNCTIONS", "MAX_LENGTH", "MAX_DEPTH", "parse_expression", "parse_assignment"]

#: The functions a formula may call: every registered op called like ``f(x)``, plus its
#: parameters as numbers (``leaky_relu(x, 0.2)``); a live view, so ops added with
#: ``defop`` are callable too.
FUNCTIONS: Mapping[str, Callable[[Value], Value]] = _REGISTERED

#: Longest formula accepted, in characters: checked before parsing, so a huge input
#: costs nothing.
MAX_LENGTH = 2000
#: Deepest nesting of operations accepted (Python's parser has its own, lower, limit
#: on nested parentheses).
MAX_DEPTH = 100


def _operators() -> dict[str, tuple[str, Callable, Callable | None]]:
    """symbol -> (its node in Python's syntax tree, the registered op's function, and the
    function of the op whose parameter a constant right side is: ``x ** 2``) for every
    operator a registered op stands behind (``+ - * / **``), in registration order."""
    binary: dict[str, Callable] = {}
    with_constant: dict[str, Callable] = {}
    for spec in REGISTRY.values():
        if spec.symbol in OPERATORS:
            (binary if spec.arity == 2 else with_constant)[spec.symbol] = spec.function
    return {s: (OPERATORS[s].ast_name, f, with_constant.get(s)) for s, f in binary.items()}


def _binary(node: ast.BinOp) -> tuple[str, Callable, Callable | None] | None:
    """The registered operator of ``node``, if any."""
    return next((o for o in _operators().values() if o[0] == type(node.op).__name__), None)


def _allowed() -> str:
    allowed = f"numbers, variable names, {' '.join(_operators())}, unary minus, and calls of " + ", ".join(FUNCTIONS)
    example = next((f"{n}(x, {p[0][1]:g})" for n in FUNCTIONS if (p := REGISTRY[n].params)), None)
    return allowed + (f" (an op's parameters as numbers after x: {example})" if example else "")


_DESCRIPTIONS = {
    ast.Attribute: "attribute access (x.y)",
    ast.Subscript: "a subscript (x[i])",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Compare: "a comparison",
    ast.BoolOp: "and/or",
    ast.IfExp: "a conditional expression",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "an assignment (:=)",
    ast.Starred: "a starred argument",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield from",
}


class ExpressionError(ValueError):
    """The formula is not allowed or cannot be evaluated; the message says why."""


def _refuse(node: ast.AST, what: str) -> ExpressionError:
    col = getattr(node, "col_offset", None)
    where = f" at column {col + 1}" if col is not None else ""
    return ExpressionError(f"{what} is not allowed{where}; allowed: {_allowed()}")


def _check(tree: ast.Expression, variables: Mapping[str, float]) -> None:
    """Refuse any node that is not on the whitelist. Iterative: depth is bounded too."""
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the formula nests deeper than {MAX_DEPTH} operations; simplify it")
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise _refuse(node, f"the constant {value!r} ({type(value).__name__})")
            _finite_constant(node, value)
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise _refuse(node, f"using the function {node.id!r} without calling it")
            if node.id not in variables:
                raise ExpressionError(f"the name {node.id!r} has no value: pass it as {node.id}=NUMBER")
        elif isinstance(node, ast.BinOp):
            if _binary(node) is None:
                raise _refuse(node, f"the operator {type(node.op).__name__}")
            stack += [(node.left, depth + 1), (node.right, depth + 1)]
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise _refuse(node, f"the operator {type(node.op).__name__}")
            stack.append((node.operand, depth + 1))
        elif isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name is None or name not in FUNCTIONS:
                raise _refuse(node, "calling anything but " + ", ".join(FUNCTIONS))
            _parameters(node, name)  # refuses what is not x followed by the op's parameters
            stack.append((node.args[0], depth + 1))
        else:
            raise _refuse(node, _DESCRIPTIONS.get(type(node), type(node).__name__))


def _parameters(call: ast.Call, name: str) -> dict[str, float]:
    """The numbers after x in ``f(x, ...)``: values for the op's parameters, by name
    (``leaky_relu(x, 0.2)``, ``leaky_relu(x, slope=0.2)``), each a plain number."""
    names = [n for n, _ in REGISTRY[name].params]
    given = [*zip(names, call.args[1:]), *((k.arg, k.value) for k in call.keywords)]
    wanted = f"x, then up to {len(names)} number(s) for {', '.join(names)}" if names else "exactly one argument"
    if not call.args or len(call.args) > 1 + len(names) or len({n for n, _ in given}) < len(given):
        raise _refuse(call, f"{name}() with other than {wanted}")
    values = {}
    for param, arg in given:
        if param not in names:
            raise _refuse(call, f"{name}() with other than {wanted}")
        sign, number = 1, arg
        if isinstance(arg, ast.UnaryOp) and isinstance(arg.op, (ast.USub, ast.UAdd)):  # -0.2, +0.2
            sign, number = (-1 if isinstance(arg.op, ast.USub) else 1), arg.operand
        value = number.value if isinstance(number, ast.Constant) else None
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise _refuse(arg, f"a {param} for {name} that is not a plain number")
        _finite_constant(cast(ast.Constant, number), value)
        values[param] = sign * float(value)
    return values


def _finite_constant(node: ast.Constant, value: float) -> None:
    try:
        finite = math.isfinite(float(value))
    except OverflowError:  # an int beyond the float range
        finite = False
    if not finite:
        raise ExpressionError(
            f"the number at column {node.col_offset + 1} is beyond the float range (about 1.8e308); "
            "every number in a formula must be finite"
        )


def _finite_result(value: Value, node: ast.AST, text: str) -> Value:
    if not math.isfinite(value.data):
        part = ast.get_source_segment(text, node) or ast.unparse(node)
        raise ExpressionError(
            f"{part} is {value.data}, beyond the float range; every number in a formula must be finite"
        )
    return value


def _evaluate(tree: ast.Expression, variables: Mapping[str, Value], text: str) -> Value:
    """Evaluate a checked tree, iteratively (post-order), into a Value graph.

    Each result carries whether it is a constant (uses no variable), so that
    ``x ** 2`` and ``x ** -1`` take a plain-number exponent: that works for negative
    bases, where a Value exponent (differentiated too) would need log of the base.
    ``text`` is the source of ``tree``, to name a part whose value is not finite.
    """
    results: list[tuple[Value, bool]] = []
    stack: list[tuple[ast.AST, bool]] = [(tree.body, False)]
    while stack:
        node, ready = stack.pop()
        if isinstance(node, ast.Constant):
            results.append((Value(cast(float, node.value)), True))  # a number: checked before
        elif isinstance(node, ast.Name):
            results.append((variables[node.id], False))
        elif not ready:
            stack.append((node, True))
            if isinstance(node, ast.BinOp):
                stack += [(node.right, False), (node.left, False)]
            elif isinstance(node, ast.UnaryOp):
                stack.append((node.operand, False))
            else:  # a checked Call
                stack.append((cast(ast.Call, node).args[0], False))
        elif isinstance(node, ast.BinOp):
            (right, right_const), (left, left_const) = results.pop(), results.pop()
            _, function, with_constant = cast(tuple, _binary(node))  # checked by _check
            result = with_constant(left, right.data) if with_constant and right_const else function(left, right)
            results.append((_finite_result(result, node, text), left_const and right_const))
        elif isinstance(node, ast.UnaryOp):
            operand, const = results.pop()
            results.append((-operand if isinstance(node.op, ast.USub) else operand, const))
        else:
            operand, const = results.pop()
            call = cast(ast.Call, node)  # the only other node _check lets through: f(x), f a Name
            name = cast(ast.Name, call.func).id
            result = FUNCTIONS[name](operand, **_parameters(call, name))
            results.append((_finite_result(result, node, text), const))
    ((out, _),) = results
    return out


def parse_expression(text: str, variables: Mapping[str, float]) -> tuple[Value, dict[str, Value]]:
    """Build the Value graph of ``text`` with the given variable values.

    Args:
        text: A formula, e.g. ``"tanh(a*b + c)"`` or ``"x**2 / (1 + exp(-x))"``.
        variables: The value of every name the formula uses.

    Returns:
        ``(output, leaves)``: the formula's Value and one leaf Value per variable,
        labelled with its name (ready for ``output.backward()``).

    Raises:
        ExpressionError: The formula is too long, too deep, not valid syntax, uses
            something off the whitelist or a name without a value, a number in it
            (constant, variable or result) is not finite, or it cannot be
            evaluated (log of a negative number, division by zero).
    """
    check_str(text, "the formula")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the formula is {len(text):,} characters long; the limit is {MAX_LENGTH:,}")
    if not text.strip():
        raise ExpressionError("the formula is empty; write one, e.g. 'tanh(a*b + c)'")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"not a valid formula: {e.msg}") from None
    except (RecursionError, MemoryError, ValueError) as e:  # nesting beyond the parser
        raise ExpressionError(f"the formula cannot be parsed ({type(e).__name__}); simplify it") from None
    _check(tree, variables)
    # Value applies the engine's one rule for what counts as a number.
    leaves = {name: Value(value, label=name) for name, value in variables.items()}
    for name, leaf in leaves.items():
        if not math.isfinite(leaf.data):
            raise ExpressionError(f"the value of {name} is {leaf.data}; every number in a formula must be finite")
    try:
        return _evaluate(tree, leaves, text.strip()), leaves
    except (ValueError, ZeroDivisionError, OverflowError) as e:
        raise ExpressionError(f"cannot evaluate the formula: {e}") from None


def parse_assignment(text: str) -> tuple[str, float]:
    """Parse ``NAME=NUMBER`` (as given on the command line) into ``(name, value)``.

    Raises:
        ExpressionError: Not of that form, the name is not an identifier (or is a
            keyword or function name), or the number is not a real number.
    """
    name, sep, number = text.partition("=")
    # Python's parser reads identifiers in NFKC form ("ﬁ" is "fi"); names given here
    # must match what the formula's names become.
    name = unicodedata.normalize("NFKC", name.strip())
    if not sep:
        raise ExpressionError(f"expected NAME=NUMBER, got {text!r}; for example a=2")
    if not name.isidentifier() or keyword.iskeyword(name) or name in FUNCTIONS:
        raise ExpressionError(
            f"{name!r} cannot be a variable name; use letters, digits and _ (not {', '.join(FUNCTIONS)})"
        )
    try:
        value = float(number)
    except ValueError:
        raise ExpressionError(f"the value of {name} must be a number, got {number.strip()!r}") from None
    if math.isinf(value):
        raise ExpressionError(f"the value of {name} must be finite, got {number.strip()!r}")
    return name, value
