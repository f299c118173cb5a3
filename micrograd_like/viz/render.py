"""Writing a drawing to a file: the format follows the file's suffix."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import graphviz

from micrograd_like._atomic import write_atomically
from micrograd_like._checks import check_real, check_str, describe

__all__ = [
    "DEFAULT_TIMEOUT",
    "INSTALL_HINT",
    "GraphvizCrashedError",
    "GraphvizTimeoutError",
    "SUPPORTED_FORMATS",
    "GraphvizNotFoundError",
    "render",
    "resolve_output",
]

#: What :func:`render` writes: pictures, and ``gv`` for the DOT source itself (no Graphviz needed).
#: Picture formats :func:`render` writes, by file suffix: the common ones first, then the other
#: image and print formats every Graphviz build has. ``gv`` is the DOT source itself.
SUPPORTED_FORMATS: tuple[str, ...] = ("svg", "png", "pdf", "gv", "jpg", "jpeg", "gif", "ps", "eps", "svgz")
_COMMON = ".svg, .png, .pdf, .gv"
#: Seconds :func:`render` gives Graphviz before it stops it (drawings within the node limit take a few).
DEFAULT_TIMEOUT = 120.0
# dot 2.x lays out long graphs with deep recursion: its default 8 MB stack overflows (SIGSEGV) on
# graphs a few hundred Values long. The shell raises the stack limit of dot alone, as far as allowed.
_BIG_STACK = 'ulimit -s unlimited 2>/dev/null || ulimit -s "$(ulimit -H -s)" 2>/dev/null; exec "$0" "$@"'

INSTALL_HINT = (
    "Install the Graphviz program (pip install graphviz only installs the Python wrapper):\n"
    "  Debian/Ubuntu:  sudo apt-get install graphviz\n"
    "  macOS:          brew install graphviz\n"
    "  conda:          conda install -c conda-forge graphviz\n"
    "  Windows:        the installer from https://graphviz.org/download/ "
    "(tick 'Add Graphviz to the system PATH'), then open a new terminal"
)


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """The Graphviz ``dot`` program is not installed (or not on PATH).

    A subclass of :class:`graphviz.ExecutableNotFound`, so code that already
    catches that keeps working; its message says how to install Graphviz and
    where the DOT source was saved.

    Attributes:
        source_path: Where the DOT source was written, or ``None``.
    """

    def __init__(self, source_path: Path | None = None, command: str | None = None) -> None:
        self.source_path = source_path
        lines = [
            "Graphviz's 'dot' program was not found on your PATH, so the drawing could not be rendered.",
            INSTALL_HINT,
        ]
        if source_path is not None:
            lines.append(f"The DOT source was saved to {source_path}.")
        if command is not None:
            lines.append(f"Once Graphviz is installed, run: {command}")
        # RuntimeError's constructor, not ExecutableNotFound's, which expects a command list.
        RuntimeError.__init__(self, "\n".join(lines))


class _DotFailed(RuntimeError):
    """Graphviz ran but gave no picture; the DOT source was saved so nothing is lost."""

    def __init__(self, what: str, source_path: Path, out: Path, fmt: str) -> None:
        self.source_path = source_path
        self._parts = (what, out, fmt)
        super().__init__(
            f"{what} while drawing {out.name}; its DOT source is saved at {source_path}: "
            f"draw fewer Values (a smaller max_nodes or --max-nodes, or draw_collapsed(root) for one box per neuron), "
            f'or render it yourself with: dot -T{fmt} "{source_path}" -o "{out}"'
        )

    def kept_at(self, source_path: Path) -> _DotFailed:
        """The same error, for a DOT source saved at ``source_path`` instead (the first place was temporary)."""
        what, out, fmt = self._parts
        write_atomically(source_path, self.source_path.read_bytes())
        return type(self)(what, source_path, out, fmt)


class GraphvizTimeoutError(_DotFailed, TimeoutError):
    """Graphviz did not finish within :func:`render`'s ``timeout``; it was stopped.

    Attributes:
        source_path: Where the DOT source was written.
    """


class GraphvizCrashedError(_DotFailed):
    """Graphviz's ``dot`` crashed (killed by a signal, e.g. SIGSEGV) on the drawing.

    Attributes:
        source_path: Where the DOT source was written.
    """


def render(
    graph: graphviz.Digraph | graphviz.Graph | graphviz.Source,
    path: str | os.PathLike[str],
    format: str | None = None,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Path:
    """Write a drawing to ``path``; the format comes from its suffix.

    The file is replaced in one step (written next to it, then renamed), so a
    failure never leaves half a picture, and no other file is written or deleted
    on success. If the ``dot`` program is missing, the DOT source is saved next to
    ``path`` (same name, ``.gv``) and :class:`GraphvizNotFoundError` says how to
    install Graphviz. ``gv`` writes the DOT source and never needs the program.

    Args:
        graph: A drawing from ``draw_dot``, ``draw_network``, ``draw_collapsed`` (any graphviz graph).
        path: The file to write, e.g. ``"loss.svg"``; without a suffix, ``.svg``
            (or ``.{format}``) is appended.
        format: One of :data:`SUPPORTED_FORMATS`; ``None`` (default) takes it from
            the suffix. When given, it must agree with the suffix.
        timeout: Seconds Graphviz may take before it is stopped (``None``: no limit).

    Returns:
        The path of the written file (absolute).

    Raises:
        TypeError: If ``graph`` is not a graphviz graph or ``path`` not a path.
        ValueError: If the suffix or ``format`` is not supported, or they disagree.
        GraphvizNotFoundError: If the Graphviz ``dot`` program cannot be found.
        graphviz.CalledProcessError: If ``dot`` fails on the source.
        GraphvizTimeoutError: If ``dot`` takes longer than ``timeout`` (the ``.gv`` is saved next to ``path``).
        GraphvizCrashedError: If ``dot`` crashes (the ``.gv`` is saved next to ``path``).
    """
    if not isinstance(graph, (graphviz.Digraph, graphviz.Graph, graphviz.Source)):
        raise TypeError(f"render needs a graphviz graph such as the result of draw_dot(loss), got {describe(graph)}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or pathlib.Path such as 'loss.svg', got {describe(path)}")
    if timeout is not None:
        timeout = check_real(timeout, "timeout", above=0.0, example=DEFAULT_TIMEOUT)
    out, fmt = resolve_output(Path(path), format)
    out.parent.mkdir(parents=True, exist_ok=True)
    source = graph.source.encode("utf-8")
    if fmt == "gv":
        write_atomically(out, source)
        return out
    saved = out.with_suffix(".gv")
    try:
        data = _run_dot(str(graph.engine), fmt, source, timeout)
    except FileNotFoundError:
        write_atomically(saved, source)
        raise GraphvizNotFoundError(saved, f'dot -T{fmt} "{saved}" -o "{out}"') from None
    except subprocess.TimeoutExpired:
        write_atomically(saved, source)
        raise GraphvizTimeoutError(f"Graphviz did not finish within {timeout:g} s", saved, out, fmt) from None
    except _Crashed as exc:
        write_atomically(saved, source)
        raise GraphvizCrashedError(f"Graphviz's {graph.engine} crashed ({exc})", saved, out, fmt) from None
    write_atomically(out, data)
    return out


class _Crashed(Exception):
    pass


def _run_dot(engine: str, fmt: str, source: bytes, timeout: float | None) -> bytes:
    """``source`` laid out by the Graphviz program ``engine`` as ``fmt``, stopped after ``timeout`` s.

    Raises:
        FileNotFoundError: ``engine`` is not on PATH.
        subprocess.TimeoutExpired: it took longer (it has been killed).
        _Crashed: it died of a signal.
        graphviz.CalledProcessError: it refused the source (its stderr says why).
    """
    program = shutil.which(engine)
    if program is None:
        raise FileNotFoundError(engine)
    shell = shutil.which("sh") if os.name == "posix" else None
    cmd = [program, f"-T{fmt}"] if shell is None else [shell, "-c", _BIG_STACK, program, f"-T{fmt}"]
    proc = subprocess.run(cmd, input=source, capture_output=True, timeout=timeout)
    if proc.returncode < 0 or (shell is not None and proc.returncode > 128):  # a signal, seen directly or by sh
        number = -proc.returncode if proc.returncode < 0 else proc.returncode - 128
        raise _Crashed(_signal_name(number))
    if proc.returncode != 0:
        raise graphviz.CalledProcessError(proc.returncode, cmd, output=proc.stdout, stderr=proc.stderr)
    return proc.stdout


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def resolve_output(path: Path, format: Any = None) -> tuple[Path, str]:
    """The absolute file :func:`render` writes for ``path`` and ``format``, and its format.

    Raises:
        ValueError: If the suffix or ``format`` is not one of :data:`SUPPORTED_FORMATS`,
            or they disagree.
    """
    supported = f"{_COMMON} (or {', '.join('.' + f for f in SUPPORTED_FORMATS[4:])})"
    check_str(format, "format", allow_none=True)
    if format is not None and format.lower() not in SUPPORTED_FORMATS:
        raise ValueError(f"cannot write format {format!r}; use one of {', '.join(SUPPORTED_FORMATS)}")
    out = path.absolute()
    suffix = out.suffix[1:].lower()
    if not suffix:
        fmt = format.lower() if format is not None else "svg"
        return out.with_name(f"{out.name}.{fmt}"), fmt
    if suffix not in SUPPORTED_FORMATS:
        raise ValueError(f"cannot write {out.suffix} files ({path}); name the file with one of {supported}")
    if format is not None and format.lower() != suffix:
        raise ValueError(f"path {str(path)!r} ends in .{suffix} but format is {format!r}; make them agree")
    return out, suffix
