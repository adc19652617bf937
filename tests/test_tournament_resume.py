"""Never lose a game: real runs killed mid-way (SIGINT, SIGKILL) resume to the uninterrupted result,
a torn last line of results.jsonl is replayed, a dying worker costs only its game, and bad
arguments fail before any game starts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
from killer_bot import write_killer
from ports import free_port
from snek_cli import snek, spawn_snek
from waiting import wait_until

from arena.match import MatchConfig
from arena.replay import read_replay
from arena.tournament import TournamentConfig, read_results, run_tournament

ROOT = Path(__file__).resolve().parent.parent
# whole tournaments of 30 games with subprocess bots, run twice per test (interrupted, then resumed)
pytestmark = pytest.mark.timeout(900)
# a generous timeout: a loaded machine must not turn a slow move into a timeout (a different game)
SMALL = MatchConfig(width=7, height=7, max_turns=60, timeout_ms=10_000)
GAMES = 30
CLOCK_FIELDS = {"latency_ms", "latency_p95_ms"}  # the only figures that depend on the machine


def stdio_bot(tag: str) -> str:
    return f"cmd:{sys.executable} {ROOT / 'examples' / 'bots' / 'bot.py'} {tag}"


def processes_with(tag: str) -> list[int]:
    """Pids whose command line mentions ``tag`` (bot processes of one test)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if tag.encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry.name))
    return kids


