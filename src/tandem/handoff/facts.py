"""The `account_handoffs` relation of the columnar copy (declared in the manifest,
`relations=`): every handoff of an account subject with its account's dimensions, read once per
copy. The registry's account handoff figures (`metrics.py`) are SQL over it; the lead figures
read `handoffs`, leads only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.analytics.extra import Relation
from tandem.db import UTCDateTime
from tandem.handoff.models import Handoff, Subject
from tandem.handoff.relation import SCHEMA, empty

UNKNOWN = "unknown"
_TIMES = (
    "mql_at", "clock_started_at", "accept_due_at", "first_touch_due_at", "accepted_at",
    "rejected_at", "first_touch_at",
)  # fmt: skip


def _seconds(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def account_handoffs_frame(connection: Connection) -> pl.DataFrame:
    """One row per account handoff (the relation's shape, `relation.SCHEMA`)."""
    from tandem.analytics.dims import segment_expr

    query = (
        select(
            Handoff.account_id,
            Handoff.subject,
            Handoff.status,
            Handoff.reject_code,
            Handoff.owner_id,
            Account.tier,
            Account.region,
            Account.industry,
            Account.employees,
            Account.employee_band,
            *(getattr(Handoff, name) for name in _TIMES),
        )
        .join(Account, Account.id == Handoff.account_id)
        .where(Handoff.subject.in_(Subject.ACCOUNTS))
    )
    decode = UTCDateTime().process_result_value
    dialect = connection.dialect
    rows = []
    for (
        aid,
        subject,
        status,
        code,
        owner,
        tier,
        region,
        industry,
        employees,
        band,
        *times,
    ) in connection.execute(query):
        at = {n: _seconds(decode(t, dialect)) for n, t in zip(_TIMES, times, strict=True)}
        answered = [t for t in (at["accepted_at"], at["rejected_at"]) if t is not None]
        rows.append(
            {
                "account_id": aid,
                "subject": subject,
                "status": status,
                "reject_code": code,
                "tier": tier or "none",
                "region": region or UNKNOWN,
                "vertical": industry or UNKNOWN,
                "owner": str(owner) if owner is not None else UNKNOWN,
                **{n.removesuffix("_at") + "_s": v for n, v in at.items()},
                "answered_s": min(answered, default=None),
                "employees": employees,
                "employee_band": band,
            }
        )
    raw = {**SCHEMA, "employees": pl.Int64, "employee_band": pl.String}
    for name in ("segment", "channel", "source"):
        raw.pop(name)
    frame = pl.DataFrame(rows, schema=raw)
    return frame.with_columns(
        segment=segment_expr().fill_null(UNKNOWN), channel=pl.lit(UNKNOWN), source=pl.lit(UNKNOWN)
    ).select(list(SCHEMA))


def fingerprint(db_session: Session) -> tuple[Any, ...]:
    """Changes when the `account_handoffs` relation would: a new account handoff, an answer."""
    return tuple(
        db_session.execute(
            select(
                func.count(),
                func.max(Handoff.id),
                func.max(Handoff.accepted_at),
                func.max(Handoff.rejected_at),
                func.max(Handoff.first_touch_at),
            ).where(Handoff.subject.in_(Subject.ACCOUNTS))
        ).one()
    )


def _relation(facts: Any) -> pl.DataFrame:
    return ACCOUNT_HANDOFFS.frame(facts)


ACCOUNT_HANDOFFS = Relation(
    "account_handoffs",
    "account_id",
    _relation,
    read=account_handoffs_frame,
    empty=empty,
    stamp=fingerprint,
)
RELATIONS = (ACCOUNT_HANDOFFS,)
