"""The ``micrograd-like`` command line: symmetry, draw, explain, train.

Every command prints its results to stdout and its problems to stderr, with
exit status 2 for a usage error (bad arguments, a formula that is not allowed),
1 for a failure (a file that cannot be written, Graphviz failing), 130 for
Ctrl-C and 141 when the reader of a pipe has gone. Nothing a user can type or
press produces a Python traceback.

This module is the console script's entry point, so it is kept tiny: it imports
nothing at module level, and ``main`` catches Ctrl-C from its first instruction,
including while the rest of the command line (argparse, the engine, Graphviz)
is being imported. The work is done in :mod:`micrograd_like._cli`.
"""

__all__ = ["main"]

# Not even `from __future__ import annotations` (a real import at run time), nor typing:
# annotations are strings, read only by type checkers.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import TextIO


def main(argv: "Sequence[str] | None" = None, *, out: "TextIO | None" = None, err: "TextIO | None" = None) -> int:
    """Run the command line and return its exit status.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).
        out: Where results go (default: stdout).
        err: Where problems go (default: stderr).
    """
    try:
        from micrograd_like._cli.app import run

        return run(argv, out=out, err=err)
    except KeyboardInterrupt:
        return _interrupted(err)


def _interrupted(err: "TextIO | None") -> int:
    """Ctrl-C: one line on stderr (if it can be written at all), status 130."""
    try:
        import sys

        print("micrograd-like: interrupted", file=err or sys.stderr, flush=True)
    except (KeyboardInterrupt, OSError, ValueError):  # a second Ctrl-C, or stderr gone: stay quiet
        pass
    return 130
