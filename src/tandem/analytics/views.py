"""Build each dashboard's view-model from the facts: the one data path for HTML and JSON."""

from collections.abc import Mapping
from datetime import UTC, datetime

import polars as pl

from tandem.analytics import funnel, pipeline, rollup, velocity
from tandem.analytics.attributed import StoredAttribution, attributed
from tandem.analytics.dims import FilterIssue, Filters
from tandem.analytics.frames import (
    Facts,
    day_column,
    day_number,
    dims_mask,
    month_column,
    month_label,
    reach_column,
    stop_day,
    where,
)
from tandem.analytics.funnel import View
from tandem.analytics.handoff import handoff_stats
from tandem.analytics.periods import Period, months_between
from tandem.analytics.ratios import durations, rate
from tandem.analytics.schemas import (
    Acceptance,
    DealTypeRow,
    DimensionDeals,
    Durations,
    FilterState,
    FunnelView,
    HandoffView,
    MqlMonth,
    Notice,
    PipelineView,
    ReasonCount,
    RevenueView,
    TargetRow,
    VelocityView,
)

SLA_NOT_CONFIGURED = (
    "Speed to lead and SLA compliance: not configured. They appear once MQLs are handed off "
    "with SLA clocks (docs/handoff.md); Tandem shows no estimate in their place. Acceptance "
    "below is read from the lifecycle log."
)
ATTRIBUTION_NOT_COMPUTED = (
    "Attributed revenue by campaign and channel: not computed yet — run `tandem attribution "
    "run`. This scorecard shows stored results only, and no estimate in their place."
)


def _bounds(filters: Filters) -> tuple[datetime, datetime]:
    def at(d):
        return datetime(d.year, d.month, d.day, tzinfo=UTC)

    return at(filters.start), at(filters.end)


def filter_state(
    facts: Facts,
    filters: Filters,
    issues: list[FilterIssue],
    *,
    by: str | None = None,
    view: str | None = None,
) -> FilterState:
    """The filters as applied, the values on offer and the refused values, for the page."""
    return FilterState(
        start=filters.start,
        end=filters.end,
        values=dict(filters.values),
        options=facts.known_values(),
        issues=[Notice(level="warning", message=f"{i.field}: {i.message}") for i in issues],
        by=by,
        view=view,
    )


def _range_text(filters: Filters) -> str:
    return f"{filters.start:%Y-%m-%d} to {filters.end:%Y-%m-%d}"


def _matching(contacts: pl.DataFrame, mask: pl.Expr, by: str) -> pl.DataFrame:
    columns = [c for c in contacts.columns if c.startswith(("d_", "m_"))] + ["depth", by]
    return contacts.select(*columns, mask.alias("_keep")).filter(pl.col("_keep"))


def funnel_view(
    facts: Facts,
    filters: Filters,
    issues: list[FilterIssue],
    *,
    as_of: datetime,
    view: View = "period",
    by: str = "channel",
) -> FunnelView:
    """Contacts reaching each stage per month, stage conversion and a breakdown by `by`."""
    start, end = _bounds(filters)
    contacts, mask, values = facts.contacts, dims_mask(filters.values), dict(filters.values)
    if rollup.usable(values, as_of, facts.loaded_at):
        totals, monthly, conversions = rollup.funnel(facts.rollup, values, start, end, as_of, view)
    else:
        # Several filters: the few matching contacts, narrowed once for all four computations.
        contacts, mask = _matching(contacts, mask, by), pl.lit(True)
        reached = funnel.depth(as_of, facts.loaded_at)
        totals = funnel.stage_totals(contacts, mask, start, end, as_of, reached)
        monthly = funnel.monthly(contacts, mask, start, end, as_of, view, reached)
        conversions = funnel.conversions(contacts, mask, start, end, as_of, reached)
    if rollup.usable(values, as_of, facts.loaded_at) and rollup.breakdown_usable(values, by):
        breakdown = rollup.breakdown(facts.rollup, values, by, start, end, as_of)
    else:
        reached = funnel.depth(as_of, facts.loaded_at)
        breakdown = funnel.breakdown(contacts, mask, by, start, end, as_of, reached)
    notices = []
    if not any(t.contacts for t in totals):
        notices.append(Notice(message=f"No contact reached any stage from {_range_text(filters)}."))
    return FunnelView(
        as_of=as_of,
        data_as_of=facts.loaded_at,
        filters=filter_state(facts, filters, issues, by=by, view=view),
        totals=totals,
        monthly=monthly,
        conversions=conversions,
        breakdown=breakdown,
        notices=notices,
    )


