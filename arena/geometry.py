"""Board geometry: a padded cell grid and the lookup tables every rule stage indexes.

Why padded: cells are numbered on a (height+2) x (width+2) grid whose border ring is the
outside of the board, so a head that walks off the board lands on a real cell id (a wall
collision is just "head on a border cell") and a dead snake's off-board head stays
representable in frames.  Cell id = (y + 1) * (width + 2) + (x + 1), with y pointing up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def frozen(array: np.ndarray) -> np.ndarray:
    """Mark a shared table read-only: a stray in-place write would change every later game."""
    array.setflags(write=False)
    return array


MOVES = ("up", "down", "left", "right")
MOVE_INDEX = {name: i for i, name in enumerate(MOVES)}
DX = frozen(np.array([0, 0, -1, 1], dtype=np.int64))
DY = frozen(np.array([1, -1, 0, 0], dtype=np.int64))
OPPOSITE = frozen(np.array([1, 0, 3, 2], dtype=np.int8))

MIN_SIZE, MAX_SIZE = 3, 25


@dataclass(frozen=True)
class Geometry:
    width: int
    height: int
    wrapped: bool = False
    padded_width: int = field(init=False)
    cells: int = field(init=False)

    def __post_init__(self) -> None:
        for name, value in (("width", self.width), ("height", self.height)):
            if not MIN_SIZE <= value <= MAX_SIZE:
                raise ValueError(f"board {name} must be between {MIN_SIZE} and {MAX_SIZE}, got {value}")
        object.__setattr__(self, "padded_width", self.width + 2)
        object.__setattr__(self, "cells", (self.width + 2) * (self.height + 2))
        pw = self.padded_width
        ids = np.arange(self.cells)
        x = ids % pw - 1
        y = ids // pw - 1
        interior = (x >= 0) & (x < self.width) & (y >= 0) & (y < self.height)
        board_index = np.where(interior, y * self.width + x, -1)
        step = np.array([pw, -pw, -1, 1])
        raw_next = ids[:, None] + step[None, :]
        raw_next = np.clip(raw_next, 0, self.cells - 1)  # border cells never move; keep ids valid
        if self.wrapped:
            nx = (x[:, None] + DX[None, :]) % self.width
            ny = (y[:, None] + DY[None, :]) % self.height
            next_cell = np.where(interior[:, None], (ny + 1) * pw + (nx + 1), raw_next)
        else:
            next_cell = raw_next
        tables = {
            "x_of": x.astype(np.int16),
            "y_of": y.astype(np.int16),
            "interior": interior,
            "board_index": board_index.astype(np.int32),
            "interior_cells": ids[interior].astype(np.int32),  # ordered by board index
            "next_cell": next_cell.astype(np.int32),
            "neighbours": raw_next.astype(np.int32),  # never wrapped (food spawning uses these)
        }
        for name, table in tables.items():
            table.setflags(write=False)
            object.__setattr__(self, name, table)

    def cell(self, x: int, y: int) -> int:
        return (y + 1) * self.padded_width + (x + 1)

    def xy(self, cell: int) -> tuple[int, int]:
        return int(self.x_of[cell]), int(self.y_of[cell])

    @property
    def area(self) -> int:
        return self.width * self.height


def check_live_body(g: Geometry, body: list[int], seat: int, taken: dict[int, int]) -> None:
    """A live body must be a path of neighbouring cells (wrap-aware) that visits no cell twice, except
    as stacked segments (a repeat right after itself), and share no cell with another live snake
    (``taken``: cell -> seat, filled as bodies are checked).  A problem is a one-line ValueError."""
    for k in range(1, len(body)):
        a, b = body[k - 1], body[k]
        if a != b and b not in g.next_cell[a]:
            raise ValueError(f"snake {seat}'s body is not connected between {g.xy(a)} and {g.xy(b)}")
    seen: set[int] = set()
    for k, cell in enumerate(body):
        if cell in seen and cell != body[k - 1]:
            raise ValueError(f"snake {seat} overlaps itself at {g.xy(cell)}")
        if taken.get(cell, seat) != seat:
            raise ValueError(f"snake {seat} overlaps snake {taken[cell]} at {g.xy(cell)}")
        seen.add(cell)
        taken[cell] = seat
