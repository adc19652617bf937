"""Replay frames (docs/replay-format.md) for many games of a batch at once.

Why: a tournament's lockstep batch and the live server need a frame per game every turn; reading the
arrays game by game (or even with batched numpy calls, ~25 of them) cost more than the step itself.
One compiled call gathers every column the frames need -- each snake's fields, ordered bodies as
``[x, y]`` points, food and hazards -- into a few flat arrays, turned into lists at once; only the dicts
are then built in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from arena import jsonio
from arena.geometry import MOVES
from arena.jit import kernel
from arena.state import CAUSES, GameBatch

# columns of ``gather``'s per-snake table
PRESENT, ALIVE, LENGTH, HEALTH, CAUSE, DEATH_TURN, KILLER, MOVE = range(8)


@kernel
def gather(games: np.ndarray, present: np.ndarray, alive: np.ndarray, length: np.ndarray, health: np.ndarray,
           death_cause: np.ndarray, death_turn: np.ndarray, death_by: np.ndarray, last_move: np.ndarray,
           turn: np.ndarray, head_ptr: np.ndarray, ring: np.ndarray, ring_mask: int, food: np.ndarray,
           hazard: np.ndarray, xy: np.ndarray) -> tuple:
    """``(snakes, points, food_points, food_at, hazard_points, hazard_at)`` for ``games``: ``snakes`` one
    row per (game, seat) with the columns above (``MOVE`` -1 for a snake eliminated on an earlier turn:
    no move reached this frame), ``points`` every present snake's body head first, one after another,
    and the food / hazard points of game ``i`` at ``[at[i], at[i + 1])`` (a hazard once per stacked entry)."""
    count, seats, cells = games.shape[0], present.shape[1], food.shape[1]
    segments = 0
    for i in range(count):
        for s in range(seats):
            if present[games[i], s]:
                segments += length[games[i], s]
    snakes = np.empty((count * seats, 8), np.int64)
    points = np.empty((segments, 2), np.int64)
    k = 0
    for i in range(count):
        g = games[i]
        for s in range(seats):
            r = i * seats + s
            here = present[g, s]
            n = length[g, s] if here else 0
            snakes[r, PRESENT] = here
            snakes[r, ALIVE] = alive[g, s]
            snakes[r, LENGTH] = n
            snakes[r, HEALTH] = health[g, s]
            snakes[r, CAUSE] = death_cause[g, s]
            snakes[r, DEATH_TURN] = death_turn[g, s]
            snakes[r, KILLER] = death_by[g, s]
            snakes[r, MOVE] = last_move[g, s] if alive[g, s] or death_turn[g, s] == turn[g] else -1
            row, ptr = g * seats + s, head_ptr[g, s]
            for j in range(n):
                c = ring[row, (ptr - j) & ring_mask]
                points[k, 0] = xy[c, 0]
                points[k, 1] = xy[c, 1]
                k += 1
    foods = 0
    hazards = 0
    for i in range(count):
        for c in range(cells):
            foods += food[games[i], c]
        for c in range(hazard.shape[1]):  # a map may keep hazards above the board too (snail_mode)
            hazards += hazard[games[i], c]
    food_points = np.empty((foods, 2), np.int64)
    hazard_points = np.empty((hazards, 2), np.int64)
    food_at = np.empty(count + 1, np.int64)
    hazard_at = np.empty(count + 1, np.int64)
    f = h = 0
    for i in range(count):
        food_at[i], hazard_at[i] = f, h
        for c in range(cells):
            if food[games[i], c]:
                food_points[f, 0], food_points[f, 1] = xy[c, 0], xy[c, 1]
                f += 1
        for c in range(hazard.shape[1]):
            for _ in range(hazard[games[i], c]):
                hazard_points[h, 0], hazard_points[h, 1] = xy[c, 0], xy[c, 1]
                h += 1
    food_at[count], hazard_at[count] = f, h
    return snakes, points, food_points, food_at, hazard_points, hazard_at


def build_frames(batch: GameBatch, games: np.ndarray, ids: Sequence[str], xy: np.ndarray) -> list[dict]:
    """The frames of ``games`` (int64 indices); ``xy`` maps a padded cell to its ``[x, y]``."""
    columns = gather(games, batch.present, batch.alive, batch.length, batch.health, batch.death_cause,
                     batch.death_turn, batch.death_by, batch.last_move, batch.turn, batch.head_ptr, batch.ring,
                     batch.ring_mask, batch.food, batch.hazard, xy)
    snakes, points, food, food_at, hazards, hazard_at = (a.tolist() for a in columns)
    seats = batch.seats
    killers = (*ids, None)  # no killer (-1) reads the last entry
    move_names = (*MOVES, None)  # no move (-1) likewise
    out = []
    k = 0
    for i, turn in enumerate(batch.turn[games].tolist()):
        frame_snakes = []
        for snake_id, (here, lives, n, hp, why, when, killer, move) in zip(ids, snakes[i * seats:(i + 1) * seats]):
            if not here:
                continue
            frame_snakes.append({
                "id": snake_id,
                "body": points[k:k + n],
                "health": hp,
                "alive": lives == 1,
                "death": {"cause": CAUSES[why], "turn": when, "by": killers[killer]} if why else None,
                "move": move_names[move],
            })
            k += n
        out.append({
            "type": "frame",
            "turn": turn,
            "food": food[food_at[i]:food_at[i + 1]],
            "hazards": hazards[hazard_at[i]:hazard_at[i + 1]],
            "snakes": frame_snakes,
        })
    return out


# ``frame_lines``' fixed pieces of text, in order; then the move names, the causes and the snake ids
_PIECES = (b'{"type":"frame","turn":', b',"food":[', b'],"hazards":[', b'],"snakes":[', b']}\n', b'{"id":',
           b',"body":[', b'],"health":', b',"alive":true', b',"alive":false', b',"death":null',
           b',"death":{"cause":', b',"turn":', b',"by":', b'null', b'}', b',"move":', b',"latency_ms":',
           b',"error":null}')
(_OPEN, _FOOD, _HAZARDS, _SNAKES, _CLOSE, _ID, _BODY, _HEALTH, _ALIVE, _DEAD, _NO_DEATH, _DEATH, _TURN, _BY, _NULL,
 _END, _MOVE_KEY, _LATENCY, _NO_ERROR) = range(len(_PIECES))  # never the column names above: kernels read both
_MOVE_TEXT = len(_PIECES)
_CAUSE_TEXT = _MOVE_TEXT + len(MOVES)
_ID_TEXT = _CAUSE_TEXT + len(CAUSES)


@kernel
def _text(out: np.ndarray, n: int, text: np.ndarray, at: np.ndarray, piece: int) -> int:
    for i in range(at[piece], at[piece + 1]):
        out[n] = text[i]
        n += 1
    return n


@kernel
def _int(out: np.ndarray, n: int, value: int) -> int:
    if value < 0:
        out[n] = 45  # -
        n += 1
        value = -value
    digits = 1
    while value >= 10 ** digits:
        digits += 1
    for d in range(digits - 1, -1, -1):
        out[n + d] = 48 + value % 10
        value //= 10
    return n + digits


@kernel
def _points(out: np.ndarray, n: int, points: np.ndarray, start: int, end: int) -> int:
    for k in range(start, end):
        if k > start:
            out[n] = 44  # ,
            n += 1
        out[n] = 91  # [
        n = _int(out, n + 1, points[k, 0])
        out[n] = 44
        n = _int(out, n + 1, points[k, 1])
        out[n] = 93  # ]
        n += 1
    return n


@kernel
def _hundredths(out: np.ndarray, n: int, value: int) -> int:
    """``value / 100`` as Python's ``repr`` (and orjson) writes the float ``round(x, 2)``: ``12.05``, ``3.0``."""
    n = _int(out, n, value // 100)
    out[n] = 46  # .
    n += 1
    cents = value % 100
    out[n] = 48 + cents // 10
    n += 1
    if cents % 10:
        out[n] = 48 + cents % 10
        n += 1
    return n


@kernel
def write_lines(snakes: np.ndarray, points: np.ndarray, food: np.ndarray, food_at: np.ndarray, hazards: np.ndarray,
                hazard_at: np.ndarray, turns: np.ndarray, latency: np.ndarray, text: np.ndarray,
                at: np.ndarray) -> tuple:
    """``(data, ends)``: game ``i``'s frame line is ``data[ends[i]:ends[i + 1]]``, from ``gather``'s
    columns and ``latency`` per (game, seat) in hundredths of a ms (-1: null), each line exactly what
    ``jsonio.dumps_line`` writes for the frame ``build_frames`` makes, annotated (no error)."""
    count = turns.shape[0]
    seats = snakes.shape[0] // max(count, 1)
    longest = 0
    for p in range(at.shape[0] - 1):
        longest = max(longest, at[p + 1] - at[p])
    size = 64 + count * (64 + seats * (12 * longest + 128)) + 48 * (points.shape[0] + food.shape[0] + hazards.shape[0])
    out = np.empty(size, np.uint8)
    ends = np.empty(count + 1, np.int64)
    n, k = 0, 0
    for i in range(count):
        ends[i] = n
        n = _text(out, n, text, at, _OPEN)
        n = _int(out, n, turns[i])
        n = _text(out, n, text, at, _FOOD)
        n = _points(out, n, food, food_at[i], food_at[i + 1])
        n = _text(out, n, text, at, _HAZARDS)
        n = _points(out, n, hazards, hazard_at[i], hazard_at[i + 1])
        n = _text(out, n, text, at, _SNAKES)
        first = True
        for s in range(seats):
            row = snakes[i * seats + s]
            if not row[PRESENT]:
                continue
            if not first:
                out[n] = 44
                n += 1
            first = False
            n = _text(out, n, text, at, _ID)
            n = _text(out, n, text, at, _ID_TEXT + s)
            n = _text(out, n, text, at, _BODY)
            n = _points(out, n, points, k, k + row[LENGTH])
            k += row[LENGTH]
            n = _text(out, n, text, at, _HEALTH)
            n = _int(out, n, row[HEALTH])
            n = _text(out, n, text, at, _ALIVE if row[ALIVE] == 1 else _DEAD)
            if row[CAUSE]:
                n = _text(out, n, text, at, _DEATH)
                n = _text(out, n, text, at, _CAUSE_TEXT + row[CAUSE])
                n = _text(out, n, text, at, _TURN)
                n = _int(out, n, row[DEATH_TURN])
                n = _text(out, n, text, at, _BY)
                n = _text(out, n, text, at, _NULL if row[KILLER] < 0 else _ID_TEXT + row[KILLER])
                n = _text(out, n, text, at, _END)
            else:
                n = _text(out, n, text, at, _NO_DEATH)
            n = _text(out, n, text, at, _MOVE_KEY)
            n = _text(out, n, text, at, _NULL if row[MOVE] < 0 else _MOVE_TEXT + row[MOVE])
            n = _text(out, n, text, at, _LATENCY)
            lat = latency[i * seats + s]
            n = _text(out, n, text, at, _NULL) if lat < 0 else _hundredths(out, n, lat)
            n = _text(out, n, text, at, _NO_ERROR)
        n = _text(out, n, text, at, _CLOSE)
    ends[count] = n
    return out[:n], ends


@lru_cache(maxsize=16)
def line_text(ids: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``write_lines``' text table for snakes named ``ids``: every piece as JSON, and where each starts."""
    pieces = [*_PIECES, *(jsonio.dumps(m) for m in MOVES), *(jsonio.dumps(c) for c in CAUSES),
              *(jsonio.dumps(i) for i in ids)]
    at = np.cumsum([0, *map(len, pieces)]).astype(np.int64)
    return np.frombuffer(b"".join(pieces), np.uint8).copy(), at


def frame_lines(batch: GameBatch, games: np.ndarray, ids: Sequence[str], xy: np.ndarray,
                latency: np.ndarray) -> list[bytes]:
    """The replay lines of ``games``' frames (int64 indices) with ``latency`` per (game, seat) in hundredths
    of a ms (-1: not asked), straight from the arrays: what a tournament's lockstep writes every turn
    (``Match.stepped_line``), with no frame dict built."""
    columns = gather(games, batch.present, batch.alive, batch.length, batch.health, batch.death_cause,
                     batch.death_turn, batch.death_by, batch.last_move, batch.turn, batch.head_ptr, batch.ring,
                     batch.ring_mask, batch.food, batch.hazard, xy)
    text, at = line_text(tuple(ids))
    data, ends = write_lines(*columns, batch.turn[games].astype(np.int64), latency, text, at)
    raw = data.tobytes()
    bounds = ends.tolist()
    return [raw[a:b] for a, b in zip(bounds, bounds[1:])]
