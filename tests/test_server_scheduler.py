"""The room scheduler: one thread runs every room's loop at the deadlines the loops yield."""

from __future__ import annotations

import gc
import json
import threading
import time

from waiting import wait_until

from snek_viewer.config import ServerConfig
from snek_viewer.hub import LocalHub
from snek_viewer.rooms import Room, RoomRequest
from snek_viewer.scheduler import Scheduler, Task
from snek_viewer.seats import SeatRules


def ticking(name: str, log: list, ticks: int, tick_s: float, start: float):
    """A fixed-timestep loop like a room's: yields deadlines start + n * tick, records where each turn ran."""
    for n in range(1, ticks + 1):
        yield start + n * tick_s
        log.append((name, n, threading.current_thread().name))


def test_turns_run_in_deadline_order_on_one_thread():
    scheduler = Scheduler()
    log: list = []
    start = time.monotonic() + 1.0  # both loops are added long before their first deadline, even on a busy machine
    tasks = [Task(name, ticking(name, log, 5, 0.02, start + offset), lambda: True)
             for name, offset in (("a", 0.0), ("b", 0.01))]
    try:
        for task in tasks:
            scheduler.add(task)
        assert all(task.done.wait(30) for task in tasks)
    finally:
        scheduler.close()
    # deadlines a: 0.02, 0.04, ... b: 0.03, 0.05, ...: strictly interleaved, every turn on the scheduler's thread
    assert [(name, n) for name, n, _ in log] == [(name, n) for n in range(1, 6) for name in ("a", "b")]
    assert {thread for _, _, thread in log} == {"snek-rooms"}


def test_blocking_rooms_run_on_the_pool_and_hold_nobody_back():
    scheduler = Scheduler()
    log: list = []
    blocked, release = threading.Event(), threading.Event()

    def blocking():
        yield time.monotonic()
        log.append(("slow", threading.current_thread().name))
        blocked.set()
        release.wait(30)  # a bot the match waits for

    slow = Task("slow", blocking(), lambda: False)
    try:
        scheduler.add(slow)
        assert blocked.wait(30)  # the slow room's turn is running (and stuck) before the fast room starts
        fast = Task("fast", ticking("fast", log, 3, 0.01, time.monotonic() + 0.02), lambda: True)
        scheduler.add(fast)
        assert fast.done.wait(30) and not slow.done.is_set()  # the fast room finished while the slow one waits
        release.set()
        assert slow.done.wait(30)
    finally:
        release.set()
        scheduler.close()
    assert log[0][0] == "slow" and log[0][1].startswith("snek-room-turn")
    assert [entry[:2] for entry in log[1:]] == [("fast", n) for n in range(1, 4)]


def test_poke_resumes_a_sleeping_loop_at_once_and_errors_end_only_their_room():
    scheduler = Scheduler()
    stopped = threading.Event()
    seen: list = []

    def sleeper():
        while not stopped.is_set():
            yield time.monotonic() + 3600  # an hour away: only a poke brings it back
        seen.append("finished")

    def broken():
        yield time.monotonic()
        raise RuntimeError("a room's bug")

    sleeping = Task("sleeper", sleeper(), lambda: True)
    failing = Task("broken", broken(), lambda: True)
    try:
        scheduler.add(sleeping)
        scheduler.add(failing)
        assert failing.done.wait(30)  # the error ended that room ...
        stopped.set()
        scheduler.poke(sleeping)
        assert sleeping.done.wait(30) and seen == ["finished"]  # ... and the scheduler still runs the others
    finally:
        scheduler.close()


def test_a_human_who_joins_before_the_first_turn_comes_on_the_board():
    """Joining is open from the moment a room exists, before the scheduler ran its first step."""
    hub, scheduler = LocalHub(), Scheduler()
    room = Room("r1", RoomRequest(seats=("safe", None), tick_ms=20, seed=3), ServerConfig(replays=None), hub,
                SeatRules({}), scheduler)
    try:
        welcome = room.handle_input({"type": "join", "name": "early", "conn": "c1"})
        assert welcome[0]["type"] == "welcome" and room.match is None  # the game has not begun
        watcher = hub.subscribe("r1")
        room.start()
        spawn = {"kind": "spawn", "id": "s1", "name": "early"}
        frames = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            text = watcher.next(timeout=1)
            if text and '"type":"frame"' in text:
                frames += 1
                if spawn in json.loads(text).get("events", []):
                    break
        else:
            raise AssertionError(f"the early joiner never came on the board ({frames} frames)")
    finally:
        room.stop()
        scheduler.close()


