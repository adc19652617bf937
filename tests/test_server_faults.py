"""The live server against faults and hostile input (issue 20): lone surrogates, huge valid replays, a full
disk, SIGTERM and kill -9, deep JSON, cross-site uploads, long names, unverifiable uploads, oversized
websocket frame headers.  Real servers (in-process or real `snek serve` processes), real sockets, a real
tmpfs that fills up, real signals."""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
import simple_websocket
from faultkit import fat_replay, fill, peak_rss_mb, rewrite, small_tmpfs
from redis_server import redis_server
from serve import SnekServer
from serverkit import LiveServer
from serverkit import http as call
from waiting import wait_until
from wsclient import Client

from arena.replay import read_replay
from arena.verify import verify
from snek_viewer import ServerConfig
from snek_viewer.hub import make_hub

SAMPLES = Path(__file__).parent.parent / "replays"
OCTETS = {"Content-Type": "application/octet-stream"}
ENDLESS = {"ruleset": "classic", "settings": {"endless": True}, "tick_ms": 50, "seats": ["greedy", "safe", None]}


def renamed(tmp_path: Path, name: str, file: str = "surrogate.jsonl.gz") -> Path:
    def rename(h):
        h["players"][0]["name"] = name
        return h
    return rewrite(SAMPLES / "standard-4-bots.jsonl.gz", tmp_path / file, header=rename)


# --- 1. lone surrogates -------------------------------------------------------------------------

def test_a_lone_surrogate_name_is_refused_and_no_stored_file_breaks_a_listing(tmp_path):
    library = tmp_path / "library"
    library.mkdir()
    stored = renamed(library, "\ud800")  # a file that holds one (JSON escapes it: the file itself is fine)
    with LiveServer(ServerConfig(replays=library)) as server:
        room = call("GET", server.url + "/api/rooms")[1]["rooms"][0]
        client = Client(f"{server.ws_url}/ws/rooms/{room['id']}")
        client.send('{"type":"join","name":"\\ud800"}')
        answer, _ = client.until(lambda m: m["type"] in ("error", "welcome"))
        assert answer["type"] == "error" and answer["code"] == "bad_name", answer
        client.send({"type": "join", "name": "ann\x07"})
        assert client.until(lambda m: m["type"] in ("error", "welcome"))[0]["code"] == "bad_name"
        client.close()
        assert call("GET", server.url + "/api/rooms")[0] == 200
        status, listing, _ = call("GET", server.url + "/api/replays")
        # read through arena.jsonio, whose strings enter the program clean: the lone surrogate shows as U+FFFD
        assert status == 200 and "\ufffd" in next(r for r in listing["replays"] if r["id"] == "surrogate")["players"]
        assert call("GET", server.url + "/games/surrogate")[0] == 200
        status, answer, _ = call("POST", server.url + "/api/replays", raw=stored.read_bytes(), headers=OCTETS)
        assert status == 201, answer
        assert call("GET", server.url + "/api/replays")[0] == 200
    with LiveServer(ServerConfig(replays=library)) as again:  # and after a restart
        status, listing, _ = call("GET", again.url + "/api/replays")
        assert status == 200 and {"surrogate", answer["id"]} <= {r["id"] for r in listing["replays"]}


def test_a_lone_surrogate_join_cannot_kill_a_room_shared_through_redis(tmp_path):
    pytest.importorskip("redis")
    with redis_server(tmp_path) as url, LiveServer(ServerConfig(replays=None, hub=lambda: make_hub(url))) as server:
        room = wait_until(lambda: call("GET", server.url + "/api/rooms")[1]["rooms"])[0]
        client = Client(f"{server.ws_url}/ws/rooms/{room['id']}")
        client.send('{"type":"join","name":"snake\\udfff"}')
        answer, _ = client.until(lambda m: m["type"] in ("error", "welcome"))
        assert answer["code"] == "bad_name", answer
        turn = call("GET", f"{server.url}/api/rooms/{room['id']}")[1]["turn"]
        client.until(lambda m: m["type"] == "frame" and m["turn"] > turn + 3)  # the room plays on
        client.close()
        assert call("GET", server.url + "/api/rooms")[0] == 200


# --- 3. huge valid replays ---------------------------------------------------------------------

