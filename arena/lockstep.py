"""Many games of one ruleset played at once, stepped together on one engine batch.

Why: a one-game engine step costs about as much as a step of dozens of games (numpy's per-call
overhead dominates), so a tournament worker that plays its games side by side spends a fraction
of the engine time per game.  A finished game's slot is refilled with the next game at once.
Built-in bots answer every game's snakes in one call per bot (``arena.batch_ask``).
Each game stays exactly the game it is alone: the engine keys every random draw by the game's
own seed and turn, never by its neighbours in the batch (tests/test_lockstep.py compares them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import numpy as np

from arena.batch_ask import ask_batched
from arena.engine import Engine, seat_ids
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

    def _turn(self, live: dict[int, Match], moves: np.ndarray, ids: list[str]) -> None:
        """Ask, step and record one turn of every live game.  Games whose seats were all answered in
        batched calls (``arena.batch_ask``) and whose frames only go to a replay file get their replay
        lines written straight from the arrays (``Engine.frame_lines``); the others are asked and
        stepped game by game, their frames built in one bulk call (``Engine.frames``)."""
        answers = ask_batched(self.batch, live)  # every answer there is a move and its latency, nothing else
        batched = set(answers)
        for slot, match in live.items():
            if slot in batched:  # every seat answered by its bot's one call for the whole batch
                moves[slot] = match.answered(answers[slot])
            else:
                answers[slot], moves[slot] = match.ask()
        self.engine.step(self.batch, moves)
        lined = [slot for slot, match in live.items() if slot in batched and match.writes_only]
        written = [slot for slot in lined if live[slot].writer]
        if written:
            latency = np.full((len(written), self.seats), -1, np.int64)
            for row, slot in zip(latency, written):
                for seat, r in answers[slot].items():
                    row[seat] = round(r.latency_ms * 100)
            for slot, line in zip(written, self.engine.frame_lines(self.batch, written, ids, latency.reshape(-1))):
                live[slot].stepped_line(line)
        for slot in lined:
            if not live[slot].writer:
                live[slot].stepped_line(None)
        built = [slot for slot in live if slot not in batched or not live[slot].writes_only]
        if built:
            for slot, frame in zip(built, self.engine.frames(self.batch, built, ids)):  # in one go
                live[slot].stepped(answers[slot], frame)

    def run(self, games: Iterable[G], open_match: Callable[[G, Table], Match]) -> Iterator[tuple[G, MatchOutcome]]:
        """Play ``games``, ``open_match(game, table)`` making each one's ``Match`` on its slot of the
        batch; yields ``(game, outcome)`` as games finish.  Every match still open is closed when the
        iteration stops, however it stops."""
        pending = iter(games)
        free = list(range(self.width))
        live: dict[int, tuple[G, Match]] = {}
        moves = np.full((self.width, self.seats), -1, np.int8)
        ids = seat_ids(self.seats)
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
                    outcome = match.outcome()
                    match.close()
                    self.batch.done[slot] = True  # a game stopped at max_turns must not step on
                    free.append(slot)
                    yield game, outcome
                if finished:
                    continue
                if not live:
                    return
                self._turn({slot: match for slot, (_, match) in live.items()}, moves, ids)
        finally:
            for _, match in live.values():
                match.close()
