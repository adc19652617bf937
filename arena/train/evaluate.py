"""Periodic evaluation: the policy (seat 0, its best move) against built-in bots on a fixed set of games.

Why a fixed set: the same seeds every time, so a change in the win rate is the policy's, not the
draw of start positions.  Games are played side by side in one vector env; each game counts once
(its first episode).  Numpy only: the policy is any ``act(parts, masks) -> moves`` (``arena.train.inputs``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from arena.env.vector import SnakeVectorEnv
from arena.train.config import TrainConfig
from arena.train.inputs import input_spec
from arena.train.opponents import BotSeats

Act = Callable[[np.ndarray, np.ndarray], np.ndarray]


def evaluate(act: Act, config: TrainConfig, bot: str, policy: Callable[[dict], object], games: int,
             seed: int, should_stop: Callable[[], bool] = lambda: False) -> dict:
    """Play ``games`` games of the policy against ``bot`` in the other seats: wins, draws, losses, mean turns.

    A win is being the last snake alive; a draw, a game cut off at ``max_turns`` or one where the last
    snakes died together."""
    env = SnakeVectorEnv(num_games=games, ruleset=config.ruleset, map=config.map, width=config.width,
                         height=config.height, num_snakes=config.snakes, max_turns=config.max_turns,
                         view_radius=config.radius, obs_format=config.obs_format, copy=False, invalid_action="default")
    n, spec = config.snakes, input_spec(config.obs_format)
    seats = BotSeats(env.games, [bot], [policy], f"eval-{seed}")
    for game in range(games):
        seats.new_game(game)
    obs, info = env.reset(seed=seed)
    outcome = np.full(games, -2)  # -2 playing, 1 won, 0 draw, -1 lost
    turns = np.zeros(games, int)
    learner = np.arange(games) * n
    while (outcome == -2).any():
        if should_stop():
            raise KeyboardInterrupt
        playing = outcome == -2
        alive = info["alive"].reshape(games, n)
        actions = np.zeros(games * n, np.int64)
        mine = learner[playing & alive[:, 0]]
        if mine.size:
            actions[mine] = act({k: v[mine] for k, v in spec.parts(obs).items()}, info["action_mask"][mine])
        bot_seats = [(g, s, 0) for g in np.flatnonzero(playing).tolist() for s in range(1, n) if alive[g, s]]
        if bot_seats:
            moves = seats.moves(bot_seats)
            for (g, s, _), move in zip(bot_seats, moves):
                actions[g * n + s] = move  # -1 (not a move): the default move
        obs, _, terminated, truncated, info = env.step(actions)
        ended = (terminated | truncated).reshape(games, n).any(axis=1) & playing
        alive = info["alive"].reshape(games, n)
        for g in np.flatnonzero(ended).tolist():
            cut = bool(truncated.reshape(games, n)[g].any())
            outcome[g] = 0 if cut or not alive[g].any() else 1 if alive[g, 0] else -1
            turns[g] = int(env.games.batch.turn[g])
    env.close()
    return {"bot": bot, "games": games, "wins": int((outcome == 1).sum()), "draws": int((outcome == 0).sum()),
            "losses": int((outcome == -1).sum()), "mean_turns": float(turns.mean())}