def velocity_view(
    facts: Facts, filters: Filters, issues: list[FilterIssue], *, as_of: datetime
) -> VelocityView:
    """Median and p90 days in each stage, and the sales cycle by deal type and outcome."""
    start, end = _bounds(filters)
    mask = dims_mask(filters.values) if filters.values else None
    stages = velocity.stage_times(facts.stays, mask, start, end, as_of)
    cycle = velocity.sales_cycle(where(facts.opportunities, filters), start, end, as_of)
    notices = []
    if not any(s.count for s in stages):
        notices.append(
            Notice(message=f"No stage stay both began and ended from {_range_text(filters)}.")
        )
    if not any(c.count for c in cycle):
        notices.append(Notice(message=f"No deal closed from {_range_text(filters)}."))
    return VelocityView(
        as_of=as_of,
        data_as_of=facts.loaded_at,
        filters=filter_state(facts, filters, issues),
        stages=stages,
        sales_cycle=cycle,
        notices=notices,
    )


def pipeline_view(
    facts: Facts,
    filters: Filters,
    issues: list[FilterIssue],
    *,
    as_of: datetime,
    period: Period,
    target: float | None,
    deal_types: list[DealTypeRow],
    by_dimension: list[DimensionDeals],
) -> PipelineView:
    """Open pipeline by stage and close month, coverage of `period`'s target, win rate, types."""
    start, end = _bounds(filters)
    deals = where(facts.opportunities, filters)
    open_now = pipeline.open_at(deals, as_of)
    closed = pipeline.closed_in(deals, start, min(end, as_of))
    won = closed.filter(pl.col("is_won"))
    notices = []
    if target is None:
        notices.append(
            Notice(
                message=f"No bookings target is set for {period.label}, so coverage has no ratio."
            )
        )
    elif target == 0:
        notices.append(Notice(message=f"The bookings target for {period.label} is zero."))
    if closed.height == 0:
        notices.append(Notice(message=f"No deal closed from {_range_text(filters)}: no win rate."))
    elif won.height == 1:
        notices.append(
            Notice(message="Only one deal was won in the range: its size is the average.")
        )
    return PipelineView(
        as_of=as_of,
        data_as_of=facts.loaded_at,
        filters=filter_state(facts, filters, issues),
        open_deals=open_now.height,
        open_amount=float(open_now["amount"].sum()),
        open_by_stage=pipeline.open_by_stage(open_now),
        open_by_close_month=pipeline.open_by_close_month(open_now),
        coverage=pipeline.coverage(deals, period, target, as_of),
        closed=closed.height,
        won=won.height,
        win_rate=rate(won.height, closed.height),
        average_deal_size=rate(float(won["amount"].sum()), won.height),
        deal_types=deal_types,
        by_dimension=by_dimension,
        notices=notices,
    )


