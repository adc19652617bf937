"""Replay files: the one JSON-lines schema shared by replay files, live sockets and the viewer.

A replay is a ``header`` line, one ``frame`` line per turn and a closing ``result`` line
(docs/replay-format.md has every field).  Files ending in ``.gz`` are gzip-compressed.
Writing is streamed; a file someone follows live (rooms, ``snek play --out``) is flushed per line, so a
reader sees each turn as it happens and a crash mid-game leaves a readable prefix.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from arena import jsonio
from arena.replay_schema import SchemaError, check_frame, check_header, check_result

FORMAT = "snek-replay/1"
GZIP_LEVEL = 6  # zlib's default: about 40% less CPU per line than gzip's 9, for replays about 6% larger
# Files written in bulk (tournaments) are throughput-bound: level 1 compresses a game in about a quarter of
# level 6's time (~5 us instead of ~22 us a turn of 4 snakes) for files about 40% larger.
BULK_GZIP_LEVEL = 1
BUFFER_BYTES = 1 << 18  # what a writer without ``follow`` holds in memory before compressing it


class ReplayError(ValueError):
    """A replay file that cannot be read; the message is one line naming file and line."""


@dataclass
class Replay:
    header: dict
    frames: list[dict] = field(default_factory=list)
    result: dict | None = None


class ReplayWriter:
    """Stream a game to ``path``: ``write_frame`` per turn, then ``finish(result)``.

    ``follow`` flushes every line (through gzip with a sync flush) for readers that follow the file while
    it is written; without it (tournaments: nobody reads a game before its result line) lines are
    held in memory and compressed in bulk (up to ``BUFFER_BYTES`` at a time, and at the end), and a game
    cut short leaves at most a torn file to replay.  The gzip header holds no time stamp: the same game
    gives the same bytes.  ``level``: gzip's compression level (default ``GZIP_LEVEL`` for a followed file,
    ``BULK_GZIP_LEVEL`` otherwise)."""

    def __init__(self, path: str | Path, header: dict, follow: bool = True, level: int | None = None) -> None:
        self.path = Path(path)
        self.follow = follow
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._raw = open(self.path, "wb")
        self._failed = False
        self._held: list[bytes] = []
        self._held_bytes = 0
        if level is None:
            level = GZIP_LEVEL if follow else BULK_GZIP_LEVEL
        self._gz = gzip.GzipFile(fileobj=self._raw, mode="wb", compresslevel=level, mtime=0) \
            if self.path.suffix == ".gz" else None
        try:
            self._write({"type": "header", **header, "format": FORMAT})
        except OSError:  # a full disk: no open file left behind
            self.close()
            raise

    def _write(self, obj: dict) -> None:
        self.write_line(jsonio.dumps_line(obj))

    def write_line(self, line: bytes) -> None:
        """One line already encoded (compact JSON and a newline, as ``jsonio.dumps_line`` writes it)."""
        if not self.follow:
            self._held.append(line)
            self._held_bytes += len(line)
            if self._held_bytes >= BUFFER_BYTES:
                self._drain()
            return
        self._put(line)

    def _drain(self) -> None:
        """Write the lines held in memory, in one piece."""
        if self._held:
            data, self._held, self._held_bytes = b"".join(self._held), [], 0
            self._put(data)

    def _put(self, data: bytes) -> None:
        try:
            if self._gz is not None:
                self._gz.write(data)
                if self.follow:
                    self._gz.flush(zlib.Z_SYNC_FLUSH)  # a reader can decode everything written so far
            else:
                self._raw.write(data)
            if self.follow:
                self._raw.flush()
        except OSError as exc:  # a full disk, a special file: say which file
            self._failed = True
            raise OSError(exc.errno, exc.strerror or str(exc), str(self.path)) from None

    def write_frame(self, frame: dict) -> None:
        self._write(frame if frame.get("type") == "frame" else {**frame, "type": "frame"})

    def finish(self, result: dict) -> None:
        self._write({**result, "type": "result"})
        self.close()

    def close(self) -> None:
        try:
            if not self._failed:
                self._drain()  # a full disk raises here (once); the files are closed all the same
        finally:
            self._close_files()

    def _close_files(self) -> None:
        try:
            if self._gz is not None:
                gz, self._gz = self._gz, None
                gz.close()
            if not self._raw.closed:
                self._raw.close()
        except OSError:
            if not self._failed:  # after a failed write, that error already said why
                raise
        finally:
            self._raw.close()

    def __enter__(self) -> ReplayWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


MAX_LINE_BYTES = 4 << 20  # far above the largest real frame (16 snakes filling a 25x25 board)


def _open_binary(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return open(path, "rb")


class ReplayReader:
    """Read a replay one line at a time: ``header`` on open, then ``frames`` as an iterator,
    then ``result`` (set once the frames are exhausted).  Memory does not grow with the game.

    Every line is validated as it is read (:mod:`arena.replay_schema`); the first problem is
    raised as a :class:`ReplayError` naming the file and line.  A missing result (a game cut
    short) is allowed unless ``require_result``; a torn last line is ignored.  ``max_lines`` and
    ``max_bytes`` (unpacked, blank lines included) bound the work a file from a stranger can cause.
    """

    def __init__(self, path: str | Path, require_result: bool = False, max_lines: int | None = None,
                 max_bytes: int | None = None) -> None:
        self.path = Path(path)
        self.require_result = require_result
        self.max_lines = max_lines
        self.max_bytes = max_bytes
        self.bytes_read = 0
        self.result: dict | None = None
        self.first_turn: int | None = None
        self.last_turn: int | None = None
        self.frame_count = 0  # frames read and accepted so far (``lines``)
        self._consumed = False
        try:
            self._handle = _open_binary(self.path)
        except OSError as exc:
            raise ReplayError(_os_message(self.path, exc)) from None
        self._number = 0
        try:
            first = self._next_object()
            if first is None:
                raise ReplayError(f"{self.path.name}: empty file, not a replay")
            if first.get("type") != "header":
                raise self._error("not a snek replay (first line is not a header)")
            if first.get("format") != FORMAT:
                raise self._error(f"unsupported format {_short(first.get('format'))} (expected {FORMAT})")
            self.board = self._checked(check_header, first)
            self.header = first
        except BaseException:
            self.close()
            raise

    def _error(self, message: str) -> ReplayError:
        return ReplayError(f"{self.path.name} line {self._number}: {message}")

    def _checked(self, check, obj: dict, *args):
        try:
            return check(obj, *args)
        except SchemaError as exc:
            raise self._error(str(exc)) from None

    def _next_object(self) -> dict | None:
        """The next non-blank line as a JSON object, or None at the end (or at a torn last line)."""
        while True:
            try:
                raw = self._handle.readline(MAX_LINE_BYTES + 1)
            except (OSError, EOFError, zlib.error) as exc:
                if isinstance(exc, EOFError):
                    return None  # a gzip stream cut short: the complete lines before it still count
                raise self._error(f"not a readable replay ({exc.__class__.__name__}: {exc})") from None
            if not raw:
                return None
            self._number += 1
            self.bytes_read += len(raw)
            if self.max_bytes is not None and self.bytes_read > self.max_bytes:
                raise self._error(f"more than {size_text(self.max_bytes)} unpacked")
            if self.max_lines is not None and self._number > self.max_lines:
                raise self._error(f"more than {self.max_lines} lines")
            if len(raw) > MAX_LINE_BYTES:
                raise self._error(f"line longer than {MAX_LINE_BYTES >> 20} MB, not a replay line")
            if raw.strip():
                break
        try:
            obj = jsonio.loads(raw)
        except RecursionError:
            raise self._error("not JSON (nested too deeply)") from None
        except ValueError as exc:  # JSONDecodeError, bad UTF-8, integers with too many digits
            if not raw.endswith(b"\n"):
                return None  # a torn last line from an interrupted write: keep the readable prefix
            raise self._error(f"not JSON ({getattr(exc, 'msg', exc)})") from None
        if not isinstance(obj, dict):
            raise self._error("expected a JSON object")
        return obj

    @property
    def lines(self) -> int:
        """Lines read and accepted so far (header, frames, result; blank lines not counted)."""
        return 1 + self.frame_count + (self.result is not None)

    @property
    def frames(self) -> Iterator[dict]:
        """The frames in order, each validated; can be iterated once."""
        if self._consumed:
            raise RuntimeError("a ReplayReader's frames can be read once")
        self._consumed = True
        return self._frames()

    def _frames(self) -> Iterator[dict]:
        try:
            while (obj := self._next_object()) is not None:
                kind = obj.get("type")
                if self.result is not None:
                    raise self._error("data after the result line")
                if kind == "frame":
                    self._checked(check_frame, obj, self.board)
                    expected = obj["turn"] if self.last_turn is None else self.last_turn + 1
                    if obj["turn"] != expected:
                        raise self._error(f"frame for turn {obj['turn']}, expected turn {expected}")
                    if self.first_turn is None:
                        self.first_turn = obj["turn"]
                    self.last_turn = obj["turn"]
                    self.frame_count += 1
                    yield obj
                elif kind == "result":
                    if self.last_turn is None:
                        raise self._error("result before any frame")
                    self._checked(check_result, obj, self.board)
                    self.result = obj
                else:
                    raise self._error(f"unknown line type {_short(kind)}")
            if self.last_turn is None:
                raise ReplayError(f"{self.path.name}: header but no frames")
            if self.require_result and self.result is None:
                raise ReplayError(f"{self.path.name}: truncated (no result line after turn {self.last_turn})")
        finally:
            self.close()

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> ReplayReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def size_text(limit: int) -> str:
    """A byte limit as an error message says it."""
    return f"{limit >> 20} MB" if limit >= 1 << 20 else f"{limit} bytes"


def _os_message(path: Path, exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"{path}: no such file"
    return f"{path}: cannot read ({exc.strerror or exc})"


def open_replay(path: str | Path, require_result: bool = False, **limits) -> ReplayReader:
    """A streaming reader (for long games): ``with open_replay(p) as r: for frame in r.frames: ...``."""
    return ReplayReader(path, require_result, **limits)


def read_replay(path: str | Path, require_result: bool = False) -> Replay:
    """Read and validate a whole replay into memory (convenient for small files and tests)."""
    with ReplayReader(path, require_result) as reader:
        frames = list(reader.frames)
        return Replay(reader.header, frames, reader.result)


def dumps_replay(replay: Replay) -> str:
    """The replay as JSON-lines text (for sockets and tests)."""
    out = io.StringIO()
    for obj in [{"type": "header", **replay.header}, *replay.frames] + ([replay.result] if replay.result else []):
        out.write(jsonio.dumps_text(obj, newline=True))
    return out.getvalue()


def finish_interrupted(path: str | Path, out: str | Path) -> bool:
    """Copy the readable prefix of a game that was cut off (a crash, a kill) to ``out`` and close it with a
    result line, ``"reason": "interrupted"``, so every reader sees a finished game.  Streams: memory does
    not grow with the game.  False (nothing written) when not even one frame can be read."""
    try:
        reader = ReplayReader(path)
    except ReplayError:
        return False
    with reader:
        frames, last = reader.frames, None
        try:
            last = next(frames)
        except (ReplayError, StopIteration):
            return False
        header = {k: v for k, v in reader.header.items() if k not in ("type", "format")}
        with ReplayWriter(out, header, follow=False) as writer:
            writer.write_frame(last)
            try:
                for last in frames:
                    writer.write_frame(last)
            except ReplayError:  # a broken line mid-file: the game is what came before it
                pass
            result = reader.result or {**result_for(last), "reason": "interrupted"}
            writer.finish({k: v for k, v in result.items() if k != "type"})
    return True


def placements(frame: dict) -> list[dict]:
    """Rank snakes by survival: alive first, then later deaths; equal outcomes share a rank."""
    def survived(snake: dict) -> float:
        return float("inf") if snake["alive"] else (snake.get("death") or {}).get("turn", 0)

    ordered = sorted(frame["snakes"], key=survived, reverse=True)
    out, rank = [], 0
    for i, snake in enumerate(ordered):
        if i == 0 or survived(snake) != survived(ordered[i - 1]):
            rank = i + 1
        out.append({"id": snake["id"], "rank": rank,
                    "death_turn": None if snake["alive"] else (snake.get("death") or {}).get("turn")})
    return out


def result_for(frame: dict) -> dict:
    """The result line for a game whose last frame is ``frame``."""
    ranks = placements(frame)
    winners = [p["id"] for p in ranks if p["rank"] == 1]
    alive = [s for s in frame["snakes"] if s["alive"]]
    winner = winners[0] if len(winners) == 1 and (alive or len(frame["snakes"]) == 1) else None
    return {"type": "result", "turns": frame["turn"], "winner": winner, "placements": ranks}
