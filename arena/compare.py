"""`snek compare A B`: is A stronger than B?  Paired games and a sequential test that stops when clear.

Games come in pairs on one seed: A and B swap seats (and so start positions) between the two
games, and any other seats are held by a fixed field in the same places.  A game scores 1 for A
if A placed better than B, 1/2 if they tied, 0 otherwise; a pair is one of five outcomes
(0, 1/2, 1, 3/2, 2), the pentanomial counts that ``arena.sprt`` tests after every pair.

Pairs are judged strictly in pair order, whatever order the workers finish them in, and the test
stops at the first pair where the LLR leaves its bounds: the verdict and the number of games are
the same for any worker count or backend.  A pair with a failed game is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from arena.executors import Failure, executor
from arena.game_choice import checked_engine
from arena.match import MatchConfig
from arena.sprt import SprtState, sprt
from arena.tournament import GameJob, GameRecord, entrants, games_per_unit, play_games, validate_specs


@dataclass
class CompareConfig:
    a: str  # spec, or label=SPEC
    b: str
    players: int = 2
    field_bots: list[str] = field(default_factory=list)  # specs for the other players - 2 seats (--field)
    rules: MatchConfig = field(default_factory=MatchConfig)
    seed: int = 0
    max_games: int = 1000
    elo0: float = 0.0
    elo1: float = 20.0
    alpha: float = 0.05
    beta: float = 0.05
    workers: int = 1
    out_dir: Path | None = None  # replays of every game played
    backend: str = "local"
    address: str | None = None

    def check(self) -> None:
        entrants([self.a, self.b, *self.field_bots])
        if self.players < 2 or self.players > 16:
            raise ValueError("--players must be between 2 and 16")
        if len(self.field_bots) != self.players - 2:
            raise ValueError(f"--players {self.players} needs --field with {self.players - 2} bot(s) "
                             f"(got {len(self.field_bots)})")
        if self.max_games < 2 or self.workers < 1:
            raise ValueError("--max-games must be at least 2 (one pair) and --workers positive")
        sprt([0] * 5, self.elo0, self.elo1, self.alpha, self.beta)  # bad bounds fail here
        checked_engine(self.rules, self.players)


@dataclass
class Comparison:
    """Where the comparison stands after ``pairs`` complete pairs (A's view)."""

    names: tuple[str, str]
    counts: list[int]  # pentanomial: pairs scoring 0, 1/2, 1, 3/2, 2 for A
    wins: int = 0  # games: A ahead of B, tied, behind
    draws: int = 0
    losses: int = 0
    failed_pairs: int = 0
    state: SprtState | None = None
    stopped_early: bool = False

    @property
    def pairs(self) -> int:
        return sum(self.counts)

    @property
    def games(self) -> int:
        return 2 * self.pairs

    def verdict(self, elo0: float) -> str:
        a = self.names[0]
        decision = self.state.decision if self.state else None
        if decision == "H1":
            return f"{a} is stronger"
        if self.state and self.state.elo_high < elo0:
            return f"{a} is weaker"
        return "no difference found"


def score(record: GameRecord) -> float:
    """A's score in one game: entrant 0 is A, entrant 1 is B."""
    rank = {e: r for e, r in zip(record.seats, record.ranks)}
    return 1.0 if rank[0] < rank[1] else 0.5 if rank[0] == rank[1] else 0.0


def pair_jobs(config: CompareConfig, names: list[str], specs: list[str]):
    others = list(range(2, 2 + len(config.field_bots)))
    for pair in range(config.max_games // 2):
        seed = config.seed * 1_000_000 + pair
        for half, seats in enumerate(([0, 1, *others], [1, 0, *others])):
            game_id = f"c{config.seed}-{pair}{'ab'[half]}"
            match = replace(config.rules, settings=dict(config.rules.settings), seed=seed, game_id=game_id)
            out = str(Path(config.out_dir) / f"{game_id}.jsonl.gz") if config.out_dir else None
            yield GameJob(2 * pair + half, seats, [specs[e] for e in seats], [names[e] for e in seats], match, out)


def run_compare(config: CompareConfig, on_pair: Callable[[Comparison], None] | None = None) -> Comparison:
    """Play pairs until the SPRT decides or ``max_games``; ``on_pair`` sees the state after each pair."""
    config.check()
    names, specs = entrants([config.a, config.b, *config.field_bots])
    unit = games_per_unit(validate_specs(specs), config.max_games, config.workers)
    result = Comparison((names[0], names[1]), [0] * 5)
    finished: dict[int, GameRecord | Failure] = {}
    next_pair = 0
    pool = executor(config.backend, config.workers, config.address)
    try:
        for job, outcome in pool.run(pair_jobs(config, names, specs), play_games, unit):
            finished[job.index] = outcome
            while 2 * next_pair in finished and 2 * next_pair + 1 in finished:
                first, second = finished.pop(2 * next_pair), finished.pop(2 * next_pair + 1)
                next_pair += 1
                if isinstance(first, Failure) or isinstance(second, Failure) or first.failed or second.failed:
                    result.failed_pairs += 1
                    continue
                scores = (score(first), score(second))
                for s in scores:
                    result.wins += s == 1.0
                    result.draws += s == 0.5
                    result.losses += s == 0.0
                result.counts[int(2 * sum(scores))] += 1
                result.state = sprt(result.counts, config.elo0, config.elo1, config.alpha, config.beta)
                if on_pair:
                    on_pair(result)
                if result.state.decision:
                    result.stopped_early = True
                    return result
    finally:
        pool.close()
    return result
