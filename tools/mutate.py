"""Mutation testing for the engine and the gradient checker, with nothing but ``ast``.

Run from the repository root::

    python tools/mutate.py                      # every mutant of _core.py, _ops.py and gradcheck.py
    python tools/mutate.py --sample 80 --seed 1 # a reproducible random sample
    python tools/mutate.py --list               # list the mutants, run nothing

Each mutant is the source with one small change: a comparison swapped (``<`` for
``<=``, ``==`` for ``!=``, ``is`` for ``is not``), an arithmetic operator swapped
(``+``/``-``, ``*``/``/``, ``**`` for ``*``), a numeric constant changed (``c`` to
``c + 1``), ``and``/``or`` swapped, a ``not`` dropped, or a statement replaced by
``pass``. Docstrings and message strings are left alone. Every mutant is written
into a scratch copy of the package and the fast tests run against it (stopping at
the first failure, with a timeout); a mutant is *killed* when they fail. The
survivors are printed with their line and change: read each one, and either add
a test that kills it or note why it is equivalent (changes nothing observable).
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The engine's core (Value, walks, sweeps, the generators of the hot paths), its op
# definitions, the registry and the symbolic form every op's formulas are printed from,
# and the gradient checker; engine.py itself only re-exports.
TARGETS = [
    "micrograd_like/_core.py",
    "micrograd_like/_ops.py",
    "micrograd_like/_registry.py",
    "micrograd_like/_symbolic.py",
    "micrograd_like/gradcheck.py",
]
FAST_TESTS = [
    "tests/test_engine.py",
    "tests/test_engine_robust.py",
    "tests/test_engine_micrograd.py",
    "tests/test_gradcheck.py",
    "tests/test_gradients.py",
    "tests/test_testing.py",  # the strategies' domains, checked against the ops' forwards
    # the inlined backward ops, the ops the engine registers, and replay through the trace hook
    "tests/test_sweep_inline.py",
    "tests/test_registry.py",
    "tests/test_compile.py",
    # the readers of the symbolic form: formulas in the ledger, operators in the parser
    "tests/test_ledger.py",
    "tests/test_expr.py",
    # a million-node chain: 10+ s on every surviving mutant, and it tests depth, not arithmetic
    "--deselect",
    "tests/test_engine.py::test_deep_chain_of_a_million_ops_backpropagates_and_is_freed",
]
COMPARE_SWAP = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
BINOP_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult}


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes, which are not mutated."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0]))
    return found


def _sites(tree: ast.AST) -> list[tuple[str, ast.AST, int]]:
    """Every (kind, node, index) that can be mutated; index picks the operand of a compare."""
    skip = _docstrings(tree)
    sites = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sites += [("compare", node, i) for i, op in enumerate(node.ops) if type(op) in COMPARE_SWAP]
        elif isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in BINOP_SWAP:
            sites.append(("binop", node, 0))
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            sites.append(("constant", node, 0))
        elif isinstance(node, ast.Constant) and type(node.value) is bool:
            sites.append(("bool", node, 0))
        elif isinstance(node, ast.BoolOp):
            sites.append(("boolop", node, 0))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            sites.append(("not", node, 0))
        if isinstance(node, (ast.FunctionDef, ast.For, ast.While, ast.If, ast.With, ast.Try)):
            for stmt in node.body:
                droppable = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Raise, ast.If)
                if isinstance(stmt, droppable) and id(stmt) not in skip:
                    sites.append(("drop", stmt, 0))
    return sites


def _apply(kind: str, node: ast.AST, index: int, tree: ast.Module) -> str:
    """Mutate ``node`` in place, unparse, and undo; returns the mutant's source."""
    if kind == "compare":
        old = node.ops[index]
        node.ops[index] = COMPARE_SWAP[type(old)]()
        try:
            return ast.unparse(tree)
        finally:
            node.ops[index] = old
    if kind == "binop":
        old = node.op
        node.op = BINOP_SWAP[type(old)]()
        try:
            return ast.unparse(tree)
        finally:
            node.op = old
    if kind in ("constant", "bool"):
        old = node.value
        node.value = (not old) if kind == "bool" else old + 1
        try:
            return ast.unparse(tree)
        finally:
            node.value = old
    if kind == "boolop":
        old = node.op
        node.op = ast.Or() if isinstance(old, ast.And) else ast.And()
        try:
            return ast.unparse(tree)
        finally:
            node.op = old
    if kind == "not":  # replace "not x" by "x": swap the node for its operand in its parent
        return _replace_in_parent(tree, node, node.operand)
    return _replace_in_parent(tree, node, ast.Pass())  # drop


