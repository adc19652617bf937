"""A compiled lookahead for search bots: a paranoid game tree played by the engine's own stages.

Why here: a search that fans a one-game batch out with numpy spends its time on call overhead
(hundreds of tiny numpy calls a move).  This kernel walks the whole tree in one compiled call: each
node is one game row of a scratch ``GameBatch`` (row ``d`` holds the position at depth ``d``), copied
from its parent and stepped by ``map_stages.run_program`` with the ruleset's program, the very stages
``Engine.step`` runs; open moves come from ``safety.moves_kernel`` (``Engine.deadly_moves``).  So
there is one rules implementation and no second simulator.  ``snek_bots.search`` drives it.

The tree, to ``depth`` plies: at every node ``me`` tries its open moves against every combination of
the ``near`` rivals' open moves (a rival with none plays its plausible move); every other snake
plays one plausible move (straight on if open, else its first open move).  My deadly moves are not
stepped: whatever the replies, they are worth my death next turn, exactly what a stepped child would
score.  A leaf (the last ply, my death or the game's end) gets ``leaf_score``; a node's value is the
best of my moves, each worth its worst reply softened by a little of the average (``combine``).
Nodes are visited in a fixed order and counted; at ``node_limit`` a walk with more to do stops and
says so, so a budget in nodes gives the same answer on any machine, under any load.  A walk can also
count the children its cut-off leaves would have: the exact size of the tree one ply deeper, so a
search deepens only when that tree fits its budget and never walks a tree it must abandon.
"""

from __future__ import annotations

import numpy as np

from arena.jit import kernel
from arena.map_stages import run_program
from arena.safety import DEADLY, moves_kernel
from arena.stages import HEIGHT, INSIDE, NEXT, WIDTH, Turn, default_move
from arena.state import Arrays, GameBatch

WIN, LOSS = 1e6, -1e6
MIX = 0.15  # weight of the average reply next to the worst one
OUTCOME_CAP = 3000.0  # won and lost positions count as this much in the average
ABORTED = -1  # ``search_tree``'s answer when the tree has more nodes than its limit
MAX_NEAR = 3  # rivals that may branch (4**3 replies per move at most)
WIDE = 1 << 30  # ``wide_plies`` for "every near rival branches at every ply"


@kernel
def copy_game(src: Arrays, g: int, dst: Arrays, h: int) -> None:
    """Overwrite game ``h`` of ``dst`` with game ``g`` of ``src`` (same geometry and seats).  Of a ring,
    only the slots a step can read are copied: the body and the slot behind its tail (growth)."""
    seats = src.alive.shape[1]
    mask = src.ring.shape[1] - 1
    dst.seed[h], dst.seed_key[h], dst.turn[h] = src.seed[g], src.seed_key[g], src.turn[g]
    dst.done[h], dst.food_count[h] = src.done[g], src.food_count[g]
    for s in range(seats):
        dst.present[h, s], dst.alive[h, s], dst.health[h, s] = src.present[g, s], src.alive[g, s], src.health[g, s]
        dst.length[h, s], dst.head[h, s], dst.head_ptr[h, s] = src.length[g, s], src.head[g, s], src.head_ptr[g, s]
        dst.last_move[h, s], dst.death_cause[h, s] = src.last_move[g, s], src.death_cause[g, s]
        dst.death_turn[h, s], dst.death_by[h, s] = src.death_turn[g, s], src.death_by[g, s]
        ptr, theirs, ours = src.head_ptr[g, s], g * seats + s, h * seats + s
        if src.present[g, s]:
            for k in range(min(src.length[g, s] + 1, mask + 1)):
                dst.ring[ours, (ptr - k) & mask] = src.ring[theirs, (ptr - k) & mask]
    for c in range(src.occ.shape[1]):
        dst.occ[h, c], dst.owner[h, c] = src.occ[g, c], src.owner[g, c]
        dst.food[h, c], dst.hazard[h, c] = src.food[g, c], src.hazard[g, c]
    for k in range(4):
        dst.box[h, k] = src.box[g, k]


def neighbour_table(board: np.ndarray) -> np.ndarray:
    """(cells * 4,) int32: the cell each move leads to from each cell (wrap-aware), -1 off the board."""
    nxt = board[:, NEXT:NEXT + 4]
    return np.ascontiguousarray(np.where(board[nxt, INSIDE] != 0, nxt, -1).astype(np.int32).reshape(-1))


