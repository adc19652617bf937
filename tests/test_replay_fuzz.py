"""Hundreds of mutations of a real replay through `snek replay verify` (and `show`): every one ends in
a clear one-line error (exit 2), a MISMATCH (1), a verified prefix (3: a truncation) or the whole game (0) —
never a traceback, and never "OK" for a file whose moves, bodies, board or result differ from the game that was
played, or that stops short of it."""

from __future__ import annotations

import copy
import gzip
import json
import random
from collections import Counter
from pathlib import Path

import pytest
from replay_tools import lines_of, record_game
from typer.testing import CliRunner

from arena.cli import app
from arena.replay import read_replay
from arena.verify import RESULT_KEYS, state_of

RUNS = {"truncate": 40, "truncate-gz": 20, "flip": 90, "flip-gz": 20, "drop": 25, "duplicate": 25, "swap": 25,
        "wrong-type": 100, "huge": 25, "deep": 10, "markup": 10, "move": 20, "body": 20, "result": 20}
WRONG = [None, "x", "", 1.5, True, False, [], {}, -1, 0, 10**30, [1, 2], [[0, 0]], {"kind": "spawn"}, "[/]"]
HUGE = [10**9, 10**18, -(10**18), 1e308, 10**400, 2**63]
MARKUP = ["[/]", "[bold red]x", "[link=x]y[/link]", "]", "[", "[/bold]"]


@pytest.fixture(scope="module")
def game(tmp_path_factory) -> Path:
    """A short game stopped by the turn limit (so the result carries a reason too)."""
    return record_game(tmp_path_factory.mktemp("fuzz") / "game.jsonl.gz", seed=5, max_turns=30)


def meaning(replay) -> tuple:
    """Everything a replay claims about the game: what verify must vouch for when it says OK.

    Settings are left out: a changed setting the game never exercised (hazard damage on a board
    without hazards) re-simulates to the very same game, so that file is a true record too.
    """
    h = replay.header
    head = [h.get(k) for k in ("ruleset", "seed", "width", "height", "initial")]
    head.append([p["id"] for p in h["players"]])
    frames, previous = [], None
    for frame in replay.frames:
        moved = {s["id"] for s in previous["snakes"] if s["alive"]} if previous else set()
        frames.append((state_of(frame), {s["id"]: s.get("move") for s in frame["snakes"] if s["id"] in moved},
                       frame.get("events")))
        previous = frame
    result = {k: replay.result.get(k) for k in RESULT_KEYS} if replay.result else None
    return head, frames, result


