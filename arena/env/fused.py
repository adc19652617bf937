"""The vector env's whole step as one compiled call: actions checked, every game stepped, then per game
its rewards and ends, its restart, its observations and its action masks.

Why: the separate calls (step, restart, observe, mask) each read every game's arrays again and pay
Python's glue between them (~0.13 ms of a step of 1024 games).  Here the engine's program steps the
batch once, as ``Engine.step`` does (stepping one game at a time costs more: each stage call is
handed some thirty arrays), and everything after it runs per game while that game's arrays are in
the cache.  The step is the engine's own program (``run_program``), a restart the setup
``Engine.reset`` runs, the bookkeeping ``Games.step``'s (``game_outcome``) and the observation the
shared encoder's (``windows.encode_game``).  The one second version is the masks': the engine's move
safety (``arena.safety.game_moves``, what the separate calls use) read off the encoder's drawing of
the game (``windows.drawn_masks``), where a head's four neighbours sit beside it, for about a third
of the cost; tests/test_env_fused.py holds the two equal on every ruleset it steps."""

from __future__ import annotations

import numpy as np

from arena.env.core import Games, game_outcome
from arena.env.windows import drawn_masks, encode_game, rows
from arena.jit import is_kernel, lean_kernel
from arena.kernels import set_seed
from arena.map_setup import start
from arena.map_stages import run_program
from arena.stages import AHEAD, Turn, prefetch_tails, run_stage

# ``control`` (int64): what the call is told (set once per env) ...
DEFAULT_ACTIONS, WAIT, SETUP_MODE, SNAKES, MAX_TURNS = range(5)
WIDTH, HEIGHT, RADIUS, EGOCENTRIC, WRAPPED, KIND, KEEPS_HEADING, STARVES, HAZARD_DAMAGE = range(5, 14)
# ... and what it tells back
ENDED, BAD_SLOT = range(14, 16)
CONTROL = 16
# the call's result
DONE, BAD_ACTION, WAITING, NO_ROOM, NEED_SEEDS = range(5)


