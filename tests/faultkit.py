"""Faults to inflict on a live server, for tests and ``benchmarks/load_server.py faults``: a small real disk
that fills up, a huge but valid replay, and the server's peak memory.

    with small_tmpfs(folder) as disk:     # a real 1 MB tmpfs (root only; RuntimeError otherwise)
        fill(disk)                        # every later write there fails with ENOSPC
    fat_replay(folder)                    # ~115 MB of valid JSON lines, ~0.4 MB gzipped: upload it
    peak_rss_mb(pid)                      # VmHWM of a process

What the server does (docs/server.md; tests/test_server_faults.py):
- disk full under ``--replays DIR``: each room's spectators get ``{"type":"error","code":"not_recording"}``,
  its summary ``"recording": false``, and it keeps ticking; ``POST /api/replays`` answers 507.
- the fat replay: ``POST /api/replays`` with ``Content-Type: application/octet-stream`` → 201 after a
  streamed check and re-simulation; ``GET /api/replays/<id>`` streams it; peak RSS grows by a few MB.
- SIGTERM to a ``snek serve`` process (``os.kill(pid, signal.SIGTERM)``): it exits 0 like Ctrl-C, every
  game is saved (``"reason": "stopped"``) and ``DIR/.live/`` is empty; after SIGKILL the next start closes
  what ``.live/`` holds with ``"reason": "interrupted"``.
"""

from __future__ import annotations

import errno
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from arena.match import Match, MatchConfig
from arena.players import PythonPlayer
from arena.replay import ReplayWriter, open_replay


@contextmanager
def small_tmpfs(mount: Path, size: str = "1m") -> Iterator[Path]:
    """Mount a tmpfs of ``size`` at ``mount`` (created if missing) for the block; needs root."""
    mount.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"cannot mount a tmpfs: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, name: str = "filler") -> Path:
    """Write to ``disk/name`` until the disk says ENOSPC (raises anything else); returns the file."""
    filler = disk / name
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    return filler


def rewrite(source: Path, out: Path, header=lambda h: h, frame=lambda f: f) -> Path:
    """A copy of a replay with its header and/or frames changed, streamed."""
    with open_replay(source) as reader:
        head = header({k: v for k, v in reader.header.items() if k not in ("type", "format")})
        with ReplayWriter(out, head, follow=False) as writer:
            for f in reader.frames:
                writer.write_frame(frame(f))
            if reader.result:
                writer.finish({k: v for k, v in reader.result.items() if k != "type"})
    return out


def _spin(state: dict) -> str:
    """Turn right every turn: a lone classic snake circles a 2x2 square for ever (no health in classic)."""
    head, neck = state["you"]["body"][0], state["you"]["body"][1]
    return {(0, 1): "right", (1, 0): "down", (0, -1): "left", (-1, 0): "up"}.get(
        (head["x"] - neck["x"], head["y"] - neck["y"]), "up")


def fat_replay(folder: Path, turns: int = 2000, pad: int = 60_000) -> Path:
    """A valid game (it verifies) whose every frame carries ``pad`` bytes of bot stderr: with the defaults
    ~115 MB unpacked and ~0.2 MB gzipped, ``folder/fat.jsonl.gz``."""
    folder.mkdir(parents=True, exist_ok=True)
    plain = folder / "plain.jsonl.gz"
    Match([PythonPlayer(_spin)], MatchConfig(ruleset="classic", seed=1, max_turns=turns), plain).run()

    def padded(frame: dict) -> dict:
        for snake in frame["snakes"]:
            snake["stderr"] = f"turn {frame['turn']} ".ljust(pad, "x")
        return frame
    try:
        return rewrite(plain, folder / "fat.jsonl.gz", frame=padded)
    finally:
        plain.unlink()


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024
