"""Customer usage and health over the store: load the frames, score, raise signals, replay.

Keyword-only functions, session first, explicit `as_of`; the maths is in the pure modules
(`compute`, `signals`, `retention`, `backtest`), which read the frames built here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import polars as pl
from sqlalchemy import delete, func, select, union
from sqlalchemy.orm import Session

from tandem import errors
from tandem.accounts.models import Account
from tandem.activities.models import Activity
from tandem.analytics.dims import segment_expr
from tandem.contacts.models import Contact
from tandem.engines.health_sql import chosen_score
from tandem.events import RaisedSignal, UsageSignalsRaised, publish
from tandem.sql import insert_ignore
from tandem.usage import backtest as replay
from tandem.usage import users
from tandem.usage.compute import Health
from tandem.usage.definitions import active_model
from tandem.usage.health_model import HealthModel
from tandem.usage.models import (
    Entitlement,
    HealthScore,
    SubscriptionEvent,
    UsageFact,
    UsageSignal,
    UserUsageFact,
)
from tandem.usage.signals import Signal, detect

LIMIT_COLUMNS = {
    "account_id": pl.Int64, "metric": pl.String, "unit": pl.String, "allowance": pl.Float64,
    "plan": pl.String, "renewal_on": pl.Date, "valid_from": pl.Date, "valid_to": pl.Date,
}  # fmt: skip
EVENT_COLUMNS = {
    "account_id": pl.Int64, "kind": pl.String, "occurred_at": pl.Datetime("us", "UTC"),
    "mrr_before": pl.Float64, "mrr_after": pl.Float64,
}  # fmt: skip


class SignalNotFound(errors.NotFound):
    """No usage signal has that id."""


def _day_end(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def usage_frame(
    db_session: Session, model: HealthModel, since: date | None = None, until: date | None = None
) -> pl.DataFrame:
    """`account_id`, `day` and one column per metric, from the facts of the model's period."""
    query = select(
        UsageFact.account_id, UsageFact.metric, UsageFact.value, UsageFact.period_start
    ).where(UsageFact.period == model.period)
    if since is not None:
        query = query.where(UsageFact.period_start > since)
    if until is not None:
        query = query.where(UsageFact.period_start <= until)
    rows = db_session.execute(query).all()
    long = pl.DataFrame(rows, schema=users.LONG, orient="row")
    # Active users counted from per-user usage where the account reported none itself.
    derived = users.derived_active_users(db_session, period=model.period, since=since, until=until)
    long = users.fill_active_users(long, derived)
    if long.is_empty():
        return pl.DataFrame(
            schema={"account_id": pl.Int64, "day": pl.Date, "active_users": pl.Float64}
        )
    return long.pivot(on="metric", index=["account_id", "day"], values="value").sort(
        "account_id", "day"
    )


def limits_frame(db_session: Session, account_id: int | None = None) -> pl.DataFrame:
    """Every entitlement (of one account when `account_id` is given)."""
    query = select(*(getattr(Entitlement, c) for c in LIMIT_COLUMNS))
    if account_id is not None:
        query = query.where(Entitlement.account_id == account_id)
    rows = db_session.execute(query).all()
    return pl.DataFrame(rows, schema=LIMIT_COLUMNS, orient="row")


def events_frame(db_session: Session) -> pl.DataFrame:
    """Every subscription event."""
    rows = db_session.execute(select(*(getattr(SubscriptionEvent, c) for c in EVENT_COLUMNS))).all()
    return pl.DataFrame(rows, schema=EVENT_COLUMNS, orient="row")


def customers_frame(db_session: Session) -> pl.DataFrame:
    """`account_id`, `segment`, `owner_id`, `name` of every account with usage, entitlements or
    a subscription (the customers)."""
    ids = union(
        select(UsageFact.account_id),
        select(UserUsageFact.account_id),
        select(Entitlement.account_id),
        select(SubscriptionEvent.account_id),
    ).subquery()
    rows = db_session.execute(
        select(Account.id, Account.name, Account.owner_id, Account.employees, Account.employee_band)
        .where(Account.id.in_(select(ids.c[0])))
        .order_by(Account.id)
    ).all()
    frame = pl.DataFrame(
        rows,
        schema={"account_id": pl.Int64, "name": pl.String, "owner_id": pl.Int64,
                "employees": pl.Int64, "employee_band": pl.String},
        orient="row",
    )  # fmt: skip
    return frame.with_columns(segment=segment_expr().fill_null("unknown")).drop(
        "employees", "employee_band"
    )


def engagement_frame(db_session: Session, start: date, end: date) -> pl.DataFrame:
    """`account_id`, `engagement`: activities of each account's contacts in (start, end]."""
    rows = db_session.execute(
        select(Contact.account_id, func.count())
        .join(Activity, Activity.contact_id == Contact.id)
        .where(
            Contact.account_id.is_not(None),
            Activity.occurred_at >= _day_end(start),
            Activity.occurred_at < _day_end(end),
        )
        .group_by(Contact.account_id)
    ).all()
    return pl.DataFrame(
        rows, schema={"account_id": pl.Int64, "engagement": pl.Float64}, orient="row"
    )


