"""The one configuration every compiled kernel in arena uses: ``@kernel`` (numba's ``njit``).

Why numba: the rules are loops over small integer arrays (``GameBatch``); numba compiles that
numpy-style code to native loops, so one game steps without numpy's per-call overhead, and
with ``NUMBA_DISABLE_JIT=1`` the very same source runs as plain Python (debugging, coverage).

- Lazy: ``@kernel`` compiles a function the first time it is called with a new type signature,
  never when the module is imported, so ``import arena`` compiles nothing.
- Cached (``cache=True``): the machine code is written beside the source, in the installed
  package's own ``__pycache__``; when that folder is read-only (a system install) numba falls
  back to its user-wide cache (``~/.cache/numba``; ``NUMBA_CACHE_DIR`` overrides both).  It is
  never written to the user's working directory.
- Fresh: numba keys a cache entry by its own source file only, but a kernel inlines kernels from
  other files (a step calls every stage, the stages call ``rng``).  So arena's kernels are keyed
  by the contents of *every* arena module that defines kernels (those importing ``arena.jit``):
  editing any of them recompiles on the next use instead of running stale machine code.
- ``nogil``: a kernel releases the GIL, so threads (the live server's rooms) can step in parallel.
- Lean entry points (``@lean_kernel``): the engine's kernels called from Python every turn are compiled
  without numba's reference counting (NRT), and so is every kernel they call.  With it, each call of
  a stage increfs and decrefs the ~30 arrays it is handed (the batch's ``Arrays``, the ``Turn``): a
  few microseconds per turn, more than a one-game turn's rules.  The price: those kernels allocate
  no arrays (``np.empty`` & co. do not compile there; callers pass scratch arrays in).
- Prefetch hints (``prefetch``): a loop over a thousand games reads each game's lines once, far apart in
  memory (a snake's tail slot in the bodies' ring); asking for game g + a few's lines while working on
  game g overlaps the memory latency with the work.  A hint only: results never depend on it.
- No ``fastmath``/``parallel``: results must be bit-identical to the plain-Python run and the same
  on every machine (determinism), and a step is too small to pay for threads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeVar

import numba
import numpy as np
from llvmlite import ir
from llvmlite.binding import llvm_version_info
from numba.core import caching, cgutils, types
from numba.cpython.unsafe.numbers import trailing_zeros
from numba.extending import intrinsic, overload

F = TypeVar("F", bound=Callable)

OPTIONS = {"cache": True, "nogil": True}
PACKAGE = Path(__file__).resolve().parent

DISABLED: bool = bool(numba.config.DISABLE_JIT)  # NUMBA_DISABLE_JIT=1: kernels are plain Python
if DISABLED:  # the hashes wrap modulo 2**64 on purpose; as numpy scalars that would warn on every draw
    np.seterr(over="ignore")


def kernel(function: F) -> F:
    """Compile ``function`` lazily with the project's options (``@kernel`` above a def)."""
    return numba.njit(**OPTIONS)(function)


def lean_kernel(function: F) -> F:
    """``@kernel`` without reference counting, for entry points called every turn (see above): it and
    every kernel it calls must not allocate arrays."""
    return numba.njit(**OPTIONS, _nrt=False)(function)


def inline_kernel(function: F) -> F:
    """``@kernel`` inlined into its callers by numba (``inline="always"``)."""
    return numba.njit(**OPTIONS, inline="always")(function)


def lowest_bit(bits: int) -> int:
    """The index of the lowest set bit of ``bits`` > 0 (compiled: one instruction, ``tzcnt``)."""
    bits = int(bits)
    return (bits & -bits).bit_length() - 1


@overload(lowest_bit, jit_options=OPTIONS)
def _lowest_bit_compiled(bits):
    return lambda bits: trailing_zeros(bits)


def prefetch(array: np.ndarray, row: int, column: int) -> None:
    """Ask the CPU to start loading ``array[row, column]``'s cache line (compiled: one ``prefetcht0``;
    plain Python: nothing).  Why: a stage walking a thousand games reads each game's rows once, far
    apart; fetching a game's lines a few games ahead overlaps their memory latency with the work."""


@intrinsic
def _prefetch_item(typingctx, array, row, column):
    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        index = [context.cast(builder, v, t, types.intp) for v, t in zip(args[1:], signature.args[1:])]
        pointer = cgutils.get_item_pointer(context, builder, array_type, view, index, wraparound=False)
        i32 = ir.IntType(32)
        pointer = builder.bitcast(pointer, ir.IntType(8).as_pointer())
        name = "llvm.prefetch.p0" if llvm_version_info >= (15,) else "llvm.prefetch.p0i8"  # opaque pointers or not
        hint_type = ir.FunctionType(ir.VoidType(), [pointer.type, i32, i32, i32])
        hint = cgutils.get_or_insert_function(builder.module, hint_type, name)
        builder.call(hint, [pointer, i32(0), i32(3), i32(1)])  # read, keep in every cache level, data
        return context.get_dummy_value()

    return types.void(array, row, column), codegen


@overload(prefetch, jit_options=OPTIONS)
def _prefetch_compiled(array, row, column):
    return lambda array, row, column: _prefetch_item(array, row, column)


def is_kernel(function: object) -> bool:
    """Whether ``function`` is a (lazy) compiled kernel rather than plain Python."""
    return isinstance(function, numba.core.registry.CPUDispatcher)


def compiled_signatures(function: object) -> list:
    """The type signatures a kernel has been compiled (or loaded from the cache) for so far."""
    return list(function.signatures) if is_kernel(function) else []


@cache
def kernel_sources_digest() -> str:
    """One hash of every arena module that defines kernels (read once per process)."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_bytes()
        if b"arena.jit" in text or path == Path(__file__).resolve():
            digest.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + text + b"\0")
    return digest.hexdigest()


def _in_package(py_file: str) -> bool:
    try:
        return Path(py_file).resolve().is_relative_to(PACKAGE)
    except OSError:
        return False


def _stamped(locator: type) -> type:
    """``locator`` (a numba cache locator) for arena's files only, with the whole-package stamp."""

    class Locator(locator):
        def get_source_stamp(self):
            return super().get_source_stamp(), kernel_sources_digest()

        @classmethod
        def from_function(cls, py_func, py_file):
            return super().from_function(py_func, py_file) if _in_package(py_file) else None

    Locator.__name__ = f"Arena{locator.__name__.lstrip('_')}"
    return Locator


def _install_locators() -> None:
    """Put arena's locators first: the package's __pycache__, else numba's user-wide cache
    (``NUMBA_CACHE_DIR``, when set, still wins: numba's own first locator is kept ahead)."""
    names = ("UserProvidedCacheLocator", "InTreeCacheLocator", "UserWideCacheLocator")
    found = [getattr(caching, name, None) or getattr(caching, "_" + name) for name in names]
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl
    ours = [_stamped(locator) for locator in found]
    if not any(getattr(c, "__name__", "").startswith("Arena") for c in impl._locator_classes):
        impl._locator_classes = ours + list(impl._locator_classes)


_install_locators()
