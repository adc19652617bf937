"""The match runner: broken in-process bots never stall or end a game; errors land in frames."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from snek_cli import snek

from arena.env.single import SnakeEnv
from arena.match import MatchConfig, run_match
from arena.players import PythonPlayer, builtin_player, load_player
from arena.registry import resolve_bot
from arena.replay import read_replay


def up_then_right(state: dict) -> str:
    return "up" if state["you"]["head"]["y"] < state["board"]["height"] - 2 else "right"


def crashes_on_turn_3(state: dict) -> str:
    if state["turn"] >= 3:
        raise RuntimeError("boom")
    return "up"


def garbage(state: dict) -> object:
    return {"move": "sideways"}


def too_slow(state: dict) -> str:
    time.sleep(3 if state["turn"] == 2 else 0)  # three times the deadline: late on any machine
    return "down"


@pytest.mark.parametrize("inline", [False, True], ids=["threaded", "inline"])
def test_errors_are_recorded_and_previous_move_repeated(tmp_path, inline: bool) -> None:
    """The same on both paths: an inline bot's late answer is a timeout, its exception a crash."""
    bots = {"crashy": crashes_on_turn_3, "garbage": garbage, "slow": too_slow, "fine": up_then_right}
    players = [PythonPlayer(policy, name, inline=inline) for name, policy in bots.items()]
    # seed 5: every snake lives long enough for its fault (asserted below, not assumed)
    outcome = run_match(players, MatchConfig(seed=5, timeout_ms=1000, first_timeout_ms=2000, max_turns=12),
                        out=tmp_path / "g.jsonl", keep_frames=True)
    frames = outcome.frames
    by_turn = {f["turn"]: {s["id"]: s for s in f["snakes"]} for f in frames}
    # the crash is recorded on turn 4's frame (the answer for turn 3), and the snake keeps going up
    assert by_turn[3]["s0"]["alive"], "the crashing snake died before turn 3: pick another seed"
    crashed = by_turn[4]["s0"]
    assert crashed["error"].startswith("crash: RuntimeError: boom")
    assert crashed["move"] == "up"
    # garbage is bad output, and with no previous move the snake goes up
    assert by_turn[1]["s1"]["error"].startswith("bad-output")
    assert by_turn[1]["s1"]["move"] == "up"
    # the slow answer on turn 2 is a timeout; the snake repeats its previous move (down)
    assert by_turn[2]["s2"]["alive"], "the slow snake died before turn 2: pick another seed"
    slow = by_turn[3]["s2"]
    assert slow["error"].startswith("timeout")
    assert slow["move"] == "down"
    assert slow["latency_ms"] >= 1000
    assert outcome.result["type"] == "result"
    assert frames[-1]["turn"] == outcome.result["turns"]


def strip_latency(frames: list[dict]) -> list[dict]:
    return [{**f, "snakes": [{k: v for k, v in s.items() if k != "latency_ms"} for s in f["snakes"]]} for f in frames]


def test_builtin_bots_play_inline_and_the_game_is_the_same_as_threaded() -> None:
    """Built-in bots (``bounded``) run on the match's thread, one after another; the game does not change."""
    lineup = ("search", "space", "greedy", "safe")
    inline = [builtin_player(b) for b in lineup]
    assert all(p.inline for p in inline)
    threads: set[str] = set()
    for player in inline:  # see which thread really runs each move
        policy = player.policy
        player.policy = lambda state, policy=policy: threads.add(threading.current_thread().name) or policy(state)
    config = MatchConfig(seed=11, max_turns=60, timeout_ms=20_000)  # no timeouts, even on a loaded machine
    fast = run_match(inline, config, keep_frames=True)
    slow = run_match([PythonPlayer(resolve_bot(b), name=b) for b in lineup], config, keep_frames=True)
    assert threads == {threading.current_thread().name}
    assert len(fast.frames) > 10 and strip_latency(fast.frames) == strip_latency(slow.frames)
    assert fast.result == slow.result
    assert not [s["error"] for f in fast.frames + slow.frames for s in f["snakes"] if s["error"]]


