"""Battlesnake's maps selectable everywhere a ruleset is (issue 18 §1): `snek play/tournament/compare --map`,
`snek rules`, every env's ``map=``, ``POST /api/rooms`` ``"map"`` and the bots' ``game.map``.

Real parts: the CLI in subprocesses, a real server on 127.0.0.1, real env objects stepping real games.
``--map NAME`` alone plays the map's usual board, ruleset and snake count; whatever the map does not
support is refused with the map's one line (exit 2 on the CLI, 400 from the server, ValueError in an env).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from policies import masked_random, masked_random_agents
from serve import SnekServer
from serverkit import LiveServer, http
from snek_cli import snek, snek_ok
from waiting import wait_until
from wsclient import Client

from arena.engine import Engine
from arena.env import SnakeEnv, SnakeParallelEnv, SnakeVectorEnv, snake_v0, vector_env
from arena.game_choice import usual_ruleset, usual_snakes
from arena.maps import MAPS
from arena.replay import read_replay
from arena.verify import verify
from snek_viewer import ServerConfig

IMPLEMENTED = [m for m in MAPS.values() if m.implemented]
# a map whose board or snake count is narrower than the engine's: what refusals are tested on
NARROW_SIZE = next((m for m in IMPLEMENTED if len(m.sizes) == 1), None)
NARROW_SNAKES = next((m for m in IMPLEMENTED if m.max_snakes < 16), None)
ISSUE_EXAMPLES = {"arcade_maze": (19, 21, 4), "hz_castle_wall_xl": (25, 25, 4), "hz_rivers_bridges_xl": (25, 25, 4),
                  "solo_maze": (11, 11, 1)}  # the issue's words: --map alone plays on these boards, these snakes


def needs(name: str):
    return pytest.mark.skipif(not MAPS[name].implemented, reason=f"map {name} is not implemented yet")


def header(path: Path) -> dict:
    return read_replay(path).header


def one_error_line(out) -> str:
    """A refusal: exit 2, one line on stderr, no traceback; returns the line."""
    assert out.returncode == 2, (out.returncode, out.stdout[-500:], out.stderr[-500:])
    assert "Traceback" not in out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]


# ---------------------------------------------------------------- the CLI


def test_play_on_a_map_records_it_and_verifies(tmp_path):
    out = tmp_path / "royale.jsonl"
    snek_ok("play", "safe", "greedy", "--map", "royale", "--set", "shrinkEveryNTurns=5", "--quiet", "--out", str(out))
    h = header(out)
    assert (h["map"], h["ruleset"], h["width"], h["height"]) == ("royale", "standard", 11, 11)
    frames = read_replay(out).frames
    assert any(f["hazards"] for f in frames), "the royale map turns the edges to hazard"
    verdict = snek_ok("replay", "verify", str(out))
    assert verdict.stdout.startswith("OK")


def test_play_without_a_map_writes_no_map(tmp_path):
    out = tmp_path / "plain.jsonl"
    snek_ok("play", "safe", "greedy", "--size", "7", "--quiet", "--out", str(out))
    assert "map" not in header(out)


@pytest.mark.parametrize("name", [pytest.param(n, marks=needs(n)) for n in ISSUE_EXAMPLES])
def test_map_alone_plays_its_usual_board_ruleset_and_snakes(tmp_path, name):
    width, height, snakes = ISSUE_EXAMPLES[name]
    game_map = MAPS[name]
    assert (game_map.default_size, game_map.default_snakes) == ((width, height), snakes)
    out = tmp_path / f"{name}.jsonl"
    snek_ok("play", *["safe"] * snakes, "--map", name, "--max-turns", "30", "--quiet", "--out", str(out))
    h = header(out)
    assert (h["map"], h["width"], h["height"], len(h["players"])) == (name, width, height, snakes)
    assert h["ruleset"] == game_map.rulesets[0]
    assert snek_ok("replay", "verify", str(out)).stdout.startswith("OK")


def test_every_implemented_map_resolves_to_its_usual_game():
    """What `--map NAME` alone resolves to, for every map the engine plays (the CLI, envs and rooms share it)."""
    checked = 0
    for m in IMPLEMENTED:
        env = SnakeParallelEnv(map=m.name)
        g = env.games.geometry
        assert (g.width, g.height) == m.default_size
        assert env.games.engine.ruleset.name == usual_ruleset(None, m.name) == m.rulesets[0]
        assert env.num_snakes == usual_snakes(None, m.name, 4) == m.default_snakes
        env.reset(seed=1)
        checked += 1
    assert checked == len(IMPLEMENTED) >= 3


REFUSALS = [
    (["play", "safe", "safe", "--map", "nope"], "unknown map 'nope' (choose from standard, empty, royale"),
    (["play", "safe", "safe", "--map", "royale", "--size", "8"],
     "map royale is played on odd square boards 7x7 to 25x25 with 1 to 16 snakes, not on 8x8"),
    (["play", "safe", "safe", "--map", "royale", "--ruleset", "classic"], "map royale goes with rulesets"),
    (["tournament", "safe", "greedy", "--map", "empty", "--width", "9", "--height", "11", "--games", "1"],
     "map empty is played on odd square boards 7x7 to 25x25"),
    (["tournament", "safe", "greedy", "--map", "nope", "--games", "1"], "unknown map 'nope'"),
    (["compare", "safe", "greedy", "--map", "royale", "--size", "6"], "map royale is played on"),
    (["compare", "safe", "greedy", "--map", "nope"], "unknown map 'nope'"),
    (["serve", "--port", "0", "--seconds", "1", "--room", "royale@hz_rings:safe,safe"],
     "map hz_rings goes with rulesets standard, wrapped"),
    (["serve", "--port", "0", "--seconds", "1", "--room", "standard@nope:safe,safe"], "unknown map 'nope'"),
    (["serve", "--port", "0", "--seconds", "1", "--room", "standard@:safe,safe"], "--room expects RULESET[@MAP]:"),
]


@pytest.mark.parametrize("args,message", REFUSALS, ids=[" ".join(a[:1] + a[-2:]) for a, _ in REFUSALS])
def test_cli_refuses_what_the_map_does_not_support(tmp_path, args, message):
    line = one_error_line(snek(*args, cwd=tmp_path))
    assert message in line, line
    assert not any(tmp_path.iterdir()), "a refused command leaves nothing behind"


@pytest.mark.skipif(NARROW_SIZE is None, reason="no implemented map has a single board size yet")
def test_cli_refuses_a_board_the_map_is_not_played_on(tmp_path):
    m = NARROW_SIZE
    line = one_error_line(snek("play", *["safe"] * m.default_snakes, "--map", m.name, "--size", "13", cwd=tmp_path))
    assert line == f"error: map {m.name} is played on {m.supports()}, not on 13x13"


@pytest.mark.skipif(NARROW_SNAKES is None, reason="no implemented map takes fewer than 16 snakes yet")
def test_cli_refuses_a_snake_count_the_map_does_not_take(tmp_path):
    m = NARROW_SNAKES
    too_many = m.max_snakes + 1
    line = one_error_line(snek("play", *["safe"] * too_many, "--map", m.name, cwd=tmp_path))
    assert line == f"error: map {m.name} is played on {m.supports()}, not with {too_many}"
    line = one_error_line(snek("tournament", *[f"b{i}=safe" for i in range(too_many)], "--players", str(too_many),
                               "--map", m.name, "--games", "1", cwd=tmp_path))
    assert f"map {m.name} is played on {m.supports()}, not with {too_many}" in line


def test_tournament_on_a_map_records_it_in_its_key_and_replays(tmp_path):
    out = tmp_path / "t"
    args = ["tournament", "safe", "greedy", "--map", "empty", "--size", "7", "--games", "2", "--workers", "1",
            "--max-turns", "40", "--out-dir", str(out)]
    snek_ok(*args, "--quiet")
    identity = json.loads((out / "tournament.json").read_text())
    assert identity["rules"]["map"] == "empty" and identity["rules"]["ruleset"] == "standard"
    assert json.loads((out / "results.json").read_text())["tournament"]["rules"]["map"] == "empty"
    replays = sorted(out.glob("game-*.jsonl.gz"))
    assert len(replays) == 2
    for path in replays:
        h = header(path)
        assert (h["map"], h["width"], h["height"]) == ("empty", 7, 7)
        assert verify(read_replay(path)).ok
        assert not any(f["food"] for f in read_replay(path).frames), "the empty map never has food"
    assert "on map empty" in (out / "report.html").read_text()
    # the map is part of what makes it the same tournament: another map is another tournament
    other = [a if a != "empty" else "royale" for a in args]
    line = one_error_line(snek(*other, "--games", "3", "--resume"))
    assert "holds a different tournament" in line
    snek_ok(*args[:args.index("--games")], "--games", "3", *args[args.index("--games") + 2:], "--resume", "--quiet")
    assert len(list(out.glob("game-*.jsonl.gz"))) == 3


def test_a_tournament_without_a_map_keeps_its_old_identity(tmp_path):
    """Folders written before maps existed have no "map" in their key: they still resume."""
    out = tmp_path / "t"
    args = ["tournament", "safe", "greedy", "--size", "7", "--games", "1", "--workers", "1", "--max-turns", "20",
            "--out-dir", str(out), "--quiet"]
    snek_ok(*args)
    identity = json.loads((out / "tournament.json").read_text())
    assert "map" not in identity["rules"]
    snek_ok(*args, "--resume")


def test_compare_on_a_map_plays_every_game_on_it(tmp_path):
    out = tmp_path / "c"
    result = snek_ok("compare", "safe", "greedy", "--map", "empty", "--size", "7", "--max-games", "2", "--workers",
                     "1", "--max-turns", "40", "--out-dir", str(out), "--json")
    assert json.loads(result.stdout)["games"] == 2
    replays = sorted(out.rglob("*.jsonl.gz"))
    assert len(replays) == 2
    assert all(header(p)["map"] == "empty" for p in replays)


def test_rules_lists_every_map_with_its_boards_and_a_description():
    out = snek_ok("rules", env={**os.environ, "COLUMNS": "250"})  # wide enough that no cell wraps
    rows = {line.split("│")[1].strip(): line for line in out.stdout.splitlines()
            if line.count("│") > 2 and line.split("│")[1].strip() in MAPS}
    assert len(rows) == len(MAPS) == 25
    assert f"maps (--map NAME; {len(MAPS)} maps)" in out.stdout
    for name, m in MAPS.items():
        assert m.sizes_text in rows[name] and m.snakes_text in rows[name] and m.description in rows[name], rows[name]
    assert "19x21" in rows["arcade_maze"] and "25x25" in rows["hz_castle_wall_xl"]
    assert "1 snake " in rows["solo_maze"] and "solo" in rows["solo_maze"]


# ---------------------------------------------------------------- the envs


def play_parallel(env, steps: int = 20) -> None:
    rng = np.random.default_rng(0)
    observations, infos = env.reset(seed=3)
    for _ in range(steps):
        if not env.agents:
            return
        masks = {a: infos[a]["action_mask"] for a in env.agents}
        observations, _, _, _, infos = env.step(masked_random_agents(rng, masks))


def test_every_env_constructor_takes_a_map(tmp_path):
    built = {
        "parallel": SnakeParallelEnv(map="royale", width=9, height=9, record_dir=str(tmp_path / "parallel")),
        "pettingzoo parallel_env": snake_v0.parallel_env(map="royale", width=9, height=9),
        "pettingzoo aec": snake_v0.env(map="royale", width=9, height=9),
        "gymnasium single": gym.make("snek/Snake-v0", map="royale", width=9, height=9, opponents=["safe"],
                                     record_dir=str(tmp_path / "single")),
        "vector": SnakeVectorEnv(num_games=4, map="royale", width=9, height=9, record_dir=str(tmp_path / "vector")),
        "vector_env": vector_env(num_games=2, map="royale", width=9, height=9),
    }
    assert len(built) == 6
    for name, env in built.items():
        base = env.unwrapped  # gymnasium's and PettingZoo's wrappers; the AEC conversion holds the parallel env
        games = base.games if hasattr(base, "games") else base.env.games
        assert games.engine.map.name == "royale", name
        assert (games.geometry.width, games.geometry.height) == (9, 9), name
    play_parallel(built["parallel"], 40)
    built["parallel"].recorder.close()
    aec = built["pettingzoo aec"]
    aec.reset(seed=1)
    for _ in range(8):
        aec.step(None if aec.terminations[aec.agent_selection] or aec.truncations[aec.agent_selection] else 0)
    single = built["gymnasium single"]
    _, info = single.reset(seed=2)
    for _ in range(30):
        _, _, terminated, truncated, info = single.step(int(np.argmax(info["action_mask"])))
        if terminated or truncated:
            break
    single.close()
    vec = built["vector"]
    rng = np.random.default_rng(0)
    _, info = vec.reset(seed=4)
    for _ in range(30):
        _, _, _, _, info = vec.step(masked_random(rng, info["action_mask"]))
    vec.close()
    recordings = [p for kind in ("parallel", "single", "vector") for p in (tmp_path / kind).glob("*.jsonl")]
    assert {p.parent.name for p in recordings} == {"parallel", "single", "vector"}
    for path in recordings:
        replay = read_replay(path)
        assert replay.header["map"] == "royale"
        assert verify(replay).ok, path


def test_envs_play_the_maps_usual_game_when_given_only_a_map():
    env = SnakeVectorEnv(num_games=2, map="empty")
    assert (env.games.geometry.width, env.num_snakes, env.games.engine.ruleset.name) == (11, 4, "standard")
    assert SnakeParallelEnv().games.geometry.width == 11  # no map: 11x11 as before
    assert SnakeParallelEnv(ruleset="classic").games.geometry.width == 11


@pytest.mark.parametrize("kwargs,message", [
    ({"map": "royale", "width": 8, "height": 8}, "map royale is played on odd square boards 7x7 to 25x25"),
    ({"map": "nope"}, "unknown map 'nope'"),
    ({"map": "royale", "ruleset": "classic"}, "map royale goes with rulesets"),
    ({"map": "royale", "num_snakes": 17}, "not with 17"),
])
def test_envs_refuse_what_the_map_does_not_support(kwargs, message):
    for make in (SnakeParallelEnv, lambda **kw: SnakeVectorEnv(num_games=2, **kw)):
        with pytest.raises(ValueError, match=message.replace("(", r"\(")):
            make(**kwargs)


def test_the_single_agent_env_tells_its_opponents_the_map():
    seen = []

    def opponent(state: dict) -> str:
        seen.append(state["game"]["map"])
        return "up"

    env = SnakeEnv(opponents=[opponent], map="empty", width=7, height=7)
    env.reset(seed=0)
    env.step(0)
    assert seen and set(seen) == {"empty"}


# ---------------------------------------------------------------- the server


@pytest.fixture
def server(tmp_path):
    with LiveServer(ServerConfig(replays=tmp_path / "replays", demo_room=False)) as live:
        yield live


def test_rooms_take_a_map_and_play_on_it(server):
    # the map shrinks the board every turn, so its hazards show from turn 1 whenever the (randomly seeded)
    # game ends: two snakes that start apart on 11x11 cannot both be gone by then
    status, room, _ = http("POST", server.url + "/api/rooms", {"map": "royale", "seats": ["safe", "greedy"],
                                                               "tick_ms": 20, "settings": {"shrinkEveryNTurns": 1}})
    assert status == 201, room
    assert (room["map"], room["ruleset"], room["width"], room["height"]) == ("royale", "standard", 11, 11)
    status, listed, _ = http("GET", server.url + "/api/rooms")
    assert [r["map"] for r in listed["rooms"]] == ["royale"]
    status, board, _ = http("GET", server.url + f"/games/{room['id']}")
    assert board["Game"]["Map"] == "royale"
    live = server.snek.rooms.get(room["id"])
    wait_until(lambda: live.match is not None and live.match.frame["turn"] >= 2, timeout=60)
    assert live.match.header["map"] == "royale"
    assert live.match.frame["hazards"], "the royale map has shrunk the board from turn 1"


def test_a_room_on_a_map_alone_gets_its_usual_board(server):
    status, room, _ = http("POST", server.url + "/api/rooms", {"map": "empty", "seats": ["safe", "safe"]})
    assert status == 201, room
    assert (room["ruleset"], room["width"], room["height"]) == ("standard", 11, 11)


@pytest.mark.parametrize("body,message", [
    ({"map": "nope"}, "unknown map 'nope' (choose from standard, empty, royale"),
    ({"map": 7}, "map must be the name of a map (GET /api/maps lists them)"),
    ({"map": "royale", "width": 8, "height": 8, "seats": ["safe", "safe"]},
     "map royale is played on odd square boards 7x7 to 25x25 with 1 to 16 snakes, not on 8x8"),
    ({"map": "royale", "ruleset": "classic", "seats": ["safe", "safe"]}, "map royale goes with rulesets"),
])
def test_rooms_refuse_what_the_map_does_not_support(server, body, message):
    status, answer, _ = http("POST", server.url + "/api/rooms", body)
    assert status == 400
    assert message in answer["error"] and "\n" not in answer["error"], answer
    assert http("GET", server.url + "/api/rooms")[1]["rooms"] == []


@pytest.mark.skipif(NARROW_SNAKES is None, reason="no implemented map takes fewer than 16 snakes yet")
def test_rooms_refuse_more_seats_than_the_map_takes(server):
    m = NARROW_SNAKES
    status, answer, _ = http("POST", server.url + "/api/rooms", {"map": m.name, "seats": ["safe"] * (m.max_snakes + 1)})
    assert status == 400 and answer["error"] == f"map {m.name} is played on {m.supports()}, not with {m.max_snakes + 1}"


def test_serve_room_option_puts_a_room_on_a_map(tmp_path):
    """`snek serve --room RULESET@MAP:SEATS`, the short form of the JSON body's "map": the room is listed on
    the map, and its socket's header and frames are the map's game (hz_rings' hazards never change, so any
    frame shows the rings the engine lays for the header's seed).  `@MAP:SEATS` plays the map's usual ruleset."""
    with SnekServer(["--no-demo-room", "--replays", str(tmp_path), "--room", "wrapped@hz_rings:safe,greedy",
                     "--room", "@solo_maze:safe"]) as server:
        rooms = {r["map"]: r for r in server.get("/api/rooms")["rooms"]}
        assert {(r["map"], r["ruleset"], r["width"], r["height"]) for r in rooms.values()} == {
            ("hz_rings", "wrapped", 11, 11), ("solo_maze", "solo", 11, 11)}
        client = Client(f"{server.ws_url}/ws/rooms/{rooms['hz_rings']['id']}")
        header = client.until(lambda m: m["type"] == "header")[0]
        assert (header["map"], header["ruleset"], [p["name"] for p in header["players"]]) == (
            "hz_rings", "wrapped", ["safe", "greedy"])
        frame = client.until(lambda m: m["type"] == "frame")[0]
    engine = Engine(header["ruleset"], header["width"], header["height"], header["settings"], map=header["map"])
    rings = engine.frame(engine.new_batch([header["seed"]], 2), 0)["hazards"]
    assert rings and sorted(frame["hazards"]) == sorted(rings)


def test_the_maps_api_lists_every_map(server):
    status, answer, _ = http("GET", server.url + "/api/maps")
    assert status == 200
    maps = {m["name"]: m for m in answer["maps"]}
    assert len(maps) == len(MAPS) == 25
    assert (maps["arcade_maze"]["width"], maps["arcade_maze"]["height"]) == (19, 21)
    assert maps["solo_maze"]["snakes"] == 1 and maps["solo_maze"]["rulesets"] == ["solo"]
    assert sum(m["implemented"] for m in maps.values()) == len(IMPLEMENTED)


def test_the_library_lists_a_replays_map(tmp_path):
    library = tmp_path / "replays"
    library.mkdir()
    snek_ok("play", "safe", "greedy", "--map", "empty", "--size", "7", "--max-turns", "20", "--quiet",
            "--out", str(library / "on-a-map.jsonl"))
    snek_ok("play", "safe", "greedy", "--size", "7", "--max-turns", "20", "--quiet",
            "--out", str(library / "plain.jsonl"))
    with LiveServer(ServerConfig(replays=library, demo_room=False)) as live:
        rows = {r["id"]: r for r in http("GET", live.url + "/api/replays")[1]["replays"]}
        assert (rows["on-a-map"]["map"], rows["plain"]["map"]) == ("empty", None)
        assert http("GET", live.url + "/games/on-a-map")[1]["Game"]["Map"] == "empty"
        assert http("GET", live.url + "/games/plain")[1]["Game"]["Map"] == "standard"
