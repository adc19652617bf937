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
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from arena.jit import DISABLED, kernel, lean_kernel

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
CHUNK = 16  #: bytes ``copy_chunk`` moves at once: buffers it writes into keep this much slack at their end


@intrinsic
def _copy_chunk(typingctx, dst, at, src, start):
    """``dst[at:at + 16] = src[start:start + 16]`` as one unaligned 16-byte move (LLVM's memcpy of a
    constant size), what C's ``memcpy`` of a short row compiles to; numba's own loops over 11-byte
    rows are ten times slower."""
    def codegen(context, builder, signature, args):
        out = context.make_array(signature.args[0])(context, builder, args[0])
        source = context.make_array(signature.args[2])(context, builder, args[2])
        cgutils.raw_memcpy(builder, builder.gep(out.data, [args[1]]), builder.gep(source.data, [args[3]]),
                           context.get_constant(types.intp, CHUNK), 1)
        return context.get_dummy_value()
    return types.void(dst, types.intp, src, types.intp), codegen


def _copy_chunk_python(dst: np.ndarray, at: int, src: np.ndarray, start: int) -> None:
    """The same, as plain Python (``NUMBA_DISABLE_JIT=1``)."""
    dst[at:at + CHUNK] = src[start:start + CHUNK]


copy_chunk = _copy_chunk_python if DISABLED else _copy_chunk


def big_index(x_of: np.ndarray, y_of: np.ndarray, height: int, width: int, radius: int) -> np.ndarray:
    """Where each engine cell sits in the padded board ``big`` of ``encode``: the board top row first,
    padded by ``radius`` + 1 (the engine grid's border and the rest), row ``height + radius - y``,
    column ``x + radius + 1``."""
    big_w = width + 2 * radius + 2
    return (height + radius - y_of.astype(np.int64)) * big_w + x_of + radius + 1


def scratch(cells: int, height: int, width: int, radius: int, window: tuple[int, int], seats: int,
            ring_len: int) -> tuple[np.ndarray, ...]:
    """``encode``'s working arrays, made once per observer (it reuses them every call; one observer
    must not encode from two threads at once): the padded board (walls around it, which ``encode``
    keeps), a window, the engine grid's codes and the live snakes' segments; each byte buffer with
    ``CHUNK`` bytes of slack for the 16-byte moves."""
    big = np.full((height + 2 * radius + 2) * (width + 2 * radius + 2) + CHUNK, WALL, np.uint8)
    return (big, np.empty(window[0] * window[1] + CHUNK, np.uint8), np.empty(cells + CHUNK, np.uint8),
            np.empty((seats, ring_len, 3), np.int64))


@kernel
def _draw(b, alive, length, head_ptr, ring, food, hazard, base, x_of, y_of, width, height, radius, big_of, wrapped,
          cells, segments, big):
    """Game ``b`` on ``big`` (cell ``c`` at ``big[big_of[c]]``; the board padded by walls, or tiled when it
    wraps): food, hazard, and every live snake as a *long enemy* (observers rewrite their own cells and
    shorter snakes' cells).  ``cells``: scratch, one code per engine cell (``base``: walls on the border);
    ``segments[s, i]``: row, column and code in ``big`` of live seat s's segment i, for the observers.

    The codes are computed in one long loop over the engine's cells and moved into ``big`` a row at a
    time in 16-byte chunks (the chunks' spill past a row is walled again): short per-cell loops with
    index arithmetic cost several times more."""
    seats = alive.shape[1]
    ring_mask = ring.shape[1] - 1
    padded_width = width + 2
    food_b, hazard_b = food[b], hazard[b]
    for c in range(base.shape[0]):
        cells[c] = base[c] + FOOD * food_b[c] + HAZARD * (hazard_b[c] > 0)
    spill = (padded_width + CHUNK - 1) // CHUNK * CHUNK
    big_w = width + 2 * radius + 2
    for y in range(height - 1, -1, -1):  # top row first: a row's spill lands on the next row written
        source, at = (y + 1) * padded_width, (height + radius - y) * big_w + radius
        for j in range(0, padded_width, CHUNK):
            copy_chunk(big, at + j, cells, source + j)
        for j in range(padded_width, spill):
            big[at + j] = WALL
    for s in range(seats):
        if not alive[b, s]:
            continue
        snake, first = b * seats + s, head_ptr[b, s]
        head_cell = ring[snake, first & ring_mask]
        for i in range(length[b, s]):
            cell = ring[snake, (first - i) & ring_mask]
            code = (HAZARD if hazard_b[cell] > 0 else 0) + (LONG_HEAD if cell == head_cell else LONG_BODY)
            big[big_of[cell]] = code  # a tail stacked under the head shows the head
            segment = segments[s, i]
            segment[0] = height + radius - y_of[cell]
            segment[1] = x_of[cell] + radius + 1
            segment[2] = code
    if wrapped:
        _tile(width, height, radius, big_w, height + 2 * radius + 2, big)


