"""The machinery every env shares: a batch of games, their rewards and episode bookkeeping.

Why one core: the PettingZoo env (one game), the Gymnasium env (one game, opponents in the
other seats) and the vector env (B games) differ only in how they present a step, so the
rules of reward, termination and truncation live here once, vectorised over games and seats.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from arena.engine import Engine, move_array
from arena.env.observation import Observer
from arena.game_choice import check_map_snakes, usual_ruleset, usual_snakes
from arena.geometry import frozen
from arena.jit import inline_kernel, lean_kernel

POOL_SIZE = 256  # seeds drawn at once for restarts (the draw sequence every run so far has used)
INVALID_ACTION_MODES = ("raise", "default")
ENV_SIZE = 11  # the board side of an env without a map or a size (classic too: its 24x24 is the CLI's default)
ENV_SNAKES = 4
_HINT = "expected an integer 0..3 (Discrete(4)); invalid_action='default' plays the default move instead"


def invalid_action_mode(mode: str) -> str:
    if mode not in INVALID_ACTION_MODES:
        raise ValueError(f"invalid_action must be one of {', '.join(INVALID_ACTION_MODES)}, got {mode!r}")
    return mode


def action_code(action, mode: str) -> int:
    """One agent's action as a move code; outside Discrete(4) it raises, or is -1 (default move)."""
    value = action.item() if isinstance(action, np.ndarray) and action.ndim == 0 else action
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) and 0 <= value <= 3:
        return int(value)
    if mode == "default":
        return -1
    raise ValueError(f"invalid action {action!r}: {_HINT}")


def action_array(actions, count: int, mode: str) -> np.ndarray:
    """A vector env's (count,) actions as move codes; a wrong shape always raises, values outside
    Discrete(4) raise or become -1 (default move) by ``mode``."""
    values = np.asarray(actions)
    if values.shape != (count,):
        raise ValueError(f"invalid actions: expected shape ({count},), got {values.shape}")
    if values.dtype.kind in "iu":
        bad = (values < 0) | (values > 3)
        if not np.count_nonzero(bad):
            return values
    elif mode == "raise":
        raise ValueError(f"invalid actions of dtype {values.dtype}: {_HINT}")
    if mode == "default":
        return move_array(values) if values.dtype.kind in "iuf" else np.full(count, -1, np.int8)
    slot = int(np.flatnonzero(bad)[0])
    raise ValueError(f"invalid action {values[slot]!r} in slot {slot}: {_HINT}")


@dataclass(frozen=True)
class Rewards:
    """Reward scheme.  Outcomes are paid once, when a snake's episode ends:

    - ``win``: the snake is alive when the game is over (it outlived everyone);
    - ``draw``: the snake died on the last turn together with every other remaining snake;
    - ``loss``: the snake died while another snake lived on (or died alone, in ``solo``).

    A game cut off at ``max_turns`` pays no outcome (the episode is truncated, not decided).
    Shaping, per turn: ``food`` for each food eaten, ``survival`` for each turn survived.
    """

    win: float = 1.0
    loss: float = -1.0
    draw: float = 0.0
    food: float = 0.0
    survival: float = 0.0

    @classmethod
    def of(cls, value: Rewards | dict | None) -> Rewards:
        if value is None:
            return cls()
        if isinstance(value, Rewards):
            return value
        known = {f.name for f in fields(cls)}
        unknown = set(value) - known
        if unknown:
            raise ValueError(f"unknown reward keys {sorted(unknown)} (known: {', '.join(sorted(known))})")
        return cls(**{k: float(v) for k, v in value.items()})


@dataclass
class StepOutcome:
    """What one step did, per (game, seat) unless noted."""

    rewards: np.ndarray  # float32
    terminated: np.ndarray  # bool: the snake died, or the game is over
    truncated: np.ndarray  # bool: the game hit max_turns with the snake alive
    ended: np.ndarray  # (B,) bool: the game is over or truncated


