"""Shared helpers for the replay tests: a real recorded game and line-level rewriting of it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from arena.match import MatchConfig, run_match
from arena.players import PythonPlayer


def cautious(state: dict) -> str:
    """A deterministic bot that avoids walls and bodies, so games last a while."""
    board, head = state["board"], state["you"]["head"]
    blocked = {(p["x"], p["y"]) for s in board["snakes"] for p in s["body"][:-1]}
    steps = [("up", (0, 1)), ("left", (-1, 0)), ("down", (0, -1)), ("right", (1, 0))]
    start = state["turn"] // 3 % 4
    for move, (dx, dy) in steps[start:] + steps[:start]:
        x, y = head["x"] + dx, head["y"] + dy
        if 0 <= x < board["width"] and 0 <= y < board["height"] and (x, y) not in blocked:
            return move
    return "up"


def record_game(path: Path, seed: int = 11, snakes: int = 4, **config) -> Path:
    run_match([PythonPlayer(cautious) for _ in range(snakes)], MatchConfig(seed=seed, **config), out=path)
    return path


def lines_of(path: Path) -> list[dict]:
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def write_lines(path: Path, objs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(obj, separators=(",", ":")) + "\n" for obj in objs), encoding="utf-8")
    return path


def rewrite(source: Path, target: Path, change: Callable[[list[dict]], None]) -> Path:
    """Copy a replay as plain JSON lines, letting ``change`` edit the parsed lines in place."""
    objs = lines_of(source)
    change(objs)
    return write_lines(target, objs)
