"""Import a game written by Battlesnake's CLI (``battlesnake play --output FILE``) as a snek replay.

The CLI writes JSON lines: the game object (``id``, ``ruleset``, ``map``, ``timeout``, ``source``),
then one move request per turn from 0 to the last (``game``, ``turn``, ``board`` with the *live*
snakes only, and an arbitrary snake as ``you``), then ``{"winnerId", "winnerName", "isDraw"}``.
(CLI versions before the final turn was exported stop one turn early: the import keeps what
is there and writes no result line.)

What the file lacks, the import reconstructs under our rules, which are Battlesnake's:
- each live snake's move, from where its head went (wrap-aware);
- a snake that dies leaves the board without its last move, body or cause: the import tries the
  moves it could have made (the one it made before first, then up, down, left, right) and keeps
  the first whose simulated turn gives exactly the next recorded board; its body, death cause and
  killer come from that simulation, so where several moves fit, the cause is a best guess;
- the seed: there is none.  Battlesnake's random draws (new food; royale and map hazards) are
  not ours, so the replay marks food and hazards ``external`` and ``snek replay verify`` takes them
  from the file while checking everything else (docs/replay-format.md).
"""

from __future__ import annotations

import gzip
import itertools
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from arena import jsonio
from arena.battlesnake import RequestError, check_request, load_request
from arena.engine import move_codes
from arena.geometry import MOVES, OPPOSITE
from arena.match import COLORS
from arena.replay import FORMAT, MAX_LINE_BYTES, Replay, ReplayWriter, result_for, size_text
from arena.replay_schema import SchemaError, check_frame, check_header, check_result
from arena.verify import simulation_engine

SOURCE = "battlesnake-cli"
EXTERNAL = ["food", "hazards"]
MAX_DYING_SEARCHED = 4  # 4**4 candidate move sets per turn at most; further dying snakes keep their first guess


class BattlesnakeFileError(ValueError):
    """A file that cannot be imported; the message is one line naming file and line."""


@dataclass
class Imported:
    replay: Replay
    warnings: list[str] = field(default_factory=list)


def _read_lines(path: Path, max_bytes: int | None = None, max_lines: int | None = None) -> list[tuple[int, dict]]:
    """The file's JSON objects with their line numbers, read a line at a time.  ``max_bytes`` (unpacked, blank
    lines included) and ``max_lines`` bound what a file from a stranger can make this hold: a gzip bomb is
    refused as it unpacks, not after (the server's uploads pass its caps)."""
    objects: list[tuple[int, dict]] = []
    unpacked = 0
    try:
        with gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb") as handle:
            for number in itertools.count(1):
                raw = handle.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    break
                unpacked += len(raw)
                if max_bytes is not None and unpacked > max_bytes:
                    raise BattlesnakeFileError(f"{path.name}: more than {size_text(max_bytes)} unpacked")
                if max_lines is not None and number > max_lines:
                    raise BattlesnakeFileError(f"{path.name}: more than {max_lines} lines")
                if len(raw) > MAX_LINE_BYTES:
                    raise BattlesnakeFileError(f"{path.name} line {number}: longer than {size_text(MAX_LINE_BYTES)}, "
                                               f"not a Battlesnake game state")
                line = raw.decode("utf-8")
                if line.strip():
                    objects.append((number, _json_object(path, number, line)))
    except FileNotFoundError:
        raise BattlesnakeFileError(f"{path}: no such file") from None
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise BattlesnakeFileError(f"{path}: cannot read it ({exc})") from None
    return objects


