"""Our frames as Battlesnake's board client reads them: ``board/api.go``'s types, field by field.

The Go types are written out below as (JSON name, Python type) tables; every event is checked
against them exactly (no field missing, none extra, every type right), and then read back the way
the board's own ``engineEventToFrame`` (``src/lib/playback/types.ts``) reads it.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from serverkit import LiveServer
from waiting import wait_until
from wsclient import Client

from arena.bs_import import import_cli_game
from arena.match import MatchConfig, run_match
from arena.players import PythonPlayer
from arena.replay import read_replay
from snek_viewer import ServerConfig, bs_board

REPLAYS = Path(__file__).parent.parent / "replays"
HAND_MADE = Path(__file__).parent / "data" / "battlesnake-cli-standard-7x7.jsonl"

# board/api.go
GAME = {"ID": str, "Status": str, "Width": int, "Height": int, "Ruleset": dict, "SnakeTimeout": int,
        "Source": str, "RulesetName": str, "RulesStages": list, "Map": str}
GAME_FRAME = {"Turn": int, "Snakes": list, "Food": list, "Hazards": list}
SNAKE = {"ID": str, "Name": str, "Body": list, "Health": int, "Death": (dict, type(None)), "Color": str,
         "HeadType": str, "TailType": str, "Latency": str, "Shout": str, "Squad": str, "Author": str,
         "StatusCode": int, "Error": str, "IsBot": bool, "IsEnvironment": bool}
DEATH = {"Cause": str, "Turn": int, "EliminatedBy": str}
POINT = {"X": int, "Y": int}  # rules.Point
PALETTE_JS = Path(__file__).parent.parent / "viewer" / "static" / "js" / "palette.js"
PAGE_HUES = re.findall(r'"(#[0-9a-f]{6})"', re.search(r"const HUES = \[([^\]]*)\]", PALETTE_JS.read_text()).group(1))


def check(obj: dict, fields: dict, where: str) -> None:
    assert set(obj) == set(fields), f"{where}: {sorted(set(obj) ^ set(fields))}"
    for name, kind in fields.items():
        value = obj[name]
        assert isinstance(value, kind) and not (kind is int and isinstance(value, bool)), (where, name, value)


def check_game(g: dict) -> None:
    check(g, GAME, "Game")
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in g["Ruleset"].items())  # map[string]string
    assert all(isinstance(stage, str) for stage in g["RulesStages"])


def check_frame_event(event: dict) -> None:
    check(event, {"Type": str, "Data": dict}, "GameEvent")
    assert event["Type"] == "frame"
    data = event["Data"]
    check(data, GAME_FRAME, "GameFrame")
    for p in data["Food"] + data["Hazards"]:
        check(p, POINT, "Point")
    for s in data["Snakes"]:
        check(s, SNAKE, "Snake")
        for p in s["Body"]:
            check(p, POINT, "Point")
        if s["Death"] is not None:
            check(s["Death"], DEATH, "Death")


def board_reads(info: dict, event: dict) -> dict:
    """What the board's engineEventToFrame takes from an event (its field names, in Python)."""
    d = event["Data"]
    return {
        "turn": d["Turn"], "width": info["Game"]["Width"], "height": info["Game"]["Height"],
        "food": [[p["X"], p["Y"]] for p in d["Food"]], "hazards": [[p["X"], p["Y"]] for p in d["Hazards"]],
        "snakes": [{"id": s["ID"], "name": s["Name"], "color": s["Color"], "health": s["Health"],
                    "latency": s["Latency"], "body": [[p["X"], p["Y"]] for p in s["Body"]],
                    "elimination": None if s["Death"] is None else {
                        "turn": s["Death"]["Turn"], "cause": s["Death"]["Cause"], "by": s["Death"]["EliminatedBy"]}}
                   for s in d["Snakes"]],
    }


