"""``compare_with_torch``: this engine's gradients next to PyTorch's, parameter by parameter.

The model is exported with :func:`~micrograd_like.torch_bridge.to_torch` and both
engines compute the same cost from the same inputs; the result is a table
(:class:`TorchComparison`) of every parameter's two gradients and their difference.
PyTorch is imported when the function is called, never when this module is.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from micrograd_like._checks import check_instance, describe
from micrograd_like.engine import Value, grad
from micrograd_like.nn import MLP
from micrograd_like.torch_bridge import require_torch, to_torch, torch_name, torch_place

__all__ = ["GradientRow", "TorchComparison", "compare_with_torch"]

_LOSS_HINT = (
    "it is called on this engine's outputs (Values) and on PyTorch's (0-d tensors, nested the same way), "
    "so build it from arithmetic, e.g. lambda outs: sum((o - t) ** 2 for out, tgt in zip(outs, targets) "
    "for o, t in zip(out, tgt))"
)


@dataclass(frozen=True)
class GradientRow:
    """One parameter: its name here and in the torch module, and both gradients."""

    name: str
    torch_name: str
    ours: float
    theirs: float

    @property
    def difference(self) -> float:
        """``|ours - theirs|``."""
        return abs(self.ours - self.theirs)


@dataclass(frozen=True)
class TorchComparison:
    """The cost and every parameter's gradient, from this engine and from PyTorch.

    ``str()`` of it is a table, one row per parameter, ending with the largest difference.
    """

    cost: float
    torch_cost: float
    rows: tuple[GradientRow, ...]

    @property
    def largest(self) -> GradientRow:
        """The row with the largest gradient difference (the first such)."""
        return max(self.rows, key=lambda r: r.difference)

    @property
    def largest_difference(self) -> float:
        """The largest ``|ours - theirs|`` over every parameter."""
        return self.largest.difference

    def __str__(self) -> str:
        header = ("parameter", "in torch", "micrograd_like grad", "PyTorch grad", "|difference|")
        body = [(r.name, r.torch_name, repr(r.ours), repr(r.theirs), f"{r.difference:.3g}") for r in self.rows]
        widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

        def line(cells: Sequence[str]) -> str:
            return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

        largest = self.largest
        return "\n".join(
            [
                f"cost: micrograd_like {self.cost!r}, PyTorch {self.torch_cost!r}, "
                f"difference {abs(self.cost - self.torch_cost):.3g}",
                "",
                line(header),
                line(["-" * w for w in widths]),
                *(line(cells) for cells in body),
                "",
                f"largest difference: {largest.difference:.3g} ({largest.name}) over {len(self.rows)} parameters",
            ]
        )


def _check_inputs(inputs: Any, nin: int) -> list[list[float]]:
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence) or not inputs:
        raise TypeError(f"inputs must be a non-empty list of input vectors, got {describe(inputs)}")
    rows = []
    for n, x in enumerate(inputs):
        if isinstance(x, (str, bytes)) or not isinstance(x, Sequence) or len(x) != nin:
            raise ValueError(f"inputs[{n}] must be a list of {nin} numbers (the model's inputs), got {describe(x)}")
        bad = [k for k, v in enumerate(x) if isinstance(v, bool) or not isinstance(v, numbers.Real)]
        if bad:
            raise TypeError(f"inputs[{n}][{bad[0]}] must be a number, got {describe(x[bad[0]])}")
        rows.append([float(v) for v in x])
    return rows


def _our_side(model: MLP, rows: list[list[float]], loss: Callable[[list], Any]) -> tuple[float, list[float]]:
    outputs = []
    for x in rows:
        out = model(x)
        outputs.append(list(out) if isinstance(out, list) else [out])
    cost = loss(outputs)
    if not isinstance(cost, Value):
        raise TypeError(f"loss(outputs) must return a Value for this engine's outputs, got {describe(cost)}")
    return cost.data, grad(cost, model.parameters())


def _torch_side(torch: Any, net: Any, rows: list[list[float]], loss: Callable[[list], Any]) -> float:
    y = net(torch.tensor(rows, dtype=torch.float64))
    outputs = [[y[n, j] for j in range(y.shape[1])] for n in range(y.shape[0])]
    try:
        cost = loss(outputs)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"loss failed on PyTorch's outputs ({exc}); {_LOSS_HINT}") from exc
    if not isinstance(cost, torch.Tensor) or cost.dim() != 0:
        raise TypeError(f"loss(outputs) must return a 0-d tensor for PyTorch's outputs, got {describe(cost)}")
    if not cost.requires_grad:
        raise ValueError(
            "loss(outputs) does not depend on PyTorch's outputs (did it read .data or call float()?); "
            "compute it from the outputs themselves"
        )
    cost.backward()
    return float(cost.item())


def compare_with_torch(model: MLP, inputs: Sequence[Sequence[float]], loss: Callable[[list], Any]) -> TorchComparison:
    """Compute ``loss`` and its gradients with this engine and with PyTorch, side by side.

    ``loss(outputs)`` gets ``outputs[n]``, the list of output values for
    ``inputs[n]``: Values for this engine, 0-d float64 tensors for PyTorch. The
    model is exported with ``to_torch`` (float64); no ``.grad`` of the model
    changes. Both engines round differently, so expect differences around 1e-16,
    never above 1e-12.

    Raises:
        ImportError: If PyTorch is not installed.
        TypeError: If ``model`` is not an MLP, ``inputs`` not a list of number lists,
            ``loss`` not callable or failing on either engine's outputs.
        ValueError: If an input vector has the wrong length, a layer cannot be exported, or the
            loss does not depend on PyTorch's outputs.
    """
    check_instance(model, "model", MLP, "an MLP", example="MLP(2, [3, 3, 2])")
    if not callable(loss):
        raise TypeError(f"loss must be a function of the outputs, got {describe(loss)}; {_LOSS_HINT}")
    rows = _check_inputs(inputs, model.nin)
    torch = require_torch("compare_with_torch")
    net = to_torch(model)
    cost, ours = _our_side(model, rows, loss)
    torch_cost = _torch_side(torch, net, rows, loss)
    names = [name for name, _ in model.named_parameters()]
    tensors = dict(net.named_parameters())
    table = []
    for name, g in zip(names, ours):
        tensor, index = torch_place(net, name)
        theirs = float(tensors[tensor].grad[index].item())
        table.append(GradientRow(name, torch_name(net, name), float(g), theirs))
    return TorchComparison(cost, torch_cost, tuple(table))
