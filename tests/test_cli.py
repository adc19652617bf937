"""`snek` as a user runs it: real subprocesses, exit codes, no tracebacks for user errors."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from snek_cli import snek

from arena.match import MatchConfig, run_match
from arena.players import PythonPlayer, load_player
from arena.rules import RULESETS


def wander(state: dict) -> str:
    return ["up", "left", "down", "right"][state["turn"] // 2 % 4]


@pytest.fixture(scope="module")
def replay(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "game.jsonl.gz"
    run_match([PythonPlayer(wander) for _ in range(2)], MatchConfig(seed=2), out=path)
    return path


def test_rules_lists_every_ruleset_and_what_each_setting_does() -> None:
    out = snek("rules", env={**os.environ, "COLUMNS": "250"})  # wide enough that no cell wraps
    assert out.returncode == 0
    for name in ("standard", "wrapped", "constrictor", "royale", "solo", "classic", "shrinkEveryNTurns"):
        assert name in out.stdout
    settings = {name: spec for r in RULESETS.values() for name, spec in r.settings.items()}
    assert len(settings) == 5
    for name, spec in settings.items():
        row = next(line for line in out.stdout.splitlines() if f" {name} " in line and spec.help in line)
        assert f"{spec.minimum}..{spec.maximum}" in row or "true/false" in row, row


def test_replay_verify_ok_and_mismatch(replay: Path, tmp_path: Path) -> None:
    ok = snek("replay", "verify", str(replay))
    assert ok.returncode == 0 and "OK" in ok.stdout
    lines = gzip.open(replay, "rt").read().splitlines()
    lines[1] = lines[1].replace('"health":100', '"health":99', 1)
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join(lines) + "\n")
    bad = snek("replay", "verify", str(tampered))
    assert bad.returncode == 1 and "MISMATCH at turn 0" in bad.stdout


def test_replay_verify_exit_code_tells_a_whole_game_from_a_verified_prefix(tmp_path: Path) -> None:
    """0 only for a whole game; 3 for a file that verifies as far as it goes but has no result line (a prefix,
    a torn last line, half a gzip stream); 1 for a mismatch; 2 for a file that is not a readable replay."""
    game = tmp_path / "game.jsonl.gz"
    run_match([load_player("safe"), load_player("safe")], MatchConfig(seed=1, max_turns=30), out=game)
    packed = game.read_bytes()
    lines = gzip.decompress(packed).decode().splitlines(keepends=True)
    assert json.loads(lines[-1])["type"] == "result" and len(lines) > 10
    frame = json.loads(lines[2])
    frame["snakes"][0]["health"] -= 1
    tampered = lines[:2] + [json.dumps(frame) + "\n"] + lines[3:]
    cases = {
        "whole.jsonl.gz": (packed, 0, "OK"),
        "prefix.jsonl": ("".join(lines[:-1]), 3, "INCOMPLETE"),
        "torn.jsonl": ("".join(lines[:5]) + lines[5][: len(lines[5]) // 2], 3, "INCOMPLETE"),
        "half.jsonl.gz": (packed[: len(packed) // 2], 3, "INCOMPLETE"),
        "tampered.jsonl": ("".join(tampered), 1, "MISMATCH at turn 1"),
        "corrupt.jsonl": ("".join(lines[:3]) + "{not json\n" + "".join(lines[3:]), 2, "line 4"),
    }
    for name, (content, code, words) in cases.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        run = snek("replay", "verify", str(path))
        assert (run.returncode, words in run.stdout + run.stderr) == (code, True), (name, run.stdout, run.stderr)
        assert "Traceback" not in run.stdout + run.stderr
    assert len(cases) == 6


def test_replay_show_single_turn(replay: Path) -> None:
    """The asked turn, and only it: its title line, and a board that differs from the next turn's."""
    one, two = (snek("replay", "show", str(replay), "--turn", turn) for turn in ("1", "2"))
    assert one.returncode == 0 and two.returncode == 0
    assert [line.strip() for line in one.stdout.splitlines() if line.strip().startswith("turn ")] == ["turn 1"]
    assert "turn 2" in two.stdout and one.stdout.replace("turn 1", "turn 2") != two.stdout


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
    assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr + out.stdout


@pytest.mark.parametrize("args,message", [
    (["play", "random", "random", "-q", "--timeout", "10000000000000"], "--timeout"),
    (["tournament", "random", "safe", "--games", "1", "--timeout", "10000000000000"], "--timeout"),
    (["compare", "random", "safe", "--timeout", "10000000000000"], "--timeout"),
    (["play", "random", "random", "--fps", "1e-300"], "--fps"),
    (["replay", "show", "{replay}", "--fps", "1e-300"], "--fps"),
    (["replay", "show", "{replay}", "--fps", "nan"], "--fps"),
    (["serve-bot", "random", "--port", "-1"], "--port"),
    (["serve-bot", "random", "--port", "70000"], "--port"),
    (["play", "random"], "needs at least 2 snakes, got 1"),
    (["play", *["random"] * 17, "-q"], "at most 16 snakes, got 17"),
    (["play", "random", "random", "-q", "--out", "/proc/version"], "/proc/version"),
    (["play", "random", "random", "-q", "--out", "/proc/nope/game.jsonl"], "/proc/nope"),
    (["play", "--bogus"], "No such option: --bogus"),
    (["replay", "verify"], "Missing argument 'file'"),
    (["tournament", "random", "safe", "--games", "many"], "Invalid value for '--games'"),
    (["no-such-command"], "No such command 'no-such-command'"),
])
def test_edge_values_and_usage_errors_are_one_red_line(replay: Path, args: list[str], message: str) -> None:
    out = snek(*[a.format(replay=replay) for a in args])
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert message in lines[0] and "Traceback" not in out.stderr + out.stdout