def roundtrip(header: dict, frames: list[dict], finished: bool) -> int:
    info = bs_board.game_info(header, bs_board.COMPLETE if finished else bs_board.RUNNING)
    check(info, {"Game": dict}, "game info")
    check_game(info["Game"])
    texts = list(bs_board.events(header, frames, finished))
    assert len(texts) == len(frames) + finished
    names = {p["id"]: p for p in header["players"]}
    seats = {p["id"]: seat for seat, p in enumerate(header["players"])}
    for text, frame in zip(texts, frames):
        event = json.loads(text)
        check_frame_event(event)
        seen = board_reads(info, event)
        assert (seen["turn"], seen["width"], seen["height"]) == (frame["turn"], header["width"], header["height"])
        assert seen["food"] == frame["food"] and seen["hazards"] == frame["hazards"]
        for got, want in zip(seen["snakes"], frame["snakes"], strict=True):
            assert (got["id"], got["body"], got["health"]) == (want["id"], want["body"], want["health"])
            assert (got["name"], got["color"]) == (names[want["id"]]["name"], PAGE_HUES[seats[want["id"]] % 8])
            death = want["death"]
            assert got["elimination"] == (None if death is None else
                                          {"turn": death["turn"], "cause": death["cause"], "by": death["by"] or ""})
            assert got["latency"] == str(max(1, int(want.get("latency_ms") or 0)))  # never "0", as the CLI
    if finished:
        end = json.loads(texts[-1])
        check(end, {"Type": str, "Data": dict}, "GameEvent")
        assert end["Type"] == "game_end"
        check(end["Data"], {"game": dict}, "GameEnd")
        check_game(end["Data"]["game"])
        assert end["Data"]["game"]["Status"] == "complete"
    return len(texts)


def test_shipped_replays_convert_field_by_field() -> None:
    replays = sorted(REPLAYS.glob("*.jsonl.gz"))
    assert len(replays) >= 3
    deaths = 0
    for path in replays:
        replay = read_replay(path, require_result=True)
        assert roundtrip(replay.header, replay.frames, finished=True) == len(replay.frames) + 1
        deaths += sum(s["death"] is not None for s in replay.frames[-1]["snakes"])
    assert deaths >= 3  # Death objects were really checked


def test_game_fields() -> None:
    header = read_replay(REPLAYS / "royale-2-bots.jsonl.gz").header
    g = bs_board.game(header)
    assert (g["ID"], g["Status"], g["RulesetName"], g["Map"], g["Source"]) == (
        header["game_id"], "running", "royale", "royale", "snek-arena")
    assert g["Ruleset"]["name"] == "royale"
    assert g["Ruleset"]["shrinkEveryNTurns"] == str(header["settings"]["shrinkEveryNTurns"])
    assert g["SnakeTimeout"] == header["timeout_ms"]


def test_imported_battlesnake_game_keeps_its_origin() -> None:
    replay = import_cli_game(HAND_MADE).replay
    assert roundtrip(replay.header, replay.frames, finished=True) == 6
    g = bs_board.game(replay.header, bs_board.COMPLETE)
    assert g["ID"] == "0f4e6c1a-7d2b-4b8e-9a3c-5e1f2d4b6a80" and g["Map"] == "standard"
    last = json.loads(list(bs_board.events(replay.header, replay.frames, False))[-1])["Data"]
    assert last["Snakes"][1]["Death"] == {"Cause": "head-collision", "Turn": 4, "EliminatedBy": "s0"}
    assert [(s["HeadType"], s["TailType"]) for s in last["Snakes"]] == [("default", "default")] * 2
    replay.header["players"][0].update(head="beluga", tail="fish")  # customisations carried by the header
    first = bs_board.frame_event(replay.frames[0], bs_board.players_of(replay.header))["Data"]["Snakes"][0]
    assert (first["HeadType"], first["TailType"]) == ("beluga", "fish")


