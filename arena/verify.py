"""Re-simulate a replay from its header and recorded moves, and find the first claim that differs.

Everything a replay claims is checked against the simulation: the board the header names, every
frame's state, the moves (a snake that moved must say how), and the result line (turns, winner,
placements, and whether the game really ended or was stopped).  Frames are taken one at a time,
so verifying a long game needs no more memory than a short one.

A header may list ``external`` parts (``"food"``, ``"hazards"``): the game came from another engine
whose random draws are not ours (an imported Battlesnake game), so new food and hazards are taken
from the replay instead of re-simulated.  Everything else is still checked, and eaten food too:
food the simulation leaves uneaten must still be on the board in the replay.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from arena.engine import Engine, move_codes
from arena.replay import result_for

STATE_SNAKE_KEYS = ("id", "body", "health", "alive", "death")
RESULT_KEYS = ("turns", "winner", "placements", "reason")


class ReplayLike(Protocol):
    """A :class:`~arena.replay.Replay` (frames in a list) or a streaming ``ReplayReader``
    (frames an iterator, ``result`` known once they are exhausted)."""

    header: dict
    result: dict | None

    @property
    def frames(self): ...


def state_of(frame: dict) -> dict:
    """The rule-determined part of a frame (drops latency, errors, shouts, events)."""
    return {
        "turn": frame["turn"],
        "food": sorted(map(tuple, frame["food"])),
        "hazards": sorted(map(tuple, frame["hazards"])),
        "snakes": [{k: s.get(k) for k in STATE_SNAKE_KEYS} for s in frame["snakes"]],
    }


@dataclass
class Verdict:
    ok: bool
    turns: int
    first_bad_turn: int | None = None
    detail: str = ""
    note: str = ""  # what was taken from the replay rather than re-simulated (imported games)


SPAWN_SETTINGS = ("foodSpawnChance", "minimumFood")


def simulation_engine(header: dict) -> Engine:
    """The engine that re-simulates a replay: its own rules, minus food spawning when the
    replay's food is external (new food then comes from the replay, see ``adopt_external``)."""
    settings = dict(header.get("settings") or {})
    if "food" in (header.get("external") or []):
        settings.update({name: 0 for name in SPAWN_SETTINGS if name in settings})
    return Engine(header["ruleset"], header["width"], header["height"], settings, map=header.get("map"))


def adopt_external(engine: Engine, batch, frame: dict, external) -> str:
    """Take the replay's food and/or hazards after a simulated step; returns a difference, or ''."""
    if "food" in external:
        g = engine.geometry
        left = {g.xy(cell) for cell in np.nonzero(batch.food[0])[0]}
        gone = sorted(left - {tuple(p) for p in frame["food"]})
        if gone:
            return f"food: the simulation leaves {[list(p) for p in gone]} uneaten, the replay does not have it"
    engine.set_items(batch, 0, frame["food"] if "food" in external else None,
                     frame["hazards"] if "hazards" in external else None)
    return ""


def _first_difference(expected: dict, actual: dict) -> str:
    if expected["turn"] != actual["turn"]:
        return f"turn: replay has {expected['turn']}, simulation gives {actual['turn']}"
    for key in ("food", "hazards"):
        if expected[key] != actual[key]:
            return f"{key}: replay has {expected[key]}, simulation gives {actual[key]}"
    for want, got in zip(expected["snakes"], actual["snakes"]):
        for key in STATE_SNAKE_KEYS:
            if want.get(key) != got.get(key):
                return f"snake {want['id']} {key}: replay has {want.get(key)}, simulation gives {got.get(key)}"
    return (f"snakes: replay has {[s['id'] for s in expected['snakes']]}, "
            f"simulation gives {[s['id'] for s in actual['snakes']]}")


def apply_events(engine: Engine, batch, frame: dict, ids: list[str]) -> None:
    """Drop-in events recorded on a frame happen right after the step that produced it."""
    for event in frame.get("events") or []:
        seat = ids.index(event["id"])
        if event["kind"] == "spawn":
            engine.spawn(batch, 0, seat)
        elif event["kind"] == "remove":
            engine.remove(batch, 0, seat)


def _move_problem(frame: dict, previous: dict | None) -> str | None:
    """A snake that moved into this frame names its move; the others repeat their last one or say null."""
    before = {s["id"]: s for s in previous["snakes"]} if previous else {}
    for snake in frame["snakes"]:
        last = before.get(snake["id"])
        if last is not None and last["alive"]:
            if snake.get("move") is None:
                return f"snake {snake['id']} move: missing, but the snake moved this turn"
        elif snake.get("move") not in (None, last and last.get("move")):
            return f"snake {snake['id']} move: replay has {snake['move']!r} for a snake that did not move"
    return None


