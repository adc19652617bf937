"""The compiled core (arena/jit.py): lazy, cached in the package, the same as plain Python.

Each check runs in a fresh interpreter, since what matters is what a new process does
(nothing compiled on import; the cache found where it belongs; the JIT switched off)."""

from __future__ import annotations

import gzip
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
from pinned_games import CASES, FIXTURE

from arena import rng

ROOT = Path(__file__).resolve().parents[1]


def run_python(code: str, env: dict | None = None, cwd: Path = ROOT) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900, cwd=cwd,
                          env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_import_compiles_nothing() -> None:
    out = run_python(
        "import sys, arena\n"
        "print('numba' in sys.modules)\n"
        "import arena.engine, arena.jit, arena.kernels, arena.stages, arena.setup, arena.state, arena.rng\n"
        "import numba\n"
        "kernels = [v for m in (arena.kernels, arena.stages, arena.setup, arena.state, arena.rng)\n"
        "           for v in vars(m).values() if isinstance(v, numba.core.registry.CPUDispatcher)]\n"
        "print(len(kernels), sum(len(k.signatures) for k in kernels))\n")
    numba_loaded, line = out.splitlines()
    assert numba_loaded == "False"  # `import arena` alone does not even load numba
    count, compiled = map(int, line.split())
    assert count >= 30 and compiled == 0


def test_compiled_draws_equal_the_pure_python_reference() -> None:
    pick = random.Random(3)
    cases = [(pick.getrandbits(64), pick.randrange(5000), pick.randrange(40), pick.randrange(20000))
             for _ in range(200)]
    cases += [(0, 0, 0, 0), (2**64 - 1, 2**31 - 1, 30, 1023)]
    for seed, turn, stream, index in cases:  # a compiled uint64 comes back as a Python int: keep it uint64
        key = np.uint64(rng.turn_key(np.uint64(rng.seed_key(np.uint64(seed))), turn))
        assert int(rng.draw(key, stream, index)) == rng.draw_py(seed, turn, stream, index)
        assert int(rng.score(key, stream, index)) == rng.score_py(seed, turn, stream, index)
    seeds = np.array([c[0] for c in cases], np.uint64)
    assert rng.seed_key_np(seeds).tolist() == [rng._mix_py(int(s) ^ rng._GOLDEN) for s in seeds.tolist()]
    assert rng.game_seeds(7, 3).tolist() == [rng.draw_py(7, g, rng.GAME_SEED, 0) for g in range(3)]
    assert len(cases) == 202


PLAIN_GAMES = ("standard-one", "classic-endless-dropin", "royale", "positions-wrapped")


def test_plain_python_plays_the_pinned_games() -> None:
    """NUMBA_DISABLE_JIT=1 runs the very same source as plain Python, and it plays the same games."""
    names = json.dumps(PLAIN_GAMES)
    out = run_python(
        "import sys, json, gzip; sys.path.insert(0, 'tests')\n"
        "import arena.jit, arena.stages\n"
        "from pinned_games import CASES, FIXTURE, replay_case\n"
        "recorded = json.loads(gzip.decompress(FIXTURE.read_bytes()))\n"
        f"for name in json.loads({names!r}):\n"
        "    print(name, replay_case(CASES[name], recorded[name]) == recorded[name]['digests'])\n"
        "print('plain', arena.jit.DISABLED, arena.jit.is_kernel(arena.stages.move))\n",
        env={"NUMBA_DISABLE_JIT": "1"})
    lines = out.splitlines()
    assert lines[-1] == "plain True False"
    assert lines[:-1] == [f"{name} True" for name in PLAIN_GAMES]
    assert set(PLAIN_GAMES) <= set(CASES) and FIXTURE.exists()


CROWDED_GAME = (  # 16 snakes on 19x19 moving at random: every kind of collision, with seats past 7
    "import hashlib, numpy as np, arena.jit\n"
    "from arena.engine import Engine\n"
    "engine = Engine('standard', width=19, height=19)\n"
    "batch = engine.new_batch(range(4), num_snakes=16)\n"
    "moves = np.random.default_rng(7)\n"
    "digest = hashlib.sha256()\n"
    "for _ in range(80):\n"
    "    engine.step_restart(batch, moves.integers(0, 4, batch.alive.shape).astype(np.int8), 100)\n"
    "    for part in (batch.alive, batch.head, batch.length, batch.health, batch.food, batch.turn):\n"
    "        digest.update(part.tobytes())\n"
    "print(arena.jit.DISABLED, digest.hexdigest())\n")


