"""The statistics of perception gaps, on plain arrays. Pure.

* Mann-Whitney U (two-sided, normal approximation with the tie correction and continuity
  correction: answers on a 1-5 scale are nearly all ties, so the exact test does not apply);
* the difference of means with Welch's 95% confidence interval;
* Benjamini-Hochberg adjusted p-values (q) across the statements of a wave;
* within-group agreement r_wg (James, Demaree and Wolf): 1 - observed variance / the variance
  of a uniform answer over the scale's points, 0 when a group is split.

`tests/alignment/test_stats.py` checks each against scipy's own implementation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special
from scipy import stats as sps

#: r_wg at or above this: the group agrees with itself (the usual 0.70 cut-off).
AGREES = 0.7


@dataclass(frozen=True)
class Test:
    """Two groups compared: U, its two-sided p-value, the mean difference (x - y) with its
    95% confidence interval, and the rank-biserial effect size."""

    u: float
    p: float
    difference: float
    low: float
    high: float
    effect: float


def ranks(values: np.ndarray) -> tuple[np.ndarray, float]:
    """Average ranks (1-based) of `values` and the tie term sum(t^3 - t)."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    counts = np.diff(np.r_[starts, len(values)])
    mean_rank = starts + (counts + 1) / 2.0
    out = np.empty(len(values))
    out[order] = np.repeat(mean_rank, counts)
    return out, float(np.sum(counts.astype(float) ** 3 - counts))


def mann_whitney(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """U of `x` and the two-sided asymptotic p-value (1.0 when every answer is the same)."""
    n1, n2 = len(x), len(y)
    r, ties = ranks(np.concatenate([x, y]).astype(float))
    u1 = float(r[:n1].sum() - n1 * (n1 + 1) / 2)
    n = n1 + n2
    sigma2 = n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1)))
    if sigma2 <= 0:
        return u1, 1.0
    u = max(u1, n1 * n2 - u1)
    z = (u - n1 * n2 / 2.0 - 0.5) / math.sqrt(sigma2)
    return u1, float(min(1.0, 2 * special.ndtr(-z)))


def welch_interval(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """mean(x) - mean(y) and Welch's confidence interval for it."""
    n1, n2 = len(x), len(y)
    d = float(x.mean() - y.mean())
    v1, v2 = float(x.var(ddof=1)) / n1, float(y.var(ddof=1)) / n2
    se2 = v1 + v2
    if se2 <= 0:
        return d, d, d
    df = se2**2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    half = float(sps.t.ppf(0.5 + level / 2, df)) * math.sqrt(se2)
    return d, d - half, d + half


def compare(x: np.ndarray, y: np.ndarray) -> Test:
    """Everything the report says about two groups' answers (each at least two answers)."""
    u1, p = mann_whitney(x, y)
    d, low, high = welch_interval(x, y)
    effect = 2 * u1 / (len(x) * len(y)) - 1  # rank-biserial: P(x>y) - P(x<y)
    return Test(u=u1, p=p, difference=d, low=low, high=high, effect=float(effect))


def benjamini_hochberg(p: list[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values, in the order given."""
    m = len(p)
    if m == 0:
        return []
    values = np.asarray(p, dtype=float)
    order = np.argsort(values)
    scaled = values[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return [float(v) for v in out]


def rwg(x: np.ndarray, points: int) -> float | None:
    """Within-group agreement on a scale of `points` points (None below two answers)."""
    if len(x) < 2:
        return None
    expected = (points**2 - 1) / 12.0
    return float(min(1.0, max(0.0, 1 - float(x.var(ddof=1)) / expected)))
