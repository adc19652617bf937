"""Ask the seats of many games at once: one call per bot for every game of a lockstep batch.

Why: a tournament worker plays its games side by side (``arena.lockstep``), and a built-in bot
asked game by game pays its per-call costs (reading the board, the seeded draw, the match's own
bookkeeping) once per snake.  A player with a ``batch_answer`` (``Player.batch_answer``: the
built-in bots, inline) is asked for all its snakes in every game of the batch in one call, on an
``arena.position.Asked``; its answers are the ones it gives game by game (tests/test_bot_batch.py).

Latency: each move of a batched call records an equal share of that call's time (the time the bot
spent, split over the snakes it answered), so tournament latency figures still sum to the time the
bots thought.  A call that raises, answers the wrong number of moves, or whose share exceeds a
seat's limit is discarded: those games ask their seats one by one as usual (``Match.ask``), which
records each seat's own error or timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import numpy as np

from arena.geometry import MOVES
from arena.match import Match
from arena.players.base import MoveResult
from arena.position import Asked
from arena.state import GameBatch


def batched_seats(match: Match) -> list[Callable] | None:
    """Each seat's ``batch_answer``, or None when a seat has none (the match is asked seat by seat)."""
    answers = [player.batch_answer for player in match.players]
    return None if any(answer is None for answer in answers) else answers


def ask_batched(batch: GameBatch, matches: Mapping[int, Match]) -> dict[int, dict[int, MoveResult]]:
    """This turn's answers of every live seat of ``matches`` (game index in ``batch`` -> its match),
    one call per bot; games whose seats cannot all be answered that way are left out."""
    groups: dict[Callable, list[tuple[int, int, Match]]] = {}
    turns = batch.turn.tolist()
    alive = batch.alive.tolist()
    damage = 0
    for game, match in matches.items():
        answers = batched_seats(match)
        if answers is None:
            continue
        damage = match.hazard_damage
        for seat, answer in enumerate(answers):
            if alive[game][seat]:
                groups.setdefault(answer, []).append((game, seat, match))
    results: dict[int, dict[int, MoveResult]] = {}
    failed: set[int] = set()
    for answer, pairs in groups.items():
        keys = [f"{match.info.game_id}:{turns[game]}:{match.ids[seat]}" for game, seat, match in pairs]
        asked = Asked(batch, np.array([p[0] for p in pairs], np.int64), np.array([p[1] for p in pairs], np.int64),
                      damage, keys)
        began = time.perf_counter()
        try:
            moves = list(answer(asked))
        except Exception:  # the bot's crash: asked one by one, each seat records it
            moves = []
        share = round((time.perf_counter() - began) * 1000 / len(pairs), 2)
        late = share >= 1 and any(share > match.limit(seat) for _, seat, match in pairs)  # limits are >= 1 ms
        if late or len(moves) != len(pairs) or not all(m in (0, 1, 2, 3) for m in moves):
            failed.update(game for game, _, _ in pairs)
            continue
        for (game, seat, _), move in zip(pairs, moves):
            results.setdefault(game, {})[seat] = MoveResult(MOVES[move], latency_ms=share)
    return {game: answers for game, answers in results.items() if game not in failed}
