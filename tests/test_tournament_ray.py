"""The Ray backend against a real local Ray instance: the same table as a local run of the same seed,
replays written by the driver; and a clear one-line message where Ray is not installed."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from arena.match import MatchConfig
from arena.replay import read_replay
from arena.tournament import TournamentConfig, read_results, run_tournament
from arena.verify import verify

CLOCK_FIELDS = {"latency_ms", "latency_p95_ms"}


def strip(board) -> list[dict]:
    return [{k: v for k, v in asdict(s).items() if k not in CLOCK_FIELDS} for s in board.standings()]


def test_ray_backend_equals_a_local_run(tmp_path: Path) -> None:
    try:
        import ray
    except ImportError:
        pytest.skip("Ray is not installed here (pip install 'snek-arena[ray]')")
    config = TournamentConfig(bots=["greedy", "safe", "random", "space"], games=8, players_per_game=3,
                              rules=MatchConfig(width=7, height=7, max_turns=60, timeout_ms=10_000), seed=3, workers=2,
                              out_dir=tmp_path / "ray", backend="ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        remote = run_tournament(config)
    finally:
        ray.shutdown()
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
