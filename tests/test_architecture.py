"""The layers of docs/architecture.md, enforced: no module imports from a layer above its own."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "micrograd_like"

# Layer of each module (dotted name under micrograd_like); a package entry covers its submodules.
LAYERS = {
    "_checks": 0,
    "_atomic": 0,
    "_core": 1,
    "_ops": 1,
    "engine": 1,
    "registry": 1,
    "_registry": 1,
    "_symbolic": 1,
    "_opcheck": 1,
    "functions": 1,
    "gradcheck": 1,
    "nn": 2,
    "analysis": 2,
    "diagnose": 2,
    "serialization": 2,
    "losses": 2,
    "optim": 2,
    "datasets": 2,
    "compiled": 2,
    "_templates": 2,
    "_codegen": 2,
    "_static": 2,
    "batched": 2,
    "_array_forms": 2,
    "_array_linear": 2,
    "expr": 2,
    "testing": 2,
    "torch_bridge": 2,
    "ledger": 3,
    "viz": 3,
    "symmetry": 3,
    "moons": 3,
    "torch_compare": 3,
    "cli": 4,
    "__main__": 4,
    "_cli": 4,
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _layer(module: str) -> int:
    top = module.split(".")[0]
    if top not in LAYERS:
        raise AssertionError(f"micrograd_like.{module} has no layer: add it to LAYERS and docs/architecture.md")
    return LAYERS[top]


def _imports(module: str, path: Path) -> set[str]:
    """Every micrograd_like module that ``module`` imports, anywhere in its source."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] + ([node.module] if node.module else [])
            elif (node.module or "").startswith("micrograd_like"):
                base = node.module.split(".")[1:]
            else:
                continue
            prefix = ".".join(base)
            submodules = {f"{prefix}.{a.name}".lstrip(".") for a in node.names} & set(_modules())
            if submodules:  # from . import functions: the submodules themselves
                names.update(submodules)
            elif prefix:  # from .engine import Value
                names.add(prefix)
            # else: from .. import __version__, a plain attribute of the package root
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".", 1)[1] for a in node.names if a.name.startswith("micrograd_like."))
    return {n for n in names if n}


@pytest.mark.parametrize("module", sorted(m for m in _modules() if m))
def test_no_module_imports_from_a_layer_above_its_own(module):
    path = _modules()[module]
    own = _layer(module)
    upward = sorted(f"{dep} (layer {_layer(dep)})" for dep in _imports(module, path) if _layer(dep) > own)
    assert not upward, f"micrograd_like.{module} (layer {own}) imports from above: {', '.join(upward)}"


# The engine's layer is one chain: Value and the walks <- the registry <- the op definitions
# <- the public faces. A module imports only from its own link or the links before it.
CHAIN = {
    "_core": 0,
    "_symbolic": 0,  # the tree type and printer: it imports nothing of the chain
    "_registry": 1,
    "_opcheck": 1,  # the registry's checks of user ops
    "_ops": 2,
    "functions": 2,
    "engine": 3,
    "registry": 3,
    "gradcheck": 3,
}


# Imports inside a function, run when it is called (all modules loaded by then), that
# go up the chain: defop(check=True) gradchecks the new op with the public gradcheck.
CALL_TIME = {("_opcheck", "gradcheck")}


def _chain_violations(module: str, imports: set[str]) -> list[str]:
    up = (dep for dep in imports if dep in CHAIN and CHAIN[dep] > CHAIN[module])
    return sorted(dep for dep in up if (module, dep) not in CALL_TIME)


@pytest.mark.parametrize("module", sorted(CHAIN))
def test_the_engine_layer_is_a_one_way_chain(module):
    assert _layer(module) == 1
    wrong = _chain_violations(module, _imports(module, _modules()[module]))
    assert not wrong, f"micrograd_like.{module} (link {CHAIN[module]}) imports later links: {wrong}"


def test_every_engine_layer_module_has_a_link_in_the_chain():
    assert {m for m in _modules() if m and _layer(m) == 1} == set(CHAIN)