def test_max_turns_marks_result() -> None:
    outcome = run_match([PythonPlayer(up_then_right) for _ in range(1)],
                        MatchConfig(ruleset="solo", seed=1, max_turns=3), keep_frames=True)
    assert outcome.result["turns"] == 3 and outcome.result["reason"] == "max-turns"


def test_same_seed_same_game() -> None:
    def play() -> list:
        return run_match([PythonPlayer(up_then_right) for _ in range(4)], MatchConfig(seed=9), keep_frames=True).frames

    assert strip_latency(play()) == strip_latency(play())


# --- Python bots that hang or raise what a bot should never raise ---------------------------


HANGS = '''
import threading
def move(state):
    if state["turn"] >= 1:
        threading.Event().wait()  # never returns
    return "up"
'''

RAISES = '''
def exits(state):
    if state["turn"] >= 1:
        raise SystemExit(3)
    return "up"

def interrupts(state):
    if state["turn"] >= 1:
        raise KeyboardInterrupt
    return "up"
'''


def test_python_move_deadline_holds() -> None:
    release = threading.Event()
    player = PythonPlayer(lambda state: release.wait() and "up")
    try:
        late = player.move({"turn": 0}, 100)
        assert late.error == "timeout" and late.move is None and late.latency_ms >= 100
        busy = player.move({"turn": 1}, 50)  # the first call still runs: one call at a time
        assert busy.error == "timeout (still busy with an earlier turn)"
        release.set()
        assert player.move({"turn": 2}, 2000).move == "up"
    finally:
        release.set()
        player.close()


def test_only_registered_bounded_bots_run_inline(tmp_path: Path) -> None:
    """A file or module bot keeps its own thread even if it claims to be bounded: it may still hang."""
    bot = tmp_path / "claims.py"
    bot.write_text(HANGS + "move.bounded = True\n")
    assert load_player("safe").inline and load_player("search").inline
    assert not load_player("safe", inline=False).inline  # snek serve-bot: every answer leaves by its budget
    assert not load_player(f"{bot}:move").inline
    assert not PythonPlayer(up_then_right).inline


def test_hung_python_bot_never_blocks_snek_play_exit(tmp_path: Path) -> None:
    bot = tmp_path / "hangs.py"
    bot.write_text(HANGS)
    out = tmp_path / "g.jsonl"
    run = snek("play", "-q", "--max-turns", "4", "--timeout", "100", "--out", str(out), f"{bot}:move", "safe")
    assert run.returncode == 0, run.stderr
    frames = read_replay(out, require_result=True).frames
    errors = [f["snakes"][0]["error"] for f in frames[2:] if f["snakes"][0]["error"]]
    assert errors and errors[0] == "timeout"  # it really hung, and the game went on


def test_hung_env_opponent_gets_the_deadline() -> None:
    release = threading.Event()
    calls = []

    def stuck(state: dict) -> str:
        calls.append(state["turn"])
        release.wait()
        return "up"

    env = SnakeEnv(opponents=[stuck], timeout_ms=100)
    env.reset(seed=1)
    stepped = threading.Thread(target=lambda: [env.step(0) for _ in range(3)], daemon=True)
    stepped.start()
    stepped.join(timeout=30)
    try:
        assert not stepped.is_alive(), "env.step waited for a policy that never returns"
        assert calls == [0]  # it was asked once and hung; later turns did not pile up calls
    finally:
        release.set()
        env.close()


def test_bot_raising_systemexit_or_keyboardinterrupt_is_its_error(tmp_path: Path) -> None:
    bot = tmp_path / "raises.py"
    bot.write_text(RAISES)
    out = tmp_path / "g.jsonl"
    run = snek("play", "-q", "--max-turns", "3", "--out", str(out), f"{bot}:exits", f"{bot}:interrupts", "safe")
    assert run.returncode == 0, run.stderr
    assert "result after" in run.stdout
    frames = {f["turn"]: f["snakes"] for f in read_replay(out, require_result=True).frames}
    assert frames[2][0]["error"] == "crash: SystemExit: 3"
    assert frames[2][1]["error"] == "crash: KeyboardInterrupt"


