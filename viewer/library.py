"""Stored games: the replay library (the ``--replays`` folder, uploads, finished rooms) and
tournament folders written by ``snek tournament --out-dir``.

A replay's id is its file name without ``.jsonl``/``.jsonl.gz``; a tournament game's id is
``<tournament>-game-NNNNN``.  Every file is read through once per version (path, size, mtime), as a
stream, into a small index entry (its summary, how many lines are good); listings come from the
index, and a replay is served by streaming its good lines from disk, never parsed again, so the
memory a request costs does not grow with the file.  Uploads are streamed to disk and checked the
same way (``arena.replay.ReplayReader`` with caps on unpacked bytes and lines), then re-simulated
(``arena.verify``): a file that fails either is refused with its one-line message and not kept.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import os
import re
import shutil
import tempfile
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from arena import jsonio
from arena.bs_import import SOURCE, BattlesnakeFileError, Imported, import_cli_game, write_imported
from arena.replay import MAX_LINE_BYTES, ReplayError, ReplayReader, finish_interrupted
from arena.tournament import GameRecord, Leaderboard
from arena.verify import verify

UPLOAD_LIMIT = 20 * 1024 * 1024  # bytes on the wire
UNPACKED_LIMIT = 200 * 1024 * 1024  # bytes after gunzip: no gzip bombs
UPLOAD_FRAMES = 100_000  # frames per upload (a live room's longest game)
UPLOAD_NAME_LIMIT = 64  # characters in an uploaded player's name
SUFFIXES = (".jsonl.gz", ".jsonl")
STREAM_CHUNK = 64 * 1024  # bytes per piece of a streamed replay
INCOMING = ".incoming"  # uploads land here (same disk as the library, so storing one is a rename)
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class DiskFull(OSError):
    """The library's disk cannot take the upload; nothing was kept."""


def replay_id(path: Path) -> str:
    name = path.name
    return next((name[: -len(s)] for s in SUFFIXES if name.endswith(s)), name)


