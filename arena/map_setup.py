"""Start positions, first food and hazards of Battlesnake's maps (``arena.maps``), compiled.

``start`` is the one setup entry ``arena.kernels`` calls: the rulesets' own modes (``arena.setup``)
and each map's mode, plus the ``NO_FOOD`` flag (constrictor removes the map's first food, as
Battlesnake's constrictor pipeline does on its first run).  Where Battlesnake shuffles a list of
spots, the spots are taken in the order of their scores (``arena.rng``).
"""

from __future__ import annotations

import numpy as np

from arena import map_data as data
from arena import rng
from arena.jit import inline_kernel, kernel
from arena.maze import build_level
from arena.setup import NO_FOOD, _cell, _fixed_food, _rank, _start_standard, place_stacked, start_game
from arena.stages import HEIGHT, MINIMUM_FOOD, WIDTH, Turn
from arena.state import Arrays, clear_game

# Map setup modes (after arena.setup's STANDARD, STANDARD_NO_FOOD, CLASSIC)
INNER_WALL, RINGS, COLUMNS, HEALING_POOLS, ARCADE_MAZE = range(8, 13)
CASTLE_WALL, HAZARD_PITS, RIVERS, ISLANDS, SOLO_MAZE = range(13, 18)


@kernel
def add_hazards(b: Arrays, g: int, width: int, points: np.ndarray) -> None:
    """One hazard entry per (x, y) row of ``points`` (a point listed twice stacks)."""
    for k in range(points.shape[0]):
        b.hazard[g, _cell(width, points[k, 0], points[k, 1])] += 1


@kernel
def draw_ring(b: Arrays, g: int, width: int, height: int, offset: int) -> None:
    """Battlesnake's drawRing: a one-cell ring of hazard ``offset - 1`` cells in from each edge."""
    x0, x1, y0, y1 = offset - 1, width - offset, offset - 1, height - offset
    for x in range(x0, x1 + 1):
        b.hazard[g, _cell(width, x, y0)] += 1
        b.hazard[g, _cell(width, x, y1)] += 1
    for y in range(y0 + 1, y1):
        b.hazard[g, _cell(width, x0, y)] += 1
        b.hazard[g, _cell(width, x1, y)] += 1


@kernel
def _spots_in_order(key: np.uint64, spots: int, t: Turn, order: np.ndarray) -> None:
    """Spot indices 0..spots-1 into ``order``, in the order of their scores (Battlesnake shuffles the list)."""
    scores = t.scores[:spots]
    for k in range(spots):
        scores[k] = rng.score(key, rng.MAP_START_ORDER, k)
    _rank(scores, order)


@kernel
def _start_at(b: Arrays, t: Turn, g: int, count: int, spots: np.ndarray, order: np.ndarray) -> None:
    """Clear the game and put snake i on spot ``order[i]`` of ``spots`` ((n, 2) points)."""
    width = t.settings[WIDTH]
    starts = t.work[:16]
    for i in range(count):
        starts[i] = _cell(width, spots[order[i], 0], spots[order[i], 1])
    clear_game(b, g, width, t.settings[HEIGHT])
    place_stacked(b, g, count, starts)


@kernel
def _start_castle(b: Arrays, t: Turn, g: int, count: int) -> None:
    """Castle walls: the first ring of four spots, the second too from 5 snakes, the third from 9
    (25x25 only), all shuffled together; the walls; no food until turn 10."""
    width = t.settings[WIDTH]
    if width == 11:
        groups, walls = data.CASTLE_WALL_STARTS_11, data.CASTLE_WALL_11
    elif width == 19:
        groups, walls = data.CASTLE_WALL_STARTS_19, data.CASTLE_WALL_19
    else:
        groups, walls = data.CASTLE_WALL_STARTS_25, data.CASTLE_WALL_25
    spots = 4 if count < 5 else (8 if count <= 8 else 12)
    order = t.work[32:32 + spots]
    _spots_in_order(rng.turn_key(b.seed_key[g], 0), spots, t, order)
    _start_at(b, t, g, count, groups.reshape(-1, 2), order)
    add_hazards(b, g, width, walls)


