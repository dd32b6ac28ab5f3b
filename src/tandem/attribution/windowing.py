"""`select_touchpoints` for many opportunities at once, on polars frames.

Same rule as `tandem.attribution.touchpoints.select_touchpoints` (see its module docstring),
vectorised so the DB layer can window millions of activities without a Python loop.
"""

import polars as pl

from tandem.attribution.touchpoints import MILESTONES


def select_touchpoints_frame(
    activities: pl.DataFrame,
    opportunities: pl.DataFrame,
    *,
    lookback_days: int = 180,
    until_close: bool = False,
) -> pl.DataFrame:
    """Window and mark the touchpoints of every opportunity.

    activities: ``opportunity_id`` (an activity of a contact on two opportunities appears
    twice), ``activity_id``, ``occurred_at`` (UTC datetime) and any other columns, which are
    kept. opportunities: ``opportunity_id``, ``created_at``, optional ``closed_at`` and
    ``mql_at``. Returns the touches in the window, ordered by opportunity, time and activity,
    with a ``milestones`` UInt8 bit mask (bit k = MILESTONES[k]) ready for `batch_from_frames`.
    """
    if lookback_days < 0:
        raise ValueError(f"lookback_days must not be negative, got {lookback_days}")
    opportunities = opportunities.with_columns(
        *[
            pl.lit(None, dtype=opportunities["created_at"].dtype).alias(c)
            for c in ("closed_at", "mql_at")
            if c not in opportunities.columns
        ]
    ).select(
        "opportunity_id",
        pl.col("created_at").alias("_created"),
        pl.col("closed_at").alias("_closed"),
        pl.col("mql_at").alias("_mql"),
    )
    close_counts = until_close & pl.col("_closed").is_not_null()
    end = pl.when(close_counts).then(pl.col("_closed")).otherwise(pl.col("_created"))
    start = pl.col("_created") - pl.duration(days=lookback_days)
    windowed = (
        activities.join(opportunities, on="opportunity_id", how="inner")
        .filter((pl.col("occurred_at") >= start) & (pl.col("occurred_at") <= end))
        .sort("opportunity_id", "occurred_at", "activity_id")
        .with_columns(pl.int_range(pl.len()).over("opportunity_id").alias("_pos"))
    )

    def last_at_or_before(moment: pl.Expr) -> pl.Expr:
        # The last touch at or before `moment`; false everywhere when there is none.
        last = pl.col("_pos").filter(pl.col("occurred_at") <= moment).max()
        return (pl.col("_pos") == last.over("opportunity_id")).fill_null(False)

    bit = {m: 1 << k for k, m in enumerate(MILESTONES)}
    flags = [
        (pl.col("_pos") == 0, bit["first_touch"]),
        (last_at_or_before(pl.col("_mql")), bit["lead_creation"]),
        (last_at_or_before(pl.col("_created")), bit["opportunity_creation"]),
        (close_counts & last_at_or_before(pl.col("_closed")), bit["close"]),
    ]
    mask = sum((pl.when(flag).then(value).otherwise(0) for flag, value in flags), pl.lit(0))
    return windowed.with_columns(mask.cast(pl.UInt8).alias("milestones")).drop(
        "_created", "_closed", "_mql", "_pos"
    )
