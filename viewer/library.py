"""Stored games: the replay library (the ``--replays`` folder, uploads, finished rooms) and
tournament folders written by ``snek tournament --out-dir``.

A replay's id is its file name without ``.jsonl``/``.jsonl.gz``; a tournament game's id is
``<tournament>-game-NNNNN``.  Summaries are read once per file version (path, size, mtime), so
listing a big library stays cheap.  Uploads are checked by the same reader as every replay
(``arena.replay.read_replay``): an invalid file is refused with its one-line message.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import re
import shutil
import tempfile
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from arena.bs_import import SOURCE, BattlesnakeFileError, Imported, import_cli_game, write_imported
from arena.replay import Replay, ReplayError, dumps_replay, read_replay
from arena.tournament import GameRecord, Leaderboard

UPLOAD_LIMIT = 20 * 1024 * 1024  # bytes on the wire
UNPACKED_LIMIT = 200 * 1024 * 1024  # bytes after gunzip: no gzip bombs
TEXT_CACHE_CHARS = 64 * 1024 * 1024  # validated replay texts kept for repeated requests (watch pages, the board)
SUFFIXES = (".jsonl.gz", ".jsonl")
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def replay_id(path: Path) -> str:
    name = path.name
    return next((name[: -len(s)] for s in SUFFIXES if name.endswith(s)), name)


def summarise(replay_key: str, replay: Replay, created: float) -> dict:
    h = replay.header
    names = {p["id"]: p["name"] for p in h["players"]}
    winner = (replay.result or {}).get("winner")
    return {"id": replay_key, "ruleset": h["ruleset"], "width": h["width"], "height": h["height"],
            "players": [p["name"] for p in h["players"]], "winner": names.get(winner) if winner else None,
            "turns": (replay.result or {}).get("turns", replay.frames[-1]["turn"]),
            "created": datetime.fromtimestamp(created, UTC).isoformat(timespec="seconds")}


def file_version(path: Path) -> tuple[str, int, int] | None:
    """(path, size, mtime in ns): what must change for a file to be read again; None if it is gone."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return str(path), stat.st_size, stat.st_mtime_ns


@dataclass
class _Entry:
    path: Path
    version: tuple
    summary: dict | None  # None: unreadable (skipped in listings)


