"""The findings of ``diagnose`` drawn on the network view: dead neurons grey, saturated neurons marked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from micrograd_like._checks import check_instance

from . import _labels as L
from ._groups import fmt
from ._style import SATURATED_COLOR, ZERO_COLOR

if TYPE_CHECKING:  # diagnose needs nn, imported lazily when a diagnosis is drawn
    from micrograd_like.diagnose import Diagnosis

__all__ = ["Findings", "read_findings"]

#: Legend text of the marks (tests read the rendered legend for these words).
DEAD_WORDS = "dead ReLU: output 0 on every sample, so no gradient reaches its weights and bias"
SATURATED_WORDS = (
    "saturated sigmoid/tanh: local derivative below {threshold:g} on every sample (its largest in the neuron),"
    " so almost no gradient passes through"
)
NO_PROBLEM_WORDS = "no problem found: no interchangeable, saturated or dead neurons, and the step size looks right"


@dataclass(frozen=True)
class Findings:
    """What the drawing marks, per neuron ``(layer, index)``, read from one ``Diagnosis``."""

    diagnosis: Diagnosis
    dead: frozenset[tuple[int, int]]
    saturated: dict[tuple[int, int], float]  # the unit's largest local derivative over the samples

    def neuron_rows(self, i: int, j: int) -> list[str]:
        """Extra label rows of neuron ``j`` of layer ``i``."""
        rows = []
        if (i, j) in self.dead:
            rows.append(L.row(L.h("dead: output 0")))
        if (i, j) in self.saturated:
            colour = f'<font color="{SATURATED_COLOR}">'
            rows.append(L.row(f"{colour}local deriv.</font>", f"{colour}&#8804; {fmt(self.saturated[i, j], 2)}</font>"))
        return rows

    def neuron_tooltip(self, i: int, j: int) -> list[str]:
        lines = []
        if (i, j) in self.dead:
            lines.append(DEAD_WORDS)
        if (i, j) in self.saturated:
            lines.append(f"saturated: local derivative at most {self.saturated[i, j]!r} on every sample")
        return lines

    def neuron_attrs(self, i: int, j: int, style: list[str], group_fill: str | None) -> dict[str, str]:
        """Fill and border of a marked neuron; ``style`` is its style list so far (changed in place).

        A dead neuron of an interchangeable group keeps the group's colour as a thick border.
        """
        attrs: dict[str, str] = {}
        if (i, j) in self.dead:
            attrs["fillcolor"] = ZERO_COLOR
            if group_fill is not None:
                attrs.update(color=group_fill, penwidth="4")
            if "filled" not in style:
                style.append("filled")
            attrs["class"] = "dead"
        if (i, j) in self.saturated:
            attrs.update(peripheries="2", color=SATURATED_COLOR, penwidth="2")
            if "rounded" in style:
                style.remove("rounded")  # Graphviz draws one border only around a rounded box
            attrs["class"] = " ".join(filter(None, [attrs.get("class"), "saturated"]))
        return attrs

    def layer_note(self, i: int) -> str:
        """What the cluster label of layer ``i`` adds: the layer's gradient norm at the start."""
        norms = self.diagnosis.grad_norms
        return f", gradient norm {fmt(norms[i], 2)}" if i < len(norms) else ""

    def legend_rows(self, dead_in_groups: bool = False) -> list[str]:
        d = self.diagnosis
        names = {"symmetric": "interchangeable neurons (coloured above)", "saturated": "saturated units"}
        names |= {"dead": "dead ReLUs", "step too large": "step too large", "step too small": "step too small"}
        found = ", ".join(names[f] for f in d.findings) or NO_PROBLEM_WORDS
        rows = [f"<b>diagnosis</b> of the starting weights: {L.h(found)}"]
        if self.dead:
            rows.append(L.swatch_row("dead", f"grey fill ({_where(d.dead)}) = {L.h(DEAD_WORDS)}", ZERO_COLOR))
            if dead_in_groups:
                rows.append("a dead neuron of a group of interchangeable neurons has its group&#39;s colour as border")
        if self.saturated:
            from micrograd_like.diagnose import SATURATION_DERIVATIVE  # lazy: diagnose imports nn

            words = SATURATED_WORDS.format(threshold=SATURATION_DERIVATIVE)
            text = f'<font color="{SATURATED_COLOR}">double wine border</font> ({_where(d.saturated)}) = {L.h(words)}'
            rows.append(L.swatch_row("saturated", text, None, SATURATED_COLOR))
        if d.step is not None:
            rows.append(f"<b>step size</b> {L.h(_step_words(d))}")
        rows.append("each layer&#39;s title: the norm of its parameters&#39; gradient at the start")
        return rows


def _where(groups: Sequence[tuple[int, Sequence[int]]]) -> str:
    return L.h("; ".join(f"layers.{i}: neurons {', '.join(str(j) for j in js)}" for i, js in groups))


def _step_words(d: Diagnosis) -> str:
    first, last = d.costs[0], d.costs[-1]
    smaller = (
        f"; at lr {d.suggested_lr:g} it reaches {d.smaller_costs[-1]:.4g}" if d.step_trend == "overshooting" else ""
    )
    return (
        f"lr {d.lr:g} is {d.step} ({d.step_trend}): the cost went from {first:.4g} to {last:.4g} "
        f"in {d.steps} steps{smaller}; try lr {d.suggested_lr:g}"
    )


def read_findings(diagnosis: Any, shape: tuple[int, ...]) -> Findings | None:
    """The marks of ``diagnosis`` (None draws none) for a network of widths ``shape``, inputs first."""
    if diagnosis is None:
        return None
    from micrograd_like.diagnose import Diagnosis  # lazy: diagnose imports nn

    d = check_instance(diagnosis, "diagnosis", Diagnosis, "a Diagnosis", example="diagnose(model, X, Y, mse)")
    if tuple(d.shape) != shape:
        raise ValueError(
            f"diagnosis is of a {'-'.join(map(str, d.shape))} network but the model is "
            f"{'-'.join(map(str, shape))}; pass the diagnosis of this model, diagnose(model, ...)"
        )
    dead = frozenset((i, j) for i, js in d.dead for j in js)
    saturated = {(i, j): m for i, j, m in d.max_derivative}
    return Findings(d, dead, saturated)