def lines_in(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def cli_args(tag: str, out: Path) -> list[str]:
    return ["tournament", stdio_bot(tag), "safe", "greedy", "--games", str(GAMES), "--size", "7", "--max-turns",
            "60", "--timeout", "10000", "--workers", "2", "--seed", "4", "--out-dir", str(out)]


def start(args: list[str]) -> subprocess.Popen:
    return spawn_snek(*args, cwd=ROOT)


def standings_without_clock(path: Path) -> list[dict]:
    rows = json.loads(path.read_text())["leaderboard"]
    return [{k: v for k, v in row.items() if k not in CLOCK_FIELDS} for row in rows]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    """The same tournament played in one go (its bot tag differs, so its names are set by labels)."""
    out = tmp_path_factory.mktemp("whole")
    proc = snek(*cli_args("whole-run", out), "--quiet", timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return out


def comparable(out: Path) -> list[dict]:
    rows = standings_without_clock(out / "results.json")
    for row in rows:  # the stdio bot's spec carries its test's tag
        row.pop("spec")
        row["name"] = row["name"].split(" ")[0] if row["name"].startswith("cmd:") else row["name"]
    return rows


def check_complete(out: Path) -> None:
    records, good = read_results(out / "results.jsonl")
    assert sorted(r.index for r in records) == list(range(GAMES))  # every game once, none twice
    assert good == (out / "results.jsonl").stat().st_size


def test_ctrl_c_keeps_games_kills_bots_and_resumes(tmp_path: Path, uninterrupted: Path) -> None:
    tag = f"sigint-{os.getpid()}"
    out = tmp_path / "t"
    proc = start(cli_args(tag, out))
    # 4 of 30 games kept: the other 26 take seconds, so the run is mid-way when the signal lands
    wait_until(lambda: lines_in(out / "results.jsonl") >= 4 or proc.poll() is not None, what="4 games finished")
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    kept = lines_in(out / "results.jsonl")
    assert 4 <= kept < GAMES, "the run must be cut short mid-way"
    assert f"interrupted: {kept} finished games kept" in stdout
    assert "resume with: snek tournament" in stdout and "--resume" in stdout
    assert "Traceback" not in stderr + stdout
    wait_until(lambda: not processes_with(tag), what="no bot process left after Ctrl-C")
    kept_replays = {r.index: (out / f"game-{r.index:05d}.jsonl.gz").stat().st_mtime_ns
                    for r in read_results(out / "results.jsonl")[0]}

    resumed = snek(*cli_args(tag, out), "--resume", "--quiet", timeout=300, cwd=ROOT)
    assert resumed.returncode == 0, resumed.stderr
    check_complete(out)
    for index, mtime in kept_replays.items():  # games kept were not played again
        assert (out / f"game-{index:05d}.jsonl.gz").stat().st_mtime_ns == mtime
    assert comparable(out) == comparable(uninterrupted)


def test_sigkill_leaves_no_workers_and_a_torn_line_is_replayed(tmp_path: Path, uninterrupted: Path) -> None:
    tag = f"sigkill-{os.getpid()}"
    out = tmp_path / "t"
    proc = start(cli_args(tag, out))
    # 4 of 30 games kept: the other 26 take seconds, so the run is mid-way when the signal lands
    wait_until(lambda: lines_in(out / "results.jsonl") >= 4 or proc.poll() is not None, what="4 games finished")
    workers = children(proc.pid)
    assert len(workers) == 2, workers
    proc.kill()
    proc.communicate(timeout=30)
    wait_until(lambda: not any(Path(f"/proc/{w}").exists() for w in workers), what="no worker left after the kill")
    wait_until(lambda: not processes_with(tag), what="no bot process left after the kill")
    results = out / "results.jsonl"
    complete = read_results(results)[0]
    assert len(complete) < GAMES
    last = results.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[-1]
    with open(results, "ab") as handle:  # as if killed in the middle of writing one more line
        handle.write(last[: len(last) // 2])
    assert len(read_results(results)[0]) == len(complete)  # the torn line is not a game

    resumed = snek(*cli_args(tag, out), "--resume", "--quiet", timeout=300, cwd=ROOT)
    assert resumed.returncode == 0, resumed.stderr
    check_complete(out)
    assert comparable(out) == comparable(uninterrupted)


def test_damaged_line_in_the_middle_is_an_error(tmp_path: Path) -> None:
    config = TournamentConfig(bots=["safe", "random"], games=3, rules=SMALL, out_dir=tmp_path)
    run_tournament(config)
    lines = (tmp_path / "results.jsonl").read_text().splitlines(keepends=True)
    (tmp_path / "results.jsonl").write_text(lines[0] + "{garbage\n" + "".join(lines[1:]))
    with pytest.raises(ValueError, match="results.jsonl line 2 is damaged"):
        run_tournament(TournamentConfig(**{**config.__dict__, "resume": True}))


def test_a_dying_worker_fails_only_its_game(tmp_path: Path) -> None:
    log = tmp_path / "attempts.log"
    write_killer(tmp_path / "killer.py", log)
    config = TournamentConfig(bots=[f"killer={tmp_path / 'killer.py'}:move", "safe"], games=6, rules=SMALL,
                              workers=2, out_dir=tmp_path / "out")
    board = run_tournament(config)
    attempts = log.read_text().split()
    assert attempts.count("t0-2") == 2 and attempts.count("t0-4") == 2  # each retried once
    assert attempts.count("t0-0") == 1
    assert board.played == 5 and [i for i, _ in board.failed] == [2]
    assert "worker process died (exit code -9), twice" in board.failed[0][1]
    records = {r.index: r for r in read_results(tmp_path / "out" / "results.jsonl")[0]}
    assert records[2].failed and records[4].failed is None and records[4].turns > 0
    assert json.loads((tmp_path / "out" / "results.json").read_text())["failed_games"] == 1


def test_bad_arguments_fail_before_any_game(tmp_path: Path) -> None:
    run_tournament(TournamentConfig(bots=["safe", "random"], games=2, rules=SMALL, out_dir=tmp_path / "used"))
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "used").iterdir()}
    cases = [
        (["safe", "nope"], [], "unknown bot 'nope'"),
        (["safe", f"http://127.0.0.1:{free_port()}"], [], "cannot reach snake at http://127.0.0.1:"),
        (["safe", "greedy"], ["--out-dir", str(tmp_path / "used")], "holds a different tournament"),
        (["safe", "random"], ["--out-dir", str(tmp_path / "fresh"), "--resume"], "nothing to resume"),
        (["safe", "random"], ["--resume"], "--resume needs the --out-dir"),
    ]
    for bots, extra, message in cases:
        out = snek("tournament", *bots, "--games", "2", "--size", "7", "--max-turns", "60", *extra, cwd=ROOT)
        assert out.returncode == 2, (bots, out.stdout, out.stderr)
        assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
        assert "games 1/2" not in out.stdout
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "used").iterdir()} == before
    assert not (tmp_path / "fresh").exists()  # not even the folder: nothing was written
    assert len(cases) == 5


