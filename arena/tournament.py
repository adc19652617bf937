"""Tournaments: schedule many seeded games among bot specs, play them, rate the bots.

- **Schedule**: ``games`` free-for-alls of ``players_per_game`` seats (4 by default; every bot
  when there are fewer).  With more bots than seats the games cycle through all combinations
  (in a seeded order), rotating the seats each cycle, so every bot meets every other equally.
  Game ``i`` has seed ``seed * 1_000_000 + i`` and id ``t{seed}-{i}``: rerunning a tournament
  replays the same games, whatever the number of workers.
- **Execute**: in this process (``workers=1``) or a pool of worker processes; each game loads its
  players from the specs (strings travel to workers; processes and sockets do not).
  Ray is not wired in: a Ray executor would submit the same ``play_game`` jobs as remote tasks;
  with no Ray on our machines the process pool is the one that is tested.
- **Rate**: OpenSkill's Plackett-Luce model, fed each game's placements (snakes that died on the
  same turn share a rank).  Results are rated in schedule order, not completion order, so the
  ratings are deterministic too.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from openskill.models import PlackettLuce

from arena.engine import Engine
from arena.match import Match, MatchConfig


@dataclass
class TournamentConfig:
    bots: list[str]
    games: int = 200
    players_per_game: int = 4
    rules: MatchConfig = field(default_factory=MatchConfig)  # ruleset, board, settings, limits of every game
    seed: int = 0
    workers: int = 1
    out_dir: Path | None = None  # replays (game-00000.jsonl.gz ...) and results.jsonl

    def check(self) -> None:
        if len(self.bots) < 2 and Engine(self.rules.ruleset).ruleset.min_snakes > 1:
            raise ValueError("a tournament needs at least two bots")
        if self.games < 1 or self.workers < 1 or self.rules.timeout_ms < 1 or self.rules.max_turns < 1:
            raise ValueError("--games, --workers, --timeout and --max-turns must be positive")
        if not 1 <= self.players_per_game <= 16:
            raise ValueError("players per game must be between 1 and 16")
        r = self.rules
        Engine(r.ruleset, r.width, r.height, r.settings)  # bad rules fail before any game


@dataclass
class GameJob:
    index: int
    seats: list[int]  # entrant index per seat
    specs: list[str]
    names: list[str]
    config: MatchConfig
    out: str | None


@dataclass
class GameRecord:
    index: int
    seed: int
    seats: list[int]
    ranks: list[int]  # placement per seat (1 = best; equal outcomes share a rank)
    winner: int | None  # entrant index
    turns: int
    errors: list[int]  # moves per seat that came back with an error
    seconds: float


def entrant_names(specs: list[str]) -> list[str]:
    """Display names: the spec itself (built-in name, file, command, URL), numbered if repeated."""
    names, seen = [], {}
    for spec in specs:
        seen[spec] = seen.get(spec, 0) + 1
        names.append(spec if seen[spec] == 1 else f"{spec}#{seen[spec]}")
    return names


def schedule(entrants: int, games: int, per_game: int, seed: int) -> list[list[int]]:
    """Seat lists (entrant indices) for every game: all combinations in turn, seats rotated per cycle."""
    k = min(per_game, entrants)
    combos = list(itertools.combinations(range(entrants), k))
    random.Random(seed).shuffle(combos)
    out = []
    for i in range(games):
        combo = list(combos[i % len(combos)])
        turn = (i // len(combos)) % k
        out.append(combo[turn:] + combo[:turn])
    return out


def jobs(config: TournamentConfig) -> Iterator[GameJob]:
    names = entrant_names(config.bots)
    for i, seats in enumerate(schedule(len(config.bots), config.games, config.players_per_game, config.seed)):
        match = replace(config.rules, settings=dict(config.rules.settings), seed=config.seed * 1_000_000 + i,
                        game_id=f"t{config.seed}-{i}")
        out = str(Path(config.out_dir) / f"game-{i:05d}.jsonl.gz") if config.out_dir else None
        yield GameJob(i, seats, [config.bots[e] for e in seats], [names[e] for e in seats], match, out)


def play_game(job: GameJob) -> GameRecord:
    """Play one scheduled game (in a worker process or in this one)."""
    from arena.players.spec import load_player

    began = time.perf_counter()
    players = []
    try:
        for spec, name in zip(job.specs, job.names):
            players.append(load_player(spec, name=name))
    except BaseException:
        for player in players:
            player.close()
        raise
    errors = [0] * len(players)

    def count_errors(frame: dict) -> None:
        for seat, snake in enumerate(frame["snakes"]):
            errors[seat] += bool(snake.get("error"))

    outcome = Match(players, job.config, job.out, on_frame=count_errors, keep_frames=False).run()
    rank_of = {p["id"]: p["rank"] for p in outcome.result["placements"]}
    ids = [p["id"] for p in outcome.header["players"]]
    winner = outcome.result.get("winner")
    return GameRecord(
        index=job.index, seed=job.config.seed, seats=job.seats, ranks=[rank_of[i] for i in ids],
        winner=job.seats[ids.index(winner)] if winner in ids else None, turns=outcome.result["turns"],
        errors=errors, seconds=round(time.perf_counter() - began, 3),
    )


@dataclass
class Standing:
    name: str
    mu: float
    sigma: float
    ordinal: float
    games: int
    wins: int
    avg_place: float
    errors: int


class Leaderboard:
    """OpenSkill ratings plus plain counts, updated one game record at a time."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.model = PlackettLuce()
        self.ratings = [self.model.rating(name=n) for n in names]
        self.games = [0] * len(names)
        self.wins = [0] * len(names)
        self.place_sum = [0] * len(names)
        self.errors = [0] * len(names)
        self.played = 0

    def add(self, record: GameRecord) -> None:
        teams = [[self.ratings[e]] for e in record.seats]
        if len(teams) > 1:
            rated = self.model.rate(teams, ranks=[float(r) for r in record.ranks])
            for e, team in zip(record.seats, rated):
                self.ratings[e] = team[0]
        for e, rank, errors in zip(record.seats, record.ranks, record.errors):
            self.games[e] += 1
            self.place_sum[e] += rank
            self.errors[e] += errors
        if record.winner is not None:
            self.wins[record.winner] += 1
        self.played += 1

    def standings(self) -> list[Standing]:
        """Best first (by ordinal, the conservative mu - 3 sigma)."""
        rows = [Standing(n, r.mu, r.sigma, r.ordinal(), g, w, p / g if g else 0.0, err)
                for n, r, g, w, p, err in zip(self.names, self.ratings, self.games, self.wins,
                                             self.place_sum, self.errors)]
        return sorted(rows, key=lambda s: s.ordinal, reverse=True)


