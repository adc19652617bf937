"""Games played side by side on one engine batch (``arena.lockstep``) are exactly the games played
alone: the same frames, results and tournament records, with games ending at different turns (some
decided, some cut at max_turns) and finished slots refilled with new games."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from arena.lockstep import Lockstep
from arena.match import Match, MatchConfig, run_match
from arena.players import builtin_player
from arena.replay import read_replay
from arena.tournament import TournamentConfig, jobs, play_game, play_games

LINEUP = ("safe", "random", "greedy", "safe")
RULES = MatchConfig(max_turns=90, timeout_ms=20_000)  # no timeouts even under load: the same games


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
        name = f"game-{i:05d}.jsonl.gz"
        a, b = read_replay(tmp_path / "alone" / name), read_replay(tmp_path / "together" / name)
        assert (a.header, without_clock(a.frames), a.result) == (b.header, without_clock(b.frames), b.result)
