"""Per-seat counts of one game's moves: errors, timeouts and the latency histogram a tournament records.

Why in the match: the counts come from the answers (``Match.answered``), the one place both ways of
asking meet -- seat by seat, and a lockstep's batched asks (``arena.batch_ask``), which build no frames
for anyone to count from."""

from __future__ import annotations

import math

LATENCY_BASE_MS = 0.01  # latency histogram: bin b holds (0.01 * 1.05**(b-1), 0.01 * 1.05**b] ms
LATENCY_STEP = 1.05


def latency_bin(ms: float) -> int:
    return 0 if ms <= LATENCY_BASE_MS else math.ceil(math.log(ms / LATENCY_BASE_MS) / math.log(LATENCY_STEP))


class MoveStats:
    """``add`` every answer of a game; ``latency`` and the counts are what ``GameRecord`` keeps."""

    def __init__(self, seats: int) -> None:
        self.errors, self.timeouts = [0] * seats, [0] * seats
        self._n, self._sum = [0] * seats, [0.0] * seats
        self._hist: list[dict[int, int]] = [{} for _ in range(seats)]

    def add(self, seat: int, latency_ms: float | None, error: str | None) -> None:
        if error:
            self.errors[seat] += 1
            self.timeouts[seat] += error.startswith("timeout")
        if latency_ms is not None:
            self._n[seat] += 1
            self._sum[seat] += latency_ms
            hist, b = self._hist[seat], latency_bin(latency_ms)
            hist[b] = hist.get(b, 0) + 1

    def latency(self) -> list[dict]:
        """Per seat ``{"n", "sum" (ms), "hist": [[bin, count]]}`` (``arena.standings``)."""
        return [{"n": n, "sum": round(total, 3), "hist": sorted(hist.items())}
                for n, total, hist in zip(self._n, self._sum, self._hist)]
