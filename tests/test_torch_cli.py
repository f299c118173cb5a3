"""`micrograd-like symmetry --torch`: this engine's gradients next to PyTorch's, or one line without it."""

from __future__ import annotations

import re
import subprocess
import sys

from cli_run import in_process


def test_symmetry_torch_prints_both_engines_gradients_first(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = in_process("symmetry", "--torch", "--steps", "0", "--out", "pics")
    assert code == 0, err
    assert out.startswith("The constant 1 start's first backward pass, this engine next to PyTorch:\n")
    table, rest = out.split("\nPlain SGD", 1)  # the comparison comes before the training table
    rows = [line for line in table.splitlines() if line.startswith("layers.")]
    assert len(rows) == 29
    assert rows[0].split()[:2] == ["layers.0.neurons.0.w.0", "0.weight[0,"]
    largest = re.search(r"^largest difference: (\S+) \((\S+)\) over 29 parameters$", table, re.M)
    assert largest and float(largest.group(1)) <= 1e-12
    ours = {line.split()[0]: float(line.split()[-3]) for line in rows}
    theirs = {line.split()[0]: float(line.split()[-2]) for line in rows}
    assert format(max(abs(ours[k] - theirs[k]) for k in ours), ".3g") == largest.group(1)
    assert "interchangeable hidden neurons" in rest  # the usual run follows


def test_symmetry_torch_compares_the_chosen_start(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = in_process("symmetry", "--torch", "--init", "xavier", "--seed", "3", "--steps", "0", "--out", "p")
    assert code == 0, err
    assert out.startswith("The random (xavier, seed 3) start's first backward pass, this engine next to PyTorch:")


def test_symmetry_torch_without_pytorch_is_one_line_and_exit_1(tmp_path):
    code = (
        "import sys\n"
        "sys.modules['torch'] = None\n"  # None makes any import of it fail, as if it were not installed
        "from micrograd_like.cli import main\n"
        "sys.exit(main(['symmetry', '--torch', '--out', 'pics']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stdout == ""  # refused before training
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("micrograd-like symmetry: failed: --torch needs PyTorch")
    assert lines[0].endswith("install the torch extra: pip install 'micrograd-like[torch]'")
