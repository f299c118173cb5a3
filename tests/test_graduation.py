"""The "When you outgrow micrograd_like" code of docs/reference.md (linked from README) runs as written:
export, train with PyTorch, come back."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "reference.md"


def _section_code() -> str:
    text = REFERENCE.read_text(encoding="utf-8")
    section = text.split("## When you outgrow micrograd_like\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the section should hold exactly one Python block"
    return blocks[0]


def test_the_graduation_code_trains_in_pytorch_and_comes_back(tmp_path):
    code = _section_code()
    assert "ml.to_torch(" in code and "ml.from_torch(" in code and "torch.optim" in code
    script = tmp_path / "graduate.py"
    script.write_text(code, encoding="utf-8")
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr  # its assert: the model read back computes PyTorch's loss
    accuracy = re.search(r"^accuracy (\d\.\d\d)$", result.stdout, re.M)
    assert accuracy and float(accuracy.group(1)) >= 0.95  # trained by PyTorch (the untrained model: 0.76)
    assert "its backward pass, layer by layer" in result.stdout  # explain_network on the trained model
    drawing = (tmp_path / "trained_moons.svg").read_text(encoding="utf-8")
    assert "layers.0: hidden layer, tanh" in drawing
