"""Shapley attribution over channel coalitions (the "simplified Shapley" of Zhao et al. 2018).

A path counts for coalition S when the set of channels it touched is a subset of S. The
characteristic function v(S) is, over those paths:

* ``conversions``: their conversions (Zhao et al.'s choice; the default);
* ``value``: their converted value;
* ``conversion_rate``: their conversions / (conversions + nulls), so non-converting paths
  lower a coalition's worth.

v(empty) = 0 and paths without touches are ignored. Methods: ``exact`` enumerates all 2^n
coalitions (n <= `exact_max_channels`, default 15); ``sampled`` averages marginal
contributions over random channel orders and reports each value's standard error (sample
standard deviation / sqrt(samples)); ``closed_form`` applies to the additive characteristics
(conversions, value), whose Shapley value is exactly each path's worth split equally among its
distinct channels, at any n. ``auto`` picks exact, then closed form, then sampled.
"""

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from tandem.attribution.batch import JourneyBatch
from tandem.attribution.channel_shares import channel_share_weights
from tandem.attribution.config import AttributionConfig
from tandem.attribution.paths import Paths
from tandem.attribution.registry import register

Characteristic = Literal["conversions", "value", "conversion_rate"]
Method = Literal["auto", "exact", "closed_form", "sampled"]


@dataclass(frozen=True, eq=False)
class ShapleyResult:
    """Shapley value per channel; `std_errors` are 0 unless `method` is ``sampled``."""

    channels: tuple[str, ...]
    values: np.ndarray
    std_errors: np.ndarray
    method: str
    samples: int

    @property
    def shares(self) -> np.ndarray:
        """Values clipped at 0 and normalised to sum 1 (all 0 when nothing is worth anything)."""
        positive = np.clip(self.values, 0.0, None)
        return positive / positive.sum() if positive.sum() > 0 else positive


def shapley_values(
    paths: Paths,
    *,
    characteristic: Characteristic = "conversions",
    exact_max_channels: int = 15,
    samples: int = 2000,
    seed: int = 0,
    method: Method = "auto",
) -> ShapleyResult:
    """Shapley value of every channel in `paths` for the chosen characteristic function."""
    n = len(paths.channels)
    present, lengths = paths.channel_sets()
    keep = lengths > 0
    present = present[keep]
    worth = (paths.value if characteristic == "value" else paths.conversions)[keep]
    trials = (
        (paths.conversions + paths.nulls)[keep] if characteristic == "conversion_rate" else None
    )
    if method == "auto":
        method = (
            "exact" if n <= exact_max_channels else "closed_form" if trials is None else "sampled"
        )
    zeros = np.zeros(n)
    if method == "exact":
        values = _exact(present, worth, trials)
        return ShapleyResult(paths.channels, values, zeros, "exact", 0)
    if method == "closed_form":
        if trials is not None:
            raise ValueError("the closed form needs an additive characteristic")
        size = np.maximum(present.sum(axis=1), 1)
        values = (present * (worth / size)[:, None]).sum(axis=0)
        return ShapleyResult(paths.channels, values, zeros, "closed_form", 0)
    values, errors = _sampled(present, worth, trials, samples, seed)
    return ShapleyResult(paths.channels, values, errors, "sampled", samples)


def _exact(present: np.ndarray, worth: np.ndarray, trials: np.ndarray | None) -> np.ndarray:
    n = present.shape[1]
    if n > 20:
        raise ValueError(f"exact Shapley over {n} channels would enumerate 2^{n} coalitions")
    masks = present @ (1 << np.arange(n, dtype=np.int64))
    v = _subset_sums(np.bincount(masks, worth, minlength=1 << n), n)
    if trials is not None:
        total = _subset_sums(np.bincount(masks, trials, minlength=1 << n), n)
        v = np.divide(v, total, out=np.zeros_like(v), where=total > 0)
    coalitions = np.arange(1 << n)
    popcount = sum((coalitions >> bit) & 1 for bit in range(n))
    # Weight of a coalition S of size s not containing i: s! (n - s - 1)! / n!.
    gamma = np.array(
        [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    )
    values = np.zeros(n)
    for i in range(n):
        split = v.reshape(-1, 2, 1 << i)  # [:, 0] coalitions without i, [:, 1] with i
        sizes = popcount.reshape(-1, 2, 1 << i)[:, 0]
        values[i] = (gamma[sizes] * (split[:, 1] - split[:, 0])).sum()
    return values


def _subset_sums(f: np.ndarray, n: int) -> np.ndarray:
    """Zeta transform: out[S] = sum of f[T] over all T subset of S, in O(n 2^n)."""
    out = f.astype(np.float64).copy()
    for bit in range(n):
        view = out.reshape(-1, 2, 1 << bit)
        view[:, 1] += view[:, 0]
    return out


def _sampled(
    present: np.ndarray, worth: np.ndarray, trials: np.ndarray | None, samples: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Monte-Carlo over channel orders: mean marginal contribution and its standard error."""
    sets, inverse = np.unique(present, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    worth = np.bincount(inverse, worth, minlength=len(sets))
    trials = None if trials is None else np.bincount(inverse, trials, minlength=len(sets))
    n, rng = present.shape[1], np.random.default_rng(seed)
    total, squares, done = np.zeros(n), np.zeros(n), 0
    while done < samples:
        k = min(256, samples - done)
        order = rng.permuted(np.tile(np.arange(n), (k, 1)), axis=1)
        position = np.argsort(order, axis=1)  # position[p, c]: when channel c joins
        # A path set is complete once its last channel has joined.
        complete = np.full((k, len(sets)), -1)
        for c in range(n):
            complete = np.maximum(complete, np.where(sets[:, c], position[:, [c]], -1))
        v = _prefix_worth(complete, worth, k, n)
        if trials is not None:
            v_total = _prefix_worth(complete, trials, k, n)
            v = np.divide(v, v_total, out=np.zeros_like(v), where=v_total > 0)
        marginal = np.diff(v, axis=1, prepend=0.0)
        draws = np.take_along_axis(marginal, position, axis=1)
        total += draws.sum(axis=0)
        squares += (draws**2).sum(axis=0)
        done += k
    mean = total / samples
    variance = np.maximum(squares / samples - mean**2, 0.0) * samples / max(samples - 1, 1)
    return mean, np.sqrt(variance / samples)


def _prefix_worth(complete: np.ndarray, worth: np.ndarray, k: int, n: int) -> np.ndarray:
    """Worth of each order's first j+1 channels, for j = 0..n-1 (k orders x n)."""
    rows = np.repeat(np.arange(k), complete.shape[1])
    flat = complete.ravel()
    ok = flat >= 0
    sums = np.bincount(rows[ok] * n + flat[ok], np.tile(worth, k)[ok], minlength=k * n)
    return np.cumsum(sums.reshape(k, n), axis=1)


@register("shapley")
def shapley(batch: JourneyBatch, config: AttributionConfig) -> np.ndarray:
    """Shapley shares over all journeys of the batch, split per journey."""
    settings = config.shapley
    fitted = shapley_values(
        batch.to_paths(),
        characteristic=settings.characteristic,
        exact_max_channels=settings.exact_max_channels,
        samples=settings.samples,
        seed=settings.seed,
    )
    return channel_share_weights(batch, fitted.shares)
