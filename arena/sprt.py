"""Sequential probability ratio test on paired game results, as chess engine testing runs it.

This is Fishtest's generalized SPRT (GSPRT) in logistic Elo: the results are counts of outcomes
with equally spaced scores -- trinomial ``[losses, draws, wins]`` for single games, or pentanomial
``[LL, LD, LW+DD, DW, WW]`` for pairs of games played on the same seed with seats swapped (the pair
is the unit, so what the start position gives one side it gives the other, and the variance shrinks).
The log-likelihood ratio compares the maximum-likelihood outcome distributions whose mean score is
that of ``elo0`` and of ``elo1`` (Van den Bergh, "A generalized SPRT", hardy.uhasselt.be/Fishtest).
Zero counts are replaced by 1e-3 first, as Fishtest does, so the ratio is defined from the start.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

EPSILON = 1e-3  # Fishtest's regularization of empty outcome classes


def score_of_elo(elo: float) -> float:
    """Expected score per game of a side ``elo`` stronger (logistic model)."""
    return 1 / (1 + 10 ** (-elo / 400))


def elo_of_score(score: float) -> float:
    """The inverse of ``score_of_elo``; scores of 0 or 1 are clamped to stay finite."""
    score = min(max(score, EPSILON), 1 - EPSILON)
    return -400 * math.log10(1 / score - 1) + 0.0  # + 0.0: an even score is +0, not -0


def outcome_distribution(counts: Sequence[float]) -> tuple[float, list[tuple[float, float]]]:
    """(total, [(score per game, frequency)]) of trinomial or pentanomial counts, regularized."""
    if len(counts) not in (3, 5):
        raise ValueError("results are 3 (L, D, W) or 5 (LL, LD, LW+DD, DW, WW) counts")
    counts = [c if c > 0 else EPSILON for c in counts]
    total = sum(counts)
    return total, [(i / (len(counts) - 1), c / total) for i, c in enumerate(counts)]


def _mean_var(pdf: list[tuple[float, float]]) -> tuple[float, float]:
    mean = sum(a * p for a, p in pdf)
    return mean, sum(p * (a - mean) ** 2 for a, p in pdf)


def _mle_with_mean(pdf: list[tuple[float, float]], s: float) -> list[float]:
    """Probabilities closest (in likelihood) to ``pdf`` whose mean score is ``s``.

    The solution is p_i / (1 + x (a_i - s)) for the x in (-1/(max-s), 1/(s-min)) where the
    weighted sum of (a_i - s) / (1 + x (a_i - s)) is zero; that sum falls monotonically in x.
    """
    shifted = [(a - s, p) for a, p in pdf]
    lo = -1 / max(a for a, _ in shifted)
    hi = -1 / min(a for a, _ in shifted)
    f = lambda x: sum(p * a / (1 + x * a) for a, p in shifted)
    for _ in range(200):
        mid = (lo + hi) / 2
        if f(mid) > 0:
            lo = mid
        else:
            hi = mid
    x = (lo + hi) / 2
    return [p / (1 + x * a) for a, p in shifted]


def llr(counts: Sequence[float], elo0: float, elo1: float) -> float:
    """Generalized log-likelihood ratio of H1 (Elo = elo1) against H0 (Elo = elo0)."""
    total, pdf = outcome_distribution(counts)
    p0 = _mle_with_mean(pdf, score_of_elo(elo0))
    p1 = _mle_with_mean(pdf, score_of_elo(elo1))
    return total * sum(p * (math.log(b) - math.log(a)) for (_, p), a, b in zip(pdf, p0, p1))


def bounds(alpha: float, beta: float) -> tuple[float, float]:
    """(lower, upper) LLR bounds: below lower accept H0, above upper accept H1 (Wald)."""
    return math.log(beta / (1 - alpha)), math.log((1 - beta) / alpha)


def elo_interval(counts: Sequence[float], z: float = 1.959964) -> tuple[float, float, float]:
    """(Elo, low, high): the Elo of the mean score and its ~95% interval (normal approximation).

    When every result is the same (no variance yet), the interval is Wilson's for the mean score as
    a proportion of ``total`` trials, which stays honest about how few results there are.  Elo is
    clamped to about +-1200 (a score of 0.1% or 99.9%).
    """
    total = sum(counts)
    if total <= 0:
        return 0.0, -math.inf, math.inf
    pdf = [(i / (len(counts) - 1), c / total) for i, c in enumerate(counts)]
    mean, var = _mean_var(pdf)
    if var < 1e-12:
        centre = (mean + z * z / (2 * total)) / (1 + z * z / total)
        half = z * math.sqrt(mean * (1 - mean) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    else:
        centre, half = mean, z * math.sqrt(var / total)
    return elo_of_score(mean), elo_of_score(centre - half), elo_of_score(centre + half)


@dataclass
class SprtState:
    """Where a test stands: the LLR against its bounds and the decision, if any."""

    llr: float
    lower: float
    upper: float
    elo: float
    elo_low: float
    elo_high: float

    @property
    def decision(self) -> str | None:
        """``"H1"`` (elo1 holds), ``"H0"`` (elo0 holds) or None while undecided."""
        if self.llr >= self.upper:
            return "H1"
        if self.llr <= self.lower:
            return "H0"
        return None


def sprt(counts: Sequence[float], elo0: float = 0.0, elo1: float = 20.0, alpha: float = 0.05,
         beta: float = 0.05) -> SprtState:
    """The test's state after ``counts`` (trinomial or pentanomial, see the module docstring)."""
    if not elo0 < elo1:
        raise ValueError(f"--elo0 must be below --elo1 (got {elo0} and {elo1})")
    if not (0 < alpha < 1 and 0 < beta < 1):
        raise ValueError("--alpha and --beta must be between 0 and 1")
    lower, upper = bounds(alpha, beta)
    elo, low, high = elo_interval(counts)
    return SprtState(llr(counts, elo0, elo1) if sum(counts) else 0.0, lower, upper, elo, low, high)
