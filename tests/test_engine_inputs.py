"""Engine inputs at the edges: odd moves, boolean masks, failed spawns, full rings, frozen tables,
invalid positions and board sizes.  Each of these once corrupted a game silently."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import fields

import numpy as np
import pytest
from snek_cli import snek

import arena
from arena.engine import Engine
from arena.state import GameBatch


def snake(*body: tuple[int, int], health: int = 100, alive: bool = True) -> dict:
    return {"body": [list(p) for p in body], "health": health, "alive": alive}


POSITION = {"food": [], "snakes": [snake((3, 3), (3, 2), (3, 1)), snake((5, 5), (5, 4), (5, 3))]}


@pytest.mark.parametrize("odd", [257, -255, 4, 2.7, -0.5, np.nan, 1e30], ids=str)
def test_moves_outside_zero_to_three_are_the_default_move(odd) -> None:
    """257 used to wrap to 1 ("down") in the int8 cast and 2.7 to truncate to 2 ("left")."""
    engine = Engine("standard", 7, 7, {"minimumFood": 0, "foodSpawnChance": 0})
    odd_batch, default_batch = engine.from_positions([POSITION]), engine.from_positions([POSITION])
    engine.step(odd_batch, np.array([[odd, 3]], dtype=float if isinstance(odd, float) else np.int64))
    engine.step(default_batch, np.array([[-1, 3]]))
    assert engine.frame(odd_batch, 0) == engine.frame(default_batch, 0)
    assert engine.frame(odd_batch, 0)["snakes"][0]["body"][0] == [3, 4]  # straight on: up


def test_whole_float_moves_are_moves() -> None:
    engine = Engine("standard", 7, 7, {"minimumFood": 0, "foodSpawnChance": 0})
    batch = engine.from_positions([POSITION])
    engine.step(batch, np.array([[2.0, 3.0]]))
    assert [s["move"] for s in engine.frame(batch, 0)["snakes"]] == ["left", "right"]


def test_boolean_masks_are_refused_as_game_indices() -> None:
    engine = Engine("standard", 11, 11)
    batch = engine.new_batch(range(3), 2)
    mask = np.array([False, True, True])
    for call in (lambda: batch.select(mask), lambda: batch.assign(mask, batch, [0, 1]),
                 lambda: batch.assign([0, 1], batch, mask), lambda: engine.reset(batch, mask)):
        with pytest.raises(TypeError, match="boolean mask"):
            call()
    assert batch.select(np.flatnonzero(mask)).size == 2


def test_a_failed_spawn_keeps_the_snake() -> None:
    """Spawning a live snake where there is no room returned False having removed it."""
    engine = Engine("classic", 5, 5)
    crowd = {"food": [], "snakes": [snake((0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (4, 1), (3, 1), (2, 1), (1, 1),
                                          (0, 1), (0, 2), (1, 2)),
                                    snake((4, 4), (3, 4), (2, 4))]}
    batch = engine.from_positions([crowd])
    before = engine.frame(batch, 0)
    assert engine.spawn(batch, 0, 1) is False  # the failure really happened
    assert engine.frame(batch, 0) == before
    assert batch.alive[0, 1] and batch.occ[0].sum() == 15


def test_growth_stops_at_the_ring_size() -> None:
    engine = Engine("standard", 3, 3)
    batch = engine.from_positions([{"snakes": [snake((1, 1)), snake((0, 0))]}])
    head = engine.frame(batch, 0)["snakes"][0]["body"][0]
    rows = np.array([0])
    for _ in range(batch.ring_len + 5):
        batch.grow_rows(rows)
    assert batch.length[0, 0] == batch.ring_len - 1
    assert engine.frame(batch, 0)["snakes"][0]["body"][0] == head
    assert batch.occ[0, engine.geometry.cell(1, 1)] == batch.ring_len - 1


OPTIONAL_LIBRARIES = {"stable_baselines3", "sb3_contrib", "torch", "ray"}


def test_module_level_tables_are_read_only() -> None:
    checked = 0
    for info in pkgutil.walk_packages(arena.__path__, "arena."):
        if ".cli" in info.name or info.name.endswith("__main__"):
            continue
        try:
            module = importlib.import_module(info.name)
        except ModuleNotFoundError as exc:  # an adapter for an optional library (arena.env.sb3 needs the rl extra)
            assert exc.name in OPTIONAL_LIBRARIES, f"{info.name} needs {exc.name}"
            continue
        for name, value in vars(module).items():
            if isinstance(value, np.ndarray):
                assert not value.flags.writeable, f"{info.name}.{name} is writable"
                checked += 1
    assert checked >= 8


def test_batches_must_be_c_contiguous() -> None:
    batch = Engine("standard", 7, 7).new_batch(range(2), 2)
    values = {f.name: getattr(batch, f.name) for f in fields(batch)}
    values["occ"] = np.asfortranarray(values["occ"])
    with pytest.raises(ValueError, match="C-contiguous"):
        GameBatch(**values)


@pytest.mark.parametrize("snakes, message", [
    ([snake((1, 1), (1, 2), (1, 3)), snake((2, 2), (1, 2), (0, 2))], "overlap"),
    ([snake((1, 1), (1, 3), (1, 4)), snake((5, 5), (5, 4))], "not connected"),
    ([snake((1, 1), (2, 1), (2, 2), (1, 2), (1, 1)), snake((5, 5), (5, 4))], "overlaps itself"),
    ([snake((1, 1), (1, 2), (1, 1)), snake((5, 5), (5, 4))], "overlaps itself"),
], ids=["two-snakes", "gap", "loop", "fold-back"])
def test_invalid_bodies_are_refused(snakes, message) -> None:
    with pytest.raises(ValueError, match=message):
        Engine("standard", 7, 7).from_positions([{"snakes": snakes}])


def test_valid_bodies_still_load() -> None:
    """Stacked segments, a wrap across the edge on wrapped boards, and dead bodies anywhere."""
    stacked = snake((1, 1), (1, 1), (1, 1))
    fed = snake((3, 3), (3, 4), (3, 5), (3, 5))
    dead = snake((3, 3), (3, 4), alive=False)  # lies under a live snake, as frames keep it
    Engine("standard", 7, 7).from_positions([{"snakes": [stacked, fed, dead]}])
    across = snake((0, 3), (6, 3), (5, 3))
    Engine("wrapped", 7, 7).from_positions([{"snakes": [across, stacked]}])
    with pytest.raises(ValueError, match="not connected"):
        Engine("standard", 7, 7).from_positions([{"snakes": [across, stacked]}])


def test_hazard_stacks_beyond_int16_are_refused() -> None:
    engine = Engine("royale", 7, 7)
    engine.from_positions([{"hazards": [[1, 1]] * 32767, "snakes": [snake((3, 3)), snake((5, 5))]}])
    with pytest.raises(ValueError, match="32767 hazards"):
        engine.from_positions([{"hazards": [[1, 1]] * 32768, "snakes": [snake((3, 3)), snake((5, 5))]}])


@pytest.mark.parametrize("width, height", [(0, 0), (0, 11), (11, 0)])
def test_zero_board_sizes_are_errors(width, height) -> None:
    with pytest.raises(ValueError, match="between 3 and 25"):
        Engine("standard", width, height)


@pytest.mark.parametrize("flags", [["--size", "0"], ["--width", "0"], ["--height", "0"]])
def test_cli_refuses_zero_sizes(flags) -> None:
    run = snek("play", "random", "random", "--seed", "1", *flags, timeout=120)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "between 3 and 25" in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
