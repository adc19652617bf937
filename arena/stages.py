"""Rule stages: one small compiled function per rule, composed into rulesets (``arena.rules``).

Each stage is a kernel (``arena.jit``) looping over the games of this call and their snakes, reading
and updating the batch's arrays (``state.Arrays``) and this turn's scratch (``Turn``), in the order
Battlesnake's pipeline runs them.  A ruleset is a list of stages; ``arena.kernels.call`` runs a
ruleset's whole step for a batch in one compiled call, dispatching on each stage's code (``CODES``).
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

import numpy as np

from arena import rng
from arena.geometry import Geometry, frozen
from arena.jit import inline_kernel, kernel, lowest_bit, prefetch
from arena.state import CAUSE_INDEX, MAX_HEALTH, Arrays, GameBatch, grow_body, lift_body

OUT_OF_HEALTH = CAUSE_INDEX["out-of-health"]
WALL = CAUSE_INDEX["wall-collision"]
HAZARD = CAUSE_INDEX["hazard"]
SELF_COLLISION = CAUSE_INDEX["snake-self-collision"]
BODY_COLLISION = CAUSE_INDEX["snake-collision"]
HEAD_COLLISION = CAUSE_INDEX["head-collision"]

# Columns of ``board_table``: per padded cell, where each move leads (wrap-aware), its unwrapped
# neighbours (food spawning), its x and y (-1 / size on the border) and whether it is on the board.
NEXT, NEAR, X, Y, INSIDE = 0, 4, 8, 9, 10
# ``Turn.settings``: the board size and the ruleset's numbers, in this order.
WIDTH, HEIGHT, HAZARD_DAMAGE, MINIMUM_FOOD, FOOD_CHANCE, SHRINK_EVERY = range(6)
SETTING_NAMES = ("hazardDamagePerTurn", "minimumFood", "foodSpawnChance", "shrinkEveryNTurns")
# ``Turn.work`` (int64 scratch, kernels allocate nothing): setup's 16 start cells, 16 food picks and 4 + 16
# rankings, a (re)spawned body, and elimination's causes and killers per seat.
WORK_BODY, WORK_CAUSES, WORK_BY = 52, 56, 72
WORK = 88
ZERO = np.uint64(0)
AHEAD = 6  # games ``move`` prefetches ahead (``arena.jit.prefetch``)
SHRINK_STEP = frozen(np.array([1, -1, 1, -1], np.int64))  # per side of the royale box: min x in, max x in, ...


class Turn(NamedTuple):
    """One call in progress: the board, the settings, the moves, which games step, and scratch."""

    board: np.ndarray  # (C, 11) int32 ``board_table``
    settings: np.ndarray  # int64, indexed by WIDTH, HEIGHT, HAZARD_DAMAGE, ...
    moves: np.ndarray  # (B, N) int8 requested moves; anything but 0..3 means "none"
    games: np.ndarray  # int64 the games this call steps
    dead: np.ndarray  # (B, N) bool eliminated this turn (bodies still on the grid until lifted)
    scores: np.ndarray  # (area,) uint64 scratch for food placement and start draws
    work: np.ndarray  # (WORK,) int64 scratch for setup and elimination (see WORK)


@cache
def board_table(g: Geometry) -> np.ndarray:
    """The geometry's lookup tables side by side, one int32 row per padded cell (see NEXT...INSIDE)."""
    table = np.concatenate([g.next_cell, g.neighbours, g.x_of[:, None], g.y_of[:, None], g.interior[:, None]],
                           axis=1).astype(np.int32)
    return frozen(np.ascontiguousarray(table))


def settings_array(g: Geometry, settings: dict) -> np.ndarray:
    return frozen(np.array([g.width, g.height] + [int(settings.get(name, 0)) for name in SETTING_NAMES], np.int64))


# --- helpers shared by the stages, the setup and the move-safety kernels ------------------------


