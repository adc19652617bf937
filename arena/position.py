"""One snake's view of a Battlesnake request, read in one compiled call: the facts a bot asks first.

Why: a built-in bot answers a request (a dict, from a match or over HTTP) in microseconds only if it
does not rebuild the board in Python objects.  ``read_view`` turns the request's points into flat
cell ids and ``read_position`` lays the position out as a one-game batch (``arena.state``'s layout:
ring-buffered bodies, per-cell counts and owners), so the engine's own move-safety kernel
(``arena.safety``) answers which moves kill at once, and the searches of ``arena.flood`` walk the
same board.  A ``View`` is what a bot then asks (the built-in bots in ``snek_bots``).  A match that
holds the game's batch builds the same ``View`` with ``batch_view``, skipping the request entirely
(``arena.players.base.PythonPlayer``: a policy with ``answer_view``).

Cells are padded ids (``arena.geometry``: ``(y + 1) * (width + 2) + x + 1``).  ``cells`` flags, per
padded cell: BLOCKED (off the board, or a segment still there after every tail moves: ``body[:-1]``),
FOOD, THREAT (an opponent at least as long as me could move its head there), PREY (a shorter
opponent could), and the stacked hazard entries from bit HAZARD_SHIFT up.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from arena.flood import distance_map, nearest, room
from arena.geometry import Geometry
from arena.jit import kernel
from arena.safety import DEADLY, moves_kernel, stays_taken
from arena.stages import INSIDE, NEXT, board_table
from arena.state import GameBatch

BLOCKED, FOOD, THREAT, PREY = 1, 2, 4, 8
HAZARD_SHIFT = 8


@kernel
def _cell(board: np.ndarray, cell: int) -> int:
    """A point's cell id, any id beyond the padded grid read as the corner (off the board, like it)."""
    return cell if 0 <= cell < board.shape[0] else 0


@kernel
def _fill_facts(board: np.ndarray, alive: np.ndarray, length: np.ndarray, head_ptr: np.ndarray, head: np.ndarray,
                health: np.ndarray, ring: np.ndarray, occ: np.ndarray, owner: np.ndarray, food: np.ndarray,
                hazard: np.ndarray, game: int, me: int, hazard_damage: int, cells: np.ndarray,
                deadly: np.ndarray) -> None:
    """``facts`` written into ``cells`` (one flag per padded cell) and ``deadly`` (4 flags)."""
    size = board.shape[0]
    seats = alive.shape[1]
    for cell in range(size):
        flags = FOOD if food[game, cell] else 0
        if not board[cell, INSIDE] or stays_taken(occ, owner, alive, ring, head_ptr, length, game, cell):
            flags |= BLOCKED
        if board[cell, INSIDE]:
            flags += np.int64(hazard[game, cell]) << HAZARD_SHIFT
        cells[cell] = flags
    mine = length[game, me]
    for s in range(seats):
        if s == me or not alive[game, s]:
            continue
        flag = THREAT if length[game, s] >= mine else PREY
        for m in range(4):
            cell = board[head[game, s], NEXT + m]
            if board[cell, INSIDE]:
                cells[cell] |= flag
    every = np.empty((1, seats, 4), np.bool_)
    games = np.full(1, game, np.int64)
    moves_kernel(games, alive, length, head_ptr, head, health, ring, occ, owner, food, hazard, board,
                 False, True, hazard_damage, DEADLY, every)
    deadly[:] = every[0, me]


@kernel
def facts(board: np.ndarray, alive: np.ndarray, length: np.ndarray, head_ptr: np.ndarray, head: np.ndarray,
          health: np.ndarray, ring: np.ndarray, occ: np.ndarray, owner: np.ndarray, food: np.ndarray,
          hazard: np.ndarray, game: int, me: int, hazard_damage: int) -> tuple:
    """``(cells, deadly)`` of seat ``me`` in game ``game`` of a batch given as its arrays: the flags
    above and its four moves' deadly flags (``arena.safety``, asked for walls, bodies still there after
    the tails move, and starvation with ``hazard_damage`` per hazard entry: what every ruleset's
    request tells a bot; a reversal is a move into the neck, as a request cannot say otherwise)."""
    cells = np.zeros(board.shape[0], np.int64)
    deadly = np.empty(4, np.bool_)
    _fill_facts(board, alive, length, head_ptr, head, health, ring, occ, owner, food, hazard, game, me,
                hazard_damage, cells, deadly)
    return cells, deadly


