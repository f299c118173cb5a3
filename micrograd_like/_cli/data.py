"""The files ``diagnose`` reads: a saved network and a CSV of inputs and targets.

Every problem becomes a :class:`Failure` (exit 1) whose one line names the file,
what is wrong with it and how to fix it.

The CSV layout: the first line is a header naming every column ``x0, x1, ...``
(the network's inputs, in order) or ``y0, y1, ...`` (its targets), in any
column order; each further line is one sample, a number in every column.
Blank lines are skipped.
"""

from __future__ import annotations

import csv
import math
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .console import Failure

#: The largest CSV ``diagnose`` reads: diagnose trains on every sample at every step, so a
#: file of more than a few thousand rows would take hours in pure Python anyway.
MAX_CSV_BYTES = 1024 * 1024

_COLUMN = re.compile(r"([xy])(\d+)")
_LAYOUT = "name the columns x0, x1, ... (inputs) and y0, y1, ... (targets) on the first line"


@dataclass(frozen=True)
class Samples:
    """Inputs and targets read from a CSV: one row of floats per sample."""

    inputs: list[list[float]]
    targets: list[list[float]]


def load_network(path: Path) -> Any:
    """The MLP saved at ``path`` by ``Module.save``, built from the architecture the file records."""
    from ..nn import MLP
    from ..serialization import read_architecture

    try:
        arch = read_architecture(path)
        model = MLP(*_mlp_arguments(arch, path))
        model.load(path)
    except OSError as e:
        raise Failure(
            f"cannot read the model file {path}: {e.strerror or e}; give the path of a file Module.save wrote"
        ) from None
    except (ValueError, TypeError) as e:
        raise Failure(f"{e}" if str(path) in str(e) else f"{path}: {e}") from None
    return model


def _mlp_arguments(arch: dict[str, Any], path: Path) -> tuple[Any, ...]:
    """``(nin, nouts, activation, output_activation)`` of the MLP a file describes (MLP checks their types)."""
    kind = arch.get("type")
    if kind != "MLP":
        raise ValueError(f"{path} holds a {kind}, not an MLP; save the whole network (an MLP) with model.save")
    layers = arch.get("layers")
    if not isinstance(layers, list) or not layers or not all(isinstance(layer, dict) for layer in layers):
        raise ValueError(f"{path}: the architecture lists no layers; this file was not written by Module.save")
    hidden = {str(layer.get("activation")) for layer in layers[:-1]}
    if len(hidden) > 1 or any(not isinstance(layer.get("activation"), str) for layer in layers):
        raise ValueError(
            f"{path}: its hidden layers mix activations {sorted(hidden)}; diagnose reads networks "
            "that MLP(...) builds (one hidden activation, one output activation)"
        )
    activation = hidden.pop() if hidden else "relu"
    return arch.get("nin"), [layer.get("nout") for layer in layers], activation, layers[-1]["activation"]


def read_samples(path: Path) -> Samples:
    """Read the CSV at ``path`` (layout in this module's docstring)."""
    rows = list(_rows(path))
    if not rows:
        raise Failure(f"{path} is empty; {_LAYOUT}, then one sample per line")
    line, header = rows[0]
    xs, ys = _columns(header, path, line)
    inputs, targets = [], []
    for line, cells in rows[1:]:
        if len(cells) != len(header):
            raise Failure(
                f"{path} line {line} has {len(cells)} cells but the header has {len(header)}; "
                "give every sample one cell per column"
            )
        numbers = [_number(cell, path, line, name) for cell, name in zip(cells, header)]
        inputs.append([numbers[i] for i in xs])
        targets.append([numbers[i] for i in ys])
    if not inputs:
        raise Failure(f"{path} has a header but no samples; add one line of numbers per sample")
    return Samples(inputs, targets)


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    """``(line number, cells)`` of every non-blank line."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise Failure(f"{path} is not a regular file; give the path of a CSV file of inputs and targets")
        if info.st_size > MAX_CSV_BYTES:
            raise Failure(f"{path} is larger than {MAX_CSV_BYTES} bytes; diagnose a smaller sample of the data")
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            return [(reader.line_num, [c.strip() for c in row]) for row in reader if any(c.strip() for c in row)]
    except OSError as e:
        raise Failure(
            f"cannot read {path}: {e.strerror or e}; give the path of a CSV file of inputs and targets"
        ) from None
    except (UnicodeDecodeError, csv.Error) as e:
        raise Failure(
            f"{path} is not a readable CSV file ({e}); save it as UTF-8 text, values separated by commas"
        ) from None


def _columns(header: list[str], path: Path, line: int) -> tuple[list[int], list[int]]:
    """Positions of x0, x1, ... and of y0, y1, ... in the header."""
    found: dict[str, dict[int, int]] = {"x": {}, "y": {}}
    for position, name in enumerate(header):
        m = _COLUMN.fullmatch(name)
        if not m:
            raise Failure(f"{path} line {line}: column {position + 1} is named {name!r}; {_LAYOUT}")
        kind, k = m[1], int(m[2])
        if k in found[kind]:
            raise Failure(f"{path} line {line}: column {name} appears twice; name each column once")
        found[kind][k] = position
    for kind, what in (("x", "input"), ("y", "target")):
        numbers = sorted(found[kind])
        if numbers != list(range(len(numbers))) or not numbers:
            missing = next(k for k in range(len(numbers) + 1) if k not in found[kind])
            raise Failure(f"{path} line {line}: no {what} column {kind}{missing}; {_LAYOUT}, counting from 0")
    return [found["x"][k] for k in sorted(found["x"])], [found["y"][k] for k in sorted(found["y"])]


def _number(cell: str, path: Path, line: int, column: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise Failure(f"{path} line {line}, column {column}: {cell!r} is not a finite number; write a number there")
    return value