def test_a_huge_valid_replay_is_checked_and_served_in_bounded_memory(tmp_path):
    fat = fat_replay(tmp_path / "fat")
    unpacked = sum(len(line) for line in gzip.open(fat, "rb"))
    assert unpacked > 110 * 2**20 and fat.stat().st_size < 2 * 2**20
    library = tmp_path / "library"
    with SnekServer(["--replays", str(library), "--no-demo-room"]) as server:
        assert server.get("/api/replays") == {"replays": []}
        # a small upload first: checking one loads the compiled engine (numba and LLVM, tens of MB, once per
        # process), which is not what this test measures
        status, _, _ = call("POST", server.url + "/api/replays",
                            raw=(SAMPLES / "standard-4-bots.jsonl.gz").read_bytes(), headers=OCTETS)
        assert status == 201
        before = peak_rss_mb(server.proc.pid)
        answers = []
        first = threading.Thread(target=lambda: answers.append(
            call("POST", server.url + "/api/replays", raw=fat.read_bytes(), headers=OCTETS)))
        first.start()
        wait_until(lambda: list((library / ".incoming").glob("*/upload.jsonl.gz")), every=0.01)  # being checked
        status, busy, _ = call("POST", server.url + "/api/replays",
                               raw=(SAMPLES / "wrapped-7x7.jsonl.gz").read_bytes(), headers=OCTETS)
        assert status == 503 and "another upload" in busy["error"]  # one check at a time
        first.join(timeout=300)
        (status, answer, _), = answers
        assert status == 201, answer
        key = answer["id"]
        rows = server.get("/api/replays")["replays"]  # the small upload and this one, in the library's order
        assert len(rows) == 2 and next(r for r in rows if r["id"] == key)["turns"] == 2000

        counts = []

        def fetch():
            with urllib.request.urlopen(f"{server.url}/api/replays/{key}", timeout=120) as response:
                counts.append(sum(1 for _ in response))
        readers = [threading.Thread(target=fetch) for _ in range(2)]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(timeout=300)
        assert counts == [2003, 2003]  # the header, 2001 frames (turns 0 to 2000), the result
        client = Client(f"{server.url.replace('http', 'ws')}/ws/replays/{key}")
        result, seen = client.until(lambda m: m["type"] == "result", timeout=120)
        assert len(seen) == 2002 and result["turns"] == 2000
        client.close()
        grown = peak_rss_mb(server.proc.pid) - before
        assert grown < 100, f"peak RSS grew by {grown:.0f} MB for a {unpacked / 2**20:.0f} MB replay"


# --- 6. a full disk ------------------------------------------------------------------------------

@pytest.fixture()
def small_disk(tmp_path):
    """A real 1 MB tmpfs (needs root); skipped where it cannot be mounted."""
    try:
        with small_tmpfs(tmp_path / "disk") as disk:
            yield disk
    except RuntimeError as exc:
        pytest.skip(str(exc))


def test_a_room_on_a_full_disk_plays_on_unrecorded_and_says_so(small_disk):
    config = ServerConfig(replays=small_disk, demo_room=False, rooms=[ENDLESS])
    with LiveServer(config) as server:
        room = wait_until(lambda: [r for r in call("GET", server.url + "/api/rooms")[1]["rooms"] if r["turn"] > 3])[0]
        client = Client(f"{server.ws_url}/ws/rooms/{room['id']}")
        fill(small_disk)
        notice, _ = client.until(lambda m: m["type"] == "error")
        assert notice["code"] == "not_recording" and "No space left" in notice["message"]
        stopped_at = call("GET", f"{server.url}/api/rooms/{room['id']}")[1]
        assert stopped_at["recording"] is False and stopped_at["status"] == "running"
        client.until(lambda m: m["type"] == "frame" and m["turn"] > stopped_at["turn"] + 5)  # it plays on
        client.close()
        status, answer, _ = call("POST", server.url + "/api/replays",
                                 raw=(SAMPLES / "standard-4-bots.jsonl.gz").read_bytes(), headers=OCTETS)
        assert status == 507 and "No space left" in answer["error"]
        assert sorted(p.name for p in small_disk.iterdir()) == [".incoming", ".live", "filler"]
        assert not list((small_disk / ".incoming").iterdir())  # no 0-byte (or partial) upload left
        assert call("GET", server.url + "/api/replays")[:2] == (200, {"replays": []})
    with LiveServer(ServerConfig(replays=small_disk, demo_room=False)) as server:  # a start on the full disk
        (row,) = call("GET", server.url + "/api/replays")[1]["replays"]
        assert row["id"] == room["id"] and room["turn"] <= row["turns"] <= stopped_at["turn"]  # what was recorded
    replay = read_replay(small_disk / f"{room['id']}.jsonl.gz")  # no room to close it: the prefix, renamed
    assert replay.result is None and verify(replay).ok