def validate_specs(specs: list[str]) -> None:
    """Load every spec once so a typo fails before hundreds of games start."""
    from arena.players.spec import load_player

    for spec in dict.fromkeys(specs):
        load_player(spec).close()


def run_tournament(config: TournamentConfig,
                   on_game: Callable[[GameRecord, Leaderboard], None] | None = None) -> Leaderboard:
    """Play every scheduled game and return the final leaderboard; ``on_game`` sees each rated game."""
    config.check()
    validate_specs(config.bots)
    board = Leaderboard(entrant_names(config.bots))
    results = None
    if config.out_dir:
        Path(config.out_dir).mkdir(parents=True, exist_ok=True)
        results = open(Path(config.out_dir) / "results.jsonl", "w", encoding="utf-8")

    def rate(record: GameRecord) -> None:
        board.add(record)
        if results:
            results.write(json.dumps({**asdict(record), "names": [board.names[e] for e in record.seats]}) + "\n")
            results.flush()
        if on_game:
            on_game(record, board)

    try:
        if config.workers == 1:
            for job in jobs(config):
                rate(play_game(job))
        else:
            run_pool(config, rate)
    finally:
        if results:
            results.close()
    return board


def run_pool(config: TournamentConfig, rate: Callable[[GameRecord], None]) -> None:
    """Play games on worker processes, at most ``2 * workers`` in flight; rate them in order."""
    pending = iter(jobs(config))
    finished: dict[int, GameRecord] = {}
    next_index = 0
    # fork: workers start without re-importing the caller's main module (scripts need no guard);
    # they only ever run play_game, which starts its own threads and processes afresh.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=config.workers, mp_context=context) as pool:
        running: set[Future] = set()
        try:
            while True:
                while len(running) < 2 * config.workers and (job := next(pending, None)) is not None:
                    running.add(pool.submit(play_game, job))
                if not running:
                    break
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    record = future.result()
                    finished[record.index] = record
                while next_index in finished:
                    rate(finished.pop(next_index))
                    next_index += 1
        except BaseException:
            for future in running:
                future.cancel()
            raise