def test_resume_extends_a_finished_tournament(tmp_path: Path) -> None:
    short = TournamentConfig(bots=["safe", "random", "greedy"], games=4, rules=SMALL, seed=1, out_dir=tmp_path / "a")
    run_tournament(short)
    longer = run_tournament(TournamentConfig(**{**short.__dict__, "games": 8, "resume": True}))
    whole = run_tournament(TournamentConfig(**{**short.__dict__, "games": 8, "out_dir": tmp_path / "b"}))
    strip = lambda board: [{k: v for k, v in asdict(s).items() if k not in CLOCK_FIELDS} for s in board.standings()]
    assert strip(longer) == strip(whole)
    assert len(read_results(tmp_path / "a" / "results.jsonl")[0]) == 8


INLINE_GAMES = 400


def inline_args(out: Path) -> list[str]:
    """Built-in bots only: the games are played side by side on one engine batch (``arena.lockstep``)."""
    return ["tournament", "safe", "greedy", "random", "safe", "--games", str(INLINE_GAMES), "--size", "7",
            "--max-turns", "60", "--timeout", "10000", "--workers", "1", "--seed", "9", "--out-dir", str(out)]


def replay_without_clock(path: Path) -> tuple:
    replay = read_replay(path, require_result=True)
    frames = [{**f, "snakes": [{k: v for k, v in s.items() if k != "latency_ms"} for s in f["snakes"]]}
              for f in replay.frames]
    return replay.header, frames, replay.result


def test_sigkill_mid_lockstep_resumes_to_the_uninterrupted_tournament(tmp_path: Path) -> None:
    whole = tmp_path / "whole"
    assert snek(*inline_args(whole), "--quiet", timeout=300, cwd=ROOT).returncode == 0
    out = tmp_path / "t"
    proc = start(inline_args(out))
    wait_until(lambda: lines_in(out / "results.jsonl") >= 20 or proc.poll() is not None, what="20 games finished")
    proc.kill()  # SIGKILL: games in flight on the batch die with their replays half written
    proc.communicate(timeout=30)
    kept = read_results(out / "results.jsonl")[0]
    assert 20 <= len(kept) < INLINE_GAMES, "the run must be cut short mid-way"
    kept_replays = {r.index: (out / f"game-{r.index:05d}.jsonl.gz").stat().st_mtime_ns for r in kept}

    resumed = snek(*inline_args(out), "--resume", "--quiet", timeout=300, cwd=ROOT)
    assert resumed.returncode == 0, resumed.stderr
    records, good = read_results(out / "results.jsonl")
    assert sorted(r.index for r in records) == list(range(INLINE_GAMES))  # every game once, none twice
    assert good == (out / "results.jsonl").stat().st_size
    for index, mtime in kept_replays.items():  # games kept were not played again
        assert (out / f"game-{index:05d}.jsonl.gz").stat().st_mtime_ns == mtime
    assert standings_without_clock(out / "results.json") == standings_without_clock(whole / "results.json")
    clock = {"seconds", "latency"}
    theirs = {r.index: r for r in read_results(whole / "results.jsonl")[0]}
    for record in records:
        assert {k: v for k, v in asdict(record).items() if k not in clock} == \
               {k: v for k, v in asdict(theirs[record.index]).items() if k not in clock}
    compared = 0
    for index in range(INLINE_GAMES):
        name = f"game-{index:05d}.jsonl.gz"
        assert replay_without_clock(out / name) == replay_without_clock(whole / name), name
        compared += 1
    assert compared == INLINE_GAMES