def test_a_room_whose_loop_fails_is_not_left_running(tmp_path):
    """Its replay vanished from .live/ under it (deleted by hand, or by another process's start): saving
    it fails; the room must say so and end, not stay listed as running with its spectators frozen."""
    body = {"ruleset": "classic", "seats": ["safe", "greedy"], "tick_ms": 100, "max_turns": 30}
    with LiveServer(ServerConfig(replays=tmp_path, demo_room=False, rooms=[body], finished_keep_s=1)) as server:
        room = wait_until(lambda: [r for r in call("GET", server.url + "/api/rooms")[1]["rooms"] if r["turn"] >= 2])[0]
        client = Client(f"{server.ws_url}/ws/rooms/{room['id']}")
        (tmp_path / ".live" / f"{room['id']}.jsonl.gz").unlink()
        notice, _ = client.until(lambda m: m["type"] == "error")
        assert notice["code"] == "room_error" and "FileNotFoundError" in notice["message"]
        assert call("GET", f"{server.url}/api/rooms/{room['id']}")[1]["status"] == "finished"
        wait_until(lambda: call("GET", f"{server.url}/api/rooms/{room['id']}")[0] == 404)  # closed, and
        with pytest.raises(simple_websocket.ConnectionClosed):  # its sockets with it
            while client.ws.receive(timeout=30) is not None:
                pass
        client.close()


# --- 7. SIGTERM and kill -9 ----------------------------------------------------------------------

def demo_turns(server: SnekServer, at_least: int) -> dict:
    return wait_until(lambda: [r for r in server.get("/api/rooms")["rooms"] if r["turn"] >= at_least])[0]


def test_sigterm_stops_snek_serve_as_ctrl_c_does(tmp_path):
    library = tmp_path / "library"
    server = SnekServer(["--replays", str(library)]).start()
    try:
        room = demo_turns(server, 5)
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=60) == 0, server.tail()
        assert "Traceback" not in server.tail()
    finally:
        server.stop()
    assert not list((library / ".live").iterdir())
    replay = read_replay(library / f"{room['id']}.jsonl.gz", require_result=True)
    assert replay.result["reason"] == "stopped" and verify(replay).ok


def test_a_game_cut_off_by_kill_9_comes_back_finished_as_interrupted(tmp_path):
    library = tmp_path / "library"
    with SnekServer(["--replays", str(library)]) as server:
        room = demo_turns(server, 5)
        os.killpg(server.proc.pid, signal.SIGKILL)
        server.proc.wait(timeout=30)
    assert [p.name for p in (library / ".live").iterdir()] == [f"{room['id']}.jsonl.gz"]
    with SnekServer(["--replays", str(library), "--no-demo-room"]) as server:
        assert [r["id"] for r in server.get("/api/replays")["replays"]] == [room["id"]]
        assert server.get(f"/games/{room['id']}")["Game"]["Status"] == "complete"
    replay = read_replay(library / f"{room['id']}.jsonl.gz", require_result=True)
    assert replay.result["reason"] == "interrupted" and replay.frames[-1]["turn"] >= 5 and verify(replay).ok


# --- 10. the small ones --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with LiveServer(ServerConfig(replays=tmp_path_factory.mktemp("library"))) as live:
        yield live


@pytest.mark.parametrize("depth, words", [(50_000, "nested too deeply"), (100_000, "at most 64 KB")])
def test_deeply_nested_json_is_a_400(server, depth, words):
    status, answer, _ = call("POST", server.url + "/api/rooms", raw=b"[" * depth,
                             headers={"Content-Type": "application/json"})
    assert status == 400 and words in answer["error"]


# what a form or a plain fetch() on another site can send without asking us first
CROSS_SITE = ["text/plain", "application/x-www-form-urlencoded",  # the second is what `curl --data-binary` sends
              "multipart/form-data; boundary=b", None]