@kernel
def _start_in_quadrants(b: Arrays, t: Turn, g: int, count: int, quadrants: np.ndarray, walls: np.ndarray) -> None:
    """Battlesnake's PlaceSnakesInQuadrants (snakes take quadrants in turn from a random first one, a
    random free spot of each), the map's hazards, then fixed food (never on a hazard)."""
    width, height = t.settings[WIDTH], t.settings[HEIGHT]
    key = rng.turn_key(b.seed_key[g], 0)
    per = quadrants.shape[1]
    first = np.int64(rng.draw(key, rng.START_QUADRANT, 0) % np.uint64(4))
    scores, order = t.scores[:per], t.work[32:32 + 4 * per]
    for quad in range(4):
        for slot in range(per):
            scores[slot] = rng.score(key, rng.START_QUADRANT_ORDER, quad * per + slot)
        _rank(scores, order[quad * per:(quad + 1) * per])
    starts = t.work[:16]
    for i in range(count):
        quad = (first + i) % 4
        slot = order[quad * per + i // 4]
        starts[i] = _cell(width, quadrants[quad, slot, 0], quadrants[quad, slot, 1])
    clear_game(b, g, width, height)
    place_stacked(b, g, count, starts)
    add_hazards(b, g, width, walls)
    _fixed_food(b, t, g, count, key, width, height)


@kernel
def _start_arcade(b: Arrays, t: Turn, g: int, count: int) -> None:
    """Arcade maze: the four outer spots shuffled, then the two middle ones; one food in the middle
    when minimumFood > 0."""
    order = t.work[48:54]
    _spots_in_order(rng.turn_key(b.seed_key[g], 0), 4, t, order[:4])
    order[4], order[5] = 4, 5
    _start_at(b, t, g, count, data.ARCADE_MAZE_STARTS, order)
    add_hazards(b, g, t.settings[WIDTH], data.ARCADE_MAZE)
    if t.settings[MINIMUM_FOOD] > 0:
        b.food[g, _cell(t.settings[WIDTH], data.ARCADE_MAZE_FIRST_FOOD[0], data.ARCADE_MAZE_FIRST_FOOD[1])] = True
        b.food_count[g] = 1


@kernel
def _start_pits(b: Arrays, t: Turn, g: int, count: int) -> None:
    """Hazard pits: the four corner spots shuffled, standard fixed food; the pits come with the turns."""
    key = rng.turn_key(b.seed_key[g], 0)
    order = t.work[32:36]
    _spots_in_order(key, 4, t, order)
    _start_at(b, t, g, count, data.HAZARD_PITS_STARTS, order)
    _fixed_food(b, t, g, count, key, t.settings[WIDTH], t.settings[HEIGHT])


@kernel
def _start_map(b: Arrays, t: Turn, g: int, count: int, mode: int) -> bool:
    width, height = t.settings[WIDTH], t.settings[HEIGHT]
    if mode == ARCADE_MAZE:
        _start_arcade(b, t, g, count)
    elif mode == CASTLE_WALL:
        _start_castle(b, t, g, count)
    elif mode == HAZARD_PITS:
        _start_pits(b, t, g, count)
    elif mode == RIVERS:
        quads = data.RIVERS_QUADRANTS_11 if width == 11 else (
            data.RIVERS_QUADRANTS_19 if width == 19 else data.RIVERS_QUADRANTS_25)
        walls = data.RIVERS_11 if width == 11 else (data.RIVERS_19 if width == 19 else data.RIVERS_25)
        _start_in_quadrants(b, t, g, count, quads, walls)
    elif mode == SOLO_MAZE:
        clear_game(b, g, width, height)
        place_stacked(b, g, 0, t.work[:16])  # every seat empty, then the one snake at the maze's start
        build_level(b, t, g, 0, 0)
    elif mode == ISLANDS:
        if width == 11:
            _start_in_quadrants(b, t, g, count, data.ISLANDS_QUADRANTS_11, data.ISLANDS_11)
        else:
            _start_in_quadrants(b, t, g, count, data.ISLANDS_QUADRANTS_19, data.ISLANDS_19)
    else:  # the standard setup, then the map's hazards
        if not _start_standard(b, t, g, count, True):
            return False
        if mode == INNER_WALL:
            draw_ring(b, g, width, height, 2)
        elif mode == RINGS:
            for offset in range(2, width // 2, 2):
                draw_ring(b, g, width, height, offset)
        elif mode == COLUMNS:
            for y in range(1, height, 2):
                for x in range(1, width, 2):
                    b.hazard[g, _cell(width, x, y)] += 1
        elif mode == HEALING_POOLS:
            layouts = data.HEALING_POOLS_7 if width == 7 else (
                data.HEALING_POOLS_11 if width == 11 else data.HEALING_POOLS_19)
            pick = rng.draw(rng.turn_key(b.seed_key[g], 0), rng.MAP_LAYOUT, 0) % np.uint64(layouts.shape[0])
            add_hazards(b, g, width, layouts[np.int64(pick)])
    return True


@inline_kernel
def start(b: Arrays, t: Turn, g: int, count: int, mode: int) -> bool:
    """Start game ``g`` with ``count`` snakes in ``mode`` (a ruleset's or a map's); False: no room."""
    base = mode & (NO_FOOD - 1)
    ok = start_game(b, t, g, count, base) if base < INNER_WALL else _start_map(b, t, g, count, base)
    if ok and mode & NO_FOOD:
        b.food[g] = False
        b.food_count[g] = 0
    return ok
