"""The backtest on the workspace's own history: query parameters in, a `BacktestReport` out.

Shared by the page, the JSON API and `tandem scoring backtest`, so all three read the same
history the same way. Capacity defaults to the number of active sales reps.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal

from fastapi import Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.ids import MAX_ID, STRICT_ID
from tandem.scoring import approval, service, store
from tandem.scoring.backtest_report import BacktestReport, build_report, year_before
from tandem.scoring.model import ScoringModel

#: Work limits of one backtest (docs/security.md): the period and the moments replayed in it.
MAX_PERIOD_DAYS = 3660
MAX_MOMENTS = 530


def check_work(start: datetime, end: datetime, step: timedelta) -> None:
    """ValueError naming the parameter when the backtest would replay too much: a period over
    MAX_PERIOD_DAYS or more than MAX_MOMENTS moments (the work grows with both)."""
    days = (end - start).days
    if days > MAX_PERIOD_DAYS:
        raise ValueError(
            f"start: the period is {days:,} days, over the limit of {MAX_PERIOD_DAYS:,}"
        )
    moments = (end - start) // step if step > timedelta(0) else MAX_MOMENTS + 1
    if moments > MAX_MOMENTS:
        raise ValueError(
            f"step_days: {moments:,} moments to replay, over the limit of {MAX_MOMENTS}: "
            "choose a longer step or a shorter period"
        )


@dataclass
class BacktestQuery:
    """What to backtest: versions (default the active one), period, outcome and capacity."""

    version: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="Version id (default: the active version)."),
        STRICT_ID,
    ] = None
    compare: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="A second version id, shown side by side."),
        STRICT_ID,
    ] = None
    start: date | None = Query(None, description="First day (default: a year before `end`).")
    end: date | None = Query(None, description="Last day (default: today).")
    step_days: int = Query(7, ge=1, le=92, description="Days between replayed moments.")
    outcome: Literal["sql", "opportunity", "won"] = Query("won")
    capacity: float | None = Query(
        None,
        ge=0,
        le=1_000_000,
        allow_inf_nan=False,
        description="MQLs one sales rep can work per week (sales capacity).",
    )
    reps: int | None = Query(
        None, ge=1, le=100_000, description="Reps (default: active sales reps)."
    )


def active_reps(db_session: Session) -> int:
    """Active sales reps: the default multiplier of per-rep capacity."""
    count = db_session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.SALES_REP.value, User.is_active.is_(True))
    )
    return max(1, int(count or 0))


def _moment(day: date | None, default: datetime) -> datetime:
    return default if day is None else datetime.combine(day, time(0), tzinfo=UTC)


def run_backtest(
    db_session: Session,
    models: list[tuple[str, ScoringModel]],
    *,
    start: datetime,
    end: datetime,
    step: timedelta,
    outcome: Literal["sql", "opportunity", "won"],
    capacity: float | None,
    reps: int | None,
) -> BacktestReport:
    """Read the history the models need and build the report (ValueError over the limits of
    `check_work`)."""
    check_work(start, end, step)
    connection = db_session.connection()
    team = reps or active_reps(db_session)
    reports = [
        # Each model reads only its own fields and activity types from the store.
        build_report(
            [(label, model)],
            store.history(connection, model),
            start=start,
            end=end,
            step=step,
            outcome=outcome,
            mqls_per_rep_week=capacity,
            reps=team,
        )
        for label, model in models
    ]
    return replace(reports[0], models=[m for r in reports for m in r.models])


def backtest_view(db_session: Session, q: BacktestQuery, *, now: datetime) -> BacktestReport:
    """The report the page and API show for `q`."""
    end = _moment(q.end, now) if q.end is None else _moment(q.end + timedelta(days=1), now)
    start = _moment(q.start, year_before(end))
    check_work(start, end, timedelta(days=q.step_days))  # before any model is read
    if q.version is not None:
        version = approval.get_version(db_session, q.version)
    else:
        version = service.active_version(db_session)
        if version is None:
            raise ValueError("no scoring model is active: choose a version to backtest")
    models = [(version.label, service.model_of(version))]
    if q.compare is not None:
        other = approval.get_version(db_session, q.compare)
        models.append((other.label, service.model_of(other)))
    return run_backtest(
        db_session,
        models,
        start=start,
        end=end,
        step=timedelta(days=q.step_days),
        outcome=q.outcome,
        capacity=q.capacity,
        reps=q.reps,
    )