@kernel
def facts_many(board: np.ndarray, alive: np.ndarray, length: np.ndarray, head_ptr: np.ndarray, head: np.ndarray,
               health: np.ndarray, ring: np.ndarray, occ: np.ndarray, owner: np.ndarray, food: np.ndarray,
               hazard: np.ndarray, games: np.ndarray, seats: np.ndarray, hazard_damage: int) -> tuple:
    """``facts`` of seat ``seats[k]`` in game ``games[k]`` for every ``k``, in one call: ``(cells, deadly)``
    as (K, cells) and (K, 4) arrays."""
    count = games.shape[0]
    cells = np.zeros((count, board.shape[0]), np.int64)
    deadly = np.empty((count, 4), np.bool_)
    for k in range(count):
        _fill_facts(board, alive, length, head_ptr, head, health, ring, occ, owner, food, hazard, games[k],
                    seats[k], hazard_damage, cells[k], deadly[k])
    return cells, deadly


@kernel
def read_position(board: np.ndarray, points: np.ndarray, seats: int, foods: int, me: int, hazard_damage: int) -> tuple:
    """``facts`` of snake ``me`` in a request given as its points: laid out as a one-game batch first.

    ``points`` is the request in one array (one array is cheaper to pass than five): ``seats``
    lengths, ``seats`` healths, every snake's cells head first one snake after another, ``foods``
    food cells, then the hazard cells."""
    size = board.shape[0]
    lengths, health = points[:seats], points[seats:2 * seats]
    bodies = points[2 * seats:]
    total, longest = 0, 1
    for s in range(seats):
        total += lengths[s]
        longest = max(longest, lengths[s])
    food, hazards = bodies[total:total + foods], bodies[total + foods:]
    ring_len = 1
    while ring_len < longest:
        ring_len *= 2
    alive = np.zeros((1, seats), np.bool_)
    length = np.zeros((1, seats), np.int32)
    head_ptr = np.zeros((1, seats), np.int32)
    head = np.zeros((1, seats), np.int32)
    hp = np.zeros((1, seats), np.int32)
    ring = np.zeros((seats, ring_len), np.int16)
    occ = np.zeros((1, size), np.int16)
    owner = np.zeros((1, size), np.int8)
    food_at = np.zeros((1, size), np.bool_)
    hazard = np.zeros((1, size), np.int16)
    first = 0
    for s in range(seats):
        n = lengths[s]
        alive[0, s] = n > 0
        length[0, s] = n
        head_ptr[0, s] = n - 1
        hp[0, s] = health[s]
        for k in range(n):  # the head in the highest slot, the tail in slot 0
            cell = _cell(board, bodies[first + k])
            ring[s, n - 1 - k] = cell
            occ[0, cell] += 1
            owner[0, cell] = s
        head[0, s] = ring[s, max(n - 1, 0)]
        first += n
    for c in food:
        food_at[0, _cell(board, c)] = True
    for c in hazards:
        hazard[0, _cell(board, c)] += 1
    return facts(board, alive, length, head_ptr, head, hp, ring, occ, owner, food_at, hazard, 0, me, hazard_damage)


@lru_cache(maxsize=64)
def _board(width: int, height: int, wrapped: bool) -> tuple[np.ndarray, tuple[tuple[int, ...], ...]]:
    """The engine's board table and, as Python tuples (cheap to index), each cell's four next cells."""
    table = board_table(Geometry(width, height, wrapped))
    return table, tuple(map(tuple, table[:, NEXT:NEXT + 4].tolist()))