def test_errors_shouts_and_latency() -> None:
    """A live match with a bot that shouts, one that crashes: the board's Snake fields carry them."""
    def shouty(state: dict) -> dict:
        return {"move": "up" if state["turn"] % 2 else "right", "shout": f"turn {state['turn']}"}

    def broken(state: dict) -> str:
        raise RuntimeError("boom")

    outcome = run_match([PythonPlayer(shouty, name="shouty"), PythonPlayer(broken, name="broken")],
                        MatchConfig(seed=1, max_turns=6), keep_frames=True)
    frames = outcome.frames
    assert roundtrip(outcome.header, frames, finished=True) == len(frames) + 1
    event = bs_board.frame_event(frames[2], bs_board.players_of(outcome.header))["Data"]["Snakes"]
    assert event[0]["Shout"] == "turn 1" and event[0]["StatusCode"] == 200 and event[0]["Error"] == ""
    assert event[1]["Error"].startswith("crash") and event[1]["StatusCode"] == 0
    assert event[0]["Latency"].isdigit()


def test_status_codes() -> None:
    cases = {None: 200, "": 200, "http 500": 500, "http 404 not found": 404, "timeout": 0, "http ": 0,
             "crash: RuntimeError: boom": 0}
    for error, code in cases.items():
        assert bs_board._status_code(error) == code, error
    assert len(cases) == 7


# --- the routes, on a real server with a real websocket client ------------------------------------------

@pytest.fixture
def live(tmp_path: Path):
    replays = tmp_path / "replays"
    replays.mkdir()
    shutil.copy(REPLAYS / "standard-4-bots.jsonl.gz", replays)
    with LiveServer(ServerConfig(replays=replays, demo_room=False), start_rooms=False) as server:
        yield server


def get(url: str, method: str = "GET", headers: dict | None = None) -> tuple[int, dict, dict]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, body, headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        status, body, headers = exc.code, exc.read(), exc.headers
    return status, (json.loads(body) if body else {}), dict(headers)


def board_events(url: str, timeout: float = 60.0) -> list[dict]:
    """Everything the board would read from ``/games/<id>/events`` until the server closes it."""
    return Client(url).until_closed(timeout)


def test_board_reads_a_stored_replay(live: LiveServer) -> None:
    replay = read_replay(REPLAYS / "standard-4-bots.jsonl.gz")
    status, body, headers = get(f"{live.url}/games/standard-4-bots")
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    check(body, {"Game": dict}, "game info")
    check_game(body["Game"])
    assert body["Game"]["Status"] == "complete" and body["Game"]["ID"] == "standard-4-bots"  # the id asked for
    events = board_events(f"{live.ws_url}/games/standard-4-bots/events")
    assert len(events) == len(replay.frames) + 1
    for event, frame in zip(events, replay.frames):
        check_frame_event(event)
        assert event["Data"]["Turn"] == frame["turn"]
    assert events[-1]["Type"] == "game_end" and events[-1]["Data"]["game"]["Status"] == "complete"


