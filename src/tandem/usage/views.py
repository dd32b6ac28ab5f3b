"""The view-models: customers dashboard, account section, signal list and packet, and the
workspace's churn training table. One data path for the HTML and the JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.auth.models import User
from tandem.usage import service
from tandem.usage.compute import current_limits
from tandem.usage.definitions import active_model
from tandem.usage.models import Entitlement, HealthScore, UsageFact, UsageSignal
from tandem.usage.retention import retention
from tandem.usage.schemas import (
    AccountUsage,
    CustomersView,
    Distribution,
    HealthPoint,
    LimitUse,
    Part,
    SignalPacket,
    SignalRow,
    Tile,
    UsageSeries,
)

SERIES_PERIODS = 12
RENEWAL_DAYS = 90


def _signal_query():
    return select(UsageSignal, Account.name, Account.owner_id).join(
        Account, Account.id == UsageSignal.account_id
    )


def _row(signal: UsageSignal, name: str, owner_id: int | None) -> SignalRow:
    return SignalRow(
        id=signal.id, account_id=signal.account_id, account_name=name, owner_id=owner_id,
        kind=signal.kind, rule=signal.rule, period=signal.period, status=signal.status,
        raised_at=signal.raised_at, evidence=signal.evidence,
    )  # fmt: skip


def signal_rows(
    db_session: Session,
    *,
    kind: str | None = None,
    status: str | None = "open",
    account_id: int | None = None,
    limit: int = 50,
) -> list[SignalRow]:
    """Signals, newest first."""
    query = _signal_query()
    if kind:
        query = query.where(UsageSignal.kind == kind)
    if status:
        query = query.where(UsageSignal.status == status)
    if account_id is not None:
        query = query.where(UsageSignal.account_id == account_id)
    query = query.order_by(UsageSignal.raised_at.desc(), UsageSignal.id.desc()).limit(limit)
    return [_row(s, n, o) for s, n, o in db_session.execute(query).all()]


def _why(parts: list[Part]) -> list[str]:
    moved = sorted((p for p in parts if p.change), key=lambda p: -abs(p.change or 0))
    return [
        f"{p.component} {'+' if (p.change or 0) > 0 else ''}{p.change:g} points"
        f" (value {'unknown' if p.value is None else round(p.value, 3)})"
        for p in moved[:3]
    ]


def account_usage(db_session: Session, *, account_id: int, as_of: datetime) -> AccountUsage:
    """The account page's usage section: health over time and part by part (with what moved
    since the previous score), recent usage, limits used, unused key features, signals."""
    scores = db_session.scalars(
        select(HealthScore)
        .where(HealthScore.account_id == account_id, HealthScore.scored_on <= as_of.date())
        .order_by(HealthScore.scored_on)
    ).all()
    parts: list[Part] = []
    if scores:
        before = {p["component"]: p["points"] for p in scores[-2].parts} if len(scores) > 1 else {}
        parts = [
            Part(**p, change=round(p["points"] - before[p["component"]], 2)
                 if p["component"] in before else None)
            for p in scores[-1].parts
        ]  # fmt: skip
    model, _ = active_model(db_session)
    facts = db_session.execute(
        select(UsageFact.metric, UsageFact.period_start, UsageFact.value)
        .where(
            UsageFact.account_id == account_id,
            UsageFact.period == model.period,
            UsageFact.period_start <= as_of.date(),
        )
        .order_by(UsageFact.metric, UsageFact.period_start)
    ).all()
    by_metric: dict[str, list[tuple[date, float]]] = {}
    for metric, day, value in facts:
        by_metric.setdefault(metric, []).append((day, value))
    series = [UsageSeries(metric=m, points=p[-SERIES_PERIODS:]) for m, p in by_metric.items()]
    latest = {m: p[-1][1] for m, p in by_metric.items()}
    recent = as_of.date() - timedelta(days=model.recent_days)
    used = {m for m, p in by_metric.items() if any(d > recent and v > 0 for d, v in p)}
    features = sorted({f for c in model.components() for f in c.features} - used)
    limits = current_limits(service.limits_frame(db_session, account_id), as_of.date())
    uses = [
        LimitUse(
            metric=r["metric"],
            unit=r["unit"],
            limit=r["allowance"],
            plan=r["plan"],
            used=latest.get(r["metric"]),
            share=latest[r["metric"]] / r["allowance"]
            if r["metric"] in latest and r["allowance"]
            else None,
            renewal_on=r["renewal_on"],
        )  # fmt: skip
        for r in limits.iter_rows(named=True)
    ]
    return AccountUsage(
        account_id=account_id,
        has_data=bool(scores or facts or uses),
        health=[
            HealthPoint(
                scored_on=s.scored_on, score=s.score, band=s.band, model_version=s.model_version
            )
            for s in scores
        ],  # fmt: skip
        parts=parts,
        scorecard=scores[-1].scorecard if scores else None,
        why=_why(parts),
        series=series,
        limits=uses,
        unused_features=features,
        signals=signal_rows(db_session, account_id=account_id, status=None, limit=20),
    )


def signal_packet(db_session: Session, *, signal_id: int, as_of: datetime) -> SignalPacket:
    """What the owner of the signal's account is shown (SignalNotFound when there is none)."""
    found = db_session.execute(_signal_query().where(UsageSignal.id == signal_id)).first()
    if found is None:
        raise service.SignalNotFound(f"no usage signal {signal_id}")
    row = _row(*found)
    owner = db_session.get(User, row.owner_id) if row.owner_id else None
    return SignalPacket(
        signal=row,
        owner_id=row.owner_id,
        owner_name=owner.name if owner else None,
        account=account_usage(db_session, account_id=row.account_id, as_of=as_of),
    )