def _replace_in_parent(tree: ast.Module, node: ast.AST, new: ast.AST) -> str:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is node:
                setattr(parent, field, new)
                try:
                    return ast.unparse(tree)
                finally:
                    setattr(parent, field, node)
            if isinstance(value, list) and any(v is node for v in value):
                i = next(i for i, v in enumerate(value) if v is node)
                value[i] = new
                try:
                    return ast.unparse(tree)
                finally:
                    value[i] = node
    raise ValueError("node not found")


def _describe(kind: str, node: ast.AST, index: int) -> str:
    line = getattr(node, "lineno", "?")
    if kind == "compare":
        op = type(node.ops[index])
        return f"line {line}: {op.__name__} -> {COMPARE_SWAP[op].__name__} in `{ast.unparse(node)}`"
    if kind == "binop":
        return f"line {line}: {type(node.op).__name__} -> {BINOP_SWAP[type(node.op)].__name__} in `{ast.unparse(node)}`"
    if kind in ("constant", "bool"):
        return f"line {line}: constant {node.value!r} changed"
    if kind == "boolop":
        return f"line {line}: and/or swapped in `{ast.unparse(node)[:70]}`"
    if kind == "not":
        return f"line {line}: `not` dropped in `{ast.unparse(node)[:70]}`"
    return f"line {line}: statement dropped: `{ast.unparse(node).splitlines()[0][:70]}`"


def _run_tests(workdir: Path, timeout: float) -> str:
    """'killed', 'survived' or 'timeout' (a hang counts as killed)."""
    env = {**os.environ, "HYPOTHESIS_PROFILE": "ci", "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *FAST_TESTS]
    try:
        result = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    return "survived" if result.returncode == 0 else "killed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=0, help="run a random sample of this many mutants")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per mutant's test run")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    args = parser.parse_args(argv)

    mutants, originals = [], {}
    for target in TARGETS:
        source = originals[target] = (ROOT / target).read_text()
        tree = ast.parse(source)
        for kind, node, index in _sites(tree):
            mutants.append((target, tree, kind, node, index))
    print(f"{len(mutants)} mutants in {', '.join(TARGETS)}")
    if args.sample:
        mutants = random.Random(args.seed).sample(mutants, min(args.sample, len(mutants)))
    if args.list:
        for target, _, kind, node, index in mutants:
            print(f"{target} {_describe(kind, node, index)}")
        return 0

    with tempfile.TemporaryDirectory(prefix="mutate-") as tmp:
        work = Path(tmp)
        shutil.copytree(ROOT / "micrograd_like", work / "micrograd_like", ignore=shutil.ignore_patterns("__pycache__"))
        for target, text in originals.items():  # the code the mutants were made from
            (work / target).write_text(text)
        shutil.copytree(ROOT / "tests", work / "tests", ignore=shutil.ignore_patterns("__pycache__"))
        for name in ("pyproject.toml", "README.md"):  # test_registry checks README's op list
            shutil.copy(ROOT / name, work / name)
        if _run_tests(work, args.timeout) != "survived":
            print("the fast tests fail on the unmutated code; fix that first")
            return 2
        counts = {"killed": 0, "timeout": 0, "survived": 0, "invalid": 0}
        survivors = []
        start = time.perf_counter()
        for n, (target, tree, kind, node, index) in enumerate(mutants, 1):
            text = _apply(kind, node, index, tree)
            original = originals[target]
            try:
                compile(text, target, "exec")
            except SyntaxError:
                counts["invalid"] += 1
                continue
            (work / target).write_text(text)
            outcome = _run_tests(work, args.timeout)
            (work / target).write_text(original)
            counts[outcome] += 1
            if outcome == "survived":
                survivors.append(f"{target} {_describe(kind, node, index)}")
            print(f"[{n}/{len(mutants)}] {outcome:<8} {target} {_describe(kind, node, index)}", flush=True)
        tested = counts["killed"] + counts["timeout"] + counts["survived"]
        score = 100.0 * (tested - counts["survived"]) / max(tested, 1)
        print(
            f"\n{tested} mutants tested in {time.perf_counter() - start:.0f} s: "
            f"{counts['killed']} killed, {counts['timeout']} timed out (killed), "
            f"{counts['survived']} survived ({counts['invalid']} not valid Python, skipped)"
        )
        print(f"mutation score: {score:.1f}% (survivors may include equivalent mutants)")
        for s in survivors:
            print("  survived:", s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
