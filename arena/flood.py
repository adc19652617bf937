"""Breadth-first searches over one board, compiled: distance maps, flood-fill sizes, nearest goals.

Why here: bots ask these questions several times a move (how much room does a move leave, who gets
to a cell first, how far is food), and a Python BFS over dicts cost them most of a millisecond on big
boards.  The searches walk the engine's own ``board_table`` (``arena.stages``: padded cell ids, each
move's wrap-aware next cell, whether a cell is on the board), so wrapped edges and walls mean what
they mean to the rules.  What stops a search is the caller's: ``cells`` holds bit flags per padded
cell, and a cell is entered when it is on the board and ``cells[c] & blocked == 0``.  Start cells are
always counted (a head stands on a blocked cell).  Distances count steps; -1 means not reached.
"""

from __future__ import annotations

import numpy as np

from arena.jit import kernel
from arena.stages import INSIDE, NEXT


@kernel
def _open(board: np.ndarray, cells: np.ndarray, blocked: int, cell: int) -> bool:
    return board[cell, INSIDE] != 0 and cells[cell] & blocked == 0


@kernel
def distance_map(board: np.ndarray, cells: np.ndarray, blocked: int, sources: np.ndarray) -> np.ndarray:
    """Steps from the nearest of ``sources`` to every cell (one BFS from all of them at once)."""
    dist = np.full(board.shape[0], -1, np.int32)
    queue = np.empty(board.shape[0], np.int64)
    end = 0
    for source in sources:
        if dist[source] < 0:
            dist[source] = 0
            queue[end] = source
            end += 1
    at = 0
    while at < end:
        cell = queue[at]
        at += 1
        for m in range(4):
            n = board[cell, NEXT + m]
            if dist[n] < 0 and _open(board, cells, blocked, n):
                dist[n] = dist[cell] + 1
                queue[end] = n
                end += 1
    return dist


@kernel
def room(board: np.ndarray, cells: np.ndarray, blocked: int, starts: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Per start, how many cells a BFS from it reaches (the start included): its flood-fill size.

    With a non-empty ``before`` (a ``distance_map`` of rivals), a cell is entered only when reached in
    strictly fewer steps than ``before`` says, the start counting as one step: the cells won in a
    race against those rivals.  An empty ``before`` races nobody."""
    size = board.shape[0]
    race = before.shape[0] > 0
    seen = np.zeros(size, np.int64)  # which start's search saw the cell (k + 1): no clearing between starts
    dist = np.empty(size, np.int32)
    queue = np.empty(size, np.int64)
    out = np.zeros(starts.shape[0], np.int64)
    for k in range(starts.shape[0]):
        start = starts[k]
        seen[start] = k + 1
        dist[start] = 1
        queue[0] = start
        at, end = 0, 1
        while at < end:
            cell = queue[at]
            at += 1
            d = dist[cell] + 1
            for m in range(4):
                n = board[cell, NEXT + m]
                won = not race or before[n] < 0 or d < before[n]
                if won and seen[n] != k + 1 and _open(board, cells, blocked, n):
                    seen[n] = k + 1
                    dist[n] = d
                    queue[end] = n
                    end += 1
        out[k] = end
    return out


@kernel
def nearest(board: np.ndarray, cells: np.ndarray, blocked: int, goal: int, starts: np.ndarray) -> np.ndarray:
    """Per start, the steps to the nearest cell with any ``goal`` bit set (0 if the start has one), or -1."""
    size = board.shape[0]
    seen = np.zeros(size, np.int64)
    dist = np.empty(size, np.int32)
    queue = np.empty(size, np.int64)
    out = np.full(starts.shape[0], -1, np.int64)
    for k in range(starts.shape[0]):
        start = starts[k]
        if cells[start] & goal:
            out[k] = 0
            continue
        seen[start] = k + 1
        dist[start] = 0
        queue[0] = start
        at, end = 0, 1
        while at < end and out[k] < 0:  # cells are found in order of distance: the first goal is the nearest
            cell = queue[at]
            at += 1
            for m in range(4):
                n = board[cell, NEXT + m]
                if seen[n] != k + 1 and _open(board, cells, blocked, n):
                    if cells[n] & goal:
                        out[k] = dist[cell] + 1
                        break
                    seen[n] = k + 1
                    dist[n] = dist[cell] + 1
                    queue[end] = n
                    end += 1
    return out