@pytest.mark.parametrize("source,message", [
    ("raise SystemExit(4)\n", "SystemExit: 4"),
    ("raise KeyboardInterrupt\n", "KeyboardInterrupt"),
    ("class move:\n    def __init__(self):\n        raise SystemExit(5)\n", "cannot create move(): SystemExit: 5"),
    ("class move:\n    def __init__(self):\n        raise KeyboardInterrupt\n",
     "cannot create move(): KeyboardInterrupt"),
])
def test_bot_raising_at_import_or_construction_is_a_spec_error(tmp_path: Path, source: str, message: str) -> None:
    bot = tmp_path / "bad.py"
    bot.write_text(source)
    for args in (["play", "-q", f"{bot}:move", "safe"], ["tournament", "--games", "2", f"{bot}:move", "safe"]):
        run = snek(*args)
        assert run.returncode == 2, (args, run.stdout, run.stderr)
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], (args, run.stderr)


def test_tournament_records_a_bot_raising_systemexit(tmp_path: Path) -> None:
    bot = tmp_path / "raises.py"
    bot.write_text(RAISES)
    run = snek("tournament", "--games", "4", "--workers", "2", "--max-turns", "5", "--out-dir", str(tmp_path / "t"),
               f"{bot}:exits", f"{bot}:interrupts", "safe")
    assert run.returncode == 0, run.stderr
    results = [json.loads(line) for line in (tmp_path / "t" / "results.jsonl").read_text().splitlines()]
    assert len(results) == 4
    assert [r.get("failed") for r in results] == [None] * 4  # the bot's exception, not a failed game
    replays = sorted((tmp_path / "t").glob("game-*.jsonl.gz"))
    assert len(replays) == 4
    errors = {s["error"] for path in replays for f in read_replay(path).frames for s in f["snakes"] if s["error"]}
    assert {"crash: SystemExit: 3", "crash: KeyboardInterrupt"} <= errors, errors



def test_inline_players_share_the_turns_deadline_and_an_overrunning_one_is_demoted() -> None:
    """Inline players are called one after another, so without a shared deadline three 600 ms bots take
    1.8 s of a 1 s turn (issue 20, item 2).  Now the turn's time is shared: the one that overruns is a
    timeout and is demoted to a thread, the one after it is not even asked, and they take turns at going
    first.  (The first bot has 400 ms to spare, which a loaded machine needs; the second overruns on any
    machine, as two naps take at least 1.2 s.)"""
    calls: dict[str, int] = {}

    def slow(name: str):
        def policy(state: dict) -> str:
            calls[name] = calls.get(name, 0) + 1
            time.sleep(0.6)
            return "up"
        return policy

    players = [PythonPlayer(slow(name), name, inline=True) for name in ("a", "b", "c")]
    config = MatchConfig(ruleset="solo", width=11, height=11, seed=1, timeout_ms=1000, first_timeout_ms=5000,
                         grace_ms=0, max_turns=2)
    outcome = run_match(players, config, keep_frames=True)
    first_turn = {s["id"]: s["error"] for s in outcome.frames[1]["snakes"]}  # answers given with 5000 ms
    assert first_turn == {"s0": None, "s1": None, "s2": None}
    errors = sorted(str(s["error"]) for s in outcome.frames[2]["snakes"])  # answers given with 1000 ms
    assert errors == ["None", "timeout", "timeout (the turn's time was used up)"]
    assert sum(not p.inline for p in players) == 1  # the overrunning one answers on a thread from now on
    assert sorted(calls.values()) == [1, 2, 2]  # the one after the deadline was never asked