class Games:
    """B games of ``num_snakes`` snakes each, with per-seat returns and episode lengths.

    A seat's episode is its game ("black death"): ``lengths`` counts the game's turns for every
    seat, a dead snake's included; ``returns`` sums the seat's rewards (0 once it is dead).
    """

    def __init__(self, ruleset: str | None = None, width: int | None = None, height: int | None = None,
                 num_snakes: int | None = None, max_turns: int | None = 500, settings: dict | None = None,
                 obs: str = "egocentric", view_radius: int | None = None,
                 rewards: Rewards | dict | None = None, size: int = 1, obs_format: str = "dict",
                 map: str | None = None) -> None:
        """``ruleset``, ``num_snakes``, ``width`` and ``height`` left out: standard, 4 snakes, 11x11, or with a
        ``map`` the map's usual ruleset, snake count and board (``arena.game_choice``)."""
        if map is None:  # without a map the envs play 11x11 by default (classic included)
            width, height = ENV_SIZE if width is None else width, ENV_SIZE if height is None else height
        ruleset, num_snakes = usual_ruleset(ruleset, map), usual_snakes(num_snakes, map, ENV_SNAKES)
        self.engine = Engine(ruleset, width, height, settings, map=map)
        check_map_snakes(self.engine, num_snakes)
        if not self.engine.ruleset.min_snakes <= num_snakes:
            raise ValueError(f"ruleset {ruleset} needs at least {self.engine.ruleset.min_snakes} snakes")
        self.num_snakes, self.size = int(num_snakes), int(size)
        self.max_turns = max_turns
        self.rewards = Rewards.of(rewards)
        self.observer = Observer(self.engine, self.num_snakes, obs, view_radius, obs_format)
        self.batch = self.engine.new_batch(range(self.size), self.num_snakes)
        self.returns = np.zeros((self.size, self.num_snakes), np.float32)
        self.lengths = np.zeros((self.size, self.num_snakes), np.int32)
        # Seeds drawn for restarts, handed out from ``seed_cursor[0]`` on; the cursor is an array so the
        # fused step (arena/env/fused.py) hands seeds out and moves it itself.
        self.seeds = np.zeros(0, np.uint64)
        self.seed_cursor = np.zeros(1, np.int64)

    @property
    def geometry(self):
        return self.engine.geometry

    def reset(self, games: np.ndarray, seeds: np.ndarray) -> None:
        """Start the given games afresh with the given seeds."""
        games = np.asarray(games, dtype=np.intp)
        self.engine.reset(self.batch, games, seeds, self.num_snakes)
        self.seeds, self.seed_cursor[0] = np.zeros(0, np.uint64), 0  # restarts after a seeded reset draw afresh
        self.returns[games] = 0
        self.lengths[games] = 0

    def restart(self, games: np.ndarray, rng: np.random.Generator) -> None:
        """Start the given games afresh with seeds drawn from ``rng``, in game order (``seed_pool``);
        each game is set up from its seed by the compiled setup, so a restart of a few games costs a
        few microseconds."""
        games = np.asarray(games, dtype=np.intp)
        pool, first = self.seed_pool(games.size, rng)
        self.engine.reset(self.batch, games, pool[first:first + games.size], self.num_snakes)
        self.took_seeds(games.size)
        self.returns[games] = 0
        self.lengths[games] = 0

    def seed_pool(self, count: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
        """(seeds, first): the next ``count`` restart seeds are ``seeds[first:first + count]`` (hand them
        out with ``took_seeds``).  Seeds are drawn ``POOL_SIZE`` at a time, when the ones drawn before run
        out (the sequence every run so far has used)."""
        left = self.seeds_left()
        if left < count:
            kept = self.seeds[self.seed_cursor[0]:]
            fresh = [rng.integers(0, 2**63, POOL_SIZE, dtype=np.uint64) for _ in range(-(-(count - left) // POOL_SIZE))]
            self.seeds, self.seed_cursor[0] = np.concatenate([kept, *fresh]), 0
        return self.seeds, int(self.seed_cursor[0])

    def took_seeds(self, count: int) -> None:
        self.seed_cursor[0] += count

    def seed_state(self, rng: np.random.Generator) -> tuple:
        """Where the restart seeds stand (``rng``'s state included), for ``restore_seed_state``."""
        return rng.bit_generator.state, self.seeds, int(self.seed_cursor[0])

    def restore_seed_state(self, rng: np.random.Generator, state: tuple) -> None:
        rng.bit_generator.state, self.seeds, self.seed_cursor[0] = state

    def seeds_left(self) -> int:
        """Restart seeds drawn and not handed out yet."""
        return self.seeds.size - int(self.seed_cursor[0])

    def step(self, moves: np.ndarray) -> StepOutcome:
        """Advance every unfinished game one turn; ``moves`` (B, N) ints, -1 = default move."""
        b, r = self.batch, self.rewards
        stepping = np.logical_not(b.done)
        alive_before = b.alive.copy()  # (game_outcome leaves out the games not stepped)
        food_before = b.food.copy() if r.food else _NO_FOOD
        self.engine.step(b, moves)
        out = StepOutcome(rewards=np.empty(b.alive.shape, np.float32), terminated=np.empty(b.alive.shape, bool),
                          truncated=np.empty(b.alive.shape, bool), ended=np.empty(b.size, bool))
        _outcomes(stepping, alive_before, food_before, b.alive, b.done, b.turn, b.head,
                  -1 if self.max_turns is None else self.max_turns, r.win, r.loss, r.draw, r.survival, r.food,
                  self.returns, self.lengths, out.rewards, out.terminated, out.truncated, out.ended)
        return out


_NO_FOOD = frozen(np.zeros((0, 0), bool))  # read only, as every module-level table


@lean_kernel
def _outcomes(stepping, alive_before, food_before, alive, done, turn, head, max_turns, win, loss, draw, survival,
              food, returns, lengths, rewards, terminated, truncated, ended):
    """``Games.step``'s bookkeeping after the engine stepped, one loop over games (``game_outcome``).
    ``food_before``: the food grid before the step (empty when food pays nothing); ``max_turns`` -1: none."""
    for g in range(alive.shape[0]):
        game_outcome(g, stepping[g], alive_before[g], food_before[g] if food != 0.0 else food_before.reshape(-1),
                     alive, done, turn, head, max_turns, win, loss, draw, survival, food, returns, lengths, rewards,
                     terminated, truncated, ended)


@inline_kernel
def game_outcome(g, stepping, alive_before, food_before, alive, done, turn, head, max_turns, win, loss, draw,
                 survival, food, returns, lengths, rewards, terminated, truncated, ended):
    """Game ``g``'s rewards, returns, lengths and ends after the engine stepped (or, ``stepping`` False,
    left it alone); the rules are in ``Rewards``.  Rewards are summed as float64 in a fixed order, then
    stored as float32.  ``alive_before``: its seats' ``alive`` before the step; ``food_before``: its food
    row before the step (read only when food pays).  The vector env's fused step calls this per game."""
    seats = alive.shape[1]
    over = done[g] and stepping
    cut = stepping and not done[g] and max_turns >= 0 and turn[g] >= max_turns
    ended[g] = over or cut
    died_count, anyone = 0, False
    for s in range(seats):
        was_alive = alive_before[s] and stepping  # a finished game's winner is not stepped again
        died_count += was_alive and not alive[g, s]
        anyone |= alive[g, s]
    lost = draw if over and not anyone and died_count >= 2 else loss
    for s in range(seats):
        was_alive = alive_before[s] and stepping
        died = was_alive and not alive[g, s]
        won = alive[g, s] and over
        # selects, not branches: who dies is a coin toss to the CPU
        value = win if won else (lost if died else 0.0)
        if survival != 0.0:
            value += survival * (was_alive and alive[g, s])
        if food != 0.0:
            value += food * (was_alive and food_before[head[g, s]])
        rewards[g, s] = value
        returns[g, s] += np.float32(value)
        lengths[g, s] += stepping  # a seat's episode is its game (dead seats idle on: "black death")
        terminated[g, s] = died or won
        truncated[g, s] = alive[g, s] and cut
