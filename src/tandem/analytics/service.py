"""Assemble dashboard view-models: facts and filters plus the goals they are measured against."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from tandem.analytics import views
from tandem.analytics.dims import FilterIssue, Filters
from tandem.analytics.frames import Facts
from tandem.analytics.periods import months_between, parse_period, quarter
from tandem.analytics.schemas import TargetRow
from tandem.goals import service as goals

PAGES: tuple[str, ...] = ("funnel", "velocity", "pipeline", "handoff", "revenue")


class UnknownPage(LookupError):
    """No dashboard by that name."""


def current_quarter(as_of: datetime):
    """The calendar quarter containing `as_of`."""
    return quarter(as_of.year, (as_of.month - 1) // 3 + 1)


def targets_in_range(
    *, db_session: Session, facts: Facts, filters: Filters, as_of: datetime
) -> list[TargetRow]:
    """Team revenue and bookings goals overlapping the range, with their actuals."""
    first = parse_period(f"{filters.start:%Y-%m}")
    overlapping = goals.list_goals(db_session=db_session)
    rows = []
    for g in overlapping:
        if g.user_id is not None or g.metric not in ("revenue", "bookings"):
            continue
        if not (g.period_start < filters.end and g.period_end > first.start):
            continue
        measured = goals.measure(g, facts, as_of)
        rows.append(
            TargetRow(
                period=g.period,
                metric=g.metric,
                target=measured.pace.target,
                actual=measured.pace.actual or 0.0,
                attainment=measured.pace.attainment,
            )
        )
    return rows


def build_view(
    page: str,
    *,
    db_session: Session,
    facts: Facts,
    filters: Filters,
    issues: list[FilterIssue],
    as_of: datetime,
    options: dict[str, Any] | None = None,
) -> BaseModel:
    """The view-model of dashboard `page` (see `PAGES`)."""
    opts = options or {}
    if page == "funnel":
        return views.funnel_view(facts, filters, issues, as_of=as_of, **opts)
    if page == "velocity":
        return views.velocity_view(facts, filters, issues, as_of=as_of)
    if page == "pipeline":
        period = current_quarter(as_of)
        target = goals.team_target(db_session=db_session, metric="bookings", period=period)
        return views.pipeline_view(
            facts, filters, issues, as_of=as_of, period=period, target=target
        )
    if page == "handoff":
        commitments = {}
        for month in months_between(filters.start, filters.end):
            target = goals.team_target(
                db_session=db_session, metric="mqls", period=parse_period(month)
            )
            if target is not None:
                commitments[month] = target
        return views.handoff_view(facts, filters, issues, as_of=as_of, commitments=commitments)
    if page == "revenue":
        from tandem.attribution.store import stored_credits

        targets = targets_in_range(db_session=db_session, facts=facts, filters=filters, as_of=as_of)
        return views.revenue_view(
            facts,
            filters,
            issues,
            as_of=as_of,
            targets=targets,
            stored=stored_credits(db_session, opts.get("model")),
            model=opts.get("model"),
        )
    raise UnknownPage(f"no dashboard called {page!r} (try {', '.join(PAGES)})")
