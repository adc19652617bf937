"""Battlesnake's maps as stages of the engine: metadata, refusals, each map's setup and update against
positions taken from the official map's rules, determinism, and replays that record their map."""

from __future__ import annotations

import numpy as np
import pytest
from replay_tools import lines_of, record_game, rewrite

from arena.engine import Engine
from arena.maps import MAPS, get_map
from arena.replay import read_replay
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
