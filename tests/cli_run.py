"""The installed ``micrograd-like`` command, as the CLI tests run it: a real subprocess, or ``main`` in-process."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

from micrograd_like.cli import main

# The console script that `pip install` put beside this Python: testing it tests the
# installed entry point, not just the module.
SCRIPT = shutil.which("micrograd-like", path=str(Path(sys.executable).parent))


def run(*args: str, cwd: Path, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    """The installed command in a subprocess, its output as text (never raises on an exit status)."""
    assert SCRIPT, "the micrograd-like command is not installed next to this Python: pip install -e '.[test]'"
    return subprocess.run(
        [SCRIPT, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env or os.environ.copy(), **kwargs
    )


def ok(*args: str, cwd: Path) -> str:
    """The standard output of a run that must succeed without a traceback."""
    result = run(*args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def usage_error(*args: str, cwd: Path) -> str:
    """The standard error of a run that must be a usage error: exit 2, one message, no traceback, no
    output and nothing written into ``cwd``."""
    result = run(*args, cwd=cwd)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert list(cwd.iterdir()) == []  # nothing written, nothing evaluated
    return result.stderr


def in_process(*args: str) -> tuple[int, str, str]:
    """``main(args)`` in this process: its exit status, standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def clean(stderr: str) -> bool:
    """No traceback, not even one Python prints while shutting down."""
    return "Traceback" not in stderr and "Exception ignored" not in stderr
