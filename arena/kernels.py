"""The engine's one compiled entry point: every Engine call that runs rules is one ``call``.

Why one: each compiled entry costs compile time once and cache-loading time in every process,
and each call pays for unboxing its arguments; so a step, a game-over test, a (re)start and a
classic respawn all enter here, with the batch's arrays as plain arguments (the cheapest to pass).
"""

from __future__ import annotations

import numpy as np

from arena import rng
from arena.jit import is_kernel, kernel
from arena.map_setup import start
from arena.map_stages import run as run_code
from arena.setup import START_LENGTH, classic_spot
from arena.stages import HEIGHT, WIDTH, WORK, Turn, run_stage
from arena.state import MAX_HEALTH, Arrays, place_body

# actions
STEP = 0  # a whole turn of every unfinished game (``games`` unused)
GAME_OVER = 1  # the program's last stage (its game-over test) over ``games``
SETUP = 2  # start ``games`` afresh: ``counts`` snakes each (mode in ``extra``), ``seeds`` given or kept
RESPAWN = 3  # classic drop-in: seat ``extra`` of game ``games[0]`` at a safe spot
NO_ROOM = -1


@kernel
def call(action: int, extra: int, program: np.ndarray, settings: np.ndarray, board: np.ndarray, moves: np.ndarray,
         games: np.ndarray, counts: np.ndarray, seeds: np.ndarray,
         seed, seed_key, turn, done, present, alive, health, length, head, head_ptr, ring, last_move,
         death_cause, death_turn, death_by, occ, owner, food, food_count, hazard, box) -> int:
    """Run ``action`` (STEP, GAME_OVER, SETUP or RESPAWN) on a batch given as its arrays.  SETUP returns
    the index (in ``games``) of the first game with no room for its snakes, RESPAWN 1 if the snake was
    placed; otherwise NO_ROOM (-1)."""
    b = Arrays(seed, seed_key, turn, done, present, alive, health, length, head, head_ptr, ring, last_move,
               death_cause, death_turn, death_by, occ, owner, food, food_count, hazard, box)
    count = games.shape[0]
    if action == STEP:
        games = np.empty(done.shape[0], np.int64)
        count = 0
        for g in range(done.shape[0]):
            if not done[g]:
                games[count] = g
                count += 1
    t = Turn(board, settings, moves, games[:count], np.zeros(alive.shape, np.bool_),
             np.empty(settings[WIDTH] * settings[HEIGHT], np.uint64), np.empty(WORK, np.int64))
    if action == STEP:
        for code in program:
            run_code(code, b, t)
        for g in t.games:
            turn[g] += 1
    elif action == GAME_OVER:
        run_stage(program[-1], b, t)
    elif action == SETUP:
        for k in range(count):
            g = t.games[k]
            if seeds.shape[0]:
                seed[g] = seeds[k]
                seed_key[g] = rng.seed_key(seeds[k])
            if not start(b, t, g, counts[k], extra):
                return k
        run_stage(program[-1], b, t)  # a lone snake (or none) may have nothing to play for
    elif action == RESPAWN:
        g = t.games[0]
        body = np.empty(START_LENGTH, np.int32)
        if not classic_spot(b, board, settings[WIDTH], settings[HEIGHT], g, extra, turn[g], body):
            return 0
        place_body(b, g, extra, body, MAX_HEALTH)
        done[g] = False
        return 1
    return NO_ROOM



@kernel
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
