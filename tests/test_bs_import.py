"""`snek replay import`: games written by Battlesnake's CLI become snek replays that verify.

The files are written as the CLI writes them (tests/bs_cli.py follows its Go source; the CLI itself
cannot be built here), one of them by hand (tests/data), the rest played by the pure-Python rules
model with a seed the file does not record.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs_cli import play_cli_game
from snek_cli import snek

from arena.bs_import import BattlesnakeFileError, default_output, import_cli_game, write_imported
from arena.replay import read_replay
from arena.verify import verify

DATA = Path(__file__).parent / "data"
HAND_MADE = DATA / "battlesnake-cli-standard-7x7.jsonl"


def test_hand_made_game_is_reconstructed_exactly() -> None:
    """Every value below is worked out by hand from Battlesnake's rules."""
    imported = import_cli_game(HAND_MADE)
    replay = imported.replay
    assert imported.warnings == []
    h = replay.header
    assert (h["ruleset"], h["width"], h["height"], h["seed"], h["timeout_ms"]) == ("standard", 7, 7, 0, 500)
    assert h["settings"] == {"foodSpawnChance": 0, "minimumFood": 1, "hazardDamagePerTurn": 14}
    assert [(p["id"], p["name"], p["color"]) for p in h["players"]] == [("s0", "ann", "#e80978"),
                                                                        ("s1", "bob", "#3cb44b")]
    assert h["players"][0]["battlesnake_id"] == "5c1c2b5e-8a43-4a38-9d3b-0f2d0e1a7b01"
    assert (h["players"][0]["head"], h["players"][0]["tail"]) == ("default", "default")
    assert h["external"] == ["food", "hazards"] and h["imported"]["from"] == "battlesnake-cli"
    assert h["game_id"] == "0f4e6c1a-7d2b-4b8e-9a3c-5e1f2d4b6a80"
    assert [f["turn"] for f in replay.frames] == [0, 1, 2, 3, 4]
    moves = [[s["move"] for s in f["snakes"]] for f in replay.frames]
    assert moves == [[None, None], ["right", "down"], ["up", "left"], ["right", "down"], ["right", "down"]]
    assert [s["latency_ms"] for s in replay.frames[1]["snakes"]] == [12.0, 31.0]
    assert replay.frames[1]["snakes"][0]["body"] == [[2, 1], [1, 1], [1, 1], [1, 1]]  # ate: tail stacked
    last = replay.frames[-1]["snakes"]
    assert last[0]["alive"] and last[0]["health"] == 97
    # bob vanished from the file on turn 4: the import finds the head-on with the longer ann
    assert last[1] == {**last[1], "alive": False, "body": [[4, 2], [4, 3], [4, 4]], "health": 96,
                       "death": {"cause": "head-collision", "turn": 4, "by": "s0"}, "move": "down"}
    assert replay.result["winner"] == "s0" and replay.result["turns"] == 4
    verdict = verify(replay)
    assert verdict.ok and "food and hazards taken from the replay" in verdict.note


RULESETS = [("standard", 4, 11), ("wrapped", 4, 11), ("constrictor", 3, 7), ("wrapped_constrictor", 3, 7),
            ("royale", 4, 11), ("solo", 1, 7)]