def test_the_chain_check_sees_a_backward_import(tmp_path):
    # The old engine imported the registry half-way through and functions at its tail.
    fake = tmp_path / "_core.py"
    fake.write_text("from ._registry import REGISTRY\nfrom . import functions\n")
    assert _chain_violations("_core", _imports("_core", fake)) == ["_registry", "functions"]


def test_the_core_names_no_op():
    # Value and the walks know no op: no registered op's name (as a name or a string) and
    # no op constant (ADD_OP, TANH_OP) in the core's code, its type-checking declarations aside.
    import builtins

    from micrograd_like.registry import REGISTRY

    tree = ast.parse(_modules()["_core"].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            node.body = []
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - set(dir(builtins))  # abs() is Python's
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    ops = {name for name, spec in REGISTRY.items() if not spec.user}  # other tests' ops may be called "a"
    assert not (names | strings) & ops
    assert not {n for n in names if n.strip("_").lower() in ops}


def test_the_checker_sees_a_wrong_way_import(tmp_path):
    # The check itself must be able to fail: an engine that imports nn is caught.
    fake = tmp_path / "engine.py"
    fake.write_text("from .nn import MLP\nfrom micrograd_like.viz import draw_dot\n")
    assert _imports("engine", fake) == {"nn", "viz"}
    assert all(_layer(dep) > _layer("engine") for dep in _imports("engine", fake))


def test_every_module_is_in_the_architecture_document():
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for top in LAYERS:
        assert top.strip("_") in text, f"docs/architecture.md does not mention {top}"


def test_the_lower_layers_need_only_the_standard_library():
    code = (
        "import sys\n"
        "sys.modules['graphviz'] = None\n"  # None makes any import of them fail
        "sys.modules['tqdm'] = None\n"
        "import micrograd_like, micrograd_like.engine, micrograd_like.functions, micrograd_like.gradcheck\n"
        "import micrograd_like.nn, micrograd_like.losses, micrograd_like.optim, micrograd_like.compiled\n"
        "from micrograd_like import Value, defop, explain\n"
        "x = Value(2.0)\n"
        "y = (x * x).sin()\n"
        "y.backward()\n"
        "print(round(x.grad, 6))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "-2.614574"  # d/dx sin(x*x) = 2x cos(x*x) at x = 2


# -- a narrow internal API: no module reaches into another's private names ---------------------

# Modules still reading another module's private names, with the names; each entry is a debt.
PRIVATE_READS_ALLOWED: dict[str, set[str]] = {}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _private_reads(module: str, path: Path) -> set[str]:
    """``module.name`` for every underscored name ``module`` imports from, or reads off, another module
    of the package. Importing a private *module* (``from . import _labels``) is fine: its
    un-underscored names are its interface within the package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    modules = set(_modules())
    aliases: dict[str, str] = {}  # local name -> package module it is bound to
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("micrograd_like")):
            if node.level:
                base = ".".join(package[: len(package) - (node.level - 1)] + ([node.module] if node.module else []))
            else:
                base = ".".join(node.module.split(".")[1:])
            for a in node.names:
                target = f"{base}.{a.name}".lstrip(".")
                if target in modules:
                    aliases[a.asname or a.name] = target
                elif _private(a.name):
                    found.add(f"{base}.{a.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and _private(node.attr):
            target = aliases.get(node.value.id)
            if target is not None and target != module:
                found.add(f"{target}.{node.attr}")
    return found


@pytest.mark.parametrize("module", sorted(m for m in _modules() if m))
def test_no_module_reads_another_modules_private_names(module):
    reads = _private_reads(module, _modules()[module]) - PRIVATE_READS_ALLOWED.get(module, set())
    assert not reads, (
        f"micrograd_like.{module} uses private names of other modules: {sorted(reads)}; "
        "give the owner a public name for it (see docs/architecture.md, the internal API)"
    )


def test_the_private_name_check_sees_both_spellings(tmp_path):
    fake = tmp_path / "ledger.py"
    fake.write_text(
        "from .engine import _node, Value\nfrom . import engine\nfrom . import _checks\nengine._WALK_LOCK\n"
    )
    assert _private_reads("ledger", fake) == {"engine._node", "engine._WALK_LOCK"}
