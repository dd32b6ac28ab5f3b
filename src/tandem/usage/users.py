"""Account-level usage derived from per-user usage (`user_usage_facts`).

An account that reports no `active_users` of its own for a period gets one derived: the
distinct users with any activity (a value above 0 on any metric) in that period. A row the
account reported itself always wins: the derived figure only fills what is unknown.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.usage.models import UserUsageFact

LONG = {"account_id": pl.Int64, "metric": pl.String, "value": pl.Float64, "day": pl.Date}


def derived_active_users(
    db_session: Session, *, period: str, since: date | None = None, until: date | None = None
) -> pl.DataFrame:
    """`account_id`, `metric` ("active_users"), `value`, `day`: distinct active users of each
    account and period, from the per-user facts."""
    query = (
        select(
            UserUsageFact.account_id,
            func.count(UserUsageFact.contact_id.distinct()),
            UserUsageFact.period_start,
        )
        .where(UserUsageFact.period == period, UserUsageFact.value > 0)
        .group_by(UserUsageFact.account_id, UserUsageFact.period_start)
    )
    if since is not None:
        query = query.where(UserUsageFact.period_start > since)
    if until is not None:
        query = query.where(UserUsageFact.period_start <= until)
    rows = [(a, "active_users", float(n), d) for a, n, d in db_session.execute(query)]
    return pl.DataFrame(rows, schema=LONG, orient="row")


def fill_active_users(long: pl.DataFrame, derived: pl.DataFrame) -> pl.DataFrame:
    """`long` (account-level facts) with the derived active users where the account reported
    none for that period."""
    reported = long.filter(pl.col("metric") == "active_users").select("account_id", "day")
    return pl.concat([long, derived.join(reported, on=["account_id", "day"], how="anti")])
