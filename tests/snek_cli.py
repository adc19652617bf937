"""Run the ``snek`` command as a user would: ``python -m arena`` from this interpreter, in a subprocess."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNEK = [sys.executable, "-m", "arena"]


def snek(*args: str, cwd: Path | str | None = None, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """``snek ARGS`` to completion, output captured as text."""
    return subprocess.run([*SNEK, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, **kwargs)


def snek_ok(*args: str, cwd: Path | str | None = None, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """``snek ARGS`` that must succeed: exit 0 and no traceback anywhere in its output (``kwargs``: as ``snek``'s)."""
    out = snek(*args, cwd=cwd, timeout=timeout, **kwargs)
    assert out.returncode == 0, f"snek {shlex.join(args)}:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
    assert "Traceback" not in out.stdout + out.stderr, out.stderr[-2000:]
    return out


def spawn_snek(*args: str, **kwargs) -> subprocess.Popen:
    """``snek ARGS`` started and left running (text pipes unless told otherwise); the caller stops it."""
    options = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, **kwargs}
    return subprocess.Popen([*SNEK, *args], **options)
