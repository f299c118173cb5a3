"""Run one command line and turn every outcome into an exit status and at most a few lines."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sys
from collections.abc import Sequence
from typing import TextIO

from .. import __version__
from . import args as types
from .commands import COMMANDS
from .console import PROG, Console, Failure, OutputError, UsageError

#: Exit statuses: a usage error, a failure, and a reader of our output that has gone (128 + SIGPIPE).
USAGE, FAILED, CLOSED_PIPE = 2, 1, 141


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Learn and debug backpropagation one number at a time.",
        epilog=(
            "examples:\n"
            f"  {PROG} symmetry\n"
            f'  {PROG} draw "tanh(a*b + c)" a=2 b=-3 c=10 --html\n'
            f'  {PROG} explain "tanh(a*b + c)" a=2 b=-3 c=10\n'
            f"  {PROG} train moons --steps 100\n"
            f"\nRun '{PROG} COMMAND --help' for a command's options."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(commands)
    return parser


def run(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """The body of :func:`micrograd_like.cli.main` (which adds Ctrl-C handling)."""
    console = Console(out, err)
    try:
        code = _dispatch(sys.argv[1:] if argv is None else list(argv), console)
        console.finish()
        return code
    except OutputError as e:
        console.abandon_stdout()
        if e.closed_pipe:  # the reader left (`| head`): nothing worth a message
            return CLOSED_PIPE
        console.say(f"{PROG}: {e}")
        return FAILED


def _dispatch(argv: list[str], console: Console) -> int:
    parser = build_parser()
    try:
        # argparse prints --help and usage errors itself: send them to our streams.
        with contextlib.redirect_stdout(console.out), contextlib.redirect_stderr(console.err):
            words = types.join_negative_numbers(argv)
            args, extra = parser.parse_known_args(words)
            if extra and hasattr(args, "assignments") and all(_is_assignment(w) for w in extra):
                args.assignments = [*args.assignments, *extra]  # NAME=VALUE after an option
            elif extra:
                parser.parse_args(words)  # argparse's own error for what is left over
    except SystemExit as e:  # a usage error (status 2), --help or --version (status 0)
        code = e.code if isinstance(e.code, int) else USAGE
        hint = _hint(argv) if code == USAGE else None
        if hint:
            print(hint, file=console.err)
        return code
    name = f"{PROG} {args.command}"
    try:
        return args.handler(args, console.out, console.err)
    except UsageError as e:
        console.say(f"{name}: error: {e}")
        return USAGE
    except Failure as e:
        console.say(f"{name}: failed: {e}")
        return FAILED
    except OSError as e:  # a path too long, no permission, a full disk, ...
        console.say(f"{name}: failed: cannot write {e.filename or 'a file'}: {e.strerror or e}")
        return FAILED


def _is_assignment(word: str) -> bool:
    return "=" in word and not word.startswith("-")


def _hint(argv: list[str]) -> str | None:
    """What to try after argparse refused the line, in the command line's own terms."""
    if argv[:1] not in (["draw"], ["explain"]):
        return None
    words = argv[1 : argv.index("--")] if "--" in argv else argv[1:]
    formula = next((w for w in words if w.startswith("-") and not w.startswith("--") and w != "-h"), None)
    if formula is None:
        return None
    others = [w for w in words if w != formula]
    values = [w for w in others if "=" in w and not w.startswith("-")]
    options = [w for w in others if w not in values]
    line = " ".join([PROG, argv[0], *map(shlex.quote, options), "--", f'"{formula}"', *map(shlex.quote, values)])
    return f"hint: a formula that starts with '-' goes after '--' (and the options before it): {line}"
