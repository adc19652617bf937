"""Pictures of one frame for the envs' render modes: coloured text, or an RGB numpy image."""

from __future__ import annotations

import io

import numpy as np
from rich.console import Console

from arena.geometry import Geometry
from arena.match import COLORS
from arena.render import board_text

RENDER_MODES = ("ansi", "rgb_array", "human")
CELL_PX = 16
BACKGROUND = (24, 24, 28)
HAZARD = (70, 70, 90)
FOOD = (230, 40, 60)


def _rgb(color: str) -> np.ndarray:
    return np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)], np.uint8)


def frame_ansi(frame: dict, geometry: Geometry) -> str:
    colors = {s["id"]: COLORS[i % len(COLORS)] for i, s in enumerate(frame["snakes"])}
    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor",
                      width=2 * geometry.width + 2)
    console.print(board_text(frame, geometry.width, geometry.height, colors), end="")
    return f"turn {frame['turn']}\n" + console.file.getvalue()


def frame_rgb(frame: dict, geometry: Geometry, cell: int = CELL_PX) -> np.ndarray:
    """(height * cell, width * cell, 3) uint8, y up (the top row of the image is the top of the board)."""
    w, h = geometry.width, geometry.height
    grid = np.zeros((h, w, 3), np.uint8)
    grid[:] = BACKGROUND
    for x, y in frame["hazards"]:
        if y < h:  # snail_mode keeps state in hazards above the board
            grid[h - 1 - y, x] = HAZARD
    for x, y in frame["food"]:
        grid[h - 1 - y, x] = FOOD
    for i, snake in enumerate(frame["snakes"]):
        if not snake["alive"]:
            continue
        color = _rgb(COLORS[i % len(COLORS)])
        for k, (x, y) in enumerate(reversed(snake["body"])):
            head = k == len(snake["body"]) - 1
            grid[h - 1 - y, x] = color if head else (color * 0.6).astype(np.uint8)
    image = np.repeat(np.repeat(grid, cell, axis=0), cell, axis=1)
    image[::cell] = image[::cell] // 2 + 8  # faint grid lines
    image[:, ::cell] = image[:, ::cell] // 2 + 8
    return image


def render_frame(frame: dict, geometry: Geometry, mode: str | None):
    """What ``env.render()`` returns in ``mode`` (``human`` prints the text and returns None)."""
    if mode is None:
        return None
    if mode == "ansi":
        return frame_ansi(frame, geometry)
    if mode == "rgb_array":
        return frame_rgb(frame, geometry)
    if mode == "human":
        print(frame_ansi(frame, geometry), flush=True)
        return None
    raise ValueError(f"unknown render mode {mode!r} (choose from {', '.join(RENDER_MODES)})")


class OneGameView:
    """``frame``, ``render`` and ``close`` for the envs that play one game (parallel, single-agent).

    Expects ``games`` (core.Games), ``frame_ids`` (snake ids in seat order), ``render_mode`` and
    ``recorder`` (a Recorder or None) on the env.
    """

    def frame(self) -> dict:
        """The current game as a replay frame dict (docs/replay-format.md)."""
        return self.games.engine.frame(self.games.batch, 0, self.frame_ids)

    def render(self):
        return render_frame(self.frame(), self.games.geometry, self.render_mode)

    def close(self) -> None:
        if self.recorder:
            self.recorder.close()
