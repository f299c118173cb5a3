"""examples/backprop_by_hand.ipynb runs from top to bottom: it fails here if the library changes under it."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from micrograd_like import MLP, diagnose
from micrograd_like.losses import sse

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "backprop_by_hand.ipynb"
#: Cells of section 10 (broken three ways, diagnosed and fixed) carry this tag.
DIAGNOSE_TAG = "diagnose"


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
    code = [c for c in nb.cells if c.cell_type == "code"]
    before = [c for c in code if DIAGNOSE_TAG not in c.metadata.get("tags", [])]
    pictures = [o for c in before for o in c.outputs if "image/svg+xml" in o.get("data", {})]
    assert len(pictures) == 3  # the op graph and the two network views
    check_the_diagnose_section([c for c in code if DIAGNOSE_TAG in c.metadata.get("tags", [])])
    pages = [
        o["data"].get("text/html", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs if "data" in o
    ]
    assert any("<iframe" in h and "Training the 2-3-3-2 network from both starts" in h for h in pages)
    # The stepper page inline (its script and drawing inside the frame) and a ledger as a table.
    steps = [h for h in pages if "<iframe" in h and "The first backward pass of the 2-3-3-2 network, step by step" in h]
    assert len(steps) == 1 and 'sandbox="allow-scripts"' in steps[0] and "&lt;svg" in steps[0]
    tables = [h for h in pages if h.startswith('<table class="micrograd-ledger">')]
    assert len(tables) == 1 and "Backward pass from E, the value being differentiated" in tables[0]
    assert "<td>w1</td>" in tables[0] and "<td>a</td>" in tables[0]


def check_the_diagnose_section(cells) -> None:
    """Section 10 prints each broken network's report, draws its findings, and its fixes lower the cost."""
    text = "\n".join(o.get("text", "") for c in cells for o in c.outputs)
    xs, ys = [[0.8, 0.4], [0.3, 0.3]], [[0.2, 0.4], [1.0, 0.0]]
    sig = {"activation": "sigmoid", "output_activation": "sigmoid"}
    broken = [
        (MLP(2, [3, 3, 2], init=1.0, bias_init=1.0, **sig), 1.0, ("symmetric",)),
        (MLP(2, [3, 3, 2], init=5.0, bias_init=5.0, **sig), 1.0, ("symmetric", "saturated")),
        (MLP(2, [3, 3, 2], seed=0, **sig), 100.0, ("step too large",)),
    ]
    for model, lr, findings in broken:
        d = diagnose(model, xs, ys, sse, lr=lr)
        assert d.findings == findings
        assert all(sentence in text for sentence in d.report()), d.report()
    for words in ("Interchangeable neurons (", "Saturated units (", "The step size 100 is too large"):
        assert words in text
    runs = re.findall(r"^(.+?): cost (\S+) -> (\S+) in 300 steps; fixed \((.+?)\): (\S+) -> (\S+)$", text, re.M)
    assert [r[0] for r in runs] == ["every weight 1", "every weight 5", "lr 100"]
    for _, _, after, _, _, fixed_after in runs:
        assert float(fixed_after) < float(after)
    svgs = [o["data"]["image/svg+xml"] for c in cells for o in c.outputs if "image/svg+xml" in o.get("data", {})]
    assert len(svgs) == 3 and all("diagnosis" in svg for svg in svgs)
    assert "double wine border" in svgs[1] and "step size" in svgs[2]
