"""solo_maze (``arena.maps``): one snake, a maze of hazard walls, and a bigger maze after each food.

As Battlesnake's map: the level is kept on the board itself, in binary in the bottom row's hazards
(most significant bit at x = 0); each level builds a square maze of side ``7 + level`` (at most
``min(width, height - 2)``) centred on the board by recursive division, fills the board around it with
hazard, puts the snake (health 100, ``level + 3`` long, its tail stacked just below its head) in the
maze's bottom-left corner and one food at least ``min(5, side // 2)`` steps from it.  When the food is
eaten the next level is built; five levels after the largest maze, food within 5 steps of the head moves.
Walls and holes are drawn by our keyed draws (stream MAP_MAZE), so the mazes are other mazes of the
same kind; a cut wall keeps the same cells as Battlesnake's (``_cut`` explains which).
"""

from __future__ import annotations

import numpy as np

from arena import rng
from arena.jit import kernel
from arena.setup import _cell
from arena.stages import HEIGHT, WIDTH, Turn
from arena.state import MAX_HEALTH, Arrays, lift_body, place_body

FIRST_SIDE = 7
LEVELS_AT_MOST = 5  # levels played on the largest maze before the food starts to move away
NEAR = 5  # food closer than this to the head moves (and the least distance it is placed at)
TRIES = 100


@kernel
def _pick(key: np.uint64, counter: np.ndarray, low: int, count: int) -> int:
    """``low + draw % count``, the next draw of this maze (``counter[0]`` numbers them)."""
    counter[0] += 1
    return low + np.int64(rng.draw(key, rng.MAP_MAZE, counter[0]) % np.uint64(count))


@kernel
def _choose(key: np.uint64, counter: np.ndarray, low: int, high: int, banned: int) -> int:
    """A random position in low..high (inclusive) not in the ``banned`` bit set; -1 when there is none."""
    n = 0
    for i in range(low, high + 1):
        if not (banned >> i) & 1:
            n += 1
    if n == 0:
        return -1
    k = _pick(key, counter, 0, n)
    for i in range(low, high + 1):
        if not (banned >> i) & 1:
            if k == 0:
                return i
            k -= 1
    return -1


@kernel
def _divide(walls: np.ndarray, key: np.uint64, side: int) -> None:
    """Battlesnake's SubdivideRoom over the whole maze, depth first, with an explicit stack of rooms
    (low x, low y, high x, high y, rows and columns where a wall may no longer stand, as bit sets).

    Holes (``_cut``): a wall crossed by the other gets one hole on each side of the crossing, never at
    its far end (vertical) or one hole before the crossing (horizontal); a lone wall gets one hole
    anywhere but its last cell, as Battlesnake's slice arithmetic gives."""
    stack = np.zeros((4 * side * side + 8, 6), np.int64)
    stack[0, 2] = stack[0, 3] = side - 1
    top = 1
    counter = np.zeros(1, np.int64)
    while top:
        top -= 1
        lx, ly, hx, hy, no_rows, no_cols = stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3], \
            stack[top, 4], stack[top, 5]
        if hx - lx <= 2 and hy - ly <= 2:
            continue
        col = _choose(key, counter, lx + 1, hx - 2, no_cols)
        row = _choose(key, counter, ly + 1, hy - 2, no_rows)
        if col >= 0:
            for y in range(ly, hy + 1):
                walls[col, y] = True
        if row >= 0:
            for x in range(lx, hx + 1):
                walls[x, row] = True
        if col >= 0 and row >= 0 and hy > ly and hx > lx:
            below = _pick(key, counter, ly, row - ly)  # vertical wall: one hole under the crossing,
            above = _pick(key, counter, row + 1, hy - row - 1)  # one above it (not the top cell)
            walls[col, below] = False
            walls[col, above] = False
            no_rows |= (1 << below) | (1 << above)
            left = _pick(key, counter, lx, col - lx)  # horizontal wall: one hole left of the crossing
            walls[left, row] = False
            no_cols |= 1 << left
        elif col >= 0 and hy > ly:
            hole = _pick(key, counter, ly, hy - ly)
            walls[col, hole] = False
            no_rows |= 1 << hole
        elif row >= 0 and hx > lx:
            hole = _pick(key, counter, lx, hx - lx)
            walls[hole, row] = False
            no_cols |= 1 << hole
        # the sub-rooms (each includes the wall line on its low side's edge, as Battlesnake's), pushed
        # in reverse so that the first is divided first
        if col >= 0 and row >= 0:
            rooms = ((lx, ly, col, row), (col + 1, ly, hx, row), (lx, row + 1, col, hy), (col + 1, row + 1, hx, hy))
        elif col >= 0:
            rooms = ((lx, ly, col, hy), (col + 1, ly, hx, hy), (-1, 0, 0, 0), (-1, 0, 0, 0))
        elif row >= 0:
            rooms = ((lx, ly, hx, row), (lx, row + 1, hx, hy), (-1, 0, 0, 0), (-1, 0, 0, 0))
        else:
            rooms = ((-1, 0, 0, 0), (-1, 0, 0, 0), (-1, 0, 0, 0), (-1, 0, 0, 0))
        for k in range(3, -1, -1):
            if rooms[k][0] >= 0:
                for j in range(4):
                    stack[top, j] = rooms[k][j]
                stack[top, 4], stack[top, 5] = no_rows, no_cols
                top += 1


