"""Load on a real ``snek serve``: many spectators on one room, and many rooms at once (prints figures).

    python benchmarks/load_server.py                      # both scenarios, the issue's sizes
    python benchmarks/load_server.py spectators --spectators 1000 --seconds 30 --tick-ms 100
    python benchmarks/load_server.py rooms --rooms 64 --seconds 30 --room-tick-ms 200
    python benchmarks/load_server.py faults --seconds 10  # the demo room while faults hit the server

The server is the app ``snek serve`` runs (``create_app`` on the threaded Werkzeug server), in a child
process of its own, started by this script with measuring hooks and nothing else changed:
- every frame the room publishes to the hub is stamped (wall clock) as it is published: the *send tick*
  (frames carry no time of their own: a game never depends on the clock);
- every turn the room scheduler starts is stamped with how late it starts past the deadline its loop
  yielded (``Scheduler.observe``): its *lateness*;
- frames the server dropped for slow subscribers (``Subscription.dropped``) are counted, and how many
  websocket frames the writer built (``FrameCache.built``).
The child writes the stamps to a file when this script stops it (SIGTERM), so a swamped server still
reports them.

Spectators: one endless classic room of 4 built-in bots at ``--tick-ms``; ``--spectators`` websocket
clients join in batches, read the backlog, and once all have caught up the measurement runs for
``--seconds``.  The clients are cheap on purpose (they share the machine with the server): plain
sockets in one process, read by one epoll loop, that parse the server's frames straight from the
buffer and read a frame's turn from its first bytes, never decoding the JSON; they answer pings.
Printed: frames published, delivered, dropped (a frame a client never got) and ``lagging`` notices,
frames the server dropped, p50/p99/max delivery latency (send tick -> client receive, both on this
machine's wall clock), server CPU (percent of one core) and threads, frames built vs messages
published, client CPU, and the machine's load average.

Rooms: ``--rooms`` endless classic rooms of ``--bots`` (default: greedy, space, safe, random; the
spectated room has the same) at ``--room-tick-ms``, no spectators; printed: turns played (and how many
the schedule wanted), p50/p99/worst lateness, how many turns were more than 20 ms late, server CPU.
The rooms are created one after another (each room's tick phase follows from that order:
``snek_viewer.phases``).

Faults (issue 20): the server runs as ``snek serve --redis`` does (a real redis-server this script
starts), with its demo room and its library on a small tmpfs when one can be mounted (root), and
faults hit it one after another, ``--seconds`` each: a ping flood from a client that never reads,
200 spectators that never read cut together by the ping timeout, rooms of ``search`` (a 16-snake one
on 25×25, which the CPU budget refuses, and the biggest one it admits), a huge valid replay uploaded
(~60 MB unpacked), redis-server killed and restarted, the library's disk filled, and at the end
SIGTERM.  Printed per fault: the demo room's turns (of those due) and worst lateness, the server's
peak RSS so far (``VmHWM``), and what the server answered; then how SIGTERM ended it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

TURN = re.compile(r'"turn":(\d+)')
TURN_BYTES = re.compile(rb'"turn":(\d+)')
FRAME_START = b'{"type":"frame"'
LOAD_BOTS = ["greedy", "space", "safe", "random"]


# --- the child: the real app, with the two measuring hooks ----------------------------------------

def child(port: int, replays: Path, max_spectators: int, stamps: Path, redis: str | None = None) -> None:
    from snek_viewer.app import create_app
    from snek_viewer.config import ServerConfig
    from snek_viewer.hub import make_hub
    from snek_viewer.serving import serve

    published: dict[str, dict[int, float]] = {}
    wakes: dict[str, list[tuple[float, float]]] = {}
    lock = threading.Lock()

    if redis:  # faults: the server as `snek serve --redis` runs it, demo room and limits as shipped
        config = ServerConfig(replays=replays, hub=lambda: make_hub(redis), ping_s=2.0)
    else:  # load: measure, do not gate (every socket from this machine, rooms past the CPU budget)
        config = ServerConfig(replays=replays, demo_room=False, max_spectators=max_spectators, max_rooms=1000,
                              idle_s=3600, cpu_budget=0, max_sockets=0, max_sockets_per_address=0)
    app = create_app(config, start_rooms=bool(redis))
    hub = app.extensions["snek"].hub
    hub_publish = hub.publish

    def stamped_publish(room_id: str, text: str, kind: str) -> None:
        found = TURN.search(text, 0, 80) if kind == "frame" else None  # notices (errors) go out as frames too
        if found:
            stamp = time.time()
            with lock:
                published.setdefault(room_id, {})[int(found.group(1))] = stamp
        hub_publish(room_id, text, kind)

    hub.publish = stamped_publish

    def stamped_step(task, late_s: float) -> None:  # the scheduler knows each step's deadline
        with lock:
            wakes.setdefault(task.name, []).append((time.monotonic(), late_s * 1000))

    app.extensions["snek"].rooms.scheduler.observe = stamped_step

    released_dropped = [0]  # frames the server dropped for subscribers that have left
    hub_unsubscribe = hub.unsubscribe

    def counted_unsubscribe(subscription) -> None:
        with lock:
            released_dropped[0] += subscription.dropped
        hub_unsubscribe(subscription)

    hub.unsubscribe = counted_unsubscribe

    def dump() -> None:
        with lock:
            streams = list(getattr(hub, "_streams", {}).values())
            dropped = released_dropped[0] + sum(sub.dropped for stream in streams for sub in list(stream.subscribers))
            text = json.dumps({"published": published, "wakes": wakes, "server_dropped": dropped,
                               "frames_encoded": app.extensions["snek"].writer.encode.built})
        stamps.with_suffix(".part").write_text(text)
        stamps.with_suffix(".part").replace(stamps)

    def every_second() -> None:  # faults: the stamps are on disk whatever happens to the server
        while True:
            time.sleep(1.0)
            dump()

    if redis:
        threading.Thread(target=every_second, daemon=True).start()
    try:
        serve(app, "127.0.0.1", port)  # until SIGTERM, which stops it as Ctrl-C does
    finally:
        dump()


# --- the parent -------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def http(base: str, path: str, body: dict | None = None, timeout: float = 120) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


class Server:
    def __init__(self, max_spectators: int, redis: str | None = None, replays: Path | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.tmp = tempfile.TemporaryDirectory()
        self.stamps = Path(self.tmp.name) / "stamps.json"
        self.replays = replays or Path(self.tmp.name)
        self.process = subprocess.Popen([sys.executable, __file__, "--child", "--port", str(self.port),
                                         "--replays", str(self.replays), "--max-spectators", str(max_spectators),
                                         "--stamps", str(self.stamps), *(["--redis", redis] if redis else [])],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                http(self.base, "/healthz")
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start: {self.process.stderr.read()[-2000:]}") from None
                time.sleep(0.1)

    def room(self, tick_ms: int, seats: list[str]) -> str:
        return http(self.base, "/api/rooms", {"ruleset": "classic", "settings": {"endless": True},
                                              "tick_ms": tick_ms, "seats": seats})["id"]

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)

    def stop(self) -> dict:
        """Stop the server; returns its stamps (``published``: room -> turn -> wall time, ``wakes``: room ->
        monotonic times)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        stamps = json.loads(self.stamps.read_text()) if self.stamps.exists() else {"published": {}, "wakes": {}}
        self.tmp.cleanup()
        return stamps


