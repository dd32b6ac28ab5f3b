"""From channel-level shares (Markov, Shapley) to credit per touch of each journey.

Data-driven models value channels, not touches. Our rule, used by both: a converted journey's
amount is split over the channels it touched in proportion to their global shares,
renormalised to the channels present in that journey; a channel's part is then split equally
over its touches in the journey. A journey whose channels all have share 0 falls back to an
equal split per touch (done by the cent allocator), so credit is never lost.

Summed over journeys, these credits generally differ from the channel-level totals the
reference packages report (total conversions or value x share); `markov_attribution` and
`shapley_values` return those totals too. The `mam` package instead weights every touch by its
channel's share, so a repeated channel gains weight; we do not, because the removal effect and
the Shapley value are properties of a channel's presence, not of how often it repeats.
"""

import numpy as np

from tandem.attribution.batch import JourneyBatch


def channel_share_weights(batch: JourneyBatch, shares: np.ndarray) -> np.ndarray:
    """Per-touch weights from per-channel `shares` (aligned with `batch.channels`)."""
    n_channels = max(len(batch.channels), 1)
    key = batch.journey_of_touch.astype(np.int64) * n_channels + batch.channel_code
    if len(batch.lengths) * n_channels <= 1 << 26:  # count by journey x channel directly
        repeats = np.bincount(key, minlength=len(batch.lengths) * n_channels)[key]
    else:
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        repeats = counts[inverse]
    share = np.clip(np.asarray(shares, dtype=np.float64), 0.0, None)
    return share[batch.channel_code] / repeats