def test_board_follows_a_live_room_to_its_end(live: LiveServer) -> None:
    body = {"ruleset": "standard", "tick_ms": 40, "max_turns": 25, "seats": ["greedy", "space"]}
    request = urllib.request.Request(f"{live.url}/api/rooms", method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        room = json.loads(response.read())
    status, body, headers = get(f"{live.url}/games/{room['id']}")
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    check_game(body["Game"])
    assert (body["Game"]["Status"], body["Game"]["ID"], body["Game"]["Width"]) == ("running", room["id"], 11)
    events = board_events(f"{live.ws_url}/games/{room['id']}/events")
    frames = [e for e in events if e["Type"] == "frame"]
    for event in frames:
        check_frame_event(event)
    turns = [e["Data"]["Turn"] for e in frames]
    assert turns == list(range(len(turns))) and 2 <= len(turns) <= 26  # backlog then live, none twice
    assert {s["Name"] for s in frames[0]["Data"]["Snakes"]} == {"greedy", "space"}
    assert events[-1]["Type"] == "game_end" and events[-1]["Data"]["game"]["ID"] == room["id"]
    # what the official engine sends (issue 18, section 3 item 3): the room's SnakeTimeout is the one its saved
    # replay gives, the hazard setting has the board API's name, latency is never "0", an author is named
    saved = live.snek.config.replays / f"{room['id']}.jsonl.gz"
    assert wait_until(saved.exists)
    assert body["Game"]["SnakeTimeout"] == read_replay(saved).header["timeout_ms"] == 30
    assert body["Game"]["Ruleset"]["damagePerTurn"] == "14" and "hazardDamagePerTurn" not in body["Game"]["Ruleset"]
    snakes = [s for e in frames for s in e["Data"]["Snakes"]]
    assert all(s["Latency"] != "0" and int(s["Latency"]) >= 1 for s in snakes)
    assert {s["Author"] for s in snakes} == {"a Python bot"}  # the board prints "greedy by a Python bot"


def test_unknown_games_and_preflight(live: LiveServer) -> None:
    status, body, headers = get(f"{live.url}/games/nope")
    assert status == 404 and "nope" in body["error"] and headers["Access-Control-Allow-Origin"] == "*"
    status, _, headers = get(f"{live.url}/games/standard-4-bots", method="OPTIONS",
                             headers={"Origin": "https://board.battlesnake.com", "Access-Control-Request-Method": "GET",
                                      "Access-Control-Request-Private-Network": "true"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*" and "GET" in headers[
        "Access-Control-Allow-Methods"]
    assert headers["Access-Control-Allow-Private-Network"] == "true"  # Chrome's Private Network Access preflight
    assert board_events(f"{live.ws_url}/games/nope/events") == []  # closed at once, nothing sent


def test_a_human_who_joins_while_the_board_watches_shows_under_their_name(live: LiveServer) -> None:
    body = {"ruleset": "classic", "settings": {"endless": True}, "tick_ms": 50, "seats": ["greedy", None]}
    request = urllib.request.Request(f"{live.url}/api/rooms", method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        room = json.loads(response.read())
    board = Client(f"{live.ws_url}/games/{room['id']}/events")
    human = Client(f"{live.ws_url}/ws/rooms/{room['id']}")
    first = board.recv()  # the board is connected before anyone joins
    assert {s["Name"] for s in first["Data"]["Snakes"]} == {"greedy"}
    human.send({"type": "join", "name": "ann ünïcode"})
    names_seen: list[set[str]] = []

    def shows_ann(event: dict) -> bool:
        check_frame_event(event)
        names_seen.append({s["Name"] for s in event["Data"]["Snakes"]})
        return "ann ünïcode" in names_seen[-1]

    board.until(shows_ann)
    assert names_seen[-1] == {"greedy", "ann ünïcode"}
    assert all("open" not in names for names in names_seen)  # never the seat's placeholder name


def test_stored_games_rename_a_seat_from_its_spawn_event() -> None:
    header = {"type": "header", "game_id": "g", "ruleset": "classic", "settings": {}, "width": 7, "height": 7,
              "players": [{"id": "s0", "name": "greedy", "color": "#111111"}, {"id": "s1", "name": "open"}]}
    snake = {"id": "s0", "body": [[1, 1]], "health": 100, "alive": True, "death": None}
    frames = [{"type": "frame", "turn": 0, "food": [], "hazards": [], "snakes": [snake]},
              {"type": "frame", "turn": 1, "food": [], "hazards": [], "events": [{"kind": "spawn", "id": "s1",
                                                                                 "name": "bob"}],
               "snakes": [snake, {**snake, "id": "s1", "body": [[5, 5]]}]}]
    texts = [json.loads(t) for t in bs_board.events(header, frames, finished=False)]
    assert len(texts) == 2
    assert [s["Name"] for s in texts[1]["Data"]["Snakes"]] == ["greedy", "bob"]
    assert header["players"][1]["name"] == "open"  # the caller's header is not changed


# --- frames the board can index: long rooms and replay parts (issue 18, section 3 items 1, 2, 5) ------------

def board_shows(events: list[dict], requested: int = 0) -> bool:
    """The board's own loading (playback/engine.ts, stores.ts): frames kept sorted by Turn, once each; it
    shows nothing until the frame whose Turn is its requested turn arrives, then shows ``frames[turn]``
    and scrubs by Turn as an index.  True when that works for every frame it got."""
    frames = sorted({e["Data"]["Turn"]: e for e in events if e["Type"] == "frame"}.items())
    return any(turn == requested for turn, _ in frames) and all(turn == i for i, (turn, _) in enumerate(frames))


def test_the_page_and_the_board_colour_a_snake_alike() -> None:
    """The board coloured snakes from the header, the page from its palette: two colours for one snake."""
    assert list(bs_board.SEAT_COLORS) == PAGE_HUES and len(PAGE_HUES) == 8
    header = {"game_id": "g", "ruleset": "standard", "width": 11, "height": 11, "settings": {},
              "players": [{"id": f"s{i}", "name": f"n{i}", "color": "#123456"} for i in range(16)]}
    frame = {"turn": 0, "food": [], "hazards": [], "snakes": [
        {"id": f"s{i}", "body": [[i % 11, i // 11]], "health": 100, "alive": True, "death": None} for i in range(16)]}
    colours = [s["Color"] for s in json.loads(next(bs_board.events(header, [frame], False)))["Data"]["Snakes"]]
    assert colours == PAGE_HUES * 2  # seats 9-16: the page's hues (striped there), by seat


def test_a_room_past_its_backlog_and_its_saved_parts_open_on_the_board(tmp_path: Path) -> None:
    """A room past 5,000 turns sent the board a backlog starting mid-game, and the board waited forever for
    turn 0; parts of an endless room after the first never opened, and a closed room's id served its last
    part only.  Here the backlog is 30 frames and a part 20 turns, so the same happens within seconds."""
    library = tmp_path / "lib"
    config = ServerConfig(replays=library, demo_room=False, segment_turns=20, backlog_frames=30)
    with LiveServer(config) as server:
        request = urllib.request.Request(f"{server.url}/api/rooms", method="POST", headers={
            "Content-Type": "application/json"}, data=json.dumps({
                "ruleset": "classic", "settings": {"endless": True}, "tick_ms": 20, "seed": 3,
                "seats": ["greedy", "random"]}).encode())
        with urllib.request.urlopen(request, timeout=30) as response:
            room = json.loads(response.read())["id"]
        assert wait_until(lambda: get(f"{server.url}/api/rooms/{room}")[1]["turn"] >= 65, timeout=120)
        ws = Client(f"{server.ws_url}/games/{room}/events")
        try:
            live = [ws.recv() for _ in range(35)]
        finally:
            ws.close()
        assert board_shows(live) and live[0]["Data"]["Turn"] == 0 and len(live) == 35
        assert all(s["Death"] is None or s["Death"]["Turn"] >= 0 for e in live for s in e["Data"]["Snakes"])
        server.snek.rooms.close(room)
        parts = sorted(library.glob(f"{room}-*.jsonl.gz"))
        assert len(parts) >= 3
        last = read_replay(library / f"{room}.jsonl.gz", require_result=True)
        whole = board_events(f"{server.ws_url}/games/{room}/events")  # the closed room's id: every part
        assert board_shows(whole) and whole[-1]["Type"] == "game_end"
        assert [e["Data"]["Turn"] for e in whole[:-1]] == list(range(last.frames[-1]["turn"] + 1))
        second = read_replay(parts[1])
        events = board_events(f"{server.ws_url}/games/{room}-0001/events")  # a part: its real turns, from 0
        assert board_shows(events) and events[-2]["Data"]["Turn"] == second.frames[-1]["turn"] == 40
        assert board_shows(events, requested=25)  # `&turn=25` shows turn 25 of the game
        parts[0].unlink()  # without its earlier part, a part is numbered from its first frame
        alone = board_events(f"{server.ws_url}/games/{room}-0001/events")
        assert board_shows(alone) and len(alone) == len(second.frames) + 1 and alone[-2]["Data"]["Turn"] == 20
        status, body, _ = get(f"{server.url}/games/{room}-0001")
        assert status == 200 and body["Game"]["ID"] == f"{room}-0001" and body["Game"]["Status"] == "complete"
