"""Stdio bots as real subprocesses: good ones play, broken ones (slow, crashing, garbled, mute)
never stall the game, their errors land in the replay frames, and no process outlives its game."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from prereq import need_program
from snek_cli import snek
from waiting import wait_until

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
        time.sleep(1.5)  # late for turn 2 (1 s deadline), back in time for turn 3
    if BEHAVIOUR == "garbage" and turn % 2:
        print("this is not json", flush=True)  # a log line, not an answer
        print(json.dumps({"move": "sideways"}), flush=True)
        continue
    if BEHAVIOUR == "mute":
        continue
    if BEHAVIOUR == "huge" and turn == 2:  # one answer line of 3 MiB
        print(json.dumps({"move": "up", "pad": "x" * (3 << 20)}), flush=True)
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
    try:
        wait_until(lambda: all(gone(pid) for pid in pids))
    except AssertionError:
        pass  # named below, then killed
    left = [pid for pid in pids if not gone(pid)]
    for pid in left:  # do not leave them to the next test either
        os.kill(pid, signal.SIGKILL)
    assert not left, f"bot processes left behind: {left}"


def frames_by_turn(path: Path) -> dict[int, dict[str, dict]]:
    replay = read_replay(path, require_result=True)
    return {f["turn"]: {s["id"]: s for s in f["snakes"]} for f in replay.frames}


def test_good_and_broken_bots_in_one_game(bot, tmp_path: Path) -> None:
    players = [load_player(bot(b)) for b in ("good", "slow", "crash", "garbage")]
    out = tmp_path / "game.jsonl"
    outcome = run_match(players, MatchConfig(seed=5, timeout_ms=1000, first_timeout_ms=5000, max_turns=14), out=out)
    assert outcome.result["turns"] >= 7
    turns = frames_by_turn(out)
    # the answer for turn t is recorded on frame t + 1
    assert turns[1]["s0"]["error"] is None and turns[1]["s0"]["move"] is not None
    assert "thinking about turn 0" in turns[1]["s0"]["stderr"]
    assert turns[3]["s1"]["error"] == "timeout" and turns[3]["s1"]["latency_ms"] >= 1000
    assert turns[3]["s1"]["move"] == turns[2]["s1"]["move"]  # repeats its previous move
    answered = [t for t in range(4, max(turns) + 1) if turns[t - 1]["s1"]["alive"] and not turns[t]["s1"]["error"]]
    assert answered  # it catches up after its nap...
    assert all(turns[t]["s1"]["shout"] == f"turn {t - 1}" for t in answered)  # ...and late answers were skipped
    assert turns[6]["s2"]["error"] == "crash: exited with code 3"
    assert "dying now" in turns[6]["s2"]["stderr"]
    later = [turns[t]["s2"] for t in range(7, max(turns) + 1) if turns[t - 1]["s2"]["alive"]]
    assert all(s["error"].startswith("crash") for s in later)  # not restarted mid-game
    assert turns[2]["s3"]["error"] == "bad-output: 'sideways' is not a move"
    assert "this is not json" in turns[2]["s3"]["stderr"]
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
                        MatchConfig(seed=2, timeout_ms=2000, max_turns=3), keep_frames=True)
    first = outcome.frames[1]["snakes"][0]
    assert first["error"] == "crash: exited with code 7" and "broken" in first["stderr"]


def test_close_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    player = StdioPlayer(f"sh -c 'sleep 60 & echo $! > {marker}; wait'")
    player.start({"type": "start"})
    wait_until(lambda: marker.exists() and marker.read_text().strip(), what="the child's pid written")
    child = int(marker.read_text())
    player.close()
    player.close()  # safe twice
    wait_until(lambda: gone(child), what="the child killed with its group")


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
    program = sys.executable if example == "bot.py" else need_program("node")
    player = load_player(f"cmd:{program} {ROOT / 'examples' / 'bots' / example}")
    outcome = run_match([player, load_player("safe")],
                        MatchConfig(seed=3, max_turns=20, timeout_ms=5000, first_timeout_ms=5000), keep_frames=True)
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


# Prints debug lines to stdout (plain text and JSON that is not an object) around every answer.
# "echo" puts the turn in its answers and also sends a stale answer to an old turn; "plain"
# answers without a turn and sometimes answers twice: both must stay in sync.
CHATTY = r"""
import json, sys
ECHO = sys.argv[1] == "echo"
for line in sys.stdin:
    state = json.loads(line)
    turn = state["turn"]
    print(f"got {state['type']} for turn {turn}", flush=True)
    if state["type"] != "move":
        continue
    print(json.dumps([1, 2, turn]), flush=True)
    print('"up"', flush=True)
    head, board = state["you"]["head"], state["board"]
    right = head["x"] < board["width"] // 2
    up = head["y"] < board["height"] // 2
    loop = ["right" if right else "left", "up" if up else "down", "left" if right else "right", "down" if up else "up"]
    answer = {"move": loop[turn % 4], "shout": f"turn {turn}"}
    if ECHO:
        answer["turn"] = turn
        if turn >= 1:
            print(json.dumps({"move": "down", "shout": "stale", "turn": turn - 1}), flush=True)
    extra = json.dumps({"move": "down", "shout": "extra"}) + "\n" if not ECHO and turn % 3 == 1 else ""
    sys.stdout.write(json.dumps(answer) + "\n" + extra)  # one write: the extra answer is there before our next turn
    sys.stdout.flush()
