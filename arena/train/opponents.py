"""Who plays the seats the learner does not: itself, frozen past versions, or built-in bots.

Why a mix: against itself alone a policy can drift into habits that only beat itself; against
fixed bots alone it overfits them.  Each opponent seat of a game is drawn when the game starts:
the learner (self-play, ``self_play``), a frozen past version (``past``, once there is one), or a
built-in bot from the curriculum.  The curriculum starts with its first bot (``random``) and
unlocks the next when the learner wins ``promote_at`` of its last ``promote_games`` games against
the hardest one unlocked; half the bot seats go to that hardest bot, half to the easier ones.
Bots are found through the registry (``arena.registry``) and answer Battlesnake requests built
from the batch, exactly as in a match.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np

from arena.battlesnake import GameInfo, game_state
from arena.geometry import MOVE_INDEX

LEARNER, BOT, PAST = 0, 1, 2


class Curriculum:
    """The unlocked bots and the learner's recent results against each (win = 1)."""

    def __init__(self, bots: tuple[str, ...], promote_at: float, promote_games: int) -> None:
        self.bots, self.promote_at, self.promote_games = bots, promote_at, promote_games
        self.level = 0  # index of the hardest unlocked bot
        self.results = {name: deque(maxlen=promote_games) for name in bots}

    @property
    def hardest(self) -> str:
        return self.bots[self.level]

    def record(self, bot: str, won: bool) -> str | None:
        """Count a finished game; returns the bot just unlocked, if this game unlocked one."""
        if bot not in self.results:
            return None
        self.results[bot].append(1 if won else 0)
        recent = self.results[self.hardest]
        if (bot == self.hardest and self.level + 1 < len(self.bots) and len(recent) >= self.promote_games
                and sum(recent) >= self.promote_at * len(recent)):
            self.level += 1
            return self.hardest
        return None

    def win_rate(self, bot: str) -> float | None:
        recent = self.results.get(bot)
        return sum(recent) / len(recent) if recent else None

    def weights(self) -> np.ndarray:
        """Share of bot seats per curriculum bot: half to the hardest unlocked, half to the easier ones."""
        w = np.zeros(len(self.bots))
        if self.level == 0:
            w[0] = 1.0
        else:
            w[:self.level] = 0.5 / self.level
            w[self.level] = 0.5
        return w

    def state(self) -> dict:
        return {"level": self.level, "results": {k: list(v) for k, v in self.results.items()}}

    def load_state(self, state: dict) -> None:
        self.level = int(state["level"])
        for name, results in state["results"].items():
            if name in self.results:
                self.results[name].extend(results)


def draw_opponent(rng: np.random.Generator, curriculum: Curriculum, self_play: float, past: float,
                  pool_len: int) -> tuple[int, int]:
    """(kind, which) for one opponent seat: (LEARNER, 0), (PAST, pool index) or (BOT, curriculum index)."""
    u = rng.random()
    if u < self_play:
        return LEARNER, 0
    if pool_len and u < self_play + past:
        return PAST, int(rng.integers(pool_len))
    return BOT, int(rng.choice(len(curriculum.bots), p=curriculum.weights()))


class BotSeats:
    """Asks built-in bots for their moves in the games of a vector env, one request per bot seat."""

    def __init__(self, games, names: list[str], policies: list[Callable[[dict], object]], run_id: str) -> None:
        self.games, self.names, self.policies = games, names, policies
        self.ids = [f"snake_{i}" for i in range(games.num_snakes)]
        settings = games.engine.settings
        self.info = [GameInfo(game_id="", ruleset=games.engine.ruleset.name, settings=settings,
                              map=games.engine.map and games.engine.map.name)
                     for _ in range(games.size)]
        self.run_id = run_id
        self.started = 0

    def new_game(self, game: int) -> None:
        """A game restarted: a new ``game.id`` (bots seed their randomness from it), deterministic per run."""
        self.info[game].game_id = f"{self.run_id}-{self.started}"
        self.started += 1

    def moves(self, seats: list[tuple[int, int, int]]) -> list[int]:
        """The moves (0..3; -1 for an answer that is not a move) of ``(game, seat, bot index)`` seats."""
        g = self.games
        width, height = g.geometry.width, g.geometry.height
        out, frame, frame_game = [], None, -1
        for game, seat, bot in seats:
            if game != frame_game:
                frame, frame_game = g.engine.frame(g.batch, game, self.ids), game
            answer = self.policies[bot](game_state(frame, width, height, self.info[game], self.ids[seat]))
            if isinstance(answer, dict):
                answer = answer.get("move")
            out.append(MOVE_INDEX.get(answer, -1))
        return out
