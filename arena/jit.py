"""The one configuration every compiled kernel in arena uses: ``@kernel`` (numba's ``njit``).

Why numba: the rules are loops over small integer arrays (``GameBatch``); numba compiles that
numpy-style code to native loops, so one game steps without numpy's per-call overhead, and
with ``NUMBA_DISABLE_JIT=1`` the very same source runs as plain Python (debugging, coverage).

- Lazy: ``@kernel`` compiles a function the first time it is called with a new type signature,
  never when the module is imported, so ``import arena`` compiles nothing.
- Cached (``cache=True``): the machine code is written beside the source, in the installed
  package's own ``__pycache__``; when that folder is read-only (a system install) numba falls
  back to its user-wide cache (``~/.cache/numba``; ``NUMBA_CACHE_DIR`` overrides both).  It is
  never written to the user's working directory.  A cache entry is keyed by the source file, so
  editing or upgrading the package recompiles on the next use.
- ``nogil``: a kernel releases the GIL, so threads (the live server's rooms) can step in parallel.
- No ``fastmath``/``parallel``: results must be bit-identical to the plain-Python run and the same
  on every machine (determinism), and a step is too small to pay for threads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numba

F = TypeVar("F", bound=Callable)

OPTIONS = {"cache": True, "nogil": True}

DISABLED: bool = bool(numba.config.DISABLE_JIT)  # NUMBA_DISABLE_JIT=1: kernels are plain Python


def kernel(function: F) -> F:
    """Compile ``function`` lazily with the project's options (``@kernel`` above a def)."""
    return numba.njit(**OPTIONS)(function)


def is_kernel(function: object) -> bool:
    """Whether ``function`` is a (lazy) compiled kernel rather than plain Python."""
    return isinstance(function, numba.core.registry.CPUDispatcher)


def compiled_signatures(function: object) -> list:
    """The type signatures a kernel has been compiled (or loaded from the cache) for so far."""
    return list(function.signatures) if is_kernel(function) else []
