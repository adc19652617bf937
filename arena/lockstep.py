"""Many games of one ruleset played at once, stepped together on one engine batch.

Why: a one-game engine step costs about as much as a step of dozens of games (numpy's per-call
overhead dominates), so a tournament worker that plays its games side by side spends a fraction
of the engine time per game.  A finished game's slot is refilled with the next game at once.
Each game stays exactly the game it is alone: the engine keys every random draw by the game's
own seed and turn, never by its neighbours in the batch (tests/test_lockstep.py compares them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import numpy as np

from arena.engine import Engine
from arena.match import Match, MatchConfig, MatchOutcome
from arena.state import GameBatch

G = TypeVar("G")
Table = tuple[Engine, GameBatch, int]


class Lockstep:
    """Up to ``width`` games of ``rules`` (ruleset, map, board, settings) with ``seats`` players each."""

    def __init__(self, rules: MatchConfig, seats: int, width: int) -> None:
        self.engine = Engine(rules.ruleset, rules.width, rules.height, rules.settings, map=rules.map)
        self.seats = seats
        self.batch = self.engine.new_batch(range(width), num_snakes=seats, seats=seats)
        self.batch.done[:] = True  # every slot is empty until a game takes it
        self.width = width

    def run(self, games: Iterable[G], open_match: Callable[[G, Table], Match]) -> Iterator[tuple[G, MatchOutcome]]:
        """Play ``games``, ``open_match(game, table)`` making each one's ``Match`` on its slot of the
        batch; yields ``(game, outcome)`` as games finish.  Every match still open is closed when the
        iteration stops, however it stops."""
        pending = iter(games)
        free = list(range(self.width))
        live: dict[int, tuple[G, Match]] = {}
        moves = np.full((self.width, self.seats), -1, np.int8)
        try:
            while True:
                while free and (game := next(pending, None)) is not None:
                    slot = free.pop()
                    match = open_match(game, (self.engine, self.batch, slot))
                    live[slot] = (game, match)
                    match.start()
                finished = [slot for slot, (_, match) in live.items() if match.over]
                for slot in finished:
                    game, match = live.pop(slot)
                    outcome = MatchOutcome(match.header, match.finish(), match.frames)
                    match.close()
                    self.batch.done[slot] = True  # a game stopped at max_turns must not step on
                    free.append(slot)
                    yield game, outcome
                if finished:
                    continue
                if not live:
                    return
                answers = {}
                for slot, (_, match) in live.items():
                    answers[slot], moves[slot] = match.ask()
                self.engine.step(self.batch, moves)
                for slot, (_, match) in live.items():
                    match.stepped(answers[slot])
        finally:
            for _, match in live.values():
                match.close()
