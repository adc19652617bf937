"""`search`: two-ply paranoid lookahead over the batched engine.

Why the engine: the request becomes a one-game batch (``load_request``), ``batch.select`` copies
it once per joint move, and one ``engine.step`` plays every branch under the exact rules of the
game's ruleset (wrapping, constrictor growth, hazard damage, head-ons) — no second rules model.
Leaves are scored as one batch too (room by flood fill, length edge, hunger, kills).

Opponents near my head branch on all their open moves and are assumed to pick the reply worst
for me (paranoid), softened by a little of the average; far opponents play one fixed, plausible
move.  The second ply runs when its leaves fit a budget counted in leaves and scaled to the
board, so the same request always gets the same answer, on any machine and under any load.  A
wall-clock budget (``TimedSearchBot``, ``SearchBot(time_budget=0.3)``) is an explicit option.
"""

from __future__ import annotations

import itertools
import time

import numpy as np

from arena.battlesnake import RequestError, load_request
from arena.engine import Engine
from arena.stages import neck_direction
from arena.state import GameBatch
from snek_bots.common import MOVES
from snek_bots.space import space_move

WIN, LOSS = 1e6, -1e6
MIX = 0.15  # weight of the average reply next to the worst one
OUTCOME_CAP = 3000.0  # won and lost positions count as this much in the average


def open_moves(engine: Engine, batch: GameBatch) -> np.ndarray:
    """(B, N, 4): moves that do not eliminate the snake at once, by the engine's own rules
    (``Engine.deadly_moves``: walls, bodies still there after the tails move, starvation)."""
    return ~engine.deadly_moves(batch) & batch.alive[:, :, None]


def default_moves(engine: Engine, batch: GameBatch) -> np.ndarray:
    """(B, N): a plausible move per snake: straight on if open, else the first open move."""
    keep = np.arange(4)[None, None, :] == neck_direction(batch)[:, :, None]
    return np.argmax(open_moves(engine, batch) * 2 + keep, axis=2).astype(np.int8)


def free_after(batch: GameBatch) -> np.ndarray:
    """(B, H, W): turns until each board cell is free (0 = free now); a segment ``k`` cells from
    its snake's head leaves after ``length - k`` turns, so room behind a moving tail counts."""
    g = batch.geometry
    b, n = batch.alive.shape
    longest = int(batch.length.max(initial=1))
    k = np.arange(longest)
    rows = np.arange(b * n).reshape(b, n, 1)
    cells = batch.ring[rows, (batch.head_ptr[:, :, None] - k) & batch.ring_mask]  # (B, N, K)
    turns = batch.length[:, :, None] - k
    valid = (k < batch.length[:, :, None]) & batch.alive[:, :, None]
    grid = np.zeros((b, g.cells), np.int32)
    games = np.broadcast_to(np.arange(b)[:, None, None], cells.shape)
    np.maximum.at(grid, (games[valid], cells[valid]), turns[valid])
    return grid[:, g.interior_cells].reshape(b, g.height, g.width)


def dilate(front: np.ndarray, wrapped: bool) -> np.ndarray:
    """Cells one step from ``front`` (the last two axes are y, x), front included."""
    grown = front.copy()
    if wrapped:
        for shift, axis in ((1, -2), (-1, -2), (1, -1), (-1, -1)):
            grown |= np.roll(front, shift, axis=axis)
    else:
        grown[..., 1:, :] |= front[..., :-1, :]
        grown[..., :-1, :] |= front[..., 1:, :]
        grown[..., :, 1:] |= front[..., :, :-1]
        grown[..., :, :-1] |= front[..., :, 1:]
    return grown


