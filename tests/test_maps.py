"""Battlesnake's maps as stages of the engine: metadata, refusals, each map's setup and update against
positions taken from the official map's rules, determinism, and replays that record their map."""

from __future__ import annotations

import numpy as np
import pytest
from replay_tools import lines_of, record_game, rewrite

from arena.engine import Engine
from arena.maps import MAPS, get_map
from arena.replay import ReplayError, read_replay
from arena.verify import verify

OFFICIAL = ("standard", "empty", "royale", "arcade_maze", "hz_castle_wall", "hz_castle_wall_lg", "hz_castle_wall_xl",
            "hz_hazard_pits", "hz_inner_wall", "hz_rings", "hz_columns", "hz_rivers_bridges", "hz_rivers_bridges_lg",
            "hz_rivers_bridges_xl", "hz_islands_bridges", "hz_islands_bridges_lg", "hz_spiral", "hz_scatter",
            "hz_grow_box", "hz_expand_box", "hz_expand_scatter", "healing_pools", "sinkholes", "snail_mode",
            "solo_maze")


def engine_for(name: str, **kwargs) -> Engine:
    return Engine(get_map(name).rulesets[0], map=name, **kwargs)


def hazards_of(engine: Engine, batch, game: int = 0) -> list[tuple[int, int]]:
    """The game's hazard entries as sorted (x, y) points, stacked entries repeated."""
    return sorted(tuple(p) for p in engine.frame(batch, game)["hazards"])


def test_every_official_map_is_listed_with_its_metadata():
    assert tuple(MAPS) == OFFICIAL
    assert len(MAPS) == 25
    for game_map in MAPS.values():
        assert game_map.description and "\n" not in game_map.description
        assert game_map.default_size in game_map.sizes
        assert game_map.min_snakes <= game_map.default_snakes <= game_map.max_snakes
    assert get_map("arcade_maze").default_size == (19, 21)
    assert get_map("hz_castle_wall_xl").default_size == (25, 25)
    assert get_map("solo_maze").default_snakes == 1


def test_unknown_map_is_one_line_naming_the_choices():
    with pytest.raises(ValueError, match=r"^unknown map 'nope' \(choose from standard, empty, royale, ") as err:
        get_map("nope")
    assert "\n" not in str(err.value) and "solo_maze" in str(err.value)


@pytest.mark.parametrize(("name", "size", "snakes", "message"), [
    ("arcade_maze", (11, 11), 4, "map arcade_maze is played on board 19x21 with 1 to 6 snakes, not on 11x11"),
    ("arcade_maze", (19, 21), 7, "map arcade_maze is played on board 19x21 with 1 to 6 snakes, not with 7"),
    ("standard", (8, 8), 2, "map standard is played on odd square boards 7x7 to 25x25 with 1 to 16 snakes, not on 8x8"),
    ("healing_pools", (9, 9), 2, "map healing_pools is played on boards 7x7, 11x11 or 19x19 with 1 to 8 snakes, "
                                 "not on 9x9"),
    ("solo_maze", (11, 11), 2, "map solo_maze is played on boards 7x7, 11x11, 19x19, 19x21 or 25x25 with 1 snake, "
                               "not with 2"),
])
def test_unsupported_sizes_and_snake_counts_are_refused_in_one_line(name, size, snakes, message):
    game_map = get_map(name)
    with pytest.raises(ValueError) as err:
        game_map.check(*size, snakes)
    assert str(err.value) == message


def test_engine_refuses_a_board_or_snake_count_the_map_does_not_support():
    with pytest.raises(ValueError, match="^map standard is played on odd square boards 7x7 to 25x25 .* not on 8x8$"):
        Engine("standard", 8, 8, map="standard")
    with pytest.raises(ValueError, match="^map solo_maze goes with ruleset solo, not standard$"):
        Engine("standard", map="solo_maze")
    with pytest.raises(ValueError, match="^map standard goes with rulesets standard, wrapped, .*, not classic$"):
        Engine("classic", map="standard")
    with pytest.raises(ValueError, match="^map hz_rings goes with rulesets standard, .*, not royale$"):
        Engine("royale", map="hz_rings")  # royale's shrink would replace the map's hazards every turn
    assert Engine("royale", map="empty").map.name == "empty"


