"""The ``faults`` scenario of ``benchmarks/load_server.py``: the demo room of a ``--redis`` server while
faults hit it one after another (issue 20).  See that script's docstring; run it from there."""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from faultkit import fat_replay, fill, peak_rss_mb, small_tmpfs  # noqa: E402 (the tests' faults, inflicted here)
from redis_server import RedisProcess  # noqa: E402 (the tests' real redis-server, killed and restarted)
from serverkit import handshake, masked  # noqa: E402 (clients that never read)

SEARCH_16 = {"ruleset": "standard", "width": 25, "height": 25, "tick_ms": 200, "max_turns": 100_000,
             "seats": ["search"] * 16}
SEARCH_4 = {"ruleset": "standard", "tick_ms": 500, "max_turns": 100_000, "seats": ["search"] * 4}
OCTETS = {"Content-Type": "application/octet-stream"}


def call(base: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
         timeout: float = 300) -> tuple[int, object]:
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, text = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read()
    except OSError as exc:
        return 0, str(exc)
    try:
        return status, json.loads(text)
    except ValueError:
        return status, len(text)


def room_json(body: dict) -> tuple[bytes, dict]:
    return json.dumps(body).encode(), {"Content-Type": "application/json"}


def since(seconds: float | None) -> str:
    return "never" if seconds is None else f"after {seconds:.1f} s"


class Faults:
    """Each fault is a method returning what the server answered; ``run`` times them."""

    def __init__(self, server, demo: str, redis: RedisProcess, disk: bool, fat: Path, seconds: float) -> None:
        self.server, self.demo, self.redis, self.disk, self.fat, self.seconds = server, demo, redis, disk, fat, seconds

    def spectators(self) -> int:
        return call(self.server.base, "GET", f"/api/rooms/{self.demo}")[1].get("spectators", -1)

    def wait(self, check, timeout: float) -> float | None:
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            if check():
                return time.monotonic() - began
            time.sleep(0.1)
        return None

    def quiet(self) -> str:
        time.sleep(self.seconds)
        return "nothing happens"

    def ping_flood(self) -> str:
        """Pings as fast as the server reads them, from a client that reads nothing; a new socket when cut."""
        ping = masked(0x9, b"p" * 125)
        sent, sockets, began = 0, 0, time.monotonic()
        while time.monotonic() - began < self.seconds:
            raw = handshake(self.server.port, f"/ws/rooms/{self.demo}", rcvbuf=4096)
            raw.settimeout(1.0)
            sockets += 1
            try:
                while time.monotonic() - began < self.seconds:
                    raw.sendall(ping * 100)
                    sent += 100
            except OSError:  # cut for flooding
                pass
            raw.close()
        left = self.wait(lambda: self.spectators() == 0, 30)
        return f"{sent:,} pings unread on {sockets} sockets, each cut for flooding; all gone: {since(left)}"

    def stuck_spectators(self) -> str:
        stuck = [handshake(self.server.port, f"/ws/rooms/{self.demo}", source=f"127.0.0.{2 + i % 4}", rcvbuf=2048)
                 for i in range(200)]
        connected = self.wait(lambda: self.spectators() >= 200, 60)
        cut = self.wait(lambda: self.spectators() == 0, 60)
        for raw in stuck:
            raw.close()
        return (f"200 connected ({'yes' if connected is not None else 'no'}), all cut by the ping timeout: "
                f"{since(cut)}")

    def search_rooms(self) -> str:
        refused, _ = call(self.server.base, "POST", "/api/rooms", *room_json(SEARCH_16))
        admitted, room = call(self.server.base, "POST", "/api/rooms", *room_json(SEARCH_4))
        time.sleep(self.seconds)
        return f"16 search on 25x25 at 200 ms: {refused}; 4 search at 500 ms: {admitted} (plays alongside)"

    def huge_upload(self) -> str:
        began = time.monotonic()
        status, answer = call(self.server.base, "POST", "/api/replays", self.fat.read_bytes(), OCTETS)
        upload = time.monotonic() - began
        if status != 201:
            return f"upload {status}: {answer}"
        began = time.monotonic()
        got, size = call(self.server.base, "GET", f"/api/replays/{answer['id']}")
        return (f"upload 201 in {upload:.1f} s; GET {got} ({size / 2**20:.0f} MB) in "
                f"{time.monotonic() - began:.1f} s")

    def redis_outage(self) -> str:
        self.redis.kill()
        time.sleep(self.seconds / 2)
        during = call(self.server.base, "GET", "/healthz")[0]
        rooms = call(self.server.base, "GET", "/api/rooms")[0]
        self.redis.start()
        back = self.wait(lambda: call(self.server.base, "GET", "/healthz")[0] == 200, 60)
        time.sleep(max(0.0, self.seconds / 2 - (back or 0)))
        return f"during: /healthz {during}, /api/rooms {rooms}; back: {since(back)}"

    def disk_full(self) -> str:
        if not self.disk:
            return "skipped (no tmpfs could be mounted: needs root)"
        filler = fill(self.server.replays)
        began = time.monotonic()
        noticed = self.wait(lambda: call(self.server.base, "GET", f"/api/rooms/{self.demo}")[1].get("recording")
                            is False, 60)
        time.sleep(max(0.0, self.seconds - (time.monotonic() - began)))
        room = call(self.server.base, "GET", f"/api/rooms/{self.demo}")[1]
        filler.unlink()
        return (f"library full: the room stopped recording {since(noticed)} and is {room.get('status')} "
                f"(recording {room.get('recording')})")


