"""Text for Graphviz: user text shown exactly as written, and the HTML-like label pieces.

Graphviz reads backslash sequences in labels (``\\N`` is the node's name, ``\\G``
the graph's, ``\\n`` a line break, ...) and decodes ``&...;`` entities, even in
plain labels. So every piece of user text goes through one of three helpers:
:func:`h` (inside an HTML-like label), :func:`plain` (a plain label) and
:func:`tooltip` (a tooltip). Each escapes ``& < > " '`` as entities and doubles
every backslash; a tooltip goes through two rounds of backslash processing in
Graphviz (its newline pass, then the ``\\N``-style substitution), so there a
backslash is written as four. tests/test_viz_text.py pins all of it on real ``dot``
output.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import graphviz

__all__ = [
    "count",
    "graph_label",
    "h",
    "plain",
    "printable",
    "row",
    "swatch_row",
    "table",
    "tooltip",
]


def printable(text: Any) -> str:
    """Control characters replaced by visible escapes, so that no label breaks a line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def _literal(text: Any, backslash: str) -> str:
    return html.escape(printable(text), quote=True).replace("\\", backslash)


def h(text: Any) -> str:
    """User text for inside an HTML-like label, drawn exactly as written."""
    return _literal(text, "\\\\")


def plain(text: Any) -> str:
    """User text as a plain label (escString), drawn exactly as written."""
    return graphviz.nohtml(_literal(text, "\\\\"))


def tooltip(lines: Sequence[Any]) -> str:
    """A tooltip of several lines of user text, each shown exactly as written."""
    return graphviz.nohtml("\\n".join(_literal(line, "\\\\\\\\") for line in lines))


def table(rows: Sequence[str], **attrs: str) -> str:
    """An HTML-like ``<table>`` of ready-made ``<tr>`` rows, borderless unless ``attrs`` say otherwise."""
    settings = {
        "border": "0",
        "cellborder": "0",
        "cellspacing": "0",
        "cellpadding": "1",
        **attrs,
    }
    head = " ".join(f'{k}="{v}"' for k, v in settings.items())
    return f"<table {head}>{''.join(rows)}</table>"


def row(*cells: str, bold_first: bool = False) -> str:
    """One ``<tr>``: a single cell spanning two columns, or a left/right pair."""
    if len(cells) == 1:
        text = f"<b>{cells[0]}</b>" if bold_first else cells[0]
        return f'<tr><td colspan="2">{text}</td></tr>'
    left, right = cells
    return f'<tr><td align="left">{left}</td><td align="right">{right}</td></tr>'


def swatch_row(tag: str, html_text: str, fill: str | None, border_color: str = "#444444") -> str:
    """A legend line: a coloured square glyph, the group letter, then ``html_text``."""
    # A glyph rather than a table cell: Graphviz stretches nested-table columns to
    # their cell, which pushed the text away from its swatch under a wide title.
    glyph = "&#9632;" if fill else "&#9633;"  # filled square, or hollow for "no fill"
    return f'<font color="{fill or border_color}" point-size="18">{glyph}</font> <b>{h(tag)}</b>&#160; {html_text}'


def graph_label(title: str | None, header: str | None, rows: list[str]) -> str:
    """The graph's own label: an optional title, then the legend box, top left.

    The legend lives in the graph label rather than in a node: a disconnected node
    would sit in the first rank and widen that whole column of the picture. Legend
    lines are separated by ``<br align="left"/>`` so that each is flush left.
    """
    parts = []
    if title:
        lines = [h(line) for line in title.split("\n")]
        lines[0] = f'<font point-size="15"><b>{lines[0]}</b></font>'
        parts += [f'<tr><td align="left">{line}</td></tr>' for line in lines]
    if header is not None:
        # the last line takes its alignment from balign; a final <br/> would add a blank line
        text = '<br align="left"/>'.join([f"<b>{header}</b>", *rows])
        legend = table(
            [f'<tr><td align="left" balign="left">{text}</td></tr>'],
            border="1",
            cellpadding="5",
            color="#888888",
            bgcolor="#FFFFFF",
        )
        parts.append(f'<tr><td align="left">{legend}</td></tr>')
    return "<" + table(parts, cellspacing="4", cellpadding="0") + ">"


def count(n: int, noun: str = "node") -> str:
    """``"1 node"``, ``"3 nodes"``."""
    return f"{n:,} {noun}{'s' if n != 1 else ''}"