"""


def test_debug_lines_on_stdout_never_shift_answers(tmp_path: Path) -> None:
    script = tmp_path / "chatty.py"
    script.write_text(CHATTY)
    players = [load_player(f"cmd:{sys.executable} {script} {mode}") for mode in ("echo", "plain")]
    out = tmp_path / "chatty.jsonl"
    run_match(players, MatchConfig(seed=5, timeout_ms=1000, first_timeout_ms=3000, max_turns=12), out=out)
    turns = frames_by_turn(out)
    checked = 0
    for t in range(1, max(turns) + 1):
        for sid in ("s0", "s1"):
            if not turns[t - 1][sid]["alive"]:
                continue
            snake = turns[t][sid]
            assert snake["error"] is None and snake["shout"] == f"turn {t - 1}", (t, sid, snake)
            assert f"got move for turn {t - 1}" in snake["stderr"]  # stdout chatter is kept as the bot's log
            assert f"[1, 2, {t - 1}]" in snake["stderr"]
            checked += 1
    assert checked >= 16


def test_oversized_line_is_one_bad_answer(bot, tmp_path: Path) -> None:
    out = tmp_path / "huge.jsonl"
    run_match([load_player(bot("huge")), load_player(bot("good"))],
              MatchConfig(seed=5, timeout_ms=2000, first_timeout_ms=5000, max_turns=10), out=out)
    turns = frames_by_turn(out)
    assert turns[3]["s0"]["error"] == "bad-output: a line longer than 1 MiB"
    later = [t for t in range(4, max(turns) + 1) if turns[t - 1]["s0"]["alive"]]
    assert len(later) >= 2
    assert all(turns[t]["s0"]["error"] is None and turns[t]["s0"]["shout"] == f"turn {t - 1}" for t in later)
    assert_no_processes_left(bot.pids)


# Never reads its input.  Its snake's name makes every request over 100 KB, so the first one
# fills the pipe: writing must never block the game, the end of the game or closing.
DEAF = r"""
import os, sys, time
open(os.path.join(sys.argv[1], str(os.getpid())), "w").close()
time.sleep(300)
"""

DEAF_DRIVER = r"""
import sys
from arena.match import MatchConfig, run_match
from arena.players import PythonPlayer, StdioPlayer
deaf = StdioPlayer(sys.argv[1], name="x" * 100_000)
outcome = run_match([deaf, PythonPlayer(lambda state: "up")], MatchConfig(seed=1, timeout_ms=100, max_turns=30),
                    keep_frames=True)
errors = [f["snakes"][0]["error"] for f in outcome.frames[1:] if f["snakes"][0]["error"]]
print("finished", len(errors))
print(errors[0])
"""


def test_bot_that_never_reads_cannot_hang_anything(tmp_path: Path) -> None:
    script = tmp_path / "deaf.py"
    script.write_text(DEAF)
    pids = tmp_path / "pids"
    pids.mkdir()
    run = subprocess.run([sys.executable, "-c", DEAF_DRIVER, f"{sys.executable} {script} {pids}"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    summary, first = run.stdout.splitlines()
    assert summary.startswith("finished ") and int(summary.split()[1]) >= 1
    assert first == "timeout (the bot is not reading its input)"
    assert_no_processes_left(pids)


# Starts a child in a session of its own that keeps the bot's stdout and stderr open and ignores
# SIGTERM; the bot itself ignores SIGTERM and stays after its input ends.
ESCAPER = r"""
import json, os, signal, subprocess, sys, time
pids = sys.argv[1]
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import os, signal, time; signal.signal(signal.SIGTERM, "
                          "signal.SIG_IGN); os.setsid(); time.sleep(300)"])
for pid in (os.getpid(), child.pid):
    open(os.path.join(pids, str(pid)), "w").close()
for line in sys.stdin:
    state = json.loads(line)
    if state["type"] == "move":
        print(json.dumps({"move": "up"}), flush=True)
while True:
    time.sleep(1)
"""


def test_setsid_children_and_stubborn_bots_are_killed(tmp_path: Path) -> None:
    script = tmp_path / "escaper.py"
    script.write_text(ESCAPER)
    pids = tmp_path / "pids"
    pids.mkdir()
    run = snek("play", "-q", "--max-turns", "3", "--seed", "1", f"cmd:{sys.executable} {script} {pids}", "safe")
    assert run.returncode == 0, run.stderr
    assert "result after" in run.stdout
    assert len(list(pids.iterdir())) == 2  # the bot and its escaped child both ran
    assert_no_processes_left(pids)
