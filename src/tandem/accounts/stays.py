"""The `account_stays` relation of the columnar copy (declared in the manifest): one row per
stay of an account in a journey stage, from the daily snapshots, so the registry's stage
conversion and time in stage per tier (`tandem.accounts.metrics`) are sums over rows.

Only the days an account's stage changed are read (a window function in the store), so a year
of daily snapshots costs one row per stage change, not one per day.
"""

from typing import Any

import polars as pl
from sqlalchemy import Connection, func, select

from tandem.accounts import definitions
from tandem.accounts.facts import ACCOUNTS
from tandem.accounts.models import AccountStageSnapshot
from tandem.analytics.extra import Relation
from tandem.analytics.frames import Facts
from tandem.analytics.relations import seconds

#: The account's dimensions each stay carries (the shared ones and the owner).
_DIMENSIONS = ("segment", "region", "vertical", "channel", "source", "owner")
_CHANGES = {"account_id": pl.Int64, "day": pl.Date, "stage": pl.String, "tier": pl.Int64}
EMPTY = pl.DataFrame(
    schema={"account_id": pl.Int64, "stage": pl.String, "tier": pl.String,
            "entered_on": pl.Date, "left_on": pl.Date, "advanced": pl.Int8}
)  # fmt: skip


def stays(changes: pl.DataFrame, funnel: list[str]) -> pl.DataFrame:
    """Stays from the days stages changed (`account_id`, `day`, `stage`, `tier`), with the
    day each ended and whether the account later reached a stage further down `funnel`
    (top first). Pure."""
    depth = pl.col("stage").replace_strict(
        {s: i for i, s in enumerate(funnel)}, default=-1, return_dtype=pl.Int64
    )
    ordered = changes.sort("account_id", "day").with_columns(depth=depth)
    later = (
        pl.col("depth").reverse().cum_max().reverse().shift(-1).over("account_id")
    )  # the deepest stage any later stay reached
    return ordered.select(
        "account_id",
        "stage",
        pl.col("tier").cast(pl.String).fill_null("none"),
        entered_on="day",
        left_on=pl.col("day").shift(-1).over("account_id"),
        advanced=(later.fill_null(-1) > pl.col("depth")).cast(pl.Int8),
    )


def read(connection: Connection) -> pl.DataFrame:
    """The stays of every account, from the snapshot rows where its stage changed."""
    previous = (
        func.lag(AccountStageSnapshot.stage)
        .over(partition_by=AccountStageSnapshot.account_id, order_by=AccountStageSnapshot.day)
        .label("previous")
    )
    inner = select(
        AccountStageSnapshot.account_id,
        AccountStageSnapshot.day,
        AccountStageSnapshot.stage,
        AccountStageSnapshot.tier,
        previous,
    ).subquery()
    changed = select(inner.c.account_id, inner.c.day, inner.c.stage, inner.c.tier).where(
        inner.c.previous.is_(None) | (inner.c.previous != inner.c.stage)
    )
    frame = pl.DataFrame(connection.execute(changed).all(), schema=_CHANGES, orient="row")
    definition, _ = definitions.active(connection, "account_stages")  # type: ignore[arg-type]
    return stays(frame, definition.funnel())


def build(facts: Facts) -> pl.DataFrame:
    """The stays with epoch seconds, days in stage (closed stays) and the account's
    dimensions as the `accounts` relation has them."""
    frame = STAYS.frame(facts)
    dims = ACCOUNTS.frame(facts).select("account_id", *_DIMENSIONS)
    return frame.join(dims, on="account_id", how="left").select(
        "account_id",
        "stage",
        "tier",
        seconds("entered_on").alias("entered_s"),
        seconds("left_on").alias("left_s"),
        (pl.col("left_on") - pl.col("entered_on")).dt.total_days().cast(pl.Float64).alias("days"),
        "advanced",
        *[pl.col(d).fill_null("unknown") for d in _DIMENSIONS],
    )


def _stamp(db_session: Any) -> tuple[Any, ...]:
    return tuple(
        db_session.execute(
            select(func.count(), func.max(AccountStageSnapshot.day)).select_from(
                AccountStageSnapshot
            )
        ).one()
    )


STAYS = Relation("account_stays", "account_id", build, read=read, empty=lambda: EMPTY, stamp=_stamp)
RELATIONS = (ACCOUNTS, STAYS)