@dataclass(slots=True)
class View:
    """One snake's view of a turn: ``cells`` flags, my four moves, every snake on the board (by index)."""

    table: np.ndarray  # the engine's ``board_table``
    next: tuple[tuple[int, ...], ...]  # next[cell][move]: the cell a move leads to (wrap-aware)
    cells: np.ndarray  # the flags above, per padded cell
    deadly: list[bool]  # per move: kills me at once (wall, body, starvation)
    me: int  # my index in heads / lengths
    heads: list[int]
    lengths: list[int]
    health: int
    hazard_damage: int
    key: str  # "game:turn:snake id": what a bot seeds its random choices with (the same from a request or a batch)

    @property
    def length(self) -> int:
        return self.lengths[self.me]

    def target(self, move: int) -> int:
        return self.next[self.heads[self.me]][move]

    def safe_moves(self) -> list[int]:
        """Moves (0-3, ``arena.geometry.MOVES``) that do not end my game this turn."""
        return [m for m in range(4) if not self.deadly[m]]

    def flags(self, cell: int) -> int:
        return int(self.cells[cell])

    def hazard_cost(self, cell: int) -> int:
        """The health stepping onto ``cell`` costs beyond starvation (none on food)."""
        flags = int(self.cells[cell])
        return 0 if flags & FOOD else (flags >> HAZARD_SHIFT) * self.hazard_damage

    def opponents(self) -> list[int]:
        return [s for s in range(len(self.heads)) if s != self.me]

    def rivals(self) -> np.ndarray:
        """Steps from the nearest head of an opponent at least as long as me to each cell (-1: never)."""
        heads = [self.heads[s] for s in self.opponents() if self.lengths[s] >= self.length]
        return distance_map(self.table, self.cells, BLOCKED, np.array(heads, np.int64))

    def room(self, targets: list[int], before: np.ndarray | None = None) -> list[int]:
        """Per target, the cells I reach from it (with ``before``: first, against those rivals)."""
        if before is None:  # no race: an empty (writable, like every other ``before``: one compiled type) array
            before = np.empty(0, np.int32)
        return room(self.table, self.cells, BLOCKED, np.array(targets, np.int64), before).tolist()

    def food_distance(self, targets: list[int]) -> list[int | None]:
        """Per target, the steps to the nearest reachable food, or None."""
        found = nearest(self.table, self.cells, BLOCKED, FOOD, np.array(targets, np.int64)).tolist()
        return [None if d < 0 else d for d in found]


def request_key(state: dict) -> str:
    """``View.key`` of a request: "game:turn:snake id"."""
    return f"{(state.get('game') or {}).get('id', '')}:{state.get('turn', 0)}:{state['you']['id']}"


def read_view(state: dict) -> View:
    """The ``View`` of ``state["you"]`` in a Battlesnake ``/move`` body (our arena's, or Battlesnake's own).

    Boards of 3 to 25 cells a side (``arena.geometry``); ``wrapped`` in the ruleset's name wraps the
    edges; hazards cost ``hazardDamagePerTurn`` (14 when not given) whatever the ruleset."""
    board = state["board"]
    width, height = int(board["width"]), int(board["height"])
    rules = (state.get("game") or {}).get("ruleset") or {}
    table, nexts = _board(width, height, "wrapped" in str(rules.get("name") or "standard"))
    row = width + 2
    snakes = board.get("snakes") or []
    you_id = str(state["you"]["id"])
    me = next((i for i, s in enumerate(snakes) if str(s["id"]) == you_id), -1)
    if me < 0:  # a dead snake can still be asked (e.g. by a lenient server); answer something
        snakes, me = [*snakes, state["you"]], len(snakes)
    lengths = [len(s["body"]) for s in snakes]
    health = [int(s.get("health", 100)) for s in snakes]
    points = lengths + health
    heads = []
    for s in snakes:
        heads.append(len(points))
        points += [(p["y"] + 1) * row + p["x"] + 1 for p in s["body"]]
    food = board.get("food") or ()
    points += [(p["y"] + 1) * row + p["x"] + 1 for p in food]
    points += [(p["y"] + 1) * row + p["x"] + 1 for p in board.get("hazards") or ()]
    damage = int((rules.get("settings") or {}).get("hazardDamagePerTurn", 14) or 0)
    cells, deadly = read_position(table, np.array(points, np.int64), len(snakes), len(food), me, damage)
    heads = [points[i] if 0 <= points[i] < len(nexts) else 0 for i in heads]  # off the grid: as the kernel reads it
    return View(table, nexts, cells, deadly.tolist(), me, heads, lengths, health[me], damage, request_key(state))