def _distribution(frame: pl.DataFrame, by: str) -> list[Distribution]:
    if frame.is_empty():
        return []
    grouped = frame.group_by(by).agg(
        accounts=pl.len(),
        healthy=(pl.col("band") == "healthy").sum(),
        neutral=(pl.col("band") == "neutral").sum(),
        at_risk=(pl.col("band") == "at_risk").sum(),
        mean_score=pl.col("score").mean().round(1),
    )
    return [
        Distribution(group=str(r[by]), **{k: v for k, v in r.items() if k != by})
        for r in grouped.sort(by).iter_rows(named=True)
    ]


def latest_health(db_session: Session, as_of: date) -> tuple[date | None, pl.DataFrame]:
    """The last scoring day up to `as_of` and its scores with segment and owner."""
    day = db_session.scalar(
        select(func.max(HealthScore.scored_on)).where(HealthScore.scored_on <= as_of)
    )
    rows = db_session.execute(
        select(HealthScore.account_id, HealthScore.score, HealthScore.band, User.name)
        .join(Account, Account.id == HealthScore.account_id)
        .outerjoin(User, User.id == Account.owner_id)
        .where(HealthScore.scored_on == day)
    ).all()
    frame = pl.DataFrame(
        rows,
        schema={"account_id": pl.Int64, "score": pl.Float64, "band": pl.String,
                "owner": pl.String},
        orient="row",
    ).with_columns(pl.col("owner").fill_null("unassigned"))  # fmt: skip
    customers = service.customers_frame(db_session).select("account_id", "segment")
    return day, frame.join(customers, on="account_id", how="left")


#: The registry's customer metrics the dashboard shows over its window.
REGISTRY_TILES = ("new_mrr", "expansion_mrr", "churned_mrr", "customers_churned")


