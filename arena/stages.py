"""Rule stages: small functions over a batch, composed into rulesets (see ``arena.rules``).

Each stage reads and updates a ``Step`` (the batch plus this turn's scratch masks), in the
order Battlesnake's pipeline runs them.  Nothing here loops over games or snakes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from arena import rng
from arena.geometry import OPPOSITE, frozen
from arena.state import CAUSE_INDEX, MAX_HEALTH, GameBatch

OUT_OF_HEALTH = CAUSE_INDEX["out-of-health"]
WALL = CAUSE_INDEX["wall-collision"]
HAZARD = CAUSE_INDEX["hazard"]
SELF_COLLISION = CAUSE_INDEX["snake-self-collision"]
BODY_COLLISION = CAUSE_INDEX["snake-collision"]
HEAD_COLLISION = CAUSE_INDEX["head-collision"]


@dataclass
class Step:
    """One turn in progress: what moved, who is still in play, and the new turn number."""

    batch: GameBatch
    settings: dict
    moves: np.ndarray  # (B, N) int8 requested moves, -1 for none
    stepping: np.ndarray  # (B,) games that advance this call
    active: np.ndarray  # (B, N) snakes still in play this turn
    dead: np.ndarray  # (B, N) snakes eliminated this turn (bodies still on the grid until lifted)
    new_turn: np.ndarray  # (B,) int32
    game_offset: np.ndarray  # (B, N) int64 offset of each snake's game in the flattened grids
    seat_ids: np.ndarray  # (B, N) int8 seat of each snake (full shape: numpy is slow on tiny broadcasts)
    row_base: np.ndarray  # (B, N) int64 flat index of seat 0 of each snake's game in (B * N) arrays
    ring_start: np.ndarray  # (B, N) int64 flat index of each snake's ring row in ``ring.reshape(-1)``
    no_head: np.ndarray  # (B, N) int32 -1 - seat: a cell no head is on, distinct per seat
    everyone: bool = False  # every game steps: masking by ``stepping`` can be skipped
    deaths: bool = False  # ``dead`` has a snake in it (lets the common no-death turn skip work)
    flat: np.ndarray | None = None  # (B, N) heads as flat grid indices, set once the snakes moved

    def head_flat(self) -> np.ndarray:
        if self.flat is None:
            self.flat = self.game_offset + self.batch.head
        return self.flat


def neck_cells(batch: GameBatch) -> np.ndarray:
    ptr = batch.head_ptr.ravel()
    return batch.ring[np.arange(ptr.size), (ptr - 1) & batch.ring_mask].reshape(batch.head.shape)


def neck_direction(batch: GameBatch, neck: np.ndarray | None = None) -> np.ndarray:
    """Battlesnake's default move: the direction from neck to head (wrap-aware), else up."""
    g = batch.geometry
    neck = neck_cells(batch) if neck is None else neck
    hx, hy = g.x_of[batch.head], g.y_of[batch.head]
    nx, ny = g.x_of[neck], g.y_of[neck]
    conditions = [hx == nx + 1, hx == nx - 1, hy == ny + 1, hy == ny - 1,
                  (hx == 0) & (nx > 0), (nx == 0) & (hx > 0), (hy == 0) & (ny > 0), (ny == 0) & (hy > 0)]
    choices = [3, 2, 0, 1, 3, 2, 0, 1]
    direction = np.select(conditions, choices, default=0).astype(np.int8)
    return np.where(batch.length >= 2, direction, np.int8(0))


def kill(step: Step, causes: np.ndarray, by: np.ndarray | None = None) -> None:
    """Eliminate snakes this turn: ``causes`` holds a CAUSES index per snake (0 = survives).

    Their bodies stay on the grid until ``_eliminate`` lifts every snake that died this turn
    at once; until then collision checks ignore cells owned by ``step.dead`` snakes.
    """
    dies = causes > 0
    if not np.count_nonzero(dies):
        return
    b = step.batch
    lives = ~dies
    b.alive &= lives
    np.copyto(b.death_cause, causes, where=dies, casting="unsafe")
    np.copyto(b.death_turn, step.new_turn[:, None], where=dies)
    np.copyto(b.death_by, -1 if by is None else by, where=dies, casting="unsafe")
    step.active &= lives
    step.dead |= dies
    step.deaths = True