def handoff_view(
    facts: Facts,
    filters: Filters,
    issues: list[FilterIssue],
    *,
    as_of: datetime,
    commitments: Mapping[str, float],
) -> HandoffView:
    """MQLs against marketing's commitment, and how sales answered them (SAL or recycled)."""
    start, end = _bounds(filters)
    stop = min(end, as_of)
    mql_day = pl.col(day_column("mql"))
    in_range = dims_mask(filters.values) & mql_day.is_between(day_number(start), stop_day(stop) - 1)
    # Narrow first: only the rows in range get their durations computed.
    mqls = facts.contacts.select(
        pl.col(month_column("mql")).alias("month"),
        reach_column("mql"),
        reach_column("sal"),
        in_range.alias("_keep"),
    ).filter(pl.col("_keep"))
    per_month = {month_label(m): n for m, n in mqls.group_by("month").len().iter_rows()}
    months = months_between(filters.start, filters.end)
    answered = facts.transitions.filter(
        dims_mask(filters.values), pl.col("at") >= start, pl.col("at") < stop
    )
    from_mql = answered.filter(pl.col("from_stage") == "mql")
    accepted = from_mql.filter(pl.col("to_stage") == "sal").height
    recycled = from_mql.filter(pl.col("to_stage") == "nurture").height
    disqualified = from_mql.filter(pl.col("to_stage") == "disqualified").height
    decided = accepted + recycled + disqualified
    accept = (mqls[reach_column("sal")] - mqls[reach_column("mql")]).dt.total_seconds() / 86400
    n, median, p90 = durations(accept)
    rejects = (
        answered.filter(pl.col("to_stage").is_in(["nurture", "disqualified"]))
        .group_by(pl.col("reason").fill_null("no reason recorded"))
        .len()
        .sort("len", "reason", descending=[True, False])
    )
    sla = None
    if facts.handoffs.height:
        sla = handoff_stats(facts.handoffs, dims_mask(filters.values), start, end, as_of)
        notices = []
    else:
        notices = [Notice(message=SLA_NOT_CONFIGURED)]
    if not commitments:
        notices.append(Notice(message="No MQL goal is set for marketing in these months."))
    return HandoffView(
        as_of=as_of,
        data_as_of=facts.loaded_at,
        filters=filter_state(facts, filters, issues),
        mql_monthly=[
            MqlMonth(month=m, mqls=per_month.get(m, 0), commitment=commitments.get(m))
            for m in months
        ],
        acceptance=Acceptance(
            decided=decided,
            accepted=accepted,
            recycled=recycled,
            disqualified=disqualified,
            rate=rate(accepted, decided),
            time_to_accept=Durations(count=n, median_days=median, p90_days=p90),
        ),
        reject_reasons=sla.reject_reasons
        if sla
        else [ReasonCount(reason=r, contacts=c) for r, c in rejects.iter_rows()],
        sla=sla,
        notices=notices,
    )


def revenue_view(
    facts: Facts,
    filters: Filters,
    issues: list[FilterIssue],
    *,
    as_of: datetime,
    targets: list[TargetRow],
    stored: StoredAttribution | None = None,
    model: str | None = None,
) -> RevenueView:
    """Bookings per month and type against the period targets; attribution when stored."""
    start, end = _bounds(filters)
    deals = where(facts.opportunities, filters)
    monthly = pipeline.bookings_by_month(deals, start, min(end, as_of))
    notices, found = [], None
    chosen = stored.model if stored else None
    if stored is None or chosen is None:
        notices.append(Notice(message=ATTRIBUTION_NOT_COMPUTED))
    else:
        won = pipeline.closed_in(deals, start, min(end, as_of)).filter(pl.col("is_won"))
        names = dict(zip(facts.campaigns["campaign_id"], facts.campaigns["name"], strict=True))
        found = attributed(won, stored.credits, stored.deals, model=chosen, campaign_names=names)
        if model and model != chosen:
            notices.append(
                Notice(
                    level="warning",
                    message=f"model: the stored run has no {model!r}; showing {chosen} "
                    f"(stored: {', '.join(stored.models)}).",
                )
            )
        if found.not_computed_deals:
            notices.append(
                Notice(
                    message=f"{found.not_computed_deals:,} deals won in this range "
                    f"({found.not_computed_amount:,.0f}) are not in the stored attribution "
                    "(won or changed since it ran) — run `tandem attribution run --changed`."
                )
            )
    if not monthly:
        notices.append(Notice(message=f"No deal was won from {_range_text(filters)}."))
    if not targets:
        notices.append(Notice(message="No revenue or bookings target overlaps this range."))
    return RevenueView(
        as_of=as_of,
        data_as_of=facts.loaded_at,
        filters=filter_state(facts, filters, issues),
        bookings=sum(m.amount for m in monthly),
        bookings_monthly=monthly,
        targets=targets,
        attribution_model=chosen if found else None,
        attribution_models=list(stored.models) if stored else [],
        attribution_computed_at=stored.computed_at if stored else None,
        attribution_config_version=stored.config_version if stored else None,
        attributed=found.attributed if found else None,
        unattributed=found.unattributed if found else None,
        not_computed_deals=found.not_computed_deals if found else 0,
        not_computed_amount=found.not_computed_amount if found else 0.0,
        by_campaign=found.by_campaign if found else [],
        by_channel=found.by_channel if found else [],
        notices=notices,
    )