class Spectator:
    """One spectator socket at the cost of a few byte comparisons per frame: the handshake by hand, then
    RFC 6455 frames parsed straight from the buffer (the server's frames are unmasked and never
    fragmented); a frame's turn is read from its first bytes, the JSON is never decoded.  Pings are
    answered (an empty masked pong), so the server's ping timeout never cuts a client that keeps up.
    Records (turn, receive time) of every frame, and the ``lagging`` notices."""

    def __init__(self, port: int, path: str) -> None:
        self.frames: list[tuple[int, float]] = []
        self.lagging = 0
        self.connected = False
        self.closed = False
        self.buffer = bytearray()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        self.sock.setblocking(False)

    def read(self, now: float) -> None:
        try:
            data = self.sock.recv(1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return
        buffer = self.buffer
        buffer += data
        if not self.connected:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if b" 101 " not in buffer[:end]:
                self.closed = True
                return
            del buffer[:end + 4]
            self.connected = True
        pos, size = 0, len(buffer)
        while size - pos >= 2:
            opcode, length, head = buffer[pos] & 0x0F, buffer[pos + 1] & 0x7F, 2
            if length == 126:
                if size - pos < 4:
                    break
                length, head = int.from_bytes(buffer[pos + 2:pos + 4], "big"), 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, head = int.from_bytes(buffer[pos + 2:pos + 10], "big"), 10
            if size - pos < head + length:
                break
            start = pos + head
            if opcode == 0x1:
                if buffer.startswith(FRAME_START, start):
                    self.frames.append((int(TURN_BYTES.search(buffer, start, start + 80).group(1)), now))
                elif buffer.find(b'"lagging"', start, start + 80) >= 0:
                    self.lagging += 1
            elif opcode == 0x9:
                self.sock.send(b"\x8a\x80\x00\x00\x00\x00")  # pong, empty payload, zero mask
            elif opcode == 0x8:
                self.closed = True
            pos = start + length
        del buffer[:pos]


class Spectators:
    """Many spectator sockets read by one epoll loop in this process (no event-loop framework: the
    client's own cost per frame stays a few microseconds).  A frame's receive time is when ``poll``
    reported its socket readable: its arrival, not our turn to parse it."""

    def __init__(self) -> None:
        self.all: list[Spectator] = []
        self._by_fd: dict[int, Spectator] = {}
        self._poll = select.epoll()

    def add(self, spectator: Spectator) -> None:
        self.all.append(spectator)
        self._by_fd[spectator.sock.fileno()] = spectator
        self._poll.register(spectator.sock.fileno(), select.EPOLLIN)

    def run(self, seconds: float, until=lambda: False) -> None:
        """Read for ``seconds`` or until ``until()`` holds (checked every 50 ms)."""
        end = time.monotonic() + seconds
        check = 0.0
        while (left := end - time.monotonic()) > 0:
            events = self._poll.poll(min(left, 0.05))
            now = time.time()
            for fd, _ in events:
                spectator = self._by_fd.get(fd)
                if spectator is None:
                    continue
                spectator.read(now)
                if spectator.closed:
                    self._poll.unregister(fd)
                    del self._by_fd[fd]
            if time.monotonic() >= check:
                check = time.monotonic() + 0.05
                if until():
                    return

    def close(self) -> None:
        for spectator in self.all:
            spectator.sock.close()
        self._poll.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def threads_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^Threads:\s+(\d+)", status, re.M).group(1))


def spectators_run(server: Server, room_id: str, count: int, seconds: float, batch: int) -> dict:
    clients = Spectators()
    for start in range(0, count, batch):
        group = [Spectator(server.port, f"/ws/rooms/{room_id}") for _ in range(min(batch, count - start))]
        for spectator in group:
            clients.add(spectator)
        clients.run(30, until=lambda group=group: all(s.connected or s.closed for s in group))

    def caught_up() -> bool:  # everyone has read the backlog and receives live frames
        latest = max((s.frames[-1][0] for s in clients.all if s.frames), default=0)
        return all(s.frames and s.frames[-1][0] >= latest - 1 for s in clients.all if not s.closed)

    clients.run(60, until=caught_up)
    connected = sum(s.connected for s in clients.all)
    window_start, cpu_start, own_start = time.time(), server.cpu(), time.process_time()
    clients.run(seconds)
    window_end, cpu_end, own_end = time.time(), server.cpu(), time.process_time()
    threads = threads_of(server.process.pid)
    clients.run(1.0)  # frames of the window's last ticks still in flight
    clients.close()
    stamps = server.stop()
    published = {int(t): stamp for t, stamp in stamps["published"].get(room_id, {}).items()}
    window = sorted(t for t, stamp in published.items() if window_start <= stamp <= window_end)
    latencies, delivered, dropped = [], 0, 0
    for spectator in clients.all:
        got = {turn: stamp for turn, stamp in spectator.frames}
        for turn in window:
            if turn in got:
                delivered += 1
                latencies.append((got[turn] - published[turn]) * 1000)
            else:
                dropped += 1
    return {"spectators": count, "connected": connected, "frames_published": len(window),
            "frames_delivered": delivered, "dropped": dropped,
            "lagging_notices": sum(s.lagging for s in clients.all), "server_dropped": stamps.get("server_dropped", 0),
            "p50_ms": percentile(latencies, 0.50), "p99_ms": percentile(latencies, 0.99),
            "max_ms": max(latencies, default=float("nan")),
            "server_cpu_pct": 100 * (cpu_end - cpu_start) / (window_end - window_start),
            "server_threads": threads,
            "frames_encoded": stamps.get("frames_encoded", 0), "messages_published": len(published) + 1,
            "client_cpu_pct": 100 * (own_end - own_start) / (window_end - window_start)}


def rooms_run(server: Server, rooms: int, seconds: float, tick_ms: int, bots: list[str]) -> dict:
    ids = [server.room(tick_ms, bots) for _ in range(rooms)]
    time.sleep(2.0)  # every room's loop is up
    window_start, cpu_start = time.monotonic(), server.cpu()
    time.sleep(seconds)
    window_end, cpu_end = time.monotonic(), server.cpu()
    wakes = server.stop()["wakes"]
    late, turns = [], 0
    for room_id in ids:
        measured = [ms for wake, ms in wakes.get(room_id, []) if window_start <= wake <= window_end]
        turns += len(measured)
        late.extend(measured)
    expected = rooms * seconds * 1000 / tick_ms
    return {"rooms": rooms, "turns_played": turns, "turns_expected": round(expected),
            "p50_late_ms": percentile(late, 0.50), "p99_late_ms": percentile(late, 0.99),
            "worst_late_ms": max(late, default=float("nan")), "over_20ms_late": sum(ms > 20 for ms in late),
            "server_cpu_pct": 100 * (cpu_end - cpu_start) / (window_end - window_start)}


def show(title: str, figures: dict) -> None:
    print(title)
    for key, value in figures.items():
        print(f"  {key:18} {value:,.1f}" if isinstance(value, float) else f"  {key:18} {value:,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", nargs="?", choices=["spectators", "rooms", "both", "faults"], default="both")
    parser.add_argument("--spectators", type=int, default=1000, help="spectator sockets on the one room")
    parser.add_argument("--seconds", type=float, default=30.0, help="measurement window per scenario")
    parser.add_argument("--tick-ms", type=int, default=100, help="tick of the spectated room (10 ticks/s)")
    parser.add_argument("--rooms", type=int, default=64, help="rooms of 4 bots in the rooms scenario")
    parser.add_argument("--room-tick-ms", type=int, default=200, help="tick of those rooms (5 ticks/s)")
    parser.add_argument("--bots", default=",".join(LOAD_BOTS), help="the bots of every room (comma-separated)")
    parser.add_argument("--batch", type=int, default=100, help="spectators connecting at once")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--replays", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--max-spectators", type=int, default=1000, help=argparse.SUPPRESS)
    parser.add_argument("--stamps", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--redis", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.port, args.replays, args.max_spectators, args.stamps, args.redis)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    if args.scenario == "faults":
        from load_faults import faults_run  # noqa: PLC0415 (the faults need the pieces above)

        faults_run(Server, Spectator, args.seconds)
        print(f"machine: load average {os.getloadavg()[0]:.1f} at the end")
        return
    if args.scenario in ("spectators", "both"):
        server = Server(max_spectators=args.spectators + 10)
        try:
            room_id = server.room(args.tick_ms, args.bots.split(","))
            figures = spectators_run(server, room_id, args.spectators, args.seconds, args.batch)
        finally:
            if server.process.poll() is None:
                server.stop()
        show(f"{args.spectators} spectators, one room at {1000 / args.tick_ms:g} ticks/s, {args.seconds:g} s:",
             figures)
    if args.scenario in ("rooms", "both"):
        server = Server(max_spectators=10)
        try:
            figures = rooms_run(server, args.rooms, args.seconds, args.room_tick_ms, args.bots.split(","))
        finally:
            if server.process.poll() is None:
                server.stop()
        show(f"{args.rooms} rooms of {args.bots} at {1000 / args.room_tick_ms:g} ticks/s, {args.seconds:g} s:",
             figures)
    print(f"machine: load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
