"""What a tournament reports: per-bot figures (checked by hand on small records), the head-to-head
table, the files an --out-dir gets (results.json, leaderboard.csv, report.html opened in a real
headless Chromium with the network cut off), and the CLI's output modes."""

from __future__ import annotations

import csv
import json
import os
import pty
import select
import time
from pathlib import Path

import pytest
from prereq import need_module, need_program
from snek_cli import snek, spawn_snek

from arena.match import MatchConfig
from arena.standings import Leaderboard, latency_bin, wilson
from arena.tournament import GameRecord, TournamentConfig, run_tournament

SMALL = MatchConfig(width=7, height=7, max_turns=80)


def record(index: int, seats: list[int], ranks: list[int], **extra) -> GameRecord:
    n = len(seats)
    winner = seats[ranks.index(1)] if ranks.count(1) == 1 else None
    base = dict(index=index, seed=index, seats=seats, ranks=ranks, winner=winner, turns=50, errors=[0] * n,
                seconds=0.1, lengths=[3] * n, survived=[50] * n, deaths=[None] * n, timeouts=[0] * n,
                latency=[{"n": 0, "sum": 0.0, "hist": []}] * n)
    return GameRecord(**{**base, **extra})


def test_wilson_interval_known_values() -> None:
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)


def test_per_bot_figures_from_records() -> None:
    board = Leaderboard(["a", "b", "c"])
    lat = lambda values: {"n": len(values), "sum": sum(values), "hist": sorted(
        {latency_bin(v): sum(latency_bin(w) == latency_bin(v) for w in values) for v in values}.items())}
    board.add(record(0, [0, 1, 2], [1, 2, 3], lengths=[9, 5, 3], survived=[50, 40, 10],
                     deaths=[None, "head-collision", "wall-collision"], errors=[0, 2, 0], timeouts=[0, 1, 0],
                     latency=[lat([1.0] * 19 + [100.0]), lat([2.0]), lat([])]))
    board.add(record(1, [2, 1, 0], [1, 2, 2], lengths=[7, 4, 6], survived=[60, 30, 30],
                     deaths=[None, "wall-collision", "head-collision"]))
    board.add(record(2, [1, 2], [1, 1], deaths=["head-collision", "head-collision"]))  # a draw
    a, b, c = (board.standing(e) for e in range(3))
    assert (a.games, a.wins, a.avg_place, a.avg_length, a.avg_turns) == (2, 1, 1.5, 7.5, 40.0)
    assert (b.games, b.wins, b.errors, b.timeouts, b.death) == (3, 0, 2, 1, "head-collision")
    assert c.wins == 1 and c.death == "head-collision"  # 2 head, 1 wall
    assert a.death == "head-collision" and board.standing(0).win_low == pytest.approx(wilson(1, 2)[0])
    assert a.latency_ms == pytest.approx((19 + 100) / 20, abs=0.01)
    assert a.latency_p95_ms == pytest.approx(1.0, rel=0.05)  # the 19th of 20 moves: 1 ms, within the 5% bin
    assert c.latency_ms is None and c.latency_p95_ms is None
    h2h = {(h["bot"], h["opponent"]): (h["ahead"], h["behind"], h["games"]) for h in board.head_to_head()}
    assert h2h[("a", "b")] == (1, 0, 2)  # game 1: a and b tied
    assert h2h[("b", "c")] == (1, 1, 3) and h2h[("c", "b")] == (1, 1, 3)
    assert len(board.history) == 3 and board.rating_history(points=2)["games"] == [2, 3]


def test_failed_games_are_listed_not_rated() -> None:
    board = Leaderboard(["a", "b"])
    board.add(record(0, [0, 1], [], errors=[0, 0], failed="worker process died (exit code -9), twice"))
    assert board.played == 0 and board.failed == [(0, "worker process died (exit code -9), twice")]
    assert board.standing(0).games == 0


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> tuple[Path, Leaderboard]:
    out = tmp_path_factory.mktemp("report")
    config = TournamentConfig(bots=["new=greedy", "greedy", "safe", "random"], games=12, players_per_game=3,
                              rules=SMALL, seed=5, workers=2, out_dir=out)
    return out, run_tournament(config)


