"""`snek` as a user runs it: real subprocesses, exit codes, no tracebacks for user errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from arena.match import MatchConfig, run_match
from arena.players import PythonPlayer


def snek(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "arena", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def wander(state: dict) -> str:
    return ["up", "left", "down", "right"][state["turn"] // 2 % 4]


@pytest.fixture(scope="module")
def replay(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "game.jsonl.gz"
    run_match([PythonPlayer(wander) for _ in range(2)], MatchConfig(seed=2), out=path)
    return path


def test_rules_lists_every_ruleset() -> None:
    out = snek("rules")
    assert out.returncode == 0
    for name in ("standard", "wrapped", "constrictor", "royale", "solo", "classic", "shrinkEveryNTurns"):
        assert name in out.stdout


def test_replay_verify_ok_and_mismatch(replay: Path, tmp_path: Path) -> None:
    ok = snek("replay", "verify", str(replay))
    assert ok.returncode == 0 and "OK" in ok.stdout
    import gzip
    lines = gzip.open(replay, "rt").read().splitlines()
    lines[1] = lines[1].replace('"health":100', '"health":99', 1)
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join(lines) + "\n")
    bad = snek("replay", "verify", str(tampered))
    assert bad.returncode == 1 and "MISMATCH at turn 0" in bad.stdout


def test_replay_show_single_turn(replay: Path) -> None:
    out = snek("replay", "show", str(replay), "--turn", "1")
    assert out.returncode == 0 and "turn 1" in out.stdout


@pytest.mark.parametrize("args,message", [
    (["replay", "verify", "nope.jsonl"], "no such file"),
    (["replay", "show", "{garbage}", "--turn", "99"], "not a snek replay"),
    (["replay", "show", "{replay}", "--turn", "9999"], "not in this replay"),
    (["play", "random", "--ruleset", "nope"], "unknown ruleset"),
    (["play", "random", "random", "--set", "minimumFood"], "name=value"),
    (["play", "random", "random", "--set", "bogus=1"], "has no setting 'bogus'"),
    (["play", "random", "random", "--size", "99"], "between 3 and 25"),
])
def test_user_errors_are_one_line(tmp_path: Path, replay: Path, args: list[str], message: str) -> None:
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text('{"type": "frame"}\n')
    args = [a.format(garbage=garbage, replay=replay) for a in args]
    out = snek(*args)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_demo_plays_verifies_and_rates(tmp_path: Path) -> None:
    out = snek("demo", "--fps", "0", "--games", "4", "--out-dir", str(tmp_path / "demo"))
    assert out.returncode == 0, out.stderr
    assert "verify" in out.stdout and "OK" in out.stdout
    assert (tmp_path / "demo" / "demo.jsonl.gz").exists()
    assert (tmp_path / "demo" / "tournament" / "leaderboard.txt").exists()
