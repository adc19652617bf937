"""Stdio bots as real subprocesses: good ones play, broken ones (slow, crashing, garbled, mute)
never stall the game, their errors land in the replay frames, and no process outlives its game."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest

from arena.match import MatchConfig, run_match
from arena.players.spec import load_player
from arena.players.stdio import StdioPlayer
from arena.replay import read_replay

ROOT = Path(__file__).resolve().parent.parent

# Loops round a 2x2 square on the side of its start nearer the centre: safe for many turns,
# so the deliberate failures below happen while the snake is still alive.
BOT = r'''
import json, os, sys, time
BEHAVIOUR = sys.argv[1]
open(os.path.join(sys.argv[2], str(os.getpid())), "w").close()
for line in sys.stdin:
    state = json.loads(line)
    if state["type"] != "move":
        continue
    turn, head, board = state["turn"], state["you"]["head"], state["board"]
    print(f"thinking about turn {turn}", file=sys.stderr, flush=True)
    if BEHAVIOUR == "crash" and turn == 5:
        print("dying now", file=sys.stderr, flush=True)
        sys.exit(3)
    if BEHAVIOUR == "slow" and turn == 2:
        time.sleep(0.5)
    if BEHAVIOUR == "garbage" and turn % 2:
        print("this is not json", flush=True)
        continue
    if BEHAVIOUR == "mute":
        continue
    right = head["x"] < board["width"] // 2
    up = head["y"] < board["height"] // 2
    loop = ["right" if right else "left", "up" if up else "down", "left" if right else "right", "down" if up else "up"]
    print(json.dumps({"move": loop[turn % 4], "shout": f"turn {turn}"}), flush=True)
'''


@pytest.fixture()
def bot(tmp_path: Path):
    script = tmp_path / "bot.py"
    script.write_text(BOT)
    pids = tmp_path / "pids"
    pids.mkdir()

    def spec(behaviour: str) -> str:
        return f"cmd:{sys.executable} {script} {behaviour} {pids}"

    spec.pids = pids  # type: ignore[attr-defined]
    return spec


def gone(pid: int) -> bool:
    """True once the process no longer exists at all (a zombie still counts as left behind)."""
    return not Path(f"/proc/{pid}").exists()


def assert_no_processes_left(pids_dir: Path) -> None:
    pids = [int(p.name) for p in pids_dir.iterdir()]
    assert pids, "the bots never started"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not all(gone(pid) for pid in pids):
        time.sleep(0.05)
    assert all(gone(pid) for pid in pids), f"bot processes left behind: {[p for p in pids if not gone(p)]}"


def frames_by_turn(path: Path) -> dict[int, dict[str, dict]]:
    replay = read_replay(path, require_result=True)
    return {f["turn"]: {s["id"]: s for s in f["snakes"]} for f in replay.frames}


def test_good_and_broken_bots_in_one_game(bot, tmp_path: Path) -> None:
    players = [load_player(bot(b)) for b in ("good", "slow", "crash", "garbage")]
    out = tmp_path / "game.jsonl"
    began = time.perf_counter()
    outcome = run_match(players, MatchConfig(seed=5, timeout_ms=150, first_timeout_ms=1500, max_turns=14), out=out)
    assert time.perf_counter() - began < 12
    assert outcome.result["turns"] >= 7
    turns = frames_by_turn(out)
    # the answer for turn t is recorded on frame t + 1
    assert turns[1]["s0"]["error"] is None and turns[1]["s0"]["move"] is not None
    assert "thinking about turn 0" in turns[1]["s0"]["stderr"]
    assert turns[3]["s1"]["error"] == "timeout" and turns[3]["s1"]["latency_ms"] >= 150
    assert turns[3]["s1"]["move"] == turns[2]["s1"]["move"]  # repeats its previous move
    answered = [t for t in range(4, max(turns) + 1) if turns[t - 1]["s1"]["alive"] and not turns[t]["s1"]["error"]]
    assert answered  # it catches up after its nap...
    assert all(turns[t]["s1"]["shout"] == f"turn {t - 1}" for t in answered)  # ...and late answers were skipped
    assert turns[6]["s2"]["error"] == "crash: exited with code 3"
    assert "dying now" in turns[6]["s2"]["stderr"]
    later = [turns[t]["s2"] for t in range(7, max(turns) + 1) if turns[t - 1]["s2"]["alive"]]
    assert all(s["error"].startswith("crash") for s in later)  # not restarted mid-game
    assert turns[2]["s3"]["error"].startswith("bad-output") and "not json" in turns[2]["s3"]["error"]
    assert turns[3]["s3"]["error"] is None
    assert_no_processes_left(bot.pids)


def test_bot_that_never_answers(bot, tmp_path: Path) -> None:
    players = [load_player(bot("mute")), load_player(bot("good"))]
    outcome = run_match(players, MatchConfig(seed=1, timeout_ms=100, first_timeout_ms=300, max_turns=6),
                        out=tmp_path / "mute.jsonl", keep_frames=True)
    assert outcome.result["type"] == "result"
    turns = frames_by_turn(tmp_path / "mute.jsonl")
    errors = [turns[t]["s0"]["error"] for t in range(1, max(turns) + 1) if turns[t - 1]["s0"]["alive"]]
    assert errors and all(e == "timeout" for e in errors)
    assert_no_processes_left(bot.pids)


def test_missing_program_is_a_spec_error() -> None:
    with pytest.raises(ValueError, match="command not found"):
        load_player("cmd:no-such-program-here --flag")


def test_command_that_dies_at_once_is_a_crash() -> None:
    player = StdioPlayer("sh -c 'echo broken >&2; exit 7'")
    outcome = run_match([player, load_player("safe")],
                        MatchConfig(seed=2, timeout_ms=200, max_turns=3), keep_frames=True)
    first = outcome.frames[1]["snakes"][0]
    assert first["error"] == "crash: exited with code 7" and "broken" in first["stderr"]


def test_close_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    player = StdioPlayer(f"sh -c 'sleep 60 & echo $! > {marker}; wait'")
    player.start({"type": "start"})
    deadline = time.monotonic() + 5
    while not (marker.exists() and marker.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.02)
    child = int(marker.read_text())
    player.close()
    player.close()  # safe twice
    deadline = time.monotonic() + 5
    while not gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(child)


def test_warm_player_keeps_its_process_across_games(bot) -> None:
    player = StdioPlayer(bot("good").removeprefix("cmd:"), warm=True)
    try:
        for seed in (1, 2):
            player.start({"type": "start"})
            assert player.move(_state(seed), 1000).move is not None
            player.end({"type": "end"})
        assert len(list(bot.pids.iterdir())) == 1
    finally:
        player.close()
    assert_no_processes_left(bot.pids)


def _state(seed: int) -> dict:
    from arena.battlesnake import GameInfo, game_state
    from arena.engine import Engine

    engine = Engine()
    frame = engine.frame(engine.new_batch([seed], 2), 0)
    return game_state(frame, 11, 11, GameInfo("g", "standard", engine.settings), "s0")


@pytest.mark.parametrize("example", ["bot.py", "bot.js"])
def test_documented_example_bots_play(example: str) -> None:
    program = {"bot.py": sys.executable, "bot.js": "node"}[example]
    if shutil.which(program) is None:
        pytest.skip(f"{program} is not installed")
    player = load_player(f"cmd:{program} {ROOT / 'examples' / 'bots' / example}")
    outcome = run_match([player, load_player("safe")],
                        MatchConfig(seed=3, max_turns=20, first_timeout_ms=3000), keep_frames=True)
    mine = [f["snakes"][0] for f in outcome.frames[1:] if f["snakes"][0]["move"]]
    assert mine and not any(s["error"] for s in mine)
    assert "turn 0" in outcome.frames[1]["snakes"][0]["stderr"]


def test_interrupted_match_still_cleans_up(bot) -> None:
    """Ctrl-C arrives as KeyboardInterrupt in the game loop: the players are closed on the way out."""
    players = [load_player(bot("good")), load_player(bot("good"))]

    def interrupt(frame: dict) -> None:
        if frame["turn"] == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_match(players, MatchConfig(seed=4, max_turns=50), on_frame=interrupt)
    assert_no_processes_left(bot.pids)
