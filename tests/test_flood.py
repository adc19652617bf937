"""The bots' compiled searches (arena/flood.py) against plain-Python answers.

They run on random boards (sizes 3 to 25, wrapped or not, random walls) and are compared with a
textbook BFS over (x, y) coordinates that does not use the engine's board table."""

from __future__ import annotations

from collections import deque

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arena.flood import distance_map, nearest, room
from arena.geometry import Geometry
from arena.position import BLOCKED, FOOD
from arena.stages import board_table

EXAMPLES = 150


@st.composite
def boards(draw) -> dict:
    width, height = draw(st.integers(3, 25)), draw(st.integers(3, 25))
    wrapped = draw(st.booleans())
    density = draw(st.sampled_from([0.0, 0.2, 0.4, 0.6]))
    rnd = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    walls = rnd.random((height, width)) < density
    food = rnd.random((height, width)) < 0.05
    points = [(int(x), int(y)) for x, y in zip(rnd.integers(0, width, 4), rnd.integers(0, height, 4))]
    return {"width": width, "height": height, "wrapped": wrapped, "walls": walls, "food": food,
            "sources": points[:draw(st.integers(0, 2))], "starts": points[2:]}


def python_bfs(b: dict, sources: list[tuple[int, int]], first: int = 0, before: dict | None = None) -> dict:
    """Steps from ``sources`` (starting at ``first``) through cells without a wall; with ``before``,
    only into cells reached strictly earlier than there."""
    dist = dict.fromkeys(sources, first)
    queue = deque(sources)
    while queue:
        x, y = queue.popleft()
        for dx, dy in ((0, 1), (0, -1), (-1, 0), (1, 0)):
            nx, ny = x + dx, y + dy
            if b["wrapped"]:
                nx, ny = nx % b["width"], ny % b["height"]
            if not (0 <= nx < b["width"] and 0 <= ny < b["height"]) or b["walls"][ny, nx] or (nx, ny) in dist:
                continue
            if before is not None and (nx, ny) in before and dist[(x, y)] + 1 >= before[(nx, ny)]:
                continue
            dist[(nx, ny)] = dist[(x, y)] + 1
            queue.append((nx, ny))
    return dist


def compiled_board(b: dict) -> tuple[Geometry, np.ndarray, np.ndarray]:
    g = Geometry(b["width"], b["height"], b["wrapped"])
    cells = np.zeros(g.cells, np.int64)
    for y in range(b["height"]):
        for x in range(b["width"]):
            cells[g.cell(x, y)] = BLOCKED * int(b["walls"][y, x]) | FOOD * int(b["food"][y, x])
    return g, board_table(g), cells


def test_searches_match_a_plain_python_bfs() -> None:
    ran = []

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(boards())
    def check(b: dict) -> None:
        g, table, cells = compiled_board(b)
        cell = [g.cell(x, y) for x, y in b["starts"]]
        rivals = python_bfs(b, b["sources"])
        expected_map = np.full(g.cells, -1)
        for (x, y), d in rivals.items():
            expected_map[g.cell(x, y)] = d
        found = distance_map(table, cells, BLOCKED, np.array([g.cell(x, y) for x, y in b["sources"]], np.int64))
        assert found.tolist() == expected_map.tolist()

        starts = np.array(cell, np.int64)
        assert room(table, cells, BLOCKED, starts, np.empty(0, np.int32)).tolist() == \
            [len(python_bfs(b, [p])) for p in b["starts"]]  # flood-fill sizes
        assert room(table, cells, BLOCKED, starts, found).tolist() == \
            [len(python_bfs(b, [p], 1, rivals)) for p in b["starts"]]  # the race against the sources
        expected_food = []
        for p in b["starts"]:
            reached = [d for (x, y), d in python_bfs(b, [p]).items() if b["food"][y, x]]
            expected_food.append(min(reached) if reached else -1)
        assert nearest(table, cells, BLOCKED, FOOD, starts).tolist() == expected_food
        ran.append((b["width"], b["height"], b["wrapped"]))

    check()
    assert len(ran) == EXAMPLES
    assert any(w for *_, w in ran) and not all(w for *_, w in ran)  # both edge rules were exercised
    assert max(w * h for w, h, _ in ran) > 300 and min(w * h for w, h, _ in ran) < 50  # small and big boards


def test_a_wall_enclosed_room_is_counted_exactly() -> None:
    """A 3x3 pocket in the corner of a 7x7 board: 9 cells from inside, the other 33 from outside."""
    walls = np.zeros((7, 7), bool)
    walls[3, :4] = walls[:3, 3] = True
    b = {"width": 7, "height": 7, "wrapped": False, "walls": walls, "food": np.zeros((7, 7), bool)}
    g, table, cells = compiled_board(b)
    starts = np.array([g.cell(0, 0), g.cell(6, 6)], np.int64)
    assert room(table, cells, BLOCKED, starts, np.empty(0, np.int32)).tolist() == [9, 49 - 9 - 7]
    assert nearest(table, cells, BLOCKED, FOOD, starts).tolist() == [-1, -1]
    b["wrapped"] = True  # the walls no longer close the pocket: it opens over the edges
    g, table, cells = compiled_board(b)
    assert room(table, cells, BLOCKED, starts, np.empty(0, np.int32)).tolist() == [42, 42]