@kernel
def neck_heading(hx: int, hy: int, nx: int, ny: int) -> int:
    """Direction from neck to head (wrap-aware: a jump across the board is a step over its edge), else up."""
    if hx == nx + 1:
        return 3
    if hx == nx - 1:
        return 2
    if hy == ny + 1:
        return 0
    if hy == ny - 1:
        return 1
    if hx == 0 and nx > 0:
        return 3
    if nx == 0 and hx > 0:
        return 2
    if hy == 0 and ny > 0:
        return 0
    if ny == 0 and hy > 0:
        return 1
    return 0


@kernel
def neck_of(b: Arrays, g: int, i: int) -> int:
    """The cell behind snake ``i``'s head (its head again when stacked or one long)."""
    return b.ring[g * b.alive.shape[1] + i, (b.head_ptr[g, i] - 1) & (b.ring.shape[1] - 1)]


@kernel
def default_move(b: Arrays, board: np.ndarray, g: int, i: int) -> int:
    """Battlesnake's move for a missing one: the direction from neck to head, else up."""
    if b.length[g, i] < 2:
        return 0
    h, neck = b.head[g, i], neck_of(b, g, i)
    return neck_heading(board[h, X], board[h, Y], board[neck, X], board[neck, Y])


@kernel
def classic_move(move: int, heading: int, has_neck: bool) -> int:
    """Classic's move rule: a missing move, or a 180-degree reversal of a snake that has a neck
    (a lone head has no "back"), keeps the current heading."""
    if move < 0 or move > 3:
        return heading
    if has_neck and move == (heading ^ 1):  # up/down and left/right are 0/1 and 2/3
        return heading
    return move


@inline_kernel
def count_true(values: np.ndarray) -> int:
    """How many of a row's entries are set (a loop: ``np.count_nonzero`` on a row allocates a temporary;
    inlined: a game-over test calls it once a game every turn)."""
    count = 0
    for value in values:
        if value:
            count += 1
    return count


@kernel
def live_seats(b: Arrays, g: int) -> int:
    """Game ``g``'s live seats, one bit each (read without a branch)."""
    live = 0
    for i in range(b.alive.shape[1]):
        live |= np.int64(b.alive[g, i]) << i
    return live


@kernel
def tail_of(b: Arrays, g: int, i: int) -> int:
    return b.ring[g * b.alive.shape[1] + i, (b.head_ptr[g, i] - b.length[g, i] + 1) & (b.ring.shape[1] - 1)]


@kernel
def kill(b: Arrays, t: Turn, g: int, i: int, cause: int, by: int) -> None:
    """Eliminate a snake this turn.  Its body stays on the grid until ``eliminate`` lifts every snake
    that died this turn at once; until then collision checks ignore cells owned by ``t.dead`` snakes."""
    b.alive[g, i] = False
    b.death_cause[g, i] = cause
    b.death_turn[g, i] = b.turn[g] + 1
    b.death_by[g, i] = by
    t.dead[g, i] = True


@kernel
def advance(b: Arrays, t: Turn, g: int, i: int, move: int) -> None:
    """Prepend the new head and drop the tail of one snake."""
    mask = b.ring.shape[1] - 1
    b.occ[g, tail_of(b, g, i)] -= 1
    head = t.board[b.head[g, i], NEXT + move]
    b.head[g, i] = head
    ptr = (b.head_ptr[g, i] + 1) & mask
    b.head_ptr[g, i] = ptr
    b.ring[g * b.alive.shape[1] + i, ptr] = head
    b.last_move[g, i] = move


