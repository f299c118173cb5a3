"""The linear layers hidden in a recording, so that a batch computes them as matrix products.

A neuron records ``((b + w0*x0) + w1*x1) + ...``: a chain of adds over products of a
shared leaf (a weight) and a per-sample value. Over a batch each product and each add
is a pass over the samples; the neurons that read the same inputs in the same order
(a layer) are one matrix product instead, forward (``W @ X``) and backward
(``W.T @ G`` and ``G @ X.T``). :func:`linear_groups` finds them; a chain whose inner
values are read anywhere else is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Member", "Group", "linear_groups"]


@dataclass
class Member:
    """One neuron: ``out = bias + sum(weights[i] * xs[i])``; ``inner``: the slots it replaces."""

    out: int
    bias: int  # a shared leaf's slot, or -1 for none
    weights: list[int]
    inner: list[int]


@dataclass
class Group:
    """Neurons reading the same per-sample values in the same order: one matrix product."""

    xs: tuple[int, ...]
    members: list[Member]

    @property
    def at(self) -> int:
        """Where the group is computed: the first member's output (every x is ready there)."""
        return min(m.out for m in self.members)


def _term(plan: Any, slot: int, varies: list[bool], uses: list[int], mul: Any) -> tuple[int, int] | None:
    """(weight slot, x slot) when ``slot`` is a product of a shared leaf and a per-sample value read once."""
    if plan.ops[slot] is not mul or uses[slot] != 1:
        return None
    a, b = plan.a[slot], plan.b[slot]
    for w, x in ((a, b), (b, a)):
        if plan.ops[w] is None and not varies[w] and varies[x]:
            return w, x
    return None


def _member(plan: Any, out: int, varies: list[bool], uses: list[int], ops: tuple) -> tuple[Member, tuple] | None:
    """The chain of adds ending at ``out`` as a neuron, or None."""
    add, mul = ops
    terms, inner, node = [], [], out
    while plan.ops[node] is add and (node == out or uses[node] == 1):
        term = _term(plan, plan.b[node], varies, uses, mul)
        if term is None:
            return None
        terms.append(term)
        inner += [node, plan.b[node]]
        node = plan.a[node]
    bias = -1
    last = _term(plan, node, varies, uses, mul)
    if last is not None:
        terms.append(last)
        inner.append(node)
    elif plan.ops[node] is None and not varies[node]:
        bias = node
    else:
        return None
    if len(terms) < 2:
        return None
    terms.reverse()  # in the order the neuron added them
    return Member(out, bias, [w for w, _ in terms], inner), tuple(x for _, x in terms)


def linear_groups(plan: Any, varies: list[bool], add: Any, mul: Any) -> list[Group]:
    """The neurons of ``plan`` grouped by the values they read; ``add``, ``mul``: the engine's ops."""
    uses = [0] * len(plan.ops)
    for slot in range(len(plan.ops)):
        for x in (plan.a[slot], plan.b[slot]):
            if x >= 0:
                uses[x] += 1
    for slot in (len(plan.ops) - 1, *plan.aux):  # an output is read by the caller too
        uses[slot] += 1
    groups: dict[tuple, Group] = {}
    taken: set[int] = set()
    for out in range(len(plan.ops) - 1, -1, -1):  # the outermost add of a chain first
        if out in taken or plan.ops[out] is not add:
            continue
        found = _member(plan, out, varies, uses, (add, mul))
        if found is None:
            continue
        member, xs = found
        taken.update(member.inner)
        groups.setdefault(xs, Group(xs, [])).members.append(member)
    for group in groups.values():
        group.members.sort(key=lambda m: m.out)
    return list(groups.values())
