"""Record env episodes as replay files (docs/replay-format.md), one file per episode.

Why: a training run's games can then be watched in the viewer and re-simulated with
``snek replay verify``, since a replay carries the seed, the settings and every move.
"""

from __future__ import annotations

from pathlib import Path

from arena.env.core import Games
from arena.match import COLORS
from arena.replay import ReplayWriter, result_for


class Recorder:
    """Streams one game of a :class:`Games` batch to ``directory/<game_id>.jsonl``."""

    def __init__(self, directory: str | Path, games: Games, ids: list[str], names: list[str] | None = None,
                 kinds: list[str] | None = None) -> None:
        self.directory = Path(directory)
        self.games, self.ids = games, ids
        self.names = names or ids
        self.kinds = kinds or ["env"] * len(ids)
        self.writer: ReplayWriter | None = None
        self.last_frame: dict | None = None
        self.paths: list[Path] = []

    def header(self, game: int) -> dict:
        g, b = self.games, self.games.batch
        seed = int(b.seed[game])
        header = {
            "game_id": f"env-{seed:016x}-{len(self.paths)}",
            "ruleset": g.engine.ruleset.name, "settings": g.engine.settings, "seed": seed,
            "width": g.geometry.width, "height": g.geometry.height, "max_turns": g.max_turns,
            "players": [{"id": i, "name": n, "color": COLORS[k % len(COLORS)], "kind": kind}
                        for k, (i, n, kind) in enumerate(zip(self.ids, self.names, self.kinds))],
        }
        if g.engine.map is not None:
            header["map"] = g.engine.map.name
        return header

    def start(self, game: int) -> None:
        """Begin a new file with the game's current (first) frame; an unfinished one is closed as is."""
        self.close()
        header = self.header(game)
        path = self.directory / f"{header['game_id']}.jsonl"
        self.writer = ReplayWriter(path, header)
        self.paths.append(path)
        self.frame(game)

    def frame(self, game: int) -> None:
        if self.writer is not None:
            self.last_frame = self.games.engine.frame(self.games.batch, game, self.ids)
            self.writer.write_frame(self.last_frame)

    def finish(self, game: int, reason: str | None = None) -> None:
        """Write the result line; a game stopped before its end says why in ``reason``."""
        if self.writer is None or self.last_frame is None:
            return
        result = result_for(self.last_frame)
        if not self.games.batch.done[game]:
            result["reason"] = reason or "max-turns"
        self.writer.finish(result)
        self.writer = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
