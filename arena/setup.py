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
from arena.geometry import Geometry, frozen
from arena.stages import place_food
from arena.state import MAX_HEALTH, GameBatch

START_LENGTH = 3
DIAGONALS = ((-1, -1), (-1, 1), (1, -1), (1, 1))


@cache
def _fixed_spots(g: Geometry) -> np.ndarray:
    """The 8 fixed start cells: corners then edge midpoints (one cell in), in candidate order."""
    lo, mid, hi = 1, (g.width - 1) // 2, g.width - 2
    corners = [g.cell(lo, lo), g.cell(lo, hi), g.cell(hi, lo), g.cell(hi, hi)]
    cardinals = [g.cell(lo, mid), g.cell(mid, lo), g.cell(mid, hi), g.cell(hi, mid)]
    spots = np.array(corners + cardinals, np.int64)
    spots.setflags(write=False)
    return spots


@cache
def _start_salts(seats: int) -> np.ndarray:
    """Every turn-0 draw a standard start may use, drawn in one go: corner ranks 0..3, cardinal
    ranks 0..3, the coin, then each seat's 4 diagonal food candidates."""
    salts = np.concatenate([rng.salts(rng.START_CORNERS, 4), rng.salts(rng.START_CARDINALS, 4),
                            rng.salts(rng.START_COIN, 1), rng.salts(rng.START_FOOD_DIAGONAL, 4 * seats)])
    salts.setflags(write=False)
    return salts


_GROUP_OFFSET = frozen(np.array([[0], [4]]))  # corners, cardinals within ``_fixed_spots``


def _fixed_starts(batch: GameBatch, draws: np.ndarray) -> np.ndarray:
    """(G, 8) start cells in fill order: each group ranked by score, the coin picks the first group."""
    scores = draws[:, :8].reshape(-1, 2, 4) | rng.ONE
    order = np.argsort(~scores, axis=2, kind="stable")  # per group, candidates by descending score
    starts = _fixed_spots(batch.geometry)[order + _GROUP_OFFSET]
    coin = (draws[:, 8] & rng.ONE) == 0  # draw % 2 == 0: corners first
    return np.where(coin[:, None, None], starts, starts[:, ::-1]).reshape(-1, 8)


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


def _diagonal_choices(batch: GameBatch, heads: np.ndarray, scores: np.ndarray,
                      food: np.ndarray | None = None) -> tuple:
    """Candidate food cells (G, S, 4) next to ``heads`` (G, S) and their ``scores`` (G, S, 4, from
    stream START_FOOD_DIAGONAL) zeroed where not allowed (or, given ``food`` rows, already food)."""
    table_cells, table_ok = _diagonal_table(batch.geometry)
    cells = table_cells[heads]
    valid = table_ok[heads]
    if food is not None:
        valid &= ~food[np.arange(heads.shape[0])[:, None, None], cells]
    scores = scores | rng.ONE
    scores *= valid
    return cells, scores


@cache
def _spots_share_diagonals(g: Geometry) -> bool:
    """Whether two fixed start spots have a diagonal cell in common (small boards only)."""
    cells, ok = _diagonal_table(g)
    candidates = [set(cells[spot][ok[spot]].tolist()) for spot in _fixed_spots(g)]
    return any(a & b for i, a in enumerate(candidates) for b in candidates[i + 1:])


def _fixed_food(batch: GameBatch, heads: np.ndarray, present: np.ndarray, counts: np.ndarray,
                draws: np.ndarray, may_clash: bool) -> tuple[np.ndarray, np.ndarray]:
    """Start food rows (G, C) and their food counts: one food per snake on a diagonal, chosen
    for all snakes at once, then one in the centre.

    Snakes are served in seat order, so a later snake cannot take a cell an earlier one just
    got: games where two snakes pick the same cell (small boards only) are redone seat by seat.
    """
    g = batch.geometry
    n = batch.seats
    count = heads.shape[0]
    wants = present & ((counts[:, None] <= 4) | (g.area >= 11 * 11))
    diagonal = draws[:, 9:].reshape(count, n, 4)
    # the board has no food yet: only the snakes' own picks can collide (handled below)
    cells, scores = _diagonal_choices(batch, heads, diagonal)
    best = scores.argmax(axis=2).ravel()
    pairs = np.arange(count * n)
    picked = cells.reshape(-1, 4)[pairs, best].reshape(count, n)
    ok = scores.reshape(-1, 4)[pairs, best].reshape(count, n) > 0
    ok &= wants
    rows = np.arange(count)[:, None]
    food = np.zeros((count, g.cells), bool)
    food[rows, np.where(ok, picked, 0)] = ok  # cell 0 (a wall) takes the misses
    center = g.cell((g.width - 1) // 2, (g.height - 1) // 2)
    in_center = ~((heads == center) & present).any(axis=1)  # diagonals never pick the centre
    food[:, center] = in_center
    total = np.add.reduce(ok, axis=1) + in_center
    if may_clash:
        tagged = np.where(ok, picked, -1 - np.arange(n))
        clash = ((tagged[:, :, None] == tagged[:, None, :]) & ~np.eye(n, dtype=bool)).any(axis=(1, 2))
        for row in np.nonzero(clash)[0]:
            food[row] = False
            for seat in np.nonzero(wants[row])[0]:
                c, sc = _diagonal_choices(batch, heads[row : row + 1, seat : seat + 1],
                                          diagonal[row : row + 1, seat : seat + 1], food[row : row + 1])
                k = int(np.argmax(sc[0, 0]))
                if sc[0, 0, k] > 0:
                    food[row, c[0, 0, k]] = True
            food[row, center] = in_center[row]
            total[row] = food[row].sum()
    return food, total


def setup_standard(batch: GameBatch, games: np.ndarray, counts: np.ndarray, food: bool) -> None:
    """Set the given games up from scratch (every per-game field is rewritten)."""
    g = batch.geometry
    n = batch.seats
    keys = rng.turn_key_np(batch.seed_key[games], 0)
    draws = rng.draw_salted_np(keys[:, None], _start_salts(n))
    square = g.width == g.height
    most = int(counts.max())
    if square and g.width < 7 and most > 8:
        raise ValueError("more than 8 snakes need a board of at least 7x7")
    fixed_board = square and g.width >= 7
    present = np.arange(n) < counts[:, None]
    if fixed_board and most <= 8:  # the usual case: every game starts on the fixed spots
        all_fixed = True
        starts = _fixed_starts(batch, draws)
        starts = starts[:, :n] if n <= 8 else np.pad(starts, ((0, 0), (0, n - 8)))
    else:
        all_fixed = False
        fixed = np.full(games.size, fixed_board) & (counts <= 8)
        spread = np.full(games.size, square and g.width >= 11) & (counts > 8)
        starts = np.zeros((games.size, n), np.int64)
        if fixed.any():
            width = min(8, n)
            starts[np.nonzero(fixed)[0], :width] = _fixed_starts(batch, draws[fixed])[:, :width]
        if spread.any():
            starts[spread] = _distributed_starts(batch, keys[spread])[:, :n]
        rand = ~fixed & ~spread
        if rand.any():
            starts[rand] = _random_starts(batch, games[rand], keys[rand], counts[rand])
    starts = np.where(present, starts, 0)  # absent seats: cell 0, a wall corner
    food_rows = food_counts = None
    if food and fixed_board:
        may_clash = not all_fixed or _spots_share_diagonals(g)
        food_rows, food_counts = _fixed_food(batch, starts, present, counts, draws, may_clash)
    batch.start_games(games, starts, present, START_LENGTH, MAX_HEALTH, food_rows, food_counts)
    if food and not fixed_board:
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