def test_out_dir_files(finished) -> None:
    out, board = finished
    data = json.loads((out / "results.json").read_text())
    assert data["games"] == 12 and data["tournament"]["seed"] == 5
    names = [row["name"] for row in data["leaderboard"]]
    assert sorted(names) == ["greedy", "new", "random", "safe"]
    assert names == [s.name for s in board.standings()]
    first = data["leaderboard"][0]
    for key in ("ordinal", "mu", "sigma", "games", "wins", "win_rate", "win_low", "win_high", "avg_place",
                "avg_length", "avg_turns", "death", "errors", "timeouts", "latency_ms", "latency_p95_ms"):
        assert key in first, key
    assert sum(row["games"] for row in data["leaderboard"]) == 12 * 3
    pairs = {(h["bot"], h["opponent"]): h for h in data["head_to_head"]}
    assert len(pairs) == 12  # every ordered pair of 4 bots met
    for (a, b), h in pairs.items():
        assert h["ahead"] == pairs[(b, a)]["behind"] and h["ahead"] + h["behind"] <= h["games"]
    assert data["rating_history"]["games"][-1] == 12
    with open(out / "leaderboard.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["name"] for r in rows] == names and rows[0]["rank"] == "1"
    assert float(rows[0]["win_low"]) <= float(rows[0]["win_rate"]) <= float(rows[0]["win_high"])
    identity = json.loads((out / "tournament.json").read_text())
    assert identity["bots"][0] == {"name": "new", "spec": "greedy"}


def test_report_page_works_offline_in_chromium(finished) -> None:
    """Opened from disk with every network request refused: leaderboard, chart, heatmap, replay links."""
    sync_api = need_module("playwright.sync_api", "the test extra")
    need_program("chromium", "/usr/bin/chromium")
    out, board = finished
    html = (out / "report.html").read_text()
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run"])
        try:
            page = browser.new_page()
            page.route("**/*", lambda route: (requests.append(route.request.url), route.continue_()
                                              if route.request.url.startswith("file:") else route.abort()))
            page.goto((out / "report.html").as_uri())
            board_rows = page.locator("table.board tr").count()
            lines = page.locator("svg polyline.rating").count()
            cells = page.locator("table.h2h td").count()
            hrefs = page.locator("table.games a").evaluate_all("links => links.map(a => a.href)")
        finally:
            browser.close()
    assert all(url.startswith("file:") for url in requests), requests
    assert board_rows == 1 + 4 and lines == 4 and cells == 4 * 4
    assert len(hrefs) == 12
    assert all(Path(href.removeprefix("file://")).is_file() for href in hrefs)


BASE = ["--games", "6", "--size", "7", "--max-turns", "60", "--workers", "1", "--seed", "2"]


def test_cli_self_play_json_and_quiet() -> None:
    out = snek("tournament", "greedy", "greedy", "safe", *BASE, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)  # nothing but the JSON on stdout
    assert sorted(row["name"] for row in data["leaderboard"]) == ["greedy", "greedy#2", "safe"]
    assert all(row["games"] == 6 for row in data["leaderboard"])
    quiet = snek("tournament", "greedy", "greedy", "safe", *BASE, "--quiet")
    assert quiet.returncode == 0, quiet.stderr
    assert "games 6/6" not in quiet.stdout and "head to head" not in quiet.stdout and "played in" not in quiet.stdout
    assert "6 games, standard 7x7, 3 per game, seed 2" in quiet.stdout and "greedy#2" in quiet.stdout
    plain = snek("tournament", "greedy", "greedy", "safe", *BASE)
    assert "games 6/6" in plain.stdout and "head to head" in plain.stdout and "\x1b[" not in plain.stdout


def test_cli_in_a_terminal_shows_live_progress() -> None:
    """Under a pseudo-terminal: the progress bar and the leaderboard are drawn in place (control codes)."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "160", "LINES": "50", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    proc = spawn_snek("tournament", "greedy", "safe", *BASE, stdin=follower, stdout=follower, stderr=follower, env=env,
                      close_fds=True, text=False)
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1)
            if ready:
                try:
                    data = os.read(leader, 65536)
                except OSError:
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
    finally:
        os.close(leader)
        proc.wait(timeout=30)
    text = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0, text
    assert "\x1b[" in text and "games/s" in text and "eta" in text
    assert "leaderboard" in text  # the live table, before the final one
    assert "6 games, standard 7x7, 2 per game, seed 2" in text
