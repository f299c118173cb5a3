"""Model files: atomic, validated JSON for the modules of :mod:`micrograd_like.nn`.

A file holds the format name and version, the module's architecture and every
parameter by its dotted name. Writing is atomic (temporary file in the same
folder, fsync, rename), and goes through a symbolic link to the file it points
to, so the link stays a link. Reading checks everything (size, JSON syntax,
format, version, architecture, names, values) before any parameter changes.

Files larger than :data:`MAX_FILE_BYTES` (64 MiB, room for over a million
parameters; the two-moons network's file is about 17 kB) and anything that is
not a regular file (a device such as ``/dev/zero``, a pipe, a folder) are
refused without being read.

:class:`micrograd_like.nn.Module` exposes this as ``save``, ``load`` and
``load_state_dict``; the functions here work on anything with
``named_parameters()`` and ``architecture()``.
"""

from __future__ import annotations

import errno
import json
import math
import os
import stat
from collections.abc import Mapping
from typing import Any, Protocol

from micrograd_like._atomic import write_atomically
from micrograd_like._checks import check_real, describe
from micrograd_like.engine import Value

__all__ = ["FORMAT_VERSION", "MAX_FILE_BYTES", "save", "load", "load_state_dict", "read_architecture"]

#: Version written to (and required from) model files.
FORMAT_VERSION = 1
#: Largest model file :func:`load` reads, in bytes.
MAX_FILE_BYTES = 64 * 1024 * 1024
_FORMAT_NAME = "micrograd_like.nn"
#: How many missing or unknown names an error message lists before "...".
_LISTED = 10


class Parametrized(Protocol):
    """What serialization needs from a module."""

    def named_parameters(self) -> list[tuple[str, Value]]: ...

    def architecture(self) -> dict[str, Any]: ...


# ------------------------------------------------------------------ parameters


def _name_problems(state: Mapping[str, Any], names: list[str], where: str) -> None:
    """Refuse missing or unknown names, listing up to ten of each."""
    expected = set(names)
    missing = [n for n in names if n not in state]
    unknown = [k for k in state if k not in expected]
    if not (missing or unknown):
        return
    parts = []
    if missing:
        more = " ..." if len(missing) > _LISTED else ""
        parts.append(f"missing {len(missing)} parameter(s): {', '.join(map(str, missing[:_LISTED]))}{more}")
    if unknown:
        more = " ..." if len(unknown) > _LISTED else ""
        parts.append(f"unknown parameter(s): {', '.join(map(repr, unknown[:_LISTED]))}{more}")
    example = repr(names[0]) if names else "'<none>'"
    raise ValueError(f"{where}: {'; '.join(parts)} (expected exactly {len(names)} parameters named like {example})")


def _values(state: Mapping[str, Any], names: list[str], where: str, *, from_file: bool) -> list[float]:
    """Check a name -> number mapping against ``names``; return the floats in order.

    A value of the wrong type is a TypeError for a mapping the caller built,
    but a ValueError for a file (the file's content is the bad value).
    """
    _name_problems(state, names, where)
    values = []
    for n in names:
        try:
            values.append(check_real(state[n], f"{where}: parameter {n}"))
        except TypeError as exc:
            if not from_file:
                raise
            raise ValueError(str(exc)) from None
    return values


def assign(module: Parametrized, state: Mapping[str, Any], where: str, *, from_file: bool = False) -> None:
    """Validate ``state`` completely, then copy it into ``module``'s parameters."""
    named = module.named_parameters()
    values = _values(state, [n for n, _ in named], where, from_file=from_file)
    for (_, p), v in zip(named, values):
        p.data = v


def load_state_dict(module: Parametrized, state: Mapping[str, Any]) -> None:
    """Copy ``{dotted name: number}`` into ``module``, or change nothing on any problem."""
    if not isinstance(state, Mapping):
        raise TypeError(
            f"state must be a mapping of parameter names to floats, got {describe(state)}; "
            f"pass the dict that state_dict() returns"
        )
    assign(module, state, "state")


# ---------------------------------------------------------------------- saving


def save(module: Parametrized, path: str | os.PathLike[str]) -> None:
    """Write ``module`` to ``path`` atomically (see :meth:`micrograd_like.nn.Module.save`)."""
    named = module.named_parameters()
    for name, p in named:  # refuse before any file is made
        if not math.isfinite(check_real(p.data, f"parameter {name}", finite=False)):
            raise ValueError(
                f"parameter {name} is {p.data!r}; refusing to save a non-finite value "
                f"(training probably diverged: lower the learning rate)"
            )
    document = {
        "format": _FORMAT_NAME,
        "version": FORMAT_VERSION,
        "architecture": module.architecture(),
        "parameters": {name: p.data for name, p in named},
    }
    where = os.fspath(path)
    _atomic_write_json(_write_target(where), document, where)


