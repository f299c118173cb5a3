"""``import micrograd_like`` needs only the standard library: drawing names load graphviz lazily."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import micrograd_like
from micrograd_like import viz


def run_without_graphviz(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter where ``import graphviz`` fails."""
    prelude = "import sys\nsys.modules['graphviz'] = None  # any import of graphviz now raises ImportError\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_engine_and_package_import_without_graphviz():
    result = run_without_graphviz(
        """
        import micrograd_like, micrograd_like.engine, micrograd_like.nn
        x = micrograd_like.Value(3.0)
        y = x * x
        y.backward()
        assert x.grad == 6.0, x.grad
        assert "micrograd_like.viz" not in sys.modules and "graphviz" not in [
            name for name, mod in sys.modules.items() if mod is not None
        ]
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_drawing_names_without_graphviz_raise_an_import_error_naming_the_fix():
    result = run_without_graphviz(
        """
        import micrograd_like
        for name in ("draw_dot", "draw_network", "draw_collapsed"):
            try:
                getattr(micrograd_like, name)
            except ImportError as exc:
                print(type(exc).__name__, exc)
            else:
                print("no error for", name)
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3
    for name, line in zip(("draw_dot", "draw_network", "draw_collapsed"), lines):
        assert line.startswith(f"ImportError micrograd_like.{name} draws with Graphviz"), line
        assert line.endswith("install it with: pip install graphviz"), line


def test_drawing_names_are_the_viz_functions_once_graphviz_is_there():
    assert micrograd_like.draw_dot is viz.draw_dot
    assert micrograd_like.draw_network is viz.draw_network
    assert micrograd_like.draw_collapsed is viz.draw_collapsed
    assert {"draw_dot", "draw_network", "draw_collapsed"} <= set(dir(micrograd_like))
    assert set(micrograd_like.__all__) <= set(dir(micrograd_like))


def test_unknown_attributes_are_still_attribute_errors():
    try:
        micrograd_like.draw_everything  # noqa: B018
    except AttributeError as exc:
        assert "draw_everything" in str(exc)
    else:
        raise AssertionError("micrograd_like.draw_everything should not exist")


def test_every_public_viz_name_is_importable_from_the_package():
    expected = {
        "nodes_and_edges", "trace", "draw_dot", "draw_network", "draw_collapsed", "block_key", "render", "resolve_output",
        "GraphvizNotFoundError",
        "INSTALL_HINT", "SUPPORTED_FORMATS", "PALETTE", "ZERO_COLOR", "NONFINITE_COLOR", "OTHER_BLOCK",
        "DEFAULT_MAX_NODES", "NETWORK_EDGE_LABEL_LIMIT", "INTERCHANGEABLE_MESSAGE",
    }  # fmt: skip
    assert expected <= set(viz.__all__)  # room for more views (a stepper page)
    assert all(hasattr(viz, name) for name in expected)
    assert viz.trace is viz.nodes_and_edges  # micrograd's name for the same walk
