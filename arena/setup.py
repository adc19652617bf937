"""Start positions and first food, vectorised over the games being (re)started.

Follows Battlesnake's board setup: square boards of width >= 7 with <= 8 snakes use the 8
fixed spots (corners and edge midpoints one cell in, each group shuffled, a coin deciding
which group fills first); square boards >= 11 with more snakes spread them over quadrants;
anything else picks random even cells (square boards under 7x7 refuse more than 8).
Fixed boards get one food on a diagonal next to each snake, away from the centre, plus one
in the centre; others get one random food per snake.  Classic places straight 3-long
snakes at safe spots instead (see ``classic_spot``).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from arena import rng
from arena.geometry import Geometry
from arena.stages import place_food
from arena.state import MAX_HEALTH, GameBatch

START_LENGTH = 3
DIAGONALS = ((-1, -1), (-1, 1), (1, -1), (1, 1))


def _ranked(keys: np.ndarray, stream: int, count: int) -> np.ndarray:
    """Per game, the indices 0..count-1 ordered by descending score (ties: lower index first)."""
    scores = rng.score_np(keys[:, None], stream, np.arange(count))
    return np.argsort(~scores, axis=1, kind="stable")


def _fixed_starts(batch: GameBatch, keys: np.ndarray) -> np.ndarray:
    g = batch.geometry
    lo, mid, hi = 1, (g.width - 1) // 2, g.width - 2
    corners = np.array([g.cell(lo, lo), g.cell(lo, hi), g.cell(hi, lo), g.cell(hi, hi)])
    cardinals = np.array([g.cell(lo, mid), g.cell(mid, lo), g.cell(mid, hi), g.cell(hi, mid)])
    corner_order = corners[_ranked(keys, rng.START_CORNERS, 4)]
    cardinal_order = cardinals[_ranked(keys, rng.START_CARDINALS, 4)]
    coin = rng.draw_np(keys, rng.START_COIN, 0) % np.uint64(2) == 0
    return np.where(coin[:, None], np.hstack([corner_order, cardinal_order]), np.hstack([cardinal_order, corner_order]))


def _distributed_starts(batch: GameBatch, keys: np.ndarray) -> np.ndarray:
    g = batch.geometry
    qw, qh = g.width // 2, g.height // 2
    ox, oy = qw // 3, qh // 3
    quad0 = [(ox, oy), (qw - ox, oy), (ox, qh - oy), (qw - ox, qh - oy)]
    quads = [
        [(x, y) for x, y in quad0],
        [(g.width - x - 1, y) for x, y in quad0],
        [(x, g.height - y - 1) for x, y in quad0],
        [(g.width - x - 1, g.height - y - 1) for x, y in quad0],
    ]
    cells = np.array([[g.cell(x, y) for x, y in q] for q in quads])  # (4 quadrants, 4 slots)
    first = (rng.draw_np(keys, rng.START_QUADRANT, 0) % np.uint64(4)).astype(np.int64)
    scores = rng.score_np(keys[:, None], rng.START_QUADRANT_ORDER, np.arange(16)).reshape(-1, 4, 4)
    order = np.argsort(~scores, axis=2, kind="stable")  # (game, quadrant, rank) -> slot
    rows = np.arange(keys.size)
    starts = np.empty((keys.size, 16), np.int64)
    for i in range(16):
        quad = (first + i) % 4
        starts[:, i] = cells[quad, order[rows, quad, i // 4]]
    return starts


def _random_starts(batch: GameBatch, games: np.ndarray, keys: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each snake in turn takes the best-scoring free even cell that is not the centre."""
    g = batch.geometry
    x, y = g.x_of[g.interior_cells], g.y_of[g.interior_cells]
    allowed = ((x + y) % 2 == 0) & ~((x == (g.width - 1) // 2) & (y == (g.height - 1) // 2))
    taken = np.zeros((games.size, g.area), bool)
    starts = np.full((games.size, batch.seats), -1, np.int64)
    rows = np.arange(games.size)
    for i in range(int(counts.max(initial=0))):
        scores = rng.score_np(keys[:, None], rng.START_RANDOM_SPOT, i * 1024 + np.arange(g.area))
        scores[~allowed[None, :] | taken] = 0
        best = np.argmax(scores, axis=1)
        wants = i < counts
        if np.any(wants & (scores[rows, best] == 0)):
            raise ValueError(f"no room for {int(counts.max())} snakes on a {g.width}x{g.height} board")
        taken[rows[wants], best[wants]] = True
        starts[wants, i] = g.interior_cells[best[wants]]
    return starts


@cache
def _diagonal_table(g: Geometry) -> tuple[np.ndarray, np.ndarray]:
    """Per head cell: its 4 diagonal cells and whether Battlesnake allows start food there.

    Allowed: on the board, not the centre, not a corner, and further from the centre than
    the head on at least one axis.
    """
    cx, cy = (g.width - 1) // 2, (g.height - 1) // 2
    hx, hy = g.x_of[:, None].astype(np.int64), g.y_of[:, None].astype(np.int64)
    px, py = hx + np.array([d[0] for d in DIAGONALS]), hy + np.array([d[1] for d in DIAGONALS])
    away = (((px < hx) & (hx < cx)) | ((cx < hx) & (hx < px)) | ((py < hy) & (hy < cy)) | ((cy < hy) & (hy < py)))
    corner = ((px == 0) | (px == g.width - 1)) & ((py == 0) | (py == g.height - 1))
    on_board = (px >= 0) & (px < g.width) & (py >= 0) & (py < g.height)
    cells = np.where(on_board, (py + 1) * g.padded_width + (px + 1), 0)
    return cells, on_board & away & ~corner & ~((px == cx) & (py == cy))


def _diagonal_choices(batch: GameBatch, games: np.ndarray, keys: np.ndarray, seats: np.ndarray,
                      avoid_food: bool) -> tuple:
    """Candidate food cells (G, S, 4) next to the heads of ``seats`` (G, S) and their scores (0 = not allowed)."""
    table_cells, table_ok = _diagonal_table(batch.geometry)
    heads = batch.head[games[:, None], seats]
    cells = table_cells[heads]
    valid = table_ok[heads] & ~batch.food[games[:, None, None], cells] if avoid_food else table_ok[heads]
    scores = rng.score_np(keys[:, None, None], rng.START_FOOD_DIAGONAL, seats[..., None] * 4 + np.arange(4))
    scores[~valid] = 0
    return cells, scores


def _fixed_food(batch: GameBatch, games: np.ndarray, keys: np.ndarray, counts: np.ndarray) -> None:
    """One food per snake on a diagonal, chosen for all snakes at once, then one in the centre.

    Snakes are served in seat order, so a later snake cannot take a cell an earlier one just
    got: games where two snakes pick the same cell (small boards only) are redone seat by seat.
    """
    g = batch.geometry
    seats = np.arange(batch.seats)
    wants = (seats[None, :] < counts[:, None]) & ((counts[:, None] <= 4) | (g.area >= 11 * 11))
    # the board has no food yet: only the snakes' own picks can collide (handled below)
    cells, scores = _diagonal_choices(batch, games, keys, np.broadcast_to(seats, wants.shape), avoid_food=False)
    best = np.argmax(scores, axis=2)[..., None]
    picked = np.take_along_axis(cells, best, axis=2)[..., 0]
    ok = wants & (np.take_along_axis(scores, best, axis=2)[..., 0] > 0)
    tagged = np.where(ok, picked, -1 - seats[None, :])
    clash = ((tagged[:, :, None] == tagged[:, None, :]) & ~np.eye(batch.seats, dtype=bool)).any(axis=(1, 2))
    gi, si = np.nonzero(ok & ~clash[:, None])
    batch.food[games[gi], picked[gi, si]] = True
    batch.food_count[games] += np.bincount(gi, minlength=games.size).astype(np.int32)
    for row in np.nonzero(clash)[0]:
        for seat in np.nonzero(wants[row])[0]:
            c, sc = _diagonal_choices(batch, games[row : row + 1], keys[row : row + 1], np.array([[seat]]),
                                      avoid_food=True)
            k = int(np.argmax(sc[0, 0]))
            if sc[0, 0, k] > 0:
                batch.food[games[row], c[0, 0, k]] = True
                batch.food_count[games[row]] += 1
    cx, cy = (g.width - 1) // 2, (g.height - 1) // 2
    center = g.cell(cx, cy)
    free = (batch.occ[games, center] == 0) & ~batch.food[games, center]
    batch.food[games[free], center] = True
    batch.food_count[games[free]] += 1


def _stack_snakes(batch: GameBatch, games: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> None:
    """Put every snake's three segments on its start cell."""
    seats = np.arange(batch.seats)
    present = seats[None, :] < counts[:, None]
    gi, si = np.nonzero(present)
    g_ids, cells = games[gi], starts[gi, si]
    rows = batch.rows(g_ids, si)
    batch.ring[rows, :START_LENGTH] = cells[:, None]
    batch.head_ptr[g_ids, si] = START_LENGTH - 1
    batch.length[g_ids, si] = START_LENGTH
    batch.head[g_ids, si] = cells
    batch.health[g_ids, si] = MAX_HEALTH
    batch.present[g_ids, si] = True
    batch.alive[g_ids, si] = True
    batch.occ[g_ids, cells] += START_LENGTH
    batch.owner[g_ids, cells] = si


def setup_standard(batch: GameBatch, games: np.ndarray, counts: np.ndarray, food: bool) -> None:
    g = batch.geometry
    keys = rng.key_np(batch.seed[games], 0)
    square = g.width == g.height
    fixed = np.full(games.size, square and g.width >= 7) & (counts <= 8)
    spread = np.full(games.size, square and g.width >= 11) & (counts > 8)
    if square and g.width < 7 and np.any(counts > 8):
        raise ValueError("more than 8 snakes need a board of at least 7x7")
    starts = np.full((games.size, batch.seats), -1, np.int64)
    if fixed.any():
        width = min(8, batch.seats)
        starts[np.nonzero(fixed)[0], :width] = _fixed_starts(batch, keys[fixed])[:, :width]
    if spread.any():
        starts[spread] = _distributed_starts(batch, keys[spread])[:, : batch.seats]
    rand = ~fixed & ~spread
    if rand.any():
        starts[rand] = _random_starts(batch, games[rand], keys[rand], counts[rand])
    _stack_snakes(batch, games, starts, counts)
    if not food:
        return
    if square and g.width >= 7:
        _fixed_food(batch, games, keys, counts)
    else:
        place_food(batch, games, counts, keys, rng.START_FOOD_RANDOM)


def classic_spot(batch: GameBatch, game: int, seat: int, turn: int) -> np.ndarray | None:
    """Body cells (head first) for a safe classic (re)spawn, or None when the board is full.

    The snake lies straight, its tail towards the nearest wall, heading away from it; the
    three body cells, the three cells ahead and everything within two steps of a live head
    must be free of snakes, and the body cells free of food too.  The spot is the
    best-scoring such cell (stream RESPAWN_SPOT).
    """
    g = batch.geometry
    x = g.x_of[g.interior_cells].astype(np.int64)
    y = g.y_of[g.interior_cells].astype(np.int64)
    dist = np.stack([x, g.width - 1 - x, y, g.height - 1 - y])  # left, right, down, up walls
    wall = np.argmin(dist, axis=0)
    back_dx = np.array([-1, 1, 0, 0])[wall]
    back_dy = np.array([0, 0, -1, 1])[wall]
    occupied = batch.occ[game] > 0
    covered = occupied | batch.food[game]  # food is never under a live body
    ok = np.ones(g.area, bool)
    for k in range(-3, 3):  # k = 1, 2 behind the head (body); -1..-3 ahead of it; 0 the head
        cx, cy = x + k * back_dx, y + k * back_dy
        inside = (cx >= 0) & (cx < g.width) & (cy >= 0) & (cy < g.height)
        cells = np.where(inside, (cy + 1) * g.padded_width + (cx + 1), 0)
        ok &= inside & ~covered[cells] if k >= 0 else ~(inside & occupied[cells])
    heads = batch.head[game][batch.alive[game]]
    if heads.size:
        hx, hy = g.x_of[heads].astype(np.int64), g.y_of[heads].astype(np.int64)
        near = (np.abs(x[:, None] - hx[None, :]) + np.abs(y[:, None] - hy[None, :])) <= 2
        ok &= ~near.any(axis=1)
    key = rng.key_np(batch.seed[game : game + 1], turn)
    scores = rng.score_np(key[:, None], rng.RESPAWN_SPOT, seat * 1024 + np.arange(g.area))[0]
    scores[~ok] = 0
    best = int(np.argmax(scores))
    if scores[best] == 0:
        return None
    bx, by = x[best], y[best]
    return np.array([g.cell(int(bx + k * back_dx[best]), int(by + k * back_dy[best])) for k in range(START_LENGTH)])


def setup_classic(batch: GameBatch, games: np.ndarray, counts: np.ndarray) -> None:
    for game, count in zip(games.tolist(), counts.tolist()):
        for seat in range(count):
            body = classic_spot(batch, game, seat, 0)
            if body is None:
                raise ValueError(f"no room for {count} classic snakes on this board")
            batch.place(game, seat, body, MAX_HEALTH)
    target = np.maximum(counts - 1, 1)
    place_food(batch, games, target, rng.key_np(batch.seed[games], 0), rng.FOOD_CELL)