def paying(customers: pl.DataFrame, events: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """The customers still paying at the end of `as_of` (a churned account is not scored nor
    signalled again); accounts with no subscription history are kept."""
    from tandem.usage.retention import mrr_at

    if events.is_empty():
        return customers
    mrr = mrr_at(events, _day_end(as_of))
    gone = mrr.filter(pl.col("mrr") <= 0).select("account_id")
    return customers.join(gone, on="account_id", how="anti")


@dataclass(frozen=True)
class Run:
    """One scoring run: the model version, the health and the signals (new ones counted)."""

    version: int
    as_of: date
    health: Health
    signals: list[Signal]
    new_signals: int


def compute(db_session: Session, *, as_of: date, model: HealthModel | None = None) -> Run:
    """Health and signals of every customer on `as_of`, nothing stored."""
    version = 0
    if model is None:
        model, version = active_model(db_session)
    customers = paying(customers_frame(db_session), events_frame(db_session), as_of)
    start = as_of - timedelta(days=model.recent_days)
    engaged = engagement_frame(db_session, start, as_of)
    accounts = customers.join(engaged, on="account_id", how="left").with_columns(
        pl.col("engagement").fill_null(0.0)
    )
    usage = usage_frame(
        db_session, model, since=as_of - timedelta(days=model.trend_days), until=as_of
    )
    limits = limits_frame(db_session)
    # On the analytics engine chosen at start; a Spark failure raises before anything is stored.
    health = chosen_score(usage=usage, limits=limits, accounts=accounts, model=model, as_of=as_of)
    found = detect(values=health.values, limits=limits, model=model, as_of=as_of)
    return Run(version, as_of, health, found, 0)


def store_health(db_session: Session, *, run: Run) -> None:
    """Store a run's health as its day's (replacing what that day had)."""
    db_session.execute(delete(HealthScore).where(HealthScore.scored_on == run.as_of))
    parts = run.health.parts.partition_by("account_id", as_dict=True)
    rows = [
        {
            "account_id": r["account_id"],
            "scored_on": run.as_of,
            "model_version": run.version,
            "scorecard": r["scorecard"],
            "score": r["score"],
            "band": r["band"],
            "parts": parts[(r["account_id"],)]
            .select("component", "kind", "value", "weight", "points")
            .to_dicts(),
        }
        for r in run.health.scores.iter_rows(named=True)
    ]
    if rows:
        db_session.execute(HealthScore.__table__.insert(), rows)


def score_and_store(db_session: Session, *, as_of: date, at: datetime) -> Run:
    """Compute, store the day's health (replacing that day's) and raise the new signals; one
    `UsageSignalsRaised` names the signals raised for the first time this week."""
    run = compute(db_session, as_of=as_of)
    store_health(db_session, run=run)
    new = raise_signals(db_session, signals=run.signals, at=at)
    return Run(run.version, as_of, run.health, run.signals, len(new))


def raise_signals(db_session: Session, *, signals: list[Signal], at: datetime) -> list[int]:
    """Store the signals not raised yet this period (idempotent); the new ones' ids."""
    if not signals:
        return []
    rows = [
        {"account_id": s.account_id, "kind": s.kind, "rule": s.rule, "period": s.period,
         "evidence": s.evidence, "raised_at": at, "status": "open"}
        for s in signals
    ]  # fmt: skip
    new = insert_ignore(
        db_session, UsageSignal, rows,
        UsageSignal.id, UsageSignal.account_id, UsageSignal.kind, UsageSignal.rule,
    )  # fmt: skip
    if new:
        publish(
            db_session,
            UsageSignalsRaised([RaisedSignal(i, a, k, r, at) for i, a, k, r in new]),
        )
    return [row[0] for row in new]


def run_backtest(
    db_session: Session,
    *,
    first: date,
    last: date,
    thresholds: tuple[float, ...] = replay.THRESHOLDS,
    horizon_days: int = 90,
) -> replay.Report:
    """The active model replayed at each month's end from `first` to `last`."""
    model, _ = active_model(db_session)
    customers = customers_frame(db_session)

    def engaged(day: date) -> pl.DataFrame:
        return engagement_frame(db_session, day - timedelta(days=model.recent_days), day)

    return replay.backtest(
        usage=usage_frame(db_session, model),
        limits=limits_frame(db_session),
        accounts=customers,
        events=events_frame(db_session),
        model=model,
        months=replay.month_ends(first, last),
        thresholds=thresholds,
        horizon_days=horizon_days,
        engagement=engaged,
        scorer=chosen_score,
    )


def seed_demo(db_session: Session, *, as_of: date, at: datetime, seed: int = 7) -> dict[str, int]:
    """The demo's customers (accounts with a won deal): weekly usage, entitlements and
    subscription history with planted causes (`tandem.usage.demo`), then the health of the last
    twelve weeks and today's signals. Nothing when entitlements exist already."""
    from tandem.bulk import insert_frame
    from tandem.opportunities.models import Opportunity
    from tandem.usage.demo import generate

    if db_session.scalar(select(func.count()).select_from(Entitlement)):
        return {}
    rows = db_session.execute(
        select(Account.id, Account.employees)
        .where(Account.id.in_(select(Opportunity.account_id).where(Opportunity.is_won)))
        .order_by(Account.id)
    ).all()
    accounts = pl.DataFrame(
        rows, schema={"account_id": pl.Int64, "employees": pl.Int64}, orient="row"
    )
    made = generate(accounts, as_of, seed)
    connection = db_session.connection()
    counts = {
        "usage_facts": insert_frame(connection, "usage_facts", made.usage),
        "entitlements": insert_frame(connection, "entitlements", made.entitlements),
        "subscription_events": insert_frame(connection, "subscription_events", made.events),
    }
    for weeks_back in range(12, 0, -1):
        compute_day = as_of - timedelta(days=7 * weeks_back)
        store_health(db_session, run=compute(db_session, as_of=compute_day))
    counts["signals"] = score_and_store(db_session, as_of=as_of, at=at).new_signals
    return counts