def test_a_replay_naming_an_unknown_map_is_refused(tmp_path):
    path = record_game(tmp_path / "game.jsonl", seed=2, max_turns=5)

    def unknown(objs):
        objs[0]["map"] = "hz_nowhere"
    with pytest.raises(ReplayError, match="map: expected one of standard, empty, .*, got 'hz_nowhere'"):
        read_replay(rewrite(path, tmp_path / "unknown.jsonl", unknown))


def test_a_map_plays_on_its_usual_size_by_default():
    assert Engine("standard", map="standard").geometry.width == 11
    for name, game_map in MAPS.items():
        if game_map.implemented:
            g = engine_for(name).geometry
            assert (g.width, g.height) == game_map.default_size


def test_the_standard_map_plays_exactly_the_rulesets_own_games():
    """No map is Battlesnake's standard map (royale: the royale map): the same seed gives the same game."""
    for ruleset, name in (("standard", "standard"), ("royale", "royale"), ("wrapped", "standard")):
        plain, mapped = Engine(ruleset), Engine(ruleset, map=name)
        a, b = plain.new_batch(range(6), 4), mapped.new_batch(range(6), 4)
        rng = np.random.default_rng(3)
        for _ in range(120):
            moves = rng.integers(0, 4, a.alive.shape)
            plain.step(a, moves)
            mapped.step(b, moves)
        for game in range(6):
            assert plain.frame(a, game) == mapped.frame(b, game)


def test_empty_map_never_has_food():
    engine = Engine("standard", map="empty")
    batch = engine.new_batch(range(4), 2)
    for _ in range(30):
        engine.step(batch, np.zeros(batch.alive.shape, np.int64))
        assert not batch.food.any()


def test_constrictor_removes_the_maps_first_food():
    engine = Engine("constrictor", map="standard")
    assert not engine.new_batch(range(4), 4).food.any()


def test_a_replay_records_its_map_and_verifies_with_it(tmp_path):
    path = record_game(tmp_path / "royale.jsonl", seed=5, ruleset="standard", map="royale",
                       settings={"shrinkEveryNTurns": 5})
    header = lines_of(path)[0]
    assert header["map"] == "royale" and header["settings"]["shrinkEveryNTurns"] == 5
    frames = [o for o in lines_of(path) if o["type"] == "frame"]
    assert any(f["hazards"] for f in frames)  # the map's shrink really ran
    assert verify(read_replay(path)).ok

    def drop_map(objs):
        del objs[0]["map"]
    verdict = verify(read_replay(rewrite(path, tmp_path / "no-map.jsonl", drop_map)))
    assert not verdict.ok  # without its map the standard ruleset has no setting shrinkEveryNTurns
    assert "shrinkEveryNTurns" in verdict.detail


def test_a_replay_without_a_map_header_plays_the_rulesets_board(tmp_path):
    path = record_game(tmp_path / "plain.jsonl", seed=5)
    assert "map" not in lines_of(path)[0]
    assert verify(read_replay(path)).ok


# --- helpers for one map update from a chosen position ---------------------------------------------------


def two_snakes(width: int) -> list[dict]:
    """Two snakes low on the board that survive a step up."""
    return [{"body": [[1, 1], [1, 0]], "health": 100}, {"body": [[width - 2, 1], [width - 2, 0]], "health": 100}]


def step_from(name: str, turn: int, hazards=(), food=(), snakes=None, moves=None, seed: int = 7, **kwargs):
    """The map's engine after one step from a position at ``turn`` (snakes move up unless told)."""
    engine = engine_for(name, **kwargs)
    snakes = snakes if snakes is not None else two_snakes(engine.geometry.width)
    batch = engine.from_positions([{"turn": turn, "food": [list(p) for p in food],
                                    "hazards": [list(p) for p in hazards], "snakes": snakes}], seeds=[seed])
    engine.step(batch, [moves if moves is not None else [0] * len(snakes)])
    return engine, batch


def added_hazards(name: str, turn: int, hazards=(), **kwargs) -> list[tuple[int, int]]:
    """Hazard entries the map's update adds (or removes: negative) stepping from ``turn``."""
    engine, batch = step_from(name, turn, hazards, **kwargs)
    after = hazards_of(engine, batch)
    before = list(hazards)
    for point in before:
        after.remove(tuple(point))
    return after


def ring(cx: int, cy: int, offset: int, width: int, height: int) -> list[tuple[int, int]]:
    return sorted((x, y) for x in range(cx - offset, cx + offset + 1) for y in range(cy - offset, cy + offset + 1)
                  if max(abs(x - cx), abs(y - cy)) == offset and 0 <= x < width and 0 <= y < height)


