"""The compiled observation encoder: each game drawn once as a small grid, each snake's window copied
out of it with its own cell codes, straight into the env's preallocated buffers.

Why this shape (PufferLib Ocean's): an observation is mostly a copy of a window, so the encoder
is one native loop that, per game, draws the board once (snake cells by seat, food, hazard) and,
per snake, maps that drawing through a tiny per-observer table (seat -> "me / at least as long
as me / shorter") while copying its window.  The cell code is the one ``obs_format="codes"``
hands out; the planes formats are its one-hot, written channel by channel from the same window.

Cell codes (``CODE_NAMES``): a category 0..8, plus ``HAZARD`` (9) on hazard cells.
"""

from __future__ import annotations

import numpy as np

from arena.jit import kernel

#: The category of a cell as seen by one snake; planes channel ``c`` (0..7) is category ``c + 1``.
EMPTY, OWN_HEAD, OWN_BODY, LONG_HEAD, LONG_BODY, SHORT_HEAD, SHORT_BODY, FOOD, WALL = range(9)
HAZARD = 9  #: added to the category of a hazard cell (stacked hazard entries count once)
NUM_CODES = 2 * HAZARD  #: codes are 0..17 (a wall is never a hazard: 17 never occurs)
CODE_NAMES = ("empty", "own_head", "own_body", "long_enemy_head", "long_enemy_body", "short_enemy_head",
              "short_enemy_body", "food", "wall")
#: What ``obs_format="codes"`` gives per snake beside its window, in this order (float32).
SCALARS = ("health", "length", "turn")

#: ``encode``'s outputs: the code windows, or the planes (one-hot channels then health).
CODES, PLANES = 0, 1


@kernel
def _draw(b, alive, occ, owner, food, hazard, width, height, padded_width, raw):
    """Game ``b`` on ``raw`` (height * width, row y * width + x): 0 empty, 1 + 2s / 2 + 2s the head /
    another segment of seat s, ``2N + 1`` food, plus ``2N + 2`` on hazard cells."""
    seats = alive.shape[1]
    food_code, hazard_code = 2 * seats + 1, 2 * seats + 2
    for y in range(height):
        for x in range(width):
            cell = (y + 1) * padded_width + x + 1
            code = 0
            if occ[b, cell] > 0:
                code = 2 + 2 * owner[b, cell]
            elif food[b, cell]:
                code = food_code
            if hazard[b, cell] > 0:
                code += hazard_code
            raw[y * width + x] = code


@kernel
def _observer_table(b, s, alive, length, table):
    """Raw drawing code -> the cell's code as seat ``s`` of game ``b`` sees it."""
    seats = alive.shape[1]
    hazard_code = 2 * seats + 2
    table[0] = EMPTY
    for other in range(seats):
        head = OWN_HEAD if other == s else LONG_HEAD if length[b, other] >= length[b, s] else SHORT_HEAD
        table[1 + 2 * other] = head
        table[2 + 2 * other] = head + 1
    table[2 * seats + 1] = FOOD
    for code in range(hazard_code):
        table[code + hazard_code] = table[code] + HAZARD


@kernel
def encode(games, alive, length, head, health, turn, occ, owner, food, hazard, x_of, y_of,
           width, height, padded_width, radius, egocentric, wrapped, blank_dead, kind, health_value,
           codes_out, scalars_out, planes_out):
    """Observations of every seat of ``games``, game-major (agent ``k * N + s``).

    ``kind`` CODES: ``codes_out`` (A, h, w) uint8 windows and ``scalars_out`` (A, 3) float32.
    ``kind`` PLANES: ``planes_out`` (A, 10, h, w) uint8: channels 0..7 set where the code's
    category is channel + 1, channel 8 set on hazards, channel 9 ``health_value[health]``; "set"
    is 1 for the planes (``health_value[100] == 100``), 255 for the image.
    Egocentric windows are centred on the head (row 0 at ``y + radius``), wrapping on wrapped
    boards, walls outside; otherwise the window is the board.  ``blank_dead``: dead snakes get
    all zeros.
    """
    seats = alive.shape[1]
    win_h = codes_out.shape[1] if kind == CODES else planes_out.shape[2]
    win_w = codes_out.shape[2] if kind == CODES else planes_out.shape[3]
    on = np.uint8(1) if health_value[100] == 100 else np.uint8(255)
    raw = np.empty(width * height, np.uint8)
    table = np.empty(2 * (2 * seats + 2), np.uint8)
    window = np.empty((win_h, win_w), np.uint8)
    for k in range(games.shape[0]):
        b = games[k]
        _draw(b, alive, occ, owner, food, hazard, width, height, padded_width, raw)
        for s in range(seats):
            if alive[b, s]:
                raw[(y_of[head[b, s]]) * width + x_of[head[b, s]]] -= 1  # a head: its body code minus one
        for s in range(seats):
            a = k * seats + s
            out = codes_out[a] if kind == CODES else window
            if blank_dead and not alive[b, s]:
                if kind == CODES:
                    out[:, :] = 0
                    scalars_out[a, :] = 0
                else:
                    planes_out[a] = 0
                continue
            _observer_table(b, s, alive, length, table)
            top, left = height - 1, 0
            if egocentric:
                top, left = y_of[head[b, s]] + radius, x_of[head[b, s]] - radius
            for i in range(win_h):
                y = top - i
                if wrapped:
                    y %= height
                row_inside = 0 <= y < height
                for j in range(win_w):
                    x = left + j
                    if wrapped:
                        x %= width
                    if row_inside and 0 <= x < width:
                        out[i, j] = table[raw[y * width + x]]
                    else:
                        out[i, j] = WALL
            hp = min(max(health[b, s], 0), 100)
            if kind == CODES:
                scalars_out[a, 0] = hp
                scalars_out[a, 1] = length[b, s]
                scalars_out[a, 2] = turn[b]
                continue
            planes = planes_out[a]
            for c in range(8):
                plane = planes[c]
                for i in range(win_h):
                    for j in range(win_w):
                        code = window[i, j]
                        plane[i, j] = on if code == c + 1 or code == c + 1 + HAZARD else 0
            for i in range(win_h):
                for j in range(win_w):
                    planes[8, i, j] = on if window[i, j] >= HAZARD else 0
            planes[9] = health_value[hp]
