"""The compiled search tree (``arena.lookahead``): its nodes are the engine's own steps, its flood fill
counts what it says, and a node budget bounds it exactly, so a search gives the same answer anywhere."""

from __future__ import annotations

import numpy as np
import pytest

from arena.engine import Engine
from arena.geometry import MOVES
from arena.lookahead import LOSS, WIDE, Lookahead, neighbour_table, territory
from arena.rules import RULESETS
from arena.state import Arrays

PER_FIELD = [name for name in Arrays._fields if name != "ring"]


def positions(engine: Engine, seeds: range, turns: int) -> list:
    """One-game batches of 2 snakes, several turns into seeded games (moves: the first open one)."""
    found = []
    for seed in seeds:
        batch = engine.new_batch([seed], num_snakes=2)
        for _ in range(turns):
            if batch.done[0]:
                break
            found.append(batch.copy())
            engine.step(batch, np.argmax(~engine.deadly_moves(batch), axis=2).astype(np.int8))
    return found


@pytest.mark.parametrize("ruleset", [name for name in RULESETS if RULESETS[name].min_snakes <= 2])
def test_a_tree_node_is_exactly_the_engines_step(ruleset: str) -> None:
    """After a one-ply walk, the scratch game of depth 1 holds the last child: my last open move against
    the near rival's last open move.  ``Engine.step`` on the same joint move gives the same game, field
    by field and body by body (wrapping, growth, hazards, food spawns included).  My deadly moves are
    not stepped: each is worth my death next turn, and the step would indeed kill me."""
    engine = Engine(ruleset, 11, 11)
    lookahead = Lookahead(engine)
    compared = deadly_seen = 0
    for root in positions(engine, range(6), 12):
        if not root.alive[0].all():
            continue
        values, nodes = lookahead.values(root, 0, [1], 1, 1, 1_000)
        deadly = engine.deadly_moves(root)[0]
        mine, theirs = np.flatnonzero(~deadly[0]), np.flatnonzero(~deadly[1])
        assert values is not None and nodes == len(mine) * max(len(theirs), 1)
        for move in np.flatnonzero(deadly[0]):
            assert values[move] == LOSS + root.turn[0] + 1
            killed = root.select([0])
            engine.step(killed, np.array([[move, theirs[0] if len(theirs) else 0]], np.int8))
            assert not killed.alive[0, 0], (ruleset, move)
            deadly_seen += 1
        if not len(theirs) or not len(mine):  # the rival then plays its plausible move: not the case compared
            continue
        expected = root.select([0])
        engine.step(expected, np.array([[mine[-1], theirs[-1]]], np.int8))
        scratch = lookahead._scratch[(root.seats, 1)]
        for name in PER_FIELD:
            assert np.array_equal(getattr(scratch, name)[1], getattr(expected, name)[0]), (ruleset, name)
        for seat in range(root.seats):
            if expected.alive[0, seat]:
                assert np.array_equal(scratch.body_cells(1, seat), expected.body_cells(0, seat)), ruleset
        compared += 1
    assert compared >= 10, compared
    assert deadly_seen >= 10, deadly_seen


def test_flood_fill_splits_the_board_between_heads() -> None:
    """Two one-cell snakes in opposite corners of 5x5: each owns the 9 cells nearer to it (its head
    not counted), the 5 cells of the diagonal between them are nobody's; food 2 steps away is found."""
    engine = Engine("standard", 5, 5)
    batch = engine.from_positions([{"turn": 0, "food": [[0, 2]], "hazards": [], "snakes": [
        {"body": [[0, 0]], "health": 100}, {"body": [[4, 4]], "health": 100}]}])
    cells = engine.geometry.cells
    owned = np.zeros(2, np.int64)
    scratch = [np.empty(cells, np.int32) for _ in range(5)]
    distance = territory(batch.arrays(), 0, neighbour_table(engine._board), 16, 0, owned, *scratch)
    assert owned.tolist() == [9, 9]
    assert distance == 2


def test_flood_fill_waits_for_a_tail_to_leave() -> None:
    """A snake boxed in by its own body owns the cells its tail frees, in the turns they free up."""
    engine = Engine("standard", 3, 3)
    body = [[1, 1], [1, 0], [0, 0], [0, 1], [0, 2], [1, 2], [2, 2], [2, 1]]  # head in the middle, 8 long
    batch = engine.from_positions([{"turn": 0, "food": [], "hazards": [], "snakes": [
        {"body": body, "health": 100}]}])
    owned = np.zeros(1, np.int64)
    scratch = [np.empty(engine.geometry.cells, np.int32) for _ in range(5)]
    territory(batch.arrays(), 0, neighbour_table(engine._board), 1, 0, owned, *scratch)
    assert owned.tolist() == [1]  # after one turn only the tail's cell (2, 1) is free, and it is next to the head
    territory(batch.arrays(), 0, neighbour_table(engine._board), 2, 0, owned, *scratch)
    assert owned.tolist() == [3]  # then the free (2, 0) and (2, 2), which its segment leaves after 2 turns


def test_a_node_limit_stops_the_walk_exactly() -> None:
    engine = Engine("standard")
    root = engine.new_batch([3], num_snakes=2)
    lookahead = Lookahead(engine)
    full, nodes = lookahead.values(root, 0, [1], 1, 3, 10**9)
    assert full is not None and nodes > 100
    assert lookahead.values(root, 0, [1], 1, 3, nodes) == (pytest.approx(full), nodes)
    cut, stepped = lookahead.values(root, 0, [1], 1, 3, nodes - 1)
    assert cut is None and stepped == nodes - 1
    assert [MOVES[int(np.argmax(lookahead.values(root, 0, [1], 1, 3, nodes)[0]))] for _ in range(3)] == \
        [MOVES[int(np.argmax(full))]] * 3


@pytest.mark.parametrize("ruleset", ["standard", "wrapped", "royale", "constrictor"])
def test_a_walk_counts_the_next_ply_exactly(ruleset: str) -> None:
    """What a walk says one more ply would add is exactly what the deeper walk steps, so a search knows
    a deeper tree's size before walking it.  4 snakes on 7x7, both nearest rivals branching at every
    ply, or (``wide_plies=2``) only the nearest beyond two plies: the same trees to two plies, a third
    ply no bigger, and smaller somewhere."""
    engine = Engine(ruleset, 7, 7)
    lookahead = Lookahead(engine)
    checked = narrower = 0
    for seed in range(3):
        batch = engine.new_batch([seed], num_snakes=4)
        for _ in range(10):
            if batch.done[0] or not batch.alive[0, 0]:
                break
            rivals = [int(s) for s in np.flatnonzero(batch.alive[0]) if s != 0][:2]
            sizes = {}
            for wide in (WIDE, 2):
                sizes[wide] = [lookahead.search(batch, 0, rivals, len(rivals), depth, 10**6, True, wide)
                               for depth in (1, 2, 3)]
                for (_, nodes, more), (_, deeper, _) in zip(sizes[wide], sizes[wide][1:]):
                    assert deeper == nodes + more, (ruleset, wide, nodes, more, deeper)
                    checked += 1
            assert [n for _, n, _ in sizes[2][:2]] == [n for _, n, _ in sizes[WIDE][:2]]
            assert sizes[2][2][1] <= sizes[WIDE][2][1]
            narrower += sizes[2][2][1] < sizes[WIDE][2][1]
            engine.step(batch, np.argmax(~engine.deadly_moves(batch), axis=2).astype(np.int8))
    assert checked >= 60, checked  # constrictor games end soonest: 72
    assert narrower >= 3, narrower
