"""Tick phases: rooms of one tick take their turns spread evenly over it, not all at the same instant
(issue 17, point 4).  Asserted on the deadlines the rooms yield and the order their turns run in,
never on measured durations."""

from __future__ import annotations

from fractions import Fraction

import pytest
from serverkit import LiveServer, http
from wsclient import Client

from snek_viewer import ServerConfig
from snek_viewer.phases import Beat, Phases, deadlines_on, widest_gap_middle


def test_rooms_of_one_tick_fill_the_widest_gap_and_a_closed_room_leaves_its_gap_for_the_next():
    phases = Phases(epoch=100.0)
    offsets = [phases.join(f"r{i}", 200).offset for i in range(8)]
    assert offsets == pytest.approx([0.0, 0.1, 0.05, 0.15, 0.025, 0.075, 0.125, 0.175])
    assert [phases.phase(f"r{i}") for i in range(8)] == [0, 0.5, 0.25, 0.75, 0.125, 0.375, 0.625, 0.875]
    phases.leave("r2")
    assert phases.phase("r2") is None and phases.join("new", 200).offset == pytest.approx(0.05)
    assert widest_gap_middle([]) == 0 and widest_gap_middle([Fraction(0)]) == Fraction(1, 2)
    assert widest_gap_middle([Fraction(9, 10)]) == Fraction(2, 5)  # across the wrap


def test_rooms_of_other_ticks_count_where_their_deadlines_fall():
    phases = Phases(epoch=0.0)
    phases.join("a", 200)  # 0 ms
    assert phases.join("b", 100).offset == pytest.approx(0.05)  # "a" falls on 0 ms of a 100 ms tick
    # a 200 ms room sees "a" at 0 and "b" at 50 and 150 ms: the widest gap is 50..150
    assert phases.join("c", 200).offset == pytest.approx(0.1)
    # on a 150 ms tick each of them falls every 50 ms (gcd 50): 0, 50, 100; the first widest gap is 0..50
    assert phases.join("d", 150).offset == pytest.approx(0.025)
    assert phases.join("e", 199).offset == 0.0  # 199 ms shares no step with the others: they are everywhere
    assert deadlines_on(200, 100, Fraction(1, 2)) == [Fraction(1, 4), Fraction(3, 4)]
    assert deadlines_on(100, 200, Fraction(1, 4)) == [Fraction(1, 2)]


def test_a_beat_starts_a_whole_tick_after_the_start_and_keeps_its_phase_when_it_falls_behind():
    beat = Beat(epoch=10.0, tick=0.2, offset=0.05)  # deadlines 10.05, 10.25, 10.45, ...
    assert beat.first(10.0) == pytest.approx(10.25)  # 10.0 + a tick = 10.2: the next deadline after it
    assert beat.first(10.05) == pytest.approx(10.25)  # exactly a tick later is a deadline
    assert beat.next(10.25, now=10.3) == pytest.approx(10.45)  # on time or a little late: the next tick
    assert beat.next(10.25, now=10.6) == pytest.approx(10.45)  # less than a tick behind: catches up
    assert beat.next(10.25, now=11.0) == pytest.approx(10.85)  # more: skips to the latest, on its phase


def test_rooms_opened_together_play_every_turn_spread_over_their_tick_in_phase_order():
    """Four rooms of random bots opened one after another over HTTP: their turns run in the order of
    their phases (0, 1/2, 1/4, 3/4 of the tick in the order they opened: rooms 0, 2, 1, 3), not in the
    order they opened, and every spectator sees every turn."""
    with LiveServer(ServerConfig(replays=None, demo_room=False, cpu_budget=0)) as server:
        scheduler = server.snek.rooms.scheduler
        steps: list[tuple[str, float]] = []
        scheduler.observe = lambda task, late_s: steps.append((task.name, task.due))
        ids = []
        for _ in range(4):
            status, room, _ = http("POST", f"{server.url}/api/rooms", {
                "ruleset": "classic", "settings": {"endless": True}, "tick_ms": 200, "seats": ["random"] * 4})
            assert status == 201
            ids.append(room["id"])
        watchers = [Client(f"{server.ws_url}/ws/rooms/{room_id}") for room_id in ids]
        turns = {}
        for room_id, watcher in zip(ids, watchers):
            watcher.until(lambda m: m.get("type") == "header")
            last, seen = watcher.until(lambda m: m.get("type") == "frame" and m["turn"] >= 12)
            turns[room_id] = [m["turn"] for m in seen if m.get("type") == "frame"] + [last["turn"]]
        phases = [scheduler.phases.phase(room_id) for room_id in ids]
        log = list(steps)
    assert phases == [0, 0.5, 0.25, 0.75]
    for room_id in ids:  # every turn, none skipped (each spectator read the backlog from turn 0)
        assert turns[room_id] == list(range(turns[room_id][0], turns[room_id][-1] + 1)) and turns[room_id][0] == 0
    rotation = [ids[0], ids[2], ids[1], ids[3]]  # by phase: 0, 1/4, 1/2, 3/4 of the tick
    slots = []  # each turn's deadline in quarter ticks since the epoch; a room's first step set its game up
    for name, due in log:
        if name in ids and (name, due) != next(step for step in log if step[0] == name):
            slot = (due - scheduler.phases.epoch) / 0.05
            assert slot == pytest.approx(round(slot), abs=1e-6)  # on a quarter of the tick
            assert rotation[round(slot) % 4] == name  # the quarter that room's phase gives it
            slots.append(round(slot))
    assert slots == sorted(slots) and len(set(slots)) == len(slots)  # one room per slot, in deadline order
    assert all(sum(name == room_id for name, _ in log) >= 12 for room_id in ids)
