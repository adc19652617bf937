"""`search`: a paranoid game-tree search played by the engine's own compiled stages.

Why the engine: the request becomes a one-game batch (``load_request``) and ``arena.lookahead`` walks
the tree in one compiled call, stepping scratch copies of the game with the ruleset's own stages
(wrapping, constrictor growth, hazard damage, head-ons) — no second rules model — and scoring the
leaves by room (a simultaneous flood fill from every head), length edge, hunger and kills.

Opponents near my head branch on all their open moves and are assumed to pick the reply worst
for me (paranoid), softened by a little of the average; far opponents play one fixed, plausible
move.  The search deepens one ply at a time (up to ``max_depth``, four by default) while the next
ply's tree, whose size each walk counts exactly, fits a budget counted in nodes and scaled to the
board, so the same request always gets the same answer, on any machine and under any load.  The
budget (32,768 nodes on 11x11) is calibrated to the time a move may take: on this project's 2-core
machine a 4-snake move then takes about what the numpy search's did on average, and stays inside
search's 30% share of Battlesnake's 500 ms timeout (docs/bots.md has the figures).  A wall-clock budget
(``TimedSearchBot``, ``SearchBot(time_budget=0.3)``) is an explicit option.
"""

from __future__ import annotations

import time

import numpy as np

from arena.battlesnake import RequestError, load_request
from arena.engine import Engine
from arena.lookahead import MAX_NEAR, WIDE, Lookahead
from arena.state import GameBatch
from snek_bots.common import MOVES
from snek_bots.space import space_move

NODE_BUDGET = 32768  # nodes a move may step on 11x11 (all depths together)
# Plies and branching by default, as measured in 200 seeded duels against ``space`` (docs/bots.md):
# up to four plies (32,768 nodes) with every rival within 20 cells branching won 198, up to three
# (8,192 nodes) 197, the numpy search's two plies (rivals within 6 cells) 194, up to 8 plies at
# radius 6 174 (deep trees with far rivals on autopilot).
MAX_DEPTH, RADIUS = 4, 20

class SearchBot:
    """A policy object: ``SearchBot()(state) -> move``."""

    bounded = True  # the node budget bounds every move's work (``snek_bots.common.bounded``)

    def __init__(self, max_nodes: int = NODE_BUDGET, time_budget: float | None = None, reserve_ms: int = 150,
                 radius: int = RADIUS, max_near: int = 2, max_depth: int = MAX_DEPTH, wide_plies: int = WIDE) -> None:
        self.max_nodes, self.time_budget, self.reserve_ms = max_nodes, time_budget, reserve_ms
        self.wide_plies = wide_plies  # plies at which every near rival branches; beyond, only the nearest
        self.radius, self.max_near, self.max_depth = radius, min(max_near, MAX_NEAR), max_depth
        self.nodes = 0  # positions the last move stepped (all depths): ``benchmarks/bots.py`` prints nodes/s
        self.depth = 0  # plies the last move's answer looked ahead
        self._lookaheads: dict[tuple, Lookahead] = {}
        self.__name__ = "search" if time_budget is None else "search-timed"

    def node_budget(self, geometry) -> int:
        """Nodes allowed on this board: ``max_nodes`` up to 11x11, less on larger boards by their area
        (a leaf's flood fill grows with it), never below a quarter."""
        return int(self.max_nodes * min(1.0, max(121 / geometry.area, 0.25)))

    def __call__(self, state: dict) -> str:
        self.nodes = self.depth = 0
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

    def lookahead(self, engine: Engine) -> Lookahead:
        """One ``Lookahead`` (and its scratch games) per ruleset, settings and board this bot plays."""
        key = (engine.ruleset.name, tuple(sorted(engine.settings.items())), engine.geometry)
        found = self._lookaheads.get(key)
        if found is None:
            found = self._lookaheads[key] = Lookahead(engine)
        return found

    def plan(self, engine: Engine, batch: GameBatch, me: int, deadline: float | None = None) -> int:
        """My move: one ply always, then one more while the deeper tree fits what is left of the node
        budget (and, with a ``deadline``, the time left at the measured cost per node).  Each walk counts
        the nodes one more ply would add, so the deeper tree's size is known exactly before it is walked:
        no walk is cut short, and a budget in nodes is all spent on whole plies."""
        near = self.near_rivals(batch, me)
        rivals = int(batch.alive[0].sum()) - 1
        lookahead = self.lookahead(engine)
        budget = self.node_budget(batch.geometry)
        began = time.perf_counter()
        values, nodes, more = lookahead.search(batch, me, near, rivals, 1, 4 ** (MAX_NEAR + 1), self.max_depth > 1,
                                               self.wide_plies)
        self.nodes, self.depth = nodes, 1  # one ply always
        while self.depth < self.max_depth and more > 0:  # a tree that stopped growing has nothing deeper
            size = nodes + more
            if self.nodes + size > budget:
                break
            if deadline is not None:
                per_node = (time.perf_counter() - began) / max(self.nodes, 1)
                if time.perf_counter() + 1.5 * per_node * size > deadline:
                    break
            deeper, nodes, more = lookahead.search(batch, me, near, rivals, self.depth + 1, size,
                                                   self.depth + 1 < self.max_depth, self.wide_plies)
            self.nodes += nodes
            if deeper is None:  # cannot happen (the size is exact); keep the last whole ply if it did
                break
            values = deeper
            self.depth += 1
        return int(np.argmax(values))


def create() -> SearchBot:
    return SearchBot()


class TimedSearchBot(SearchBot):
    """``snek_bots.search:TimedSearchBot``: search with a wall-clock budget too (30% of ``game.timeout``):
    each deeper ply also needs the measured cost per node to say it fits in time, so on a slow or
    loaded machine it searches less.  Games are then not reproducible; the default ``search`` is."""

    def __init__(self, time_budget: float = 0.3, **options) -> None:
        super().__init__(time_budget=time_budget, **options)
