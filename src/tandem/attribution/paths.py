"""Channel paths with outcome counts: the input of the data-driven models.

Markov and Shapley only need each path's channel sequence and how many times it converted or
did not. The same structure holds Tandem journeys (one row each: 1 conversion or 1 null) and
grouped path tables such as ChannelAttribution's example data (counts per row), so both go
through one solver.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Paths:
    """Channel sequences in CSR layout plus per-path conversions, nulls and value.

    Path `i` is ``codes[offsets[i]:offsets[i+1]]``, each code indexing `channels`.
    """

    channels: tuple[str, ...]
    offsets: np.ndarray
    codes: np.ndarray
    conversions: np.ndarray
    nulls: np.ndarray
    value: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.offsets) - 1
        if not (len(self.conversions) == len(self.nulls) == len(self.value) == n):
            raise ValueError("conversions, nulls and value need one entry per path")
        if len(self.codes) != self.offsets[-1]:
            raise ValueError("offsets do not match codes")

    @property
    def lengths(self) -> np.ndarray:
        """Touches per path."""
        return np.diff(self.offsets)

    @property
    def path_of_touch(self) -> np.ndarray:
        """For every touch, the index of its path."""
        return np.repeat(np.arange(len(self.offsets) - 1), self.lengths)

    def channel_sets(self) -> tuple[np.ndarray, np.ndarray]:
        """Boolean matrix (paths x channels) of which channels each path touches, and lengths."""
        present = np.zeros((len(self.offsets) - 1, len(self.channels)), dtype=bool)
        present[self.path_of_touch, self.codes] = True
        return present, self.lengths


def paths_from_strings(
    paths: Sequence[str],
    *,
    conversions: Sequence[float],
    nulls: Sequence[float] | None = None,
    value: Sequence[float] | None = None,
    sep: str = ">",
) -> Paths:
    """Paths from strings like ``"alpha > beta"``; channel names are stripped and sorted.

    Repeated path strings stay separate rows; every model sums over rows, which is the same
    as summing their counts first.
    """
    split = [[c.strip() for c in p.split(sep) if c.strip()] for p in paths]
    channels = tuple(sorted({c for path in split for c in path}))
    index = {c: i for i, c in enumerate(channels)}
    codes = np.fromiter((index[c] for path in split for c in path), dtype=np.int32)
    offsets = np.zeros(len(split) + 1, dtype=np.int64)
    np.cumsum([len(path) for path in split], out=offsets[1:])
    n = len(split)
    return Paths(
        channels=channels,
        offsets=offsets,
        codes=codes,
        conversions=np.asarray(conversions, dtype=np.float64),
        nulls=np.zeros(n) if nulls is None else np.asarray(nulls, dtype=np.float64),
        value=np.zeros(n) if value is None else np.asarray(value, dtype=np.float64),
    )
