"""Re-simulate a replay from its header and recorded moves, and find the first turn that differs.

A header may list ``external`` parts (``"food"``, ``"hazards"``): the game came from another engine
whose random draws are not ours (an imported Battlesnake game), so new food and hazards are taken
from the replay instead of re-simulated.  Everything else is still checked, and eaten food too:
food the simulation leaves uneaten must still be on the board in the replay.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from arena.engine import Engine, move_codes
from arena.replay import Replay

STATE_SNAKE_KEYS = ("id", "body", "health", "alive", "death")


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
    return Engine(header["ruleset"], header["width"], header["height"], settings)


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
    for key in ("food", "hazards"):
        if expected[key] != actual[key]:
            return f"{key}: replay has {expected[key]}, simulation gives {actual[key]}"
    for want, got in zip(expected["snakes"], actual["snakes"]):
        for key in STATE_SNAKE_KEYS:
            if want.get(key) != got.get(key):
                return f"snake {want['id']} {key}: replay has {want.get(key)}, simulation gives {got.get(key)}"
    return "snake list differs"


def apply_events(engine: Engine, batch, frame: dict, ids: list[str]) -> None:
    """Drop-in events recorded on a frame happen right after the step that produced it."""
    for event in frame.get("events") or []:
        seat = ids.index(event["id"])
        if event["kind"] == "spawn":
            engine.spawn(batch, 0, seat)
        elif event["kind"] == "remove":
            engine.remove(batch, 0, seat)


def verify(replay: Replay) -> Verdict:
    h = replay.header
    ids = [p["id"] for p in h["players"]]
    external = h.get("external") or []
    origin = (h.get("imported") or {}).get("from", "another engine")
    note = (f"new {' and '.join(external)} taken from the replay, not re-simulated: the game came from {origin}, "
            "whose random draws are not ours") if external else ""
    try:
        engine = simulation_engine(h)
        first = replay.frames[0]
        initial = h.get("initial")
        if initial:  # a game started from a given position (e.g. a loaded Battlesnake state)
            batch = engine.from_positions([initial], seeds=[h["seed"]])
        else:
            # drop-in rooms start with the first ``seated`` players; the rest enter by spawn events
            batch = engine.new_batch([h["seed"]], num_snakes=h.get("seated", len(ids)), seats=len(ids))
    except (ValueError, KeyError) as exc:
        return Verdict(False, 0, replay.frames[0]["turn"], f"cannot rebuild the game: {exc}")
    apply_events(engine, batch, first, ids)
    previous = None
    for frame in replay.frames:
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
                return Verdict(False, len(replay.frames), frame["turn"], difference, note)
        expected, actual = state_of(frame), state_of(engine.frame(batch, 0, ids))
        if expected != actual:
            return Verdict(False, len(replay.frames), frame["turn"], _first_difference(expected, actual), note)
        previous = frame
    return Verdict(True, len(replay.frames), note=note)
