"""The HTTP API of `snek serve` against a real server on 127.0.0.1: its exact contract, its errors,
the seat-spec security rule, the replay library (uploads included) and the tournament API."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from serverkit import LiveServer, http
from waiting import wait_until

from arena.match import MatchConfig
from arena.replay import ReplayError, read_replay
from arena.tournament import Leaderboard, TournamentConfig, run_tournament
from arena.verify import verify
from snek_viewer import ServerConfig

SAMPLES = Path(__file__).parent.parent / "replays"
ROOM_KEYS = {"id", "ruleset", "map", "width", "height", "settings", "tick_ms", "status", "turn", "seats", "spectators",
             "recording"}


@pytest.fixture(scope="module")
def tournament_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tournaments") / "ladder"
    run_tournament(TournamentConfig(bots=["random", "safe", "greedy"], games=5, players_per_game=2,
                                    rules=MatchConfig(max_turns=60), out_dir=out))
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory, tournament_dir):
    library = tmp_path_factory.mktemp("library")
    for sample in SAMPLES.glob("*.jsonl*"):
        shutil.copy(sample, library)
    config = ServerConfig(replays=library, tournaments=[tournament_dir.parent], bots={"mine": "space"})
    with LiveServer(config) as live:
        yield live


def test_healthz_and_the_demo_room(server):
    assert http("GET", server.url + "/healthz")[:2] == (200, {"ok": True})
    status, body, _ = http("GET", server.url + "/api/rooms")
    assert status == 200 and len(body["rooms"]) == 1
    room = body["rooms"][0]
    assert set(room) == ROOM_KEYS and room["ruleset"] == "classic" and room["status"] == "running"
    assert {s["kind"] for s in room["seats"]} == {"builtin", "human"} and any(s["open"] for s in room["seats"])
    assert set(room["seats"][0]) == {"id", "name", "kind", "alive", "open"}
    turn = room["turn"]
    assert wait_until(lambda: http("GET", f"{server.url}/api/rooms/{room['id']}")[1]["turn"] > turn)


def test_every_response_forbids_inline_script(server):
    for path in ("/healthz", "/api/rooms", "/api/replays", "/nope", "/static/nope.js"):
        policy = http("GET", server.url + path)[2]["Content-Security-Policy"]
        script = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script and "'self'" in script


def test_create_room_returns_it_and_it_runs(server):
    status, room, _ = http("POST", server.url + "/api/rooms", {
        "ruleset": "standard", "width": 7, "height": 7, "settings": {"minimumFood": 2}, "tick_ms": 20,
        "max_turns": 50, "seats": ["greedy", "mine", None], "wait_s": 0})
    assert status == 201 and set(room) == ROOM_KEYS
    assert (room["ruleset"], room["width"], room["height"], room["tick_ms"]) == ("standard", 7, 7, 20)
    assert room["settings"]["minimumFood"] == 2
    assert [s["name"] for s in room["seats"]][:2] == ["greedy", "mine"] and room["seats"][2]["open"]
    # nobody joined within wait_s = 0: `safe` takes the open seat and the game runs to its end
    done = wait_until(lambda: (r := http("GET", f"{server.url}/api/rooms/{room['id']}")[1]).get("status")
                      == "finished" and r)
    assert [s["name"] for s in done["seats"]] == ["greedy", "mine", "safe"] and done["turn"] > 0
    listed = wait_until(lambda: [r for r in http("GET", server.url + "/api/replays")[1]["replays"]
                                 if r["id"] == room["id"]])
    assert listed[0]["players"] == ["greedy", "mine", "safe"] and listed[0]["turns"] == done["turn"]


@pytest.mark.parametrize("body, words", [
    ({"ruleset": "nope", "seats": ["greedy"]}, "unknown ruleset"),
    ({"ruleset": "standard", "seats": ["greedy", "nobody"]}, "unknown bot"),
    ({"ruleset": "standard", "seats": ["greedy"] * 17}, "too many seats"),
    ({"ruleset": "standard", "seats": ["greedy", "safe"], "tick_ms": 19}, "tick_ms must be between 20 and 5000"),
    ({"ruleset": "standard", "seats": ["greedy", "safe"], "tick_ms": 5001}, "tick_ms must be between 20 and 5000"),
    ({"ruleset": "standard", "seats": ["greedy", "safe"], "tick_ms": "fast"}, "tick_ms must be a whole number"),
    ({"ruleset": "standard", "seats": ["greedy", "safe"], "width": True}, "width must be a whole number"),
    ({"ruleset": "standard", "seats": "greedy"}, "seats must be"),
    ({"ruleset": "standard", "seats": ["greedy", 7]}, "a seat is a bot name or null"),
    ({"ruleset": "standard", "seats": ["greedy", "safe"], "settings": {"bogus": 1}}, "has no setting"),
    ({"ruleset": "standard", "seats": ["greedy", "safe"], "settings": []}, "settings must be an object"),
    ({"ruleset": "standard", "seats": ["greedy", "safe"], "colour": "red"}, "unknown field"),
    ({"ruleset": "standard", "seats": ["greedy", "safe"], "max_turns": 0}, "max_turns must be between"),
    ({"ruleset": "classic", "seats": [None, None]}, "of humans only must be endless"),
    (["greedy"], "JSON object"),
])
def test_bad_rooms_get_one_line_400s(server, body, words):
    def room_ids() -> set[str]:
        return {room["id"] for room in http("GET", server.url + "/api/rooms")[1]["rooms"]}

    before = room_ids()
    status, answer, _ = http("POST", server.url + "/api/rooms", body)
    assert status == 400 and set(answer) == {"error"} and words in answer["error"]
    assert "\n" not in answer["error"] and not room_ids() - before  # no room opened (others may have ended)


def test_not_json_and_unknown_things(server):
    status, answer, _ = http("POST", server.url + "/api/rooms", raw=b"{nope", headers={"Content-Type": "text/plain"})
    assert status == 400 and "JSON object" in answer["error"]
    assert http("GET", server.url + "/api/rooms/nope")[:2] == (404, {"error": "no room 'nope'"})
    assert http("GET", server.url + "/api/replays/nope")[0] == 404
    assert http("GET", server.url + "/api/tournaments/nope")[0] == 404
    assert http("DELETE", server.url + "/api/rooms")[0] == 405
    assert "error" in http("GET", server.url + "/api/nothing-here")[1]


@pytest.mark.parametrize("seat", [
    "cmd:touch {marker}", "cmd:python -c 'open(\"{marker}\", \"w\")'", "http://127.0.0.1:9/", "https://example.com/",
    "os:system", "arena.players.stdio:StdioPlayer", "{marker}.py:move", "tests/play.py:normalise", "../safe", "safe ",
])
def test_web_clients_cannot_start_processes_import_modules_or_fetch_urls(server, tmp_path, seat):
    marker = tmp_path / "pwned"
    status, answer, _ = http("POST", server.url + "/api/rooms",
                             {"ruleset": "standard", "seats": ["greedy", seat.format(marker=marker)]})
    assert status == 400 and "unknown bot" in answer["error"] and "built-in bots and the operator" in answer["error"]
    assert not marker.exists()


def test_operator_bots_may_use_any_spec(tmp_path):
    stdio_bot = tmp_path / "bot.py"
    stdio_bot.write_text("import sys, json\nfor line in sys.stdin:\n"
                         "    print(json.dumps({'move': 'up'}), flush=True)\n")
    config = ServerConfig(replays=tmp_path / "lib", demo_room=False, bots={"upper": f"cmd:python -u {stdio_bot}"})
    with LiveServer(config) as live:
        status, room, _ = http("POST", live.url + "/api/rooms", {"ruleset": "solo", "seats": ["upper"],
                                                                 "tick_ms": 200, "width": 7, "height": 7})
        assert status == 201 and room["seats"][0]["kind"] != "builtin"
        done = wait_until(lambda: (r := http("GET", f"{live.url}/api/rooms/{room['id']}")[1])["status"]
                          == "finished" and r, timeout=60)
        replay = read_replay(tmp_path / "lib" / f"{room['id']}.jsonl.gz", require_result=True)
        moves = [f["snakes"][0]["move"] for f in replay.frames[1:]]
        errors = [f["snakes"][0]["error"] for f in replay.frames[1:]]
        assert len(moves) == done["turn"] >= 1 and set(moves) == {"up"} and set(errors) == {None}


def test_replays_list_and_download(server):
    status, body, _ = http("GET", server.url + "/api/replays")
    samples = {r["id"]: r for r in body["replays"]}
    assert {"standard-4-bots", "royale-2-bots", "wrapped-7x7"} <= set(samples)
    row = samples["standard-4-bots"]
    assert set(row) == {"id", "ruleset", "map", "width", "height", "players", "winner", "turns", "created"}
    created = [r["created"] for r in body["replays"]]
    assert created == sorted(created, reverse=True)
    status, text, headers = http("GET", server.url + "/api/replays/standard-4-bots")
    assert status == 200 and headers["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in text.splitlines()]
    expected = read_replay(SAMPLES / "standard-4-bots.jsonl.gz")
    assert lines[0]["type"] == "header" and len(lines) == len(expected.frames) + 2
    assert lines[-1]["type"] == "result" and row["turns"] == expected.result["turns"]


def test_upload_raw_and_multipart_then_listed(server, tmp_path):
    data = (SAMPLES / "wrapped-7x7.jsonl.gz").read_bytes()
    status, answer, _ = http("POST", server.url + "/api/replays", raw=data,
                             headers={"Content-Type": "application/octet-stream"})
    assert status == 201 and answer["id"].startswith("upload-")
    plain = gzip.decompress((SAMPLES / "royale-2-bots.jsonl.gz").read_bytes())
    boundary = "snekboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.jsonl\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + plain + f"\r\n--{boundary}--\r\n".encode()
    status, second, _ = http("POST", server.url + "/api/replays", raw=body,
                             headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                                      "X-Requested-With": "snek"})
    assert status == 201
    ids = {r["id"] for r in http("GET", server.url + "/api/replays")[1]["replays"]}
    assert {answer["id"], second["id"]} <= ids
    text = http("GET", f"{server.url}/api/replays/{second['id']}")[1]
    (tmp_path / "back.jsonl").write_text(text)
    assert verify(read_replay(tmp_path / "back.jsonl")).ok


def test_a_battlesnake_cli_game_is_imported_on_upload(server, tmp_path):
    """The watch page opens a raw `battlesnake play --output` file, but the upload route refused it (`not a snek
    replay`): it is now imported as `snek replay import` does, stored as the snek replay it becomes, and said so."""
    cli_game = Path(__file__).parent / "data" / "battlesnake-cli-standard-7x7.jsonl"
    for data in (cli_game.read_bytes(), gzip.compress(cli_game.read_bytes())):
        status, answer, _ = http("POST", server.url + "/api/replays", raw=data,
                                 headers={"Content-Type": "application/octet-stream"})
        assert status == 201 and answer == {"id": answer["id"], "imported": "battlesnake-cli"}, answer
        text = http("GET", f"{server.url}/api/replays/{answer['id']}")[1]
        (tmp_path / "back.jsonl").write_text(text)
        replay = read_replay(tmp_path / "back.jsonl")
        assert replay.header["imported"]["from"] == "battlesnake-cli" and len(replay.frames) == 5
        assert verify(replay).ok
    broken = cli_game.read_text().replace('"turn":2', '"turn":7', 1).encode()
    status, answer, _ = http("POST", server.url + "/api/replays", raw=broken,
                             headers={"Content-Type": "application/octet-stream"})
    assert status == 400 and answer["error"].startswith("not a snek replay, nor a Battlesnake CLI game: ")
    assert "turn 7 follows turn 1" in answer["error"] and "\n" not in answer["error"]


@pytest.mark.parametrize("data, words", [
    (b"not json at all\n", "not JSON"),
    (b'{"type":"frame"}\n', "first line is not a header"),
    (b'{"type":"header","format":"snek-replay/9"}\n', "unsupported format"),
    (b"\x1f\x8b\x08\x00garbage", "not a"),
    (b"", "empty upload"),
])
def test_bad_uploads_get_the_readers_one_line_message(server, data, words):
    status, answer, _ = http("POST", server.url + "/api/replays", raw=data,
                             headers={"Content-Type": "application/octet-stream"})
    assert status == 400 and words in answer["error"] and "\n" not in answer["error"]
    if data and not data.startswith(b"\x1f"):
        probe = Path(server.snek.config.replays) / "probe.jsonl"
        probe.write_bytes(data)
        try:
            with pytest.raises(ReplayError) as caught:
                read_replay(probe)
            assert str(caught.value).split(": ", 1)[1] in answer["error"]  # the reader's own message
        finally:
            probe.unlink()


def test_uploads_over_20_mb_get_413(server):
    big = b"x" * (20 * 1024 * 1024 + 1)
    status, answer, _ = http("POST", server.url + "/api/replays", raw=big,
                             headers={"Content-Type": "application/octet-stream"})
    assert status == 413 and "20 MB" in answer["error"]


def test_tournament_api(server, tournament_dir):
    status, body, _ = http("GET", server.url + "/api/tournaments")
    assert status == 200 and body == {"tournaments": [{"name": "ladder", "games": 5,
                                                       "bots": ["random", "safe", "greedy"]}]}
    status, detail, _ = http("GET", server.url + "/api/tournaments/ladder")
    assert status == 200 and set(detail) == {"name", "leaderboard", "history", "head_to_head", "games"}
    assert {row["bot"] for row in detail["leaderboard"]} == {"random", "safe", "greedy"}
    assert set(detail["leaderboard"][0]) == {"bot", "rating", "mu", "sigma", "games", "wins", "avg_place"}
    assert sum(row["games"] for row in detail["leaderboard"]) == 5 * 2
    assert [h["game"] for h in detail["history"]] == list(range(5))
    assert set(detail["history"][-1]["ratings"]) == {"random", "safe", "greedy"}
    results = [json.loads(line) for line in (tournament_dir / "results.jsonl").read_text().splitlines()]
    assert len(detail["head_to_head"]) == 6  # every ordered pair of the three bots (each met the others)
    for pair in detail["head_to_head"]:
        met = [r for r in results if pair["a"] in r["names"] and pair["b"] in r["names"]]
        assert pair["games"] == len(met) and 0 <= pair["a_ahead"] <= pair["games"]
    assert len(detail["games"]) == 5
    for game in detail["games"]:
        assert set(game) == {"index", "replay_id", "players", "winner", "turns"}
        status, text, _ = http("GET", f"{server.url}/api/replays/{game['replay_id']}")
        assert status == 200 and json.loads(text.splitlines()[-1])["turns"] == game["turns"]
    board = Leaderboard(["random", "safe", "greedy"])
    assert len(board.names) == len(detail["leaderboard"])
    listed = {r["id"] for r in http("GET", server.url + "/api/replays")[1]["replays"]}
    assert all(g["replay_id"] in listed for g in detail["games"])


def test_pages_are_served(server):
    static = Path(__file__).parent.parent / "viewer" / "static"
    for path, page in (("/", "index.html"), ("/watch/abc", "watch.html"), ("/tournaments/ladder", "tournament.html")):
        status, text, headers = http("GET", server.url + path)
        if (static / page).exists():
            assert status == 200 and text == (static / page).read_text()
        else:
            assert status == 404  # the viewer's page is not there yet
        assert "script-src 'self'" in headers["Content-Security-Policy"]


CLI_GAME_LINE = b'{"id": "g", "ruleset": {"name": "standard"}}\n'  # a first line as Battlesnake's CLI writes it
BOMBS = [(b"", b" " * (1 << 20) + b"\n", "more than 200 MB unpacked"), (b"", b"\n", "more than 100002 lines"),
         # a file that starts like a Battlesnake CLI game goes to the importer, which keeps the same caps
         (CLI_GAME_LINE, b" " * (1 << 20) + b"\n", "more than 200 MB unpacked"),
         (CLI_GAME_LINE, b"\n", "more than 100002 lines")]


@pytest.mark.parametrize("first, line, words", BOMBS)
def test_upload_of_a_gzip_bomb_is_refused(server, first, line, words):
    """210 MB unpacked: refused by the unpacked-size cap, or (blank lines) by the line cap long before."""
    bomb = io.BytesIO()
    with gzip.GzipFile(fileobj=bomb, mode="wb", compresslevel=1) as handle:
        handle.write(first)
        chunk = line * max(1, (1 << 20) // len(line))
        for _ in range(210):
            handle.write(chunk)
    status, answer, _ = http("POST", server.url + "/api/replays", raw=bomb.getvalue(),
                             headers={"Content-Type": "application/octet-stream"})
    assert status == 400 and words in answer["error"]
    assert not list((Path(server.snek.config.replays) / ".incoming").iterdir())  # nothing kept


def test_replays_are_read_once_per_file_version(tmp_path):
    """A big replay takes seconds to read and validate: it is read once per file version into the index,
    and served from disk as it stands; a rewritten file (a new version) is read anew."""
    from snek_viewer.library import ReplayLibrary

    shipped = Path(__file__).resolve().parent.parent / "replays"
    path = tmp_path / "game.jsonl"
    path.write_text(gzip.decompress((shipped / "standard-4-bots.jsonl.gz").read_bytes()).decode())
    library = ReplayLibrary(tmp_path)
    first = library.entry("game")
    assert first.summary["width"] == 11 and first.finished
    assert list(library.lines("game")) == [line for line in path.read_text().splitlines() if line.strip()]

    stat = path.stat()  # same size and mtime, garbage inside: only the index can still answer
    path.write_bytes(b"x" * stat.st_size)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert library.entry("game") is first and [r["id"] for r in library.list()] == ["game"]

    path.write_text(gzip.decompress((shipped / "wrapped-7x7.jsonl.gz").read_bytes()).decode())
    assert library.entry("game") is not first and library.entry("game").summary["width"] == 7
    assert library.header("game")["width"] == 7