class ReplayLibrary:
    def __init__(self, folder: Path | None, extra: dict[str, Path] | None = None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.extra = dict(extra or {})  # id -> path, e.g. tournament games
        self._cache: dict[str, _Entry] = {}
        self._texts: OrderedDict[tuple, str] = OrderedDict()  # file version -> validated text, least recent first
        self._lock = threading.Lock()
        if self.folder is not None:
            self._recover()

    def _recover(self) -> None:
        """Games a crashed server was writing (``.live/``) join the library as the prefixes they are."""
        live = self.folder / ".live"
        for path in sorted(live.glob("*.jsonl*")) if live.is_dir() else ():
            shutil.move(path, self.folder / path.name)

    def _paths(self) -> dict[str, Path]:
        found = dict(self.extra)
        if self.folder is not None and self.folder.is_dir():
            for path in itertools.chain(self.folder.glob("*.jsonl"), self.folder.glob("*.jsonl.gz")):
                found[replay_id(path)] = path
        return found

    def _entry(self, key: str, path: Path) -> _Entry | None:
        version = file_version(path)
        if version is None:
            return None
        with self._lock:
            entry = self._cache.get(key)
        if entry is None or entry.version != version:
            try:
                summary = summarise(key, read_replay(path), version[2] / 1e9)
            except ReplayError:
                summary = None
            entry = _Entry(path, version, summary)
            with self._lock:
                self._cache[key] = entry
        return entry

    def list(self) -> list[dict]:
        """Every readable replay, newest first."""
        entries = [self._entry(k, p) for k, p in self._paths().items()]
        rows = [e.summary for e in entries if e is not None and e.summary is not None]
        return sorted(rows, key=lambda r: (r["created"], r["id"]), reverse=True)

    def path(self, key: str) -> Path | None:
        return self._paths().get(key)

    def text(self, key: str) -> str | None:
        """The replay as JSON lines, or None when there is no such replay (ReplayError if unreadable).

        Reading and validating a big replay takes seconds, and every page that opens it asks again:
        texts are kept per file version (a rewritten file is read anew), up to ``TEXT_CACHE_CHARS``."""
        path = self.path(key)
        version = file_version(path) if path is not None else None
        if version is None:
            return None
        with self._lock:
            text = self._texts.get(version)
            if text is not None:
                self._texts.move_to_end(version)
                return text
        text = dumps_replay(read_replay(path))
        if len(text) <= TEXT_CACHE_CHARS:
            with self._lock:
                self._texts[version] = text
                while sum(map(len, self._texts.values())) > TEXT_CACHE_CHARS:
                    self._texts.popitem(last=False)
        return text

    def lines(self, key: str) -> list[str] | None:
        text = self.text(key)
        return text.splitlines() if text is not None else None

    def add(self, path: Path) -> None:
        """A file written into the folder (a finished room): listed from now on."""
        self._entry(replay_id(path), path)

    def upload(self, data: bytes, filename: str | None = None) -> dict:
        """Check and store an uploaded replay; returns ``{"id"}`` (and ``"imported": "battlesnake-cli"`` for a
        Battlesnake CLI game, converted as ``snek replay import`` does).  ReplayError says what is wrong."""
        if self.folder is None:
            raise ReplayError("this server has no replay folder (start it with --replays DIR)")
        packed = data[:2] == b"\x1f\x8b"
        if packed:
            unpacker = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                unpacked = unpacker.decompress(data, UNPACKED_LIMIT + 1)
            except zlib.error as exc:
                raise ReplayError(f"{filename or 'upload'}: not a readable gzip file ({exc})") from None
            if len(unpacked) > UNPACKED_LIMIT:
                raise ReplayError(f"{filename or 'upload'}: more than {UNPACKED_LIMIT // 2**20} MB unpacked")
        key = "upload-" + hashlib.sha256(data).hexdigest()[:12]
        suffix = ".jsonl.gz" if packed else ".jsonl"
        shown = _SAFE.sub("_", Path(filename or "upload").name)[:60] or "upload"
        with tempfile.TemporaryDirectory() as scratch:
            probe = Path(scratch) / (shown if shown.endswith(suffix) else shown + suffix)
            probe.write_bytes(data)
            imported = _read_or_import(probe)
            self.folder.mkdir(parents=True, exist_ok=True)
            if imported is None:
                final = self.folder / (key + suffix)
                shutil.copyfile(probe, final)
            else:  # stored as the snek replay it becomes, like `snek replay import` writes it
                final = write_imported(imported, self.folder / (key + ".jsonl.gz"))
        self.add(final)
        return {"id": key} if imported is None else {"id": key, "imported": SOURCE}


def _read_or_import(probe: Path) -> Imported | None:
    """None for a valid snek replay; the import of a game written by Battlesnake's CLI (``battlesnake play
    --output``: its first line has no ``type``), which the watch page opens too; else the reader's ReplayError."""
    try:
        read_replay(probe)  # raises ReplayError with the reader's one-line message
        return None
    except ReplayError:
        if not _first_line_untyped(probe):
            raise
    try:
        return import_cli_game(probe)
    except BattlesnakeFileError as exc:
        raise ReplayError(f"not a snek replay, nor a Battlesnake CLI game: {exc}") from None


def _first_line_untyped(path: Path) -> bool:
    try:
        with (gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")) as f:
            first = json.loads(f.readline(1 << 20))
    except (OSError, EOFError, zlib.error, ValueError):
        return False
    return isinstance(first, dict) and "type" not in first


# --- tournaments ----------------------------------------------------------------------------

def tournament_folders(roots: list[Path]) -> dict[str, Path]:
    """``--tournaments`` paths: a tournament folder itself (it has results.jsonl) or a folder of them."""
    found: dict[str, Path] = {}
    for root in roots:
        root = Path(root)
        candidates = [root] if (root / "results.jsonl").is_file() else sorted(
            p for p in root.iterdir() if (p / "results.jsonl").is_file()) if root.is_dir() else []
        for folder in candidates:
            found[folder.name] = folder
    return found


def game_files(name: str, folder: Path) -> dict[str, Path]:
    return {f"{name}-{replay_id(p)}": p for p in folder.glob("game-*.jsonl*")}


def _records(folder: Path) -> list[tuple[GameRecord, list[str]]]:
    rows = []
    with open(folder / "results.jsonl", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                obj = json.loads(line)
                names = obj.pop("names")
                fields = {k: obj[k] for k in GameRecord.__dataclass_fields__}
                rows.append((GameRecord(**fields), names))
    return sorted(rows, key=lambda row: row[0].index)


def tournament_summary(name: str, folder: Path) -> dict:
    records = _records(folder)
    bots: dict[int, str] = {}
    for record, names in records:
        bots.update(zip(record.seats, names))
    return {"name": name, "games": len(records), "bots": [bots[i] for i in sorted(bots)]}


def tournament_detail(name: str, folder: Path) -> dict:
    """Leaderboard, rating history, head-to-head and games: re-rated from results.jsonl in schedule order."""
    records = _records(folder)
    entrants: dict[int, str] = {}
    for record, names in records:
        entrants.update(zip(record.seats, names))
    names = [entrants.get(i, f"bot{i}") for i in range(max(entrants, default=-1) + 1)]
    board = Leaderboard(names)
    history, games = [], []
    ahead = [[0] * len(names) for _ in names]
    met = [[0] * len(names) for _ in names]
    replays = game_files(name, folder)
    for record, _ in records:
        board.add(record)
        history.append({"game": record.index,
                        "ratings": {n: round(r.ordinal(), 3) for n, r in zip(names, board.ratings)}})
        for (a, rank_a), (b, rank_b) in itertools.permutations(zip(record.seats, record.ranks), 2):
            met[a][b] += 1
            ahead[a][b] += rank_a < rank_b
        key = f"{name}-game-{record.index:05d}"
        games.append({"index": record.index, "replay_id": key if key in replays else None,
                      "players": [names[e] for e in record.seats],
                      "winner": names[record.winner] if record.winner is not None else None, "turns": record.turns})
    leaderboard = [{"bot": s.name, "rating": round(s.ordinal, 3), "mu": round(s.mu, 3), "sigma": round(s.sigma, 3),
                    "games": s.games, "wins": s.wins, "avg_place": round(s.avg_place, 3)} for s in board.standings()]
    head_to_head = [{"a": names[a], "b": names[b], "a_ahead": ahead[a][b], "games": met[a][b]}
                    for a, b in itertools.permutations(range(len(names)), 2) if met[a][b]]
    return {"name": name, "leaderboard": leaderboard, "history": history, "head_to_head": head_to_head,
            "games": games}

