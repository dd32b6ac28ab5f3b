"""The `accounts` relation of the columnar copy (declared in the manifest, `relations=`): one
row per account with its tier, latest snapshot stage, stored score and MQA moment, read once
per copy. The metric registry's account figures (`metrics.py`) are SQL over it."""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account, AccountScore, AccountStageSnapshot
from tandem.accounts.relation import SCHEMA, UNKNOWN, empty
from tandem.analytics.extra import Relation


def _seconds(value: Any) -> float | None:
    return None if value is None else value.timestamp()


def accounts_frame(connection: Connection) -> pl.DataFrame:
    """Every account as the relation's row (stage: the latest daily snapshot's)."""
    day = connection.execute(select(func.max(AccountStageSnapshot.day))).scalar()
    query = (
        select(
            Account.id,
            Account.tier,
            AccountStageSnapshot.stage,
            Account.industry,
            Account.region,
            Account.owner_id,
            Account.is_target,
            AccountScore.is_mqa,
            AccountScore.mqa_at,
            AccountScore.last_touch_at,
            AccountScore.people_engaged,
            AccountScore.total,
            AccountScore.coverage,
            Account.employees,
            Account.employee_band,
        )
        .outerjoin(AccountScore, AccountScore.account_id == Account.id)
        .outerjoin(
            AccountStageSnapshot,
            (AccountStageSnapshot.account_id == Account.id) & (AccountStageSnapshot.day == day),
        )
    )
    from tandem.analytics.dims import segment_expr
    from tandem.db import UTCDateTime

    decode = UTCDateTime().process_result_value
    dialect = connection.dialect
    rows = []
    for row in connection.execute(query):
        (
            aid,
            tier,
            stage,
            industry,
            region,
            owner,
            target,
            mqa,
            mqa_at,
            last,
            people,
            total,
            cover,
            employees,
            band,
        ) = row
        rows.append(
            {
                "account_id": aid,
                "tier": tier or "none",
                "stage": stage or UNKNOWN,
                "vertical": industry or UNKNOWN,
                "region": region or UNKNOWN,
                "owner": str(owner) if owner is not None else UNKNOWN,
                "is_target": int(bool(target)),
                "is_mqa": int(bool(mqa)),
                "mqa_s": _seconds(decode(mqa_at, dialect)),
                "last_touch_s": _seconds(decode(last, dialect)),
                "people_engaged": people or 0,
                "score": float(total) if total is not None else None,
                "coverage": float(cover) if cover is not None else None,
                "employees": employees,
                "employee_band": band,
            }
        )
    raw = {**SCHEMA, "employees": pl.Int64, "employee_band": pl.String}
    for name in ("segment", "channel", "source"):
        raw.pop(name)
    frame = pl.DataFrame(rows, schema=raw)
    return frame.with_columns(
        segment=segment_expr().fill_null(UNKNOWN),
        channel=pl.lit(UNKNOWN),
        source=pl.lit(UNKNOWN),
    ).select(list(SCHEMA))


def fingerprint(db_session: Session) -> tuple[Any, ...]:
    """Changes when the accounts relation would: new scores, a new snapshot, list changes."""
    return (
        db_session.scalar(select(func.max(AccountScore.scored_at))),
        db_session.scalar(select(func.max(AccountStageSnapshot.day))),
        db_session.scalar(select(func.count()).select_from(Account).where(Account.is_target)),
    )


def _relation(facts: Any) -> pl.DataFrame:
    return ACCOUNTS.frame(facts)


#: The `accounts` relation, declared in the manifest (`relations=`).
ACCOUNTS = Relation(
    "accounts", "account_id", _relation, read=accounts_frame, empty=empty, stamp=fingerprint
)
