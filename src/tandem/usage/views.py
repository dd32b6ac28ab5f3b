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
from tandem.usage.models import HealthScore, UsageFact, UsageSignal
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


#: The registry's customer figures the dashboard shows, in order: retention over its window,
#: the MRR moves, then renewals and health at the moment shown.
TILES = (
    "gross_revenue_retention", "net_revenue_retention", "logo_churn", "new_mrr",
    "expansion_mrr", "churned_mrr", "customers_churned", "renewals_due", "accounts_at_risk",
)  # fmt: skip
#: The health distribution's figures, broken down by segment and by owner.
BANDS = ("accounts_healthy", "accounts_neutral", "accounts_at_risk", "customer_health")


def _note(name: str, f: Any) -> str:
    """What a tile was computed over, in words."""
    if f.metric.window == "cohort":
        start = f"{f.denominator:,.0f}" if f.denominator is not None else "0"
        return f"{f.rows:,} paying accounts, MRR {start} at the start"
    if f.metric.population == "subscriptions":
        return f"{f.rows:,} changes"
    return "latest health scores" if f.metric.population == "health" else ""


def _distribution(parts: dict[str, list[Any]], names: dict[str, str]) -> list[Distribution]:
    """Health bands per group from the registry's breakdowns (owner ids shown as names)."""
    counts: dict[str, dict[str, Any]] = {}
    for metric, key in zip(BANDS, ("healthy", "neutral", "at_risk", "mean_score"), strict=True):
        for part in parts[metric]:
            row = counts.setdefault(part.value, {"healthy": 0, "neutral": 0, "at_risk": 0})
            if key == "mean_score":
                row["accounts"] = part.rows
                row[key] = None if part.figure is None else round(part.figure, 1)
            else:
                row[key] = int(part.figure or 0)
    return [
        Distribution(group=names.get(group, group), **row)
        for group, row in sorted(counts.items(), key=lambda kv: names.get(kv[0], kv[0]))
    ]


def customers_view(
    db_session: Session, *, as_of: datetime, facts: Any, days: int = 365
) -> CustomersView:
    """Retention over the `days` up to `as_of`, the MRR moves, renewals due and health by
    segment and owner (every figure from the metric registry over `facts`, the columnar
    copy), and the open signals."""
    from tandem.metrics import service as metrics
    from tandem.metrics.engine import engine_for
    from tandem.metrics.spec import Window

    start = as_of - timedelta(days=days)
    window = Window(start.date(), as_of.date() + timedelta(days=1), as_of)
    engine = engine_for(facts)
    found = metrics.figures(engine, TILES, window, strict=False)
    query = f"?from={window.start}&to={window.last}"
    tiles = [
        Tile(name=name, label=f.metric.label, value=f.value, unit=f.metric.unit,
             note=_note(name, f), link=f"/metrics/{name}{query}")
        for name, f in found.items()
    ]  # fmt: skip
    users = {str(i): n for i, n in db_session.execute(select(User.id, User.name))}
    users["unknown"] = "unassigned"
    scored = db_session.scalar(
        select(func.max(HealthScore.scored_on)).where(HealthScore.scored_on <= as_of.date())
    )
    return CustomersView(
        as_of=as_of,
        window=f"{start:%Y-%m-%d} to {as_of:%Y-%m-%d}",
        scored_on=scored,
        tiles=tiles,
        by_segment=_distribution(metrics.breakdowns(engine, BANDS, window, "segment"), {}),
        by_owner=_distribution(metrics.breakdowns(engine, BANDS, window, "owner"), users),
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
