"""The Ray backend against a real local Ray instance: the same table as a local run of the same seed,
replays written by the driver; and a clear one-line message where Ray is not installed."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
from killer_bot import write_killer
from prereq import need_module
from snek_cli import snek

from arena.match import MatchConfig
from arena.replay import read_replay
from arena.tournament import TournamentConfig, read_results, run_tournament
from arena.verify import verify

CLOCK_FIELDS = {"latency_ms", "latency_p95_ms"}


def strip(board) -> list[dict]:
    return [{k: v for k, v in asdict(s).items() if k not in CLOCK_FIELDS} for s in board.standings()]


@pytest.fixture(scope="module")
def local_ray():
    """One real local Ray instance (2 CPUs) for this module's in-process tests."""
    ray = need_module("ray", "pip install 'snek-arena[ray]'")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        yield ray
    finally:
        ray.shutdown()


def test_ray_backend_equals_a_local_run(tmp_path: Path, local_ray) -> None:
    config = TournamentConfig(bots=["greedy", "safe", "random", "space"], games=8, players_per_game=3,
                              rules=MatchConfig(width=7, height=7, max_turns=60, timeout_ms=10_000), seed=3, workers=2,
                              out_dir=tmp_path / "ray", backend="ray")
    remote = run_tournament(config)
    local = run_tournament(TournamentConfig(**{**config.__dict__, "backend": "local", "out_dir": tmp_path / "local"}))
    assert remote.played == 8 and strip(remote) == strip(local)
    assert sorted(r.index for r in read_results(tmp_path / "ray" / "results.jsonl")[0]) == list(range(8))
    replays = sorted((tmp_path / "ray").glob("game-*.jsonl.gz"))
    assert len(replays) == 8  # shipped back from the workers and written by the driver
    assert verify(read_replay(replays[5], require_result=True)).ok


def test_missing_ray_is_one_clear_line() -> None:
    code = ("import sys; sys.modules['ray'] = None; sys.argv = ['snek', 'tournament', 'safe', 'random', "
            "'--games', '2', '--backend', 'ray']; from arena.cli import main; main()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "--backend ray needs Ray: pip install 'snek-arena[ray]'" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_a_ray_worker_that_dies_is_retried_once(tmp_path: Path, local_ray) -> None:
    """A bot kills the Ray worker process running its game: game 4 on its first try only (retried, then
    recorded), game 2 every time (tried twice, then recorded as failed); the other games go on."""
    log = tmp_path / "attempts.log"
    write_killer(tmp_path / "killer.py", log)
    config = TournamentConfig(bots=[f"killer={tmp_path / 'killer.py'}:move", "safe"], games=6,
                              rules=MatchConfig(width=7, height=7, max_turns=60, timeout_ms=10_000),
                              out_dir=tmp_path / "out", backend="ray")
    board = run_tournament(config)
    attempts = log.read_text().split()
    assert attempts.count("t0-4") == 2 and attempts.count("t0-2") == 2  # each tried again after its worker died
    assert attempts.count("t0-0") == 1
    records = {r.index: r for r in read_results(tmp_path / "out" / "results.jsonl")[0]}
    assert sorted(records) == list(range(6))
    assert records[4].failed is None and records[4].turns > 0
    assert records[2].failed and "ray task failed" in records[2].failed
    assert board.played == 5 and [i for i, _ in board.failed] == [2]


def snek_json(*args: str) -> dict:
    out = snek(*args, "--json", timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.timeout(900)  # two compare runs of 400 games, one starting its own Ray
def test_snek_compare_on_ray_equals_the_local_backend() -> None:
    """``snek compare --backend ray`` (starting its own local Ray) reaches the local backend's verdict,
    pair for pair."""
    need_module("ray", "pip install 'snek-arena[ray]'")
    args = ["compare", "greedy", "random", "--size", "7", "--max-turns", "100", "--timeout", "10000",
            "--max-games", "400", "--seed", "1"]
    local = snek_json(*args, "--backend", "local", "--workers", "2")
    remote = snek_json(*args, "--backend", "ray")
    assert local["decided"] and local["verdict"] == "greedy is stronger" and local["games"] >= 2
    assert remote == local  # verdict, pentanomial pairs, wins/draws/losses and the SPRT state
