"""Shared helpers for the built-in bots: read a Battlesnake game state once, then ask cheap questions.

Why one module: every bot needs the same facts (which moves kill me right now, where the food
is, how much room a cell leads to) under every ruleset — wrapped edges, constrictor's stacked
tails, royale's hazards — and getting those right once keeps the bots themselves a few lines.
Cells are flat indices ``y * width + x`` (y up, as in Battlesnake); ``-1`` means off the board.
"""

from __future__ import annotations

import random
import zlib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

MOVES = ("up", "down", "left", "right")
_DELTA = {"up": (0, 1), "down": (0, -1), "left": (-1, 0), "right": (1, 0)}
STARVING_HEALTH = 30  # below this, even a space-minded bot goes for food


def bounded(policy):
    """Declare that ``policy`` does a bounded amount of work per move and always returns: a match then
    calls it inline on its own thread (``arena.players.spec.builtin_player``) instead of handing each
    move to another thread."""
    policy.bounded = True
    return policy


@lru_cache(maxsize=64)
def neighbour_table(width: int, height: int, wrapped: bool) -> tuple[tuple[int, ...], ...]:
    """``table[cell][i]`` is the cell reached by ``MOVES[i]`` (``-1`` off the board)."""
    table = []
    for cell in range(width * height):
        x, y = cell % width, cell // width
        row = []
        for move in MOVES:
            nx, ny = x + _DELTA[move][0], y + _DELTA[move][1]
            if wrapped:
                nx, ny = nx % width, ny % height
            row.append(ny * width + nx if 0 <= nx < width and 0 <= ny < height else -1)
        table.append(tuple(row))
    return tuple(table)


@dataclass
class Snake:
    id: str
    body: list[int]
    health: int

    @property
    def head(self) -> int:
        return self.body[0]

    @property
    def length(self) -> int:
        return len(self.body)


@dataclass
class Board:
    """One snake's view of a turn: the board, every live snake, and the rules that matter to bots."""

    width: int
    height: int
    ruleset: str
    turn: int
    me: Snake
    snakes: list[Snake]  # every live snake, me included
    food: set[int]
    hazards: dict[int, int]  # cell -> stacked hazard entries
    hazard_damage: int
    neighbours: tuple[tuple[int, ...], ...] = field(repr=False)

    @property
    def opponents(self) -> list[Snake]:
        return [s for s in self.snakes if s.id != self.me.id]

    @property
    def wrapped(self) -> bool:
        return "wrapped" in self.ruleset

    def cell(self, x: int, y: int) -> int:
        return y * self.width + x

    def xy(self, cell: int) -> tuple[int, int]:
        return cell % self.width, cell // self.width

    def step(self, cell: int, move: str) -> int:
        return self.neighbours[cell][MOVES.index(move)]

    def obstacles(self) -> set[int]:
        """Cells that will hold a body segment after everyone moves.

        A tail moves away unless it is stacked (after eating, at the start, in constrictor);
        a stacked tail is also in ``body[:-1]``, so ``body[:-1]`` is exactly what stays.
        """
        return {c for s in self.snakes for c in s.body[:-1]}

    def head_threats(self, strict: bool = False) -> set[int]:
        """Cells an opponent at least as long as me (longer if ``strict``) could move its head to."""
        mine = self.me.length
        return {n for s in self.opponents if s.length > mine or (not strict and s.length == mine)
                for n in self.neighbours[s.head] if n >= 0}

    def head_prey(self) -> set[int]:
        """Cells a shorter opponent could move to: meeting it there wins the head-on."""
        return {n for s in self.opponents if s.length < self.me.length for n in self.neighbours[s.head] if n >= 0}

    def hazard_cost(self, cell: int) -> int:
        if cell in self.food:
            return 0
        return self.hazards.get(cell, 0) * self.hazard_damage

    def starves(self, cell: int, health: int | None = None) -> bool:
        """Whether moving my head onto ``cell`` runs my health out (starvation plus hazard damage)."""
        health = self.me.health if health is None else health
        return cell not in self.food and health - 1 - self.hazard_cost(cell) <= 0


def parse(state: dict) -> Board:
    """A ``Board`` from a Battlesnake ``/move`` body (our arena's, or Battlesnake's own)."""
    board = state["board"]
    width, height = int(board["width"]), int(board["height"])
    rules = (state.get("game") or {}).get("ruleset") or {}
    name = str(rules.get("name") or "standard")
    settings = rules.get("settings") or {}

    def cells(points: Iterable[dict]) -> list[int]:
        return [int(p["y"]) * width + int(p["x"]) for p in points]

    snakes = [Snake(str(s["id"]), cells(s["body"]), int(s.get("health", 100))) for s in board.get("snakes") or []]
    you = state["you"]
    me = next((s for s in snakes if s.id == str(you["id"])), None)
    if me is None:  # a dead snake can still be asked (e.g. by a lenient server); answer something
        me = Snake(str(you["id"]), cells(you["body"]), int(you.get("health", 100)))
        snakes.append(me)
    hazards: dict[int, int] = {}
    for c in cells(board.get("hazards") or []):
        if 0 <= c < width * height:
            hazards[c] = hazards.get(c, 0) + 1
    return Board(
        width=width, height=height, ruleset=name, turn=int(state.get("turn", 0)), me=me, snakes=snakes,
        food=set(cells(board.get("food") or [])), hazards=hazards,
        hazard_damage=int(settings.get("hazardDamagePerTurn", 14) or 0),
        neighbours=neighbour_table(width, height, "wrapped" in name),
    )


def rng_for(state: dict) -> random.Random:
    """A random stream fixed by (game, turn, snake): the same game replays the same choices."""
    game = (state.get("game") or {}).get("id", "")
    key = f"{game}:{state.get('turn', 0)}:{state['you']['id']}"
    return random.Random(zlib.crc32(key.encode()))


def safe_moves(board: Board, blocked: set[int] | None = None) -> list[str]:
    """Moves that do not end my game this turn: no wall, no body, no running out of health."""
    blocked = board.obstacles() if blocked is None else blocked
    out = []
    for move in MOVES:
        target = board.step(board.me.head, move)
        if target >= 0 and target not in blocked and not board.starves(target):
            out.append(move)
    return out


def bfs(board: Board, start: int | Iterable[int], blocked: set[int], limit: int | None = None,
        before: dict[int, int] | None = None, offset: int = 0) -> dict[int, int]:
    """Distances from ``start`` (one cell or several) through unblocked cells, starting at ``offset``.

    With ``before`` (another BFS's distances), only cells reached strictly earlier than in
    ``before`` are entered: the cells I get to first, i.e. my territory against those sources.
    """
    starts = [start] if isinstance(start, int) else list(start)
    dist = dict.fromkeys(starts, offset)
    queue = deque(starts)
    while queue:
        cell = queue.popleft()
        d = dist[cell] + 1
        if limit is not None and d > limit:
            continue
        for n in board.neighbours[cell]:
            if n >= 0 and n not in blocked and n not in dist and (before is None or d < before.get(n, 1 << 30)):
                dist[n] = d
                queue.append(n)
    return dist


def nearest_food(board: Board, start: int, blocked: set[int]) -> int | None:
    """BFS distance from ``start`` to the closest reachable food, or None."""
    if not board.food:
        return None
    dist = bfs(board, start, blocked)
    found = [d for c, d in dist.items() if c in board.food]
    return min(found) if found else None


def pick(rng: random.Random, moves: list[str]) -> str:
    """A uniform choice, falling back to any move when there is nothing to choose from."""
    return rng.choice(moves or list(MOVES))
