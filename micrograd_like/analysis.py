"""Analysis of trained or untrained networks: which neurons can gradient descent never tell apart.

:func:`find_symmetric_neurons` reads an :class:`~micrograd_like.nn.MLP`'s
weights and reports groups of hidden neurons that are interchangeable. It is
also importable as ``micrograd_like.nn.find_symmetric_neurons`` and
``micrograd_like.find_symmetric_neurons``.
"""

from __future__ import annotations

from typing import Any

from micrograd_like._checks import check_real
from micrograd_like.nn import Layer, Neuron

__all__ = ["find_symmetric_neurons"]


def _close(a: float, b: float, tol: float) -> bool:
    return a == b if tol == 0.0 else abs(a - b) <= tol


def _check_layers(model: Any) -> list[Layer]:
    layers = getattr(model, "layers", None)
    if not isinstance(layers, list) or not all(isinstance(layer, Layer) for layer in layers):
        raise TypeError(
            f"find_symmetric_neurons needs an MLP (something with .layers, a list of "
            f"Layer), got {type(model).__name__}; pass the model, e.g. MLP(2, [3, 1])"
        )
    return layers


def _groups_in_layer(neurons: list[Neuron], nxt: list[Neuron], tol: float) -> list[list[int]]:
    """Connected components (of two or more) of the "interchangeable" relation in one layer."""

    def signature(j: int) -> list[float]:
        n = neurons[j]
        return [w.data for w in n.w] + [n.b.data] + [m.w[j].data for m in nxt]

    sigs = [signature(j) for j in range(len(neurons))]
    parent = list(range(len(neurons)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for j in range(len(neurons)):
        for k in range(j + 1, len(neurons)):
            if neurons[j].activation != neurons[k].activation:
                continue
            if all(_close(a, b, tol) for a, b in zip(sigs[j], sigs[k])):
                rj, rk = find(j), find(k)
                if rj != rk:
                    parent[max(rj, rk)] = min(rj, rk)
    members: dict[int, list[int]] = {}
    for j in range(len(neurons)):
        members.setdefault(find(j), []).append(j)
    return [members[root] for root in sorted(members) if len(members[root]) > 1]


def find_symmetric_neurons(model: Any, tol: float = 0.0) -> list[tuple[int, list[int]]]:
    """Find groups of hidden neurons that gradient descent can never tell apart.

    Rule: neurons ``j`` and ``k`` of hidden layer ``i`` (any layer but the
    last) are *interchangeable* when they have the same activation, equal
    incoming weights (``w[j][m] == w[k][m]`` for every input ``m``), equal
    biases, and equal outgoing weights (``layers[i+1].neurons[n].w[j] ==
    layers[i+1].neurons[n].w[k]`` for every neuron ``n`` of the next layer).

    Why they stay interchangeable (proof sketch): swapping ``j`` and ``k``
    (their incoming weights, biases and outgoing weights together) is a
    permutation ``P`` of the parameters that never changes what the network
    computes, so the loss satisfies ``L(P θ) = L(θ)`` and, by the chain rule,
    ``∇L(P θ) = P ∇L(θ)``. At a point with ``P θ = θ`` this gives
    ``∇L(θ) = P ∇L(θ)``: the two neurons get identical gradients. An update
    that treats every parameter alike (SGD, momentum, weight decay, Adam) then
    gives ``P θ' = θ'`` again, and by induction they stay equal forever. In
    floating point the equality is exact, because both neurons perform the
    same operations on the same numbers. Output neurons are never reported:
    each has its own target, so swapping them changes the loss.

    Groups are the connected components of the pairwise relation, so with
    ``tol > 0`` a group's ends may differ by more than ``tol``.

    Args:
        model: An :class:`~micrograd_like.nn.MLP` (or anything with ``.layers``,
            a list of :class:`~micrograd_like.nn.Layer`).
        tol: Largest absolute difference counted as equal. ``0.0`` (default)
            means bit-for-bit equality, which is what plain gradient descent
            preserves.

    Returns:
        ``[(layer_index, [neuron indices]), ...]`` for every group of two or
        more interchangeable neurons, ordered by layer then first neuron;
        ``[]`` when every neuron can learn something different.

    Raises:
        TypeError: If ``model`` has no ``layers`` or ``tol`` is not a number.
        ValueError: If ``tol`` is negative or not finite.
    """
    layers = _check_layers(model)
    tol = check_real(tol, "tol", minimum=0.0, example=0.0)
    groups: list[tuple[int, list[int]]] = []
    for li in range(len(layers) - 1):  # the last layer holds output neurons
        for members in _groups_in_layer(layers[li].neurons, layers[li + 1].neurons, tol):
            groups.append((li, members))
    return groups