@kernel
def _tile(width, height, radius, big_w, big_h, big):
    """Fill the padding around the board with the board itself (wrapped rulesets)."""
    for r in range(big_h):
        y = (height + radius - r) % height
        for c in range(big_w):
            big[r * big_w + c] = big[(height + radius - y) * big_w + (c - radius - 1) % width + radius + 1]


@kernel
def _fix_up(b, s, alive, length, segments, height, width, wrapped, top, left, win_h, win_w, window):
    """Seat ``s``'s window (``window``, rows of ``win_w``, cut from ``big`` at row ``top``, column
    ``left``): its own cells and shorter snakes' were drawn as a long enemy's; rewrite them (every
    copy of them, on a wrapped board)."""
    seats = alive.shape[1]
    for other in range(seats):
        if not alive[b, other] or (other != s and length[b, other] >= length[b, s]):
            continue
        shift = OWN_HEAD - LONG_HEAD if other == s else SHORT_HEAD - LONG_HEAD
        for i in range(length[b, other]):
            i0, j0 = segments[other, i, 0] - top, segments[other, i, 1] - left
            code = segments[other, i, 2] + shift
            if wrapped:
                for wi in range(i0 % height, win_h, height):
                    for wj in range(j0 % width, win_w, width):
                        window[wi * win_w + wj] = code
            elif 0 <= i0 < win_h and 0 <= j0 < win_w:
                window[i0 * win_w + j0] = code


@lean_kernel
def encode(games, alive, length, head, head_ptr, ring, health, turn, food, hazard, x_of, y_of, base, big_of,
           width, height, radius, egocentric, wrapped, blank_dead, kind, health_value, scratch,
           codes_out, scalars_out, planes_out):
    """Observations of every seat of ``games``, game-major (agent ``k * N + s``).

    ``kind`` CODES: ``codes_out`` (A, h, w) uint8 windows and ``scalars_out`` (A, 3) float32.
    ``kind`` PLANES: ``planes_out`` (A, 10, h, w) uint8: channels 0..7 set where the code's
    category is channel + 1, channel 8 set on hazards, channel 9 ``health_value[health]``; "set"
    is 1 for the planes (``health_value[100] == 100``), 255 for the image.  Outputs must be
    C-contiguous.  Egocentric windows are centred on the head (row 0 at ``y + radius``), wrapping
    on wrapped boards, walls outside; otherwise (``radius`` 0) the window is the board.
    ``blank_dead``: dead snakes get all zeros.  ``big_of`` and ``scratch``: from ``Scratch``.
    """
    seats = alive.shape[1]
    win_h = codes_out.shape[1] if kind == CODES else planes_out.shape[2]
    win_w = codes_out.shape[2] if kind == CODES else planes_out.shape[3]
    size = win_h * win_w
    on = np.uint8(1) if health_value[100] == 100 else np.uint8(255)
    big_w = width + 2 * radius + 2
    big, window, cells, segments = scratch
    # Outputs as one row per agent (and channel): loops over a 1-D view's whole length vectorise,
    # loops over offsets into a flat array do not (ten times slower for the planes).
    codes = codes_out.reshape(codes_out.shape[0], size)
    planes = planes_out.reshape(planes_out.shape[0], planes_out.shape[1], size)
    seen = window[:size]
    for k in range(games.shape[0]):
        b = games[k]
        _draw(b, alive, length, head_ptr, ring, food, hazard, base, x_of, y_of, width, height, radius, big_of, wrapped,
              cells, segments, big)
        for s in range(seats):
            a = k * seats + s
            if blank_dead and not alive[b, s]:
                if kind == CODES:
                    codes[a] = 0
                    scalars_out[a] = 0
                else:
                    planes[a] = 0
                continue
            top, left = 1, 1
            if egocentric:
                top, left = height - y_of[head[b, s]], x_of[head[b, s]] + 1
            for i in range(win_h):  # each row in 16-byte moves; a row's spill is overwritten by the next
                for j in range(0, win_w, CHUNK):
                    copy_chunk(window, i * win_w + j, big, (top + i) * big_w + left + j)
            _fix_up(b, s, alive, length, segments, height, width, wrapped, top, left, win_h, win_w, window)
            hp = min(max(health[b, s], 0), 100)
            if kind == CODES:
                out = codes[a]
                for p in range(size):
                    out[p] = seen[p]
                scalars_out[a, 0] = hp
                scalars_out[a, 1] = length[b, s]
                scalars_out[a, 2] = turn[b]
                continue
            mine = planes[a]
            for c in range(8):
                out = mine[c]
                category, with_hazard = np.uint8(c + 1), np.uint8(c + 1 + HAZARD)
                for p in range(size):
                    out[p] = on if (seen[p] == category) | (seen[p] == with_hazard) else np.uint8(0)
            out = mine[8]
            for p in range(size):
                out[p] = on if seen[p] >= HAZARD else np.uint8(0)
            mine[9, :] = health_value[hp]
