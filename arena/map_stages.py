"""The per-turn updates of Battlesnake's maps (their PostUpdateBoard), as compiled stages.

Each stage has the signature of ``arena.stages``' (the batch's arrays, this call's ``Turn``) and runs
where a map puts it (``arena.maps``: in place of the ruleset's food spawning).  ``run`` dispatches a
program's codes: the rulesets' stages first (``arena.stages.CODES``), then these (``CODES``).
During a step ``b.turn[g]`` is still the turn being left (Battlesnake's ``lastBoardState.Turn``);
the turn being made is ``b.turn[g] + 1``.
"""

from __future__ import annotations

import numpy as np

from arena import map_data as data
from arena import rng
from arena.jit import kernel
from arena.maze import solo_maze
from arena.setup import _cell, _rank
from arena.stages import CODES as RULESET_CODES
from arena.stages import (
    FOOD_CHANCE,
    HEIGHT,
    INSIDE,
    SHRINK_EVERY,
    STAGES,
    WIDTH,
    Turn,
    X,
    Y,
    run_stage,
    spawn_food,
    tail_of,
)
from arena.state import Arrays

_100 = np.uint64(100)


@kernel
def _hazard_entries(b: Arrays, g: int) -> int:
    total = 0
    for c in range(b.hazard.shape[1]):
        total += b.hazard[g, c]
    return total


@kernel
def _on_board(width: int, height: int, x: int, y: int) -> bool:
    return 0 <= x < width and 0 <= y < height


@kernel
def _origin(b: Arrays, g: int, low_x: int, span_x: int, low_y: int, span_y: int) -> tuple:
    """The fixed random first cell of a growing hazard (Battlesnake's ``rand.Range`` on GetRand(0))."""
    key = rng.turn_key(b.seed_key[g], 0)
    return (low_x + np.int64(rng.draw(key, rng.MAP_ORIGIN, 0) % np.uint64(span_x)),
            low_y + np.int64(rng.draw(key, rng.MAP_ORIGIN, 1) % np.uint64(span_y)))


@kernel
def _mark_hazards(b: Arrays, t: Turn, delta: int) -> None:
    for g in t.games:
        for c in range(t.board.shape[0]):
            if b.hazard[g, c] > 0 and t.board[c, INSIDE]:
                b.occ[g, c] += delta


@kernel
def spawn_food_dry(b: Arrays, t: Turn) -> None:
    """Standard food spawning, but never on a hazard (rivers and islands: GetUnoccupiedPoints with
    hazards).  Hazard cells count as occupied while the standard stage runs."""
    _mark_hazards(b, t, 1)
    spawn_food(b, t)
    _mark_hazards(b, t, -1)


@kernel
def spiral(b: Arrays, t: Turn) -> None:
    """hz_spiral: every 3 turns the next cell of a clockwise spiral around a random cell in the middle
    60% of the board turns to hazard (the first on turn 3)."""
    width, height = t.settings[WIDTH], t.settings[HEIGHT]
    for g in t.games:
        turn = b.turn[g] + 1
        if turn < 3 or turn % 3:
            continue
        off_x, off_y = width * 3 // 10, height * 3 // 10  # floor(size * 0.3)
        sx, sy = _origin(b, g, off_x, width - 2 * off_x, off_y, height - 2 * off_y)
        if turn == 3:
            b.hazard[g, _cell(width, sx, sy)] += 1
            continue
        counter = 3
        for ring in range(max(sx, sy, width - sx, height - sy)):
            offset = ring + 1
            x, y = sx - ring, sy + offset
            for _ in range(8 * offset):
                counter += 3
                if counter > turn:
                    break
                if counter == turn and _on_board(width, height, x, y):
                    b.hazard[g, _cell(width, x, y)] += 1
                if y == sy + offset and x < sx + offset:
                    x += 1
                elif x == sx + offset and y > sy - offset:
                    y -= 1
                elif y == sy - offset and x > sx - offset:
                    x -= 1
                elif x == sx - offset and y < sy + offset:
                    y += 1
            if counter > turn:
                break


@kernel
def _kth_best(scores: np.ndarray, k: int) -> int:
    """The index of the k-th highest of distinct ``scores`` (k = 0: the highest)."""
    value = np.sort(scores)[scores.shape[0] - 1 - k]
    for i in range(scores.shape[0]):
        if scores[i] == value:
            return i
    return -1