def leaves(obj, path=()):
    """Paths to every value inside a parsed line."""
    yield path
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from leaves(value, (*path, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from leaves(value, (*path, i))


def put(obj, path, value):
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value


def dump(objs: list[dict]) -> bytes:
    return "".join(json.dumps(o, separators=(",", ":")) + "\n" for o in objs).encode()


def mutations(objs: list[dict], plain: bytes, packed: bytes):
    """(kind, file name suffix, bytes) for every mutation, from one seeded generator."""
    rng = random.Random(1234)
    lines = plain.splitlines(keepends=True)
    frames = [i for i, o in enumerate(objs) if o["type"] == "frame"]
    for _ in range(RUNS["truncate"]):
        yield "truncate", ".jsonl", plain[: rng.randrange(len(plain))]
    for _ in range(RUNS["truncate-gz"]):
        yield "truncate-gz", ".jsonl.gz", packed[: rng.randrange(len(packed))]
    for _ in range(RUNS["flip"]):
        data = bytearray(plain)
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        yield "flip", ".jsonl", bytes(data)
    for _ in range(RUNS["flip-gz"]):
        data = bytearray(packed)
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        yield "flip-gz", ".jsonl.gz", bytes(data)
    for _ in range(RUNS["drop"]):
        i = rng.randrange(len(lines))
        yield "drop", ".jsonl", b"".join(lines[:i] + lines[i + 1:])
    for _ in range(RUNS["duplicate"]):
        i = rng.randrange(len(lines))
        yield "duplicate", ".jsonl", b"".join(lines[:i + 1] + lines[i:])
    for _ in range(RUNS["swap"]):
        i, j = sorted(rng.sample(range(len(lines)), 2))
        swapped = list(lines)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        yield "swap", ".jsonl", b"".join(swapped)
    for kind, values in (("wrong-type", WRONG), ("huge", HUGE)):
        for _ in range(RUNS[kind]):
            mutated = copy.deepcopy(objs)
            line = rng.choice([0, 0, *frames[:3], rng.choice(frames), len(objs) - 1])
            path = rng.choice([p for p in leaves(mutated[line]) if p and p != ("type",)])
            put(mutated[line], path, rng.choice(values))
            yield kind, ".jsonl", dump(mutated)
    for _ in range(RUNS["deep"]):
        mutated = copy.deepcopy(objs)
        line = rng.choice([0, *frames[:3], len(objs) - 1])
        path = rng.choice([p for p in leaves(mutated[line]) if p and p != ("type",)])
        put(mutated[line], path, "@DEEP@")
        yield "deep", ".jsonl", dump(mutated).replace(b'"@DEEP@"', b"[" * 1000 + b"]" * 1000)
    for _ in range(RUNS["markup"]):
        mutated = copy.deepcopy(objs)
        mutated[0]["players"][rng.randrange(len(mutated[0]["players"]))]["name"] = rng.choice(MARKUP)
        mutated[rng.choice(frames)]["snakes"][0]["error"] = rng.choice(MARKUP)
        yield "markup", ".jsonl", dump(mutated)
    for kind in ("move", "body", "result"):
        for _ in range(RUNS[kind]):
            mutated = copy.deepcopy(objs)
            if kind == "result":
                result = mutated[-1]
                change = rng.choice(["winner", "turns", "rank", "death_turn", "reason"])
                if change == "winner":
                    result["winner"] = rng.choice([w for w in (None, *(p["id"] for p in mutated[0]["players"]))
                                                   if w != result["winner"]])
                elif change == "turns":
                    result["turns"] += rng.choice([-2, -1, 1, 5])
                elif change == "rank":
                    place = rng.choice(result["placements"])
                    place["rank"] = 1 + place["rank"] % len(result["placements"])
                elif change == "death_turn":
                    place = rng.choice(result["placements"])
                    place["death_turn"] = None if place["death_turn"] is not None else 3
                else:
                    result["reason"] = rng.choice([r for r in (None, "max-turns", "agent-eliminated")
                                                   if r != result.get("reason")])
            else:
                i = rng.choice(frames[1:])
                before = {s["id"] for s in mutated[i - 1]["snakes"] if s["alive"]}
                snake = rng.choice([s for s in mutated[i]["snakes"] if s["id"] in before])
                if kind == "move":
                    snake["move"] = rng.choice([m for m in ("up", "down", "left", "right") if m != snake["move"]])
                else:
                    point = rng.choice(snake["body"])
                    point[rng.randrange(2)] += rng.choice([-1, 1])
            assert mutated != objs
            yield kind, ".jsonl", dump(mutated)


def test_mutated_replays_never_crash_and_never_pass_when_changed(game: Path, tmp_path: Path) -> None:
    objs = lines_of(game)
    plain = dump(objs)
    packed = game.read_bytes()
    original = meaning(read_replay(game))
    runner = CliRunner()
    outcomes: Counter = Counter()
    by_kind: dict[str, Counter] = {}
    for n, (kind, suffix, data) in enumerate(mutations(objs, plain, packed)):
        path = tmp_path / f"m{n}{suffix}"
        path.write_bytes(data)
        out = runner.invoke(app, ["replay", "verify", str(path)])
        assert out.exception is None or isinstance(out.exception, SystemExit), \
            f"{kind} #{n}: {type(out.exception).__name__}: {out.exception}"
        text = out.output.strip()
        assert "Traceback" not in text and len(text.splitlines()) == 1, f"{kind} #{n}: {text!r}"
        outcome = {0: "ok", 3: "prefix", 1: "mismatch", 2: "error"}[out.exit_code]
        if outcome in ("ok", "prefix"):  # then it must be the game that was played (or, exit 3, a prefix of it)
            head, frames, result = meaning(read_replay(path))
            assert head == original[0], f"{kind} #{n}: header changed but verify says OK"
            assert frames == original[1][: len(frames)], f"{kind} #{n}: frames changed but verify says OK"
            if outcome == "ok":
                assert (result, frames) == (original[2], original[1]), f"{kind} #{n}: not the whole game, exit 0"
            else:
                assert result is None, f"{kind} #{n}: a result line, but exit 3"
        if kind == "markup":
            shown = runner.invoke(app, ["replay", "show", str(path), "--turn", "0"])
            assert shown.exit_code == 0 and shown.exception is None, shown.output
        outcomes[outcome] += 1
        by_kind.setdefault(kind, Counter())[outcome] += 1
        path.unlink()
    assert sum(outcomes.values()) == sum(RUNS.values())
    assert {k: sum(c.values()) for k, c in by_kind.items()} == RUNS
    for kind in ("move", "body", "result", "deep", "huge"):
        assert by_kind[kind]["ok"] == 0, f"{kind}: {by_kind[kind]}"
    assert by_kind["markup"] == {"ok": RUNS["markup"]}
    assert outcomes["prefix"] > 0  # truncations: verified as far as they go, never mistaken for the whole game
    rejected = outcomes["mismatch"] + outcomes["error"]
    assert rejected >= sum(RUNS[k] for k in ("move", "body", "result", "deep", "huge")) + 100, outcomes
    print(f"{sum(outcomes.values())} mutations: {dict(outcomes)}; {rejected} rejected")


def test_unreadable_inputs_are_bounded(tmp_path: Path) -> None:
    """A file cannot make the reader hang or fill memory: one line, one error."""
    runner = CliRunner()
    out = runner.invoke(app, ["replay", "verify", "/dev/zero"])
    assert out.exit_code == 2 and "longer than" in out.output
    header = {"type": "header", "format": "snek-replay/1", "game_id": "g", "ruleset": "standard", "settings": {},
              "seed": 0, "width": 11, "height": 11, "players": [{"id": "s0"}]}
    big = tmp_path / "food.jsonl"
    food = "[" + "[1,1]," * 10_000_000 + "[1,1]]"
    big.write_text(json.dumps(header) + '\n{"type":"frame","turn":0,"hazards":[],"snakes":[],"food":' + food + "}\n")
    assert big.stat().st_size > 50_000_000
    out = runner.invoke(app, ["replay", "verify", str(big)])
    assert out.exit_code == 2 and "line 2" in out.output
    wide = tmp_path / "wide.jsonl.gz"
    with gzip.open(wide, "wt") as handle:
        handle.write(json.dumps({**header, "width": 10**9}) + "\n")
    out = runner.invoke(app, ["replay", "show", str(wide)])
    assert out.exit_code == 2 and "width" in out.output