def heads(frame: dict) -> list[tuple[int, int]]:
    return [tuple(s["body"][0]) for s in frame["snakes"]]


# --- static hazard maps ------------------------------------------------------------------------------------


def test_hz_inner_wall_rings_and_columns_draw_the_official_layouts():
    engine = engine_for("hz_inner_wall")
    wall = hazards_of(engine, engine.new_batch([1], 4))
    assert wall == sorted({(x, y) for x in range(1, 10) for y in (1, 9)}
                          | {(x, y) for x in (1, 9) for y in range(2, 9)})
    assert len(wall) == 32
    rings = hazards_of(engine_for("hz_rings"), engine_for("hz_rings").new_batch([1], 4))
    assert rings == sorted(wall + ring(5, 5, 2, 11, 11))  # drawRing at offsets 2 and 4 (offset < width / 2)
    small = Engine("standard", 9, 9, map="hz_rings")
    assert hazards_of(small, small.new_batch([1], 2)) == ring(4, 4, 3, 9, 9)  # 9 / 2 = 4: offset 2 only
    columns = engine_for("hz_columns")
    odd = range(1, 11, 2)
    assert hazards_of(columns, columns.new_batch([1], 4)) == sorted((x, y) for x in odd for y in odd)


def test_static_hazard_maps_start_like_standard_and_keep_their_hazards():
    standard, walled = Engine("standard", map="standard"), engine_for("hz_inner_wall")
    a, b = standard.new_batch(range(3), 4), walled.new_batch(range(3), 4)
    for game in range(3):
        plain, hazardous = standard.frame(a, game), walled.frame(b, game)
        assert plain["snakes"] == hazardous["snakes"] and plain["food"] == hazardous["food"]
    engine, batch = step_from("hz_columns", 40, hazards=[(1, 1), (3, 3)])
    assert hazards_of(engine, batch) == [(1, 1), (3, 3)]  # the update only spawns food


# --- castle walls --------------------------------------------------------------------------------------------


def test_hz_castle_wall_layout_starts_and_no_food_at_first():
    engine = engine_for("hz_castle_wall")
    batch = engine.new_batch(range(12), 4)
    hazards = hazards_of(engine, batch)
    assert len(hazards) == 28
    doubled = sorted({p for p in hazards if hazards.count(p) == 2})
    assert doubled == [(2, 4), (2, 6), (4, 2), (4, 8), (6, 2), (6, 8), (8, 4), (8, 6)]
    corners, edges = {(1, 1), (1, 9), (9, 1), (9, 9)}, {(1, 5), (5, 1), (5, 9), (9, 5)}
    seen = set()
    for game in range(12):
        frame = engine.frame(batch, game)
        assert frame["food"] == [] and set(heads(frame)) <= corners and len(set(heads(frame))) == 4
        seen.add(tuple(heads(frame)))
    assert len(seen) > 1  # the spots are shuffled
    eight = engine.new_batch(range(4), 8)
    for game in range(4):
        assert set(heads(engine.frame(eight, game))) == corners | edges
    xl = engine_for("hz_castle_wall_xl")
    twelve = xl.new_batch([3], 12)
    assert len(hazards_of(xl, twelve)) == 160
    assert {(1, 12), (12, 23), (12, 1), (23, 12)} <= set(heads(xl.frame(twelve, 0)))


def test_hz_castle_wall_food_from_turn_10_on_free_spots_only():
    spots = {(2, 5), (5, 2), (5, 8), (8, 5)}
    engine, batch = step_from("hz_castle_wall", 9)
    assert engine.frame(batch, 0)["food"] == []  # nothing before turn 10
    for seed in range(6):
        engine, batch = step_from("hz_castle_wall", 10, seed=seed)
        food = engine.frame(batch, 0)["food"]
        assert len(food) == 1 and tuple(food[0]) in spots
    # heads moving next to three of the spots leave the fourth
    snakes = [{"body": [[3, 4], [3, 3]]}, {"body": [[6, 1], [6, 0]]}, {"body": [[5, 6], [6, 6]]}]
    for seed in range(6):
        engine, batch = step_from("hz_castle_wall", 20, snakes=snakes, seed=seed)
        assert engine.frame(batch, 0)["food"] == [[8, 5]]
    engine, batch = step_from("hz_castle_wall", 30, food=[(2, 5), (8, 5)])
    assert sorted(map(tuple, engine.frame(batch, 0)["food"])) == [(2, 5), (8, 5)]  # 2 food: the most


