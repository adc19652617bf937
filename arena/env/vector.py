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
from arena.env import fused
from arena.env.core import Games, Rewards, action_array, invalid_action_mode
from arena.env.recording import Recorder
from arena.env.rendering import render_frame
from arena.geometry import MOVES

#: ``autoreset_mode`` accepts the enum or its value / name in any case ("next_step", "SameStep", ...).
AUTORESET_NAMES = {name.lower(): mode for mode in AutoresetMode for name in (mode.name, mode.value)}


def autoreset_mode_of(value: AutoresetMode | str) -> AutoresetMode:
    if isinstance(value, AutoresetMode):
        return value
    mode = AUTORESET_NAMES.get(str(value).lower())
    if mode is None:
        raise ValueError(f"unknown autoreset_mode {value!r} (choose from next_step, same_step, disabled)")
    return mode


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
    ``obs_format="codes"``: ``Dict(codes=(num_envs, h, w) uint8, scalars=(num_envs, 3) float32,
    action_mask)``, the planes' compact form (``docs/envs.md``).  Arrays are C-ordered and written in
    place into buffers made once; with ``copy=False`` they are reused by the next ``step``: copy
    what you keep.

    ## A slot's episode ("black death", as PettingZoo's SuperSuit ``black_death_v3``)
    A slot's episode is its game: it starts with the game and ends, for every slot of the game
    at once, on the step the game ends.  A snake that dies before that gets its outcome reward
    on the step it dies (``infos["alive"]`` turns False); from then on its slot gets zero
    observations, an all-ones action mask (any action, ignored) and reward 0 until the game
    ends.  So a dead snake's idle steps belong to the episode it died in, never to a later one,
    and every slot's episode length is its game's number of turns.  At the end, a slot is
    *truncated* if its snake is alive in a game cut off by ``max_turns``, *terminated* otherwise.

    ## Autoreset (``autoreset_mode``, also in ``metadata["autoreset_mode"]``)
    - ``NEXT_STEP`` (default, Gymnasium 1.x's default): the step after a game ended restarts it;
      that step ignores its slots' actions and returns the new game's first observations with
      reward 0 and no termination or truncation.
    - ``SAME_STEP``: a game that ends restarts in the same ``step``; the returned observations
      are the new game's first, the last ones are in ``infos["final_obs"]`` (object array of
      single observations) and that step's infos in ``infos["final_info"]``, each set where
      ``infos["_final_obs"]`` / ``infos["_final_info"]`` (exactly as Gymnasium's own vector envs).
    - ``DISABLED``: ended games wait for ``reset(options={"reset_mask": mask})`` (a slot mask
      covering whole games; TorchRL's preferred mode); stepping a waiting game raises.

    ## Infos (every key with its ``_key`` mask)
    ``alive`` (num_envs,) bool and ``action_mask`` (num_envs, 4) int8 for the returned
    observations, on every slot; ``episode_return`` (float32) and ``episode_length`` (int32) on
    the slots whose episode ended this step (the same figures Gymnasium's
    ``RecordEpisodeStatistics`` computes: the env does not pre-fill its ``episode`` key).
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 5, "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, num_games: int = 1024, ruleset: str | None = None, width: int | None = None,
                 height: int | None = None, num_snakes: int | None = None, max_turns: int | None = 500,
                 obs: str = "egocentric",
                 view_radius: int | None = None, rewards: Rewards | dict | None = None,
                 settings: dict | None = None, render_mode: str | None = None, copy: bool = True,
                 record_dir: str | None = None, record_game: int = 0, invalid_action: str = "raise",
                 obs_format: str = "dict", autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
                 map: str | None = None) -> None:
        self.games = Games(ruleset, width, height, num_snakes, max_turns, settings, obs, view_radius, rewards,
                           size=num_games, obs_format=obs_format, map=map)
        num_snakes = self.games.num_snakes
        self.num_games, self.num_snakes = num_games, num_snakes
        self.num_envs = num_games * num_snakes
        self.copy = copy
        self.invalid_action = invalid_action_mode(invalid_action)
        self.autoreset_mode = autoreset_mode_of(autoreset_mode)
        self.metadata = {**type(self).metadata, "autoreset_mode": self.autoreset_mode}
        self.render_mode = render_mode
        self.single_observation_space = self.games.observer.space()
        self.single_action_space = spaces.Discrete(len(MOVES))
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._obs = self.games.observer.buffers(num_games)
        self._waiting = np.zeros(num_games, bool)  # games that ended and are not restarted yet
        self._every = np.ones(self.num_envs, bool)
        # one compiled call per step, except where a step hands out more than its arrays (final_obs, recordings)
        fusable = self.autoreset_mode != AutoresetMode.SAME_STEP and not record_dir
        self._fused = fused.FusedStep(self.games, self._obs, self.invalid_action == "default",
                                      self.autoreset_mode == AutoresetMode.DISABLED) if fusable else None
        self.recorder = Recorder(record_dir, self.games, [f"snake_{i}" for i in range(num_snakes)]) \
            if record_dir else None
        self.record_game = record_game

    # --- gymnasium API --------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Start every game; with ``seed``, game ``g`` gets seed ``rng.game_seeds(seed, num_games)[g]``
        (a hash of ``(seed, g)``) and later restarts draw their seeds from a generator seeded with it.

        ``options={"reset_mask": mask}`` (num_envs,) bool restarts only the games whose slots are
        set (all slots of a game alike), with seeds from the env's generator."""
        if seed is not None:
            seed = rng.seed_to_int(seed)
            self._np_random, self._np_random_seed = np.random.default_rng(seed), seed
        mask = (options or {}).get("reset_mask")
        if mask is not None:
            self._restart(self._games_of_mask(mask))
        else:
            base = int(self.np_random.integers(0, 2**63)) if seed is None else seed
            self.games.reset(np.arange(self.num_games), rng.game_seeds(base, self.num_games))
            self._waiting[:] = False
            self._record_start()
        return self._observe({})

    def step(self, actions):
        if self._fused is not None:
            return self._fused_step(actions)
        g, n = self.games, self.num_snakes
        moves = action_array(actions, self.num_envs, self.invalid_action)
        restarting = np.flatnonzero(self._waiting)
        if restarting.size:
            if self.autoreset_mode == AutoresetMode.DISABLED:
                raise RuntimeError(f"games {restarting.tolist()[:8]} ended: with autoreset_mode DISABLED, "
                                   f"reset(options={{'reset_mask': ...}}) them before stepping")
            g.batch.done[restarting] = True  # a reset step: these games are not stepped, their actions ignored
        out = g.step(moves.reshape(self.num_games, n))
        self._record_step(out.ended)
        truncated = out.truncated.reshape(-1)
        terminated = np.repeat(out.ended, n) & ~truncated
        ended = np.flatnonzero(out.ended)
        infos: dict[str, Any] = {}
        if ended.size:
            done = np.repeat(out.ended, n)
            infos.update(episode_return=np.where(done, g.returns.reshape(-1), np.float32(0)), _episode_return=done,
                         episode_length=np.where(done, g.lengths.reshape(-1), np.int32(0)), _episode_length=done)
        if restarting.size:
            self._restart(restarting)
        if ended.size and self.autoreset_mode == AutoresetMode.SAME_STEP:
            infos.update(self._final(ended, infos))
            self._restart(ended)
        else:
            self._waiting[ended] = True
        obs, infos = self._observe(infos)
        return obs, out.rewards.reshape(-1), terminated, truncated, infos

    def _fused_step(self, actions):
        """``step`` as one compiled call (``arena.env.fused``): the same results, bit for bit."""
        values = actions
        if not (type(values) is np.ndarray and values.dtype == np.int64 and values.shape == (self.num_envs,)
                and values.flags.c_contiguous):
            values = np.ascontiguousarray(action_array(actions, self.num_envs, self.invalid_action), np.int64)
        result, outputs = self._fused(values, self._waiting, self.np_random)
        if result == fused.BAD_ACTION:
            action_array(values, self.num_envs, self.invalid_action)  # raises, saying which and why
        if result == fused.WAITING:
            raise RuntimeError(f"games {np.flatnonzero(self._waiting).tolist()[:8]} ended: with autoreset_mode "
                               f"DISABLED, reset(options={{'reset_mask': ...}}) them before stepping")
        if result == fused.NO_ROOM:  # a crowded classic board may have no room for a restart
            raise self.games.engine.no_room(self.num_snakes)
        rewards, terminated, truncated, alive, masks, episode_return, episode_length, episode_ended, _ = outputs
        infos: dict[str, Any] = {}
        if self._fused.control[fused.ENDED]:
            infos.update(episode_return=episode_return, _episode_return=episode_ended, episode_length=episode_length,
                         _episode_length=episode_ended)
        obs, infos = self._present(self._obs, masks, alive, infos)
        return obs, rewards, terminated, truncated, infos

    def _observe(self, infos: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Every slot's observation and mask (dead slots blacked out); alive and masks go into ``infos`` too."""
        g = self.games
        alive = g.batch.alive.reshape(-1).copy()
        parts = g.observer.encode(g.batch, out=self._obs, blank_dead=True)
        masks = g.observer.action_masks(g.batch, dead_any=True)
        return self._present(parts, masks, alive, infos)

    def _present(self, parts: dict[str, np.ndarray], masks: np.ndarray, alive: np.ndarray,
                 infos: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        every = self._every  # (copied: cheaper than np.ones, and each key gets its own array as before)
        infos.update(alive=alive, _alive=every.copy(), action_mask=masks, _action_mask=every.copy())
        if self.copy:
            parts, masks = {k: v.copy() for k, v in parts.items()}, masks.copy()
        return self.games.observer.present(parts, masks), infos

    def _final(self, games: np.ndarray, infos: dict[str, Any]) -> dict[str, Any]:
        """SAME_STEP's ``final_obs`` / ``final_info`` for the slots of the given ended games, laid out as
        Gymnasium's vector envs lay them out (object array of single observations; batched infos with masks)."""
        observer, n = self.games.observer, self.num_snakes
        slots = (games[:, None] * n + np.arange(n)).ravel()
        alive = self.games.batch.alive[games].reshape(-1)
        # Observed in batches of a few fixed sizes (the games repeated), so the observer's buffers are reused.
        padded = np.resize(games, max(8, 1 << (games.size - 1).bit_length()))
        parts = observer.encode(self.games.batch, padded, blank_dead=True)
        masks = observer.action_masks(self.games.batch, padded, dead_any=True)[:slots.size]
        final = np.full(self.num_envs, None, dtype=object)
        for k, slot in enumerate(slots):
            final[slot] = observer.present(parts, masks, k)
        has_final = np.zeros(self.num_envs, bool)
        has_final[slots] = True
        final_alive = np.zeros(self.num_envs, bool)
        final_alive[slots] = alive
        final_masks = np.zeros((self.num_envs, len(MOVES)), np.int8)
        final_masks[slots] = masks
        final_info = {"alive": final_alive, "_alive": has_final, "action_mask": final_masks, "_action_mask": has_final,
                      **{k: v for k, v in infos.items() if k.lstrip("_").startswith("episode_")}}
        return {"final_obs": final, "_final_obs": has_final, "final_info": final_info, "_final_info": has_final}

    def render(self):
        """The recorded game (``record_game``), as text or an image."""
        frame = self.games.engine.frame(self.games.batch, self.record_game, self._ids)
        return render_frame(frame, self.games.geometry, self.render_mode)

    def action_masks(self) -> np.ndarray:
        """Current masks, (num_envs, 4) bool (sb3-contrib's convention); all ones on dead slots."""
        return self.games.observer.action_masks(self.games.batch, dead_any=True).astype(bool)

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

    def _restart(self, games: np.ndarray) -> None:
        self.games.restart(games, self.np_random)
        self._waiting[games] = False
        self._record_start(games)

    def _games_of_mask(self, mask) -> np.ndarray:
        mask = np.asarray(mask)
        if mask.shape != (self.num_envs,) or mask.dtype != np.bool_:
            raise ValueError(f"reset_mask must be a bool array of shape ({self.num_envs},), got {mask.dtype} "
                             f"{mask.shape}")
        per_game = mask.reshape(self.num_games, self.num_snakes)
        if (per_game.any(axis=1) != per_game.all(axis=1)).any():
            raise ValueError("reset_mask must cover whole games (all slots of a game alike): games restart together")
        return np.flatnonzero(per_game[:, 0])

    def _record_start(self, games: np.ndarray | None = None) -> None:
        if self.recorder and (games is None or self.record_game in games):
            self.recorder.start(self.record_game)

    def _record_step(self, ended: np.ndarray) -> None:
        if self.recorder and not self._waiting[self.record_game]:  # a waiting game was not stepped
            self.recorder.frame(self.record_game)
            if ended[self.record_game]:
                self.recorder.finish(self.record_game)

