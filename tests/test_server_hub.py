"""The in-process hub: backlog for late joiners, bounded per-subscriber queues, input to the owner."""

import threading

import pytest

from snek_viewer.hub import LocalHub, RoomGone


def drain(subscription, limit=10_000):
    out = []
    while (text := subscription.next(timeout=0)) is not None and len(out) < limit:
        out.append(text)
    return out


def test_late_joiner_gets_header_and_backlog_then_live():
    hub = LocalHub(backlog_frames=3)
    hub.open_room("r1")
    hub.publish("r1", "H", "header")
    for turn in range(5):
        hub.publish("r1", f"F{turn}", "frame")
    late = hub.subscribe("r1")
    hub.publish("r1", "F5", "frame")
    hub.publish("r1", "R", "result")
    assert drain(late) == ["H", "F2", "F3", "F4", "F5", "R"]  # backlog keeps the last 3 frames


def test_slow_subscriber_drops_its_own_oldest_and_is_told_once():
    hub = LocalHub()
    hub.open_room("r1")
    hub.publish("r1", "H", "header")
    slow, fast = hub.subscribe("r1", maxsize=4), hub.subscribe("r1", maxsize=100)
    assert slow.next(0) == fast.next(0) == "H"
    for turn in range(10):
        hub.publish("r1", f"F{turn}", "frame")
    got = drain(slow)
    assert '"lagging"' in got[0] and got[1:] == ["F6", "F7", "F8", "F9"] and slow.dropped == 6
    assert drain(fast) == [f"F{t}" for t in range(10)] and fast.dropped == 0


def test_replies_jump_the_queue_and_are_never_dropped():
    hub = LocalHub()
    hub.open_room("r1")
    sub = hub.subscribe("r1", maxsize=1)
    hub.publish("r1", "H", "header")
    for i in range(3):
        sub.reply(f"E{i}")
    assert drain(sub) == ["E0", "E1", "E2", "H"]


def test_input_reaches_the_owner_and_unknown_rooms_raise():
    hub = LocalHub()
    hub.open_room("r1")
    seen = []
    hub.serve_input("r1", lambda message: seen.append(message) or [{"type": "welcome"}])
    assert hub.send_input("r1", {"type": "join", "conn": "c1"}) == [{"type": "welcome"}]
    assert seen == [{"type": "join", "conn": "c1"}]
    with pytest.raises(RoomGone):
        hub.send_input("nope", {"type": "leave"})


def test_room_list_counts_spectators_and_close_ends_subscriptions():
    hub = LocalHub()
    hub.open_room("r1")
    hub.announce("r1", {"id": "r1", "status": "running"})
    subs = [hub.subscribe("r1") for _ in range(3)]
    hub.unsubscribe(subs[0])
    assert hub.rooms() == [{"id": "r1", "status": "running", "spectators": 2}]
    waiter = threading.Thread(target=lambda: subs[1].next(timeout=30))
    waiter.start()
    hub.close_room("r1")
    waiter.join(timeout=5)
    assert not waiter.is_alive() and subs[1].closed and hub.rooms() == [] and hub.subscribe("r1") is None
