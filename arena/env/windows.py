"""The compiled observation encoder: each game drawn once as a small grid, each snake's window copied
out of it with its own cell codes, straight into the env's preallocated buffers.

Why this shape (PufferLib Ocean's): an observation is mostly a copy of a window, so the encoder
is one native loop that, per game, draws the board once (snake cells marked by seat, food, hazard)
and, per snake, copies its window out of that drawing and turns the marked cells into what they
are to it ("me / at least as long as me / shorter"), eight cells a word.  The cell code is the one
``obs_format="codes"`` hands out; the planes formats are its one-hot, written channel by channel
from the same window.  The vector env's fused step (``arena.env.fused``) calls ``encode_game`` too.

Cell codes (``CODE_NAMES``): a category 0..8, plus ``HAZARD`` (9) on hazard cells.
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from arena.jit import DISABLED, inline_kernel, kernel, lean_kernel

#: The category of a cell as seen by one snake; planes channel ``c`` (0..7) is category ``c + 1``.
EMPTY, OWN_HEAD, OWN_BODY, LONG_HEAD, LONG_BODY, SHORT_HEAD, SHORT_BODY, FOOD, WALL = range(9)
HAZARD = 9  #: added to the category of a hazard cell (stacked hazard entries count once)
NUM_CODES = 2 * HAZARD  #: codes are 0..17 (a wall is never a hazard: 17 never occurs)
CODE_NAMES = ("empty", "own_head", "own_body", "long_enemy_head", "long_enemy_body", "short_enemy_head",
              "short_enemy_body", "food", "wall")
#: What ``obs_format="codes"`` gives per snake beside its window, in this order (float32).
SCALARS = ("health", "length", "turn")

#: How ``_draw`` marks live snakes' cells: ``SNAKE + 2 * seat``, + 1 off the head, + ``HAZARD_BIT`` on a hazard
#: (``SEAT_BITS`` picks out the snake and seat); each observer turns them into its codes (``_relate``).
SNAKE, HAZARD_BIT = 32, 64
# ``_relate``'s word constants (uint64: numba would turn a uint64 mixed with an int64 into a float)
BYTES = np.uint64(0x0101010101010101)  # 1 in every byte
HIGH, LOW7 = BYTES * np.uint64(0x80), BYTES * np.uint64(0x7F)
SEAT_WORD, HAZARD_WORD = BYTES * np.uint64(0x3E), np.uint64(HAZARD)  # a byte's snake-and-seat bits; 9 per byte
SIX, SEVEN, FULL = np.uint64(6), np.uint64(7), np.uint64(0xFF)

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


def scratch(cells: int, height: int, width: int, radius: int, window: tuple[int, int]) -> tuple[np.ndarray, ...]:
    """``encode``'s working arrays, made once per observer (it reuses them every call; one observer
    must not encode from two threads at once): the padded board (walls around it, which ``encode``
    keeps), a window as drawn, the engine grid's codes, a window as seen and ``_relate``'s words; each
    byte buffer with ``CHUNK`` bytes of slack for the 16-byte moves."""
    big = np.full((height + 2 * radius + 2) * (width + 2 * radius + 2) + CHUNK, WALL, np.uint8)
    words = (window[0] * window[1] + CHUNK + 7) // 8  # the windows are read as uint64 words too
    return (big, np.empty(8 * words, np.uint8), np.empty(cells + CHUNK, np.uint8), np.empty(8 * words, np.uint8),
            np.empty(words, np.uint64))


@inline_kernel
def _draw(b, alive, head_ptr, length, ring, food, hazard, base, width, height, radius, big_of, wrapped, cells, big):
    """Game ``b`` on ``big`` (cell ``c`` at ``big[big_of[c]]``; the board padded by walls, or tiled when it
    wraps): the codes of food, hazard and empty cells, and every live snake's segments as ``SNAKE`` +
    2 * seat (+ 1 off the head, + ``HAZARD_BIT`` on a hazard), which each observer turns into its codes
    (``_relate``).  ``cells``: scratch, one code per engine cell (``base``: walls on the border).

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
        mark = SNAKE + 2 * s
        for i in range(length[b, s]):
            cell = ring[snake, (first - i) & ring_mask]  # a tail stacked under the head shows the head
            big[big_of[cell]] = mark + (cell != head_cell) + (HAZARD_BIT if hazard_b[cell] > 0 else 0)
    if wrapped:
        _tile(width, height, radius, big_w, height + 2 * radius + 2, big)


@kernel
def _tile(width, height, radius, big_w, big_h, big):
    """Fill the padding around the board with the board itself (wrapped rulesets)."""
    for r in range(big_h):
        y = (height + radius - r) % height
        for c in range(big_w):
            big[r * big_w + c] = big[(height + radius - y) * big_w + (c - radius - 1) % width + radius + 1]


