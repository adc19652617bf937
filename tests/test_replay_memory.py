"""Memory does not grow with how long things run: a match, reading and verifying its replay, the
observer's buffers across batch sizes, and a tournament's schedule.  Each test measures
(tracemalloc) a long run against a short one; numpy's buffers are traced too."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np

from arena.engine import Engine
from arena.env.observation import Observer
from arena.match import Match, MatchConfig
from arena.players import PythonPlayer
from arena.replay import open_replay
from arena.tournament import TournamentConfig, jobs
from arena.verify import verify

RIGHT_OF = {(0, 1): "right", (1, 0): "down", (0, -1): "left", (-1, 0): "up"}


def spin(state: dict) -> str:
    """Turn right every turn: a length-3 classic snake circles a 2x2 square forever (no health in classic)."""
    head, neck = state["you"]["body"][0], state["you"]["body"][1]
    return RIGHT_OF.get((head["x"] - neck["x"], head["y"] - neck["y"]), "up")


def endless(turns: int, out: Path | None = None) -> Match:
    return Match([PythonPlayer(spin)], MatchConfig(ruleset="classic", seed=1, max_turns=turns), out)


def peak_bytes(run) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_match_does_not_keep_its_frames(tmp_path: Path) -> None:
    short = peak_bytes(lambda: endless(50, tmp_path / "short.jsonl").run())
    long_match = endless(500, tmp_path / "long.jsonl")
    long = peak_bytes(long_match.run)
    assert long_match.frame["turn"] == 500 and long_match.frames == []  # the game really ran 500 turns
    # 450 more frames kept would be ~450 KB more (about 1 KB each); streaming keeps the peak flat
    assert long < short + 150_000, (short, long)


def test_reading_and_verifying_stream(tmp_path: Path) -> None:
    for turns in (60, 600):
        endless(turns, tmp_path / f"g{turns}.jsonl.gz").run()

    def verify_file(turns: int) -> None:
        with open_replay(tmp_path / f"g{turns}.jsonl.gz", require_result=True) as reader:
            assert verify(reader).ok and reader.result["turns"] == turns

    def read_file(turns: int) -> None:
        with open_replay(tmp_path / f"g{turns}.jsonl.gz") as reader:
            assert sum(1 for _ in reader.frames) == turns + 1

    for job in (verify_file, read_file):
        short, long = peak_bytes(lambda job=job: job(60)), peak_bytes(lambda job=job: job(600))
        assert long < short + 150_000, (job.__name__, short, long)


def test_observer_buffers_are_bounded_across_subset_sizes() -> None:
    engine = Engine("standard", 11, 11)
    batch = engine.new_batch(range(300), 4)
    observer = Observer(engine, batch.seats, "egocentric")

    def observe_sizes(sizes: range) -> None:
        for size in sizes:
            observer.observe(batch, np.arange(size))

    observe_sizes(range(200, 208))  # warm up: the cache holds a few sizes
    few = peak_bytes(lambda: observe_sizes(range(200, 208)))
    tracemalloc.start()
    observe_sizes(range(208, 272))  # 64 more sizes: unbounded, about 8x the memory
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert held < 2 * few, (few, held)
    fresh = Observer(engine, batch.seats, "egocentric")  # evicted sizes come back correct
    for size in (200, 271, 3, 200):
        picked = np.arange(size)
        assert np.array_equal(observer.observe(batch, picked), fresh.observe(batch, picked))
        assert np.array_equal(observer.action_masks(batch, picked), fresh.action_masks(batch, picked))


def test_a_billion_game_schedule_is_lazy() -> None:
    config = TournamentConfig(bots=["random", "safe", "greedy", "space", "search"], games=10**9)

    def first_games() -> None:
        pending = jobs(config)
        assert [next(pending).index for _ in range(3)] == [0, 1, 2]

    assert peak_bytes(first_games) < 1_000_000