@kernel
def territory(b: Arrays, g: int, adjacent: np.ndarray, steps: int, me: int, owned: np.ndarray, free_at: np.ndarray,
              stamp: np.ndarray, claim: np.ndarray, front: np.ndarray, reached: np.ndarray) -> int:
    """Area control in game ``g`` by a simultaneous BFS from every live head, ``steps`` deep: a cell
    reached first by one snake is its own (``owned`` per seat), by several at once nobody's.  A body
    cell opens when its segment has left (``length - k`` turns for the segment ``k`` behind the head),
    so room behind a moving tail counts.  Returns ``me``'s steps to its nearest own food
    (``steps + 1`` when none).  ``adjacent`` is ``neighbour_table``; the rest is scratch."""
    seats = b.alive.shape[1]
    mask = b.ring.shape[1] - 1
    free_at[:] = 0
    stamp[:] = -1
    count = 0
    for s in range(seats):
        owned[s] = 0
        if b.alive[g, s]:
            length, ptr, row = b.length[g, s], b.head_ptr[g, s], g * seats + s
            for k in range(length):
                cell = b.ring[row, (ptr - k) & mask]
                free_at[cell] = max(free_at[cell], length - k)
            h = b.head[g, s]
            stamp[h] = 0
            front[count], claim[h] = h, s
            count += 1
    distance = steps + 1
    for t in range(1, steps + 1):
        found = 0
        for f in range(count):
            cell = front[f]
            s = claim[cell]
            for m in range(4):
                near = adjacent[4 * cell + m]
                if near < 0 or free_at[near] > t:
                    continue
                seen = stamp[near]
                if seen < 0:
                    stamp[near], claim[near] = t, s
                    reached[found] = near
                    found += 1
                elif seen == t and claim[near] != s:
                    claim[near] = -1  # reached by two snakes at once: nobody's
        count = 0
        for f in range(found):
            cell = reached[f]
            s = claim[cell]
            if s >= 0:
                front[count] = cell
                count += 1
                owned[s] += 1
                if s == me and distance > steps and b.food[g, cell]:
                    distance = t
        if count == 0:
            break
    return distance


@kernel
def leaf_score(b: Arrays, g: int, adjacent: np.ndarray, steps: int, me: int, rivals: int, owned: np.ndarray,
               free_at: np.ndarray, stamp: np.ndarray, claim: np.ndarray, front: np.ndarray,
               reached: np.ndarray) -> float:
    """A position's worth to ``me``: dead is worst (a later death less bad), last one standing best,
    else room (``territory``), length edge over the longest rival, hunger and fewer rivals left."""
    if not b.alive[g, me]:
        return LOSS + b.turn[g]
    seats = b.alive.shape[1]
    length, health = b.length[g, me], b.health[g, me]
    rivals_left, longest = 0, 0
    for s in range(seats):
        if s != me and b.alive[g, s]:
            rivals_left += 1
            longest = max(longest, b.length[g, s])
    if rivals > 0 and rivals_left == 0:
        return WIN
    food = territory(b, g, adjacent, steps, me, owned, free_at, stamp, claim, front, reached)
    room, rival_room = owned[me], 0
    for s in range(seats):
        if s != me:
            rival_room = max(rival_room, owned[s])
    hungry = health < 40 or length <= longest + 1
    score = (8.0 * min(room, 3 * length + 10) - 2.0 * min(rival_room, 30)
             + 25.0 * min(max(length - longest, -4), 3) - 120.0 * rivals_left)
    score -= (6.0 + max(0, 40 - health) if hungry else 1.0) * food
    if room < length:
        score -= 800.0
    return score


@kernel
def combine(values: np.ndarray, count: int) -> float:
    """Paranoid value of ``values[:count]`` (one per opponent reply): the worst, softened by the average
    (a reply that wins or loses outright counts as ``OUTCOME_CAP`` in the average, so it cannot swamp it)."""
    worst, total = np.inf, 0.0
    for r in range(count):
        worst = min(worst, values[r])
        total += min(max(values[r], -OUTCOME_CAP), OUTCOME_CAP)
    return worst + MIX * (total / count - min(max(worst, -OUTCOME_CAP), OUTCOME_CAP))


