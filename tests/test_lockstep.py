"""Games played side by side on one engine batch (``arena.lockstep``) are exactly the games played
alone: the same frames, results and tournament records, with games ending at different turns (some
decided, some cut at max_turns) and finished slots refilled with new games."""

from __future__ import annotations

import gzip
import re
from dataclasses import asdict
from pathlib import Path

import pytest

from arena.lockstep import Lockstep
from arena.match import Match, MatchConfig, run_match
from arena.players import PythonPlayer, builtin_player
from arena.registry import resolve_bot
from arena.replay import read_replay
from arena.tournament import TournamentConfig, jobs, play_game, play_games

LINEUP = ("safe", "random", "greedy", "safe")
RULES = MatchConfig(max_turns=90, timeout_ms=20_000)  # no timeouts even under load: the same games


CLOCK = re.compile(rb'"latency_ms":[0-9.]+')


def without_clock(frames: list[dict]) -> list[dict]:
    return [{**f, "snakes": [{k: v for k, v in s.items() if k != "latency_ms"} for s in f["snakes"]]} for f in frames]


def config(seed: int) -> MatchConfig:
    return MatchConfig(**{**asdict(RULES), "seed": seed, "game_id": f"g{seed}"})


def test_lockstep_games_equal_games_played_alone() -> None:
    seeds = list(range(40, 51))
    alone = {s: run_match([builtin_player(b) for b in LINEUP], config(s), keep_frames=True) for s in seeds}
    lockstep = Lockstep(RULES, seats=len(LINEUP), width=3)  # 11 games through 3 slots: slots are refilled

    def open_match(seed: int, table) -> Match:
        return Match([builtin_player(b) for b in LINEUP], config(seed), keep_frames=True, table=table)

    together = dict(lockstep.run(seeds, open_match))
    assert sorted(together) == seeds
    turns = [alone[s].result["turns"] for s in seeds]
    assert len(set(turns)) > 3 and max(turns) == RULES.max_turns and min(turns) < RULES.max_turns
    for s in seeds:
        assert together[s].header == alone[s].header
        assert without_clock(together[s].frames) == without_clock(alone[s].frames), s
        assert together[s].result == alone[s].result


@pytest.mark.parametrize("ruleset", ["royale", "wrapped", "constrictor", "classic"])
def test_lockstep_equals_alone_in_other_rulesets(ruleset: str) -> None:
    rules = MatchConfig(ruleset=ruleset, max_turns=60, timeout_ms=20_000)
    made = lambda seed: MatchConfig(**{**asdict(rules), "seed": seed, "game_id": f"g{seed}"})  # noqa: E731
    seeds = list(range(5))
    alone = {s: run_match([builtin_player(b) for b in LINEUP], made(s), keep_frames=True) for s in seeds}
    together = dict(Lockstep(rules, seats=len(LINEUP), width=2).run(seeds, lambda s, table: Match(
        [builtin_player(b) for b in LINEUP], made(s), keep_frames=True, table=table)))
    assert sorted(together) == seeds
    for s in seeds:
        assert without_clock(together[s].frames) == without_clock(alone[s].frames), (ruleset, s)
        assert together[s].result == alone[s].result


def test_play_games_records_and_replays_equal_play_game(tmp_path: Path) -> None:
    def scheduled(out: Path) -> list:
        return list(jobs(TournamentConfig(bots=list(LINEUP), games=10, seed=5, rules=RULES, out_dir=out)))

    alone = {job.index: play_game(job) for job in scheduled(tmp_path / "alone")}
    together = {job.index: record for job, record in play_games(scheduled(tmp_path / "together"))}
    assert sorted(together) == sorted(alone) == list(range(10))
    clock = {"seconds", "latency"}
    for i, record in alone.items():
        assert {k: v for k, v in asdict(together[i]).items() if k not in clock} == \
               {k: v for k, v in asdict(record).items() if k not in clock}
        assert [seat["n"] for seat in together[i].latency] == [seat["n"] for seat in record.latency]
        name = f"game-{i:05d}.jsonl.gz"
        a, b = read_replay(tmp_path / "alone" / name), read_replay(tmp_path / "together" / name)
        assert (a.header, without_clock(a.frames), a.result) == (b.header, without_clock(b.frames), b.result)
        # the lines themselves (written from the arrays together, from frame dicts alone), but the clock's digits
        lines = [CLOCK.sub(b'"latency_ms":0', gzip.open(tmp_path / d / name).read()).split(b"\n")
                 for d in ("alone", "together")]
        assert lines[0] == lines[1] and len(lines[0]) == len(a.frames) + 3
        assert [[type(s["latency_ms"]) for s in f["snakes"]] for f in b.frames] == \
               [[type(s["latency_ms"]) for s in f["snakes"]] for f in a.frames]


def batching_player(name: str, answer_batch) -> PythonPlayer:
    """A built-in bot (inline, reading views) whose batched answer is replaced by ``answer_batch``."""
    bot = resolve_bot(name)
    policy = lambda state: bot(state)  # noqa: E731 - a fresh function object to hang the answers on
    policy.answer_view, policy.answer_batch = bot.answer_view, answer_batch
    return PythonPlayer(policy, name=name, inline=True)


def broken(asked) -> list[int]:
    raise RuntimeError("batched answer broke")


@pytest.mark.parametrize("answer_batch", [broken, lambda asked: [0] * (len(asked.keys) + 1)],
                         ids=["raises", "too-many-moves"])
def test_a_failing_batched_answer_falls_back_to_asking_seat_by_seat(answer_batch) -> None:
    """A batched call that raises or answers the wrong number of moves is discarded: those games ask
    their seats one by one, and play exactly the games played alone, without an error."""
    seeds = list(range(6))
    alone = {s: run_match([builtin_player(b) for b in LINEUP], config(s), keep_frames=True) for s in seeds}
    made = []

    def open_match(seed: int, table) -> Match:
        players = [batching_player(b, answer_batch) if b == "greedy" else builtin_player(b) for b in LINEUP]
        made.extend(players)
        return Match(players, config(seed), keep_frames=True, table=table)

    together = dict(Lockstep(RULES, seats=len(LINEUP), width=3).run(seeds, open_match))
    assert all(p.batch_answer is not None for p in made)  # asked in batches (and failed) every turn
    for s in seeds:
        assert without_clock(together[s].frames) == without_clock(alone[s].frames), s
        assert not any(snake["error"] for f in together[s].frames for snake in f["snakes"])


def test_a_bot_that_crashes_batched_and_alone_records_its_crash_per_seat() -> None:
    def crashing_view(view) -> str:
        raise RuntimeError("no move")

    def open_match(seed: int, table) -> Match:
        player = batching_player("safe", broken)
        player._answer_view = crashing_view
        return Match([player, builtin_player("safe")], config(seed), keep_frames=True, table=table)

    outcomes = dict(Lockstep(RULES, seats=2, width=2).run([1, 2], open_match))
    for outcome in outcomes.values():
        errors = [f["snakes"][0]["error"] for f in outcome.frames[1:]]
        assert errors and all(e == "crash: RuntimeError: no move" for e in errors)
        assert outcome.stats.errors[0] == len(errors) and outcome.stats.errors[1] == 0