def territory(batch: GameBatch, seat: int, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Area control by a simultaneous BFS from every live head (cells reached first by one snake
    are its own; ties are nobody's).  Returns per game: cells of ``seat``, the most cells of any
    rival, and ``seat``'s steps to its nearest own food (``steps + 1`` when none)."""
    g = batch.geometry
    b, n = batch.alive.shape
    free_at = free_after(batch)
    food = batch.food[:, g.interior_cells].reshape(b, g.height, g.width)
    front = np.zeros((b, n, g.height, g.width), bool)
    games, seats = np.nonzero(batch.alive)
    head = batch.head[games, seats]
    front[games, seats, g.y_of[head], g.x_of[head]] = True
    taken = front.any(axis=1)
    owned = np.zeros((b, n), np.int32)
    distance = np.full(b, steps + 1)
    for t in range(1, steps + 1):
        reached = dilate(front, g.wrapped) & ~taken[:, None] & (free_at <= t)[:, None]
        count = reached.sum(axis=1)
        front = reached & (count == 1)[:, None]
        taken |= count > 0
        owned += front.sum(axis=(2, 3))
        hit = (front[:, seat] & food).any(axis=(1, 2))
        distance = np.where(hit & (distance > steps), t, distance)
    rivals = owned.copy()
    rivals[:, seat] = 0
    return owned[:, seat], rivals.max(axis=1), distance


def evaluate(batch: GameBatch, me: int, rivals: int) -> np.ndarray:
    """A score per game from ``me``'s side: dead is worst, last one standing best, else room,
    length edge over the longest rival, hunger and fewer rivals left."""
    g = batch.geometry
    alive = batch.alive[:, me]
    length = batch.length[:, me]
    others = batch.alive.copy()
    others[:, me] = False
    rivals_left = others.sum(axis=1)
    longest = np.where(others, batch.length, 0).max(axis=1)
    steps = min(g.width + g.height, 16)
    room, rival_room, food = territory(batch, me, steps)
    health = batch.health[:, me]
    hungry = (health < 40) | (length <= longest + 1)
    score = (
        8.0 * np.minimum(room, 3 * length + 10)
        - 2.0 * np.minimum(rival_room, 30)
        + 25.0 * np.clip(length - longest, -4, 3)
        - np.where(hungry, 6.0 + np.maximum(0, 40 - health), 1.0) * food
        - 120.0 * rivals_left
        - np.where(room < length, 800.0, 0.0)
    )
    score = np.where(alive, score, LOSS + batch.turn)  # later deaths are less bad
    if rivals:
        score = np.where(alive & (rivals_left == 0), WIN, score)
    return score


def combine(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Paranoid value over the last axis (opponent replies), softened by the average."""
    valid = valid | ~valid.any(axis=-1, keepdims=True)  # a snake with no open move still moves somewhere
    worst = np.where(valid, values, np.inf).min(axis=-1)
    capped = np.clip(values, -OUTCOME_CAP, OUTCOME_CAP)  # one reply that wins or loses outright must not
    mean = np.where(valid, capped, 0).sum(axis=-1) / valid.sum(axis=-1)  # swamp the average
    return worst + MIX * (mean - np.clip(worst, -OUTCOME_CAP, OUTCOME_CAP))


class SearchBot:
    """A policy object: ``SearchBot()(state) -> move``."""

    bounded = True  # the leaf budget bounds every move's work (``snek_bots.common.bounded``)

    def __init__(self, max_leaves: int = 4096, time_budget: float | None = None, reserve_ms: int = 150,
                 radius: int = 6, max_near: int = 2) -> None:
        self.max_leaves, self.time_budget, self.reserve_ms = max_leaves, time_budget, reserve_ms
        self.radius, self.max_near = radius, max_near
        self.nodes = 0  # positions the last move simulated (engine steps of one game): ``benchmarks/bots.py``
        self.__name__ = "search" if time_budget is None else "search-timed"

    def leaf_budget(self, geometry) -> int:
        """Second-ply leaves allowed on this board: ``max_leaves`` on 11x11, scaled by the board's area
        (a leaf's cost grows with it), never below a quarter."""
        return int(self.max_leaves * max(121 / geometry.area, 0.25))

    def __call__(self, state: dict) -> str:
        self.nodes = 0
        deadline = None
        if self.time_budget is not None:  # opt-in: the answer then depends on the machine's speed
            timeout = int((state.get("game") or {}).get("timeout") or 500)
            deadline = time.perf_counter() + max(10, min(timeout * self.time_budget, timeout - self.reserve_ms)) / 1000
        try:
            engine, batch, ids = load_request(state)
            me = ids.index(str(state["you"]["id"]))
        except (RequestError, ValueError):  # a ruleset or position we cannot simulate
            return space_move(state)
        if batch.done[0] or not batch.alive[0, me]:
            return space_move(state)
        return MOVES[self.plan(engine, batch, me, deadline)]

    def near_rivals(self, batch: GameBatch, me: int) -> list[int]:
        g = batch.geometry
        hx, hy = g.x_of[batch.head[0]].astype(int), g.y_of[batch.head[0]].astype(int)
        dx, dy = np.abs(hx - hx[me]), np.abs(hy - hy[me])
        if g.wrapped:
            dx, dy = np.minimum(dx, g.width - dx), np.minimum(dy, g.height - dy)
        distance = dx + dy
        rivals = [s for s in np.argsort(distance, kind="stable") if s != me and batch.alive[0, s]]
        return [int(s) for s in rivals if distance[s] <= self.radius][: self.max_near]

    def plan(self, engine: Engine, batch: GameBatch, me: int, deadline: float | None = None) -> int:
        """My move: ply 1 always; ply 2 when its leaves fit the leaf budget (and, with a ``deadline``,
        when the first ply's measured cost says it also fits in the time left)."""
        began = time.perf_counter()
        near = self.near_rivals(batch, me)
        rivals = int(batch.alive[0].sum()) - 1
        base = default_moves(engine, batch)[0]
        base[~batch.alive[0]] = -1
        # ply 1: my 4 moves x every combination of the near rivals' open moves
        choices = open_moves(engine, batch)[0]
        options = [np.flatnonzero(choices[s]) if choices[s].any() else np.array([base[s]]) for s in near]
        combos = list(itertools.product(*options))
        replies = np.array(combos, dtype=np.int8).reshape(len(combos), len(near))
        joint = np.repeat(base[None, :], 4 * len(replies), axis=0)
        joint[:, me] = np.repeat(np.arange(4), len(replies))
        joint[:, near] = np.tile(replies, (4, 1))
        first = batch.select(np.zeros(len(joint), np.int64))
        engine.step(first, joint)
        self.nodes = len(joint)
        values = evaluate(first, me, rivals)
        # ply 2, when it fits: every game again, my 4 moves x all 4^k moves of the near rivals
        leaves = len(joint) * 4 ** (len(near) + 1)
        fits = leaves <= self.leaf_budget(batch.geometry)
        if fits and deadline is not None:
            per_leaf = (time.perf_counter() - began) / len(joint)
            fits = time.perf_counter() + 1.5 * per_leaf * leaves < deadline
        if fits:
            values = self.second_ply(engine, first, values, me, near, rivals)
        worst = combine(values.reshape(4, -1), np.ones((4, len(replies)), bool))
        return int(np.argmax(worst))

    def second_ply(self, engine: Engine, first: GameBatch, values: np.ndarray, me: int, near: list[int],
                   rivals: int) -> np.ndarray:
        live = ~first.done & first.alive[:, me]
        if not live.any():
            return values
        games = np.flatnonzero(live)
        sub = first.select(games)
        base = default_moves(engine, sub)
        base[~sub.alive] = -1
        combos = np.array(list(itertools.product(range(4), repeat=len(near) + 1)), dtype=np.int8)
        joint = np.repeat(base, len(combos), axis=0)
        mine = np.tile(combos[:, 0], len(games))
        joint[:, me] = mine
        rival_moves = np.tile(combos[:, 1:], (len(games), 1))
        if near:
            joint[:, near] = np.where(sub.alive[np.repeat(np.arange(len(games)), len(combos))][:, near],
                                      rival_moves, -1)
        second = sub.select(np.repeat(np.arange(len(games)), len(combos)))
        engine.step(second, joint)
        self.nodes += len(joint)
        leaf = evaluate(second, me, rivals).reshape(len(games), 4, -1)
        opened = open_moves(engine, sub)  # (G, N, 4)
        valid = np.ones((len(games), 4 ** len(near)), bool)
        for k, seat in enumerate(near):  # a rival's reply counts only if it is open (or it is dead)
            ok = opened[:, seat][:, combos[: 4 ** len(near), 1 + k]] | ~sub.alive[:, seat, None]
            valid &= ok
        best = combine(leaf, np.broadcast_to(valid[:, None, :], leaf.shape)).max(axis=1)
        out = values.copy()
        out[games] = best
        return out


def create() -> SearchBot:
    return SearchBot()


class TimedSearchBot(SearchBot):
    """``snek_bots.search:TimedSearchBot``: search with a wall-clock budget too (30% of ``game.timeout``):
    ply 2 also needs the first ply's measured cost to say it fits in time, so on a slow or loaded
    machine it searches less.  Games are then not reproducible; the default ``search`` is."""

    def __init__(self, time_budget: float = 0.3, **options) -> None:
        super().__init__(time_budget=time_budget, **options)