def batch_view(batch: GameBatch, game: int, seat: int, hazard_damage: int, key: str) -> View:
    """The ``View`` of ``seat`` in game ``game``, straight from the batch: the same as ``read_view`` of
    the request a match would send for it (``arena.battlesnake.game_state``, whose
    ``hazardDamagePerTurn`` is ``hazard_damage``), without building that request."""
    g = batch.geometry
    table, nexts = _board(g.width, g.height, g.wrapped)
    cells, deadly = facts(table, batch.alive, batch.length, batch.head_ptr, batch.head, batch.health, batch.ring,
                          batch.occ, batch.owner, batch.food, batch.hazard, game, seat, hazard_damage)
    live = batch.alive[game].tolist()
    heads = [h for h, a in zip(batch.head[game].tolist(), live) if a]
    lengths = [n for n, a in zip(batch.length[game].tolist(), live) if a]
    return View(table, nexts, cells, deadly.tolist(), sum(live[:seat]), heads, lengths,
                int(batch.health[game, seat]), hazard_damage, key)



@dataclass(slots=True)
class Asked:
    """Many snakes' turns asked at once: seat ``seats[k]`` of game ``games[k]`` of ``batch``, whose
    ``View.key`` is ``keys[k]``.  Why: a built-in bot answers the snakes of every game a tournament
    worker plays side by side in one call (``answer_batch``, see ``snek_bots.common``), so the board's
    facts are read in one compiled call, not one per snake.  Every answer is the one ``batch_view``
    (and so ``read_view`` of the request) gives the same bot."""

    batch: GameBatch
    games: np.ndarray  # int64
    seats: np.ndarray  # int64
    hazard_damage: int
    keys: list[str]

    def table(self) -> np.ndarray:
        """The board table of the batch's geometry (``View.table``)."""
        g = self.batch.geometry
        return _board(g.width, g.height, g.wrapped)[0]

    def deadly(self) -> np.ndarray:
        """(K, 4) bools: ``View.deadly`` of every asked snake, without the rest of its view."""
        b = self.batch
        every = np.empty((len(self.games), b.seats, 4), np.bool_)
        moves_kernel(self.games, b.alive, b.length, b.head_ptr, b.head, b.health, b.ring, b.occ, b.owner, b.food,
                     b.hazard, self.table(), False, True, self.hazard_damage, DEADLY, every)
        return every[np.arange(len(self.games)), self.seats]

    def views(self) -> list[View]:
        """Every asked snake's ``View`` (the same as ``batch_view`` of it)."""
        b = self.batch
        g = b.geometry
        table, nexts = _board(g.width, g.height, g.wrapped)
        cells, deadly = facts_many(table, b.alive, b.length, b.head_ptr, b.head, b.health, b.ring, b.occ, b.owner,
                                   b.food, b.hazard, self.games, self.seats, self.hazard_damage)
        games = self.games.tolist()
        live = dict(zip(games, b.alive[self.games].tolist()))
        heads = dict(zip(games, b.head[self.games].tolist()))
        lengths = dict(zip(games, b.length[self.games].tolist()))
        health = b.health[self.games, self.seats].tolist()
        views = []
        for k, (game, seat, key) in enumerate(zip(games, self.seats.tolist(), self.keys)):
            alive = live[game]
            views.append(View(table, nexts, cells[k], deadly[k].tolist(), sum(alive[:seat]),
                              [h for h, a in zip(heads[game], alive) if a],
                              [n for n, a in zip(lengths[game], alive) if a], health[k], self.hazard_damage, key))
        return views


_SNAKE = {"id": "a", "health": 90, "body": [{"x": 1, "y": 1}, {"x": 1, "y": 0}, {"x": 0, "y": 0}]}
SAMPLE = {  # a small request that exercises every compiled call a view makes
    "game": {"id": "sample", "ruleset": {"name": "standard", "settings": {}}}, "turn": 3,
    "board": {"width": 5, "height": 5, "food": [{"x": 3, "y": 3}], "hazards": [{"x": 2, "y": 2}],
              "snakes": [_SNAKE, {"id": "b", "health": 90, "body": [{"x": 4, "y": 4}, {"x": 4, "y": 3}]}]},
    "you": _SNAKE,
}


@cache
def prepare() -> None:
    """Load every compiled call a view makes (``read_view``, ``batch_view`` and the searches) in this
    process, before any clock runs: each one's first call reads it from the cache, about a second in
    all, which a first move cannot afford.  The built-in bots call it when they are created."""
    from arena.battlesnake import load_request  # the engine: only for a bot that is about to play

    _, batch, _ = load_request(SAMPLE)
    for view in (read_view(SAMPLE), batch_view(batch, 0, 0, 14, "sample")):
        targets = [view.target(m) for m in view.safe_moves()]
        view.room(targets, view.rivals())
        view.room(targets)
        view.food_distance(targets)
