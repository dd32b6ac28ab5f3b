"""The columnar form of many journeys, which every model computes on.

Models see numpy arrays (one entry per touch, journeys contiguous and time-ordered) so that
100,000 journeys of 30 touches each run in seconds. A single journey is simply a batch of one,
so there is one implementation of each model. The DB layer can build a batch straight from
two polars frames (`batch_from_frames`) without creating Python objects per touch.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from tandem.attribution.money import to_cents
from tandem.attribution.paths import Paths
from tandem.attribution.touchpoints import MILESTONES, Journey

#: Touch columns kept for aggregation (besides the ids).
DIMENSIONS: tuple[str, ...] = ("channel", "campaign_id", "asset_id", "team", "source")


@dataclass(frozen=True, eq=False)
class JourneyBatch:
    """Journeys and their touches as arrays. Build with `batch_from_journeys`/`_frames`."""

    journeys: pl.DataFrame  # opportunity_id, amount_cents, converted (one row per journey)
    touches: pl.DataFrame  # opportunity_id, activity_id, DIMENSIONS (one row per touch)
    offsets: np.ndarray  # journey i owns touches offsets[i]:offsets[i+1]
    channels: tuple[str, ...]  # vocabulary, sorted
    channel_code: np.ndarray  # int32 per touch, index into `channels`
    milestone_mask: np.ndarray  # uint8 per touch, bit k = MILESTONES[k]
    occurred_s: np.ndarray  # float64 epoch seconds per touch
    as_of_s: np.ndarray  # float64 epoch seconds per journey (time decay's reference moment)
    amount_cents: np.ndarray  # int64 per journey
    converted: np.ndarray  # bool per journey

    @property
    def lengths(self) -> np.ndarray:
        """Touches per journey."""
        return np.diff(self.offsets)

    @property
    def journey_of_touch(self) -> np.ndarray:
        """Index of the journey each touch belongs to."""
        return np.repeat(np.arange(len(self.lengths)), self.lengths)

    @property
    def position(self) -> np.ndarray:
        """0-based position of each touch within its journey."""
        return np.arange(len(self.channel_code)) - np.repeat(self.offsets[:-1], self.lengths)

    def has_milestone(self, milestone: str) -> np.ndarray:
        """Boolean per touch: does it mark `milestone`?"""
        return (self.milestone_mask & (1 << MILESTONES.index(milestone))) != 0

    def to_paths(self) -> Paths:
        """Channel paths with outcomes (1 conversion or 1 null each) for Markov and Shapley."""
        converted = self.converted.astype(np.float64)
        return Paths(
            channels=self.channels,
            offsets=self.offsets,
            codes=self.channel_code,
            conversions=converted,
            nulls=1.0 - converted,
            value=self.amount_cents / 100.0 * converted,
        )


def batch_from_journeys(journeys: Sequence[Journey]) -> JourneyBatch:
    """A batch from Journey objects (convenient; the frame route is faster at scale)."""
    bits = {m: 1 << k for k, m in enumerate(MILESTONES)}
    journey_rows = {
        "opportunity_id": [j.opportunity_id for j in journeys],
        "amount_cents": [to_cents(j.amount) for j in journeys],
        "converted": [j.converted for j in journeys],
        "as_of": [j.as_of for j in journeys],
    }
    touches = [(j.opportunity_id, t) for j in journeys for t in j.touchpoints]
    touch_rows = {
        "opportunity_id": [o for o, _ in touches],
        "activity_id": [t.activity_id for _, t in touches],
        "occurred_at": [t.occurred_at for _, t in touches],
        **{d: [getattr(t, d) for _, t in touches] for d in DIMENSIONS},
        "milestones": [sum(bits[m] for m in t.milestones) for _, t in touches],
    }
    journey_schema = {
        "amount_cents": pl.Int64,
        "converted": pl.Boolean,
        "as_of": pl.Datetime("us", "UTC"),
    }
    touch_schema = {
        "occurred_at": pl.Datetime("us", "UTC"),
        "milestones": pl.UInt8,
        "channel": pl.String,
        "team": pl.String,
        "source": pl.String,
    }
    return batch_from_frames(
        pl.DataFrame(journey_rows, schema_overrides=journey_schema, strict=False),
        pl.DataFrame(touch_rows, schema_overrides=touch_schema, strict=False),
    )


def batch_from_frames(journeys: pl.DataFrame, touches: pl.DataFrame) -> JourneyBatch:
    """A batch from a journey frame and a touch frame, as the DB layer can query them.

    journeys: ``opportunity_id``, ``amount_cents`` (int), optional ``converted`` (default
    true) and ``as_of`` (UTC datetime; default the last touch). touches: ``opportunity_id``,
    ``activity_id``, ``occurred_at`` (UTC datetime), ``channel``, optional ``campaign_id``,
    ``asset_id``, ``team`` (default marketing), ``source`` and ``milestones`` (bit mask in
    MILESTONES order, default 0). Touch order within a journey is (occurred_at, activity_id).
    """
    journeys = journeys.with_columns(
        *[
            pl.lit(v).alias(c)
            for c, v in (("converted", True), ("as_of", None))
            if c not in journeys.columns
        ]
    ).with_row_index("_j")
    defaults = {
        "campaign_id": None,
        "asset_id": None,
        "team": "marketing",
        "source": None,
        "milestones": 0,
    }
    touches = touches.with_columns(
        *[pl.lit(v).alias(c) for c, v in defaults.items() if c not in touches.columns],
        pl.col("opportunity_id").cast(journeys["opportunity_id"].dtype),  # e.g. empty: Null
        pl.col("channel").cast(pl.String),
    )
    joined = touches.join(journeys.select("opportunity_id", "_j"), on="opportunity_id", how="left")
    if joined["_j"].null_count():
        raise ValueError("touches reference opportunities missing from the journey frame")
    channels = tuple(joined["channel"].unique().sort().to_list())
    code = {channel: index for index, channel in enumerate(channels)}
    joined = joined.sort("_j", "occurred_at", "activity_id").with_columns(
        (pl.col("occurred_at").dt.epoch("us") / 1e6).alias("_t"),
        pl.col("channel").replace_strict(code, return_dtype=pl.Int32).alias("_code"),
    )
    counts = np.bincount(joined["_j"].to_numpy(), minlength=journeys.height)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    occurred = joined["_t"].to_numpy().astype(np.float64)
    last_touch = np.full(journeys.height, np.nan)
    has_touch = counts > 0
    last_touch[has_touch] = occurred[offsets[1:][has_touch] - 1]
    as_of = (journeys["as_of"].dt.epoch("us") / 1e6).to_numpy().astype(np.float64)
    return JourneyBatch(
        journeys=journeys.select("opportunity_id", "amount_cents", "converted"),
        touches=joined.select("opportunity_id", "activity_id", *DIMENSIONS),
        offsets=offsets,
        channels=channels,
        channel_code=joined["_code"].to_numpy().astype(np.int32),
        milestone_mask=joined["milestones"].cast(pl.UInt8).to_numpy().astype(np.uint8),
        occurred_s=occurred,
        as_of_s=np.where(np.isnan(as_of), last_touch, as_of),
        amount_cents=journeys["amount_cents"].cast(pl.Int64).to_numpy(),
        converted=journeys["converted"].cast(pl.Boolean).to_numpy(),
    )