def summarise(replay_key: str, reader: ReplayReader, created: float) -> dict:
    """The listing's row for a file whose frames ``reader`` has read to the end."""
    h = reader.header
    names = {p["id"]: p["name"] for p in h["players"]}
    winner = (reader.result or {}).get("winner")
    return {"id": replay_key, "ruleset": h["ruleset"], "map": h.get("map"), "width": h["width"], "height": h["height"],
            "players": [p["name"] for p in h["players"]], "winner": names.get(winner) if winner else None,
            "turns": (reader.result or {}).get("turns", reader.last_turn),
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
    lines: int = 0  # good lines (header, frames, result): what is served; a torn last line is not
    finished: bool = False  # it has its result line
    problem: str = ""  # why it is unreadable


def _scan(key: str, path: Path, version: tuple, check: bool = False) -> _Entry:
    """Read a file through once, one line at a time.  ``check`` (uploads): caps on size and lines, player
    names, and a re-simulation that must agree with every frame."""
    limits = {"max_lines": UPLOAD_FRAMES + 2, "max_bytes": UNPACKED_LIMIT} if check else {}
    try:
        with ReplayReader(path, **limits) as reader:
            if check:
                _check_upload(reader)
            else:
                for _ in reader.frames:
                    pass
            return _Entry(path, version, summarise(key, reader, version[2] / 1e9), reader.lines,
                          reader.result is not None)
    except ReplayError as exc:
        if check:
            raise
        return _Entry(path, version, None, problem=str(exc))


def _check_upload(reader: ReplayReader) -> None:
    for player in reader.header["players"]:
        if len(player["name"]) > UPLOAD_NAME_LIMIT:
            raise ReplayError(f"player {player['id']}: names are at most {UPLOAD_NAME_LIMIT} characters")
    verdict = verify(reader)
    if not verdict.ok:
        raise ReplayError(f"does not verify: turn {verdict.first_bad_turn}: {verdict.detail}"[:300])


def _open(path: Path) -> BinaryIO:
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def stream_lines(path: Path, count: int) -> Iterator[str]:
    """The first ``count`` non-blank lines of a file, read as they are asked for (a generator: closing it
    closes the file).  Never raises: the process's socket writer pulls these lines."""
    try:
        with _open(path) as handle:
            sent = 0
            while sent < count:
                raw = handle.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    return
                if raw.strip():
                    sent += 1
                    yield raw.decode("utf-8").strip()
    except (OSError, EOFError, ValueError):  # changed under us since it was read: what was sent stands
        return


class ReplayLibrary:
    def __init__(self, folder: Path | None, extra: dict[str, Path] | None = None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.extra = dict(extra or {})  # id -> path, e.g. tournament games
        self._index: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        # one upload checked at a time (receiving is not limited: a slow sender holds nothing): a check costs
        # up to seconds of CPU (a re-simulation), and many at once must not take the rooms' GIL
        self._checking = threading.Lock()
        if self.folder is not None:
            self._recover()

    def _recover(self) -> None:
        """Games a crashed or killed server was writing (``.live/``) join the library closed with a result
        line (``"reason": "interrupted"``); a leftover with no readable frame holds nothing and goes.  The
        folder must be this process's own: another process's games in progress would be closed too."""
        live, scratch = self.folder / ".live", self.folder / INCOMING
        for path in sorted(live.glob("*.jsonl*")) if live.is_dir() else ():
            closed = scratch / path.name  # written beside, then renamed into the library
            try:
                scratch.mkdir(exist_ok=True)
                if finish_interrupted(path, closed):
                    os.replace(closed, self.folder / path.name)
                path.unlink(missing_ok=True)
            except OSError:  # no room to write the closed copy (a full disk): the prefix as it is, by a rename
                closed.unlink(missing_ok=True)
                os.replace(path, self.folder / path.name)
        shutil.rmtree(scratch, ignore_errors=True)  # uploads (and closings) cut off mid-way

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
            entry = self._index.get(key)
        if entry is None or entry.version != version:
            entry = _scan(key, path, version)
            with self._lock:
                self._index[key] = entry
        return entry

    def list(self) -> list[dict]:
        """Every readable replay, newest first."""
        entries = [self._entry(k, p) for k, p in self._paths().items()]
        rows = [e.summary for e in entries if e is not None and e.summary is not None]
        return sorted(rows, key=lambda r: (r["created"], r["id"]), reverse=True)

    def path(self, key: str) -> Path | None:
        return self._paths().get(key)

    def entry(self, key: str) -> _Entry | None:
        """The index entry of a replay, or None when there is no such replay (ReplayError if unreadable)."""
        path = self.path(key)
        entry = self._entry(key, path) if path is not None else None
        if entry is not None and entry.summary is None:
            raise ReplayError(entry.problem)
        return entry

    def lines(self, key: str) -> Iterator[str] | None:
        """The replay's good lines, streamed from disk as they are read (None: no such replay)."""
        entry = self.entry(key)
        return stream_lines(entry.path, entry.lines) if entry is not None else None

    def header(self, key: str) -> dict | None:
        """The replay's header line (one line read), or None."""
        lines = self.lines(key)
        if lines is None:
            return None
        try:
            return jsonio.loads(next(lines))
        finally:
            lines.close()  # a generator: closing it closes the file

    def add(self, path: Path) -> None:
        """A file written into the folder (a finished room): listed from now on.  It is read when it is first
        asked for, on that request's thread: a room's loop never waits for a read of its own game."""
        with self._lock:
            self._index.pop(replay_id(path), None)

    def upload(self, source: BinaryIO, filename: str | None = None) -> dict:
        """Store an uploaded replay streamed from ``source``; returns ``{"id"}`` (and ``"imported":
        "battlesnake-cli"`` for a Battlesnake CLI game, converted as ``snek replay import`` does, then checked
        like any upload).  ReplayError says what is wrong
        with it, UploadTooLarge that it is over ``UPLOAD_LIMIT``, DiskFull that the disk could not take it,
        LibraryBusy that another upload is being checked; in every case nothing is kept."""
        if self.folder is None:
            raise ReplayError("this server has no replay folder (start it with --replays DIR)")
        shown = _SAFE.sub("_", Path(filename or "upload").name)[:60] or "upload"
        scratch: Path | None = None
        try:
            (self.folder / INCOMING).mkdir(parents=True, exist_ok=True)
            scratch = Path(tempfile.mkdtemp(dir=self.folder / INCOMING))
            head, digest = _copy(source, scratch / "data")
            if not self._checking.acquire(blocking=False):
                raise LibraryBusy("another upload is being checked: try again in a moment")
            try:
                entry, key, imported = self._check(scratch, head, digest, shown)
            finally:
                self._checking.release()
        except OSError as exc:
            raise DiskFull(exc.errno, f"the replay library cannot store it ({exc.strerror or exc})") from None
        finally:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
        with self._lock:
            self._index[key] = entry
        return {"id": key, "imported": SOURCE} if imported else {"id": key}

    def _check(self, scratch: Path, head: bytes, digest: str, shown: str) -> tuple[_Entry, str, bool]:
        """Check the received upload (ReplayError, one line) and move it into the library; a Battlesnake CLI
        game is imported first (the third value says so)."""
        suffix = ".jsonl.gz" if head == b"\x1f\x8b" else ".jsonl"
        probe = (scratch / "data").rename(scratch / (shown if shown.endswith(suffix) else shown + suffix))
        key = "upload-" + digest[:12]
        imported = False
        try:
            entry = _scan(key, probe, file_version(probe), check=True)
        except ReplayError as error:
            game = _import_cli_game(probe, error)  # a Battlesnake CLI game, or that error again
            suffix = ".jsonl.gz"  # stored as the snek replay it becomes, as `snek replay import` writes it
            probe = write_imported(game, scratch / ("imported" + suffix))
            entry, imported = _scan(key, probe, file_version(probe), check=True), True
        final = self.folder / (key + suffix)
        os.replace(probe, final)
        entry.path, entry.version = final, file_version(final)  # a rename: what was read is what is stored
        return entry, key, imported


def _import_cli_game(probe: Path, error: ReplayError) -> Imported:
    """The import of a game written by Battlesnake's CLI (``battlesnake play --output``: its first line has no
    ``type``), which the watch page opens too; for anything else the reader's ``error`` stands."""
    if not _first_line_untyped(probe):
        raise error
    try:
        return import_cli_game(probe, max_bytes=UNPACKED_LIMIT, max_lines=UPLOAD_FRAMES + 2)
    except BattlesnakeFileError as exc:
        raise ReplayError(f"not a snek replay, nor a Battlesnake CLI game: {exc}") from None


def _first_line_untyped(path: Path) -> bool:
    try:
        with (gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")) as f:
            first = jsonio.loads(f.readline(1 << 20))
    except (OSError, EOFError, zlib.error, ValueError):
        return False
    return isinstance(first, dict) and "type" not in first


class LibraryBusy(RuntimeError):
    """Another upload is being received or checked."""


class UploadTooLarge(ValueError):
    """More bytes came than ``UPLOAD_LIMIT``."""


def _copy(source: BinaryIO, path: Path) -> tuple[bytes, str]:
    """Stream an upload to ``path`` (at most ``UPLOAD_LIMIT`` bytes); returns its first two bytes and its
    SHA-256 (the upload's id)."""
    size, head, digest = 0, b"", hashlib.sha256()
    with open(path, "wb") as out:
        while chunk := source.read(STREAM_CHUNK):
            size += len(chunk)
            if size > UPLOAD_LIMIT:
                raise UploadTooLarge(f"replays are limited to {UPLOAD_LIMIT // 2**20} MB")
            head = (head + chunk)[:2]
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        raise ReplayError("empty upload: send a .jsonl or .jsonl.gz replay as the body or a file field")
    return head, digest.hexdigest()


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
                obj = jsonio.loads(line)
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

