"""The match runner: broken in-process bots never stall or end a game; errors land in frames."""

from __future__ import annotations

import time

from arena.match import MatchConfig, run_match
from arena.players import PythonPlayer


def up_then_right(state: dict) -> str:
    return "up" if state["you"]["head"]["y"] < state["board"]["height"] - 2 else "right"


def crashes_on_turn_3(state: dict) -> str:
    if state["turn"] >= 3:
        raise RuntimeError("boom")
    return "up"


def garbage(state: dict) -> object:
    return {"move": "sideways"}


def too_slow(state: dict) -> str:
    time.sleep(0.5 if state["turn"] == 2 else 0)
    return "down"


def test_errors_are_recorded_and_previous_move_repeated(tmp_path) -> None:
    players = [PythonPlayer(crashes_on_turn_3, "crashy"), PythonPlayer(garbage, "garbage"),
               PythonPlayer(too_slow, "slow"), PythonPlayer(up_then_right, "fine")]
    began = time.perf_counter()
    outcome = run_match(players, MatchConfig(seed=4, timeout_ms=100, first_timeout_ms=200, max_turns=12),
                        out=tmp_path / "g.jsonl", keep_frames=True)
    assert time.perf_counter() - began < 10
    frames = outcome.frames
    by_turn = {f["turn"]: {s["id"]: s for s in f["snakes"]} for f in frames}
    # the crash is recorded on turn 4's frame (the answer for turn 3), and the snake keeps going up
    crashed = by_turn[4]["s0"]
    if by_turn[3]["s0"]["alive"]:
        assert crashed["error"].startswith("crash: RuntimeError: boom")
        assert crashed["move"] == "up"
    # garbage is bad output, and with no previous move the snake goes up
    assert by_turn[1]["s1"]["error"].startswith("bad-output")
    assert by_turn[1]["s1"]["move"] == "up"
    # the slow answer on turn 2 is a timeout; the snake repeats its previous move (down)
    if by_turn[2]["s2"]["alive"]:
        slow = by_turn[3]["s2"]
        assert slow["error"].startswith("timeout")
        assert slow["move"] == "down"
        assert slow["latency_ms"] >= 100
    assert outcome.result["type"] == "result"
    assert frames[-1]["turn"] == outcome.result["turns"]


def test_max_turns_marks_result() -> None:
    outcome = run_match([PythonPlayer(up_then_right) for _ in range(1)],
                        MatchConfig(ruleset="solo", seed=1, max_turns=3), keep_frames=True)
    assert outcome.result["turns"] == 3 and outcome.result["reason"] == "max-turns"


def test_same_seed_same_game() -> None:
    def play() -> list:
        return run_match([PythonPlayer(up_then_right) for _ in range(4)], MatchConfig(seed=9), keep_frames=True).frames

    strip = lambda frames: [{k: v for k, v in f.items() if k != "snakes"} | {  # noqa: E731
        "snakes": [{k: v for k, v in s.items() if k != "latency_ms"} for s in f["snakes"]]} for f in frames]
    assert strip(play()) == strip(play())