# --- hazard pits ---------------------------------------------------------------------------------------------


def test_hz_hazard_pits_fill_in_layers_and_drain():
    pits = sorted((x, y) for x in range(1, 11, 2) for y in range(1, 11, 2)
                  if (x, y) not in {(1, 1), (9, 1), (1, 9), (9, 9)})
    assert len(pits) == 21
    engine = engine_for("hz_hazard_pits")
    batch = engine.new_batch(range(4), 4)
    for game in range(4):
        frame = engine.frame(batch, game)
        assert set(heads(frame)) == {(1, 1), (9, 1), (1, 9), (9, 9)} and frame["hazards"] == []
        assert [5, 5] in frame["food"] and len(frame["food"]) == 5  # standard fixed food
    for turn, layers in ((0, 0), (25, 1), (50, 2), (75, 3), (100, 4), (125, 4), (150, 4), (175, 0), (200, 1)):
        engine, batch = step_from("hz_hazard_pits", turn, hazards=[(3, 3)] * 2)
        assert hazards_of(engine, batch) == sorted(pits * layers), turn
    engine, batch = step_from("hz_hazard_pits", 26, hazards=[(3, 3)] * 2)
    assert hazards_of(engine, batch) == [(3, 3), (3, 3)]  # between the shrink turns nothing changes
    engine, batch = step_from("hz_hazard_pits", 10, hazards=[(3, 3)], settings={"shrinkEveryNTurns": 5})
    assert hazards_of(engine, batch) == sorted(pits * 2)


# --- rivers and islands --------------------------------------------------------------------------------------


def test_hz_rivers_bridges_layout_quadrant_starts_and_dry_food():
    engine = engine_for("hz_rivers_bridges")
    batch = engine.new_batch(range(8), 4)
    hazards = hazards_of(engine, batch)
    assert hazards == sorted([(5, y) for y in (0, 1, 3, 4, 5, 6, 7, 9, 10)]
                             + [(x, 5) for x in (0, 1, 3, 4, 6, 7, 9, 10)])
    quadrants = [{(1, 1), (3, 3)}, {(9, 9), (7, 7)}, {(1, 9), (3, 9)}, {(9, 1), (7, 3)}]
    for game in range(8):
        frame = engine.frame(batch, game)
        assert sorted(sum(h in q for h in heads(frame)) for q in quadrants) == [1, 1, 1, 1]
        assert [5, 5] not in frame["food"]  # the lake keeps the centre food away
        assert not set(map(tuple, frame["food"])) & set(hazards)
    engine, batch = step_from("hz_rivers_bridges", 5, hazards=hazards, settings={"minimumFood": 200})
    food = set(map(tuple, engine.frame(batch, 0)["food"]))
    assert len(food) > 60 and not food & set(hazards)  # topped up everywhere but on the rivers
    islands = engine_for("hz_islands_bridges")
    assert len(hazards_of(islands, islands.new_batch([0], 4))) == 37
    with pytest.raises(ValueError, match="^map hz_islands_bridges is played on board 11x11 with 1 to 4 snakes, not "
                                         "with 5$"):
        islands.new_batch([0], 5)
    large = engine_for("hz_rivers_bridges_lg")
    assert len(hazards_of(large, large.new_batch([0], 12))) == 37


# --- arcade maze ---------------------------------------------------------------------------------------------


def test_arcade_maze_layout_starts_and_food_spots():
    engine = engine_for("arcade_maze")
    batch = engine.new_batch(range(6), 6)
    hazards = hazards_of(engine, batch)
    assert len(hazards) == 187 and len(set(hazards)) == 187
    assert (0, 20) in hazards and (1, 20) not in hazards and (9, 11) not in hazards
    for game in range(6):
        frame = engine.frame(batch, game)
        starts = heads(frame)
        assert set(starts[:4]) == {(4, 7), (14, 7), (4, 17), (14, 17)} and starts[4:] == [(9, 9), (9, 13)]
        assert frame["food"] == [[9, 11]]
    none = Engine("standard", map="arcade_maze", settings={"minimumFood": 0})
    assert none.frame(none.new_batch([0], 2), 0)["food"] == []
    spots = {(1, 1), (3, 11), (4, 7), (4, 17), (9, 1), (9, 5), (9, 11), (9, 17), (14, 7), (14, 17), (15, 11), (17, 1)}
    snakes = [{"body": [[4, 7], [4, 6]]}, {"body": [[14, 6], [14, 5]]}]
    for seed in range(6):
        engine, batch = step_from("arcade_maze", 3, snakes=snakes, seed=seed, settings={"foodSpawnChance": 100})
        food = {tuple(p) for p in engine.frame(batch, 0)["food"]}
        assert len(food) == 1 and food <= spots - {(4, 7), (14, 7)}  # not under a snake
        engine, batch = step_from("arcade_maze", 3, snakes=snakes, seed=seed,
                                  settings={"foodSpawnChance": 0, "minimumFood": 5})
        assert engine.frame(batch, 0)["food"] == []  # no minimum top-up on this map