@lean_kernel
def env_step(actions, outputs, waiting, seeds, cursor, control, payout, tables, scratch, b, returns, lengths, moves,
             before, view, view_scratch, obs_out):
    """One vector-env step of every game (``SnakeVectorEnv.step``'s, bit for bit).

    ``actions`` (A,) int64, slot ``g * N + s``: 0..3, otherwise (``control[DEFAULT_ACTIONS]``) the default
    move or BAD_ACTION (``control[BAD_SLOT]``: the first bad slot) before anything changes.  Games in
    ``waiting`` (they ended last step) restart with seeds ``seeds[cursor[0]:]`` in game order, moving the
    cursor (or, ``control[WAIT]``, the call returns WAITING: they wait for a reset; with too few seeds
    left, NEED_SEEDS: draw more and call again); the others step unless over.
    ``payout``: win, loss, draw, survival, food (``Rewards``).  ``outputs``: rewards, terminated,
    truncated, alive, masks, episode returns, episode lengths, episode-ended (per slot) and ended (per
    game).  ``before``: scratch for the alive seats and food before the step.  The observations go into
    ``obs_out`` (codes, scalars, planes: ``Observer._encode``'s) with ``view`` and ``view_scratch``.
    """
    program, settings, board = tables
    stepping, dead, scores, work, _ = scratch
    games, seats = b.alive.shape
    flat_rewards, flat_terminated, flat_truncated, flat_alive, flat_masks, flat_return, flat_length, flat_ended, \
        ended = outputs
    rewards, terminated = flat_rewards.reshape(games, seats), flat_terminated.reshape(games, seats)
    truncated, alive_out = flat_truncated.reshape(games, seats), flat_alive.reshape(games, seats)
    masks = flat_masks.reshape(games, seats, 4)
    episode_return, episode_length = flat_return.reshape(games, seats), flat_length.reshape(games, seats)
    episode_ended = flat_ended.reshape(games, seats)
    alive_before, food_before = before
    x_of, y_of, base, big_of, health_value = view
    codes_out, scalars_out, planes_out = obs_out
    flat_moves = moves.reshape(actions.shape[0])
    for a in range(actions.shape[0]):  # nothing changes before every action is known good
        m = actions[a]
        if 0 <= m <= 3:
            flat_moves[a] = m
        elif control[DEFAULT_ACTIONS]:
            flat_moves[a] = -1
        else:
            control[BAD_SLOT] = a
            return BAD_ACTION
    restarts = 0
    for g in range(games):
        restarts += waiting[g]
    if restarts and control[WAIT]:
        return WAITING
    if restarts > seeds.shape[0] - cursor[0]:
        return NEED_SEEDS
    codes, planes = rows(codes_out, planes_out)
    win, loss, draw, survival, food = payout[0], payout[1], payout[2], payout[3], payout[4]
    stepped = ended  # (scratch until each game's end is known)
    count = 0
    for g in range(games):  # the engine's step of every game that is not over or waiting
        stepped[g] = not waiting[g] and not b.done[g]
        if stepped[g]:
            stepping[count] = g
            count += 1
            for s in range(seats):
                alive_before[g, s] = b.alive[g, s]
                dead[g, s] = False
            if food != 0.0:
                for c in range(food_before.shape[1]):
                    food_before[g, c] = b.food[g, c]
    run_program(program, b, Turn(board, settings, moves, stepping[:count], dead, scores, work))
    one = stepping[:1]
    t = Turn(board, settings, moves, one, dead, scores, work)
    ended_count = 0
    for g in range(games):  # then, one game at a time while its arrays are in the cache, everything else
        prefetch_tails(b, min(g + AHEAD, games - 1))  # the drawing and the masks read every tail
        game_outcome(g, stepped[g], alive_before[g], food_before[g], b.alive, b.done, b.turn, b.head,
                     control[MAX_TURNS], win, loss, draw, survival, food, returns, lengths, rewards, terminated,
                     truncated, ended)
        if waiting[g]:  # it ended last step: it starts again now (its actions are ignored)
            one[0] = g
            for s in range(seats):
                dead[g, s] = False
            set_seed(b, g, seeds[cursor[0]])
            cursor[0] += 1
            if not start(b, t, g, control[SNAKES], control[SETUP_MODE]):
                return NO_ROOM
            run_stage(program[-1], b, t)  # a lone snake may have nothing to play for
            for s in range(seats):
                returns[g, s] = 0
                lengths[g, s] = 0
            waiting[g] = False
        elif ended[g]:
            waiting[g] = True
            ended_count += 1
        for s in range(seats):
            terminated[g, s] = ended[g] and not truncated[g, s]
            alive_out[g, s] = b.alive[g, s]
            episode_ended[g, s] = ended[g]
            episode_return[g, s] = returns[g, s] if ended[g] else np.float32(0)
            episode_length[g, s] = lengths[g, s] if ended[g] else np.int32(0)
        encode_game(g, g * seats, b.alive, b.length, b.head, b.head_ptr, b.ring, b.occ, b.owner, b.health, b.turn,
                    b.food, b.hazard, x_of, y_of, base, control[WIDTH], control[HEIGHT], control[RADIUS],
                    control[EGOCENTRIC], control[WRAPPED], True, control[KIND], health_value, view_scratch, codes,
                    scalars_out, planes)
        drawn_masks(g, masks[g], b.alive, b.length, b.head, b.head_ptr, b.health, b.ring, b.food, b.hazard, board,
                    control[KEEPS_HEADING], control[STARVES], control[HAZARD_DAMAGE], view_scratch[0], big_of,
                    control[WIDTH] + 2 * control[RADIUS] + 2)
    control[ENDED] = ended_count
    return DONE


