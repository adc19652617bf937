"""Games pinned frame by frame: every ruleset, several seeds, mixed batches, recorded once.

Why: a seed must play the same game before and after the engine's internals change (the
compiled stages replaced numpy ones).  ``tests/data/pinned_games.json.gz`` holds, for each case,
the exact moves fed each turn (engine codes, garbage included), the drop-in events, and a digest
of every game's frame after every turn; ``test_pinned_games.py`` replays the moves and compares.

Re-record (only when the rules deliberately change, and say so in the commit):
    python tests/pinned_games.py                        # every case, new moves
    python tests/pinned_games.py --redigest NAME ...   # the same moves, the frames the rules now give
Changed on purpose so far: constrictor and wrapped-constrictor re-digested when eliminated snakes began to
be healed and grown as Battlesnake does (issue 18, defect 8).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from play import choose_moves, engine_moves, random_position  # noqa: E402

from arena.engine import Engine  # noqa: E402

FIXTURE = Path(__file__).resolve().parent / "data" / "pinned_games.json.gz"
GARBAGE = (-1, -7, 4, 9, 127)  # codes the engine must read as "default move"

# name: ruleset, (width, height), settings, seeds, snakes per game, seats, turns, from_positions
CASES: dict[str, dict] = {
    "standard-mixed": dict(ruleset="standard", size=(11, 11), seeds=[1, 2, 3, 2**64 - 1, 77, 123456789, 4, 5, 6, 7],
                           counts=[2, 4, 8, 3, 2, 4, 2, 2, 3, 5], seats=8, turns=300),
    "standard-one": dict(ruleset="standard", size=(11, 11), seeds=[42], counts=[2], turns=400),
    "standard-odd-board": dict(ruleset="standard", size=(9, 13), settings={"foodSpawnChance": 60},
                               seeds=[5, 6, 7], counts=[2, 3, 5], turns=150),
    "standard-many-snakes": dict(ruleset="standard", size=(19, 19), seeds=[8, 9], counts=[12, 16], seats=16,
                                 turns=120),
    "standard-small": dict(ruleset="standard", size=(5, 5), seeds=[10, 11, 12], counts=[2, 3, 8], turns=80),
    "wrapped": dict(ruleset="wrapped", size=(11, 11), seeds=[13, 14, 15, 16], counts=[2, 4, 8, 3], turns=200),
    "constrictor": dict(ruleset="constrictor", size=(11, 11), seeds=[17, 18, 19], counts=[2, 4, 3], turns=150),
    "wrapped-constrictor": dict(ruleset="wrapped_constrictor", size=(7, 7), seeds=[20, 21], counts=[2, 4],
                                turns=100),
    "royale": dict(ruleset="royale", size=(11, 11), settings={"shrinkEveryNTurns": 5, "hazardDamagePerTurn": 30},
                   seeds=[22, 23, 24, 25], counts=[2, 4, 3, 4], turns=200),
    "royale-default": dict(ruleset="royale", size=(11, 11), seeds=[26, 27], counts=[2, 4], turns=300),
    "solo": dict(ruleset="solo", size=(7, 7), seeds=[27, 28], counts=[1, 1], turns=300),
    "classic": dict(ruleset="classic", size=(24, 24), seeds=[29, 30, 31], counts=[1, 3, 5], seats=6, turns=200),
    "classic-endless-dropin": dict(ruleset="classic", size=(16, 16), settings={"endless": True}, seeds=[32, 33],
                                   counts=[2, 4], seats=6, turns=200, dropin=True),
    "solo-starve": dict(ruleset="solo", size=(11, 11), settings={"minimumFood": 0, "foodSpawnChance": 0},
                        seeds=[43, 44], counts=[1, 1], turns=200, chaos=0),
    "standard-long": dict(ruleset="standard", size=(19, 19), seeds=[45, 46, 47], counts=[2, 2, 3], turns=400,
                          chaos=0),
    "royale-long": dict(ruleset="royale", size=(15, 15), settings={"shrinkEveryNTurns": 10}, seeds=[48, 49],
                        counts=[2, 2], turns=300, chaos=0),
    "positions-standard": dict(ruleset="standard", size=(11, 11), seeds=[34, 35, 36, 37], counts=[4, 3, 5, 2],
                               turns=80, positions=True),
    "positions-royale": dict(ruleset="royale", size=(8, 8), settings={"shrinkEveryNTurns": 3}, seeds=[38, 39, 40],
                             counts=[3, 3, 4], turns=80, positions=True),
    "positions-wrapped": dict(ruleset="wrapped", size=(7, 9), seeds=[41, 42], counts=[4, 3], turns=80,
                              positions=True),
}


def digest(frame: dict) -> str:
    return hashlib.sha256(json.dumps(frame, sort_keys=True).encode()).hexdigest()[:16]


def make_engine(case: dict) -> Engine:
    return Engine(case["ruleset"], *case["size"], case.get("settings"))


def start(engine: Engine, case: dict, positions: list[dict] | None):
    if positions is not None:
        return engine.from_positions(positions, seeds=case["seeds"])
    return engine.new_batch(case["seeds"], case["counts"], seats=case.get("seats"))


def apply_events(engine: Engine, batch, events: list[list]) -> None:
    """Drop-in events of one turn: ["spawn" | "remove", game, seat]."""
    for kind, game, seat in events:
        if kind == "spawn":
            engine.spawn(batch, game, seat)
        else:
            engine.remove(batch, game, seat)


def replay_case(case: dict, recorded: dict, bulk: bool = False) -> list[list[str]]:
    """Play a recorded case's moves and events again; the digests of every game's frames, turn by turn.
    ``bulk`` builds each turn's frames for the whole batch in one ``Engine.frames`` call."""
    engine = make_engine(case)
    batch = start(engine, case, recorded.get("positions"))

    def frames() -> list[dict]:
        if bulk:
            return engine.frames(batch, range(batch.size))
        return [engine.frame(batch, g) for g in range(batch.size)]

    digests = [[digest(frame)] for frame in frames()]
    for moves, events in zip(recorded["moves"], recorded["events"]):
        apply_events(engine, batch, events)
        engine.step(batch, np.array(moves, np.int64))
        for g, frame in enumerate(frames()):
            digests[g].append(digest(frame))
    return digests


