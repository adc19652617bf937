"""The leaderboard: OpenSkill ratings, per-bot counts and the head-to-head table, one game at a time.

Games are added in game order (the caller makes sure), so ratings are deterministic.  Everything
here is plain arithmetic over game records; nothing depends on which machine played a game.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from openskill.models import PlackettLuce

from arena.move_stats import LATENCY_BASE_MS, LATENCY_STEP, latency_bin  # noqa: F401 - latency_bin: shared here


def latency_edge(b: int) -> float:
    """Upper edge of bin ``b``: a percentile read off the histogram is at most 5% high."""
    return LATENCY_BASE_MS * LATENCY_STEP ** b


def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval of a proportion (sound at 0% and 100%, unlike the normal one)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Standing:
    """One bot's line of the leaderboard (the columns of leaderboard.csv, in order)."""

    name: str
    spec: str
    ordinal: float
    mu: float
    sigma: float
    games: int
    wins: int
    win_rate: float
    win_low: float
    win_high: float
    avg_place: float
    avg_length: float
    avg_turns: float
    death: str  # most common death cause ("-" if it never died)
    errors: int
    timeouts: int
    latency_ms: float | None
    latency_p95_ms: float | None


class Leaderboard:
    """OpenSkill ratings plus plain counts, updated one game record at a time."""

    def __init__(self, names: list[str], specs: list[str] | None = None) -> None:
        n = len(names)
        self.names = names
        self.specs = specs or list(names)
        self.model = PlackettLuce()
        self.ratings = [self.model.rating(name=name) for name in names]
        self.games, self.wins, self.place_sum = [0] * n, [0] * n, [0] * n
        self.length_sum, self.turns_sum = [0] * n, [0] * n
        self.errors, self.timeouts = [0] * n, [0] * n
        self.deaths = [Counter() for _ in range(n)]
        self.latency_n, self.latency_sum = [0] * n, [0.0] * n
        self.latency_hist = [Counter() for _ in range(n)]
        self.ahead = [[0] * n for _ in range(n)]  # ahead[a][b]: games where a placed better than b
        self.together = [[0] * n for _ in range(n)]
        self.history: list[list[float]] = []  # every bot's ordinal after each rated game
        self.played = 0
        self.failed: list[tuple[int, str]] = []

    def add(self, record) -> None:
        """Rate one game (a GameRecord); a failed game is only listed."""
        if record.failed:
            self.failed.append((record.index, record.failed))
            return
        seats = record.seats
        if len(seats) > 1:
            rated = self.model.rate([[self.ratings[e]] for e in seats], ranks=[float(r) for r in record.ranks])
            for e, team in zip(seats, rated):
                self.ratings[e] = team[0]
        for seat, e in enumerate(seats):
            self.games[e] += 1
            self.place_sum[e] += record.ranks[seat]
            self.errors[e] += record.errors[seat]
            if record.lengths:
                self.length_sum[e] += record.lengths[seat]
                self.turns_sum[e] += record.survived[seat]
                self.timeouts[e] += record.timeouts[seat]
                if record.deaths[seat]:
                    self.deaths[e][record.deaths[seat]] += 1
                latency = record.latency[seat]
                self.latency_n[e] += latency["n"]
                self.latency_sum[e] += latency["sum"]
                self.latency_hist[e].update({b: c for b, c in latency["hist"]})
            for other_seat, other in enumerate(seats):
                if other != e:
                    self.together[e][other] += 1
                    self.ahead[e][other] += record.ranks[seat] < record.ranks[other_seat]
        if record.winner is not None:
            self.wins[record.winner] += 1
        self.played += 1
        self.history.append([r.ordinal() for r in self.ratings])

    def _p95(self, e: int) -> float | None:
        if not self.latency_n[e]:
            return None
        need, seen = 0.95 * self.latency_n[e], 0
        for b in sorted(self.latency_hist[e]):
            seen += self.latency_hist[e][b]
            if seen >= need:
                return round(latency_edge(b), 2)
        return None

    def standing(self, e: int) -> Standing:
        r, g = self.ratings[e], self.games[e]
        low, high = wilson(self.wins[e], g)
        deaths = self.deaths[e]
        death = min(deaths, key=lambda cause: (-deaths[cause], cause)) if deaths else "-"
        avg = lambda total: round(total / g, 3) if g else 0.0
        return Standing(
            name=self.names[e], spec=self.specs[e], ordinal=r.ordinal(), mu=r.mu, sigma=r.sigma, games=g,
            wins=self.wins[e], win_rate=self.wins[e] / g if g else 0.0, win_low=low, win_high=high,
            avg_place=avg(self.place_sum[e]), avg_length=avg(self.length_sum[e]), avg_turns=avg(self.turns_sum[e]),
            death=death, errors=self.errors[e], timeouts=self.timeouts[e],
            latency_ms=round(self.latency_sum[e] / self.latency_n[e], 2) if self.latency_n[e] else None,
            latency_p95_ms=self._p95(e),
        )

    def standings(self) -> list[Standing]:
        """Best first (by ordinal, the conservative mu - 3 sigma); ties keep entry order."""
        return sorted((self.standing(e) for e in range(len(self.names))), key=lambda s: -s.ordinal)

    def head_to_head(self) -> list[dict]:
        """For each ordered pair that met: games together and how often the first finished ahead."""
        rows = []
        for a, name in enumerate(self.names):
            for b, other in enumerate(self.names):
                if a != b and self.together[a][b]:
                    rows.append({"bot": name, "opponent": other, "ahead": self.ahead[a][b],
                                 "behind": self.ahead[b][a], "games": self.together[a][b],
                                 "ahead_rate": self.ahead[a][b] / self.together[a][b]})
        return rows

    def rating_history(self, points: int = 200) -> dict:
        """Every bot's ordinal after each rated game, thinned to at most ``points`` (the last kept)."""
        n = len(self.history)
        step = max(1, math.ceil(n / points))
        picks = list(range(step - 1, n, step))
        if n and picks[-1:] != [n - 1]:
            picks.append(n - 1)
        return {"games": [i + 1 for i in picks],
                "ratings": {name: [round(self.history[i][e], 3) for i in picks] for e, name in enumerate(self.names)}}
