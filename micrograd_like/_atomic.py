"""Replace a file in one step: a crash or a full disk never leaves half a file behind.

Every module that writes a user's file (drawings, pages, model files) goes through
:func:`write_atomically`, so each gets the same guarantees and the same errors: the
data is written to a temporary file in the same folder and renamed over the target,
the target keeps its permissions (a new file gets the usual 0644, not ``mkstemp``'s
0600), and an error names the user's path, never the temporary file's.
"""

from __future__ import annotations

import os
import tempfile

__all__ = ["write_atomically"]


def write_atomically(
    path: str | os.PathLike[str], data: bytes | str, *, durable: bool = False, shown: str | None = None
) -> None:
    """Write ``data`` (text is UTF-8 encoded) to ``path``, replacing any old file in one step.

    With ``durable=True`` the data and the rename are flushed to disk before returning
    (model files: a power cut after a save keeps the new or the old file, never none).
    ``shown`` is the name errors give instead of ``path`` (the link a save was asked
    to write through, when ``path`` is the file it points to).

    Raises:
        OSError: the folder is missing or not writable, or the disk is full; its
            ``filename`` is ``shown`` or ``path`` as the caller gave it. The old file
            is untouched.
    """
    target = os.fspath(path)
    blob = data.encode("utf-8") if isinstance(data, str) else data
    folder = os.path.dirname(os.path.abspath(target))
    name = target if shown is None else shown
    try:
        _replace(target, folder, blob, durable)
    except OSError as e:
        if e.filename == name:
            raise
        raise OSError(e.errno, e.strerror or str(e), name) from e


def _replace(target: str, folder: str, blob: bytes, durable: bool) -> None:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".tmp")
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, _mode_of(target))
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if durable:
        _sync_folder(folder)


def _mode_of(path: str) -> int:
    """The permissions to give the new file: the old file's, or 0644 for a new one."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        return 0o644


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable. Not every platform can open a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