# --- growing hazards -----------------------------------------------------------------------------------------


def test_hz_spiral_grows_clockwise_from_its_start_every_3_turns():
    for seed in range(3):
        start = added_hazards("hz_spiral", 2, seed=seed)
        assert len(start) == 1
        sx, sy = start[0]
        assert 3 <= sx <= 7 and 3 <= sy <= 7  # the middle of the board: floor(11 * 0.3) = 3 .. 11 - 1 - 3
        assert added_hazards("hz_spiral", 3, [start[0]], seed=seed) == []
        path = [(sx, sy + 1), (sx + 1, sy + 1), (sx + 1, sy), (sx + 1, sy - 1), (sx, sy - 1), (sx - 1, sy - 1),
                (sx - 1, sy), (sx - 1, sy + 1), (sx - 1, sy + 2), (sx, sy + 2)]  # ring 1, then ring 2 from its corner
        for k, cell in enumerate(path):
            assert added_hazards("hz_spiral", 3 * (k + 2) - 1, [start[0]], seed=seed) == [cell]


def test_hz_scatter_adds_every_cell_once_in_a_fixed_order():
    order = [added_hazards("hz_scatter", 2 * k + 1, seed=4) for k in range(121)]
    assert all(len(cells) == 1 for cells in order)
    assert len({cells[0] for cells in order}) == 121  # every cell of the 11x11 board, each once
    assert added_hazards("hz_scatter", 2, seed=4) == []  # odd turns add nothing
    assert added_hazards("hz_scatter", 2 * 121 + 1, seed=4) == []  # a full board: nothing more
    assert order[:5] != [added_hazards("hz_scatter", 2 * k + 1, seed=5) for k in range(5)]


def test_hz_grow_box_grows_one_whole_side_every_12_turns():
    for seed in range(3):
        hazards = added_hazards("hz_grow_box", 0, seed=seed)
        (sx, sy), = hazards
        assert 2 <= sx <= 9 and 2 <= sy <= 9  # rand.Range(2, width - 2)
        assert added_hazards("hz_grow_box", 5, hazards, seed=seed) == []
        for growth in range(1, 12):
            line = added_hazards("hz_grow_box", 12 * growth, hazards, seed=seed)
            hazards = sorted(hazards + line)
            xs, ys = {x for x, _ in hazards}, {y for _, y in hazards}
            assert len(hazards) == len(xs) * len(ys) == len(set(hazards))  # still a filled box
            assert len(line) in (max(xs) - min(xs) + 1, max(ys) - min(ys) + 1)  # one whole side
        full = sorted((x, y) for x in range(11) for y in range(11))
        assert added_hazards("hz_grow_box", 12 * 40, full, seed=seed) == []


def test_hz_expand_box_adds_a_ring_every_20_turns():
    for seed in range(3):
        (start,) = added_hazards("hz_expand_box", 0, seed=seed)
        sx, sy = start
        assert 2 <= sx <= 9 and 2 <= sy <= 9
        assert added_hazards("hz_expand_box", 10, [start], seed=seed) == []
        for offset in (1, 2, 3):
            assert added_hazards("hz_expand_box", 20 * offset, [start], seed=seed) == ring(sx, sy, offset, 11, 11)