@inline_kernel
def _relate(b, s, alive, length, seen, out, part):
    """``out`` = the drawn window ``seen`` with every snake's cells as seat ``s`` sees it (itself, an enemy
    at least as long, or a shorter one); other cells are their codes already.  Both are uint64 views,
    eight cells a word: each live snake is one pass of a few word operations (per byte: is this that
    snake's cell? then its code), which beats rewriting each segment or looking each cell up.
    ``part``: scratch, per word the code's "off the head" + "on a hazard" part."""
    for q in range(seen.shape[0]):
        w = seen[q]
        out[q] = w
        part[q] = (w & BYTES) + ((w >> SIX) & BYTES) * HAZARD_WORD
    for j in range(alive.shape[1]):
        if not alive[b, j]:
            continue
        head = OWN_HEAD if j == s else LONG_HEAD if length[b, j] >= length[b, s] else SHORT_HEAD
        key, first = np.uint64(SNAKE + 2 * j) * BYTES, np.uint64(head) * BYTES
        for q in range(seen.shape[0]):
            x = (seen[q] & SEAT_WORD) ^ key  # bytes of snake j's cells are 0
            hit = ((~(((x & LOW7) + LOW7) | x) & HIGH) >> SEVEN) * FULL  # 0xff on those bytes, else 0
            out[q] = (out[q] & ~hit) | ((first + part[q]) & hit)


@inline_kernel
def _copy_out(out, source, size):
    """``out[:size] = source[:size]`` in 16-byte moves, the last one ending at ``size`` (``out`` has no slack)."""
    if size < CHUNK:
        for p in range(size):
            out[p] = source[p]
        return
    for j in range(0, size - CHUNK, CHUNK):
        copy_chunk(out, j, source, j)
    copy_chunk(out, size - CHUNK, source, size - CHUNK)


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
    # Outputs as one row per agent (and channel): loops over a 1-D view's whole length vectorise,
    # loops over offsets into a flat array do not (ten times slower for the planes).
    codes, planes = rows(codes_out, planes_out)
    for k in range(games.shape[0]):
        encode_game(games[k], k * seats, alive, length, head, head_ptr, ring, health, turn, food, hazard, x_of, y_of,
                    base, big_of, width, height, radius, egocentric, wrapped, blank_dead, kind, health_value, scratch,
                    codes, scalars_out, planes)


@inline_kernel
def rows(codes_out, planes_out):
    """``encode_game``'s views of the outputs: (A, h * w) codes and (A, 10, h * w) planes."""
    size = codes_out.shape[1] * codes_out.shape[2]
    plane = planes_out.shape[2] * planes_out.shape[3]
    return (codes_out.reshape(codes_out.shape[0], size),
            planes_out.reshape(planes_out.shape[0], planes_out.shape[1], plane))


@inline_kernel
def encode_game(b, first, alive, length, head, head_ptr, ring, health, turn, food, hazard, x_of, y_of, base, big_of,
                width, height, radius, egocentric, wrapped, blank_dead, kind, health_value, scratch, codes,
                scalars_out, planes):
    """``encode`` for one game ``b``: its seats are agents ``first``, ``first + 1``, ... of the outputs,
    viewed as ``rows`` gives them (the vector env's fused step calls this per game too)."""
    seats = alive.shape[1]
    win_h = 2 * radius + 1 if egocentric else height
    win_w = 2 * radius + 1 if egocentric else width
    size = win_h * win_w
    on = np.uint8(1) if health_value[100] == 100 else np.uint8(255)
    big_w = width + 2 * radius + 2
    big, window, cells, seen_by, part = scratch
    words = (size + 7) // 8
    drawn, coded = window.view(np.uint64)[:words], seen_by.view(np.uint64)[:words]
    _draw(b, alive, head_ptr, length, ring, food, hazard, base, width, height, radius, big_of, wrapped, cells, big)
    for s in range(seats):
        a = first + s
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
        _relate(b, s, alive, length, drawn, coded, part)
        hp = min(max(health[b, s], 0), 100)
        if kind == CODES:
            _copy_out(codes[a], seen_by, size)
            scalars_out[a, 0] = hp
            scalars_out[a, 1] = length[b, s]
            scalars_out[a, 2] = turn[b]
            continue
        mine = planes[a]
        seen = seen_by[:size]
        for c in range(8):
            out = mine[c]
            category, with_hazard = np.uint8(c + 1), np.uint8(c + 1 + HAZARD)
            for p in range(size):
                out[p] = on if (seen[p] == category) | (seen[p] == with_hazard) else np.uint8(0)
        out = mine[8]
        for p in range(size):
            out[p] = on if seen[p] >= HAZARD else np.uint8(0)
        mine[9, :] = health_value[hp]
