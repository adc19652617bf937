"""The compiled observation encoder: each game drawn once as a small grid, each snake's window copied
out of it with its own cell codes, straight into the env's preallocated buffers.

Why this shape (PufferLib Ocean's): an observation is mostly a copy of a window, so the encoder
is one native loop that, per game, draws the board once (snake cells marked by seat, food, hazard)
and, per snake, copies its window out of that drawing, turning the marked cells into what they
are to it ("me / at least as long as me / shorter") sixteen cells at a time as it goes.  The cell
code is the one ``obs_format="codes"`` hands out; the planes formats are its one-hot, written
channel by channel from the same window.  The vector env's fused step (``arena.env.fused``) calls
``encode_game`` per game and reads the game's action masks off the same drawing (``drawn_masks``).

Cell codes (``CODE_NAMES``): a category 0..8, plus ``HAZARD`` (9) on hazard cells.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from arena.geometry import DX, DY
from arena.jit import DISABLED, inline_kernel, kernel, lean_kernel
from arena.safety import move_directions, out_of_health
from arena.stages import NEXT, classic_move

#: The category of a cell as seen by one snake; planes channel ``c`` (0..7) is category ``c + 1``.
EMPTY, OWN_HEAD, OWN_BODY, LONG_HEAD, LONG_BODY, SHORT_HEAD, SHORT_BODY, FOOD, WALL = range(9)
HAZARD = 9  #: added to the category of a hazard cell (stacked hazard entries count once)
NUM_CODES = 2 * HAZARD  #: codes are 0..17 (a wall is never a hazard: 17 never occurs)
CODE_NAMES = ("empty", "own_head", "own_body", "long_enemy_head", "long_enemy_body", "short_enemy_head",
              "short_enemy_body", "food", "wall")
#: What ``obs_format="codes"`` gives per snake beside its window, in this order (float32).
SCALARS = ("health", "length", "turn")

#: How ``_draw`` marks live snakes' cells: ``SNAKE + 2 * seat``, + 1 off the head, + ``HAZARD_BIT`` on a hazard,
#: + ``VACATES`` on a tail that moves away this step (the masks read it; the codes ignore it).  Each observer
#: turns the marks into its codes (``_relate_chunk``) with the head code each seat has to it (``_heads``).
SNAKE, HAZARD_BIT, VACATES = 32, 64, 128

#: ``encode``'s outputs: the code windows, or the planes (one-hot channels then health).
CODES, PLANES = 0, 1
CHUNK, WORD = 16, 8  #: bytes the moves below move at once: buffers written a chunk at a time keep CHUNK bytes of slack


def _mover(size: int):
    """``dst[at:at + size] = src[start:start + size]`` for a constant ``size`` as one unaligned move (LLVM's
    memcpy of a constant size), what C's ``memcpy`` of a short row compiles to; numba's own loops over
    11-byte rows are ten times slower."""
    @intrinsic
    def move(typingctx, dst, at, src, start):
        def codegen(context, builder, signature, args):
            out = context.make_array(signature.args[0])(context, builder, args[0])
            source = context.make_array(signature.args[2])(context, builder, args[2])
            cgutils.raw_memcpy(builder, builder.gep(out.data, [args[1]]), builder.gep(source.data, [args[3]]),
                               context.get_constant(types.intp, size), 1)
            return context.get_dummy_value()
        return types.void(dst, types.intp, src, types.intp), codegen
    return move


def _copy_chunk_python(dst: np.ndarray, at: int, src: np.ndarray, start: int) -> None:
    """The same, as plain Python (``NUMBA_DISABLE_JIT=1``)."""
    dst[at:at + CHUNK] = src[start:start + CHUNK]


def _copy_word_python(dst: np.ndarray, at: int, src: np.ndarray, start: int) -> None:
    dst[at:at + WORD] = src[start:start + WORD]


copy_chunk = _copy_chunk_python if DISABLED else _mover(CHUNK)
copy_word = _copy_word_python if DISABLED else _mover(WORD)

_BYTES = ir.VectorType(ir.IntType(8), CHUNK)


def _same(value: int) -> ir.Constant:
    return ir.Constant(_BYTES, [value] * CHUNK)


@intrinsic
def _relate_chunk_compiled(typingctx, dst, at, src, start, heads_low, heads_high):
    """``_relate_chunk`` as sixteen-lane vector code.  The table of heads stays in registers (written to
    memory a byte at a time, then read as one vector, it would stall each time), and the per-lane
    ``heads[seat]`` is sixteen extract/insert pairs, which LLVM turns into one byte shuffle where the
    CPU has one (x86's pshufb)."""
    def codegen(context, builder, signature, args):
        def bytes_at(array_type, array, at):
            data = context.make_array(array_type)(context, builder, array).data
            return builder.bitcast(builder.gep(data, [at]), _BYTES.as_pointer())

        zero, lane, words = _same(0), ir.IntType(32), ir.VectorType(ir.IntType(64), 2)
        table = builder.insert_element(ir.Constant(words, ir.Undefined), args[4], ir.Constant(lane, 0))
        table = builder.bitcast(builder.insert_element(table, args[5], ir.Constant(lane, 1)), _BYTES)
        drawn = builder.load(bytes_at(signature.args[2], args[2], args[3]), align=1)
        seat = builder.and_(builder.lshr(drawn, _same(1)), _same(15))
        head = ir.Constant(_BYTES, ir.Undefined)
        for i in range(CHUNK):
            picked = builder.extract_element(table, builder.extract_element(seat, ir.Constant(lane, i)))
            head = builder.insert_element(head, picked, ir.Constant(lane, i))
        hazard = builder.icmp_unsigned("!=", builder.and_(drawn, _same(HAZARD_BIT)), zero)
        code = builder.add(builder.add(head, builder.and_(drawn, _same(1))),
                           builder.select(hazard, _same(HAZARD), zero))
        snake = builder.icmp_unsigned("!=", builder.and_(drawn, _same(SNAKE)), zero)
        builder.store(builder.select(snake, code, drawn), bytes_at(signature.args[0], args[0], args[1]), align=1)
        return context.get_dummy_value()
    return types.void(dst, types.intp, src, types.intp, types.int64, types.int64), codegen


def _relate_chunk_python(dst: np.ndarray, at: int, src: np.ndarray, start: int, heads_low: int,
                         heads_high: int) -> None:
    """The same, as plain Python (``NUMBA_DISABLE_JIT=1``): the spill past ``dst``'s end is dropped."""
    heads = np.array([heads_low, heads_high], np.int64).view(np.uint8)  # native byte order, as the vector's
    drawn = src[start:start + CHUNK].astype(np.int64)
    code = heads[(drawn >> 1) & 15] + (drawn & 1) + HAZARD * ((drawn & HAZARD_BIT) > 0)
    related = np.where(drawn & SNAKE, code, drawn)
    count = min(CHUNK, dst.shape[0] - at)
    dst[at:at + count] = related[:count]


#: ``dst[at:at + 16]`` = the drawn ``src[start:start + 16]`` as an observer sees it: a snake mark becomes
#: the head code of its seat to that observer (byte ``seat`` of ``heads_low`` then ``heads_high``, from
#: ``_heads``) + 1 off the head + ``HAZARD`` on a hazard (the code's category order makes that arithmetic);
#: every other cell is its code already.
_relate_chunk = _relate_chunk_python if DISABLED else _relate_chunk_compiled


@inline_kernel
def move_bytes(dst, at, src, start, size):
    """``dst[at:at + size] = src[start:start + size]`` in 16- or 8-byte moves, the last one ending at ``size``:
    nothing past it is written (short moves that overlap beat a spill that must be undone)."""
    if size >= CHUNK:
        for j in range(0, size - CHUNK, CHUNK):
            copy_chunk(dst, at + j, src, start + j)
        copy_chunk(dst, at + size - CHUNK, src, start + size - CHUNK)
    elif size >= WORD:
        copy_word(dst, at, src, start)
        copy_word(dst, at + size - WORD, src, start + size - WORD)
    else:
        for p in range(size):
            dst[at + p] = src[start + p]


def big_index(x_of: np.ndarray, y_of: np.ndarray, height: int, width: int, radius: int) -> np.ndarray:
    """Where each engine cell sits in the padded board ``big`` of ``encode``: the board top row first,
    padded by ``radius`` + 1 (the engine grid's border and the rest), row ``height + radius - y``,
    column ``x + radius + 1``."""
    big_w = width + 2 * radius + 2
    return (height + radius - y_of.astype(np.int64)) * big_w + x_of + radius + 1


def scratch(cells: int, height: int, width: int, radius: int, window: tuple[int, int]) -> tuple[np.ndarray, ...]:
    """``encode``'s working arrays, made once per observer (it reuses them every call; one observer
    must not encode from two threads at once): the padded board (walls around it, which ``encode``
    keeps), the engine grid's marks and a window as seen, each with ``CHUNK`` bytes of slack for the
    16-byte moves."""
    big = np.full((height + 2 * radius + 2) * (width + 2 * radius + 2) + CHUNK, WALL, np.uint8)
    return big, np.empty(cells + CHUNK, np.uint8), np.empty(window[0] * window[1] + CHUNK, np.uint8)


@inline_kernel
def _draw(b, alive, head, head_ptr, length, ring, occ, owner, food, hazard, base, width, height, radius, wrapped,
          cells, big):
    """Game ``b`` on ``big`` (cell ``c`` at ``big_index``; the board padded by walls, or tiled when it
    wraps): the codes of food, hazard and empty cells, and every live snake's segments marked as
    ``SNAKE`` says, which each observer turns into its codes (``_relate_chunk``).  ``cells``: scratch,
    one mark per engine cell (``base``: walls on the border).

    The segments come from the engine's ``occ`` and ``owner`` (live snakes never share a cell between
    steps), so the marks are one branch-free loop over the engine's cells, then the heads and tails;
    the rows are moved into ``big`` in 8- or 16-byte moves: short per-cell loops with index arithmetic
    cost several times more, and so does walking each body (a mispredicted loop end per snake)."""
    seats = alive.shape[1]
    ring_mask = ring.shape[1] - 1
    food_b, hazard_b, occ_b, owner_b = food[b], hazard[b], occ[b], owner[b]
    for c in range(base.shape[0]):
        on_hazard = np.int32(hazard_b[c] > 0)
        plain = np.int32(base[c]) + np.int32(FOOD) * np.int32(food_b[c]) + np.int32(HAZARD) * on_hazard
        body = np.int32(SNAKE + 1) + np.int32(2) * np.int32(owner_b[c]) + np.int32(HAZARD_BIT) * on_hazard
        cells[c] = body if occ_b[c] > 0 else plain
    for s in range(seats):
        if alive[b, s]:  # a tail stacked under the head shows the head
            cells[head[b, s]] = SNAKE + 2 * s + HAZARD_BIT * (hazard_b[head[b, s]] > 0)
    for s in range(seats):
        if alive[b, s]:  # a tail that is one segment alone moves away (``arena.safety.stays_taken``)
            tail = ring[b * seats + s, (head_ptr[b, s] - length[b, s] + 1) & ring_mask]
            cells[tail] |= VACATES * (occ_b[tail] == 1)
    padded_width, big_w = width + 2, width + 2 * radius + 2
    for y in range(height):
        move_bytes(big, (height + radius - y) * big_w + radius, cells, (y + 1) * padded_width, padded_width)
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
def _heads(b, s, alive, length):
    """The head code each seat has to seat ``s`` (its own, an enemy's at least as long, a shorter one's), a
    byte per seat: seats 0..7 in the first int64, 8..15 in the second (branch-free: which it is varies
    from snake to snake, so branches would be mispredicted)."""
    low, high = 0, 0
    for j in range(alive.shape[1]):
        code = OWN_HEAD + 2 * int(j != s) * (2 - int(length[b, j] >= length[b, s]))
        if j < 8:
            low |= code << (8 * j)
        else:
            high |= code << (8 * (j - 8))
    return low, high


@inline_kernel
def _relate_window(seen, big, corner, big_w, win_h, win_w, heads_low, heads_high):
    """``seen`` = the window of ``big`` whose top left is ``big[corner]``, row after row, as the observer
    whose ``_heads`` these are sees it, in 16-cell chunks: a row's spill lands on the next row written,
    the last row's up to 15 bytes past the window (``seen`` must have them)."""
    for i in range(win_h):
        for j in range(0, win_w, CHUNK):
            _relate_chunk(seen, i * win_w + j, big, corner + i * big_w + j, heads_low, heads_high)


@lean_kernel
def encode(games, alive, length, head, head_ptr, ring, occ, owner, health, turn, food, hazard, x_of, y_of, base,
           width, height, radius, egocentric, wrapped, blank_dead, kind, health_value, scratch,
           codes_out, scalars_out, planes_out):
    """Observations of every seat of ``games``, game-major (agent ``k * N + s``).

    ``kind`` CODES: ``codes_out`` (A, h, w) uint8 windows and ``scalars_out`` (A, 3) float32.
    ``kind`` PLANES: ``planes_out`` (A, 10, h, w) uint8: channels 0..7 set where the code's
    category is channel + 1, channel 8 set on hazards, channel 9 ``health_value[health]``; "set"
    is 1 for the planes (``health_value[100] == 100``), 255 for the image.  Outputs must be
    C-contiguous.  Egocentric windows are centred on the head (row 0 at ``y + radius``), wrapping
    on wrapped boards, walls outside; otherwise (``radius`` 0) the window is the board.
    ``blank_dead``: dead snakes get all zeros.  ``scratch``: from ``scratch``.
    """
    seats = alive.shape[1]
    # Outputs as one row per agent (and channel): loops over a 1-D view's whole length vectorise,
    # loops over offsets into a flat array do not (ten times slower for the planes).
    codes, planes = rows(codes_out, planes_out)
    for k in range(games.shape[0]):
        encode_game(games[k], k * seats, alive, length, head, head_ptr, ring, occ, owner, health, turn, food, hazard,
                    x_of, y_of, base, width, height, radius, egocentric, wrapped, blank_dead, kind, health_value,
                    scratch, codes, scalars_out, planes)


@inline_kernel
def rows(codes_out, planes_out):
    """``encode_game``'s views of the outputs: (A, h * w) codes and (A, 10, h * w) planes."""
    size = codes_out.shape[1] * codes_out.shape[2]
    plane = planes_out.shape[2] * planes_out.shape[3]
    return (codes_out.reshape(codes_out.shape[0], size),
            planes_out.reshape(planes_out.shape[0], planes_out.shape[1], plane))


@inline_kernel
def encode_game(b, first, alive, length, head, head_ptr, ring, occ, owner, health, turn, food, hazard, x_of, y_of,
                base, width, height, radius, egocentric, wrapped, blank_dead, kind, health_value, scratch, codes,
                scalars_out, planes):
    """``encode`` for one game ``b``: its seats are agents ``first``, ``first + 1``, ... of the outputs,
    viewed as ``rows`` gives them (the vector env's fused step calls this per game too, then
    ``drawn_masks`` on the drawing it leaves in ``scratch``)."""
    seats = alive.shape[1]
    win_h = 2 * radius + 1 if egocentric else height
    win_w = 2 * radius + 1 if egocentric else width
    size = win_h * win_w
    on = np.uint8(1) if health_value[100] == 100 else np.uint8(255)
    big_w = width + 2 * radius + 2
    big, cells, seen_by = scratch
    _draw(b, alive, head, head_ptr, length, ring, occ, owner, food, hazard, base, width, height, radius, wrapped,
          cells, big)
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
        low, high = _heads(b, s, alive, length)
        # straight into its output row, when the rows after it (written later) can take the spill
        if kind == CODES and (codes.shape[0] - a - 1) * size >= CHUNK:
            _relate_window(codes[a], big, top * big_w + left, big_w, win_h, win_w, low, high)
        else:
            _relate_window(seen_by, big, top * big_w + left, big_w, win_h, win_w, low, high)
            if kind == CODES:
                move_bytes(codes[a], 0, seen_by, 0, size)
        hp = min(max(health[b, s], 0), 100)
        if kind == CODES:
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


@inline_kernel
def drawn_masks(b, out, alive, length, head, head_ptr, health, ring, food, hazard, board, keeps_heading, starves,
                hazard_damage, big, big_of, big_w):
    """``arena.safety.game_moves``' action masks (``MASK_DEAD_ANY``) for game ``b``, read off its drawing
    ``big`` (``encode_game`` just made it) instead of the engine's grids: the same rules, cheaper to
    read, as the four cells around a head sit next to it there.  Off the board is a wall (or, wrapped,
    the tiled cell); a snake mark without ``VACATES`` is a segment that stays (``stays_taken``); health
    as ``out_of_health`` says, the hazard entries and food read from the engine only on a cell that
    shows a hazard or a snake.  ``big_of``: ``big_index`` of the engine's cells."""
    for s in range(alive.shape[1]):
        if not alive[b, s]:  # a dead snake may do anything
            for m in range(4):
                out[s, m] = 1
            continue
        h = head[b, s]
        heading, has_neck = move_directions(b, s, length, head_ptr, head, ring, board, keeps_heading)
        at, safe_moves = big_of[h], 0
        for m in range(4):
            d = classic_move(m, heading, has_neck) if keeps_heading else m
            seen = big[at + DX[d] - DY[d] * big_w]  # y up is a row up
            deadly = (seen == WALL) | ((seen & (SNAKE | VACATES)) == SNAKE)
            # one branch on a rarely-true test (a tail, a hazard, a starving snake): ``not deadly`` alone is a coin toss
            if starves & ~deadly & ((seen >= HAZARD) | (health[b, s] <= 1)):
                if seen < HAZARD:  # no hazard and no snake there: food or not is all that counts
                    deadly = out_of_health(health[b, s], seen == FOOD, 0, hazard_damage)
                else:
                    cell = board[h, NEXT + d]
                    deadly = out_of_health(health[b, s], food[b, cell], hazard[b, cell], hazard_damage)
            out[s, m] = not deadly
            safe_moves += not deadly
        if safe_moves == 0:  # every move kills: let the policy pick
            for m in range(4):
                out[s, m] = 1
