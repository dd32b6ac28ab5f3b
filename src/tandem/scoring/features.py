"""Features for the predictive score, as known at the scoring moment. Pure (Polars), explicit
`as_of`: fit fields as they are, and per activity type the count in the last 90 days and the
days since the last one, using only activities that had happened by `as_of`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl

from tandem.activities import types as activity_types

#: The contact and account fields the predictive score learns from.
TRAINING_FIELDS: tuple[str, ...] = (
    "contact.job_level",
    "contact.title",
    "contact.budget",
    "contact.authority",
    "contact.need",
    "contact.timeline",
    "contact.country",
    "contact.buying_role",
    "contact.lead_source",
    "contact.lead_medium",
    "account.industry",
    "account.employee_band",
    "account.employees",
    "account.annual_revenue",
    "account.region",
    "account.country",
    "account.is_target",
    "account.tier",
)
#: Of those, the fields known before first contact: who the lead is (firmographic and fit) and
#: where it came from (recorded when it was created). The rest are learnt in conversation (BANT
#: answers, the buying role) and can be typed in after the outcome; the leakage test
#: `far_above_pre_contact` compares them with these.
PRE_CONTACT_FIELDS: tuple[str, ...] = (
    "contact.job_level",
    "contact.title",
    "contact.country",
    "contact.lead_source",
    "contact.lead_medium",
    *(f for f in TRAINING_FIELDS if f.startswith("account.")),
)
WINDOW_DAYS = 90
_US_PER_DAY = 86_400_000_000


def activity_features(
    activities: pl.DataFrame, as_of: datetime, types: Sequence[str] | None = None
) -> pl.DataFrame:
    """contact_id, then per type `<type>_90d` (count) and `<type>_days_since` (null if never),
    plus the same over all types, from activities up to `as_of`."""
    kinds = list(types or [t.key for t in activity_types.all_types()])
    now = int(as_of.timestamp() * 1_000_000)
    known = activities.select(
        "contact_id",
        pl.col("activity_type"),
        pl.col("occurred_at").dt.epoch("us").alias("t"),
    ).filter(pl.col("t") <= now)
    recent = pl.col("t") > now - WINDOW_DAYS * _US_PER_DAY
    since = ((now - pl.col("t").max()) / _US_PER_DAY).round(1)
    per_type = [
        expr
        for kind in kinds
        for expr in (
            (recent & (pl.col("activity_type") == kind)).sum().alias(f"{kind}_90d"),
            ((now - pl.col("t").filter(pl.col("activity_type") == kind).max()) / _US_PER_DAY)
            .round(1)
            .alias(f"{kind}_days_since"),
        )
    ]
    return known.group_by("contact_id").agg(
        *per_type, recent.sum().alias("any_90d"), since.alias("any_days_since")
    )


def dated_columns(frame: pl.DataFrame) -> tuple[str, ...]:
    """The columns of a `feature_frame` computed as of its moment from dated events (activity
    counts and recencies, tenure): they cannot be filled in after the outcome."""
    suffixes = ("_90d", "_days_since")
    return tuple(c for c in frame.columns if c.endswith(suffixes) or c == "tenure_days")


def feature_frame(
    contacts: pl.DataFrame, activities: pl.DataFrame, as_of: datetime
) -> pl.DataFrame:
    """One row per contact that existed at `as_of`: its fields, tenure and activity features.

    `contacts` has contact_id, created_at and field columns; `activities` has contact_id,
    activity_type, occurred_at.
    """
    acts = activity_features(activities, as_of)
    counts = [c for c in acts.columns if c.endswith("_90d")]
    existing = contacts.filter(pl.col("created_at") <= as_of)
    tenure = ((pl.lit(as_of) - pl.col("created_at")).dt.total_hours() / 24).round(0)
    return (
        existing.with_columns(tenure.alias("tenure_days"))
        .drop("created_at")
        .join(acts, on="contact_id", how="left")
        .with_columns(pl.col(counts).fill_null(0))
    )
