"""Replay files: the one JSON-lines schema shared by replay files, live sockets and the viewer.

A replay is a ``header`` line, one ``frame`` line per turn and a closing ``result`` line
(docs/replay-format.md has every field).  Files ending in ``.gz`` are gzip-compressed.
Writing is streamed and flushed per line, so a crash mid-game leaves a readable prefix.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path

FORMAT = "snek-replay/1"

HEADER_KEYS = {"format": str, "game_id": str, "ruleset": str, "settings": dict, "seed": int,
               "width": int, "height": int, "players": list}
FRAME_KEYS = {"turn": int, "food": list, "hazards": list, "snakes": list}
SNAKE_KEYS = {"id": str, "body": list, "health": int, "alive": bool}


class ReplayError(ValueError):
    """A replay file that cannot be read; the message is one line naming file and line."""


@dataclass
class Replay:
    header: dict
    frames: list[dict] = field(default_factory=list)
    result: dict | None = None


def _open_text(path: Path, mode: str):
    if path.suffix == ".gz":
        return gzip.open(path, mode + "t", encoding="utf-8")
    return open(path, mode, encoding="utf-8")


class ReplayWriter:
    """Stream a game to ``path``: ``write_frame`` per turn, then ``finish(result)``."""

    def __init__(self, path: str | Path, header: dict) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._raw = open(self.path, "wb")
        self._gz = gzip.GzipFile(fileobj=self._raw, mode="wb") if self.path.suffix == ".gz" else None
        self._write({"type": "header", **header, "format": FORMAT})

    def _write(self, obj: dict) -> None:
        line = (json.dumps(obj, separators=(",", ":")) + "\n").encode()
        if self._gz is not None:
            self._gz.write(line)
            self._gz.flush(zlib.Z_SYNC_FLUSH)  # a reader can decode everything written so far
        else:
            self._raw.write(line)
        self._raw.flush()

    def write_frame(self, frame: dict) -> None:
        self._write({**frame, "type": "frame"})

    def finish(self, result: dict) -> None:
        self._write({**result, "type": "result"})
        self.close()

    def close(self) -> None:
        if self._gz is not None:
            self._gz.close()
            self._gz = None
        if not self._raw.closed:
            self._raw.close()

    def __enter__(self) -> ReplayWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _check(obj: dict, keys: dict, where: str) -> None:
    for key, kind in keys.items():
        if key not in obj:
            raise ReplayError(f"{where}: missing {key!r}")
        value = obj[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ReplayError(f"{where}: {key!r} should be {kind.__name__}, got {type(value).__name__}")


def _lines(path: Path):
    """Yield (line number, text) and turn gzip damage into ReplayError."""
    try:
        with _open_text(path, "r") as handle:
            yield from enumerate(handle, 1)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise ReplayError(f"{path}: no such file") from None
        if isinstance(exc, EOFError):
            return  # a gzip stream cut short: the complete lines before it still count
        raise ReplayError(f"{path}: not a readable replay ({exc.__class__.__name__}: {exc})") from None


def read_replay(path: str | Path, require_result: bool = False) -> Replay:
    """Read and validate a replay.  A missing result (game cut short) is allowed unless required."""
    path = Path(path)
    replay: Replay | None = None
    for number, line in _lines(path):
        where = f"{path.name} line {number}"
        if not line.strip():
            continue
        if replay is not None and replay.result is not None:
            raise ReplayError(f"{where}: data after the result line")
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            if not line.endswith("\n"):
                break  # a torn last line from an interrupted write: keep the readable prefix
            raise ReplayError(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise ReplayError(f"{where}: expected a JSON object")
        kind = obj.get("type")
        if replay is None:
            if kind != "header":
                raise ReplayError(f"{where}: not a snek replay (first line is not a header)")
            if obj.get("format") != FORMAT:
                raise ReplayError(f"{where}: unsupported format {obj.get('format')!r} (expected {FORMAT})")
            _check(obj, HEADER_KEYS, where)
            replay = Replay(header=obj)
        elif kind == "frame":
            _check(obj, FRAME_KEYS, where)
            expected = replay.frames[-1]["turn"] + 1 if replay.frames else obj["turn"]
            if obj["turn"] != expected:
                raise ReplayError(f"{where}: frame for turn {obj['turn']}, expected turn {expected}")
            for i, snake in enumerate(obj["snakes"]):
                if not isinstance(snake, dict):
                    raise ReplayError(f"{where}: snakes[{i}] is not an object")
                _check(snake, SNAKE_KEYS, f"{where} snakes[{i}]")
            replay.frames.append(obj)
        elif kind == "result":
            replay.result = obj
        else:
            raise ReplayError(f"{where}: unknown line type {kind!r}")
    if replay is None:
        raise ReplayError(f"{path.name}: empty file, not a replay")
    if not replay.frames:
        raise ReplayError(f"{path.name}: header but no frames")
    if require_result and replay.result is None:
        raise ReplayError(f"{path.name}: truncated (no result line after turn {replay.frames[-1]['turn']})")
    return replay


def dumps_replay(replay: Replay) -> str:
    """The replay as JSON-lines text (for sockets and tests)."""
    out = io.StringIO()
    for obj in [{"type": "header", **replay.header}, *replay.frames] + ([replay.result] if replay.result else []):
        out.write(json.dumps(obj, separators=(",", ":")) + "\n")
    return out.getvalue()


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
