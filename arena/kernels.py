"""The engine's one compiled entry point: every Engine call that runs rules is one ``call``.

Why one: each compiled entry costs compile time once and cache-loading time in every process,
and each call pays for unboxing its arguments; so a step, a game-over test, a (re)start and a
classic respawn all enter here.  The arrays come in three tuples, the engine's tables, the batch's
scratch and the batch's ``Arrays`` (each kept by its owner): numba unboxes a tuple of arrays for
about a quarter of what the same arrays cost as separate arguments, and Python passes three objects.
"""

from __future__ import annotations

import numpy as np

from arena import rng
from arena.jit import is_kernel, kernel, lean_kernel
from arena.map_setup import start
from arena.map_stages import run_program
from arena.setup import START_LENGTH, classic_spot
from arena.stages import HEIGHT, WIDTH, WORK_BODY, Turn, count_true, run_stage
from arena.state import MAX_HEALTH, Arrays, place_body

# actions
STEP = 0  # a whole turn of every unfinished game (``games`` unused)
GAME_OVER = 1  # the program's last stage (its game-over test) over ``games``
SETUP = 2  # start ``games`` afresh: ``counts`` snakes each (mode in ``extra``), ``seeds`` given or kept
RESPAWN = 3  # classic drop-in: seat ``extra`` of game ``games[0]`` at a safe spot
STEP_RESTART = 4  # STEP, then the games it ended start again (mode in ``extra``), seeds from the scratch's on
NO_ROOM = -1


@lean_kernel
def call(action: int, extra: int, moves: np.ndarray, games: np.ndarray, counts: np.ndarray, seeds: np.ndarray,
         tables: tuple, scratch: tuple, b: Arrays) -> int:
    """Run ``action`` (STEP, GAME_OVER, SETUP, RESPAWN or STEP_RESTART) on the batch ``b``.  SETUP returns
    the index (in ``games``) of the first game with no room for its snakes, RESPAWN 1 if the snake was
    placed, STEP_RESTART how many games restarted; otherwise NO_ROOM (-1).  ``tables``: the ruleset's
    program (stage codes), settings and board table; ``scratch``: the batch's working arrays and the
    first seed of STEP_RESTART (``GameBatch.scratch``: this kernel allocates nothing)."""
    program, settings, board = tables
    stepping, dead, scores, work, first_seed = scratch
    done, turn = b.done, b.turn
    count = games.shape[0]
    if action == STEP or action == STEP_RESTART:
        games = stepping
        count = 0
        for g in range(done.shape[0]):
            if not done[g]:
                games[count] = g
                count += 1
    for k in range(count):
        for i in range(dead.shape[1]):
            dead[games[k], i] = False
    t = Turn(board, settings, moves, games[:count], dead, scores, work)
    if action == STEP or action == STEP_RESTART:
        run_program(program, b, t)
        if action == STEP_RESTART:  # while the ended games' arrays are still in the cache
            return _restart_ended(b, t, program, extra, first_seed[0])
    elif action == GAME_OVER:
        run_stage(program[-1], b, t)
    elif action == SETUP:
        for k in range(count):
            g = t.games[k]
            if seeds.shape[0]:
                set_seed(b, g, seeds[k])
            if not start(b, t, g, counts[k], extra):
                return k
        run_stage(program[-1], b, t)  # a lone snake (or none) may have nothing to play for
    elif action == RESPAWN:
        g = t.games[0]
        body = work[WORK_BODY:WORK_BODY + START_LENGTH]
        if not classic_spot(b, board, settings[WIDTH], settings[HEIGHT], g, extra, turn[g], body):
            return 0
        place_body(b, g, extra, body, MAX_HEALTH)
        done[g] = False
        return 1
    return NO_ROOM


@kernel
def _restart_ended(b: Arrays, t: Turn, program: np.ndarray, mode: int, first_seed: np.uint64) -> int:
    """Start the games of ``t.games`` that are over again, in game order, with seeds ``first_seed``,
    ``first_seed + 1``, ... and as many snakes as they had; the number restarted."""
    restarted = 0
    for g in t.games:
        if b.done[g]:
            set_seed(b, g, np.uint64(first_seed) + np.uint64(restarted))
            start(b, t, g, count_true(b.present[g]), mode)  # room again: the same snakes on the same board
            t.games[restarted] = g  # (only games already visited are overwritten)
            restarted += 1
    run_stage(program[-1], b, Turn(t.board, t.settings, t.moves, t.games[:restarted], t.dead, t.scores, t.work))
    return restarted


@kernel
def set_seed(b: Arrays, g: int, seed: np.uint64) -> None:
    """Game ``g``'s seed and the key every draw of it starts from (before ``start`` sets it up)."""
    b.seed[g] = seed
    b.seed_key[g] = rng.seed_key(seed)


@lean_kernel
def clean_moves(moves: np.ndarray, out: np.ndarray) -> None:
    """int64 moves to the int8 codes the step takes: anything but 0..3 becomes -1 (the default move)."""
    for g in range(moves.shape[0]):
        for i in range(moves.shape[1]):
            m = moves[g, i]
            out[g, i] = m if 0 <= m <= 3 else -1


class _Entry:
    point = None  # the compiled ``call``'s entry point, found by the first call through numba's dispatcher


def run(*args) -> int:
    """``call`` without numba's per-call type dispatch (about a fifth of a one-game step).  Only for the
    argument types ``Engine`` guarantees: a ``GameBatch``'s arrays (``GameBatch.arrays`` checks them),
    int8 C-contiguous writable moves, the engine's own tables and fresh int64/uint64 index arrays."""
    point = _Entry.point
    if point is not None:
        return point(*args)
    result = call(*args)
    if is_kernel(call):
        _Entry.point = call.overloads[tuple(call.typeof_pyval(a) for a in args)].entry_point
    return result