def test_plain_python_plays_crowded_games_as_compiled() -> None:
    """Seats past 7 in every stage (an int8 seat in a bit test once overflowed in plain Python only)."""
    plain = run_python(CROWDED_GAME, env={"NUMBA_DISABLE_JIT": "1"}).split()
    compiled = run_python(CROWDED_GAME).split()
    assert plain[0] == "True" and compiled[0] == "False"
    assert plain[1] == compiled[1]


def test_cache_lives_in_the_package_not_the_working_directory(tmp_path: Path) -> None:
    out = run_python(
        "import numpy as np, arena.kernels\n"
        "from arena.engine import Engine\n"
        "engine = Engine('standard', 7, 7)\n"
        "batch = engine.new_batch([1], 2)\n"
        "engine.step(batch, np.zeros((1, 2), np.int8))\n"
        "stats = arena.kernels.call.stats\n"
        "print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))\n",
        env={"NUMBA_CACHE_DIR": ""}, cwd=tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing written where the user stands
    hits, misses = map(int, out.split())
    assert hits + misses == 1  # loaded from the cache, or compiled and written to it
    assert any(p.name.startswith("kernels.call-") for p in (ROOT / "arena" / "__pycache__").iterdir())


def test_the_stamp_covers_every_kernel_module() -> None:
    from arena import jit

    sources = [p for p in jit.PACKAGE.rglob("*.py") if b"arena.jit" in p.read_bytes()]
    names = {p.name for p in sources}
    assert {"rng.py", "stages.py", "setup.py", "state.py", "kernels.py"} <= names
    assert len(jit.kernel_sources_digest()) == 64
    recorded = json.loads(gzip.decompress(FIXTURE.read_bytes()))
    assert len(recorded) == len(CASES)


def test_warmup_leaves_a_fresh_process_nothing_to_compile(tmp_path: Path) -> None:
    """After ``python -m arena.warmup`` a new process plays every ruleset from the cache alone."""
    warm = subprocess.run([sys.executable, "-m", "arena.warmup"], capture_output=True, text=True, timeout=900,
                          cwd=tmp_path)
    assert warm.returncode == 0 and "compiled and cached" in warm.stdout, warm.stderr
    out = run_python(
        "import arena.kernels, arena.lookahead\n"
        "from arena.warmup import warm_up\n"
        "warm_up()\n"
        "for kernel in (arena.kernels.call, arena.lookahead.search_tree):\n"
        "    stats = kernel.stats\n"
        "    print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))\n", cwd=tmp_path)
    figures = [tuple(map(int, line.split())) for line in out.splitlines()]
    assert len(figures) == 2  # the engine's entry point and the search tree
    for hits, misses in figures:
        assert hits >= 1 and misses == 0


def test_prefetch_is_a_cache_hint_compiled_and_nothing_in_plain_python() -> None:
    """``arena.jit.prefetch`` compiles to a prefetch instruction for every row dtype the stages hint
    (an intrinsic misnamed for the LLVM in use fails here, not in a user's first step), changes no value,
    and is a plain function doing nothing with the JIT off."""
    code = (
        "import platform, numpy as np, numba\n"
        "from arena.jit import prefetch\n"
        "@numba.njit\n"
        "def total(a):\n"
        "    s = 0\n"
        "    for i in range(a.shape[0]):\n"
        "        prefetch(a, min(i + 2, a.shape[0] - 1), 0)\n"
        "        s += a[i].sum()\n"
        "    return s\n"
        "for dtype in (np.int16, np.int8, np.bool_, np.uint8, np.int32):\n"
        "    a = (np.arange(60) % 7).astype(dtype).reshape(6, 10)\n"
        "    assert total(a) == a.sum(), dtype\n"
        "    if numba.config.DISABLE_JIT:\n"
        "        continue\n"
        "    asm = total.inspect_asm(total.signatures[-1])\n"
        "    assert platform.machine() not in ('x86_64', 'AMD64') or 'prefetcht0' in asm, dtype\n"
        "print(len(total.signatures) if not numba.config.DISABLE_JIT else 'plain')\n")
    assert run_python(code).split() == ["5"]
    assert run_python(code, env={"NUMBA_DISABLE_JIT": "1"}).split() == ["plain"]
