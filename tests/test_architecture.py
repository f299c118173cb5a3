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
    "engine": 1,
    "registry": 1,
    "_registry": 1,
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