@kernel
def _side(width: int, height: int, level: int) -> int:
    return min(FIRST_SIDE + level, min(width, height - 2))


@kernel
def read_level(b: Arrays, g: int, width: int) -> int:
    """The level in binary in the bottom row's hazards (Battlesnake's ReadBitState)."""
    level = 0
    for x in range(width):
        level = level * 2 + (1 if b.hazard[g, _cell(width, x, 0)] > 0 else 0)
    return level


@kernel
def _place_food(b: Arrays, t: Turn, g: int, level: int, turn: int) -> None:
    """One food on a random maze cell that is no hazard, not the snake and far enough from its head
    (up to 100 tries, as Battlesnake's; none placed after that)."""
    width, height = t.settings[WIDTH], t.settings[HEIGHT]
    side = _side(width, height, level)
    ax, ay = (width - side) // 2, (height - side) // 2
    key = rng.turn_key(b.seed_key[g], turn)
    head = b.head[g, 0]
    hx, hy = t.board[head, 8], t.board[head, 9]
    least = min(NEAR, side // 2)
    seats = b.alive.shape[1]
    mask = b.ring.shape[1] - 1
    for attempt in range(1, TRIES + 1):
        x = ax + np.int64(rng.draw(key, rng.MAP_MAZE_FOOD, 2 * attempt) % np.uint64(side))
        y = ay + np.int64(rng.draw(key, rng.MAP_MAZE_FOOD, 2 * attempt + 1) % np.uint64(side))
        cell = _cell(width, x, y)
        on_body = False
        for k in range(b.length[g, 0]):
            on_body |= b.ring[g * seats, (b.head_ptr[g, 0] - k) & mask] == cell
        if b.hazard[g, cell] == 0 and not on_body and abs(x - hx) + abs(y - hy) >= least:
            b.food[g, cell] = True
            b.food_count[g] += 1
            return


@kernel
def build_level(b: Arrays, t: Turn, g: int, level: int, turn: int) -> None:
    """Battlesnake's CreateMaze: the level's bits, the maze, the snake at its start, the food, and
    hazard all around the maze (rows 1 and up; row 0 holds the bits)."""
    width, height = t.settings[WIDTH], t.settings[HEIGHT]
    side = _side(width, height, level)
    ax, ay = (width - side) // 2, (height - side) // 2
    b.hazard[g] = 0
    for x in range(width):
        if (level >> (width - 1 - x)) & 1:
            b.hazard[g, _cell(width, x, 0)] = 1
    walls = np.zeros((side, side), np.bool_)
    _divide(walls, rng.turn_key(b.seed_key[g], turn), side)
    for x in range(side):
        for y in range(side):
            if walls[x, y]:
                b.hazard[g, _cell(width, ax + x, ay + y)] += 1
    body = np.empty(level + 3, np.int32)
    body[:] = _cell(width, ax, ay - 1)
    body[0] = _cell(width, ax, ay)
    moved = b.last_move[g, 0]
    if b.alive[g, 0]:
        lift_body(b, g, 0, False)
    place_body(b, g, 0, body, MAX_HEALTH)
    b.last_move[g, 0] = moved  # the frame still names the move that reached this turn
    _place_food(b, t, g, level, turn)
    for x in range(width):
        for y in range(1, height):
            if x < ax or y < ay or x >= ax + side or y >= ay + side:
                b.hazard[g, _cell(width, x, y)] += 1


@kernel
def solo_maze(b: Arrays, t: Turn) -> None:
    """solo_maze's update: food eaten -> the next level; late levels -> food near the head moves."""
    width, height = t.settings[WIDTH], t.settings[HEIGHT]
    for g in t.games:
        if not b.alive[g, 0]:
            continue
        level = read_level(b, g, width)
        if b.food_count[g] == 0:
            build_level(b, t, g, level + 1, b.turn[g])
            continue
        if level - LEVELS_AT_MOST <= min(width, height - 2) - FIRST_SIDE:
            continue
        food = -1
        for c in range(t.board.shape[0]):
            if b.food[g, c] and food < 0:
                food = c
        head = b.head[g, 0]
        if abs(t.board[food, 8] - t.board[head, 8]) + abs(t.board[food, 9] - t.board[head, 9]) < NEAR:
            b.food[g, food] = False
            b.food_count[g] -= 1
            _place_food(b, t, g, level, b.turn[g])
