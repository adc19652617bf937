"""Tick phases: rooms of the same tick take turns spread evenly over it instead of falling due together.

Why: every room's turns run on one thread under one GIL (``snek_viewer.scheduler``).  Rooms whose
ticks fall due at the same instant run back to back, and the last one is late by the sum of the
others' turns: 64 rooms of the default bot mix opened one after another had their turns up to ~60 ms
late on a quiet machine with the process at 59% of a core.  Spread over the tick, a turn starts late
only when the process is short of CPU.

Each room's deadlines lie on its *beat*: ``epoch + offset + n * tick``, one epoch per process.  A new
room's offset is the middle of the widest gap between the offsets of the rooms already on that tick
(the first gets 0; ties go to the earliest gap), so 64 rooms of 200 ms get one turn every 3.125 ms,
and a room that closes leaves a gap the next one fills.  Rooms of other ticks count where their deadlines
fall on the new room's tick (a 100 ms room twice in a 200 ms tick; one whose deadlines fall on more than
64 points of it is everywhere and ignored).  The offset depends only on the order rooms opened and
closed, never on when; it changes no game, only when each turn is played within its tick.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Beat:
    """One room's deadlines: ``epoch + offset + n * tick`` (seconds on the monotonic clock)."""

    epoch: float
    tick: float
    offset: float  # in [0, tick)

    def _index(self, t: float) -> float:
        return (t - self.epoch - self.offset) / self.tick

    def at_or_after(self, t: float) -> float:
        """The first deadline at ``t`` or later."""
        return self.epoch + self.offset + math.ceil(self._index(t)) * self.tick

    def at_or_before(self, t: float) -> float:
        """The last deadline at ``t`` or earlier."""
        return self.epoch + self.offset + math.floor(self._index(t)) * self.tick

    def first(self, now: float) -> float:
        """A game's first turn: a whole tick after its start frame at least (players get the tick to answer
        the first move), at the room's next deadline after that."""
        return self.at_or_after(now + self.tick)

    def next(self, deadline: float, now: float) -> float:
        """The deadline after ``deadline``; a room more than a tick behind skips the ticks it missed (it
        plays the latest one at once) instead of bursting through them, and keeps its phase."""
        following = deadline + self.tick
        return self.at_or_before(now) if following < now - self.tick else following


def widest_gap_middle(phases: list[Fraction]) -> Fraction:
    """The middle of the widest gap between ``phases`` (fractions of a tick, on a circle of length 1; 0 if
    there are none).  Exact fractions: ties between gaps are real ties, broken the same way every time."""
    if not phases:
        return Fraction(0)
    ordered = sorted(phases)
    gaps = [(end - start, start) for start, end in zip(ordered, ordered[1:])]
    gaps.append((ordered[0] + 1 - ordered[-1], ordered[-1]))  # across the wrap
    width, start = max(gaps, key=lambda gap: gap[0])  # the first of the widest
    return (start + width / 2) % 1


MAX_POINTS = 64  # a room whose deadlines fall on more points of another tick than this is everywhere: ignored


def deadlines_on(tick_ms: int, other_ms: int, other_phase: Fraction) -> list[Fraction]:
    """Where the deadlines of a room of ``other_ms`` at ``other_phase`` fall in a tick of ``tick_ms``, as
    fractions of it: every ``gcd`` ms from its offset (one point for the same tick, two for half of it)."""
    step = math.gcd(tick_ms, other_ms)
    if tick_ms // step > MAX_POINTS:
        return []
    return [(other_phase * other_ms + j * step) / tick_ms % 1 for j in range(tick_ms // step)]


class Phases:
    """The phases of the rooms ticking in this process."""

    def __init__(self, epoch: float | None = None) -> None:
        self.epoch = time.monotonic() if epoch is None else epoch
        self._taken: dict[str, tuple[int, Fraction]] = {}  # room -> (tick in ms, phase as a fraction of the tick)
        self._lock = threading.Lock()

    def join(self, name: str, tick_ms: int) -> Beat:
        """``name``'s beat for a tick of ``tick_ms``: the middle of the widest gap between the deadlines of
        the rooms already ticking (those of another tick count where their deadlines fall on this one)."""
        with self._lock:
            self._taken.pop(name, None)
            points = [point for other_ms, other_phase in self._taken.values()
                      for point in deadlines_on(tick_ms, other_ms, other_phase)]
            phase = widest_gap_middle(points)
            self._taken[name] = (tick_ms, phase)
        return Beat(self.epoch, tick_ms / 1000, float(phase * tick_ms / 1000))

    def phase(self, name: str) -> Fraction | None:
        """Where in its tick ``name`` plays, as a fraction of the tick (None: not ticking)."""
        with self._lock:
            taken = self._taken.get(name)
        return None if taken is None else taken[1]

    def leave(self, name: str) -> None:
        """``name`` no longer ticks: its phase is free for the next room."""
        with self._lock:
            self._taken.pop(name, None)
