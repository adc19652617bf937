"""Self-play vector env: B games x N snakes stepped in one call, every snake one agent slot.

The fast path for training with parameter sharing: observations, masks, rewards and
episode statistics for all ``B * N`` snakes come out of the batched engine as fixed-size
arrays, with no Python loop over games or snakes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from arena import rng
from arena.env.core import Games, Rewards, action_array, invalid_action_mode
from arena.env.recording import Recorder
from arena.env.rendering import render_frame
from arena.geometry import MOVES


class SnakeVectorEnv(VectorEnv):
    """``num_games`` games of ``num_snakes`` snakes as ``num_envs = num_games * num_snakes`` agent slots.

    Slot ``i`` is seat ``i % num_snakes`` of game ``i // num_snakes`` (game-major).

    ## Action space
    ``MultiDiscrete([4] * num_envs)``: per slot 0 up, 1 down, 2 left, 3 right.  Actions of
    dead slots are ignored.  Actions must be integers 0..3 in shape ``(num_envs,)``: anything else
    raises ``ValueError``, or with ``invalid_action="default"`` (values only) plays the default move.

    ## Observation space
    ``Dict(observation=Box(0, .., (num_envs, 10, h, w), uint8), action_mask=Box(0, 1, (num_envs, 4), int8))``,
    each slot encoded as in :class:`arena.env.parallel.SnakeParallelEnv` (see ``docs/envs.md``).
    ``observation`` is a view of a channel-major ``(10, num_envs, h, w)`` buffer (each channel
    is written in one pass); ``torch.from_numpy`` and ``np.ascontiguousarray`` take it as is.
    With ``copy=False`` the arrays are reused by the next ``step``: copy what you keep.

    ## Rewards
    Per slot, as in :class:`arena.env.core.Rewards` (win/loss/draw when the snake's episode
    ends, optional ``food`` and ``survival`` shaping).  Dead slots get 0.

    ## Episode end, the alive mask and autoreset (``AutoresetMode.SAME_STEP``)
    A slot is *terminated* on the step its snake dies or its game is decided, and
    *truncated* when its game reaches ``max_turns`` with the snake alive.  A dead snake's
    slot stays out (``infos["alive"]`` False, reward 0, no further terminations; its
    observation rows are stale) until its game ends.  A game that ends is restarted in the
    same ``step`` with a fresh seed: the returned observations of its slots are the new game's
    first ones.  For games cut off by ``max_turns`` (where a learner bootstraps from the last
    state) the last observations are in ``infos["final_obs"]`` (object array, set where
    ``infos["_final_obs"]``); decided games need none (a terminal state has no future).

    ## Infos
    ``alive`` (num_envs,) bool, after autoreset; ``action_mask`` (num_envs, 4) int8;
    ``episode = {"r": returns, "l": lengths}`` with ``_episode`` marking slots whose
    episode ended this step (RecordEpisodeStatistics' layout).
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(self, num_games: int = 1024, ruleset: str = "standard", width: int = 11, height: int = 11,
                 num_snakes: int = 4, max_turns: int | None = 500, obs: str = "egocentric",
                 view_radius: int | None = None, rewards: Rewards | dict | None = None,
                 settings: dict | None = None, render_mode: str | None = None, copy: bool = True,
                 record_dir: str | None = None, record_game: int = 0, invalid_action: str = "raise",
                 obs_format: str = "dict") -> None:
        self.games = Games(ruleset, width, height, num_snakes, max_turns, settings, obs, view_radius, rewards,
                           size=num_games, obs_format=obs_format)
        self.num_games, self.num_snakes = num_games, num_snakes
        self.num_envs = num_games * num_snakes
        self.copy = copy
        self.invalid_action = invalid_action_mode(invalid_action)
        self.render_mode = render_mode
        self.single_observation_space = self.games.observer.space()
        self.single_action_space = spaces.Discrete(len(MOVES))
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._obs = self.games.observer.buffer(num_games)
        self.recorder = Recorder(record_dir, self.games, [f"snake_{i}" for i in range(num_snakes)]) \
            if record_dir else None
        self.record_game = record_game

    # --- gymnasium API --------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Start every game; with ``seed``, game ``g`` gets seed ``rng.game_seeds(seed, num_games)[g]``
        (a hash of ``(seed, g)``) and later restarts draw their seeds from a generator seeded with it."""
        if seed is not None:
            seed = rng.seed_to_int(seed)
            self._np_random, self._np_random_seed = np.random.default_rng(seed), seed
        base = int(self.np_random.integers(0, 2**63)) if seed is None else seed
        self.games.reset(np.arange(self.num_games), rng.game_seeds(base, self.num_games))
        self._record_start()
        return self._observe({})

    def step(self, actions):
        g = self.games
        moves = action_array(actions, self.num_envs, self.invalid_action)
        out = g.step(moves.reshape(self.num_games, self.num_snakes))
        terminated, truncated = out.terminated.reshape(-1), out.truncated.reshape(-1)
        infos: dict[str, Any] = {"episode": {"r": g.returns.reshape(-1).copy(), "l": g.lengths.reshape(-1).copy()},
                                 "_episode": terminated | truncated}
        self._record_step(out.ended)
        ended = np.nonzero(out.ended)[0]
        if ended.size:
            cut = np.nonzero(out.ended & ~g.batch.done)[0]  # truncated: their last observation is still needed
            if cut.size:
                infos.update(self._final_obs(cut))
            g.restart(ended, self.np_random)
            self._record_start(ended)
        obs, infos = self._observe(infos)
        return obs, out.rewards.reshape(-1), terminated, truncated, infos

    def _observe(self, infos: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Every slot's observation and mask; the alive mask and masks go into ``infos`` too."""
        g = self.games
        masks = g.observer.action_masks(g.batch)
        planes = g.observer.observe(g.batch, out=self._obs)
        infos.update(alive=g.batch.alive.reshape(-1).copy(), action_mask=masks)
        if self.copy:
            planes, masks = planes.copy(order="K"), masks.copy()
        obs = g.observer.present(planes, masks)
        return obs, infos

    def _final_obs(self, games: np.ndarray) -> dict[str, np.ndarray]:
        """Last observations of the slots of games cut off by max_turns (object array + mask, as Gymnasium)."""
        observer, n = self.games.observer, self.num_snakes
        observation = observer.observe(self.games.batch, games)
        masks = observer.action_masks(self.games.batch, games)
        slots = (games[:, None] * n + np.arange(n)).ravel()
        final = np.empty(self.num_envs, dtype=object)
        for k, slot in enumerate(slots):
            final[slot] = observer.present(observation[k], masks[k])
        has_final = np.zeros(self.num_envs, bool)
        has_final[slots] = True
        return {"final_obs": final, "_final_obs": has_final}

    def render(self):
        """The recorded game (``record_game``), as text or an image."""
        frame = self.games.engine.frame(self.games.batch, self.record_game, self._ids)
        return render_frame(frame, self.games.geometry, self.render_mode)

    def action_masks(self) -> np.ndarray:
        """Current masks, (num_envs, 4) bool (sb3-contrib's convention)."""
        return self.games.observer.action_masks(self.games.batch).astype(bool)

    @property
    def alive(self) -> np.ndarray:
        return self.games.batch.alive.reshape(-1)

    def close(self, **kwargs: Any) -> None:
        if self.recorder:
            self.recorder.close()
        super().close(**kwargs)

    # --- helpers ----------------------------------------------------------------------------

    @property
    def _ids(self) -> list[str]:
        return [f"snake_{i}" for i in range(self.num_snakes)]

    def _record_start(self, games: np.ndarray | None = None) -> None:
        if self.recorder and (games is None or self.record_game in games):
            self.recorder.start(self.record_game)

    def _record_step(self, ended: np.ndarray) -> None:
        if self.recorder:
            self.recorder.frame(self.record_game)
            if ended[self.record_game]:
                self.recorder.finish(self.record_game)
