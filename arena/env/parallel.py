"""PettingZoo parallel env: one Battlesnake game, every snake an agent."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from arena import rng
from arena.env.core import Games, Rewards, action_code, invalid_action_mode
from arena.env.recording import Recorder
from arena.env.rendering import RENDER_MODES, OneGameView
from arena.geometry import MOVES
from arena.state import MAX_HEALTH


class SnakeParallelEnv(OneGameView, ParallelEnv):
    """Multiplayer Snake under Battlesnake rules (or Kogame Snek's classic mode).

    Agents ``snake_0 .. snake_{n-1}`` act at once each turn.  A snake that dies leaves
    ``env.agents`` for good; ``possible_agents`` never changes.

    ## Action space
    ``Discrete(4)``: 0 up (y+1), 1 down, 2 left, 3 right.  Anything else (4, -5, 2.7, an array)
    raises ``ValueError``; ``invalid_action="default"`` plays the default move instead.

    ## Observation space
    ``Dict(observation=Box(0, .., (10, h, w), uint8), action_mask=Box(0, 1, (4,), int8))``.
    ``observation`` is ``egocentric`` (default: a ``2r+1`` square window centred on the
    snake's head, ``r = view_radius``, by default half the board so the window is as big as
    the board) or ``global`` (the whole board).  Row 0 is the top (largest y).  Channels:

    ====  ==================  ==========================================================
     0    own_head            this snake's head
     1    own_body            this snake's other segments
     2    long_enemy_head     heads of enemies at least as long (a head-on would kill me)
     3    long_enemy_body     other segments of those enemies
     4    short_enemy_head    heads of shorter enemies (a head-on would kill them)
     5    short_enemy_body    other segments of those enemies
     6    food                food
     7    wall                outside the board (0 on wrapped boards and in ``global``)
     8    hazard              hazard cells
     9    health              this snake's health 0..100, on every cell
    ====  ==================  ==========================================================

    ``action_mask`` marks moves that do not kill outright: not off the board, not onto a
    neck or a body segment that is still there after every tail moves, not starving off
    food.  A head-on is never masked (it depends on the other snake's move).  When every
    move kills, the mask is all ones.  The same mask is in ``infos[agent]["action_mask"]``.

    ``obs_format`` hands the same content out differently: ``planes`` (the Box alone), ``image``
    (0/255), ``codes`` (``Dict(codes, scalars, action_mask)``: one uint8 code per cell plus
    health, length and turn; the code table is in ``docs/envs.md``).

    ## Rewards
    See :class:`arena.env.core.Rewards`: ``win`` (+1) for outliving everyone, ``loss`` (-1)
    for dying while someone lives on, ``draw`` (0) for dying on the final turn with every
    other remaining snake; plus optional ``food`` and ``survival`` shaping per turn.
    Pass ``rewards={"win": 1, "loss": -1, "draw": 0, "food": 0.01, "survival": 0.001}``.

    ## Episode end
    Termination: the snake dies, or the game is over (at most one snake left; none in
    ``solo``), which terminates the survivor too.  Truncation: ``max_turns`` turns played
    (``max_cycles``, PettingZoo's name for it, is accepted too).

    ## Seeding
    ``reset(seed=s)`` plays the game with engine seed ``s``; the whole episode then depends
    only on the actions.  ``reset()`` without a seed draws the next seed from the last one.
    """

    metadata = {"name": "snek_v0", "render_modes": list(RENDER_MODES), "is_parallelizable": True, "render_fps": 5}

    def __init__(self, ruleset: str | None = None, width: int | None = None, height: int | None = None,
                 num_snakes: int | None = None, max_turns: int | None = 500, obs: str = "egocentric",
                 view_radius: int | None = None, render_mode: str | None = None, rewards: Rewards | dict | None = None,
                 settings: dict | None = None, record_dir: str | None = None, invalid_action: str = "raise",
                 obs_format: str = "dict", max_cycles: int | None = None, map: str | None = None) -> None:
        if render_mode is not None and render_mode not in RENDER_MODES:
            raise ValueError(f"unknown render mode {render_mode!r} (choose from {', '.join(RENDER_MODES)})")
        if max_cycles is not None:  # PettingZoo's name for the turn limit: one cycle = one turn
            if max_turns not in (500, max_cycles):
                raise ValueError(f"max_cycles={max_cycles} and max_turns={max_turns} disagree: pass one of them")
            max_turns = max_cycles
        self.games = Games(ruleset, width, height, num_snakes, max_turns, settings, obs, view_radius, rewards,
                           obs_format=obs_format, map=map)
        self.invalid_action = invalid_action_mode(invalid_action)
        num_snakes = self.games.num_snakes
        self.possible_agents = [f"snake_{i}" for i in range(num_snakes)]
        self._seat = {a: i for i, a in enumerate(self.possible_agents)}
        self.frame_ids = self.possible_agents
        self.agents: list[str] = []
        self.render_mode = render_mode
        space = self.games.observer.space()
        self.observation_spaces = {a: space for a in self.possible_agents}
        self.action_spaces = {a: spaces.Discrete(len(MOVES)) for a in self.possible_agents}
        g = self.games.geometry
        self.state_space = spaces.Box(0, 255, (3 + 2 * num_snakes, g.height, g.width), np.uint8)
        self.recorder = Recorder(record_dir, self.games, self.possible_agents) if record_dir else None
        self._rng = np.random.default_rng()

    def observation_space(self, agent: str) -> spaces.Space:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self.action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            game_seed = rng.seed_to_int(seed)
            self._rng = np.random.default_rng(game_seed)
        else:
            game_seed = int(self._rng.integers(0, 2**63))
        self.games.reset(np.array([0]), [game_seed])
        self.agents = list(self.possible_agents)
        if self.recorder:
            self.recorder.start(0)
        observations, infos = self._observe(self.agents)
        return observations, infos

    def step(self, actions: dict[str, Any]):
        if not self.agents:
            raise RuntimeError("step() called on a finished episode: call reset() first")
        seat = self._seat
        moves = [-1] * self.num_snakes
        for agent, action in actions.items():
            if agent not in seat:
                raise ValueError(f"no agent {agent!r} in this env (agents: {', '.join(self.possible_agents)})")
            moves[seat[agent]] = action_code(action, self.invalid_action)
        out = self.games.step(np.array([moves], np.int8))
        acting = list(self.agents)
        observations, infos = self._observe(acting)
        reward, terminated, truncated = out.rewards[0].tolist(), out.terminated[0].tolist(), out.truncated[0].tolist()
        rewards = {a: reward[seat[a]] for a in acting}
        terminations = {a: terminated[seat[a]] for a in acting}
        truncations = {a: truncated[seat[a]] for a in acting}
        self.agents = [a for a in acting if not (terminations[a] or truncations[a])]
        if self.recorder:
            self.recorder.frame(0)
            if out.ended[0]:
                self.recorder.finish(0)
        if self.render_mode == "human":
            self.render()
        return observations, rewards, terminations, truncations, infos

    @property
    def num_snakes(self) -> int:
        return len(self.possible_agents)

    def _observe(self, agents: list[str]) -> tuple[dict, dict]:
        observer, batch = self.games.observer, self.games.batch
        parts = observer.encode(batch)
        masks = observer.action_masks(batch)
        seat = self._seat
        observations = {a: observer.present(parts, masks, seat[a]) for a in agents}
        infos = {a: {"action_mask": masks[seat[a]]} for a in agents}
        return observations, infos

    def state(self) -> np.ndarray:
        """Global state, (3 + 2N, height, width) uint8, row 0 the top: food, hazard entries,
        live-snake count, then per seat a body plane (segments numbered tail 1 .. head = length)
        and a plane with the snake's health on its head."""
        g, frame = self.games.geometry, self.frame()
        state = np.zeros(self.state_space.shape, np.uint8)
        row = lambda y: g.height - 1 - y  # noqa: E731
        for x, y in frame["food"]:
            state[0, row(y), x] = 1
        for x, y in frame["hazards"]:
            if y < g.height:  # snail_mode keeps state in hazards above the board
                state[1, row(y), x] += 1
        state[2] = sum(s["alive"] for s in frame["snakes"])
        for seat, snake in enumerate(frame["snakes"]):
            if not snake["alive"]:
                continue
            body = snake["body"]
            for k, (x, y) in reversed(list(enumerate(body))):
                state[3 + 2 * seat, row(y), x] = min(len(body) - k, 255)
            hx, hy = body[0]
            state[4 + 2 * seat, row(hy), hx] = min(max(snake["health"], 0), MAX_HEALTH)
        return state



def parallel_env(**kwargs: Any) -> SnakeParallelEnv:
    """PettingZoo-style constructor: ``parallel_env(ruleset="standard", num_snakes=4, ...)``."""
    return SnakeParallelEnv(**kwargs)
