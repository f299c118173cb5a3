"""What a new user sees in a fresh interpreter, whatever was imported before (subprocesses)."""

from __future__ import annotations

import subprocess
import sys


def run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_exported_names_are_the_functions_even_where_a_submodule_shares_the_name():
    out = run(
        "import inspect, micrograd_like as ml\n"
        "for name in ml.__all__:\n"
        "    value = getattr(ml, name)\n"
        "    print(name, inspect.ismodule(value))\n"
    )
    modules = [line for line in out.splitlines() if line.endswith("True")]
    assert modules == [] and "gradcheck False" in out


def test_every_registered_method_exists_right_after_importing_value():
    out = run(
        "from micrograd_like import Value\n"
        "from micrograd_like.registry import REGISTRY\n"
        "x = Value(0.5)\n"
        "missing = [n for n in REGISTRY if REGISTRY[n].symbol is None and not hasattr(x, n)]\n"
        "print(missing, abs(Value(-2.0)).data, round(x.sin().data, 6))\n"
    )
    assert out == "[] 2.0 0.479426"


def test_every_submodule_can_be_the_first_import():
    # The engine layer is a chain (_core <- _registry <- _ops, functions <- engine, registry);
    # whichever link a program imports first, the engine and the registry end up complete,
    # one module each. The private links are included: the package's own modules import them.
    from micrograd_like import _SUBMODULES

    private = ("_core", "_registry", "_opcheck", "_ops")

    code = (
        "import importlib, sys\n"
        "module = importlib.import_module('micrograd_like.' + sys.argv[1])\n"
        "from micrograd_like import Value, engine, registry\n"
        "assert engine.REGISTRY is registry.REGISTRY is sys.modules['micrograd_like.registry'].REGISTRY\n"
        "print(sys.argv[1], round(Value(0.5).sin().data, 6), len(registry.REGISTRY) > 10)\n"
    )
    for name in (*_SUBMODULES, *private):
        result = subprocess.run([sys.executable, "-c", code, name], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"import micrograd_like.{name} first: {result.stderr}"
        assert result.stdout.strip() == f"{name} 0.479426 True"


def test_the_registry_loads_the_same_way_through_importlibs_own_recipes():
    out = run(
        "import importlib.util, sys\n"
        "spec = importlib.util.find_spec('micrograd_like.registry')\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules[spec.name] = module\n"
        "spec.loader.exec_module(module)\n"
        "from micrograd_like import engine\n"
        "print(module.REGISTRY is engine.REGISTRY, 'exp' in module.REGISTRY)\n"
    )
    assert out == "True True"
    result = subprocess.run([sys.executable, "-m", "micrograd_like.registry"], capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (0, "")