def test_played_games_import_and_verify(tmp_path: Path) -> None:
    """Many games of every Battlesnake ruleset: what the file shows is kept, what it lacks is rebuilt,
    and the replay verifies although the file's food came from a seed the import never saw."""
    games = deaths = right_cause = 0
    for ruleset, snakes, size in RULESETS:
        for seed in range(6):
            path = tmp_path / f"{ruleset}-{seed}.jsonl"
            truth = play_cli_game(path, ruleset, snakes=snakes, size=size, seed=seed)
            imported = import_cli_game(path)
            replay = imported.replay
            assert imported.warnings == [], (ruleset, seed, imported.warnings)
            assert len(replay.frames) == len(truth)
            ids = {p["battlesnake_id"]: p["id"] for p in replay.header["players"]}
            for want, got in zip(truth, replay.frames):
                assert sorted(map(tuple, got["food"])) == sorted(map(tuple, want["food"]))
                assert sorted(map(tuple, got["hazards"])) == sorted(map(tuple, want["hazards"]))
                for w, g in zip(want["snakes"], got["snakes"]):
                    assert ids[w["id"]] == g["id"] and w["alive"] == g["alive"]
                    if w["alive"]:
                        assert (g["body"], g["health"], g["move"]) == (w["body"], w["health"], w["move"])
                    else:  # when it died is certain; how is a best guess (the file does not say)
                        assert g["death"]["turn"] == w["death"]["turn"]
            for w in truth[-1]["snakes"]:
                if w["death"]:
                    got = next(g for g in replay.frames[-1]["snakes"] if g["id"] == ids[w["id"]])
                    deaths += 1
                    right_cause += got["death"]["cause"] == w["death"]["cause"]
            verdict = verify(replay)
            assert verdict.ok, (ruleset, seed, verdict)
            out = write_imported(imported, tmp_path / f"{ruleset}-{seed}.snek.jsonl.gz")
            again = read_replay(out, require_result=True)
            assert again.frames == replay.frames and verify(again).ok
            games += 1
    assert games == 6 * len(RULESETS)
    assert deaths > 60 and right_cause > deaths * 0.7, (deaths, right_cause)  # 87 and 68 when written


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _write(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_a_rule_difference_is_reported_by_verify(tmp_path: Path) -> None:
    """A file whose snake skips a point of starvation: import warns, verify names that turn."""
    lines = _lines(HAND_MADE)
    lines[3]["board"]["snakes"][0]["health"] = 100  # turn 2: ann should be at 99
    imported = import_cli_game(_write(tmp_path / "tampered.jsonl", lines))
    assert len(imported.warnings) == 1 and imported.warnings[0].startswith("turn 2:")
    verdict = verify(imported.replay)
    assert not verdict.ok and verdict.first_bad_turn == 2 and "health" in verdict.detail


def test_food_that_vanishes_uneaten_is_reported(tmp_path: Path) -> None:
    lines = _lines(HAND_MADE)
    lines[4]["board"]["food"] = []  # turn 3: the food at (3,3) was not eaten
    verdict = verify(import_cli_game(_write(tmp_path / "food.jsonl", lines)).replay)
    assert not verdict.ok and verdict.first_bad_turn == 3 and "[[3, 3]] uneaten" in verdict.detail


def test_files_from_cli_versions_without_the_final_turn(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    truth = play_cli_game(path, "standard", seed=3, final_turn=False)
    imported = import_cli_game(path)
    assert len(imported.replay.frames) == len(truth) - 1 and imported.replay.result is None
    assert "before the game is over" in imported.warnings[0]
    out = write_imported(imported, tmp_path / "old.snek.jsonl")
    assert read_replay(out).result is None and verify(read_replay(out)).ok


def _bad_files() -> list[tuple[str, object, str]]:
    def edit(change):
        lines = _lines(HAND_MADE)
        change(lines)
        return lines

    def teleport(lines):
        snake = lines[2]["board"]["snakes"][0]
        snake["body"][0] = snake["head"] = {"x": 6, "y": 6}

    def stranger(lines):
        lines[2]["board"]["snakes"][1]["id"] = "who"

    def revive(lines):
        both = lines[4]["board"]["snakes"]  # bob back after his elimination on turn 4
        lines.insert(-1, {**lines[-2], "turn": 5, "board": {**lines[-2]["board"], "snakes": both}})

    def skip(lines):
        del lines[2]

    def squad(lines):
        for line in lines[:-1]:
            (line.get("game") or line)["ruleset"]["name"] = "squad"

    def off_board(lines):
        lines[2]["board"]["food"].append({"x": 9, "y": 1})

    return [
        ("empty", "", "empty file"),
        ("not-json", "{nope\n", "line 1: not JSON"),
        ("array", "[1, 2]\n", "line 1: expected a JSON object"),
        ("no-board", '{"id": "g", "ruleset": {"name": "standard"}}\n{"turn": 0}\n', "line 2: not a Battlesnake game"),
        ("teleport", edit(teleport), "line 3: snake '5c1c2b5e-8a43-4a38-9d3b-0f2d0e1a7b01' went from [1, 1] to [6, 6]"),
        ("stranger", edit(stranger), "line 3: snake 'who' was not on the board at the start"),
        ("revive", edit(revive), "is back on the board after it was eliminated"),
        ("skip", edit(skip), "turn 2 follows turn 0"),
        ("squad", edit(squad), "unknown ruleset 'squad'"),
        ("off-board", edit(off_board), "line 3: board.food[1] (9, 1) is outside the 7x7 board"),
    ]


def test_bad_files_get_one_clear_line(tmp_path: Path) -> None:
    cases = _bad_files()
    for name, content, message in cases:
        path = tmp_path / f"{name}.jsonl"
        path.write_text(content) if isinstance(content, str) else _write(path, content)
        with pytest.raises(BattlesnakeFileError) as caught:
            import_cli_game(path)
        assert message in str(caught.value) and "\n" not in str(caught.value), (name, str(caught.value))
    assert len(cases) == 10


def test_caps_refuse_a_file_as_it_is_read(tmp_path: Path) -> None:
    """The server's caps (``import_cli_game(max_bytes=, max_lines=)``) refuse a bigger game, and a line
    over 4 MB is never taken whole; the same game imports with room to spare."""
    size, lines = HAND_MADE.stat().st_size, len(HAND_MADE.read_text().splitlines())
    assert import_cli_game(HAND_MADE, max_bytes=size, max_lines=lines).replay.frames
    refusals = {"more than 100 bytes unpacked": dict(max_bytes=100), "more than 2 lines": dict(max_lines=2)}
    for words, caps in refusals.items():
        with pytest.raises(BattlesnakeFileError, match=words):
            import_cli_game(HAND_MADE, **caps)
    long_line = tmp_path / "long.jsonl"
    long_line.write_bytes(HAND_MADE.read_bytes().splitlines()[0] + b" " * (5 << 20) + b"\n")
    with pytest.raises(BattlesnakeFileError, match="line 1: longer than 4 MB"):
        import_cli_game(long_line)
    assert len(refusals) == 2


def test_cli_import_then_verify(tmp_path: Path) -> None:
    source = tmp_path / "game.jsonl"
    source.write_bytes(HAND_MADE.read_bytes())
    done = snek("replay", "import", str(source))
    out = default_output(source)
    assert out.name == "game.snek.jsonl.gz" and out.exists()
    assert done.returncode == 0 and "imported 5 frames" in done.stdout and "verify: OK" in done.stdout
    checked = snek("replay", "verify", str(out))
    assert checked.returncode == 0 and "OK: 5 frames" in checked.stdout and "battlesnake-cli" in checked.stdout
    again = snek("replay", "import", str(out))  # our own replay is refused, not mangled
    assert again.returncode == 2 and "already a snek replay" in again.stderr and "Traceback" not in again.stderr


# --- every line checked, nothing written that verify refuses, exit codes (issue 18, defects 3-6) ----------

def _edited(tmp_path: Path, name: str, change) -> Path:
    lines = _lines(HAND_MADE)
    change(lines)
    return _write(tmp_path / f"{name}.jsonl", lines)


def _set_snake(line: int, key: str, value):
    def change(lines):
        lines[line]["board"]["snakes"][0][key] = value
    return change


def _set_result(key: str, value):
    def change(lines):
        lines[-1][key] = value
    return change


LATER_LINES = [  # (name, change, the one line: file line and message)
    ("health-null", _set_snake(3, "health", None), "line 4: board.snakes[0].health must be an integer, got null"),
    ("body-empty", _set_snake(3, "body", []), "line 4: board.snakes[0].body must have 1 to"),
    ("winner-list", _set_result("winnerId", ["x"]), 'line 7: winnerId must be a string, got ["x"]'),
    ("draw-text", _set_result("isDraw", "no"), 'line 7: isDraw must be true or false, got "no"'),
    ("health-text", _set_snake(4, "health", "90"), 'line 5: board.snakes[0].health must be an integer, got "90"'),
    ("health-150", _set_snake(4, "health", 150), "line 5: board.snakes[0].health must be between 0 and 100, got 150"),
    ("health-float", _set_snake(4, "health", 97.5), "line 5: board.snakes[0].health must be an integer, got 97.5"),
]


def test_every_line_is_checked_like_the_first(tmp_path: Path) -> None:
    """A later turn's `"health": null` or `"body": []` and a result's `"winnerId": ["x"]` were tracebacks
    (exit 1); health `"90"`, 150 or 97.5 on a later turn were written into a replay our reader then
    refused.  Each is now one line naming the CLI file's line, exit 2, and no file is written."""
    ran = 0
    for name, change, message in LATER_LINES:
        path = _edited(tmp_path, name, change)
        with pytest.raises(BattlesnakeFileError) as caught:
            import_cli_game(path)
        assert str(caught.value).startswith(f"{path.name} {message}"), (name, str(caught.value))
        done = snek("replay", "import", str(path))
        assert done.returncode == 2 and "Traceback" not in done.stderr, (name, done.stderr)
        assert message in " ".join(done.stderr.split()) and not default_output(path).exists(), (name, done.stderr)
        ran += 1
    assert ran == len(LATER_LINES) == 7


def test_import_writes_nothing_the_reader_refuses(tmp_path: Path) -> None:
    """What passes the request checks but not the replay reader's (a timeout of 0 ms in the game line)
    is refused with the reader's own message, on the line it came from."""
    path = _edited(tmp_path, "timeout-0", lambda lines: lines[0].update(timeout=0))
    with pytest.raises(BattlesnakeFileError, match=r"timeout-0.jsonl line 1: timeout_ms: expected an integer in 1\.\."):
        import_cli_game(path)


def test_a_mismatch_exits_1_like_verify(tmp_path: Path) -> None:
    """Import printed MISMATCH from its own verification and exited 0."""
    path = _edited(tmp_path, "mismatch", lambda lines: lines[3]["board"]["snakes"][0].update(health=100))
    done = snek("replay", "import", str(path))
    assert "verify: MISMATCH at turn 2" in done.stdout and done.returncode == 1, (done.returncode, done.stdout)
    checked = snek("replay", "verify", str(default_output(path)))
    assert checked.returncode == 1 and "MISMATCH" in checked.stdout


def test_a_move_that_reached_the_timeout_is_a_timeout(tmp_path: Path) -> None:
    """The CLI records a timed-out move's latency as the time it waited (>= game.timeout) and nothing
    else: such a move was imported with `error: null`."""
    def late(lines):
        lines[2]["board"]["snakes"][1]["latency"] = "500"  # bob's move into turn 1 hit the 500 ms timeout
        lines[3]["board"]["snakes"][0]["latency"] = "499"  # ann's move into turn 2 was just in time
    replay = import_cli_game(_edited(tmp_path, "late", late)).replay
    errors = [[(s["error"], s["latency_ms"]) for s in f["snakes"]] for f in replay.frames[1:3]]
    assert errors == [[(None, 12.0), ("timeout", 500.0)], [(None, 499.0), (None, 40.0)]], errors
    assert verify(replay).ok