def test_hz_expand_scatter_fills_each_ring_in_a_random_order():
    for seed in range(2):
        (start,) = added_hazards("hz_expand_scatter", 0, seed=seed)
        sx, sy = start
        assert 1 <= sx <= 10 and 1 <= sy <= 10
        assert added_hazards("hz_expand_scatter", 1, [start], seed=seed) == []  # odd turns only
        first = ring(sx, sy, 1, 11, 11)
        picks = [added_hazards("hz_expand_scatter", 2 * (k + 1), [start], seed=seed) for k in range(len(first))]
        assert sorted(p for (p,) in picks) == first  # ring 1 entirely, each cell once
        assert picks != sorted(picks)  # in a shuffled order
        (next_one,) = added_hazards("hz_expand_scatter", 2 * (len(first) + 1), [start], seed=seed)
        assert next_one in ring(sx, sy, 2, 11, 11)


def test_sinkholes_stack_rounded_rings_from_the_centre():
    assert added_hazards("sinkholes", 1) == [(5, 5)]
    assert added_hazards("sinkholes", 2) == []
    plus = sorted([(5, 5), (4, 5), (6, 5), (5, 4), (5, 6), (4, 4), (6, 6), (4, 6), (6, 4)])
    assert added_hazards("sinkholes", 26) == sorted(set(plus) - {(4, 4), (6, 6), (4, 6), (6, 4)})
    second = added_hazards("sinkholes", 51)
    assert len(second) == 25 - 4 and (3, 3) not in second and (3, 4) in second
    assert len(added_hazards("sinkholes", 126)) == 0  # at most 5 rings on 11x11 (turn 126 > 25 * 5)
    assert len(added_hazards("sinkholes", 11, settings={"shrinkEveryNTurns": 10})) == 5
    small = Engine("standard", 7, 7, map="sinkholes")
    batch = small.from_positions([{"turn": 76, "food": [], "snakes": two_snakes(7)}], seeds=[1])
    small.step(batch, [[0, 0]])
    assert hazards_of(small, batch) == []  # 7x7: at most 3 rings (76 > 25 * 3)


def test_healing_pools_are_one_layout_and_dry_up_one_by_one():
    layouts = [{(3, 3), (7, 7)}, {(3, 7), (7, 3)}, {(3, 5), (7, 5)}, {(5, 7), (5, 3)}]
    engine = engine_for("healing_pools")
    batch = engine.new_batch(range(16), 4)
    seen = set()
    for game in range(16):
        pools = set(hazards_of(engine, batch, game))
        assert pools in layouts
        seen.add(frozenset(pools))
    assert len(seen) > 1
    small = Engine("standard", 7, 7, map="healing_pools")
    assert hazards_of(small, small.new_batch([0], 2)) == [(3, 3)]
    assert added_hazards("healing_pools", 24, [(3, 3), (7, 7)]) == []
    engine, batch = step_from("healing_pools", 25, [(3, 3), (7, 7)])
    assert len(hazards_of(engine, batch)) == 1
    engine, batch = step_from("healing_pools", 50, [])
    assert hazards_of(engine, batch) == []


# --- snail mode: state above the board -----------------------------------------------------------------------


def test_snail_mode_leaves_a_fading_trail_kept_above_the_board_between_turns():
    snakes = [{"body": [[2, 4], [2, 3], [2, 2]]}, {"body": [[8, 4], [8, 3], [8, 2]]}]
    engine, batch = step_from("snail_mode", 5, snakes=snakes, food=[(8, 5)])
    # snake 0's tail (2, 3) is stored 11 rows up as 3 entries (its length); snake 1 ate: its tail is
    # stacked and stays put, so nothing is stored for it
    assert hazards_of(engine, batch) == [(2, 14)] * 3
    engine.step(batch, [[0, 0]])
    # the stored tail comes down as a stack of 3 on (2, 3); the new tails go up (snake 1 is 4 long now)
    assert hazards_of(engine, batch) == sorted([(2, 3)] * 3 + [(2, 15)] * 3 + [(8, 14)] * 4)
    engine.step(batch, [[0, 0]])
    assert hazards_of(engine, batch) == sorted([(2, 3)] * 2 + [(2, 4)] * 3 + [(8, 3)] * 4
                                               + [(2, 16)] * 3 + [(8, 15)] * 4)
    frame = engine.frame(batch, 0)
    resumed = engine.from_positions([frame], seeds=[7])  # the state above the board comes back from a frame
    assert engine.frame(resumed, 0)["hazards"] == frame["hazards"]


def test_snail_mode_trail_never_lands_under_a_live_head():
    snakes = [{"body": [[2, 4], [2, 3], [2, 2]]}, {"body": [[8, 4], [8, 3], [8, 2]]}]
    engine, batch = step_from("snail_mode", 5, snakes=snakes, hazards=[(2, 16), (2, 16)])  # pending on (2, 5)
    assert (2, 5) not in hazards_of(engine, batch)  # snake 0's new head is there