@kernel
def plan_node(b: Arrays, g: int, board: np.ndarray, keeps_heading: bool, starves: bool, hazard_damage: int,
              me: int, near: np.ndarray, branching: int, games: np.ndarray, deadly: np.ndarray, base: np.ndarray,
              my_deadly: np.ndarray, options: np.ndarray, counts: np.ndarray) -> int:
    """The moves tried at a node (game ``g``): every snake's plausible move in ``base`` (-1 for the dead),
    ``me``'s deadly moves flagged in ``my_deadly`` (they need no step: whatever the others do, I die), each
    of the first ``branching`` near rivals' open moves in ``options[k, :counts[k]]`` (a rival plays
    its plausible move when none is open, and beyond ``branching``).  Returns how many joint replies
    that makes."""
    games[0] = g
    moves_kernel(games, b.alive, b.length, b.head_ptr, b.head, b.health, b.ring, b.occ, b.owner, b.food, b.hazard,
                 board, keeps_heading, starves, hazard_damage, DEADLY, deadly)
    for s in range(b.alive.shape[1]):
        if not b.alive[g, s]:
            base[s] = -1
            continue
        keep = default_move(b, board, g, s)
        best, best_rank = 0, -1
        for m in range(4):
            rank = (0 if deadly[0, s, m] else 2) + (1 if m == keep else 0)
            if rank > best_rank:
                best, best_rank = m, rank
        base[s] = best
    for m in range(4):
        my_deadly[m] = deadly[0, me, m]
    replies = 1
    for k in range(near.shape[0]):
        s = near[k]
        counts[k] = 0
        if k < branching and b.alive[g, s]:
            for m in range(4):
                if not deadly[0, s, m]:
                    options[k, counts[k]] = m
                    counts[k] += 1
        if counts[k] == 0:
            options[k, 0] = base[s]
            counts[k] = 1
        replies *= counts[k]
    return replies


@kernel
def open_children(my_deadly: np.ndarray, replies: int) -> int:
    """The children a node steps: each of my moves that is not deadly, against each reply."""
    count = 0
    for m in range(4):
        count += not my_deadly[m]
    return count * replies


