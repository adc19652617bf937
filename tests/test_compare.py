"""`snek compare`: the SPRT against published values, and real paired games that stop by themselves
with the same verdict for any worker count."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from arena.compare import CompareConfig, run_compare
from arena.match import MatchConfig
from arena.replay import read_replay
from arena.sprt import bounds, elo_interval, elo_of_score, llr, score_of_elo, sprt

# a generous timeout: a loaded machine must not turn a slow move into a timeout (a different game)
SMALL = MatchConfig(width=7, height=7, max_turns=100, timeout_ms=10_000)


# Known values: fastchess's SPRT unit tests (logistic model, the method Fishtest uses), where
# results are given as (LL, LD, WL, DD, WD, WW) pairs or (W, L, D) games and the LLR to 2 decimals.
@pytest.mark.parametrize("counts,elo0,elo1,expected", [
    ([223, 9863, 20279 + 1000, 10037, 246], 0.5, 2.5, -3.07),  # pentanomial 1
    ([871, 26175, 55003 + 980, 26678, 821], 0.0, 2.0, -4.98),  # pentanomial 2
    ([21184, 40708, 21404], 0.5, 2.5, -1.57),  # trinomial 1 (L, D, W)
    ([57030, 106593, 57433], 0.0, 2.0, -2.59),  # trinomial 2
])
def test_llr_matches_published_values(counts, elo0, elo1, expected) -> None:
    assert llr(counts, elo0, elo1) == pytest.approx(expected, abs=0.006)


def test_bounds_scores_and_intervals() -> None:
    assert bounds(0.05, 0.05) == pytest.approx((-2.944, 2.944), abs=1e-3)  # log(0.05/0.95), log(0.95/0.05)
    assert score_of_elo(0) == 0.5 and elo_of_score(score_of_elo(123.0)) == pytest.approx(123.0)
    assert elo_of_score(0.5) == 0.0 and math.copysign(1, elo_of_score(0.5)) == 1
    elo, low, high = elo_interval([10, 20, 40, 20, 10])
    assert elo == 0.0 and low == pytest.approx(-high) and 30 < high < 45
    elo, low, high = elo_interval([0, 0, 0, 0, 53])  # no variance yet: Wilson, not a zero-width interval
    assert low < elo and 400 < low < 500
    state = sprt([0, 0, 0, 5, 60])
    assert state.decision == "H1" and state.llr > state.upper
    assert sprt([60, 5, 0, 0, 0]).decision == "H0" and sprt([1, 1, 1, 1, 1]).decision is None
    with pytest.raises(ValueError, match="--elo0 must be below --elo1"):
        sprt([0] * 5, 20, 0)


def test_a_clear_difference_stops_early_with_the_same_result_for_any_worker_count() -> None:
    one = run_compare(CompareConfig(a="greedy", b="random", rules=SMALL, seed=1, max_games=400, workers=1))
    two = run_compare(CompareConfig(a="greedy", b="random", rules=SMALL, seed=1, max_games=400, workers=2))
    assert one.stopped_early and one.verdict(0) == "greedy is stronger"
    assert one.games < 400 and one.games % 2 == 0
    assert (one.counts, one.wins, one.draws, one.losses, one.state) == (two.counts, two.wins, two.draws,
                                                                       two.losses, two.state)
    weaker = run_compare(CompareConfig(a="random", b="greedy", rules=SMALL, seed=1, max_games=400, workers=2))
    assert weaker.stopped_early and weaker.state.decision == "H0" and weaker.verdict(0) == "random is weaker"


def test_self_play_finds_no_difference() -> None:
    result = run_compare(CompareConfig(a="new=safe", b="old=safe", rules=SMALL, seed=2, max_games=40,
                                       elo1=400, workers=2))
    assert result.games > 0 and result.verdict(0) == "no difference found"
    assert result.state.elo_low < 0 < result.state.elo_high


def test_free_for_all_with_a_field_swaps_seats_in_pairs(tmp_path: Path) -> None:
    result = run_compare(CompareConfig(a="greedy", b="safe", players=3, field_bots=["space"], rules=SMALL, seed=3,
                                       max_games=6, workers=2, out_dir=tmp_path))
    assert result.pairs == 3 and not result.stopped_early
    first = read_replay(tmp_path / "c3-0a.jsonl.gz", require_result=True).header
    second = read_replay(tmp_path / "c3-0b.jsonl.gz", require_result=True).header
    assert first["seed"] == second["seed"] == 3_000_000
    assert [p["name"] for p in first["players"]] == ["greedy", "safe", "space"]
    assert [p["name"] for p in second["players"]] == ["safe", "greedy", "space"]


FAST = ["--size", "7", "--max-turns", "100", "--timeout", "10000"]


def snek(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "arena", *args], capture_output=True, text=True, timeout=180)


def test_cli_prints_progress_and_a_verdict() -> None:
    out = snek("compare", "greedy", "random", *FAST, "--max-games", "200", "--seed", "1", "--workers", "2")
    assert out.returncode == 0, out.stderr
    assert "greedy is stronger (SPRT decided" in out.stdout
    assert "LLR" in out.stdout and "in (-2.94, 2.94)" in out.stdout and "Elo +" in out.stdout
    assert "\x1b[" not in out.stdout
    data = json.loads(snek("compare", "greedy", "random", *FAST, "--max-games", "200", "--seed", "1", "--workers", "1",
                           "--json").stdout)
    assert data["verdict"] == "greedy is stronger" and data["decided"] and data["games"] == 2 * sum(data["pentanomial"])


def test_cli_quiet_prints_only_the_verdict() -> None:
    out = snek("compare", "greedy", "random", *FAST, "--max-games", "200", "--seed", "1", "--workers", "1", "--quiet")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[-1].startswith("greedy is stronger (SPRT decided"), lines
    assert len(lines) == 3, lines  # the final status, the pentanomial counts, the verdict: no progress lines


@pytest.mark.parametrize("args,message", [
    (["compare", "greedy", "nope"], "unknown bot 'nope'"),
    (["compare", "greedy", "safe", "--players", "4", "--field", "space"], "--players 4 needs --field with 2 bot(s)"),
    (["compare", "greedy", "safe", "--elo0", "5", "--elo1", "5"], "--elo0 must be below --elo1"),
    (["compare", "greedy", "safe", "--max-games", "1"], "--max-games must be at least 2"),
])
def test_cli_bad_arguments_are_one_line(args: list[str], message: str) -> None:
    out = snek(*args)
    assert out.returncode == 2 and message in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