def _advance(step: Step, moves: np.ndarray) -> None:
    """Prepend the new head and drop the tail of every snake in play."""
    b = step.batch
    act = step.active
    ring = b.ring.reshape(-1)
    ptr = b.head_ptr
    mask = b.ring_mask
    tail = step.game_offset + ring[step.ring_start + ((ptr - b.length + 1) & mask)]
    b.occ.reshape(-1)[tail[act]] -= 1
    np.copyto(b.head, b.geometry.next_cell[b.head, moves], where=act)  # snakes not in play stay put
    ptr += act
    ptr &= mask
    ring[step.ring_start + ptr] = b.head  # snakes not in play rewrite their own head
    np.copyto(b.last_move, moves, where=act)
    step.flat = step.game_offset + b.head


def move(step: Step) -> None:
    """Move every live snake; a missing or invalid move becomes the neck direction."""
    moves = step.moves
    if np.count_nonzero(moves.view(np.uint8) > 3):  # -1 (as uint8: 255) or garbage somewhere: the slow path
        invalid = step.active & ((moves < 0) | (moves > 3))
        if np.count_nonzero(invalid):
            moves = np.where(invalid, neck_direction(step.batch), moves)
        moves = np.where(step.active, moves, np.int8(0))
    _advance(step, moves)


def keep_heading(moves: np.ndarray, heading: np.ndarray, has_neck: np.ndarray) -> np.ndarray:
    """Classic's move rule (shapes broadcast): a missing move, or a 180-degree reversal of a snake
    that has a neck (a lone head has no "back"), keeps the current heading."""
    moves = np.where((moves < 0) | (moves > 3), heading, moves)
    return np.where(has_neck & (moves == OPPOSITE[heading]), heading, moves)


def move_classic(step: Step) -> None:
    """Classic movement: a missing move or a 180-degree reversal keeps the current heading."""
    neck = neck_cells(step.batch)
    heading = neck_direction(step.batch, neck)
    has_neck = (step.batch.length >= 2) & (step.batch.head != neck)
    moves = keep_heading(step.moves, heading, has_neck)
    _advance(step, np.where(step.active, moves, np.int8(0)))


def starve(step: Step) -> None:
    step.batch.health -= step.active


def hazard_damage(step: Step) -> None:
    """Each hazard entry under a head costs hazardDamagePerTurn, unless food is on that cell."""
    b = step.batch
    flat = step.head_flat()
    stacks = b.hazard.reshape(-1)[flat]
    if not np.count_nonzero(stacks):  # the usual case (no hazards outside royale): two cheap calls
        return
    hit = step.active & (stacks > 0) & ~b.food.reshape(-1)[flat]
    if not np.count_nonzero(hit):
        return
    damage = stacks.astype(np.int32) * int(step.settings["hazardDamagePerTurn"])
    b.health[:] = np.where(hit, np.clip(b.health - damage, 0, MAX_HEALTH), b.health)
    kill(step, np.where(hit & (b.health <= 0), HAZARD, 0))


def _feed(step: Step, growth: int, heal: bool) -> None:
    b = step.batch
    flat = step.head_flat()
    eats = b.food.reshape(-1)[flat]
    if not np.count_nonzero(eats):
        return
    eats &= step.active
    rows = eats.ravel().nonzero()[0]  # game * seats + seat
    if not rows.size:
        return
    if heal:
        b.health.reshape(-1)[rows] = MAX_HEALTH
    for _ in range(growth):
        b.grow_rows(rows)
    b.food.reshape(-1)[flat.reshape(-1)[rows]] = False
    fed = eats.any(axis=1)  # several snakes may share one food: recount rather than subtract
    b.food_count[fed] = b.food[fed].sum(axis=1)


def feed(step: Step) -> None:
    """Snakes whose head is on food: health back to full, tail duplicated; several may share one food."""
    _feed(step, growth=1, heal=True)


def feed_classic(step: Step) -> None:
    """Classic food: +2 segments, no health."""
    _feed(step, growth=2, heal=False)


@lru_cache(maxsize=16)
def _seat_pairs(seats: int) -> tuple[np.ndarray, np.ndarray]:
    first, second = np.triu_indices(seats, 1)
    return first, second