@kernel
def scatter(b: Arrays, t: Turn) -> None:
    """hz_scatter: every 2 turns (from turn 2) the next cell of one fixed random order of the whole
    board turns to hazard; once every cell has, nothing more (Battlesnake's map fails there)."""
    width, height = t.settings[WIDTH], t.settings[HEIGHT]
    area = width * height
    for g in t.games:
        turn = b.turn[g] + 1
        if turn < 2 or turn % 2 or (turn - 2) // 2 >= area:
            continue
        key = rng.turn_key(b.seed_key[g], 0)
        scores = t.scores[:area]
        for k in range(area):
            scores[k] = rng.score(key, rng.MAP_SCATTER, k)
        k = _kth_best(scores, (turn - 2) // 2)
        b.hazard[g, _cell(width, k % width, k // width)] += 1


@kernel
def grow_box(b: Arrays, t: Turn) -> None:
    """hz_grow_box: a box of hazard from a random cell (turn 1) grows by one random side that can
    still grow every 12 turns, until it covers the board."""
    width, height = t.settings[WIDTH], t.settings[HEIGHT]
    for g in t.games:
        turn = b.turn[g] + 1
        if (turn - 1) % 12 or _hazard_entries(b, g) == width * height:
            continue
        sx, sy = _origin(b, g, 2, width - 3, 2, height - 3)  # Battlesnake's rand.Range(2, size - 2)
        if turn == 1:
            b.hazard[g, _cell(width, sx, sy)] += 1
            continue
        key = rng.turn_key(b.seed_key[g], 0)
        left, top, right, bottom = sx, sy, sx, sy
        growths = (turn - 1) // 12
        for i in range(growths):
            sides = t.work[:4]  # left, up, right, down: the ones that can grow
            n = 0
            for side, can in enumerate((left > 0, top < height - 1, right < width - 1, bottom > 0)):
                if can:
                    sides[n] = side
                    n += 1
            if n == 0:
                break
            side = sides[np.int64(rng.draw(key, rng.MAP_GROW_SIDE, i) % np.uint64(n))]
            last = i == growths - 1
            if side == 0 or side == 2:
                x = left - 1 if side == 0 else right + 1
                if last:
                    for y in range(bottom, top + 1):
                        b.hazard[g, _cell(width, x, y)] += 1
                if side == 0:
                    left = x
                else:
                    right = x
            else:
                y = top + 1 if side == 1 else bottom - 1
                if last:
                    for x in range(left, right + 1):
                        b.hazard[g, _cell(width, x, y)] += 1
                if side == 1:
                    top = y
                else:
                    bottom = y


@kernel
def _ring_cell(sx: int, sy: int, offset: int, x: int, y: int) -> bool:
    return x == sx - offset or x == sx + offset or y == sy - offset or y == sy + offset


@kernel
def expand_box(b: Arrays, t: Turn) -> None:
    """hz_expand_box: a random cell (turn 1), then every 20 turns the next ring around it."""
    width, height = t.settings[WIDTH], t.settings[HEIGHT]
    for g in t.games:
        turn = b.turn[g] + 1
        if (turn - 1) % 20 or _hazard_entries(b, g) == width * height:
            continue
        sx, sy = _origin(b, g, 2, width - 3, 2, width - 3)  # both from the width, as Battlesnake's map
        if turn == 1:
            b.hazard[g, _cell(width, sx, sy)] += 1
            continue
        offset = turn // 20
        if offset > max(sx, sy, width - sx, height - sy):
            continue
        for x in range(sx - offset, sx + offset + 1):
            for y in range(sy - offset, sy + offset + 1):
                if _on_board(width, height, x, y) and _ring_cell(sx, sy, offset, x, y):
                    b.hazard[g, _cell(width, x, y)] += 1


@kernel
def expand_scatter(b: Arrays, t: Turn) -> None:
    """hz_expand_scatter: a random cell (turn 1), then every 2 turns one more cell of the rings around
    it, each ring's cells in a random order, ring after ring."""
    width, height = t.settings[WIDTH], t.settings[HEIGHT]
    for g in t.games:
        turn = b.turn[g] + 1
        if (turn - 1) % 2 or _hazard_entries(b, g) == width * height:
            continue
        sx, sy = _origin(b, g, 1, width - 1, 1, width - 1)  # rand.Range(1, width - 1), both from the width
        if turn == 1:
            b.hazard[g, _cell(width, sx, sy)] += 1
            continue
        key = rng.turn_key(b.seed_key[g], 0)
        chosen = turn // 2 - 1
        for ring in range(max(sx, sy, width - sx, height - sy)):
            offset = ring + 1
            n = 0
            for x in range(sx - offset, sx + offset + 1):
                for y in range(sy - offset, sy + offset + 1):
                    if _on_board(width, height, x, y) and _ring_cell(sx, sy, offset, x, y):
                        t.scores[n] = rng.score(key, rng.MAP_SCATTER, y * width + x)
                        n += 1
            if chosen >= n:
                chosen -= n
                continue
            pick = _kth_best(t.scores[:n], chosen)
            n = 0
            for x in range(sx - offset, sx + offset + 1):
                for y in range(sy - offset, sy + offset + 1):
                    if _on_board(width, height, x, y) and _ring_cell(sx, sy, offset, x, y):
                        if n == pick:
                            b.hazard[g, _cell(width, x, y)] += 1
                        n += 1
            break


@kernel
def sinkholes(b: Arrays, t: Turn) -> None:
    """sinkholes: a hazard in the centre on turn 1, then every shrinkEveryNTurns a rounded square one
    ring larger stacks over it, up to 3 (7x7), 5 (11x11) or 7 (19x19) rings."""
    width, height = t.settings[WIDTH], t.settings[HEIGHT]
    every = t.settings[SHRINK_EVERY]
    rings = 3 if width == 7 else (7 if width == 19 else 5)
    cx, cy = width // 2, height // 2
    for g in t.games:
        turn = b.turn[g]  # Battlesnake's sinkholes count the turn being left
        if turn == 1:
            b.hazard[g, _cell(width, cx, cy)] += 1
            continue
        if turn > every * rings or (turn - 1) % every:
            continue
        offset = (turn - 1) // every
        if 0 < offset <= rings:
            for x in range(cx - offset, cx + offset + 1):
                for y in range(cy - offset, cy + offset + 1):
                    corner = (x == cx - offset or x == cx + offset) and (y == cy - offset or y == cy + offset)
                    if not corner and _on_board(width, height, x, y):
                        b.hazard[g, _cell(width, x, y)] += 1


@kernel
def dry_pool(b: Arrays, t: Turn) -> None:
    """healing_pools: every shrinkEveryNTurns one random pool dries up (all its hazard goes)."""
    width = t.settings[WIDTH]
    every = t.settings[SHRINK_EVERY]
    for g in t.games:
        turn = b.turn[g]
        if turn <= 0 or every <= 0 or turn % every:
            continue
        key = rng.turn_key(b.seed_key[g], turn + 1)
        best, best_score = -1, np.uint64(0)
        for c in range(t.board.shape[0]):
            if b.hazard[g, c] > 0 and t.board[c, INSIDE]:
                s = rng.score(key, rng.MAP_DRY_POOL, t.board[c, Y] * width + t.board[c, X])
                if s > best_score:
                    best, best_score = c, s
        if best >= 0:
            b.hazard[g, best] = 0


@kernel
def hazard_pits(b: Arrays, t: Turn) -> None:
    """hz_hazard_pits: every shrinkEveryNTurns the pits (odd x and y, not a start spot) hold
    0, 1, 2, 3, 4, 4, 4 layers of hazard in turn, then drain and start again."""
    width, height = t.settings[WIDTH], t.settings[HEIGHT]
    every = t.settings[SHRINK_EVERY]
    for g in t.games:
        turn = b.turn[g]
        if turn % every:
            continue
        layers = min((turn // every) % 7, 4)
        b.hazard[g] = 0
        for x in range(1, width, 2):
            for y in range(1, height, 2):
                start = False
                for k in range(data.HAZARD_PITS_STARTS.shape[0]):
                    start |= data.HAZARD_PITS_STARTS[k, 0] == x and data.HAZARD_PITS_STARTS[k, 1] == y
                if not start:
                    b.hazard[g, _cell(width, x, y)] = layers


@kernel
def _touches_snake(b: Arrays, t: Turn, g: int, cell: int, near_heads: bool) -> bool:
    """Whether ``cell`` is on any snake of the game, eliminated ones included (Battlesnake keeps their
    bodies on its board), or, with ``near_heads``, next to one's head."""
    seats = b.alive.shape[1]
    mask = b.ring.shape[1] - 1
    for i in range(seats):
        if not b.present[g, i]:
            continue
        ptr = b.head_ptr[g, i]
        for k in range(b.length[g, i]):
            if b.ring[g * seats + i, (ptr - k) & mask] == cell:
                return True
        if near_heads:
            for d in range(4):
                if t.board[b.head[g, i], 4 + d] == cell:
                    return True
    return False


@kernel
def _food_near(b: Arrays, t: Turn, g: int, cell: int) -> bool:
    if b.food[g, cell]:
        return True
    for d in range(4):
        if b.food[g, t.board[cell, 4 + d]]:
            return True
    return False


@kernel
def _food_on_a_spot(b: Arrays, t: Turn, g: int, spots: np.ndarray, key: np.uint64, spread: bool) -> None:
    """Add one food on the first of ``spots`` (in score order) that no snake covers and that has no
    food; ``spread`` (castle walls): nor next to a snake's head or to other food."""
    width = t.settings[WIDTH]
    n = spots.shape[0]
    scores, order = t.scores[:n], t.work[:n]
    for k in range(n):
        scores[k] = rng.score(key, rng.MAP_FOOD_SPOT, k)
    _rank(scores, order)
    for k in range(n):
        cell = _cell(width, spots[order[k], 0], spots[order[k], 1])
        if _touches_snake(b, t, g, cell, spread) or (_food_near(b, t, g, cell) if spread else b.food[g, cell]):
            continue
        b.food[g, cell] = True
        b.food_count[g] += 1
        return


@kernel
def castle_food(b: Arrays, t: Turn) -> None:
    """Castle walls: from turn 10, while fewer than 2 food (4 on 25x25), one food on a free food spot."""
    width = t.settings[WIDTH]
    for g in t.games:
        if b.turn[g] < 10 or b.food_count[g] == (4 if width == 25 else 2):
            continue
        key = rng.turn_key(b.seed_key[g], b.turn[g] + 1)
        if width == 11:
            _food_on_a_spot(b, t, g, data.CASTLE_WALL_FOOD_11, key, True)
        elif width == 19:
            _food_on_a_spot(b, t, g, data.CASTLE_WALL_FOOD_19, key, True)
        else:
            _food_on_a_spot(b, t, g, data.CASTLE_WALL_FOOD_25, key, True)


@kernel
def arcade_food(b: Arrays, t: Turn) -> None:
    """Arcade maze: with Battlesnake's ``rand.Intn(100) <= foodSpawnChance``, one food on a free food
    spot (minimumFood plays no part after the first food)."""
    chance = t.settings[FOOD_CHANCE]
    for g in t.games:
        key = rng.turn_key(b.seed_key[g], b.turn[g] + 1)
        if chance == 0 or rng.draw(key, rng.MAP_FOOD_CHANCE, 0) % _100 > np.uint64(chance):
            continue
        _food_on_a_spot(b, t, g, data.ARCADE_MAZE_FOOD, key, False)


@kernel
def snail_trail(b: Arrays, t: Turn) -> None:
    """snail_mode: every hazard stack loses one entry; last turn's tails (kept as hazards one board
    height above the board, as Battlesnake's map keeps them) come down as stacks as high as their
    snakes were long, except under a live head; each live snake's tail, unless stacked, goes up."""
    width = t.settings[WIDTH]
    cells = t.board.shape[0]
    seats = b.alive.shape[1]
    mask = b.ring.shape[1] - 1
    for g in t.games:
        for c in range(cells):
            if b.hazard[g, c] > 0:
                b.hazard[g, c] -= 1
        for k in range(b.hazard.shape[1] - cells):
            stack = b.hazard[g, cells + k]
            if stack == 0:
                continue
            b.hazard[g, cells + k] = 0
            cell = _cell(width, k % width, k // width)
            under_head = False
            for i in range(seats):
                under_head |= b.alive[g, i] and b.head[g, i] == cell
            if not under_head:
                b.hazard[g, cell] += stack
        for i in range(seats):
            if not b.alive[g, i] or b.length[g, i] < 2:
                continue
            tail = tail_of(b, g, i)
            if tail == b.ring[g * seats + i, (b.head_ptr[g, i] - b.length[g, i] + 2) & mask]:
                continue  # a stacked tail stays put
            b.hazard[g, cells + t.board[tail, Y] * width + t.board[tail, X]] += b.length[g, i]


MAP_STAGES = (spawn_food_dry, spiral, scatter, grow_box, expand_box, expand_scatter, sinkholes, dry_pool,
              hazard_pits, castle_food, arcade_food, snail_trail, solo_maze)
BASE = len(STAGES)
CODES = {**RULESET_CODES, **{stage: BASE + k for k, stage in enumerate(MAP_STAGES)}}


@kernel
def run(code: int, b: Arrays, t: Turn) -> None:
    """Run the stage with this code: a ruleset's (``arena.stages``) or a map's (the order of ``MAP_STAGES``)."""
    if code < BASE:
        run_stage(code, b, t)
    elif code == BASE:
        spawn_food_dry(b, t)
    elif code == BASE + 1:
        spiral(b, t)
    elif code == BASE + 2:
        scatter(b, t)
    elif code == BASE + 3:
        grow_box(b, t)
    elif code == BASE + 4:
        expand_box(b, t)
    elif code == BASE + 5:
        expand_scatter(b, t)
    elif code == BASE + 6:
        sinkholes(b, t)
    elif code == BASE + 7:
        dry_pool(b, t)
    elif code == BASE + 8:
        hazard_pits(b, t)
    elif code == BASE + 9:
        castle_food(b, t)
    elif code == BASE + 10:
        arcade_food(b, t)
    elif code == BASE + 11:
        snail_trail(b, t)
    elif code == BASE + 12:
        solo_maze(b, t)