def record_case(case: dict) -> dict:
    """Play a case with a seeded policy (mostly sensible moves, some junk) and record what was fed."""
    engine = make_engine(case)
    rnd = random.Random(repr(sorted(case.items())))
    positions = None
    if case.get("positions"):
        w, h = case["size"]
        positions = [random_position(rnd, w, h, n, engine.ruleset.wrapped) for n in case["counts"]]
    batch = start(engine, case, positions)
    w, h, wrapped = engine.geometry.width, engine.geometry.height, engine.ruleset.wrapped
    all_moves, all_events = [], []
    for turn in range(case["turns"]):
        if batch.done.all():
            break
        events = []
        if case.get("dropin") and turn % 7 == 3:
            game = rnd.randrange(batch.size)
            seat = rnd.randrange(batch.seats)
            events.append(["remove" if batch.alive[game, seat] and rnd.random() < 0.3 else "spawn", game, seat])
        apply_events(engine, batch, events)
        frames = [engine.frame(batch, g) for g in range(batch.size)]
        names = [choose_moves(f, w, h, wrapped, rnd, case.get("chaos", 0.02)) for f in frames]
        moves = engine_moves(names, batch.seats)
        for g in range(batch.size):
            for seat in range(batch.seats):
                if rnd.random() < 0.01:
                    moves[g, seat] = rnd.choice(GARBAGE)
        engine.step(batch, moves)
        all_moves.append(moves.tolist())
        all_events.append(events)
    recorded = {"moves": all_moves, "events": all_events}
    if positions is not None:
        recorded["positions"] = positions
    recorded["digests"] = replay_case(case, recorded)
    return recorded


def main() -> None:
    if sys.argv[1:2] == ["--redigest"]:
        with gzip.open(FIXTURE, "rt") as old:
            data = json.load(old)
        for name in sys.argv[2:]:
            data[name]["digests"] = replay_case(CASES[name], data[name])
    else:
        data = {name: record_case(case) for name, case in CASES.items()}
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(FIXTURE, "wt") as out:
        json.dump(data, out, separators=(",", ":"))
    turns = sum(len(d["moves"]) for d in data.values())
    print(f"recorded {len(data)} cases, {turns} batch turns -> {FIXTURE} ({FIXTURE.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