def test_a_room_whose_turn_takes_too_much_cpu_inline_is_demoted_to_the_pool():
    """A turn that used more CPU than ``inline_step_s`` on the scheduler's thread sends its room's later
    turns to the pool (issue 20, item 2): it holds the other rooms back once, not every tick."""
    scheduler = Scheduler(inline_step_s=0.02)
    where: list[str] = []

    def heavy():
        for _ in range(4):
            yield time.monotonic()
            where.append(threading.current_thread().name)
            began = time.thread_time()
            while time.thread_time() - began < 0.05:  # 50 ms of CPU: a slow bot answering inline
                pass

    light: list = []
    task = Task("heavy", heavy(), lambda: True)
    other = Task("light", ticking("light", light, 5, 0.01, time.monotonic()), lambda: True)
    try:
        scheduler.add(task)
        scheduler.add(other)
        assert task.done.wait(60) and other.done.wait(60)
    finally:
        scheduler.close()
    assert task.demoted and where[0] == "snek-rooms" and where[1].startswith("snek-room-turn")
    assert all(name.startswith("snek-room-turn") for name in where[1:])
    assert not other.demoted and {thread for _, _, thread in light} == {"snek-rooms"}


def test_the_first_game_set_up_freezes_what_the_process_loaded_so_full_collections_skip_it():
    """A full collection walks every tracked object while holding the GIL: the ~60,000 the compiled kernels
    load would cost every room's turn ~60 ms each time one ran.  After the first room's game is set up they
    are frozen (``gc.freeze``), once per scheduler."""
    hub, scheduler = LocalHub(), Scheduler()
    rooms = [Room(f"r{i}", RoomRequest(seats=("random", "random"), tick_ms=20, seed=i), ServerConfig(replays=None),
                  hub, SeatRules({}), scheduler) for i in range(2)]
    watcher = hub.subscribe("r1")
    frozen_before = gc.get_freeze_count()
    try:
        rooms[0].start()
        wait_until(lambda: rooms[0].turn >= 2, timeout=60)
        frozen_after_first = gc.get_freeze_count()
        rooms[1].start()
        wait_until(lambda: rooms[1].turn >= 2, timeout=60)
        assert watcher.next(timeout=1) is not None  # the second room plays too
    finally:
        for room in rooms:
            room.stop()
        scheduler.close()
    assert frozen_after_first > frozen_before
    # once: the second room froze nothing more (frozen objects freed by reference counting leave the count)
    assert gc.get_freeze_count() <= frozen_after_first


def test_a_rooms_set_up_and_first_turn_run_on_the_pool_and_later_turns_on_the_scheduler():
    """A bot's first move may load what it needs (compiled helpers: tens of ms once per process); on the
    scheduler's thread that would hold every room back and demote the room for good."""
    hub, scheduler = LocalHub(), Scheduler()
    room = Room("r", RoomRequest(seats=("greedy", "space", "safe", "random"), tick_ms=20, seed=5),
                ServerConfig(replays=None), hub, SeatRules({}), scheduler)
    where: list[tuple[int, str]] = []  # (the room's turn before the step, the thread the step ran on)
    scheduler.observe = lambda task, late_s: where.append((room.turn, threading.current_thread().name))
    try:
        room.start()
        wait_until(lambda: room.turn >= 5, timeout=60)
    finally:
        room.stop()
        scheduler.close()
    assert where[0][0] == 0 and where[0][1].startswith("snek-room-turn")  # its set-up: the start frame
    assert where[1][0] == 0 and where[1][1].startswith("snek-room-turn")  # turn 1, the bots' first moves
    assert [thread for _, thread in where[2:5]] == ["snek-rooms"] * 3 and not room._task.demoted