@kernel
def search_tree(program: np.ndarray, settings: np.ndarray, board: np.ndarray, adjacent: np.ndarray,
                keeps_heading: bool, starves: bool, hazard_damage: int, work_size: int, root: Arrays, scratch: Arrays,
                me: int, near: np.ndarray, wide_plies: int, rivals: int, depth: int, node_limit: int,
                out: np.ndarray, count_next: bool, counted: np.ndarray) -> int:
    """Walk the tree below game 0 of ``root`` to ``depth`` plies (``scratch`` has ``depth + 1`` games) and
    write the value of each of ``me``'s 4 moves into ``out``.  Returns the nodes stepped, or ``ABORTED``
    (``out`` then unusable; ``node_limit`` nodes were stepped) when the tree has more than ``node_limit``.
    My deadly moves are not stepped: each is worth my death next turn (``LOSS + turn + 1``), what its
    stepped child would score.  With ``count_next``, ``counted[0]`` receives the nodes one more ply would
    add (the children of the leaves cut by ``depth``), so the caller knows a deeper tree's exact size."""
    seats = root.alive.shape[1]
    cells = board.shape[0]
    k_near = near.shape[0]
    steps = min(settings[WIDTH] + settings[HEIGHT], 16)
    # per depth: the moves tried there, the joint replies, the next child, and the children's values
    base = np.empty((depth + 1, seats), np.int8)
    my_deadly = np.empty((depth + 1, 4), np.bool_)
    options = np.empty((depth + 1, max(k_near, 1), 4), np.int8)
    counts = np.empty((depth + 1, max(k_near, 1)), np.int64)
    replies = np.empty(depth + 1, np.int64)
    child = np.zeros(depth, np.int64)
    values = np.empty((depth, 4, 4 ** k_near), np.float64)
    # scratch for the engine's step, the move-safety answer and the leaf score
    moves = np.full((depth + 1, seats), -1, np.int8)
    one = np.empty(1, np.int64)
    t = Turn(board, settings, moves, one, np.zeros(scratch.alive.shape, np.bool_),
             np.empty(settings[WIDTH] * settings[HEIGHT], np.uint64), np.empty(work_size, np.int64))
    deadly = np.empty((1, seats, 4), np.bool_)
    asked = np.empty(1, np.int64)
    owned = np.empty(seats, np.int64)
    free_at, stamp, claim = np.empty(cells, np.int32), np.empty(cells, np.int32), np.empty(cells, np.int32)
    front, reached = np.empty(cells, np.int32), np.empty(cells, np.int32)

    copy_game(root, 0, scratch, 0)
    replies[0] = plan_node(scratch, 0, board, keeps_heading, starves, hazard_damage, me, near,
                           k_near if wide_plies > 0 else min(k_near, 1), asked, deadly,
                           base[0], my_deadly[0], options[0], counts[0])
    counted[0] = 0
    nodes, d = 0, 0
    while True:
        c = child[d]
        if c < 4 * replies[d]:
            m = c // replies[d]
            if my_deadly[d, m]:  # deadly whatever the reply: no step
                for r in range(replies[d]):
                    values[d, m, r] = LOSS + scratch.turn[d] + 1
                child[d] = (m + 1) * replies[d]
                continue
            if nodes == node_limit:
                return ABORTED
            child[d] += 1
            reply = c % replies[d]
            row = d + 1
            copy_game(scratch, d, scratch, row)
            for s in range(seats):
                moves[row, s] = base[d, s]
            moves[row, me] = m
            code = reply
            for k in range(k_near):
                moves[row, near[k]] = options[d, k, code % counts[d, k]]
                code //= counts[d, k]
            one[0] = row
            for s in range(seats):
                t.dead[row, s] = False
            run_program(program, scratch, t)
            nodes += 1
            branching = k_near if row < wide_plies else min(k_near, 1)
            if row == depth or scratch.done[row] or not scratch.alive[row, me]:
                if count_next and row == depth and not scratch.done[row] and scratch.alive[row, me]:
                    deeper = plan_node(scratch, row, board, keeps_heading, starves, hazard_damage, me, near, branching,
                                       asked, deadly, base[row], my_deadly[row], options[row], counts[row])
                    counted[0] += open_children(my_deadly[row], deeper)
                values[d, m, reply] = leaf_score(scratch, row, adjacent, steps, me, rivals, owned, free_at, stamp,
                                                 claim, front, reached)
            else:
                replies[row] = plan_node(scratch, row, board, keeps_heading, starves, hazard_damage, me, near,
                                         branching, asked, deadly, base[row], my_deadly[row], options[row], counts[row])
                child[row] = 0
                d = row
        else:
            best = -np.inf
            for m in range(4):
                value = combine(values[d, m], replies[d])
                if d == 0:
                    out[m] = value
                best = max(best, value)
            if d == 0:
                return nodes
            d -= 1
            c = child[d] - 1
            values[d, c // replies[d], c % replies[d]] = best


class Lookahead:
    """``search_tree`` for one engine (its program, board table and move-safety rules), with a scratch
    batch kept per seat count and depth."""

    def __init__(self, engine) -> None:
        safety = engine.safety
        self.engine = engine
        self.rules = (engine._program, engine._settings, engine._board, neighbour_table(engine._board),
                      safety.keeps_heading, safety.starves, safety.hazard_damage, engine.work_size)
        self._scratch: dict[tuple[int, int], GameBatch] = {}

    def values(self, batch: GameBatch, me: int, near: list[int], rivals: int, depth: int,
               node_limit: int, wide_plies: int = WIDE) -> tuple[np.ndarray | None, int]:
        """(value of each of ``me``'s 4 moves, nodes stepped) for game 0 of ``batch``, ``depth`` plies deep;
        (None, the nodes stepped before giving up) when the tree has more than ``node_limit`` nodes."""
        values, nodes, _ = self.search(batch, me, near, rivals, depth, node_limit, False, wide_plies)
        return values, nodes

    def search(self, batch: GameBatch, me: int, near: list[int], rivals: int, depth: int, node_limit: int,
               count_next: bool = True, wide_plies: int = WIDE) -> tuple[np.ndarray | None, int, int]:
        """``values`` and, third, the nodes one more ply would add to this tree (with ``count_next``;
        else 0): a deeper tree then has exactly ``nodes + that`` nodes."""
        if len(near) > MAX_NEAR:
            raise ValueError(f"at most {MAX_NEAR} rivals can branch, got {len(near)}")
        key = (batch.seats, depth)
        scratch = self._scratch.get(key)
        if scratch is None:
            above = batch.hazard.shape[1] > batch.geometry.cells  # a map's state above the board (snail_mode)
            scratch = self._scratch[key] = GameBatch.empty(batch.geometry, depth + 1, batch.seats, above)
        out, counted = np.empty(4, np.float64), np.zeros(1, np.int64)
        nodes = search_tree(*self.rules, batch.arrays(), scratch.arrays(), me, np.array(near, np.int64), wide_plies,
                            rivals, depth, node_limit, out, count_next, counted)
        return (None, node_limit, 0) if nodes == ABORTED else (out, nodes, int(counted[0]))