class FusedStep:
    """``env_step`` bound to one vector env's games, observer buffers and scratch (made once).

    Its Python side is kept to a few lines: it runs right after a call that has evicted most of the
    interpreter's data from the caches, where each line costs a microsecond or more (~20 µs of a
    1024-game step's ~400; unboxing the arguments is under 1 µs of that)."""

    def __init__(self, games: Games, obs: dict[str, np.ndarray], default_actions: bool, wait: bool) -> None:
        engine, observer, batch = games.engine, games.observer, games.batch
        g, safety = engine.geometry, engine.safety
        self.games, self.obs = games, obs
        self.control = np.zeros(CONTROL, np.int64)
        max_turns = -1 if games.max_turns is None else games.max_turns
        self.control[[DEFAULT_ACTIONS, WAIT, SETUP_MODE, SNAKES, MAX_TURNS]] = (default_actions, wait,
                                                                               engine.setup_mode, games.num_snakes,
                                                                               max_turns)
        self.control[WIDTH:HAZARD_DAMAGE + 1] = (g.width, g.height, observer.radius, observer.encoding == "egocentric",
                                                 g.wrapped, observer.kind, safety.keeps_heading, safety.starves,
                                                 safety.hazard_damage)
        r = games.rewards
        self.payout = np.array([r.win, r.loss, r.draw, r.survival, r.food], np.float64)
        self.moves = np.empty(batch.alive.shape, np.int8)
        self.before = (np.empty(batch.alive.shape, np.bool_), np.empty(batch.food.shape, np.bool_))
        self.ended = np.empty(batch.size, np.bool_)
        self.view = observer.tables()
        self.obs_out = observer.outputs(obs)
        self._point = None  # the compiled entry point (as ``arena.kernels.run``: no per-call type dispatch)
        self._args = None  # the call's arguments after the per-step ones (remade when the seed pool is)

    def __getstate__(self) -> dict:
        """Pickles and copies (a trainer's snapshot holds the env) find the entry point again: it cannot be pickled."""
        return {**self.__dict__, "_point": None, "_args": None}

    def __call__(self, actions: np.ndarray, waiting: np.ndarray, rng: np.random.Generator
                 ) -> tuple[int, tuple[np.ndarray, ...]]:
        """Run one step; (result, outputs) with the outputs as ``env_step`` lists them (fresh arrays)."""
        slots = self.moves.size
        outputs = (np.empty(slots, np.float32), np.empty(slots, np.bool_), np.empty(slots, np.bool_),
                   np.empty(slots, np.bool_), np.empty((slots, 4), np.int8), np.empty(slots, np.float32),
                   np.empty(slots, np.int32), np.empty(slots, np.bool_), self.ended)
        args = self._args
        if args is None or args[0] is not self.games.seeds:
            args = self._arguments()
        # At most the games that ended last step wait (a reset only restarts some): only when they
        # could outnumber the seeds left are they counted and seeds drawn, as the unfused step draws
        # them; a refused step draws nothing (as the unfused step, which refuses first).
        before = None
        if self.control[ENDED] > args[0].size - args[1][0] and not self.control[WAIT]:  # seeds, cursor
            before = self.games.seed_state(rng)
            args = self._draw_seeds(waiting, rng)
        while True:
            point = self._point
            result = point(actions, outputs, waiting, *args) if point is not None else \
                self._run(actions, outputs, waiting, args)
            if result != NEED_SEEDS:  # (never, unless after a step that failed half-way: NO_ROOM)
                break
            args = self._draw_seeds(waiting, rng)
        if result != DONE and before is not None:
            self.games.restore_seed_state(rng, before)
        return result, outputs

    def _draw_seeds(self, waiting: np.ndarray, rng: np.random.Generator) -> tuple:
        """Restart seeds for the waiting games drawn (if those left are too few); the call's arguments."""
        self.games.seed_pool(int(np.count_nonzero(waiting)), rng)
        return self._arguments()

    def _arguments(self) -> tuple:
        games, engine = self.games, self.games.engine
        batch = games.batch
        self._args = (games.seeds, games.seed_cursor, self.control, self.payout, engine.tables,
                      batch.scratch(engine.work_size), batch.arrays(), games.returns, games.lengths, self.moves,
                      self.before, self.view, games.observer.scratch(), self.obs_out)
        return self._args

    def _run(self, actions: np.ndarray, outputs: tuple, waiting: np.ndarray, args: tuple) -> int:
        """The call through numba's dispatcher, which finds (and the first time compiles) the entry point
        (without numba, it runs the plain Python function)."""
        every = (actions, outputs, waiting, *args)
        result = env_step(*every)
        if is_kernel(env_step):
            self._point = env_step.overloads[tuple(env_step.typeof_pyval(a) for a in every)].entry_point
        return result
