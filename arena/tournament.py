"""Tournaments: schedule many seeded games among bot specs, play them, rate the bots.

- **Entrants**: bot specs, optionally labelled ``label=SPEC`` (``new=mybot.py:policy``); the same
  spec may enter twice (self-play: the second is shown as ``spec#2``).
- **Schedule**: ``games`` free-for-alls of ``players_per_game`` seats (4 by default; every bot
  when there are fewer).  With more bots than seats the games cycle through all combinations
  (in a seeded order), rotating the seats each cycle, so every bot meets every other equally.
  Game ``i`` has seed ``seed * 1_000_000 + i`` and id ``t{seed}-{i}``, and its seats depend only
  on ``i``: rerunning (or resuming, or extending with a larger ``games``) a tournament replays
  the same games, whatever the number of workers.  The schedule is generated lazily.
- **Execute**: in this process (``workers=1``), on worker processes or as Ray tasks
  (``arena.executors``); each game loads its players from the specs (strings travel to
  workers; processes and sockets do not).
- **Rate**: OpenSkill's Plackett-Luce model, fed each game's placements (snakes that died on the
  same turn share a rank), in game order rather than completion order (``arena.standings``).
- **Keep**: with ``out_dir``, every finished game is appended to ``results.jsonl`` at once (in
  completion order, one line each); ``resume`` reads it back (a torn last line is dropped and
  its game replayed) and plays only the games still missing.  ``tournament.json`` names the
  tournament a folder holds, so a folder is never silently reused for a different one.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from arena import jsonio
from arena.engine import Engine
from arena.executors import Failure, executor
from arena.game_choice import checked_engine
from arena.lockstep import Lockstep
from arena.match import Match, MatchConfig, MatchOutcome
from arena.players.base import Player
from arena.standings import Leaderboard, Standing

__all__ = ["GameJob", "GameRecord", "Leaderboard", "Standing", "TournamentConfig", "TournamentInterrupted",
           "entrants", "entrant_names", "jobs", "play_game", "play_games", "run_tournament", "schedule"]

FORMAT = "snek-tournament/1"
RESULTS = "results.jsonl"
LOCKSTEP = 16  # games a worker plays side by side when every bot runs inline (``arena.lockstep``)
UNIT = 4 * LOCKSTEP  # games handed to a worker at once: finished slots are refilled from these
IDENTITY = "tournament.json"
_LABEL = re.compile(r"^([A-Za-z_][\w.-]*)=(.+)$")


@dataclass
class TournamentConfig:
    bots: list[str]  # specs, or label=SPEC
    games: int = 200
    players_per_game: int = 4
    rules: MatchConfig = field(default_factory=MatchConfig)  # ruleset, board, settings, limits of every game
    seed: int = 0
    workers: int = 1
    out_dir: Path | None = None  # replays (game-00000.jsonl.gz ...), results.jsonl, reports
    resume: bool = False  # continue the tournament in out_dir instead of refusing a used folder
    backend: str = "local"  # local (this process or worker processes) | ray
    address: str | None = None  # Ray cluster address (auto, ray://host:10001); None starts a local one

    @property
    def seats(self) -> int:
        return min(self.players_per_game, len(self.bots))

    def check(self) -> None:
        """Every mistake that does not need a bot to run: fails before any game starts."""
        entrants(self.bots)
        if len(self.bots) < 2 and Engine(self.rules.ruleset).ruleset.min_snakes > 1:
            raise ValueError("a tournament needs at least two bots")
        if self.games < 1 or self.workers < 1 or self.rules.timeout_ms < 1 or self.rules.max_turns < 1:
            raise ValueError("--games, --workers, --timeout and --max-turns must be positive")
        if not 1 <= self.players_per_game <= 16:
            raise ValueError("players per game must be between 1 and 16")
        if self.backend not in ("local", "ray"):
            raise ValueError(f"unknown backend {self.backend!r} (local or ray)")
        if self.resume and not self.out_dir:
            raise ValueError("--resume needs the --out-dir of the tournament to continue")
        checked_engine(self.rules, self.seats)  # bad rules fail before any game

    def identity(self) -> dict:
        """What makes two runs the same tournament (not the game count: more games extend it)."""
        names, specs = entrants(self.bots)
        rules = {**asdict(self.rules), "seed": None, "game_id": None}
        if rules["map"] is None:  # tournaments from before maps keep their identity (and resume)
            del rules["map"]
        return {"format": FORMAT, "bots": [{"name": n, "spec": s} for n, s in zip(names, specs)],
                "players_per_game": self.seats, "seed": self.seed,
                "rules": rules}


class TournamentInterrupted(KeyboardInterrupt):
    """Ctrl-C: ``board`` holds the games rated so far, ``saved`` how many are kept on disk."""

    def __init__(self, board: Leaderboard, saved: int) -> None:
        super().__init__(f"interrupted after {saved} games")
        self.board, self.saved = board, saved


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
    """One game's outcome, per seat: one line of results.jsonl (plus ``names``)."""

    index: int
    seed: int
    seats: list[int]
    ranks: list[int]  # placement per seat (1 = best; equal outcomes share a rank)
    winner: int | None  # entrant index
    turns: int
    errors: list[int]  # moves per seat that came back with an error (timeouts included)
    seconds: float
    lengths: list[int] = field(default_factory=list)  # length at the end (or at death)
    survived: list[int] = field(default_factory=list)  # turns alive
    deaths: list[str | None] = field(default_factory=list)  # death cause, None if alive at the end
    timeouts: list[int] = field(default_factory=list)
    latency: list[dict] = field(default_factory=list)  # {"n", "sum" (ms), "hist": [[bin, count]]}, see standings
    failed: str | None = None  # the game could not be played (twice): why