@inline_kernel
def place_food(b: Arrays, t: Turn, g: int, count: int, key: np.uint64, stream: int) -> None:
    """Add up to ``count`` food to game ``g`` on its best-scoring free cells (stream ``stream``).

    Free: on the board, no live segment, no food, not next to a live head (unwrapped
    neighbours, as Battlesnake's GetUnoccupiedPoints).  Hazards do not block food.
    """
    if count <= 0:
        return
    width, height = t.settings[WIDTH], t.settings[HEIGHT]
    scores = t.scores
    occ, food = b.occ[g], b.food[g]
    for y in range(height):  # every cell is scored, free or not: a branch-free loop the compiler vectorises
        k0, c0 = y * width, (y + 1) * (width + 2) + 1
        for x in range(width):
            free = (occ[c0 + x] == 0) & (food[c0 + x] == 0)  # kept by a mask, not a select: the loop's scalar
            scores[k0 + x] = rng.score(key, stream, k0 + x) & (ZERO - np.uint64(free))  # remainder stays branch-free
    for i in range(b.alive.shape[1]):  # no branches (they are mispredicted): others write cell 0's score back
        h, live = b.head[g, i], b.alive[g, i]
        for d in range(4):
            near = t.board[h, NEAR + d]
            taken = live & (t.board[near, INSIDE] != 0)
            k = t.board[near, Y] * width + t.board[near, X] if taken else 0
            scores[k] = ZERO if taken else scores[k]
    area = width * height
    for _ in range(count):
        top = ZERO
        for k in range(area):
            top = max(top, scores[k])
        if top == 0:
            return
        best = 0
        while scores[best] != top:  # the first best: ties go to the lowest cell
            best += 1
        b.food[g, (best // width + 1) * (width + 2) + best % width + 1] = True
        b.food_count[g] += 1
        scores[best] = 0


@inline_kernel
def prefetch_tails(b: Arrays, g: int) -> None:
    """Start loading the ring lines of game ``g``'s tails: a loop over games that reads every tail does it a
    few games ahead (``AHEAD``), as each game's tails are far apart in the ring and stall on memory."""
    seats, mask = b.alive.shape[1], b.ring.shape[1] - 1
    for i in range(seats):
        prefetch(b.ring, g * seats + i, (b.head_ptr[g, i] - b.length[g, i] + 1) & mask)


# --- the stages ---------------------------------------------------------------------------------


@kernel
def move(b: Arrays, t: Turn) -> None:
    """Move every live snake; a missing or invalid move becomes the neck direction.  The loop visits
    the live seats' bits: a branch on each seat's ``alive`` is mispredicted too often to be cheap.  It
    prefetches the tails and occupancy of the game ``AHEAD`` games on: each game's tail lines are far
    apart in the bodies' ring, a load that otherwise stalls on memory (a tenth of this stage's time)."""
    games, last = t.games, t.games.shape[0] - 1
    for k in range(games.shape[0]):
        g = games[k]
        ahead = games[min(k + AHEAD, last)]
        prefetch_tails(b, ahead)
        for c in range(0, b.occ.shape[1], 32):  # 64-byte lines of int16
            prefetch(b.occ, ahead, c)
        live = live_seats(b, g)
        while live:
            i = lowest_bit(live)
            live &= live - 1
            m = t.moves[g, i]
            advance(b, t, g, i, m if 0 <= m <= 3 else default_move(b, t.board, g, i))


@kernel
def move_classic(b: Arrays, t: Turn) -> None:
    """Classic movement: a missing move or a 180-degree reversal keeps the current heading."""
    for g in t.games:
        for i in range(b.alive.shape[1]):
            if b.alive[g, i]:
                has_neck = b.length[g, i] >= 2 and b.head[g, i] != neck_of(b, g, i)
                advance(b, t, g, i, classic_move(t.moves[g, i], default_move(b, t.board, g, i), has_neck))


@kernel
def starve(b: Arrays, t: Turn) -> None:
    """Every live snake loses one health (no branch on ``alive``: a mispredicted one costs more than the rule)."""
    for g in t.games:
        for i in range(b.alive.shape[1]):
            b.health[g, i] -= b.alive[g, i]


@kernel
def hazard_damage(b: Arrays, t: Turn) -> None:
    """Each hazard entry under a head costs hazardDamagePerTurn, unless food is on that cell.
    The hazard under every seat's head is read first (any seat's head is a cell): most heads are on
    none, a branch the CPU predicts, unlike ``alive``."""
    damage = t.settings[HAZARD_DAMAGE]
    for g in t.games:
        for i in range(b.alive.shape[1]):
            h = b.head[g, i]
            stacks = b.hazard[g, h]
            if stacks > 0 and b.alive[g, i] and not b.food[g, h]:
                b.health[g, i] = min(max(b.health[g, i] - np.int64(stacks) * damage, 0), MAX_HEALTH)
                if b.health[g, i] <= 0:
                    kill(b, t, g, i, HAZARD, -1)


@kernel
def feed_snakes(b: Arrays, t: Turn, growth: int, heal: bool) -> None:
    """Snakes whose head is on food eat it (several may share one): ``heal`` to full, ``growth`` segments."""
    for g in t.games:
        eaters = 0  # one bit per seat
        for i in range(b.alive.shape[1]):
            if b.food[g, b.head[g, i]] and b.alive[g, i]:  # food first: a predictable branch (as hazard_damage)
                eaters |= 1 << i
                if heal:
                    b.health[g, i] = MAX_HEALTH
                for _ in range(growth):
                    grow_body(b, g, i)
        if eaters:
            for i in range(b.alive.shape[1]):
                if (eaters >> i) & 1:
                    b.food[g, b.head[g, i]] = False
            b.food_count[g] = count_true(b.food[g])


@kernel
def feed(b: Arrays, t: Turn) -> None:
    """Snakes whose head is on food: health back to full, tail duplicated; several may share one food."""
    feed_snakes(b, t, 1, True)


@kernel
def feed_classic(b: Arrays, t: Turn) -> None:
    """Classic food: +2 segments, no health."""
    feed_snakes(b, t, 2, False)


@kernel
def out_of_play(b: Arrays, t: Turn, g: int, i: int) -> bool:
    """A pass-1 victim: alive, but off the board or out of health."""
    return b.alive[g, i] & ((t.board[b.head[g, i], INSIDE] == 0) | (b.health[g, i] <= 0))


@kernel
def head_to_head(b: Arrays, t: Turn, g: int, head_on_kills_all: bool, out: int, hit: int) -> int:
    """Head-to-head: the shorter or equal snakes die; the longest gets the credit.  Pass-1 victims (the
    bits of ``out``) take no part and snakes already hit (``hit``) are not hit again; ``hit`` plus the new ones."""
    seats = b.alive.shape[1]
    causes, by = t.work[WORK_CAUSES:WORK_CAUSES + seats], t.work[WORK_BY:WORK_BY + seats]
    hits = hit
    for i in range(seats):
        if b.alive[g, i] and not (out >> i) & 1 and not (hit >> i) & 1:
            best = -1
            for j in range(seats):
                if j != i and b.alive[g, j] and not (out >> j) & 1 and b.head[g, j] == b.head[g, i] and (
                        head_on_kills_all or b.length[g, i] <= b.length[g, j]):
                    rank = b.length[g, j] * 32 + 31 - j  # longest first, then lowest seat
                    if best < 0 or rank > b.length[g, best] * 32 + 31 - best:
                        best = j
            if best >= 0:
                causes[i] = HEAD_COLLISION
                by[i] = best
                hits |= 1 << i
    return hits


@kernel
def eliminate_snakes(b: Arrays, t: Turn, head_on_kills_all: bool) -> None:
    """Battlesnake's two-pass elimination.  Pass 1 (out of health, off the board) victims are no
    obstacle in pass 2, which is decided against the moved board and applied together.

    One loop over the seats does both passes (a body's owner is tested for pass 1 when a head meets
    it) and looks for two heads on one cell.  Each test folds ``alive`` into one condition that is
    rarely true: a branch on ``alive`` alone is mispredicted too often to be cheap."""
    seats = b.alive.shape[1]
    causes, by = t.work[WORK_CAUSES:WORK_CAUSES + seats], t.work[WORK_BY:WORK_BY + seats]
    for g in t.games:
        out = 0  # pass-1 victims, one bit per seat
        stay = 0  # live seats still in play (not pass-1 victims), one bit each
        hit = 0  # seats with a cause (their causes and by are set)
        clash = False  # two heads of snakes still in play on one cell
        for i in range(seats):
            h = b.head[g, i]
            gone = out_of_play(b, t, g, i)
            alive_here = b.alive[g, i] & ~gone
            if gone:
                out |= 1 << i
                hit |= 1 << i
                causes[i] = OUT_OF_HEALTH if b.health[g, i] <= 0 else WALL
                by[i] = -1
            if (b.occ[g, h] > 0) & alive_here:  # pass 2: bodies (snakes eliminated this turn are no obstacle)
                o = b.owner[g, h]
                if not (t.dead[g, o] or out_of_play(b, t, g, o)):
                    hit |= 1 << i
                    causes[i] = SELF_COLLISION if o == i else BODY_COLLISION
                    by[i] = o
            for j in range(i):
                clash |= (b.head[g, j] == h) & alive_here & ((stay >> j) & 1 != 0)
            stay |= np.int64(alive_here) << i
        if clash:
            hit = head_to_head(b, t, g, head_on_kills_all, out, hit)
        for i in range(seats):
            if ((hit >> i) & 1 != 0) | t.dead[g, i]:
                if (hit >> i) & 1:
                    kill(b, t, g, i, causes[i], by[i])
                lift_body(b, g, i, True)  # killed now or earlier this turn (hazard); new heads are not on the grid yet
        live = live_seats(b, g)
        while live:  # a survivor's new head is on a free cell (a taken one killed it)
            i = lowest_bit(live)
            live &= live - 1
            b.occ[g, b.head[g, i]] = 1
            b.owner[g, b.head[g, i]] = i


@kernel
def eliminate(b: Arrays, t: Turn) -> None:
    """Battlesnake's two-pass elimination; in a head-on the shorter or equal snakes die."""
    eliminate_snakes(b, t, False)


@kernel
def eliminate_classic(b: Arrays, t: Turn) -> None:
    """Classic: as standard, but a head-on kills every snake in it (fair, order-free)."""
    eliminate_snakes(b, t, True)


@kernel
def spawn_food(b: Arrays, t: Turn) -> None:
    """Top food up to minimumFood; otherwise add one with foodSpawnChance percent.

    The chance test is Battlesnake's ``100 - rand.Intn(100) < foodSpawnChance`` exactly.
    """
    minimum, chance = t.settings[MINIMUM_FOOD], t.settings[FOOD_CHANCE]
    for g in t.games:
        key = rng.turn_key(b.seed_key[g], b.turn[g] + 1)
        count = b.food_count[g]
        if count < minimum:
            need = minimum - count
        elif chance > 0:
            need = 1 if rng.draw(key, rng.FOOD_CHANCE, 0) % np.uint64(100) > np.uint64(100 - chance) else 0
        else:
            need = 0
        if need > 0:  # a call per game would cost more than the rest of the stage
            place_food(b, t, g, need, key, rng.FOOD_CELL)


@kernel
def spawn_food_classic(b: Arrays, t: Turn) -> None:
    """Classic food target: max(live snakes - 1, 1) on the board at all times."""
    for g in t.games:
        need = max(count_true(b.alive[g]) - 1, 1) - b.food_count[g]
        if need > 0:
            place_food(b, t, g, need, rng.turn_key(b.seed_key[g], b.turn[g] + 1), rng.FOOD_CELL)


@kernel
def remove_food(b: Arrays, t: Turn) -> None:
    """Constrictor: no food, ever."""
    for g in t.games:
        b.food[g] = False
        b.food_count[g] = 0


@kernel
def grow_always(b: Arrays, t: Turn) -> None:
    """Constrictor: every snake is healed and grows, unless its tail is already stacked.  As Battlesnake's
    GrowSnakesConstrictor, that includes eliminated snakes: one eliminated this turn shows health 100 and a
    stacked tail from the frame of its death on (issue 18, defect 8)."""
    mask = b.ring.shape[1] - 1
    for g in t.games:
        for i in range(b.alive.shape[1]):
            if b.present[g, i]:
                b.health[g, i] = MAX_HEALTH
                length = b.length[g, i]
                sub_tail = b.ring[g * b.alive.shape[1] + i, (b.head_ptr[g, i] - length + 2) & mask]
                if length >= 2 and tail_of(b, g, i) != sub_tail:
                    grow_body(b, g, i)


@kernel
def shrink_royale(b: Arrays, t: Turn) -> None:
    """Every shrinkEveryNTurns turns one random side of the safe box moves in; outside is hazard.

    As Battlesnake's royale map, sides are not stopped at each other: once two cross, the box is
    empty and the whole board is hazard for the rest of the game."""
    every = t.settings[SHRINK_EVERY]
    for g in t.games:
        turn = b.turn[g] + 1
        if turn < every or turn % every:
            continue
        side = np.int64(rng.draw(rng.turn_key(b.seed_key[g], turn // every), rng.ROYALE_SIDE, 0) % np.uint64(4))
        b.box[g, side] += SHRINK_STEP[side]
        for c in range(t.board.shape[0]):
            x, y = t.board[c, X], t.board[c, Y]
            inside = b.box[g, 0] <= x <= b.box[g, 1] and b.box[g, 2] <= y <= b.box[g, 3]
            b.hazard[g, c] = 1 if t.board[c, INSIDE] and not inside else 0


@kernel
def game_over_standard(b: Arrays, t: Turn) -> None:
    for g in t.games:
        if count_true(b.alive[g]) <= 1:
            b.done[g] = True


@kernel
def game_over_solo(b: Arrays, t: Turn) -> None:
    for g in t.games:
        if count_true(b.alive[g]) == 0:
            b.done[g] = True


@kernel
def game_over_classic(b: Arrays, t: Turn) -> None:
    """Classic: a lone snake plays until it dies; several play until one is left."""
    for g in t.games:
        alive = count_true(b.alive[g])
        if alive == 0 or (alive <= 1 and count_true(b.present[g]) > 1):
            b.done[g] = True


@kernel
def game_over_never(b: Arrays, t: Turn) -> None:
    """Endless drop-in games (the live classic server) never end by themselves."""


# --- one compiled call per step -----------------------------------------------------------------

STAGES = (move, move_classic, starve, hazard_damage, feed, feed_classic, eliminate, eliminate_classic,
          spawn_food, spawn_food_classic, remove_food, grow_always, shrink_royale,
          game_over_standard, game_over_solo, game_over_classic, game_over_never)
CODES = {stage: code for code, stage in enumerate(STAGES)}  # a stage's code in a ruleset's program


@inline_kernel
def run_stage(code: int, b: Arrays, t: Turn) -> None:
    """Run the stage with this code (the order of ``STAGES``)."""
    if code == 0:
        move(b, t)
    elif code == 1:
        move_classic(b, t)
    elif code == 2:
        starve(b, t)
    elif code == 3:
        hazard_damage(b, t)
    elif code == 4:
        feed(b, t)
    elif code == 5:
        feed_classic(b, t)
    elif code == 6:
        eliminate(b, t)
    elif code == 7:
        eliminate_classic(b, t)
    elif code == 8:
        spawn_food(b, t)
    elif code == 9:
        spawn_food_classic(b, t)
    elif code == 10:
        remove_food(b, t)
    elif code == 11:
        grow_always(b, t)
    elif code == 12:
        shrink_royale(b, t)
    elif code == 13:
        game_over_standard(b, t)
    elif code == 14:
        game_over_solo(b, t)
    elif code == 15:
        game_over_classic(b, t)
    elif code == 16:
        game_over_never(b, t)


@kernel
def _neck_directions(b: Arrays, board: np.ndarray, out: np.ndarray) -> None:
    for g in range(out.shape[0]):
        for i in range(out.shape[1]):
            out[g, i] = default_move(b, board, g, i)


def neck_direction(batch: GameBatch) -> np.ndarray:
    """(B, N) int8: every snake's default move (the direction from neck to head, else up)."""
    out = np.empty(batch.alive.shape, np.int8)
    _neck_directions(batch.arrays(), board_table(batch.geometry), out)
    return out

