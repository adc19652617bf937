"""Start positions and first food, compiled (``arena.jit``) per game being (re)started.

Follows Battlesnake's board setup: square boards of width >= 7 with <= 8 snakes use the 8
fixed spots (corners and edge midpoints one cell in, each group shuffled, a coin deciding
which group fills first); square boards >= 11 with more snakes spread them over quadrants;
anything else picks random even cells (square boards under 7x7 refuse more than 8).
Fixed boards get one food on a diagonal next to each snake, away from the centre, plus one
in the centre; others get one random food per snake.  Classic places straight 3-long
snakes at safe spots instead (see ``classic_spot``).
"""

from __future__ import annotations

import numpy as np

from arena import rng
from arena.geometry import frozen
from arena.jit import inline_kernel, kernel
from arena.stages import HEIGHT, WIDTH, WORK_BODY, Turn, place_food
from arena.state import MAX_HEALTH, Arrays, clear_game, place_body

START_LENGTH = 3
DIAGONALS = frozen(np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], np.int64))  # (dx, dy) of the start food candidates
STANDARD, STANDARD_NO_FOOD, CLASSIC = 0, 1, 2  # ``start_game`` modes (``arena.map_setup`` adds the maps')
NO_FOOD = 256  # flag on a map's mode: remove the map's first food (a ruleset without food, as constrictor)
FIXED_SPOT_LEVELS = frozen(np.array([[0, 0], [0, 2], [2, 0], [2, 2], [0, 1], [1, 0], [1, 2], [2, 1]], np.int64))


@kernel
def _rank(scores: np.ndarray, order: np.ndarray) -> None:
    """``order`` = indices of ``scores`` from highest to lowest, ties to the lower index (a stable sort).
    Each index goes where the count of those before it says: no branch on the (random) scores."""
    n = scores.shape[0]
    for i in range(n):
        before = 0
        for j in range(n):
            before += (scores[j] > scores[i]) | ((scores[j] == scores[i]) & (j < i))
        order[before] = i


@kernel
def _cell(width: int, x: int, y: int) -> int:
    return (y + 1) * (width + 2) + x + 1


@kernel
def _fixed_spot(width: int, index: int) -> int:
    """Fixed start spot ``index``: the corners (0..3) and the edge midpoints (4..7), one cell in.
    Read from a table of levels (0 low, 1 middle, 2 high): a tuple indexed by a random index branches."""
    lo, mid, hi = 1, (width - 1) // 2, width - 2
    lx, ly = FIXED_SPOT_LEVELS[index, 0], FIXED_SPOT_LEVELS[index, 1]
    x = lo + (lx >= 1) * (mid - lo) + (lx >= 2) * (hi - mid)
    y = lo + (ly >= 1) * (mid - lo) + (ly >= 2) * (hi - mid)
    return _cell(width, x, y)


@kernel
def _fixed_starts(key: np.uint64, width: int, t: Turn, starts: np.ndarray) -> None:
    """The 8 fixed spots in fill order: each group (corners, edge midpoints) ranked by score, a coin
    picking which group comes first (``draw % 2 == 0``: corners)."""
    scores, order = t.scores[:4], t.work[32:36]
    corners_first = (rng.draw(key, rng.START_COIN, 0) & rng.ONE) == 0
    for group in range(2):
        stream = rng.START_CORNERS if group == 0 else rng.START_CARDINALS
        for k in range(4):
            scores[k] = rng.score(key, stream, k)
        _rank(scores, order)
        place = group if corners_first else 1 - group
        for k in range(4):
            starts[place * 4 + k] = _fixed_spot(width, group * 4 + order[k])