def entrants(bots: list[str]) -> tuple[list[str], list[str]]:
    """(display names, specs): ``label=SPEC`` gives a name; a repeated unlabelled spec is numbered."""
    names, specs, seen = [], [], {}
    for bot in bots:
        match = _LABEL.match(bot.strip())
        label, spec = (match.group(1), match.group(2).strip()) if match else (None, bot.strip())
        if label is None:
            seen[spec] = seen.get(spec, 0) + 1
            label = spec if seen[spec] == 1 else f"{spec}#{seen[spec]}"
        if label in names:
            raise ValueError(f"two bots are named {label!r}: give them different labels (label=SPEC)")
        names.append(label)
        specs.append(spec)
    return names, specs


def entrant_names(bots: list[str]) -> list[str]:
    return entrants(bots)[0]


class Schedule:
    """Seats of game ``i`` (entrant indices), computed on demand: all combinations in turn, rotated per cycle."""

    def __init__(self, entrants: int, per_game: int, seed: int) -> None:
        self.k = min(per_game, entrants)
        self.combos = list(itertools.combinations(range(entrants), self.k))
        random.Random(seed).shuffle(self.combos)

    def __getitem__(self, i: int) -> list[int]:
        combo = list(self.combos[i % len(self.combos)])
        turn = (i // len(self.combos)) % self.k
        return combo[turn:] + combo[:turn]


def schedule(entrants: int, games: int, per_game: int, seed: int) -> list[list[int]]:
    plan = Schedule(entrants, per_game, seed)
    return [plan[i] for i in range(games)]


def job(config: TournamentConfig, i: int, plan: Schedule | None = None) -> GameJob:
    names, specs = entrants(config.bots)
    seats = (plan or Schedule(len(specs), config.players_per_game, config.seed))[i]
    match = replace(config.rules, settings=dict(config.rules.settings), seed=config.seed * 1_000_000 + i,
                    game_id=f"t{config.seed}-{i}")
    out = str(Path(config.out_dir) / f"game-{i:05d}.jsonl.gz") if config.out_dir else None
    return GameJob(i, seats, [specs[e] for e in seats], [names[e] for e in seats], match, out)


def jobs(config: TournamentConfig, skip: set[int] | frozenset = frozenset()) -> Iterator[GameJob]:
    """Every scheduled game not in ``skip``, lazily."""
    plan = Schedule(len(config.bots), config.players_per_game, config.seed)
    return (job(config, i, plan) for i in range(config.games) if i not in skip)


def game_record(job: GameJob, outcome: MatchOutcome, seconds: float) -> GameRecord:
    """The record of a played game: placements from its result, counts from its answers (``outcome.stats``)
    and lengths and deaths from its last frame."""
    rank_of = {p["id"]: p["rank"] for p in outcome.result["placements"]}
    ids = [p["id"] for p in outcome.header["players"]]
    winner = outcome.result.get("winner")
    turns = outcome.result["turns"]
    snakes = outcome.final["snakes"]
    deaths = [snake["death"] for snake in snakes]
    stats = outcome.stats
    return GameRecord(
        index=job.index, seed=job.config.seed, seats=job.seats, ranks=[rank_of[i] for i in ids],
        winner=job.seats[ids.index(winner)] if winner in ids else None, turns=turns,
        errors=stats.errors, seconds=round(seconds, 3), lengths=[len(snake["body"]) for snake in snakes],
        survived=[d["turn"] if d else turns for d in deaths], deaths=[d["cause"] if d else None for d in deaths],
        timeouts=stats.timeouts, latency=stats.latency(),
    )


def load_players(job: GameJob) -> list[Player]:
    from arena.players.spec import load_player

    players = []
    try:
        for spec, name in zip(job.specs, job.names):
            players.append(load_player(spec, name=name))
    except BaseException:
        for player in players:
            player.close()
        raise
    return players


def play_game(job: GameJob) -> GameRecord:
    """Play one scheduled game (in a worker process or in this one)."""
    began = time.perf_counter()
    outcome = Match(load_players(job), job.config, job.out, follow=False).run()
    return game_record(job, outcome, time.perf_counter() - began)


def play_games(jobs: list[GameJob]) -> Iterator[tuple[GameJob, GameRecord]]:
    """Play scheduled games of one tournament side by side (``arena.lockstep``), up to ``LOCKSTEP``
    at a time; yields each game's record as it finishes.  Every record is the one ``play_game`` gives."""
    if len(jobs) == 1:
        yield jobs[0], play_game(jobs[0])
        return
    began: dict[int, float] = {}

    def open_match(job: GameJob, table) -> Match:
        began[job.index] = time.perf_counter()
        return Match(load_players(job), job.config, job.out, table=table, follow=False)

    lockstep = Lockstep(jobs[0].config, len(jobs[0].seats), min(len(jobs), LOCKSTEP))
    for job, outcome in lockstep.run(jobs, open_match):
        yield job, game_record(job, outcome, time.perf_counter() - began.pop(job.index))


def failed_record(job: GameJob, reason: str) -> GameRecord:
    n = len(job.seats)
    return GameRecord(index=job.index, seed=job.config.seed, seats=job.seats, ranks=[], winner=None, turns=0,
                      errors=[0] * n, seconds=0.0, failed=reason)


def validate_specs(specs: list[str]) -> bool:
    """Load every spec once (an HTTP snake must answer ``GET /``) so a typo fails before any game.
    True when every bot runs inline: then games can be played side by side (``play_games``)."""
    from arena.players.spec import load_player

    inline = True
    for spec in dict.fromkeys(specs):
        player = load_player(spec)
        inline = inline and player.inline
        player.close()
    return inline


def games_per_unit(inline: bool, games: int, workers: int) -> int:
    """How many games a worker is handed at once: several only when every bot runs inline (no bot
    needs a thread or a process of its own), and few enough that every worker gets some."""
    return max(1, min(UNIT, games // (2 * workers))) if inline else 1


def record_line(record: GameRecord, names: list[str]) -> str:
    fields_of = {f.name: getattr(record, f.name) for f in fields(GameRecord)}  # asdict's deep copy is slow
    return jsonio.dumps_text({**fields_of, "names": [names[e] for e in record.seats]}, newline=True)


def read_results(path: Path) -> tuple[list[GameRecord], int]:
    """The records in a results.jsonl and the byte length of its intact part.

    A last line cut short (the process was killed mid-write) is left out, so its game is played
    again; damage anywhere else is an error, never silently skipped.
    """
    keys = {f.name for f in fields(GameRecord)}
    data = path.read_bytes()
    complete, newline, torn = data.rpartition(b"\n")  # a write cut short never reaches its newline
    records = []
    for number, line in enumerate(complete.split(b"\n") if newline else [], 1):
        if not line.strip():
            continue
        try:
            obj = jsonio.loads(line)
            records.append(GameRecord(**{k: v for k, v in obj.items() if k in keys}))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{path} line {number} is damaged ({type(exc).__name__}): "
                             "remove that line to resume") from None
    return records, len(data) - len(torn)


def open_results(config: TournamentConfig) -> tuple[dict[int, GameRecord], object]:
    """Prepare ``out_dir``: records already played (when resuming) and results.jsonl open for appending."""
    out = Path(config.out_dir)
    identity_path, results_path = out / IDENTITY, out / RESULTS
    identity = config.identity()
    held = None
    if identity_path.exists():
        try:
            held = json.loads(identity_path.read_text(encoding="utf-8"))
        except ValueError:
            raise ValueError(f"{identity_path} is damaged: choose another --out-dir") from None
        held.pop("games", None)
    if held is not None and held != identity:
        raise ValueError(f"{out} holds a different tournament (bots, rules, seed or seats differ): "
                         "choose another --out-dir")
    if held is None and results_path.exists():
        raise ValueError(f"{out} holds results of an unknown tournament: choose another --out-dir")
    if config.resume and held is None:
        raise ValueError(f"nothing to resume in {out}: no {IDENTITY} (run without --resume to start)")
    out.mkdir(parents=True, exist_ok=True)
    done: dict[int, GameRecord] = {}
    if config.resume and results_path.exists():
        records, good = read_results(results_path)
        for record in records:
            done.setdefault(record.index, record)
        with open(results_path, "r+b") as handle:
            handle.truncate(good)
    elif results_path.exists():
        results_path.unlink()  # the same tournament started afresh
    identity_path.write_text(json.dumps({**identity, "games": config.games}, indent=1) + "\n", encoding="utf-8")
    return done, open(results_path, "a", encoding="utf-8")


def run_tournament(config: TournamentConfig,
                   on_game: Callable[[GameRecord, Leaderboard], None] | None = None) -> Leaderboard:
    """Play every scheduled game and return the final leaderboard; ``on_game`` sees each rated game.

    Ctrl-C raises ``TournamentInterrupted`` (a KeyboardInterrupt) once the games in flight have
    closed their bots; every finished game is in results.jsonl by then.
    """
    config.check()
    names, specs = entrants(config.bots)
    inline = validate_specs(specs)
    board = Leaderboard(names, specs)
    done: dict[int, GameRecord] = {}  # finished, not yet rated (rating goes in game order)
    results = None
    if config.out_dir:
        done, results = open_results(config)
    played = set(done)
    pool = None
    saved = sum(1 for i in done if i < config.games)
    next_index = 0

    def rate_ready() -> None:
        nonlocal next_index
        while next_index < config.games and next_index in done:
            record = done.pop(next_index)
            board.add(record)
            if on_game:
                on_game(record, board)
            next_index += 1

    try:
        rate_ready()
        pool = executor(config.backend, config.workers, config.address)
        unit = games_per_unit(inline, config.games - len(played), config.workers)
        for game, result in pool.run(jobs(config, skip=played), play_games, unit):
            record = failed_record(game, result.reason) if isinstance(result, Failure) else result
            done[record.index] = record
            if results:
                results.write(record_line(record, names))
                results.flush()  # one line per game, on disk before the next one is rated
            saved += 1
            rate_ready()
    except KeyboardInterrupt:
        raise TournamentInterrupted(board, saved) from None
    finally:
        if pool is not None:
            pool.close()
        if results:
            results.close()
    if config.out_dir:
        from arena.report import write_reports

        write_reports(config, board)
    return board
