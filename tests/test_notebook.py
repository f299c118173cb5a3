"""examples/backprop_by_hand.ipynb runs from top to bottom: it fails here if the library changes under it."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "backprop_by_hand.ipynb"


def test_the_committed_notebook_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "the notebook has no code cells"
    assert all(c.outputs == [] and c.execution_count is None for c in code), "strip the outputs before committing"


def test_the_notebook_runs_and_tells_its_story(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # Its cells assert what they claim (by hand == backward(), identical gradients, the fix);
    # an assertion or any other error stops execution with CellExecutionError.
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "by hand == backward() for all 29 parameters" in text
    assert "= neuron 0, bit for bit" in text  # explain_network shows the twins
    # The closing section: both engines' gradients side by side (compare_with_torch, PyTorch for real).
    assert "micrograd_like grad" in text and "PyTorch grad" in text and "largest difference: " in text
    assert "PyTorch agrees to " in text and "its hidden neurons are twins too" in text
    pictures = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/svg+xml" in o.get("data", {})]
    assert len(pictures) == 3  # the op graph and the two network views
    pages = [
        o["data"].get("text/html", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs if "data" in o
    ]
    assert any("<iframe" in h and "Training the 2-3-3-2 network from both starts" in h for h in pages)
