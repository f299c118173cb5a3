"""Which Values belong to which neuron, and which neurons get the same gradients.

A neuron is known by its parameters' names (``layers.0.neurons.2.w.1``,
``layers.0.neurons.2.b``, as :mod:`micrograd_like.nn` labels them): the name
without its ``.w.<k>``/``.b`` slot is the neuron's. A computed Value belongs to
the neuron of its parameter inputs (``w * x``), or else to the neuron all its
inputs belong to (``b + w*x``, ``sigmoid(...)``); anything else (the inputs, the
loss's terms) belongs to no neuron.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Neuron", "block_key", "neurons_of", "same_gradient_neurons"]

_PARAMETER = re.compile(r"^(?P<owner>.+)\.(?P<slot>w\.\d+|b)$")


def block_key(v: Any) -> str | None:
    """The default box of a Value: its label, with nn's ``.w.<k>``/``.b`` suffix cut off.

    So ``layers.0.neurons.3.w.1`` and ``layers.0.neurons.3.b`` land in the box
    ``layers.0.neurons.3`` (one box per neuron), any other label is a box of its own,
    and an unlabelled Value gets None (its box is decided by its inputs).
    """
    label = str(v.label)
    if not label:
        return None
    m = _PARAMETER.match(label)
    return m.group("owner") if m else label


@dataclass(frozen=True)
class Neuron:
    """One neuron of a drawn graph: its name, its parameters by slot, every node index it owns."""

    name: str
    slots: tuple[tuple[str, int], ...]  # ("w.0", node index), ..., ("b", node index), in slot order
    members: tuple[int, ...]

    @property
    def layer(self) -> str:
        """The name of its layer: ``layers.0.neurons`` for ``layers.0.neurons.2``."""
        return self.name.rpartition(".")[0]

    @property
    def number(self) -> str:
        """Its last name part: ``2`` for ``layers.0.neurons.2``."""
        return self.name.rpartition(".")[2]


def neurons_of(nodes: Sequence[Any]) -> list[Neuron]:
    """The neurons of ``nodes`` (inputs before the Values computed from them), sorted by name."""
    owner: list[str | None] = [None] * len(nodes)
    index = {id(v): i for i, v in enumerate(nodes)}
    slots: dict[str, list[tuple[str, int]]] = {}
    params: set[int] = set()
    for i, v in enumerate(nodes):
        children = v.children
        m = _PARAMETER.match(str(v.label)) if not children else None
        if m:
            owner[i] = m.group("owner")
            slots.setdefault(m.group("owner"), []).append((m.group("slot"), i))
            params.add(i)
            continue
        kids = [index[id(c)] for c in children]
        from_params = {owner[k] for k in kids if k in params}
        from_all = {owner[k] for k in kids}
        candidates = from_params or (from_all if None not in from_all else set())
        owner[i] = candidates.pop() if len(candidates) == 1 else None
    members: dict[str, list[int]] = {}
    for i, name in enumerate(owner):
        if name is not None:
            members.setdefault(name, []).append(i)
    found = [Neuron(name, tuple(sorted(slots[name], key=_slot_order)), tuple(m)) for name, m in members.items()]
    return sorted(found, key=lambda n: _natural(n.name))


def _natural(name: str) -> list[tuple[int, int | str]]:
    """Sort key that puts ``layers.2`` before ``layers.10``."""
    return [(0, int(part)) if part.isdigit() else (1, part) for part in name.split(".")]


def _slot_order(slot: tuple[str, int]) -> tuple[int, int]:
    name = slot[0]
    return (1, 0) if name == "b" else (0, int(name.removeprefix("w.")))


def same_gradient_neurons(neurons: Sequence[Neuron], grads: Sequence[float], rtol: float) -> list[list[Neuron]]:
    """Groups (two or more) of neurons of one layer whose parameters get the same gradients, slot by slot.

    Each neuron joins the first group whose first neuron has the same slots and,
    in every slot, a gradient within ``rtol`` of its own. Neurons with a NaN or
    infinite gradient, or with every gradient 0 (nothing flows back), join none.
    """
    groups: list[list[Neuron]] = []
    for n in neurons:
        values = [grads[i] for _, i in n.slots]
        if not all(math.isfinite(g) for g in values) or not any(values):
            continue
        for group in groups:
            if _alike(group[0], n, grads, rtol):
                group.append(n)
                break
        else:
            groups.append([n])
    return [g for g in groups if len(g) > 1]


def _alike(a: Neuron, b: Neuron, grads: Sequence[float], rtol: float) -> bool:
    if a.layer != b.layer or [s for s, _ in a.slots] != [s for s, _ in b.slots]:
        return False
    return all(math.isclose(grads[i], grads[j], rel_tol=rtol, abs_tol=0.0) for (_, i), (_, j) in zip(a.slots, b.slots))
