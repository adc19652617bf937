"""The ``faults`` scenario of ``benchmarks/load_server.py``: the demo room of a ``--redis`` server while
faults hit it one after another (issue 20).  See that script's docstring; run it from there."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from arena.match import Match, MatchConfig
from arena.players import PythonPlayer
from arena.replay import ReplayWriter, open_replay

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from redis_server import RedisProcess  # noqa: E402 (the tests' real redis-server, killed and restarted)

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


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


def raw_socket(port: int, path: str, source: str = "127.0.0.1", rcvbuf: int = 2048) -> socket.socket:
    """A websocket client that never reads: the handshake, then nothing."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    raw.bind((source, 0))
    raw.connect(("127.0.0.1", port))
    raw.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    return raw


def fat_replay(folder: Path, turns: int = 1000, pad: int = 60_000) -> Path:
    """A valid game whose frames carry 60 KB of bot stderr each: ~60 MB unpacked, a few hundred KB packed."""
    def spin(state: dict) -> str:
        head, neck = state["you"]["body"][0], state["you"]["body"][1]
        return {(0, 1): "right", (1, 0): "down", (0, -1): "left", (-1, 0): "up"}.get(
            (head["x"] - neck["x"], head["y"] - neck["y"]), "up")

    plain, fat = folder / "plain.jsonl.gz", folder / "fat.jsonl.gz"
    Match([PythonPlayer(spin)], MatchConfig(ruleset="classic", seed=1, max_turns=turns), plain).run()
    with open_replay(plain) as reader:
        with ReplayWriter(fat, {k: v for k, v in reader.header.items() if k not in ("type", "format")}) as writer:
            for frame in reader.frames:
                for snake in frame["snakes"]:
                    snake["stderr"] = f"turn {frame['turn']} ".ljust(pad, "x")
                writer.write_frame(frame)
            writer.finish({k: v for k, v in reader.result.items() if k != "type"})
    return fat


def small_disk(folder: Path, size: str = "32m") -> bool:
    """Mount a tmpfs of ``size`` at ``folder`` (needs root); False where it cannot be mounted."""
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True).returncode == 0


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
        mask = os.urandom(4)
        ping = struct.pack("!BB", 0x89, 0x80 | 125) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(b"p" * 125))
        sent, sockets, began = 0, 0, time.monotonic()
        while time.monotonic() - began < self.seconds:
            raw = raw_socket(self.server.port, f"/ws/rooms/{self.demo}", rcvbuf=4096)
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
        stuck = [raw_socket(self.server.port, f"/ws/rooms/{self.demo}", source=f"127.0.0.{2 + i % 4}")
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
        filler = self.server.replays / "filler"
        with open(filler, "wb", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"\0" * 4096)
            except OSError:
                pass
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
    fat = fat_replay(tmp)
    redis = RedisProcess(tmp).start()
    library = tmp / "library"
    disk = small_disk(library)
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
        if disk:
            subprocess.run(["umount", "-l", str(library)], check=False)
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