@kernel
def _spread_starts(key: np.uint64, width: int, height: int, t: Turn, starts: np.ndarray) -> None:
    """16 spots, 4 per quadrant: quadrants take turns from a random first one, each quadrant's
    slots in a random order."""
    qw, qh = width // 2, height // 2
    ox, oy = qw // 3, qh // 3
    xs = (ox, qw - ox, ox, qw - ox)
    ys = (oy, oy, qh - oy, qh - oy)
    first = np.int64(rng.draw(key, rng.START_QUADRANT, 0) % np.uint64(4))
    scores, order = t.scores[:4], t.work[36:52]
    for quad in range(4):
        for slot in range(4):
            scores[slot] = rng.score(key, rng.START_QUADRANT_ORDER, quad * 4 + slot)
        _rank(scores, order[quad * 4 : quad * 4 + 4])
    for i in range(16):
        quad = (first + i) % 4
        slot = order[quad * 4 + i // 4]
        x, y = xs[slot], ys[slot]
        if quad == 1 or quad == 3:
            x = width - x - 1
        if quad == 2 or quad == 3:
            y = height - y - 1
        starts[i] = _cell(width, x, y)


@kernel
def _random_starts(key: np.uint64, width: int, height: int, count: int, starts: np.ndarray,
                   taken: np.ndarray) -> bool:
    """Each snake in turn takes the best-scoring free even cell that is not the centre; False: no room.
    ``taken``: scratch, one entry per cell."""
    area = width * height
    taken[:area] = 0
    for i in range(count):
        best, best_score = -1, np.uint64(0)
        for k in range(area):
            x, y = k % width, k // width
            if (x + y) % 2 or (x == (width - 1) // 2 and y == (height - 1) // 2) or taken[k]:
                continue
            s = rng.score(key, rng.START_RANDOM_SPOT, i * 1024 + k)
            if s > best_score:
                best, best_score = k, s
        if best < 0:
            return False
        taken[best] = 1
        starts[i] = _cell(width, best % width, best // width)
    return True


@kernel
def _diagonal_pick(b: Arrays, board: np.ndarray, g: int, seat: int, key: np.uint64, width: int, height: int,
                   avoid_food: bool) -> int:
    """The start food cell next to a snake's head: the best-scoring of its 4 diagonal cells that is on
    the board, not a corner, not the centre, not a hazard (a map's), further from the centre than the head
    on some axis (and, with ``avoid_food``, not food yet); -1 when there is none."""
    h = b.head[g, seat]
    hx, hy = board[h, 8], board[h, 9]
    cx, cy = (width - 1) // 2, (height - 1) // 2
    best, best_score = -1, np.uint64(0)
    for d in range(4):  # every test on every diagonal, combined without branches (they are mispredicted)
        px, py = hx + DIAGONALS[d, 0], hy + DIAGONALS[d, 1]
        inside = (0 <= px) & (px < width) & (0 <= py) & (py < height)
        away = ((px < hx) & (hx < cx)) | ((cx < hx) & (hx < px)) | ((py < hy) & (hy < cy)) | ((cy < hy) & (hy < py))
        corner = ((px == 0) | (px == width - 1)) & ((py == 0) | (py == height - 1))
        cell = _cell(width, px, py) if inside else 0
        blocked = (avoid_food & b.food[g, cell]) | (b.hazard[g, cell] != 0)
        s = rng.score(key, rng.START_FOOD_DIAGONAL, seat * 4 + d)
        better = inside & away & ~corner & ~((px == cx) & (py == cy)) & ~blocked & (s > best_score)
        best, best_score = (cell, s) if better else (best, best_score)
    return best


@kernel
def _fixed_food(b: Arrays, t: Turn, g: int, count: int, key: np.uint64, width: int, height: int) -> None:
    """One food per snake on a diagonal next to its head, then one in the centre, on a cleared board
    (``clear_game``).  Snakes are served in seat order: where two would pick the same cell (small boards
    only), the later one picks again.  The food is counted as it is placed (counting the whole grid
    afterwards was ~3% of a standard start, which the vector env runs ~170 times a step)."""
    placed = 0
    if count <= 4 or width * height >= 11 * 11:
        picks = t.work[16:32]
        clash = False
        for i in range(count):
            picks[i] = _diagonal_pick(b, t.board, g, i, key, width, height, False)
            for j in range(i):
                clash |= (picks[i] >= 0) & (picks[i] == picks[j])
        for i in range(count):
            if clash:
                picks[i] = _diagonal_pick(b, t.board, g, i, key, width, height, True)
            if picks[i] >= 0:
                placed += not b.food[g, picks[i]]
                b.food[g, picks[i]] = True
    center = _cell(width, (width - 1) // 2, (height - 1) // 2)  # (never a diagonal pick)
    b.food[g, center] = b.hazard[g, center] == 0  # a map's hazard there keeps it free (hz_rivers_bridges)
    for i in range(count):
        if b.head[g, i] == center:
            b.food[g, center] = False
    b.food_count[g] = placed + b.food[g, center]


@kernel
def place_stacked(b: Arrays, g: int, count: int, starts: np.ndarray) -> None:
    """Snakes 0..count-1 of a cleared game, each three segments stacked on its cell of ``starts``."""
    seats = b.alive.shape[1]
    for i in range(seats):  # absent seats: an empty snake on cell 0 (a wall corner)
        head = starts[i] if i < count else 0
        b.head[g, i] = head
        b.head_ptr[g, i] = 0
        b.health[g, i] = 0
        for k in range(START_LENGTH):
            b.ring[g * seats + i, k] = head
        if i < count:
            b.present[g, i] = b.alive[g, i] = True
            b.length[g, i] = START_LENGTH
            b.head_ptr[g, i] = START_LENGTH - 1
            b.health[g, i] = MAX_HEALTH
            b.occ[g, head] = START_LENGTH
            b.owner[g, head] = i


@inline_kernel
def _start_standard(b: Arrays, t: Turn, g: int, count: int, food: bool) -> bool:
    width, height = t.settings[WIDTH], t.settings[HEIGHT]
    key = rng.turn_key(b.seed_key[g], 0)
    starts = t.work[:16]
    starts[:] = 0
    fixed_board = width == height and width >= 7
    if fixed_board and count <= 8:
        _fixed_starts(key, width, t, starts)
    elif width == height and width >= 11:
        _spread_starts(key, width, height, t, starts)
    elif not _random_starts(key, width, height, count, starts, t.scores):
        return False
    clear_game(b, g, width, height)
    place_stacked(b, g, count, starts)
    if food and fixed_board:
        _fixed_food(b, t, g, count, key, width, height)
    elif food:
        place_food(b, t, g, count, key, rng.START_FOOD_RANDOM)
    return True


@kernel
def classic_spot(b: Arrays, board: np.ndarray, width: int, height: int, g: int, seat: int, turn: int,
                 body: np.ndarray) -> bool:
    """Fill ``body`` (head first) with a safe classic (re)spawn; False when the board is full.

    The snake lies straight, its tail towards the nearest wall, heading away from it; the
    three body cells, the three cells ahead and everything within two steps of a live head
    must be free of snakes, and the body cells free of food too.  The spot is the
    best-scoring such cell (stream RESPAWN_SPOT).
    """
    key = rng.turn_key(b.seed_key[g], turn)
    best, best_score, back_x, back_y = -1, np.uint64(0), 0, 0
    for k in range(width * height):
        x, y = k % width, k // width
        nearest = min(x, width - 1 - x, y, height - 1 - y)  # ties: left, right, down, up
        dx = -1 if nearest == x else (1 if nearest == width - 1 - x else 0)
        dy = 0 if dx != 0 else (-1 if nearest == y else 1)
        ok = True
        for step in range(-3, 3):  # 1, 2 behind the head (body); -1..-3 ahead of it; 0 the head
            cx, cy = x + step * dx, y + step * dy
            inside = 0 <= cx < width and 0 <= cy < height
            cell = _cell(width, cx, cy) if inside else 0
            if step >= 0:
                ok = ok and inside and b.occ[g, cell] == 0 and not b.food[g, cell]
            else:
                ok = ok and not (inside and b.occ[g, cell] > 0)
        for i in range(b.alive.shape[1]):
            if b.alive[g, i]:
                h = b.head[g, i]
                ok = ok and abs(x - board[h, 8]) + abs(y - board[h, 9]) > 2
        if ok:
            s = rng.score(key, rng.RESPAWN_SPOT, seat * 1024 + k)
            if s > best_score:
                best, best_score, back_x, back_y = k, s, dx, dy
    if best < 0:
        return False
    for k in range(START_LENGTH):
        body[k] = _cell(width, best % width + k * back_x, best // width + k * back_y)
    return True


@kernel
def _start_classic(b: Arrays, t: Turn, g: int, count: int) -> bool:
    width, height = t.settings[WIDTH], t.settings[HEIGHT]
    clear_game(b, g, width, height)
    body = t.work[WORK_BODY:WORK_BODY + START_LENGTH]
    for seat in range(count):
        if not classic_spot(b, t.board, width, height, g, seat, 0, body):
            return False
        place_body(b, g, seat, body, MAX_HEALTH)
    place_food(b, t, g, max(count - 1, 1), rng.turn_key(b.seed_key[g], 0), rng.FOOD_CELL)
    return True


@inline_kernel
def start_game(b: Arrays, t: Turn, g: int, count: int, mode: int) -> bool:
    """Start game ``g`` afresh with ``count`` snakes (every per-game field but the seed is rewritten);
    False when the board has no room for them.  ``mode``: STANDARD, STANDARD_NO_FOOD or CLASSIC."""
    if mode == CLASSIC:
        return _start_classic(b, t, g, count)
    return _start_standard(b, t, g, count, mode == STANDARD)
