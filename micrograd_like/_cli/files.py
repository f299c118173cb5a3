"""Where pictures go and how they are written; the format itself is ``viz.render``'s decision."""

from __future__ import annotations

import hashlib
import re
import subprocess
import unicodedata
from pathlib import Path
from typing import Any, TextIO

from .._symbolic import OPERATORS
from .console import PROG, Failure, UsageError

#: The folder every command writes into unless told otherwise (inside the current folder).
DEFAULT_FOLDER = Path("micrograd-graphs")
#: Longest file name made from a formula, before the suffix.
MAX_STEM = 60

# Readers' words for the usual operators; any other registered operator is written as its op's name.
_WORDS = {"+": "plus", "-": "minus", "*": "times", "/": "over", "**": "pow"}


def _operator_words() -> dict[str, str]:
    """symbol -> word for every registered operator (``%`` of an op named mod: ``mod``)."""
    from ..registry import REGISTRY  # the engine, imported when a name is made rather than at start-up

    return {s.symbol: s.name for s in REGISTRY.values() if s.symbol in OPERATORS} | _WORDS


def formula_stem(formula: str) -> str:
    """A portable file name for a formula: ``"tanh(a*b + c)"`` -> ``"tanh_a_times_b_plus_c"``.

    ASCII letters, digits and ``_`` only (accents are dropped, other characters
    skipped); a long name is cut and ends in a short hash of the whole formula,
    so two long formulas do not share a file.
    """
    text = unicodedata.normalize("NFKD", formula)
    operators = _operator_words()
    symbols = sorted(operators, key=len, reverse=True)  # longest first: ** is one word, not two *
    tokens = re.findall("|".join(map(re.escape, symbols)) + "|[A-Za-z0-9_]+", text)
    words = [operators.get(t, t) for t in tokens]
    stem = "_".join(words).strip("_") or "expression"
    if len(stem) > MAX_STEM:
        digest = hashlib.sha1(formula.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        stem = f"{stem[: MAX_STEM - 9].rstrip('_')}_{digest}"
    return stem


def check_folder(folder: Path) -> None:
    """Refuse to create a missing folder outside the current one (a typo there is easy to miss).

    Raises:
        UsageError: ``folder`` does not exist and is not inside the current folder.
        OSError: The file system refuses to say (a name too long, no permission).
    """
    if folder.exists():  # a folder, or a file in the way (writing then fails: exit 1)
        return
    here = Path.cwd().resolve()
    target = folder.resolve()
    if target != here and here not in target.parents:
        raise UsageError(
            f"the folder {folder} does not exist and is outside the current folder; "
            f"create it first (mkdir -p {folder}) or write inside the current folder"
        )


def shown(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it, for messages."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class Pictures:
    """Writes each picture with ``viz.render`` and its DOT source (.gv) beside it.

    When the ``dot`` program is missing it says so once (with the install hint)
    and carries on with the .gv files ``viz.render`` saved, so a command whose
    pictures are extras still succeeds.
    """

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.dot_missing = False

    def write(self, graph: Any, path: Path, fmt: str | None = None) -> list[Path]:
        """Render ``graph`` to ``path``; returns the files written, the source first.

        Raises:
            ValueError: ``viz.render`` cannot write that suffix or format.
            Failure: Graphviz failed on the source.
            OSError: A file cannot be written.
        """
        from .. import viz

        check_folder(path.parent)
        try:
            picture = viz.render(graph, path, format=fmt)
        except viz.GraphvizNotFoundError as e:
            self._missing()
            return [e.source_path] if e.source_path is not None else []
        except subprocess.CalledProcessError as e:  # dot itself failed
            raise Failure(f"Graphviz could not render {path}: {(e.stderr or b'').strip()!r}") from None
        except (viz.GraphvizTimeoutError, viz.GraphvizCrashedError) as e:  # the .gv is saved; the message says so
            raise Failure(str(e)) from None
        source = picture.with_suffix(".gv")
        if source == picture:  # the DOT output is the picture
            return [picture]
        source.write_text(graph.source, encoding="utf-8")
        return [source, picture]

    def page(self, root: Any, path: Path, *, title: str, max_nodes: int) -> list[Path]:
        """Write the stepper page of ``root``'s backward pass (``viz.stepper``) to ``path``.

        Returns ``[path]``, or ``[]`` when Graphviz is missing (said once, as for pictures).

        Raises:
            Failure: Graphviz failed on the drawing.
            OSError: The page cannot be written.
        """
        from .. import viz

        check_folder(path.parent)
        if self.dot_missing:
            return []
        try:
            return [viz.stepper(root, path, title=title, max_nodes=max_nodes)]
        except viz.GraphvizNotFoundError:
            self._missing()
            return []
        except subprocess.CalledProcessError as e:
            raise Failure(f"Graphviz could not draw the graph for {path}: {(e.stderr or b'').strip()!r}") from None
        except (viz.GraphvizTimeoutError, viz.GraphvizCrashedError) as e:
            raise Failure(f"could not draw the graph for {path}: {e}") from None

    def _missing(self) -> None:
        from .. import viz

        if not self.dot_missing:
            print(
                f"{PROG}: Graphviz's 'dot' program is not on your PATH, so only the DOT "
                f"source (.gv) of each picture is written.\n{viz.INSTALL_HINT}",
                file=self.err,
            )
        self.dot_missing = True
