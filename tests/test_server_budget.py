"""One room must not stall every room (issue 20, item 2): room creation refuses what the process cannot
tick on time (``snek_viewer.budget``), and a room admitted anyway (no budget) is held to its deadline:
its bots' late answers are timeouts, it is demoted off the scheduler's thread, and the demo room keeps
its tick rate."""

from __future__ import annotations

import time

from serverkit import LiveServer, http
from waiting import wait_until

from snek_viewer import ServerConfig

HEAVY = {"ruleset": "standard", "width": 25, "height": 25, "tick_ms": 200, "max_turns": 100_000,
         "seats": ["search"] * 16}


def test_room_creation_refuses_what_the_server_cannot_tick_on_time(tmp_path):
    with LiveServer(ServerConfig(replays=None, demo_room=False)) as live:
        status, answer, _ = http("POST", live.url + "/api/rooms", HEAVY)
        assert status == 400 and "of a core" in answer["error"] and "tick" in answer["error"]
        # rooms that fit alone are admitted until their sum reaches the budget; then 503, and closing one frees it
        body = {"ruleset": "standard", "tick_ms": 200, "max_turns": 100_000, "seats": ["search", "safe"]}
        statuses = [http("POST", live.url + "/api/rooms", body)[0] for _ in range(5)]
        assert statuses == [201, 201, 201, 201, 503]  # 18% of a core each against 80%
        assert len(http("GET", live.url + "/api/rooms")[1]["rooms"]) == 4
        live.snek.rooms.close(http("GET", live.url + "/api/rooms")[1]["rooms"][0]["id"])
        assert http("POST", live.url + "/api/rooms", body)[0] == 201
        assert http("POST", live.url + "/api/rooms", body)[0] == 503
        cheap = {"ruleset": "standard", "tick_ms": 200, "seats": ["random", "random"]}
        assert http("POST", live.url + "/api/rooms", cheap)[0] == 201  # what is left still takes a cheap room


def test_a_room_too_slow_for_its_tick_is_held_to_it_and_stalls_nobody(tmp_path):
    """With no budget (an operator's choice) the 16-snake search room runs; it used to take the scheduler's
    thread for ~0.5 s a turn and drop the demo room from 5 to 1.75 frames a second."""
    with LiveServer(ServerConfig(replays=None, cpu_budget=0)) as live:
        demo_id = http("GET", live.url + "/api/rooms")[1]["rooms"][0]["id"]
        demo = live.snek.rooms.get(demo_id)
        # the compiled search answers a 25x25 move in ~15 ms (p50; ~100 ms at p90): at the shortest tick (its bots
        # get 15 ms) the room cannot keep up, as it could not at 200 ms when search thought in numpy
        status, heavy, _ = http("POST", live.url + "/api/rooms", {**HEAVY, "tick_ms": 20})
        assert status == 201
        room = live.snek.rooms.get(heavy["id"])
        wait_until(lambda: room.turn >= 3, timeout=60)
        began, turn = time.monotonic(), demo.turn
        time.sleep(8)
        rate = (demo.turn - turn) / (time.monotonic() - began)
        assert rate >= 0.6 * 5, f"the demo room played {rate:.2f} turns/s next to the search room (tick: 5/s)"
        assert room._task.demoted or not room._inline()  # off the scheduler's thread
        late = [s for s in room.match.frame["snakes"] if s["error"] and s["error"].startswith("timeout")]
        demoted = [p for p in room.match.players if not p.inline]
        assert late or demoted, "no bot of the search room was held to the deadline"


def test_rooms_of_compiled_bots_are_admitted_at_what_they_cost_now():
    """16 `space` snakes on 25×25 at a 20 ms tick need ~8% of a core since the built-in bots run on compiled
    helpers (~1.7 ms a turn); at the old Python costs (1.25 ms a move on 25×25) the estimate was ~100%: 400."""
    with LiveServer(ServerConfig(replays=None, demo_room=False)) as live:
        body = {"ruleset": "standard", "width": 25, "height": 25, "tick_ms": 20, "max_turns": 50,
                "seats": ["space"] * 16, "wait_s": 0}
        status, answer, _ = http("POST", live.url + "/api/rooms", body)
        assert status == 201, answer
        live.snek.rooms.close(answer["id"])