def _header_problem(header: dict) -> str | None:
    """The header's board and settings are what its ruleset builds from them (defaults filled in)."""
    engine = Engine(header["ruleset"], header["width"], header["height"], header["settings"], map=header.get("map"))
    g = engine.geometry
    if (g.width, g.height) != (header["width"], header["height"]):
        return f"board: header says {header['width']}x{header['height']}, the ruleset builds {g.width}x{g.height}"
    if engine.settings != header["settings"]:
        changed = sorted(k for k in engine.settings.keys() | header["settings"].keys()
                         if engine.settings.get(k) != header["settings"].get(k))
        return f"settings: header's {', '.join(changed)} differ from what the ruleset resolves them to"
    return None


def _stop_problem(reason: str | None, last: dict, header: dict) -> str | None:
    """Why a game that was not over ended anyway; each known reason is checked against the replay."""
    limit = header.get("max_turns")
    if reason == "max-turns":
        return None if limit is None or last["turn"] == limit else f"the turn limit is {limit}, not turn {last['turn']}"
    if reason == "agent-eliminated":  # the single-agent env: its agent plays the first seat
        return None if last["snakes"] and not last["snakes"][0]["alive"] else "the first seat's snake is still alive"
    if reason in ("stopped", "segment", "interrupted"):  # a live room saved when it closed, one part of an
        return None  # endless game, or a game cut off by a crash and closed when the server started again
    return "the game was not over" if reason is None else f"unknown reason {reason!r}"


def _result_problem(claimed: dict, last: dict, ended: bool, header: dict) -> str | None:
    expected = result_for(last)
    if claimed["turns"] != last["turn"]:
        return f"result turns: replay has {claimed['turns']}, but its frames end at turn {last['turn']}"
    if not ended or claimed.get("reason") == "interrupted":  # cut off, perhaps after its last turn
        problem = _stop_problem(claimed.get("reason"), last, header)
        if problem:
            return f"result reason: replay has {claimed.get('reason')}, but {problem}"
        expected["reason"] = claimed["reason"]
    for key in RESULT_KEYS:
        if claimed.get(key) != expected.get(key):
            return f"result {key}: replay has {claimed.get(key)}, simulation gives {expected.get(key)}"
    return None


def verify(replay: ReplayLike) -> Verdict:
    h = replay.header
    ids = [p["id"] for p in h["players"]]
    external = h.get("external") or []
    origin = (h.get("imported") or {}).get("from", "another engine")
    note = (f"new {' and '.join(external)} taken from the replay, not re-simulated: the game came from {origin}, "
            "whose random draws are not ours") if external else ""
    frames = iter(replay.frames)
    first = next(frames)
    try:
        problem = _header_problem(h)
        engine = simulation_engine(h)
        initial = h.get("initial")
        if initial:  # a game started from a given position (e.g. a loaded Battlesnake state)
            batch = engine.from_positions([initial], seeds=[h["seed"]], ids=ids)
        else:
            # drop-in rooms start with the first ``seated`` players; the rest enter by spawn events
            batch = engine.new_batch([h["seed"]], num_snakes=h.get("seated", len(ids)), seats=len(ids))
    except (ValueError, KeyError) as exc:
        return Verdict(False, 0, first["turn"], f"cannot rebuild the game: {exc}", note)
    if problem:
        return Verdict(False, 0, first["turn"], problem, note)
    apply_events(engine, batch, first, ids)
    previous: dict | None = None
    count = 0
    for frame in itertools.chain([first], frames):
        count += 1
        if previous is not None:
            alive = {s["id"] for s in previous["snakes"] if s["alive"]}
            moves = {s["id"]: s.get("move") for s in frame["snakes"] if s["id"] in alive}
            engine.step(batch, [move_codes([moves.get(i) for i in ids])])
            apply_events(engine, batch, frame, ids)
            try:
                difference = adopt_external(engine, batch, frame, external) if external else ""
            except ValueError as exc:
                difference = str(exc)
            if difference:
                return Verdict(False, count, frame["turn"], difference, note)
        expected, actual = state_of(frame), state_of(engine.frame(batch, 0, ids))
        if expected != actual:
            return Verdict(False, count, frame["turn"], _first_difference(expected, actual), note)
        problem = _move_problem(frame, previous)
        if problem:
            return Verdict(False, count, frame["turn"], problem, note)
        previous = frame
    if replay.result is not None:
        problem = _result_problem(replay.result, previous, bool(batch.done[0]), h)
        if problem:
            return Verdict(False, count, previous["turn"], problem, note)
    return Verdict(True, count, note=note)
