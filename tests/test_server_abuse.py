"""Hostile and stuck clients against a real server on 127.0.0.1, with real sockets that never read:
ping floods (issue 20, item 4), many stuck sockets cut at once (item 8), socket limits per address
and in total (item 9; the production command under gunicorn: tests/test_server_prod.py)."""

from __future__ import annotations

from serverkit import LiveServer, handshake, http, masked, upgrade_status
from waiting import wait_until

from snek_viewer import ServerConfig


def outlets(live: LiveServer, room: str) -> list:
    """The sending side of every socket subscribed to ``room`` (each subscription's listener is its outlet's)."""
    return [sub.listener.__self__ for sub in list(live.snek.hub._streams[room].subscribers)]


def new_room(live: LiveServer, **fields) -> str:
    body = {"ruleset": "classic", "settings": {"endless": True}, "tick_ms": 100, "seats": ["greedy", "safe"],
            **fields}
    status, room, _ = http("POST", live.url + "/api/rooms", body)
    assert status == 201, room
    return room["id"]


def test_a_ping_flood_from_a_client_that_never_reads_is_bounded_and_cut(tmp_path):
    """Pongs for a client that does not read its socket used to queue without limit (+446 MB in 44 s)
    and stay queued after it closed.  Now one pong waits at most (RFC 6455 §5.5.3 lets a server answer only
    the latest ping), control frames count against the socket's rate limit, and a flood is closed."""
    config = ServerConfig(replays=None, demo_room=False)
    with LiveServer(config) as live:
        room = new_room(live)
        raw = handshake(live.httpd.server_port, f"/ws/rooms/{room}", rcvbuf=4096)
        wait_until(lambda: live.snek.hub.spectators(room) == 1)
        outlet = outlets(live, room)[0]
        ping = masked(0x9, b"p" * 125)
        sent, peak = 0, 0
        try:
            for _ in range(200):  # 20,000 pings in bursts, reading nothing back
                raw.sendall(ping * 100)
                sent += 100
                peak = max(peak, len(outlet._control) + (outlet._pong is not None))
        except OSError:  # the server cut us for flooding: that is the point
            pass
        assert sent > config.abuse_limit
        assert peak <= 3, f"{peak} control frames queued for one socket"
        assert wait_until(lambda: live.snek.hub.spectators(room) == 0)  # closed for flooding
        assert wait_until(lambda: outlet.released.is_set())
        assert not outlet._control and outlet._pong is None and outlet._pending is None  # nothing kept
        assert outlet.sub.pending_replies == 0 and not outlet.sub._live and outlet.sub._backlog is None
        raw.close()



def test_sockets_are_limited_per_address_and_in_total(tmp_path):
    """One client address may hold ``max_sockets_per_address`` websockets, the process ``max_sockets``;
    beyond that the upgrade is refused (429 per address, 503 in total) before a thread is spent on it,
    a closed socket frees its place, and pages keep answering."""
    config = ServerConfig(replays=None, demo_room=False, max_sockets=12, max_sockets_per_address=8)
    with LiveServer(config) as live:
        room = new_room(live)
        port, path = live.httpd.server_port, f"/ws/rooms/{room}"
        held = [handshake(port, path) for _ in range(8)]
        assert [upgrade_status(s) for s in held] == [101] * 8
        extra = handshake(port, path)
        assert upgrade_status(extra) == 429  # this address has its 8
        others = [handshake(port, path, source="127.0.0.2") for _ in range(4)]
        assert [upgrade_status(s) for s in others] == [101] * 4
        third = handshake(port, path, source="127.0.0.3")
        assert upgrade_status(third) == 503  # the process has its 12
        assert http("GET", live.url + "/healthz")[0] == 200 and http("GET", live.url + "/")[0] == 200
        assert live.snek.hub.spectators(room) == 12
        held.pop().close()
        wait_until(lambda: live.snek.sockets.total == 11)  # its place is given back when its handler ends
        again = handshake(port, path)
        assert upgrade_status(again) == 101
        for s in [*held, *others, extra, third, again]:
            s.close()
        wait_until(lambda: live.snek.hub.spectators(room) == 0)
        assert wait_until(lambda: live.snek.sockets.total == 0)  # every place given back



def test_cutting_many_stuck_sockets_at_once_does_not_stall_the_room(tmp_path):
    """200 spectators that never read (small receive buffers, so the server's sends to them block) all
    reach the ping timeout together; cutting them used to stall the room (a 1.36 s gap, 3.4 s behind)."""
    config = ServerConfig(replays=None, demo_room=False, ping_s=1.0, max_sockets_per_address=0)
    with LiveServer(config) as live:
        room_id = new_room(live, tick_ms=50, seats=["greedy", "space", "safe", "greedy"], width=25, height=25)
        room = live.snek.rooms.get(room_id)
        late: list[float] = []
        live.snek.rooms.scheduler.observe = lambda task, late_s: late.append(late_s) if task.name == room_id else None
        stuck = [handshake(live.httpd.server_port, f"/ws/rooms/{room_id}", rcvbuf=2048) for _ in range(200)]
        wait_until(lambda: live.snek.hub.spectators(room_id) == 200, timeout=60)
        late.clear()
        turn = room.turn
        wait_until(lambda: live.snek.hub.spectators(room_id) == 0, timeout=120)  # all cut for not answering pings
        wait_until(lambda: room.turn >= turn + 20)
        worst = max(late)
        for s in stuck:
            s.close()
        assert worst < 0.5, f"the room was {worst:.2f} s late while 200 stuck sockets were cut"
