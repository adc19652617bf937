"""The compiled search tree (``arena.lookahead``): its nodes are the engine's own steps, its flood fill
counts what it says, and a node budget bounds it exactly, so a search gives the same answer anywhere."""

from __future__ import annotations

import numpy as np
import pytest

from arena.engine import Engine
from arena.geometry import MOVES
from arena.lookahead import Lookahead, neighbour_table, territory
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
    """After a one-ply walk, the scratch game of depth 1 holds the last child: my move ``right`` (3)
    against the near rival's last open move.  ``Engine.step`` on the same joint move gives the same
    game, field by field and body by body (wrapping, growth, hazards, food spawns included)."""
    engine = Engine(ruleset, 11, 11)
    lookahead = Lookahead(engine)
    compared = 0
    for root in positions(engine, range(6), 12):
        if not root.alive[0].all():
            continue
        values, nodes = lookahead.values(root, 0, [1], 1, 1, 1_000)
        open_moves = np.flatnonzero(~engine.deadly_moves(root)[0, 1])
        assert values is not None and nodes == 4 * max(len(open_moves), 1)
        if not len(open_moves):  # the rival then plays its plausible move: not the case compared here
            continue
        expected = root.select([0])
        engine.step(expected, np.array([[3, open_moves[-1]]], np.int8))
        scratch = lookahead._scratch[(root.seats, 1)]
        for name in PER_FIELD:
            assert np.array_equal(getattr(scratch, name)[1], getattr(expected, name)[0]), (ruleset, name)
        for seat in range(root.seats):
            if expected.alive[0, seat]:
                assert np.array_equal(scratch.body_cells(1, seat), expected.body_cells(0, seat)), ruleset
        compared += 1
    assert compared >= 10, compared


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
