"""A public name means one thing: no public module gives a name of the package to something else.

``micrograd_like.explain`` is the chain-rule ledger; a ``symmetry.explain`` that wrote
the verdict's sentences made ``from micrograd_like.symmetry import *`` shadow it.
"""

from __future__ import annotations

import importlib
import pkgutil

import micrograd_like


def _public_modules():
    for info in pkgutil.walk_packages(micrograd_like.__path__, "micrograd_like."):
        parts = info.name.split(".")
        if not any(part.startswith("_") for part in parts[1:]):  # __main__ and private modules left out
            yield importlib.import_module(info.name)


def test_no_public_module_exports_a_package_name_for_something_else():
    package = {name: getattr(micrograd_like, name) for name in micrograd_like.__all__}
    clashes = [
        f"{module.__name__}.{name}"
        for module in _public_modules()
        for name in getattr(module, "__all__", ())
        if name in package and getattr(module, name) is not package[name]
    ]
    assert clashes == []


def test_the_symmetry_verdict_sentences_have_their_own_name():
    from micrograd_like import symmetry

    assert "verdict_paragraphs" in symmetry.__all__ and not hasattr(symmetry, "explain")