def _write_target(path: str) -> str:
    """The file a save replaces: a symbolic link is followed, so the link itself stays."""
    if not os.path.islink(path):
        return path
    target = os.path.realpath(path)
    if os.path.islink(target):  # realpath stops at a loop and returns a link
        raise OSError(errno.ELOOP, "cannot save through a loop of symbolic links", path)
    return target


def _atomic_write_json(path: str, document: Any, shown: str) -> None:
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    write_atomically(path, text, durable=True, shown=shown)


# --------------------------------------------------------------------- loading


def load(module: Parametrized, path: str | os.PathLike[str]) -> None:
    """Check the file at ``path`` completely, then load its parameters into ``module``."""
    where = os.fspath(path)
    document = _parse(_read_bounded(where), where)
    params = _check_header(document, module, where)
    assign(module, params, where, from_file=True)


def read_architecture(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The architecture recorded in the model file at ``path``, to build a module that :func:`load` accepts.

    The file is read and its format name and version checked (as :func:`load`
    does); the parameters are checked later, by :func:`load` itself.

    Raises:
        ValueError: If the file is not a model file of this version (naming ``path``).
        OSError: If the file cannot be read.
    """
    where = os.fspath(path)
    document = _parse(_read_bounded(where), where)
    _check_format(document, where)
    arch = document.get("architecture")
    if not isinstance(arch, dict):
        raise ValueError(f"{where}: 'architecture' must be a JSON object; this file was not written by Module.save")
    return arch


def _read_bounded(path: str) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES; anything else is refused unread."""
    # O_NONBLOCK: opening a named pipe must not wait for a writer.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(
                f"{path} is not a regular file ({_kind(info.st_mode)}); pass the path of a "
                f"model file written by Module.save"
            )
        if info.st_size > MAX_FILE_BYTES:
            raise ValueError(_too_large(path))
        f = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with f:
        raw = f.read(MAX_FILE_BYTES + 1)  # one byte more, in case the file grew since fstat
    if len(raw) > MAX_FILE_BYTES:
        raise ValueError(_too_large(path))
    return raw


def _too_large(path: str) -> str:
    return (
        f"{path} is larger than {MAX_FILE_BYTES} bytes, the limit for a model file "
        f"(far above any real model); check that this is the file Module.save wrote"
    )


def _kind(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((text for test, text in kinds if test(mode)), "not a plain file")


def _parse(raw: bytes, where: str) -> Any:
    try:
        return json.loads(
            raw.decode("utf-8"),
            parse_constant=_reject_constant,
            object_pairs_hook=_reject_duplicate_keys,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # nesting too deep for json
        raise ValueError(f"{where} is not a valid model file (not JSON or truncated): {exc}") from None


def _check_header(document: Any, module: Parametrized, where: str) -> dict[str, Any]:
    """Check format, version and architecture; return the ``parameters`` object."""
    _check_format(document, where)
    arch = document.get("architecture")
    if arch != module.architecture():
        raise ValueError(
            f"{where}: the file describes architecture {arch!r} but this model "
            f"is {module.architecture()!r}; build a matching model before loading"
        )
    params = document.get("parameters")
    if not isinstance(params, dict):
        raise ValueError(f"{where}: 'parameters' must be a JSON object")
    return params


def _check_format(document: Any, where: str) -> None:
    if not isinstance(document, dict):
        raise ValueError(f"{where}: expected a JSON object at the top level")
    if document.get("format") != _FORMAT_NAME:
        raise ValueError(
            f"{where}: 'format' is {document.get('format')!r}, expected "
            f"{_FORMAT_NAME!r}; this file was not written by Module.save"
        )
    version = document.get("version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise ValueError(
            f"{where}: unsupported format version {version!r}; this library reads version {FORMAT_VERSION}"
        )


def _reject_constant(token: str) -> float:
    # json accepts NaN/Infinity by default; a saved model never contains them.
    raise ValueError(f"non-finite number {token} is not allowed")


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of two equal keys silently; a file that names a
    # parameter twice is ambiguous, so it is refused rather than guessed at.
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out