# --- solo maze -----------------------------------------------------------------------------------------------


def reachable(frame: dict, width: int, height: int, start: tuple[int, int]) -> set[tuple[int, int]]:
    walls = {tuple(p) for p in frame["hazards"]}
    seen, todo = {start}, [start]
    while todo:
        x, y = todo.pop()
        for nx, ny in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
            if 0 <= nx < width and 0 <= ny < height and (nx, ny) not in walls and (nx, ny) not in seen:
                seen.add((nx, ny))
                todo.append((nx, ny))
    return seen


def test_solo_maze_builds_a_maze_with_the_snake_in_its_corner_and_food_to_find():
    engine = engine_for("solo_maze")
    assert (engine.geometry.width, engine.geometry.height, engine.ruleset.name) == (11, 11, "solo")
    batch = engine.new_batch(range(8), 1)
    for game in range(8):
        frame = engine.frame(batch, game)
        (snake,) = frame["snakes"]
        assert snake["body"] == [[2, 2], [2, 1], [2, 1]] and snake["health"] == 100  # maze (0, 0), tail below
        hazards = set(map(tuple, frame["hazards"]))
        assert not any(y == 0 for _, y in hazards)  # level 0: no bit set in the bottom row
        outside = {(x, y) for x in range(11) for y in range(1, 11) if not (2 <= x < 9 and 2 <= y < 9)}
        assert outside <= hazards and (2, 2) not in hazards
        (food,) = map(tuple, frame["food"])
        assert food not in hazards and abs(food[0] - 2) + abs(food[1] - 2) >= 3
        assert food in reachable(frame, 11, 11, (2, 2))
    assert len({str(engine.frame(batch, g)["hazards"]) for g in range(8)}) > 4  # different mazes


def test_solo_maze_moves_the_snake_to_a_bigger_maze_when_it_eats():
    engine = engine_for("solo_maze")
    batch = engine.new_batch([3], 1)
    frame = engine.frame(batch, 0)
    position = dict(frame, food=[[2, 3]])  # food right above the head
    batch = engine.from_positions([position], seeds=[3])
    engine.step(batch, [[0]])
    frame = engine.frame(batch, 0)
    hazards = [tuple(p) for p in frame["hazards"]]
    assert [p for p in hazards if p[1] == 0] == [(10, 0)]  # level 1 in binary in the bottom row
    (snake,) = frame["snakes"]
    assert snake["body"] == [[1, 1]] + [[1, 0]] * 3 and snake["health"] == 100  # an 8x8 maze from (1, 1)
    assert snake["alive"] and snake["move"] == "up"
    assert frame["turn"] == 1 and len(frame["food"]) == 1
    assert {(x, y) for x in range(11) for y in range(1, 11) if not (1 <= x < 9 and 1 <= y < 9)} <= set(hazards)


# --- determinism and replays ---------------------------------------------------------------------------------


def test_every_map_is_deterministic_per_seed_and_independent_of_its_batch():
    ran = 0
    for name, game_map in MAPS.items():
        engine = engine_for(name)
        snakes = min(game_map.default_snakes, 2)
        together, alone = engine.new_batch([11, 12, 13], snakes), engine.new_batch([12], snakes)
        rng = np.random.default_rng(1)
        for _ in range(30):
            moves = rng.integers(0, 4, together.alive.shape)
            engine.step(together, moves)
            engine.step(alone, moves[1:2])
        assert engine.frame(together, 1) == engine.frame(alone, 0), name
        ran += 1
    assert ran == 25


@pytest.mark.parametrize("name", ["snail_mode", "solo_maze", "hz_castle_wall"])
def test_a_replay_on_a_map_verifies_and_a_tampered_one_does_not(tmp_path, name):
    game_map = get_map(name)
    path = record_game(tmp_path / f"{name}.jsonl", seed=3, snakes=game_map.default_snakes,
                       ruleset=game_map.rulesets[0], map=name, max_turns=60)
    objs = lines_of(path)
    assert objs[0]["map"] == name and (objs[0]["width"], objs[0]["height"]) == game_map.default_size
    assert verify(read_replay(path)).ok

    def move_a_hazard(lines):
        frame = next(o for o in lines[3:] if o["type"] == "frame" and o["hazards"])
        frame["hazards"] = frame["hazards"][1:] + [[0, 0]]
    verdict = verify(read_replay(rewrite(path, tmp_path / "tampered.jsonl", move_a_hazard)))
    assert not verdict.ok and "hazards" in verdict.detail


