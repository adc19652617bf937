"""A test's missing prerequisite (Chromium, redis-server, node, torch, an optional library, RLlib's virtualenv):
a skip on a developer's machine, a loud failure under ``CI=true``, where everything is meant to be installed and
a skip would hide breakage."""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(reason: str) -> None:
    """Skip with ``reason``, or fail with it under CI."""
    if IN_CI:
        pytest.fail(f"CI=true and a prerequisite is missing: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def need_module(name: str, why: str = "") -> ModuleType:
    """Import ``name``; only its absence (not an error inside it) is a missing prerequisite."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not (name == exc.name or name.startswith(exc.name + ".")):
            raise  # the module is there but imports something that is not: that is a bug, not a skip
        missing(f"{name} is not installed{': ' + why if why else ''}")
        raise


def need_program(name: str, path: str | None = None) -> str:
    """The path of program ``name`` (or ``path`` if given and present)."""
    found = path if path and os.path.exists(path) else shutil.which(name)
    if not found:
        missing(f"{name} is not installed")
    return found
