"""Assemble dashboard view-models: facts and filters plus the goals they are measured against."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from tandem.analytics import deal_tables, views
from tandem.analytics.charts import label
from tandem.analytics.dims import DIMENSIONS, FilterIssue, Filters
from tandem.analytics.frames import STAGES, Facts
from tandem.analytics.periods import months_between, parse_period, quarter
from tandem.analytics.schemas import Conversion, Durations, Notice, StageCount, TargetRow
from tandem.goals import service as goals
from tandem.metrics import service as metrics
from tandem.metrics.engine import engine_for
from tandem.metrics.schemas import FigureOut
from tandem.metrics.spec import Figure, Window

PAGES: tuple[str, ...] = ("funnel", "velocity", "pipeline", "handoff", "revenue")
#: Each dashboard's headline figures, by metric name: the tiles at the top of the page.
PAGE_FIGURES: dict[str, tuple[str, ...]] = {
    "funnel": ("reached_lead", "reached_mql", "reached_sql", "reached_customer"),
    "velocity": ("sales_cycle_days",),
    "pipeline": ("open_pipeline", "open_deals", "win_rate", "average_won_deal"),
    "handoff": (
        "reached_mql",
        "acceptance_rate",
        "time_to_accept_days",
        "speed_to_lead_hours",
        "accept_sla",
        "first_touch_sla",
    ),
    "revenue": ("revenue_won", "deals_won"),
}


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


def figures(
    names: tuple[str, ...], *, facts: Facts, filters: Filters, as_of: datetime
) -> dict[str, Figure]:
    """Registry figures over the dashboard's range and filters, by metric name."""
    engine = engine_for(facts)
    at = Window(filters.start, filters.end, as_of)
    values = dict(filters.values)
    return metrics.figures(engine, names, at, values, strict=False)


def _with_figures(page: str, vm: BaseModel, found: dict[str, Figure]) -> BaseModel:
    """The view-model with its headline figures, and every field the registry also defines
    taken from it, so a page never shows two numbers for one metric."""
    update: dict[str, Any] = {
        "figures": [FigureOut.of(found[n]) for n in PAGE_FIGURES[page]],
    }
    if page == "funnel":
        update["totals"] = [
            StageCount(stage=s, contacts=found[f"reached_{s}"].rows) for s in STAGES
        ]
        update["conversions"] = [
            Conversion(
                from_stage=a,
                to_stage=b,
                entered=(f := found[f"conversion_{a}_to_{b}"]).rows,
                converted=int(f.numerator or 0),
                rate=f.value,
                implied=f.implied,
            )
            for a, b in zip(STAGES, STAGES[1:], strict=False)
        ]
        update["notices"] = [*vm.notices, *_implied_notices(update["conversions"])]  # type: ignore[attr-defined]
    elif page == "pipeline":
        closed = found["win_rate"]
        update |= {
            "open_deals": found["open_deals"].rows,
            "open_amount": found["open_pipeline"].value or 0.0,
            "closed": closed.rows,
            "won": int(closed.numerator or 0),
            "win_rate": closed.value,
            "average_deal_size": found["average_won_deal"].value,
        }
    elif page == "handoff":
        answered, accept = found["acceptance_rate"], found["time_to_accept_days"]
        update["acceptance"] = vm.acceptance.model_copy(  # type: ignore[attr-defined]
            update={
                "decided": answered.rows,
                "accepted": int(answered.numerator or 0),
                "rate": answered.value,
                "time_to_accept": Durations(
                    count=accept.rows - accept.unknown,
                    median_days=accept.value,
                    p90_days=accept.p90,
                ),
            }
        )
    elif page == "revenue":
        update["bookings"] = found["revenue_won"].value or 0.0
    return vm.model_copy(update=update)


def _implied_notices(conversions: list[Conversion]) -> list[Notice]:
    """Say so where every contact counted as going on was imported past that stage: the
    conversion then measures nothing and would read 100%."""
    return [
        Notice(
            level="warning",
            message=f"Every one of the {c.converted:,} contacts counted as reaching "
            f"{label(c.to_stage)} from {label(c.from_stage)} was imported past it (implied by a "
            f"later stage, never logged): that conversion is not measured.",
        )
        for c in conversions
        if c.converted and c.implied == c.converted
    ]


#: Registry figures each page also reads for fields beyond its tiles.
_MORE_FIGURES: dict[str, tuple[str, ...]] = {
    "funnel": (
        *(f"reached_{s}" for s in STAGES),
        *(f"conversion_{a}_to_{b}" for a, b in zip(STAGES, STAGES[1:], strict=False)),
    ),
    "pipeline": ("win_rate",),
    "handoff": ("acceptance_rate", "time_to_accept_days"),
}


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
    """The view-model of dashboard `page` (see `PAGES`), its figures from the registry."""
    vm = _view(page, db_session=db_session, facts=facts, filters=filters, issues=issues,
               as_of=as_of, options=options or {})  # fmt: skip
    names = tuple(dict.fromkeys((*PAGE_FIGURES[page], *_MORE_FIGURES.get(page, ()))))
    return _with_figures(page, vm, figures(names, facts=facts, filters=filters, as_of=as_of))


def _view(
    page: str,
    *,
    db_session: Session,
    facts: Facts,
    filters: Filters,
    issues: list[FilterIssue],
    as_of: datetime,
    options: dict[str, Any],
) -> BaseModel:
    opts = options
    if page == "funnel":
        return views.funnel_view(facts, filters, issues, as_of=as_of, **opts)
    if page == "velocity":
        return views.velocity_view(facts, filters, issues, as_of=as_of)
    if page == "pipeline":
        period = current_quarter(as_of)
        target = goals.team_target(db_session=db_session, metric="bookings", period=period)
        engine, at, values = (
            engine_for(facts),
            Window(filters.start, filters.end, as_of),
            dict(filters.values),
        )
        return views.pipeline_view(
            facts,
            filters,
            issues,
            as_of=as_of,
            period=period,
            target=target,
            deal_types=deal_tables.deal_types(engine, at, values),
            by_dimension=[
                row for dim in DIMENSIONS for row in deal_tables.deals_by(engine, at, values, dim)
            ],
        )
    if page == "handoff":
        commitments = goals.monthly_targets(
            db_session=db_session, metric="mqls", months=months_between(filters.start, filters.end)
        )
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
