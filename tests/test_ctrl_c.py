"""The user's Ctrl-C: `snek play` and `snek tournament` stop cleanly (exit 130, no traceback) and
leave no process behind — bots, their children, tournament workers.  Real processes, real SIGINT,
sent to the whole process group as a terminal does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from snek_cli import spawn_snek
from waiting import wait_until

# Answers every move after a short nap, so games last; records its pid and its child's, and (in the folder above)
# that it has answered a move: the game is under way.
SLOW = r"""
import json, os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
for pid in (os.getpid(), child.pid):
    open(os.path.join(sys.argv[1], str(pid)), "w").close()
for line in sys.stdin:
    state = json.loads(line)
    if state["type"] == "move":
        time.sleep(0.05)
        open(os.path.join(sys.argv[1], os.pardir, "moved"), "w").close()
        head, board = state["you"]["head"], state["board"]
        right, up = head["x"] < board["width"] // 2, head["y"] < board["height"] // 2
        loop = ["right" if right else "left", "up" if up else "down", "left" if right else "right",
                "down" if up else "up"]
        print(json.dumps({"move": loop[state["turn"] % 4]}), flush=True)
"""

HANGS = """
import threading
def move(state):
    threading.Event().wait()
"""


def gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


def group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def interrupt(args: list[str], ready) -> tuple[subprocess.CompletedProcess, int]:
    """Start `snek *args` in a group of its own, wait for ``ready()``, press Ctrl-C; (result, pgid).

    ``ready()`` is true once a bot has answered a move: the run is mid-game, and with thousands of turns of
    at least 50 ms ahead it cannot have ended by itself when the signal lands."""
    proc = spawn_snek(*args, start_new_session=True)
    try:
        wait_until(lambda: ready() or proc.poll() is not None, what="a bot answering a move")
        assert proc.poll() is None, f"snek {args[0]} ended before Ctrl-C: {proc.communicate()}"
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), proc.pid


def assert_all_gone(pids: list[int], pgid: int) -> None:
    try:
        wait_until(lambda: all(gone(p) for p in pids) and group_gone(pgid), what="every process gone")
    except AssertionError:
        raise AssertionError(f"left behind: {[p for p in pids if not gone(p)]}, group alive: {not group_gone(pgid)}") \
            from None


@pytest.fixture()
def slow_bot(tmp_path: Path):
    script = tmp_path / "slow.py"
    script.write_text(SLOW)
    pids = tmp_path / "pids"
    pids.mkdir()
    return f"cmd:{sys.executable} {script} {pids}", pids


def test_ctrl_c_stops_snek_play(slow_bot, tmp_path: Path) -> None:
    spec, pids = slow_bot
    hangs = tmp_path / "hangs.py"
    hangs.write_text(HANGS)
    run, pgid = interrupt(["play", "-q", "--timeout", "300", spec, f"{hangs}:move", spec],
                          lambda: len(list(pids.iterdir())) >= 4 and (tmp_path / "moved").exists())
    assert run.returncode == 130, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    assert_all_gone([int(p.name) for p in pids.iterdir()], pgid)


def test_ctrl_c_stops_snek_tournament(slow_bot, tmp_path: Path) -> None:
    spec, pids = slow_bot
    run, pgid = interrupt(["tournament", "--games", "8", "--workers", "2", "--players", "2", "--out-dir",
                           str(tmp_path / "t"), spec, spec, "safe"],
                          lambda: len(list(pids.iterdir())) >= 4 and (tmp_path / "moved").exists())
    assert run.returncode == 130, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr and "interrupted" in run.stdout
    assert_all_gone([int(p.name) for p in pids.iterdir()], pgid)