def _registry_tiles(facts: Any, start: datetime, as_of: datetime) -> list[Tile]:
    from tandem.metrics import service as metrics
    from tandem.metrics.engine import engine_for
    from tandem.metrics.spec import Window

    window = Window(start.date(), as_of.date() + timedelta(days=1), as_of)
    found = metrics.figures(engine_for(facts), REGISTRY_TILES, window, strict=False)
    query = f"?from={window.start}&to={window.last}"
    return [
        Tile(name=name, label=f.metric.label, value=f.value, unit=f.metric.unit,
             note=f"{f.rows:,} changes", link=f"/metrics/{name}{query}")
        for name, f in found.items()
    ]  # fmt: skip


def customers_view(
    db_session: Session, *, as_of: datetime, days: int = 365, facts: Any = None
) -> CustomersView:
    """Retention over the `days` up to `as_of`, the registry's MRR figures (with `facts`, the
    columnar copy), renewals due, health by segment and owner, and the open signals."""
    start = as_of - timedelta(days=days)
    ret = retention(service.events_frame(db_session), start, as_of)
    day, health = latest_health(db_session, as_of.date())
    horizon = as_of.date() + timedelta(days=RENEWAL_DAYS)
    renewals = db_session.scalar(
        select(func.count(func.distinct(Entitlement.account_id))).where(
            Entitlement.renewal_on >= as_of.date(),
            Entitlement.renewal_on < horizon,
            (Entitlement.valid_to.is_(None)) | (Entitlement.valid_to > as_of.date()),
        )
    )
    at_risk = int((health["band"] == "at_risk").sum()) if health.height else None
    window = f"{start:%Y-%m-%d} to {as_of:%Y-%m-%d}"
    tiles = [
        Tile(name="gross_revenue_retention", label="Gross revenue retention",
             value=ret.gross_revenue_retention, unit="percent",
             note=f"{ret.accounts:,} paying accounts, MRR {ret.start_mrr:,.0f} at the start"),
        Tile(name="net_revenue_retention", label="Net revenue retention",
             value=ret.net_revenue_retention, unit="percent",
             note=f"expansion {ret.expansion:,.0f}, contraction {ret.contraction:,.0f}"),
        Tile(name="logo_churn", label="Logo churn", value=ret.logo_churn, unit="percent",
             note=f"{ret.churned_accounts:,} accounts lost, MRR {ret.churned:,.0f}"),
        Tile(name="renewals_due", label=f"Renewals due in {RENEWAL_DAYS} days",
             value=float(renewals or 0), unit="count"),
        Tile(name="accounts_at_risk", label="Accounts at risk",
             value=None if at_risk is None else float(at_risk), unit="count",
             note=f"health of {day}" if day else "no health scored yet"),
    ]  # fmt: skip
    if facts is not None:
        tiles[3:3] = _registry_tiles(facts, start, as_of)
    return CustomersView(
        as_of=as_of,
        window=window,
        scored_on=day,
        tiles=tiles,
        by_segment=_distribution(health, "segment"),
        by_owner=_distribution(health, "owner"),
        signals=signal_rows(db_session, status="open", limit=50),
    )


def training_frame(db_session: Session, *, as_of: date, horizon_days: int) -> pl.DataFrame:
    """One row per account paying on `as_of`: its health inputs then, and whether it churned
    within `horizon_days` after (`churned`: 1 or 0)."""
    run = service.compute(db_session, as_of=as_of)
    events = service.events_frame(db_session)
    moment = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=UTC)
    churned = events.filter(
        (pl.col("kind") == "churn")
        & (pl.col("occurred_at") >= moment)
        & (pl.col("occurred_at") < moment + timedelta(days=horizon_days))
    )["account_id"]
    parts = run.health.parts.pivot(on="component", index="account_id", values="value")
    frame = run.health.scores.select("account_id", "segment").join(parts, on="account_id")
    if not events.is_empty():
        from tandem.usage.retention import mrr_at

        paying = mrr_at(events, moment).filter(pl.col("mrr") > 0).select("account_id")
        frame = frame.join(paying, on="account_id", how="semi")
    return frame.with_columns(churned=pl.col("account_id").is_in(churned.implode()).cast(pl.Int8))
