"""The browser viewer in real headless Chromium (Playwright) against a real ``snek serve`` on 127.0.0.1.

One browser and one server for the module; every test gets a fresh page and fails if the browser console
logged an error or the page threw. Screenshots of every page land in tests/artifacts/ (gitignored).
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import pytest
from prereq import need_module, need_program
from serve import SnekServer
from snek_cli import snek_ok

from arena.replay import read_replay

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
XSS = "<img src=x onerror=alert(1)>"
VECTORS = {"up": (0, 1), "down": (0, -1), "left": (-1, 0), "right": (1, 0)}
DEATH_WORDS = {"wall-collision": "hit the wall", "snake-collision": "ran into", "head-collision": "lost a head-on",
               "snake-self-collision": "ran into its own body"}  # as viewer/static/js/words.js says it
KEYS = {"up": "ArrowUp", "down": "ArrowDown", "left": "ArrowLeft", "right": "ArrowRight"}

# Missing Playwright or Chromium skips this module on a developer's machine and fails it under CI=true; an error
# inside either (or in the server) is an error, never a skip.
playwright_api = need_module("playwright.sync_api", "pip install -e '.[test]'")
need_program("chromium", CHROMIUM)


def xss_replay(path: Path) -> None:
    """The sample 4-bot game with a hostile player name."""
    lines = gzip.open(ROOT / "replays" / "standard-4-bots.jsonl.gz", "rt").read().splitlines()
    header = json.loads(lines[0])
    header["players"][1]["name"] = XSS
    header["game_id"] = "xss0000000"
    path.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("viewer")
    replays = base / "replays"
    shutil.copytree(ROOT / "replays", replays)
    xss_replay(replays / "xss.jsonl")
    tournament = base / "ladder"
    snek_ok("tournament", "random", "safe", "greedy", "--games", "4", "--size", "7", "--seed", "1", "--workers", "1",
            "--out-dir", str(tournament))
    with SnekServer(["--replays", str(replays), "--tournaments", str(tournament)]) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Console:
    """Everything the page said that a test must not ignore."""

    def __init__(self, page, allowed: tuple[str, ...] = ()) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.allowed = allowed
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(re.search(a, e) for a in self.allowed)]


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 820}, device_scale_factor=1)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    console = Console(pg, getattr(request, "param", ()))
    pg.console = console
    yield pg
    context.close()
    assert console.unexpected() == [], f"browser console errors: {console.unexpected()}"
    assert console.dialogs == [], f"the page opened dialogs: {console.dialogs}"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def state(page) -> dict:
    return page.evaluate("window.snek.state()")


def replay_id(server, ruleset: str, turns: int, name: str | None = None) -> str:
    for r in server.get("/api/replays")["replays"]:
        names = [p if isinstance(p, str) else p.get("name") for p in r["players"]]
        if r["ruleset"] == ruleset and r["turns"] == turns and (XSS in names) == (name == XSS):
            return r["id"]
    raise AssertionError(f"no {ruleset} replay of {turns} turns in {server.get('/api/replays')}")


def open_replay(page, server, rid: str, turn: int | None = None) -> None:
    page.goto(f"{server.url}/watch/{rid}" + (f"?turn={turn}" if turn is not None else ""))
    page.wait_for_function("() => window.snek && window.snek.state().result !== null")


def canvas_pixels(page) -> str:
    return page.evaluate("document.querySelector('#board').toDataURL()")


def cell_colours(page, cells) -> list[list[int]]:
    return page.evaluate("(cells) => cells.map(([x, y]) => window.snek.pixel(x, y))", cells)


def close(c1, c2, tol: int = 6) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(c1, c2))


def hex_rgb(colour: str) -> list[int]:
    return [int(colour[i:i + 2], 16) for i in (1, 3, 5)]


# ---------------------------------------------------------------- lobby


def test_lobby_lists_demo_room_and_sample_replays(page, server):
    page.goto(server.url + "/")
    page.wait_for_selector("#rooms tbody tr")
    rooms = page.locator("#rooms tbody tr")
    assert "classic" in rooms.first.inner_text()
    page.wait_for_selector("#replays tbody tr")
    table = page.locator("#replays tbody").inner_text()
    for ruleset in ("standard", "royale", "wrapped"):
        assert ruleset in table
    assert page.locator("#replays tbody tr").count() == len(server.get("/api/replays")["replays"])
    # the filter box narrows the library without reloading
    page.fill("#filter", "royale")
    assert page.locator("#replays tbody tr").count() == 1
    page.fill("#filter", "")
    shot(page, "lobby")


def test_lobby_rooms_update_without_reload(page, server):
    page.goto(server.url + "/")
    page.wait_for_selector("#rooms tbody tr")
    before = page.locator("#rooms tbody tr").first.locator("td").nth(4).inner_text()
    page.wait_for_function(
        "(before) => document.querySelector('#rooms tbody tr td:nth-child(5)').textContent !== before", arg=before,
        timeout=20000)


def test_create_room_with_bots_turns_advance_on_canvas(page, server):
    page.goto(server.url + "/")
    page.select_option("#ruleset", "standard")
    # four bot seats: turn the open seat into a bot
    selects = page.locator("#seats select")
    for i in range(selects.count()):
        selects.nth(i).select_option("greedy" if i == 3 else selects.nth(i).input_value() or "safe")
    page.fill("#tick", "100")
    page.click("#create-button")
    page.wait_for_url(re.compile(r"/watch/"))
    page.wait_for_function("() => window.snek.state().turn >= 2")
    first_turn = int(page.inner_text("#turn"))
    first = canvas_pixels(page)
    page.wait_for_function(f"() => Number(document.querySelector('#turn').textContent) >= {first_turn + 3}")
    assert int(page.inner_text("#turn")) >= first_turn + 3
    assert canvas_pixels(page) != first
    assert state(page)["live"] is True and state(page)["following"] is True
    assert page.locator("#scoreboard li").count() == 4
    shot(page, "watch-live")
    # scrub back through what has arrived, then go live again
    page.keyboard.press("Home")
    assert state(page)["following"] is False and state(page)["turn"] == 0
    page.wait_for_selector("#go-live:not([hidden])")
    page.click("#go-live")
    assert state(page)["following"] is True
    page.wait_for_function("() => window.snek.state().turn >= window.snek.state().lastTurn - 1")


def test_create_endless_classic_room_from_the_form(page, server):
    page.goto(server.url + "/")
    page.wait_for_selector("#ruleset option[value=classic]", state="attached")
    assert page.locator("#endless-field").is_hidden()
    page.select_option("#ruleset", "classic")
    assert page.locator("#endless-field").is_visible() and page.is_checked("#endless")
    assert page.input_value("#width") == "24"
    page.click("#create-button")
    page.wait_for_url(re.compile(r"/watch/"))
    room_id = page.url.split("/watch/")[1].split("?")[0]
    room = server.get(f"/api/rooms/{room_id}")
    assert room["ruleset"] == "classic" and room["settings"]["endless"] is True
    page.wait_for_function("() => window.snek.state().turn >= 1")


@pytest.mark.parametrize("page", [(r"status of 400 \(BAD REQUEST\)",)], indirect=True)  # the refused board
def test_create_a_room_on_a_map_from_the_form(page, server):
    page.goto(server.url + "/")
    page.wait_for_selector("#map option[value=royale]", state="attached")
    implemented = [m["name"] for m in server.get("/api/maps")["maps"] if m["implemented"]]
    offered = page.eval_on_selector_all("#map option", "options => options.map((o) => o.value)")
    assert offered == ["", *implemented] and len(implemented) >= 3  # "none", then every map the server plays
    # a board the map is not played on: the server's one line shows under the form, no room is made
    page.select_option("#ruleset", "classic")
    page.select_option("#map", "royale")
    assert page.input_value("#ruleset") == "standard"  # royale does not go with classic: a ruleset it goes with
    assert (page.input_value("#width"), page.input_value("#height")) == ("11", "11")
    assert "odd square boards 7x7 to 25x25" in page.inner_text("#map-hint")
    page.fill("#width", "8")
    page.fill("#height", "8")
    page.click("#create-button")
    page.wait_for_function("() => document.querySelector('#create-error').textContent !== ''")
    assert page.inner_text("#create-error") == ("map royale is played on odd square boards 7x7 to 25x25 "
                                                "with 1 to 16 snakes, not on 8x8")
    assert "/watch/" not in page.url
    # the map's own board: the room is made and plays on it
    page.select_option("#map", "")
    page.select_option("#map", "royale")
    selects = page.locator("#seats select")
    for i in range(selects.count()):
        selects.nth(i).select_option("safe")
    page.fill("#tick", "50")
    page.click("#create-button")
    page.wait_for_url(re.compile(r"/watch/"))
    room_id = page.url.split("/watch/")[1].split("?")[0]
    room = server.get(f"/api/rooms/{room_id}")
    assert (room["map"], room["ruleset"], room["width"], room["height"]) == ("royale", "standard", 11, 11)
    page.wait_for_function("() => window.snek.state().turn >= 1")
    assert page.inner_text("#ruleset") == "standard · royale 11×11"
    page.goto(server.url + "/")
    row = page.locator(f"#rooms tbody tr[data-room='{room_id}']")
    row.wait_for()
    assert "standard · royale" in row.inner_text()


# ---------------------------------------------------------------- replays


def test_replay_scrub_matches_frame(page, server):
    rid = replay_id(server, "standard", 222)
    replay = read_replay(ROOT / "replays" / "standard-4-bots.jsonl.gz")
    open_replay(page, server, rid, turn=0)
    assert state(page)["turn"] == 0
    target = 150
    page.evaluate(f"""() => {{ const s = document.querySelector('#scrub'); s.value = '{target}';
                       s.dispatchEvent(new Event('input', {{ bubbles: true }})); }}""")
    page.wait_for_function(f"() => window.snek.state().turn === {target}")
    page.wait_for_function(f"() => document.querySelector('#turn').textContent === '{target}'")
    expected = replay.frames[target]
    got = state(page)
    assert got["frame"]["snakes"] == expected["snakes"]
    assert got["frame"]["food"] == expected["food"]
    # the scoreboard shows that frame: one row per snake, length and status
    rows = page.locator("#scoreboard li")
    assert rows.count() == len(expected["snakes"])
    for snake in expected["snakes"]:
        row = page.locator(f"#scoreboard li[data-id='{snake['id']}']")
        assert row.get_attribute("data-length") == str(len(snake["body"]))
        assert row.get_attribute("data-alive") == str(snake["alive"]).lower()
        status = row.locator(".status").inner_text()
        assert status == "alive" if snake["alive"] else "ran into its own body on turn 61" in status
    # the drawn cells: every live body cell in its snake's colour, food in the food colour, the rest empty
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")  # painted
    colours = page.evaluate("""async () => {
        const { snakeStyle, BOARD } = await import('/static/js/palette.js');
        return { seats: [0, 1, 2, 3].map((i) => snakeStyle(i).color), board: BOARD };
    }""")
    seat = {p["id"]: i for i, p in enumerate(replay.header["players"])}
    owned = {}
    checked = 0
    for snake in expected["snakes"]:
        if snake["alive"]:
            for cell in snake["body"]:
                owned[tuple(cell)] = hex_rgb(colours["seats"][seat[snake["id"]]])
    for cell in expected["food"]:
        owned[tuple(cell)] = hex_rgb(colours["board"]["food"])
    cells = [[x, y] for x in range(11) for y in range(11)]
    empty = [hex_rgb(colours["board"]["cellA"]), hex_rgb(colours["board"]["cellB"])]
    for cell, got_colour in zip(cells, cell_colours(page, cells)):
        want = owned.get(tuple(cell))
        if want is None:
            assert any(close(got_colour, e) for e in empty), f"cell {cell} should be empty, got {got_colour}"
        else:
            assert close(got_colour, want), f"cell {cell} should be {want}, got {got_colour}"
        checked += 1
    assert checked == 121
    # the address follows the turn (a link to this moment), throttled to one update every 300 ms: wait for it
    page.wait_for_function(f"() => new URLSearchParams(location.search).get('turn') === '{target}'")
    assert f"turn={target}" in page.url
    shot(page, "watch-replay")


def test_hazards_are_drawn(page, server):
    rid = replay_id(server, "royale", 85)
    replay = read_replay(ROOT / "replays" / "royale-2-bots.jsonl.gz")
    open_replay(page, server, rid, turn=85)
    frame = replay.frames[85]
    taken = {tuple(c) for s in frame["snakes"] for c in s["body"]} | {tuple(c) for c in frame["food"]}
    hazards = [c for c in frame["hazards"] if tuple(c) not in taken]
    clear = [[x, y] for x in range(11) for y in range(11) if [x, y] not in frame["hazards"] and (x, y) not in taken]
    assert len(hazards) > 10 and clear
    board = page.evaluate("import('/static/js/palette.js').then((m) => m.BOARD)")
    empty = [hex_rgb(board["cellA"]), hex_rgb(board["cellB"])]
    for got in cell_colours(page, hazards):
        assert not any(close(got, e) for e in empty), got
    for got in cell_colours(page, clear):
        assert any(close(got, e) for e in empty), got


def test_deep_link_and_keyboard_shortcuts(page, server):
    rid = replay_id(server, "standard", 222)
    open_replay(page, server, rid, turn=40)
    assert state(page)["turn"] == 40 and not state(page)["playing"]
    deaths = sorted({d["turn"] for d in state(page)["deaths"]})
    assert deaths == [61, 177, 222]
    assert page.locator("#death-marks .mark").count() == 3
    page.keyboard.press("ArrowRight")
    assert state(page)["turn"] == 41
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert state(page)["turn"] == 39
    page.keyboard.press("e")
    assert state(page)["turn"] == 61
    page.keyboard.press("e")
    assert state(page)["turn"] == 177
    page.keyboard.press("q")
    assert state(page)["turn"] == 61
    page.keyboard.press("End")
    assert state(page)["turn"] == 222
    page.keyboard.press("Home")
    assert state(page)["turn"] == 0
    page.keyboard.press("+")
    page.keyboard.press("+")
    assert state(page)["speed"] == 4
    page.keyboard.press("-")
    assert state(page)["speed"] == 2
    page.keyboard.press(" ")
    assert state(page)["playing"] is True
    page.wait_for_function("() => window.snek.state().turn >= 3")
    page.keyboard.press(" ")
    assert state(page)["playing"] is False
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    assert "next / previous death" in page.locator("#help").inner_text()
    shot(page, "help")
    page.keyboard.press("Escape")
    assert not page.locator("#help").is_visible()
    # the buttons do the same
    page.click("button[data-action=end]")
    assert state(page)["turn"] == 222
    page.click("button[data-action=prev-death]")
    assert state(page)["turn"] == 177
    # speeds run from 0.25x to 16x
    for _ in range(8):
        page.keyboard.press("+")
    assert state(page)["speed"] == 16
    for _ in range(8):
        page.keyboard.press("-")
    assert state(page)["speed"] == 0.25
    # smooth movement: while playing the drawn position sits between turns; the switch turns it off
    page.keyboard.press("Home")
    page.keyboard.press(" ")
    page.wait_for_function("() => { const p = window.snek.state().position; return p > 0 && p % 1 !== 0; }")
    page.keyboard.press(" ")
    page.click("#animate")
    assert state(page)["animate"] is False
    page.click("#animate")
    assert state(page)["animate"] is True
    # clicking a snake (scoreboard row or its cell on the board) highlights and follows it
    page.click("#scoreboard li[data-id='s2']")
    assert state(page)["highlight"] == "s2"
    page.click("#scoreboard li[data-id='s2']")
    assert state(page)["highlight"] is None
    head = state(page)["frame"]["snakes"][0]["body"][0]
    x, y = page.evaluate(f"window.snek.cellCentre({head[0]}, {head[1]})")
    page.mouse.click(x, y)
    assert state(page)["highlight"] == state(page)["frame"]["snakes"][0]["id"]


def test_xss_name_in_a_replay_shows_literally(page, server):
    rid = replay_id(server, "standard", 222, name=XSS)
    open_replay(page, server, rid, turn=10)
    row = page.locator("#scoreboard li[data-id='s1'] .name")
    assert row.inner_text().startswith(XSS)
    assert page.locator("#scoreboard img").count() == 0
    page.goto(server.url + "/")
    page.wait_for_selector("#replays tbody tr")
    assert XSS in page.locator("#replays tbody").inner_text()
    assert page.locator("#replays img").count() == 0
    assert page.console.dialogs == []


def test_csp_forbids_inline_script(page, server):
    response = page.goto(server.url + "/")
    csp = response.headers.get("content-security-policy", "")
    assert "script-src" in csp or "default-src" in csp
    assert "unsafe-inline" not in csp.split("script-src")[-1].split(";")[0]


# ---------------------------------------------------------------- local files


def test_open_local_files_and_corrupt_ones(page, server, tmp_path):
    page.goto(server.url + "/")
    corrupt = tmp_path / "broken.jsonl"
    corrupt.write_text('{"type": "header", "format": "snek-replay/1"\nnot json at all\n')
    page.set_input_files("#open-file", str(corrupt))
    page.wait_for_selector("#message:not([hidden])")
    assert "broken.jsonl line 1: not JSON" in page.inner_text("#message")
    shot(page, "lobby-corrupt-file")
    # gzip garbage, then a foreign JSON file
    garbage = tmp_path / "garbage.jsonl.gz"
    garbage.write_bytes(b"\x1f\x8b\x08\x00garbage")
    page.set_input_files("#open-file", str(garbage))
    page.wait_for_function("() => document.querySelector('#message').textContent.includes('garbage.jsonl.gz')")
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"hello": "world"}\n')
    page.set_input_files("#open-file", str(foreign))
    page.wait_for_function("() => document.querySelector('#message').textContent.includes("
                           "'foreign.json line 1: not a snek replay')")
    # a good file opens in the watch page, read in the browser: nothing is uploaded to the library (rooms of
    # other tests on this shared server may still save their games there meanwhile)
    before = {entry["id"] for entry in server.get("/api/replays")["replays"]}
    page.set_input_files("#open-file", str(ROOT / "replays" / "wrapped-7x7.jsonl.gz"))
    page.wait_for_url(re.compile(r"/watch/local"))
    page.wait_for_function("() => window.snek.state().ruleset === 'wrapped'")
    assert state(page)["lastTurn"] == 200
    added = [entry for entry in server.get("/api/replays")["replays"] if entry["id"] not in before]
    assert not [entry for entry in added if entry["id"].startswith("upload-") or entry.get("ruleset") == "wrapped"]
    # dropping a corrupt file on the watch page says so and keeps the game playing
    page.evaluate("""() => {
        const dt = new DataTransfer();
        dt.items.add(new File(['{"type":"header","format":"snek-replay/9"}\\n'], 'future.jsonl'));
        document.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }""")
    page.wait_for_selector("#message:not([hidden])")
    assert "unsupported format" in page.inner_text("#message")
    assert state(page)["ruleset"] == "wrapped"
    page.keyboard.press("End")
    assert state(page)["turn"] == 200
    shot(page, "watch-corrupt-drop")


def test_battlesnake_cli_game_opens(page, server, tmp_path):
    def snake(sid, name, body, health=90):
        pts = [{"x": x, "y": y} for x, y in body]
        return {"id": sid, "name": name, "health": health, "body": pts, "head": pts[0], "length": len(pts),
                "latency": "12", "shout": "", "customizations": {"color": "#123456"}}

    game = {"id": "g1", "ruleset": {"name": "standard", "version": "cli", "settings": {}}, "map": "standard",
            "timeout": 500, "source": ""}
    turns = [
        [snake("a", "alpha", [(1, 1), (1, 1), (1, 1)]), snake("b", "beta", [(5, 5), (5, 5), (5, 5)])],
        [snake("a", "alpha", [(1, 2), (1, 1), (1, 1)]), snake("b", "beta", [(5, 6), (5, 5), (5, 5)])],
        [snake("a", "alpha", [(1, 3), (1, 2), (1, 1)])],
    ]
    lines = [game] + [{"game": game, "turn": t, "board": {"width": 7, "height": 7, "snakes": s,
                                                          "food": [{"x": 3, "y": 3}], "hazards": []},
                       "you": s[0]} for t, s in enumerate(turns)]
    lines.append({"winnerId": "a", "winnerName": "alpha", "isDraw": False})
    path = tmp_path / "cli-game.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    page.goto(server.url + "/")
    page.set_input_files("#open-file", str(path))
    page.wait_for_url(re.compile(r"/watch/local"))
    page.wait_for_function("() => window.snek.state().lastTurn === 2")
    page.keyboard.press("End")
    got = state(page)
    assert [p["name"] for p in got["players"]] == ["alpha", "beta"]
    beta = next(s for s in got["frame"]["snakes"] if s["id"] == "b")
    assert beta["alive"] is False and beta["death"]["turn"] == 2
    assert page.locator("#result").inner_text() == "alpha won after 2 turns"


# ---------------------------------------------------------------- human play


BIG = 25  # the largest board the engine takes
SWIPES = {"left": [-80, 0], "right": [80, 0], "up": [0, -80], "down": [0, 80]}  # screen y grows downwards


def lone_snake_room(server, tick_ms: int) -> dict:
    """An endless classic room with one human seat and nobody else, on the largest board.

    Nothing but a wall can kill the human's snake here, and a wall is far: a snake heading for its roomier side
    has at least (BIG - 1) // 2 cells ahead.  (With a bot beside it, the bot could run into our snake, or our
    snake into it, before a key landed, and a 2-snake classic game ends with the first death: a fresh-clone CI
    run once timed out that way.)"""
    return server.post("/api/rooms", {"ruleset": "classic", "width": BIG, "height": BIG,
                                      "settings": {"endless": True}, "tick_ms": tick_ms, "seats": [None]})


def roomier(head: list[int], directions: list[str]) -> str:
    """Of ``directions``, the one with the most cells ahead of ``head`` before the wall."""
    room = {"left": head[0], "right": BIG - 1 - head[0], "down": head[1], "up": BIG - 1 - head[1]}
    return max(directions, key=room.__getitem__)


def my_snake(page, you: str) -> dict:
    """Our snake in the newest frame, once it has moved at least once (its move is its heading)."""
    me = page.wait_for_function(f"""() => {{ const f = window.snek.frame(window.snek.state().lastTurn);
        const me = f && f.snakes.find((x) => x.id === '{you}');
        return me && (me.move || !me.alive) ? me : null; }}""").json_value()
    assert me["alive"], f"our snake died: {me['death']}"
    return me


def turn_applied(page, you: str, after: int, direction: str, timeout_ms: int) -> int:
    """The first turn after ``after`` that moved our snake ``direction``; fails saying so if it died first."""
    found = page.wait_for_function(f"""() => {{ const s = window.snek.state();
        for (let t = {after} + 1; t <= s.lastTurn; t += 1) {{
          const me = window.snek.frame(t) && window.snek.frame(t).snakes.find((x) => x.id === '{you}');
          if (me && me.move === '{direction}') return {{ turn: t }};
          if (me && !me.alive) return {{ death: me.death }};
        }} return null; }}""", timeout=timeout_ms).json_value()
    assert "turn" in found, f"our snake died before its {direction!r} was played: {found}"
    return found["turn"]


def test_join_as_human_and_steer(page, server):
    # one tick a second: a wait for a move (10 s at most, where 1 or 2 ticks are usual) gives up before a snake
    # heading for its roomier side could reach the wall (12 ticks), however slowly a busy machine runs the page
    tick_ms, wait_ms = 1000, 10000
    room = lone_snake_room(server, tick_ms)
    page.goto(f"{server.url}/watch/{room['id']}")
    page.wait_for_function("() => window.snek.state().connected && window.snek.state().lastTurn >= 1")
    # shortcuts never fire while typing: Space, e and ? go into the name field
    before = state(page)
    page.click("#join-name")
    page.keyboard.type(f"{XSS} e?")
    assert page.input_value("#join-name") == f"{XSS} e?"
    assert not page.locator("#help").is_visible()
    assert state(page)["following"] == before["following"]
    page.fill("#join-name", XSS)
    page.click("#join button[type=submit]")
    page.wait_for_function("() => window.snek.state().you !== null")
    you = state(page)["you"]
    page.wait_for_function(f"""() => {{ const s = window.snek.state();
        const f = window.snek.frame(s.lastTurn); return f && f.snakes.some((x) => x.id === '{you}' && x.alive); }}""")
    assert page.locator("#you-name").inner_text() == XSS
    assert page.locator("#scoreboard img").count() == 0
    page.wait_for_selector(f"#scoreboard li[data-id='{you}'] .you")  # once the page shows a turn with our snake

    def steer(send) -> str:
        """Turn our snake to its roomier side with ``send(direction)``; check the turn it made."""
        start, me = state(page)["lastTurn"], my_snake(page, you)
        direction = roomier(me["body"][0], ["left", "right"] if me["move"] in ("up", "down") else ["up", "down"])
        send(direction)
        turn = turn_applied(page, you, start, direction, wait_ms)
        # a sideways move never happens by itself (a human's snake keeps going straight): this is our turn,
        # however many ticks a busy machine took to carry it
        assert turn > start
        before_head = page.evaluate(f"window.snek.frame({turn - 1}).snakes.find((x) => x.id === '{you}').body[0]")
        after_head = page.evaluate(f"window.snek.frame({turn}).snakes.find((x) => x.id === '{you}').body[0]")
        dx, dy = VECTORS[direction]
        assert [after_head[0] - before_head[0], after_head[1] - before_head[1]] == [dx, dy]
        return direction

    steer(lambda direction: page.keyboard.press(KEYS[direction]))
    steer(lambda direction: page.keyboard.press(KEYS[direction]))
    # a swipe on the board steers too (pointer events, as a finger on a touch screen sends them)
    second = steer(lambda direction: page.evaluate("""([dx, dy]) => {
        const box = document.querySelector('#board-box').getBoundingClientRect();
        const x = box.left + box.width / 2, y = box.top + box.height / 2;
        const at = (type, px, py) => document.querySelector('#board-box').dispatchEvent(
            new PointerEvent(type, { clientX: px, clientY: py, bubbles: true, pointerType: 'touch' }));
        at('pointerdown', x, y); at('pointerup', x + dx, y + dy);
    }""", SWIPES[direction]))
    # a quick double turn between two ticks shows as queued (both keys in one task: no frame can come between)
    third = "left" if second in ("up", "down") else "up"
    queued, shown = page.evaluate("""(keys) => {
        for (const key of keys) document.body.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
        return [window.snek.state().queued, document.querySelector('#queued').textContent];
    }""", [KEYS[third], KEYS[second]])
    assert queued == [third, second] and shown.startswith("queued"), (queued, shown)
    shot(page, "watch-human")
    page.click("#leave")


def test_phone_layout_and_high_dpi(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3, has_touch=True,
                                  is_mobile=True)
    pg = context.new_page()
    console = Console(pg)
    rid = replay_id(server, "wrapped", 200)
    pg.goto(f"{server.url}/watch/{rid}?turn=3")
    pg.wait_for_function("() => window.snek.state().result !== null && window.snek.state().turn === 3")
    size = pg.evaluate("""() => { const c = document.querySelector('#board'); const r = c.getBoundingClientRect();
        return [c.width, c.height, r.width, r.height]; }""")
    assert size[0] == round(size[2] * 3) and size[1] == round(size[3] * 3)
    assert size[2] <= 390 and size[2] >= 300  # the board takes the phone's width
    # turn 3: s1's body [[2,6],[2,0],[3,0],[3,1]] crosses the top/bottom edge: drawn on both sides
    colour = pg.evaluate("import('/static/js/palette.js').then((m) => m.snakeStyle(1).color)")
    for got in pg.evaluate("[[2, 6], [2, 0], [3, 0]].map(([x, y]) => window.snek.pixel(x, y))"):
        assert close(got, hex_rgb(colour)), got
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / "watch-phone.png"))
    context.close()
    assert console.unexpected() == []


# ---------------------------------------------------------------- tournaments


def test_tournament_page(page, server):
    tournaments = server.get("/api/tournaments")["tournaments"]
    assert len(tournaments) == 1
    name = tournaments[0]["name"]
    page.goto(server.url + "/")
    page.wait_for_selector("#tournaments tbody a")
    page.click("#tournaments tbody a")
    page.wait_for_url(re.compile(r"/tournaments/"))
    page.wait_for_selector("#leaderboard tbody tr")
    data = server.get(f"/api/tournaments/{name}")
    assert page.locator("#leaderboard tbody tr").count() == len(data["leaderboard"]) == 3
    assert page.locator("#chart svg polyline").count() == 3
    assert page.locator("#h2h td.cell").count() == 6
    assert page.locator("#games tbody a").count() == len(data["games"]) == 4
    shot(page, "tournament")
    page.locator("#games tbody a").first.click()
    page.wait_for_url(re.compile(r"/watch/"))
    page.wait_for_function("() => window.snek.state().result !== null")


def test_death_panel_and_respawn_in_classic(page, server):
    room = server.post("/api/rooms", {"ruleset": "classic", "width": 12, "height": 12, "settings": {"endless": True},
                                      "tick_ms": 150, "max_turns": 100000, "seats": ["safe", None]})
    page.goto(f"{server.url}/watch/{room['id']}")
    page.wait_for_function("() => window.snek.state().connected && window.snek.state().lastTurn >= 1")
    page.fill("#join-name", "ann")
    page.click("#join button[type=submit]")
    page.wait_for_function("() => window.snek.state().you !== null")
    you = state(page)["you"]
    alive = f"""() => {{ const f = window.snek.frame(window.snek.state().lastTurn);
        return f && f.snakes.some((x) => x.id === '{you}' && x.alive); }}"""
    page.wait_for_function(alive)
    me = page.evaluate(f"window.snek.frame(window.snek.state().lastTurn).snakes.find((x) => x.id === '{you}')")
    head, heading = me["body"][0], me["move"]
    # head for the nearest wall that is not straight behind us (classic ignores a reversal)
    walls = {"left": head[0], "right": 11 - head[0], "down": head[1], "up": 11 - head[1]}
    behind = {"up": "down", "down": "up", "left": "right", "right": "left"}.get(heading)
    direction = min((d for d in walls if d != behind), key=walls.get)
    page.keyboard.press(KEYS[direction])
    page.wait_for_selector("#death-panel:not([hidden])", timeout=20000)
    death = page.evaluate(f"""() => {{ const s = window.snek.state();
        for (let t = s.lastTurn; t >= s.firstTurn; t -= 1) {{
          const me = window.snek.frame(t).snakes.find((x) => x.id === '{you}');
          if (me && !me.alive) return me; }} return null; }}""")
    assert death is not None and death["death"]["turn"] > 0
    cause = page.inner_text("#death-cause")
    assert cause.startswith("You ") and f"on turn {death['death']['turn']}" in cause
    assert DEATH_WORDS[death["death"]["cause"]] in cause, (death, cause)
    assert re.match(r"Length \d+ · \d+(st|nd|rd|th) of \d+", page.inner_text("#death-stats"))
    assert page.locator("#respawn").is_visible()
    shot(page, "watch-death")
    respawned_after = state(page)["lastTurn"]
    page.click("#respawn")
    assert page.locator("#death-panel").is_hidden()
    # alive in any frame since (a busy page may first see a newer frame where the bot already killed it again)
    page.wait_for_function(f"""() => {{ const s = window.snek.state();
        for (let t = {respawned_after} + 1; t <= s.lastTurn; t += 1) {{
          const me = window.snek.frame(t) && window.snek.frame(t).snakes.find((x) => x.id === '{you}');
          if (me && me.alive) return true; }} return false; }}""", timeout=20000)
    page.click("#leave")


class TcpProxy:
    """A TCP relay between the browser and the server: cut() drops every connection (a network drop) and
    refuses new ones until restore()."""

    def __init__(self, port: int) -> None:
        import socket
        import threading

        self.upstream = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.refusing = False
        self.conns: list = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        import socket
        import threading

        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing:
                client.close()
                continue
            server = socket.create_connection(("127.0.0.1", self.upstream))
            with self.lock:
                self.conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a, b) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self) -> None:
        import socket

        self.refusing = True
        with self.lock:
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def restore(self) -> None:
        self.refusing = False

    def close(self) -> None:
        self.cut()
        self.listener.close()


# a network drop: the browser logs the failed socket attempts and any request cut short, as it should
NETWORK_DROP = (r"WebSocket connection to .* failed",
                r"Failed to load resource: net::ERR_(CONNECTION|SOCKET_NOT_CONNECTED|EMPTY_RESPONSE)")


@pytest.mark.parametrize("page", [NETWORK_DROP], indirect=True)
def test_reconnects_after_a_network_drop_and_resumes_the_seat(page, server):
    # alone on the board at 1.5 s a turn: a snake heading away from its nearer wall lives 18 s, far longer than
    # the drop takes (a few seconds of backoff)
    room = lone_snake_room(server, tick_ms=1500)
    proxy = TcpProxy(server.port)
    try:
        page.goto(f"http://127.0.0.1:{proxy.port}/watch/{room['id']}")
        page.wait_for_function("() => window.snek.state().connected")
        page.fill("#join-name", "bob")
        page.click("#join button[type=submit]")
        page.wait_for_function("() => window.snek.state().you !== null")
        you = state(page)["you"]
        proxy.cut()
        page.wait_for_function("() => document.querySelector('#connection').textContent"
                               ".startsWith('connection lost, reconnecting in')")
        assert state(page)["connected"] is False
        shot(page, "watch-reconnecting")
        page.wait_for_function("() => /attempt [2-9]/.test(document.querySelector('#connection').textContent)",
                               timeout=20000)  # it keeps trying, backing off
        proxy.restore()
        page.wait_for_function("() => window.snek.state().connected", timeout=30000)
        page.wait_for_function("() => document.querySelector('#connection').textContent === 'connected'")
        # the stored token took the seat back: the same snake, steerable again
        page.wait_for_function(f"() => window.snek.state().you === '{you}'")
        assert page.locator("#playing").is_visible() and page.locator("#join-form").is_hidden()
        # the resumed stream may still be replaying its backlog: read the newest frame once it is there
        start, me = state(page)["lastTurn"], my_snake(page, you)
        turn = roomier(me["body"][0], ["left", "right"] if me["move"] in ("up", "down") else ["up", "down"])
        page.keyboard.press(KEYS[turn])
        turn_applied(page, you, start, turn, timeout_ms=10000)
    finally:
        proxy.close()


def wait_for_listed(page) -> None:
    """The upload the status line links to shows up in the library's table (found by its link, not by
    counting rows: rooms of other tests on this shared server may save games there meanwhile)."""
    href = page.get_attribute("#file-status a", "href")
    assert href and href.startswith("/watch/upload-"), href
    page.wait_for_selector(f'#replays tbody a[href="{href}"]')


# the refused upload is a 400 answer, which Chromium logs as a failed resource: that one line is expected
@pytest.mark.parametrize("page", [(r"status of 400 \(BAD REQUEST\)",)], indirect=True)
def test_upload_to_the_library(page, server, tmp_path):
    page.goto(server.url + "/")
    page.wait_for_selector("#replays tbody tr")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "frame"}\n')
    page.set_input_files("#upload-file", str(bad))
    page.wait_for_selector("#message:not([hidden])")
    assert page.inner_text("#message").startswith("Upload refused: ")
    assert "not a snek replay" in page.inner_text("#message")
    good = tmp_path / "upload.jsonl.gz"
    good.write_bytes((ROOT / "replays" / "royale-2-bots.jsonl.gz").read_bytes())
    page.set_input_files("#upload-file", str(good))
    page.wait_for_selector("#file-status a")
    wait_for_listed(page)
    assert page.inner_text("#file-status").startswith("uploaded: ")
    cli_game = tmp_path / "bs-game.jsonl"  # a raw `battlesnake play --output` file is imported on upload, and said so
    cli_game.write_bytes((ROOT / "tests" / "data" / "battlesnake-cli-standard-7x7.jsonl").read_bytes())
    page.set_input_files("#upload-file", str(cli_game))
    page.wait_for_function("() => document.querySelector('#file-status').textContent.startsWith('imported')")
    assert page.inner_text("#file-status").startswith("imported from a Battlesnake CLI game and uploaded: ")
    wait_for_listed(page)
    page.set_input_files("#upload-file", str(good))  # the royale game again (already stored: the same id)
    page.wait_for_function("() => document.querySelector('#file-status').textContent.startsWith('uploaded')")
    page.click("#file-status a")
    page.wait_for_url(re.compile(r"/watch/"))
    page.wait_for_function("() => window.snek.state().result !== null && window.snek.state().ruleset === 'royale'")