def _json_object(path: Path, number: int, line: str) -> dict:
    try:
        obj = jsonio.loads(line)
    except json.JSONDecodeError as exc:
        raise BattlesnakeFileError(f"{path.name} line {number}: not JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise BattlesnakeFileError(f"{path.name} line {number}: expected a JSON object")
    return obj


def _split(path: Path, objects: list[tuple[int, dict]]) -> tuple[dict, int, list[tuple[int, dict]], dict | None]:
    """(game, its line, turn requests, result) from the CLI's lines; the game line may be absent."""
    if not objects:
        raise BattlesnakeFileError(f"{path.name}: empty file, not a Battlesnake game")
    if objects[0][1].get("type") == "header":
        raise BattlesnakeFileError(f"{path.name}: already a snek replay, nothing to import")
    game = objects[0][1] if "board" not in objects[0][1] and "ruleset" in objects[0][1] else None
    rest = objects[1:] if game is not None else objects
    result = rest[-1][1] if rest and "winnerId" in rest[-1][1] else None
    requests = rest[:-1] if result is not None else rest
    if result is not None:
        for key, kind, what in (("winnerId", str, "a string"), ("winnerName", str, "a string"),
                                ("isDraw", bool, "true or false")):
            if key in result and not isinstance(result[key], kind):
                raise BattlesnakeFileError(f"{path.name} line {rest[-1][0]}: {key} must be {what}, "
                                           f"got {json.dumps(result[key])[:60]}")
    for number, obj in requests:
        if not isinstance(obj.get("board"), dict) or not isinstance(obj.get("turn"), int):
            raise BattlesnakeFileError(f"{path.name} line {number}: not a Battlesnake game state (no board/turn)")
    if not requests:
        raise BattlesnakeFileError(f"{path.name}: no turns in this file (expected one game state per line)")
    game_line = objects[0][0] if game is not None else requests[0][0]
    return game or requests[0][1].get("game") or {}, game_line, requests, result


def _xy(point) -> list[int]:
    return [point["x"], point["y"]]


def _latency(snake: dict) -> float | None:
    try:
        return float(snake.get("latency"))
    except (TypeError, ValueError):
        return None


def _live(request: dict, where: str) -> dict[str, dict]:
    try:
        return {str(s["id"]): {"body": [_xy(p) for p in s["body"]], "health": s["health"], "snake": s}
                for s in request["board"].get("snakes") or []}
    except (KeyError, TypeError) as exc:
        raise BattlesnakeFileError(f"{where}: a snake without a usable id/body/health ({exc})") from None


def import_cli_game(path: str | Path, max_bytes: int | None = None, max_lines: int | None = None) -> Imported:
    """Read a Battlesnake CLI game file and convert it (nothing is written; see ``write_imported``);
    ``max_bytes`` and ``max_lines`` refuse a bigger file as it is read (``_read_lines``)."""
    path = Path(path)
    game, game_line, requests, cli_result = _split(path, _read_lines(path, max_bytes, max_lines))
    first_number, first = requests[0]
    body = {**first, "game": {**(first.get("game") or {}), "ruleset": game.get("ruleset") or {}}}
    try:
        engine, _, bs_ids = load_request(body)
    except RequestError as exc:
        raise BattlesnakeFileError(f"{path.name} line {first_number}: {exc}") from None
    ids = [f"s{i}" for i in range(len(bs_ids))]
    seat_of = dict(zip(bs_ids, range(len(ids))))
    live0 = _live(first, f"{path.name} line {first_number}")
    players = []
    for seat, bs_id in enumerate(bs_ids):
        snake = live0[bs_id]["snake"]
        looks = snake.get("customizations") or {}
        color = looks.get("color") or COLORS[seat % len(COLORS)]
        players.append({"id": ids[seat], "name": str(snake.get("name") or bs_id)[:64], "color": color,
                        "kind": "http", "battlesnake_id": bs_id,
                        **{part: str(looks[part]) for part in ("head", "tail") if looks.get(part)}})
    g = engine.geometry
    initial = {"turn": first["turn"], "food": [_xy(p) for p in first["board"].get("food") or []],
               "hazards": [_xy(p) for p in first["board"].get("hazards") or []],
               "snakes": [{"body": live0[b]["body"], "health": live0[b]["health"]} for b in bs_ids]}
    header = {
        "game_id": str(game.get("id") or first.get("game", {}).get("id") or path.stem),
        "ruleset": engine.ruleset.name, "settings": engine.settings, "seed": 0,
        "width": g.width, "height": g.height, "timeout_ms": game.get("timeout"), "players": players,
        "initial": initial, "external": EXTERNAL,
        "imported": {"from": SOURCE, "map": game.get("map"), "source": game.get("source"),
                     "version": (game.get("ruleset") or {}).get("version")},
    }
    sim = simulation_engine(header)
    batch = sim.from_positions([initial])
    frame = {**sim.frame(batch, 0, ids), "type": "frame"}
    for snake in frame["snakes"]:
        snake.update(latency_ms=None, error=None)
    frames, warnings = [frame], []
    timeout = game.get("timeout")
    for number, request in requests[1:]:
        where = f"{path.name} line {number}"
        try:  # checked like turn 0: a value no game can hold is one clear line, never a traceback
            check_request({**request, "game": body["game"]}, complete=False)
        except RequestError as exc:
            raise BattlesnakeFileError(f"{where}: {exc}") from None
        if request["turn"] != frame["turn"] + 1:
            raise BattlesnakeFileError(f"{where}: turn {request['turn']} follows turn {frame['turn']}")
        batch, frame, problem = _next_turn(sim, batch, frame, request, ids, bs_ids, where, timeout)
        frames.append(frame)
        if problem and not warnings:
            warnings.append(f"turn {frame['turn']}: {problem}; `snek replay verify` shows where our rules differ")
    finished = bool(sim.from_positions([frame]).done[0])
    result = result_for(frame) if finished else None
    if not finished:
        warnings.append(f"the file ends at turn {frame['turn']} before the game is over (CLI versions before "
                        "the final turn was exported stop one turn early): no result line written")
    elif cli_result is not None and len(ids) > 1:  # solo: the CLI names no winner once the snake is out
        theirs = None if cli_result.get("isDraw") else ids[seat_of[cli_result["winnerId"]]] \
            if cli_result.get("winnerId") in seat_of else None
        if theirs != result["winner"]:
            warnings.append(f"the file names winner {cli_result.get('winnerId')!r}, the frames give {result['winner']}")
    replay = Replay(header={"type": "header", **header, "format": FORMAT}, frames=frames, result=result)
    _check_as_read(path, replay, game_line, [number for number, _ in requests],
                   _result_line_number(requests, cli_result))
    return Imported(replay, warnings)


def _result_line_number(requests: list[tuple[int, dict]], cli_result: dict | None) -> int:
    """The file line a result is blamed on: the CLI's result line, else the last turn."""
    return requests[-1][0] + (1 if cli_result is not None else 0)


def _check_as_read(path: Path, replay: Replay, header_line: int, lines: list[int], result_line: int) -> None:
    """Check what import would write with the replay reader's own checks, so the import never writes a
    file that ``snek replay verify`` then refuses: such a value is refused here, with the reader's
    message and the CLI file's line."""
    line = header_line
    try:
        board = check_header(replay.header)
        for line, frame in zip(lines, replay.frames):  # noqa: B007 (the line is named if a check fails)
            check_frame(frame, board)
        if replay.result is not None:
            line = result_line
            check_result(replay.result, board)
    except SchemaError as exc:
        raise BattlesnakeFileError(f"{path.name} line {line}: {exc}") from None


def _head_move(geometry, old: list[int], new: list[int]) -> str | None:
    cell = geometry.cell(*old)
    for move, name in enumerate(MOVES):
        if geometry.xy(int(geometry.next_cell[cell, move])) == tuple(new):
            return name
    return None


def _candidates(previous: dict, dying: list[int]) -> list[tuple[str, ...]]:
    """Move sets for the dying snakes, most likely first: straight on (the CLI's own default when a
    snake fails to answer is its last move), then the two turns, and back into its neck last."""
    options = []
    for n, seat in enumerate(dying):
        first = previous["snakes"][seat].get("move") or "up"
        back = MOVES[int(OPPOSITE[MOVES.index(first)])]
        turns = [m for m in MOVES if m not in (first, back)]
        options.append([first, *turns, back] if n < MAX_DYING_SEARCHED else [first])
    return list(itertools.product(*options))


def _next_turn(sim, batch, previous: dict, request: dict, ids: list[str], bs_ids: list[str], where: str,
               timeout: int | None = None):
    """Step the simulation to the recorded next turn; returns (batch, frame, problem or '')."""
    live = _live(request, where)
    seat_of = {bs: seat for seat, bs in enumerate(bs_ids)}
    unknown = [bs for bs in live if bs not in seat_of]
    if unknown:
        raise BattlesnakeFileError(f"{where}: snake {unknown[0]!r} was not on the board at the start")
    g = sim.geometry
    moves: list[str | None] = [None] * len(ids)
    dying = []
    for seat, snake in enumerate(previous["snakes"]):
        bs_id = bs_ids[seat]
        if bs_id in live and not snake["alive"]:
            raise BattlesnakeFileError(f"{where}: snake {bs_id!r} is back on the board after it was eliminated")
        if not snake["alive"]:
            continue
        if bs_id not in live:
            dying.append(seat)
            continue
        new_head = live[bs_id]["body"][0]
        moves[seat] = _head_move(g, snake["body"][0], new_head)
        if moves[seat] is None:
            raise BattlesnakeFileError(
                f"{where}: snake {bs_id!r} went from {snake['body'][0]} to {new_head}, not one step")
    candidates = _candidates(previous, dying)
    fan = batch.select(np.zeros(len(candidates), np.int64))
    codes = np.full((len(candidates), batch.seats), -1, np.int8)
    for c, chosen in enumerate(candidates):
        for seat, move in zip(dying, chosen):
            moves[seat] = move
        codes[c] = move_codes(moves)
    sim.step(fan, codes)
    recorded = {seat_of[bs]: s for bs, s in live.items()}
    food = {tuple(p) for p in (_xy(p) for p in request["board"].get("food") or [])}
    problem = "no move of the snakes that died reproduces this turn under our rules"
    pick = 0
    for c in range(len(candidates)):
        sim_frame = sim.frame(fan, c, ids)
        fits = all(
            s["alive"] == (seat in recorded)
            and (seat not in recorded or (s["body"] == recorded[seat]["body"]
                                          and s["health"] == recorded[seat]["health"]))
            for seat, s in enumerate(sim_frame["snakes"])
        ) and {tuple(p) for p in sim_frame["food"]} <= food
        if fits:
            pick, problem = c, ""
            break
    batch = fan.select([pick])
    frame = {**sim.frame(batch, 0, ids), "type": "frame"}
    frame["food"] = [_xy(p) for p in request["board"].get("food") or []]
    frame["hazards"] = [_xy(p) for p in request["board"].get("hazards") or []]
    for seat, snake in enumerate(frame["snakes"]):
        was = previous["snakes"][seat]
        if not was["alive"]:  # eliminated earlier: unchanged
            frame["snakes"][seat] = was
            continue
        mine = recorded.get(seat)
        if mine is not None:  # the file's state is the truth; verify reports where our rules differ
            snake.update(body=mine["body"], health=mine["health"], move=moves[seat])
        latency = _latency(mine["snake"]) if mine else None
        late = latency is not None and isinstance(timeout, int) and latency >= timeout > 0
        snake.update(latency_ms=latency, error="timeout" if late else None)  # the CLI's latency of a timed-out move
        if mine and mine["snake"].get("shout"):
            snake["shout"] = str(mine["snake"]["shout"])[:256]
    try:
        if problem:
            batch = sim.from_positions([frame])  # carry on from the file's own state
        else:
            sim.set_items(batch, 0, frame["food"], frame["hazards"])  # Battlesnake's random draws
    except ValueError as exc:
        raise BattlesnakeFileError(f"{where}: {exc}") from None
    return batch, frame, problem


def default_output(path: Path) -> Path:
    name = path.name.removesuffix(".gz")
    for suffix in (".jsonl", ".json", ".ndjson", ".txt"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return path.with_name(name + ".snek.jsonl.gz")


def write_imported(imported: Imported, out: str | Path) -> Path:
    replay, out = imported.replay, Path(out)
    header = {k: v for k, v in replay.header.items() if k not in ("type", "format")}
    writer = ReplayWriter(out, header)
    with writer:
        for frame in replay.frames:
            writer.write_frame(frame)
        if replay.result is not None:
            writer.finish(replay.result)
    return out
