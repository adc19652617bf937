"""The player interface and the in-process Python transport."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from arena.geometry import MOVES


@dataclass
class MoveResult:
    move: str | None
    latency_ms: float | None = None
    error: str | None = None
    shout: str | None = None
    stderr: str | None = None  # what a subprocess bot wrote to stderr during this turn (its tail)


def parse_answer(answer) -> MoveResult:
    """Accept a move string or a ``{"move": ..., "shout": ...}`` dict; anything else is bad output."""
    shout = None
    if isinstance(answer, dict):
        shout = answer.get("shout") if isinstance(answer.get("shout"), str) else None
        answer = answer.get("move")
    if isinstance(answer, str) and answer.lower() in MOVES:
        return MoveResult(answer.lower(), shout=shout)
    return MoveResult(None, error=f"bad-output: {str(answer)[:80]!r} is not a move", shout=shout)


class Player(ABC):
    """A seat in a game.  ``move`` must return within the request's ``game.timeout``."""

    name: str = "player"
    kind: str = "python"
    color: str | None = None
    head: str = "default"  # Battlesnake customizations, passed to every snake in the request body
    tail: str = "default"
    concurrent: bool = False  # may ``move`` be called while an earlier call is still running?

    def start(self, state: dict) -> None:
        """Called once before turn 0 with the initial game state."""

    @abstractmethod
    def move(self, state: dict, timeout_ms: int) -> MoveResult:
        """Answer one turn within ``timeout_ms`` (the match also stops waiting then)."""

    def end(self, state: dict) -> None:
        """Called once with the final game state."""

    def close(self) -> None:
        """Release processes, sockets or threads; safe to call twice."""


class PythonPlayer(Player):
    """An in-process callable ``policy(state) -> move`` (or ``{"move", "shout"}``).

    The match runs it on a worker thread and stops waiting at the timeout (Python cannot
    kill a thread, so a policy that never returns keeps its thread; the game goes on).
    """

    kind = "python"

    def __init__(self, policy: Callable[[dict], object], name: str | None = None, color: str | None = None) -> None:
        self.policy = policy
        self.name = name or getattr(policy, "__name__", "python")
        self.color = color
        self._start = getattr(policy, "start", None)
        self._end = getattr(policy, "end", None)

    def start(self, state: dict) -> None:
        if callable(self._start):
            self._start(state)

    def move(self, state: dict, timeout_ms: int) -> MoveResult:
        began = time.perf_counter()
        try:
            result = parse_answer(self.policy(state))
        except Exception as exc:  # a bot's bug must not end the game
            result = MoveResult(None, error=f"crash: {type(exc).__name__}: {exc}"[:200])
        result.latency_ms = round((time.perf_counter() - began) * 1000, 2)
        return result

    def end(self, state: dict) -> None:
        if callable(self._end):
            self._end(state)
