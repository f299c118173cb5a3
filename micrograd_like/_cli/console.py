"""Output streams that never crash the command: unwritable output is reported, not raised raw."""

from __future__ import annotations

import errno
import io
import os
import sys
from typing import TextIO

PROG = "micrograd-like"


class UsageError(Exception):
    """The command line asks for something impossible: exit status 2."""


class Failure(Exception):
    """The command could not finish for a reason outside the arguments: exit status 1."""


class OutputError(Exception):
    """A standard stream cannot be written (a full disk, a reader that has gone).

    Not an OSError on purpose: argparse and other code swallow OSErrors from
    ``write``, and the command must notice.
    """

    def __init__(self, stream: Stream, error: OSError) -> None:
        super().__init__(f"cannot write to {stream.name}: {error.strerror or error}")
        self.stream = stream
        self.error = error

    @property
    def closed_pipe(self) -> bool:
        return isinstance(self.error, BrokenPipeError) or self.error.errno == errno.EPIPE


class Stream:
    """A text stream that escapes what its encoding cannot show and reports write failures.

    ``print(..., file=stream)`` works as usual; text the terminal's encoding cannot
    show (``PYTHONIOENCODING=ascii``) is written with backslash escapes, and an
    OSError while writing or flushing becomes an :class:`OutputError`.
    """

    def __init__(self, stream: TextIO, name: str) -> None:
        self._stream = stream
        self.name = name

    def write(self, text: str) -> int:
        try:
            try:
                return self._stream.write(text)
            except UnicodeEncodeError:
                encoding = getattr(self._stream, "encoding", None) or "ascii"
                return self._stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
        except OSError as e:
            raise OutputError(self, e) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as e:
            raise OutputError(self, e) from None

    def isatty(self) -> bool:
        try:
            return self._stream.isatty()
        except (AttributeError, OSError, ValueError):
            return False

    def __getattr__(self, name: str) -> object:  # encoding, fileno, ... for tqdm
        return getattr(self._stream, name)


class Console:
    """The command's two streams: results on ``out``, problems on ``err``."""

    def __init__(self, out: TextIO | None, err: TextIO | None) -> None:
        # sys.stdout is None when the command runs with stdout closed (>&-): output is dropped.
        self._real_out = out if out is not None else sys.stdout or io.StringIO()
        self.out = Stream(self._real_out, "standard output")
        self.err = Stream(err if err is not None else sys.stderr, "standard error")

    def say(self, message: str) -> None:
        """One line on stderr; if even stderr cannot take it there is nobody left to tell."""
        try:
            print(message, file=self.err)
            self.err.flush()
        except OutputError:
            pass

    def finish(self) -> None:
        """Flush both streams now, so that a failure is seen here and not at interpreter exit."""
        self.out.flush()
        self.err.flush()

    def abandon_stdout(self) -> None:
        """Point the process's stdout at the null device after a write failure.

        Python flushes ``sys.stdout`` once more when it exits; without this, that
        flush fails again and prints "Exception ignored" (exit status 120).
        """
        if self._real_out is not sys.__stdout__ or self._real_out is None:
            return
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._real_out.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass
