"""Gymnasium single-agent env ``snek/Snake-v0``: you play one snake, bots play the others."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from arena import rng
from arena.battlesnake import GameInfo, game_state
from arena.engine import move_codes
from arena.env.core import Games, Rewards, action_code, invalid_action_mode
from arena.env.recording import Recorder
from arena.env.rendering import RENDER_MODES, OneGameView
from arena.geometry import MOVES
from arena.players.base import PythonPlayer
from arena.players.spec import builtin_player
from arena.registry import Policy


class SnakeEnv(OneGameView, gym.Env):
    """One snake against opponents, for single-agent RL (SB3, CleanRL, ...).

    ``gymnasium.make("snek/Snake-v0", opponents=["safe", "greedy", my_callable], ...)``.
    The agent is ``snake_0``; ``snake_1..`` are the opponents, each a built-in bot name (the
    ``snek.bots`` entry points, see ``arena.registry``) or a callable
    ``policy(game_state) -> "up" | "down" | "left" | "right"`` that receives Battlesnake's
    ``/move`` request body.  An answer that is not a move becomes the default move.
    For ``check_env``'s determinism, opponents must be deterministic given the request
    (``game.id`` is derived from the seed, so a bot may seed its randomness from it).

    ## Action space
    ``Discrete(4)``: 0 up (y+1), 1 down, 2 left, 3 right.  Anything else (4, -5, 2.7, an array)
    raises ``ValueError``; ``invalid_action="default"`` plays the default move instead.

    ## Observation space
    ``Dict(observation=Box(0, .., (10, h, w), uint8), action_mask=Box(0, 1, (4,), int8))``:
    the agent's view, exactly as in :class:`arena.env.parallel.SnakeParallelEnv` (channels
    are listed there and in ``docs/envs.md``).  The mask is also in ``info["action_mask"]``
    and ``action_masks()`` (sb3-contrib's MaskablePPO convention).

    ## Rewards
    :class:`arena.env.core.Rewards` for the agent's snake: ``win`` for outliving all
    opponents, ``loss`` for dying first, ``draw`` for dying together at the end, plus the
    optional ``food`` / ``survival`` shaping.

    ## Episode end
    Termination: the agent's snake dies, or it is the last one alive.  Truncation:
    ``max_turns`` turns played.  ``info["winner"]`` tells who won when a game is decided.
    """

    metadata = {"render_modes": list(RENDER_MODES), "render_fps": 5}

    def __init__(self, opponents: Sequence[str | Policy] = ("safe",), ruleset: str | None = None,
                 width: int | None = None, height: int | None = None, max_turns: int | None = 500,
                 obs: str = "egocentric",
                 view_radius: int | None = None, rewards: Rewards | dict | None = None,
                 settings: dict | None = None, render_mode: str | None = None,
                 record_dir: str | None = None, timeout_ms: int = 500, invalid_action: str = "raise",
                 obs_format: str = "dict", map: str | None = None) -> None:
        if render_mode is not None and render_mode not in RENDER_MODES:
            raise ValueError(f"unknown render mode {render_mode!r} (choose from {', '.join(RENDER_MODES)})")
        self.opponents = [builtin_player(o) if isinstance(o, str) else PythonPlayer(o) for o in opponents]
        num_snakes = 1 + len(self.opponents)
        self.games = Games(ruleset, width, height, num_snakes, max_turns, settings, obs, view_radius, rewards,
                           obs_format=obs_format, map=map)
        self.invalid_action = invalid_action_mode(invalid_action)
        self.ids = self.frame_ids = [f"snake_{i}" for i in range(num_snakes)]
        self.observation_space = self.games.observer.space()
        self.action_space = spaces.Discrete(len(MOVES))
        self.render_mode = render_mode
        self.timeout_ms = timeout_ms
        names = ["agent"] + [p.name for p in self.opponents]
        self.recorder = Recorder(record_dir, self.games, self.ids, names, ["env"] + ["python"] * len(self.opponents)) \
            if record_dir else None
        engine = self.games.engine
        self._info = GameInfo(game_id="", ruleset=engine.ruleset.name, settings=engine.settings, timeout_ms=timeout_ms,
                              names=dict(zip(self.ids, names)), map=engine.map and engine.map.name)
        self._mask = np.ones(len(MOVES), np.int8)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=None if seed is None else rng.seed_to_int(seed))
        game_seed = int(self.np_random.integers(0, 2**63))
        self.games.reset(np.array([0]), [game_seed])
        self._info.game_id = f"snake-env-{game_seed:016x}"
        if self.recorder:
            self.recorder.start(0)
        frame = self.frame()
        for seat, player in enumerate(self.opponents, start=1):
            player.start(self._request(frame, seat))
        return self._observe()

    def step(self, action):
        mine = action_code(action, self.invalid_action)
        frame = self.frame()
        moves = [mine] + move_codes([self._opponent_move(frame, seat) for seat in range(1, len(self.ids))])
        out = self.games.step(np.array([moves]))
        if self.recorder:
            self.recorder.frame(0)
        terminated, truncated = bool(out.terminated[0, 0]), bool(out.truncated[0, 0])
        if terminated or truncated:
            self._finish(None if out.ended[0] else "agent-eliminated")
        obs, info = self._observe()
        if self.games.batch.done[0]:
            alive = np.nonzero(self.games.batch.alive[0])[0]
            info["winner"] = self.ids[alive[0]] if alive.size == 1 else None
        if self.render_mode == "human":
            self.render()
        return obs, float(out.rewards[0, 0]), terminated, truncated, info

    def _opponent_move(self, frame: dict, seat: int) -> str | None:
        if not self.games.batch.alive[0, seat]:
            return None
        return self.opponents[seat - 1].move(self._request(frame, seat), self.timeout_ms).move

    def _request(self, frame: dict, seat: int) -> dict:
        g = self.games.geometry
        return game_state(frame, g.width, g.height, self._info, self.ids[seat])

    def _finish(self, reason: str | None) -> None:
        """The agent's episode is over: tell the opponents, and close the replay."""
        frame = self.frame()
        for seat, player in enumerate(self.opponents, start=1):
            player.end(self._request(frame, seat))
        if self.recorder:
            self.recorder.finish(0, reason)

    def _observe(self) -> tuple[dict, dict]:
        observer, batch = self.games.observer, self.games.batch
        games = np.array([0])
        parts = observer.encode(batch, games)
        masks = observer.action_masks(batch, games)
        self._mask = masks[0]
        return observer.present(parts, masks, 0), {"action_mask": self._mask}

    def action_masks(self) -> np.ndarray:
        """Moves that do not kill outright, as bools (sb3-contrib MaskablePPO calls this)."""
        return self._mask.astype(bool)

    def close(self) -> None:
        super().close()
        for player in self.opponents:
            player.close()
