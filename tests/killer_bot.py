"""A Python bot that kills the worker process playing its game (SIGKILL, mid-game): game t0-2 on every try,
game t0-4 on its first try only; every try of every game is logged, so a test can count the retries."""

from __future__ import annotations

from pathlib import Path

KILLER = """
import os, signal
from pathlib import Path
LOG = Path({log!r})

def start(state):
    with open(LOG, "a") as handle:
        handle.write(state["game"]["id"] + "\\n")

def move(state):
    game = state["game"]["id"]
    tries = LOG.read_text().split().count(game)
    if game == "t0-2" or (game == "t0-4" and tries == 1):
        os.kill(os.getpid(), signal.SIGKILL)  # the worker process dies mid-game
    return "up"

move.start = start
"""


def write_killer(path: Path, log: Path) -> None:
    """Write the bot to ``path`` (use it as ``f"{path}:move"``), logging tries to ``log``."""
    path.write_text(KILLER.format(log=str(log)))