def lateness(wakes: list, start: float, end: float, tick_s: float) -> tuple[int, int, float]:
    late = [ms for wake, ms in wakes if start <= wake <= end]
    return len(late), round((end - start) / tick_s), max(late, default=float("nan"))


def faults_run(server_class, spectator_class, seconds: float) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="snek-faults-"))
    fat = fat_replay(tmp, turns=1000)
    redis = RedisProcess(tmp).start()
    with contextlib.ExitStack() as stack:
        try:
            library, disk = stack.enter_context(small_tmpfs(tmp / "library", "32m")), True
        except RuntimeError:  # not root: the full-disk fault is skipped
            library, disk = tmp / "library", False
        stamps, rows, stopped, demo = run_faults(server_class, redis, library, disk, fat, seconds)
    report(stamps, rows, stopped, demo, seconds)


def run_faults(server_class, redis: RedisProcess, library: Path, disk: bool, fat: Path, seconds: float):
    server = server_class(max_spectators=1000, redis=redis.url, replays=library)
    rows = []
    try:
        demo = next(r for r in call(server.base, "GET", "/api/rooms")[1]["rooms"] if r["ruleset"] == "classic")["id"]
        faults = Faults(server, demo, redis, disk, fat, seconds)
        for name in ("quiet", "ping_flood", "stuck_spectators", "search_rooms", "huge_upload", "redis_outage",
                     "disk_full"):
            start = time.monotonic()
            note = getattr(faults, name)()
            rows.append((name, start, time.monotonic(), note, peak_rss_mb(server.process.pid)))
        began = time.monotonic()
        stamps = server.stop()  # SIGTERM
        stopped = (time.monotonic() - began, server.process.returncode)
    finally:
        if server.process.poll() is None:
            server.process.kill()
        redis.stop()
    return stamps, rows, stopped, demo


def report(stamps: dict, rows: list, stopped: tuple, demo: str, seconds: float) -> None:
    wakes = stamps["wakes"].get(demo, [])
    print(f"the demo room (5 ticks/s) of a --redis server while faults hit it, {seconds:g} s each:")
    print(f"  {'fault':17} {'turns':>9} {'worst late':>10} {'peak RSS':>9}  what the server did")
    worst = 0.0
    for name, start, end, note, rss in rows:
        played, due, late = lateness(wakes, start, end, 0.2)
        worst = max(worst, late) if late == late else worst
        print(f"  {name:17} {played:>4}/{due:<4} {late:>7.0f} ms {rss:>6.0f} MB  {note}")
    print(f"  SIGTERM: exit code {stopped[1]} after {stopped[0]:.1f} s")
    print(f"  worst lateness {worst:.0f} ms; peak RSS {max(r[4] for r in rows):.0f} MB")