def _eliminate(step: Step, head_on_kills_all: bool) -> None:
    b = step.batch
    act = step.active
    flat = step.head_flat()
    occ = b.occ.reshape(-1)
    # Pass 1: out of health, then off the board; these snakes are no obstacle in pass 2.
    out = act > (b.geometry.interior[b.head] & (b.health > 0))  # act & ~(on the board and healthy)
    # Pass 2: all decided against the moved board, then applied together.
    hit = occ[flat] > 0
    hit &= act
    # Head-to-head: compare each pair of seats; (pairs, B) arrays keep numpy's loops long.
    i, j = _seat_pairs(b.seats)
    heads = np.where(act, b.head, step.no_head).T
    same = heads[i] == heads[j]
    if np.count_nonzero(out) or np.count_nonzero(hit) or np.count_nonzero(same):
        _collide(step, head_on_kills_all, out, hit, same)
    if step.deaths:
        b.lift_rows(step.dead.ravel().nonzero()[0], skip_head=True)  # the new heads are not on the grid yet
        act = step.active
    cells = flat[act]
    occ[cells] = 1  # a survivor's new head is on a free cell (a taken one would have killed it)
    b.owner.reshape(-1)[cells] = step.seat_ids[act]


def _collide(step: Step, head_on_kills_all: bool, out: np.ndarray, hit: np.ndarray, same: np.ndarray) -> None:
    """The eliminations of ``_eliminate`` once its cheap checks found some."""
    b = step.batch
    flat = step.flat
    owner = b.owner.reshape(-1)[flat]
    pass_one = np.count_nonzero(out) > 0
    first = np.where(out, np.where(b.health <= 0, OUT_OF_HEALTH, WALL), 0) if pass_one else 0
    if pass_one:  # pass-1 victims take no part in pass 2
        act = step.active & ~out
        hit &= act
        heads = np.where(act, b.head, step.no_head).T
        i, j = _seat_pairs(b.seats)
        same = heads[i] == heads[j]
    if pass_one or step.deaths:
        # Snakes already eliminated this turn are no obstacle: their cells (owned by them alone) do not count.
        gone = step.dead | out
        hit &= ~gone.reshape(-1)[step.row_base + owner]
    causes = np.where(hit, np.where(owner == step.seat_ids, SELF_COLLISION, BODY_COLLISION), first)
    by = np.where(hit, owner, -1)  # own seat on a self-collision
    if np.count_nonzero(same):
        i, j = _seat_pairs(b.seats)
        seats = np.arange(b.seats)
        same_all = np.zeros((b.seats, b.seats, b.size), bool)
        same_all[i, j] = same
        same_all[j, i] = same
        length = np.ascontiguousarray(b.length.T)
        beaten = same_all if head_on_kills_all else same_all & (length[:, None, :] <= length[None, :, :])
        lost = beaten.any(axis=1).T & ~hit
        if np.count_nonzero(lost):
            games = lost.any(axis=1).nonzero()[0]
            rank = length[:, games] * 32 + (31 - seats[:, None])  # longest first, then lowest seat
            killer = np.where(beaten[:, :, games], rank[None, :, :], -1).argmax(axis=1).T
            causes = np.where(lost, HEAD_COLLISION, causes)
            by[games] = np.where(lost[games], killer, by[games])
    kill(step, causes, by.astype(np.int8))


def eliminate(step: Step) -> None:
    """Battlesnake's two-pass elimination; in a head-on the shorter or equal snakes die."""
    _eliminate(step, head_on_kills_all=False)


def eliminate_classic(step: Step) -> None:
    """Classic: as standard, but a head-on kills every snake in it (fair, order-free)."""
    _eliminate(step, head_on_kills_all=True)


def place_food(batch: GameBatch, games: np.ndarray, counts: np.ndarray, keys: np.ndarray, stream: int) -> None:
    """Add up to ``counts`` food per game on the best-scoring free cells.

    Free: on the board, no live segment, no food, not next to a live head (unwrapped
    neighbours, as Battlesnake's GetUnoccupiedPoints).  Hazards do not block food.
    """
    if not games.size:
        return
    g = batch.geometry
    blocked = (batch.occ[games] > 0) | batch.food[games] | ~g.interior
    near = np.where(batch.alive[games][:, :, None], g.neighbours[batch.head[games]], 0)  # cell 0: a wall
    blocked[np.arange(games.size)[:, None, None], near] = True
    scores = rng.score_np(keys[:, None], stream, range(g.area))
    np.copyto(scores, 0, where=blocked[:, g.interior_cells])
    picks = np.arange(games.size)
    for k in range(int(counts.max())):
        best = scores.argmax(axis=1)
        ok = (scores[picks, best] > 0) & (k < counts)
        cells = g.interior_cells[best[ok]]
        batch.food[games[ok], cells] = True
        batch.food_count[games[ok]] += 1
        scores[picks, best] = 0


