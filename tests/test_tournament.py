"""Tournaments: a fair seeded schedule, the same games and ratings whatever the worker count,
shared ranks for ties, files in the output folder, and the CLI's table and one-line errors."""

from __future__ import annotations

import json
from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest
from snek_cli import snek

from arena import tournament
from arena.match import MatchConfig
from arena.replay import read_replay
from arena.tournament import (
    GameRecord,
    Leaderboard,
    Schedule,
    TournamentConfig,
    entrant_names,
    entrants,
    games_per_unit,
    run_tournament,
    schedule,
)


def test_schedule_covers_combinations_and_rotates_seats() -> None:
    games = schedule(5, 40, 4, seed=1)
    assert all(len(set(g)) == 4 for g in games)
    assert Counter(tuple(sorted(g)) for g in games) == {c: 8 for c in combinations(range(5), 4)}
    seats = Counter((bot, seat) for g in games for seat, bot in enumerate(g))
    assert set(seats.values()) == {8}  # every bot sits in every seat equally often
    assert schedule(5, 40, 4, seed=1) == games and schedule(5, 40, 4, seed=2) != games


def test_fewer_bots_than_seats_play_all_together() -> None:
    assert all(sorted(g) == [0, 1] for g in schedule(2, 6, 4, seed=0))


def test_entrant_names_number_repeats() -> None:
    assert entrant_names(["greedy", "safe", "greedy"]) == ["greedy", "safe", "greedy#2"]


def test_labels_name_entrants() -> None:
    names, specs = entrants(["new=greedy", "old=tests/x.py:move", "greedy", "cmd:python3 bot.py --a=1"])
    assert names == ["new", "old", "greedy", "cmd:python3 bot.py --a=1"]
    assert specs == ["greedy", "tests/x.py:move", "greedy", "cmd:python3 bot.py --a=1"]
    with pytest.raises(ValueError, match="two bots are named 'a'"):
        entrants(["a=greedy", "a=safe"])


def test_schedule_is_lazy_and_prefix_stable() -> None:
    plan = Schedule(5, 4, seed=1)
    assert [plan[i] for i in range(40)] == schedule(5, 40, 4, seed=1) == schedule(5, 400, 4, seed=1)[:40]
    assert len(plan[10**12]) == 4  # a huge tournament needs no list of every game


def test_ties_share_a_rank() -> None:
    board = Leaderboard(["a", "b", "c"])
    board.add(GameRecord(index=0, seed=0, seats=[0, 1, 2], ranks=[1, 2, 2], winner=0, turns=9,
                         errors=[0, 0, 0], seconds=0.1))
    assert board.together[1][2] == 1 and board.ahead[1][2] == board.ahead[2][1] == 0
    a, b, c = board.ratings
    assert a.mu > b.mu and b.mu == pytest.approx(c.mu)
    assert board.wins == [1, 0, 0] and board.played == 1


def test_workers_and_lockstep_do_not_change_the_games(tmp_path: Path, monkeypatch) -> None:
    """1 worker playing 4 games side by side, 2 workers with 2 each, and 1 worker one game at a time."""
    def run(workers: int, out: Path | None) -> tuple[list, list]:
        records: list[GameRecord] = []
        config = TournamentConfig(bots=["random", "safe", "greedy"], games=9, seed=3, workers=workers, out_dir=out,
                                  rules=MatchConfig(timeout_ms=10_000))  # no timeouts under load: the same games
        board = run_tournament(config, lambda record, _: records.append(record))
        strip = [(r.index, r.seed, r.seats, r.ranks, r.winner, r.turns, r.lengths, r.survived, r.deaths)
                 for r in records]
        return strip, [(s.name, round(s.mu, 9), s.wins, s.avg_length, s.death) for s in board.standings()]

    assert games_per_unit(True, 9, 1) == 4 and games_per_unit(True, 9, 2) == 2
    one = run(1, None)
    two = run(2, tmp_path)
    monkeypatch.setattr(tournament, "UNIT", 1)
    assert games_per_unit(True, 9, 1) == 1
    alone = run(1, None)
    assert one == two == alone
    assert [i for i, *_ in two[0]] == list(range(9))  # rated in schedule order
    results = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert len(results) == 9 and results[0]["names"]
    replay = read_replay(tmp_path / "game-00004.jsonl.gz", require_result=True)
    assert replay.header["game_id"] == "t3-4" and replay.header["seed"] == 3_000_004


def test_bad_specs_fail_before_any_game() -> None:
    with pytest.raises(ValueError, match="unknown bot 'nope'"):
        run_tournament(TournamentConfig(bots=["random", "nope"], games=2))
    with pytest.raises(ValueError, match="at least two bots"):
        run_tournament(TournamentConfig(bots=["random"], games=2))


def test_cli_tournament_prints_ratings(tmp_path: Path) -> None:
    out = snek("tournament", "random", "safe", "greedy", "--games", "12", "--workers", "2", "--seed", "1",
               "--timeout", "10000", "--out-dir", str(tmp_path))  # no timeout on a loaded machine: the same games
    assert out.returncode == 0, out.stderr
    assert "12 games, standard 11x11, 3 per game, seed 1" in out.stdout
    rows = [line.split() for line in out.stdout.splitlines() if line.split()[:1] in (["1"], ["2"], ["3"])]
    assert [r[:2] for r in rows] == [["1", "greedy"], ["2", "safe"], ["3", "random"]]  # greedy on top
    assert "\x1b[" not in out.stdout  # not a terminal: plain text
    saved = (tmp_path / "leaderboard.txt").read_text()
    assert saved.startswith("$ snek tournament random safe greedy") and "greedy" in saved
    assert len(list(tmp_path.glob("game-*.jsonl.gz"))) == 12


@pytest.mark.parametrize("args,message", [
    (["tournament", "random", "no-such-bot"], "unknown bot 'no-such-bot'"),
    (["tournament", "random", "cmd:definitely-not-a-program"], "command not found"),
    (["tournament", "random", "missing.py:move"], "no such bot file"),
    (["tournament", "random", "safe", "--ruleset", "nope"], "unknown ruleset"),
    (["tournament", "random", "safe", "--games", "0"], "must be positive"),
    (["tournament", "random", "safe", "greedy", "space", "random", "safe", "greedy", "space", "search",
      "--players", "9", "--size", "5"], "9 players per game do not fit: more than 8 snakes need a board"),
    (["tournament", "random", "safe", "--backend", "spark"], "unknown backend 'spark'"),
    (["tournament", "a=random", "a=safe"], "two bots are named 'a'"),
    (["serve-bot", "nope"], "unknown bot 'nope'"),
])
def test_cli_user_errors_are_one_line(args: list[str], message: str) -> None:
    out = snek(*args)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
