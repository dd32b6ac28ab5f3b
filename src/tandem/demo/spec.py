"""What demo world to generate: size, seed, clock and who the reps are."""

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

US_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class DemoSpec:
    """Parameters of a demo data set. The same spec always yields the same data."""

    contacts: int
    as_of: datetime
    seed: int = 42
    months: int = 18
    activities_per_contact: float = 20.0
    rep_ids: tuple[int, ...] = (1,)
    accounts_per_chunk: int = 2_000
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def as_of_us(self) -> int:
        """The demo clock as microseconds since the epoch."""
        return int(self.as_of.timestamp() * 1_000_000)

    @property
    def start_us(self) -> int:
        """The earliest moment of the demo history."""
        return self.as_of_us - int(self.months * 30.4 * US_PER_DAY)

    def rng(self, *stream: int) -> np.random.Generator:
        """An independent random stream per (part, chunk), so chunks are reproducible alone."""
        return np.random.default_rng([self.seed, *stream])


def pick(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Vectorised categorical draw: `size` indices into `weights` (need not sum to 1)."""
    cdf = np.cumsum(weights, dtype=np.float64)
    return np.searchsorted(cdf / cdf[-1], rng.random(size), side="right").astype(np.int64)


def pick_rows(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Categorical draw where row `rows[i]` of the `probs` matrix gives draw i's weights."""
    cdf = np.cumsum(probs, axis=1)
    cdf = cdf / cdf[:, -1:]
    u = rng.random(len(rows))
    return (u[:, None] > cdf[rows]).sum(axis=1).astype(np.int64)