_HUNDRED = np.uint64(100)
_SHRINK_STEP = frozen(np.array([1, -1, 1, -1], np.int32))  # per side: min x in, max x in, min y in, max y in


def spawn_food(step: Step) -> None:
    """Top food up to minimumFood; otherwise add one with foodSpawnChance percent.

    The chance test is Battlesnake's ``100 - rand.Intn(100) < foodSpawnChance`` exactly.
    """
    b = step.batch
    minimum = int(step.settings["minimumFood"])
    chance = int(step.settings["foodSpawnChance"])
    count = b.food_count
    keys = rng.turn_key_np(b.seed_key, step.new_turn)
    if chance > 0:
        lucky = rng.draw_np(keys, rng.FOOD_CHANCE, 0) % _HUNDRED > np.uint64(100 - chance)  # 100 - roll < chance
        need = np.where(count < minimum, minimum - count, lucky)
    else:
        need = np.maximum(minimum - count, 0)
    if not step.everyone:
        need *= step.stepping
    games = need.nonzero()[0]
    if games.size:
        place_food(b, games, need[games], keys[games], rng.FOOD_CELL)


def spawn_food_classic(step: Step) -> None:
    """Classic food target: max(live snakes - 1, 1) on the board at all times."""
    b = step.batch
    target = np.maximum(b.alive.sum(axis=1) - 1, 1)
    need = np.where(step.stepping, np.maximum(target - b.food_count, 0), 0)
    games = np.nonzero(need)[0]
    place_food(b, games, need[games], rng.key_np(b.seed[games], step.new_turn[games]), rng.FOOD_CELL)


def remove_food(step: Step) -> None:
    """Constrictor: no food, ever."""
    b = step.batch
    b.food[step.stepping] = False
    b.food_count[step.stepping] = 0


def grow_always(step: Step) -> None:
    """Constrictor: every live snake is healed and grows, unless its tail is already stacked."""
    b = step.batch
    games, seats = np.nonzero(step.active)
    rows = games * b.seats + seats
    ptr, length = b.head_ptr[games, seats], b.length[games, seats]
    tail = b.ring[rows, (ptr - length + 1) & b.ring_mask]
    sub_tail = b.ring[rows, (ptr - length + 2) & b.ring_mask]
    b.health[games, seats] = MAX_HEALTH
    grows = (tail != sub_tail) & (length >= 2)
    b.grow(games[grows], seats[grows])


def shrink_royale(step: Step) -> None:
    """Every shrinkEveryNTurns turns one random side of the safe box moves in; outside is hazard.

    As Battlesnake's royale map, sides are not stopped at each other: once two cross, the box is
    empty and the whole board is hazard for the rest of the game."""
    b = step.batch
    every = int(step.settings["shrinkEveryNTurns"])
    turn = step.new_turn
    games = np.nonzero(step.stepping & (turn >= every) & (turn % every == 0))[0]
    if not games.size:
        return
    side = rng.draw_np(rng.key_np(b.seed[games], turn[games] // every), rng.ROYALE_SIDE, 0) % np.uint64(4)
    box = b.box[games]
    box[np.arange(games.size), side.astype(np.intp)] += _SHRINK_STEP[side.astype(np.intp)]
    b.box[games] = box
    g = b.geometry
    x, y = g.x_of[None, :], g.y_of[None, :]
    inside = (x >= box[:, :1]) & (x <= box[:, 1:2]) & (y >= box[:, 2:3]) & (y <= box[:, 3:4])
    b.hazard[games] = (g.interior & ~inside).astype(np.int16)


def game_over_standard(step: Step) -> None:
    b = step.batch
    over = np.add.reduce(b.alive, axis=1) <= 1
    b.done |= over if step.everyone else over & step.stepping


def game_over_solo(step: Step) -> None:
    b = step.batch
    b.done |= step.stepping & ~b.alive.any(axis=1)


def game_over_classic(step: Step) -> None:
    """Classic: a lone snake plays until it dies; several play until one is left."""
    b = step.batch
    alive = b.alive.sum(axis=1)
    b.done |= step.stepping & ((alive == 0) | ((alive <= 1) & (b.present.sum(axis=1) > 1)))


def game_over_never(step: Step) -> None:
    """Endless drop-in games (the live classic server) never end by themselves."""