def test_bots_are_told_the_map_in_the_battlesnake_request():
    from arena.match import MatchConfig, run_match
    from arena.players import PythonPlayer

    seen: list[str] = []

    def bot(state: dict) -> str:
        seen.append(state["game"]["map"])
        return "up"

    run_match([PythonPlayer(bot), PythonPlayer(bot)], MatchConfig(map="hz_rings", max_turns=3))
    run_match([PythonPlayer(bot), PythonPlayer(bot)], MatchConfig(ruleset="royale", max_turns=3))
    assert seen and set(seen[:2]) == {"hz_rings"} and seen[-1] == "royale"


# --- the official maps' own tests (their expectations, replayed on our engine) ------------------------------


def long_game(name: str, size: int, turns: int, settings: dict | None = None) -> list[list[tuple[int, int]]]:
    """The hazards after each of turns 1..``turns`` (Battlesnake's map tests call the update for turns
    0, 1, ...): two snakes circle a 2x2 square at full health, with no food and no hazard damage."""
    quiet = {"hazardDamagePerTurn": 0, "minimumFood": 0, "foodSpawnChance": 0}
    engine = Engine("standard", size, size, map=name, settings={**quiet, **(settings or {})})
    batch = engine.new_batch([5], 2)
    batch.food[:], batch.food_count[:] = False, 0
    circle = (0, 3, 1, 2)  # up, right, down, left
    after = []
    for turn in range(turns):
        engine.step(batch, [[circle[turn % 4]] * 2])
        batch.health[batch.alive] = 100
        after.append(hazards_of(engine, batch))
    assert batch.alive.all() and not batch.done.any()
    return after


@pytest.mark.parametrize(("name", "size", "turns", "settings", "entries"), [
    ("hz_spiral", 11, 1000, None, 121),  # "hazards should eventually fill the entire map"
    ("hz_scatter", 11, 11 * 11 * 2, None, 121),
    ("hz_grow_box", 11, 1000, None, 121),
    ("hz_expand_box", 11, 1000, None, 121),
    ("hz_expand_scatter", 11, 1000, None, 121),
    ("sinkholes", 7, 100, {"shrinkEveryNTurns": 10}, 27),
    ("sinkholes", 11, 100, {"shrinkEveryNTurns": 10}, 149),
    ("sinkholes", 19, 100, {"shrinkEveryNTurns": 10}, 431),
])
def test_the_official_map_tests_hold(name, size, turns, settings, entries):
    hazards = long_game(name, size, turns, settings)[-1]
    assert len(hazards) == entries
    if name == "sinkholes":  # the centre is stacked once per ring, 3 / 5 / 7 rings
        assert hazards.count((size // 2, size // 2)) == {7: 3, 11: 5, 19: 7}[size]
    else:
        assert len(set(hazards)) == size * size


def test_the_official_hazard_pits_and_healing_pools_tests_hold():
    counts = [len(h) for h in long_game("hz_hazard_pits", 11, 9, {"shrinkEveryNTurns": 1})]
    assert counts[1:9] == [21, 42, 63, 84, 84, 84, 0, 21]  # after turns 1..8
    for size, pools in ((7, 1), (11, 2), (19, 4)):
        after = long_game("healing_pools", size, 10 * pools + 1, {"shrinkEveryNTurns": 10})
        assert len(after[0]) == pools and after[-1] == []
    assert [len(long_game("hz_inner_wall", size, 1)[0]) for size in (11, 19, 25)] == [32, 64, 88]
    assert len(long_game("hz_rings", 11, 1)[0]) == 48


def test_the_official_rivers_and_islands_setup_test_holds():
    """One snake: one food (its diagonal; the centre is a hazard on all five maps), never on a hazard."""
    names = ("hz_rivers_bridges", "hz_rivers_bridges_lg", "hz_rivers_bridges_xl", "hz_islands_bridges",
             "hz_islands_bridges_lg")
    for name in names:
        engine = Engine("solo", map=name)
        batch = engine.new_batch(range(8), 1)
        for game in range(8):
            frame = engine.frame(batch, game)
            assert len(frame["food"]) == 1 and frame["food"][0] not in frame["hazards"], (name, game)