@pytest.mark.parametrize("content_type", CROSS_SITE)
def test_uploads_a_cross_site_form_could_send_are_refused(server, content_type):
    data = (SAMPLES / "wrapped-7x7.jsonl.gz").read_bytes()
    multipart = content_type is not None and content_type.startswith("multipart")
    body = (b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"r.jsonl.gz\"\r\n\r\n" + data
            + b"\r\n--b--\r\n") if multipart else data
    connection = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]), timeout=30)
    connection.request("POST", "/api/replays", body=body,
                       headers={"Content-Type": content_type} if content_type else {})  # None: no Content-Type
    response = connection.getresponse()
    status, answer = response.status, json.loads(response.read())
    connection.close()
    assert status == 415, answer
    assert "--data-binary" in answer["error"] and "application/octet-stream" in answer["error"]
    ids = [r["id"] for r in call("GET", server.url + "/api/replays")[1]["replays"]]
    assert not any(i.startswith("upload-") for i in ids)


def test_rooms_need_a_json_request(server):
    status, answer, _ = call("POST", server.url + "/api/rooms", raw=b'{"ruleset":"standard"}',
                             headers={"Content-Type": "text/plain"})
    assert status == 400 and "application/json" in answer["error"]


def test_curl_data_binary_gets_the_way_to_upload(server):
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("no curl")
    sample = SAMPLES / "wrapped-7x7.jsonl.gz"
    out = subprocess.run([curl, "-s", "--data-binary", f"@{sample}", server.url + "/api/replays"],
                         capture_output=True, text=True, timeout=60)
    assert "-H 'Content-Type: application/octet-stream'" in json.loads(out.stdout)["error"]
    out = subprocess.run([curl, "-s", "--data-binary", f"@{sample}", "-H", "Content-Type: application/octet-stream",
                          server.url + "/api/replays"], capture_output=True, text=True, timeout=60)
    assert json.loads(out.stdout)["id"].startswith("upload-")
    out = subprocess.run([curl, "-s", "-F", f"file=@{sample}", "-H", "X-Requested-With: snek",
                          server.url + "/api/replays"], capture_output=True, text=True, timeout=60)
    assert json.loads(out.stdout)["id"].startswith("upload-")


def test_uploads_with_long_names_or_that_do_not_verify_are_refused(server, tmp_path):
    long = renamed(tmp_path, "n" * 60_000, "long.jsonl.gz")
    status, answer, _ = call("POST", server.url + "/api/replays", raw=long.read_bytes(), headers=OCTETS)
    assert status == 400 and "at most 64 characters" in answer["error"]

    def tamper(frame):
        if frame["turn"] == 7:
            frame["snakes"][0]["health"] -= 1
        return frame
    forged = rewrite(SAMPLES / "standard-4-bots.jsonl.gz", tmp_path / "forged.jsonl.gz", frame=tamper)
    status, answer, _ = call("POST", server.url + "/api/replays", raw=forged.read_bytes(), headers=OCTETS)
    assert status == 400 and "does not verify: turn 7" in answer["error"] and "health" in answer["error"]
    assert not list((Path(server.snek.config.replays) / ".incoming").iterdir())


def test_serve_help_shows_the_redis_extra():
    out = subprocess.run([sys.executable, "-m", "arena", "serve", "--help"], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "300"}, timeout=60)
    assert "pip install 'snek-arena[redis]'" in out.stdout


def test_a_frame_header_announcing_2_to_the_63_bytes_is_refused_at_once(server):
    room = call("GET", server.url + "/api/rooms")[1]["rooms"][0]
    with socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])), timeout=30) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET /ws/rooms/{room['id']} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        received = b""
        while b"\r\n\r\n" not in received:
            received += sock.recv(4096)
        assert received.startswith(b"HTTP/1.1 101")
        sock.sendall(struct.pack("!BBQ", 0x81, 0x80 | 127, 2**63 - 1) + os.urandom(4))  # a header, no payload
        codes = []
        buffer = received.split(b"\r\n\r\n", 1)[1]
        while not codes:
            chunk = sock.recv(65536)  # times out (the test fails) if the server waits for the payload
            if not chunk:
                break
            buffer += chunk
            while len(buffer) >= 2:
                size, start = buffer[1] & 0x7F, 2
                if size == 126:
                    size, start = struct.unpack("!H", buffer[2:4])[0], 4
                elif size == 127:
                    size, start = struct.unpack("!Q", buffer[2:10])[0], 10
                if len(buffer) < start + size:
                    break
                if buffer[0] & 0x0F == 0x8:
                    codes.append(struct.unpack("!H", buffer[start:start + 2])[0])
                buffer = buffer[start + size:]
        assert codes == [1009]
