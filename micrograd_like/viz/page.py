"""A self-contained HTML page that a notebook shows inline and a script saves to a file.

The stepper and the training timeline build one page each (inline SVG and script, no
request leaves the page). :class:`Page` holds it: in Jupyter the last expression of a
cell displays it in a sandboxed ``<iframe srcdoc=...>`` (scripts run, nothing else is
allowed, and its styles cannot leak into the notebook); ``page.save(path)`` writes it
atomically; ``str(page)`` is the HTML itself.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import Any

from .._atomic import write_atomically
from .._checks import check_int, check_str, describe

__all__ = ["Page"]


class Page:
    """One self-contained HTML page (see the module docstring).

    Args:
        text: The complete HTML document.
        title: What the page shows, for ``repr`` and the iframe's title.
        height: The height in CSS pixels of the inline frame in a notebook.
    """

    __slots__ = ("height", "text", "title")

    def __init__(self, text: str, *, title: str, height: int = 760) -> None:
        self.text: str = check_str(text, "text") or ""
        self.title: str = check_str(title, "title") or ""
        self.height = check_int(height, "height", minimum=100, example=760)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"<Page {self.title!r}: {len(self.text):,} characters of HTML; .save(path) writes it>"

    def _repr_html_(self) -> str:
        return (
            f'<iframe title="{html.escape(self.title)}" sandbox="allow-scripts" '
            f'style="width:100%;height:{self.height}px;border:1px solid #ccc" '
            f'srcdoc="{html.escape(self.text, quote=True)}"></iframe>'
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (``.html`` is appended when there is no suffix).

        Raises:
            TypeError: ``path`` is not a str or path.
            ValueError: ``path`` has a suffix other than ``.html``/``.htm``.
            OSError: the file cannot be written; an old file there is left as it was.
        """
        out = html_path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(out, self.text)
        return out


def html_path(path: Any) -> Path:
    """``path`` as an absolute Path ending in .html, or the error that says how to name it."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or pathlib.Path such as 'backprop.html', got {describe(path)}")
    out = Path(path).absolute()
    if not out.suffix:
        return out.with_name(out.name + ".html")
    if out.suffix.lower() not in (".html", ".htm"):
        raise ValueError(
            f"this writes an HTML page, but path {str(path)!r} ends in {out.suffix}; "
            f"use a name ending in .html such as {out.stem + '.html'!r}"
        )
    return out


def script_json(data: Any) -> str:
    """``data`` as compact JSON safe inside a page's ``<script>`` element (no ``<``, ``>`` or ``&``)."""
    text = json.dumps(data, separators=(",", ":"))
    # Nothing in the data may close the script element or start markup.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
