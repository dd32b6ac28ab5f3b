"""Build the weekly revenue review for one ISO week from the dashboard facts and the goals."""

from datetime import datetime, timedelta

import polars as pl
from sqlalchemy.orm import Session

from tandem.analytics import deal_tables
from tandem.analytics import gaps as gap_rules
from tandem.analytics.attributed import attributed
from tandem.analytics.charts import label
from tandem.analytics.frames import STAGES, Facts, reach_column
from tandem.analytics.ltv import METHOD, ltv_by_segment
from tandem.analytics.periods import Period, quarter, week_of
from tandem.analytics.pipeline import closed_in
from tandem.analytics.ratios import rate
from tandem.analytics.schemas import Notice
from tandem.capabilities import review_sections
from tandem.goals import service as goals
from tandem.goals.pace import pace
from tandem.metrics import service as metrics
from tandem.metrics.engine import Engine, engine_for
from tandem.metrics.schemas import FigureOut
from tandem.metrics.spec import Figure, Window
from tandem.reports.schemas import (
    RegionRow,
    RevenueSummary,
    VerticalRow,
    WeekAmount,
    WeeklyAttribution,
    WeeklyReview,
)

#: Context window: the review week and the twelve before it (a quarter of weeks).
TRAILING_WEEKS = 13
CONTACT_DIMS = ("channel", "campaign", "segment", "region", "vertical")
DEAL_DIMS = ("segment", "region", "vertical", "channel", "campaign")


def last_complete_week(as_of: datetime) -> Period:
    """The ISO week before the one containing `as_of`."""
    return week_of(as_of.date() - timedelta(days=7))


def _won(deals: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    return closed_in(deals, start, end).filter(pl.col("is_won"))


def _won_in(engine: Engine, period: Period, as_of: datetime) -> Figure:
    """The registry's revenue won over `period`, read at `as_of`."""
    return metrics.figure(engine, "revenue_won", Window(period.start, period.end, as_of))


def _revenue(db_session: Session, facts: Facts, week: Period, as_of: datetime) -> RevenueSummary:
    engine = engine_for(facts)
    prev = week.previous()
    q = quarter(week.start.year, (week.start.month - 1) // 3 + 1)
    clock = min(as_of, week.end_at)
    target, metric = None, None
    for name in ("revenue", "bookings"):
        target = goals.team_target(db_session=db_session, metric=name, period=q)
        if target is not None:
            metric = name
            break
    quarter_won = goals.actual(facts, metric or "revenue", q, clock) or 0.0
    weekly = []
    for k in range(TRAILING_WEEKS - 1, -1, -1):
        w = week_of(week.start - timedelta(days=7 * k))
        won = _won_in(engine, w, as_of)
        weekly.append(
            WeekAmount(
                week=w.label, amount=won.value or 0.0, deals=won.rows, unknown_amount=won.unknown
            )
        )
    return RevenueSummary(
        week_won=weekly[-1].amount,
        previous_week_won=_won_in(engine, prev, as_of).value or 0.0,
        quarter=q.label,
        quarter_won=quarter_won,
        target_metric=metric,
        pace=pace(target=target, actual=quarter_won, period=q, as_of=clock)
        if target is not None
        else None,
        weekly=weekly,
    )


def _regions(engine: Engine, at: Window) -> list[RegionRow]:
    """Deals created and won per region over the trailing weeks (the registry's breakdowns)."""
    return [
        RegionRow(region=r.value, created=r.created, won=r.won, won_amount=r.won_amount)
        for r in deal_tables.deals_by(engine, at, {}, "region")
        if r.created or r.won
    ]


def _verticals(contacts: pl.DataFrame, week: Period, start: datetime) -> list[VerticalRow]:
    lead, mql = pl.col(reach_column("lead")), pl.col(reach_column("mql"))
    table = contacts.group_by("vertical").agg(
        ((lead >= week.start_at) & (lead < week.end_at)).sum().alias("week"),
        ((lead >= start) & (lead < week.end_at)).sum().alias("trailing"),
        ((mql >= start) & (mql < week.end_at)).sum().alias("mqls"),
    )
    rows = [
        VerticalRow(vertical=v, leads_week=a, leads_trailing=b, mqls_trailing=m)
        for v, a, b, m in table.iter_rows()
        if b or m
    ]
    return sorted(rows, key=lambda r: (-r.leads_trailing, r.vertical))


def _where(found: tuple[str, str, float] | None, unit: str) -> str | None:
    if found is None:
        return None
    dim, value, drop = found
    amount = f"{drop:,.0f}" + ("" if unit == "count" else " less")
    return f"{dim} {value}: {amount}{' fewer' if unit == 'count' else ''}"


def _gaps(db_session: Session, facts: Facts, week: Period, as_of: datetime) -> list:
    prev = week.previous()
    # A narrow view of the contacts: filtering copies only these columns.
    contacts = facts.contacts.select(*CONTACT_DIMS, *(reach_column(s) for s in STAGES))
    deals = facts.opportunities
    found = []

    def reached(stage: str, p: Period) -> pl.DataFrame:
        col = pl.col(reach_column(stage))
        return contacts.filter(col >= p.start_at, col < p.end_at)

    for stage, name in (("lead", "New leads"), ("mql", "MQLs"), ("sql", "SQLs")):
        now, before = reached(stage, week), reached(stage, prev)
        where = _where(gap_rules.locate(now, before, CONTACT_DIMS), "count")
        found.append(gap_rules.gap(name, "previous period", now.height, before.height, where))
    for name, now, before in (
        (
            "Won revenue",
            _won(deals, week.start_at, week.end_at),
            _won(deals, prev.start_at, prev.end_at),
        ),
        (
            "Pipeline created",
            deals.filter(pl.col("created_at") >= week.start_at, pl.col("created_at") < week.end_at),
            deals.filter(pl.col("created_at") >= prev.start_at, pl.col("created_at") < prev.end_at),
        ),
    ):
        where = _where(gap_rules.locate(now, before, DEAL_DIMS, "amount"), "money")
        found.append(
            gap_rules.gap(
                name,
                "previous period",
                float(now["amount"].sum()),
                float(before["amount"].sum()),
                where,
            )
        )
    for a, b in (("mql", "sql"), ("sql", "opportunity"), ("opportunity", "customer")):

        def conv(p: Period, a: str = a, b: str = b) -> float | None:
            entered = reached(a, p)
            return rate(entered.filter(pl.col(reach_column(b)) <= as_of).height, entered.height)

        now_rate, before_rate = conv(week), conv(prev)
        if now_rate is not None and before_rate is not None:
            found.append(
                gap_rules.gap(
                    f"{label(a)} to {label(b)} conversion",
                    "previous period",
                    now_rate,
                    before_rate,
                    f"stage {label(a)} → {label(b)}",
                )
            )
    names = goals.goal_owner_names(db_session=db_session)
    for goal in goals.list_goals(db_session=db_session, period=week):
        row = goals.measure(goal, facts, min(as_of, week.end_at))
        if row.pace.status not in ("behind", "missed") or row.pace.actual is None:
            continue
        who = goal.team or names.get(goal.user_id or 0, "someone")
        found.append(
            gap_rules.gap(
                f"{row.metric_label} ({who}, {goal.period})",
                "target",
                row.pace.actual,
                row.pace.expected_to_date,
                f"needs {row.pace.pace_needed_per_week or 0:,.0f} a week",
            )
        )
    return gap_rules.largest(found)


def _attribution(
    db_session: Session, facts: Facts, start: datetime, end: datetime
) -> WeeklyAttribution | None:
    """The trailing weeks' won revenue by channel and campaign, from the stored attribution."""
    from tandem.attribution.service import MODEL_LABELS
    from tandem.attribution.store import stored_credits

    stored = stored_credits(db_session)
    if stored is None:
        return None
    model = stored.model
    names = dict(zip(facts.campaigns["campaign_id"], facts.campaigns["name"], strict=True))
    found = attributed(
        _won(facts.opportunities, start, end),
        stored.credits,
        stored.deals,
        model=model,
        campaign_names=names,
    )
    return WeeklyAttribution(
        model=model,
        model_label=MODEL_LABELS.get(model, model),
        computed_at=stored.computed_at,
        config_version=stored.config_version,
        attributed=found.attributed,
        unattributed=found.unattributed,
        not_computed_deals=found.not_computed_deals,
        not_computed_amount=found.not_computed_amount,
        by_channel=found.by_channel,
        by_campaign=found.by_campaign,
    )


def weekly_review(
    *, db_session: Session, facts: Facts, as_of: datetime, week: Period | None = None
) -> WeeklyReview:
    """The review of `week` (default: the last complete ISO week before `as_of`)."""
    week = week or last_complete_week(as_of)
    trailing_start = week.start_at - timedelta(days=7 * (TRAILING_WEEKS - 1))
    deals = facts.opportunities
    engine, clock = engine_for(facts), min(as_of, week.end_at)
    closing_week = deal_tables.deal_types(engine, Window(week.start, week.end, clock), {})
    active = (
        closed_in(deals, week.start_at, week.end_at).height
        + deals.filter(
            pl.col("created_at") >= week.start_at, pl.col("created_at") < week.end_at
        ).height
        + facts.contacts.select(
            pl.col(reach_column("lead")).is_between(week.start_at, week.end_at, closed="left").sum()
        ).item()
    )
    notices = []
    if not active:
        notices.append(
            Notice(
                level="warning",
                message=f"Week {week.label} has no data: no lead arrived, no deal was created "
                "and none closed. The sections below show the trailing weeks only.",
            )
        )
    if week.start_at > as_of:
        notices.append(Notice(level="warning", message=f"Week {week.label} has not started yet."))
    return WeeklyReview(
        week=week.label,
        start=week.start,
        end=week.end,
        trailing_start=trailing_start.date(),
        as_of=as_of,
        data_as_of=facts.loaded_at,
        has_data=bool(active),
        notices=notices,
        closing_week=[r for r in closing_week if r.won or r.lost],
        closing_trailing=deal_tables.deal_types(
            engine, Window(trailing_start.date(), week.end, clock), {}
        ),
        revenue=_revenue(db_session, facts, week, as_of),
        ltv=ltv_by_segment(deals, min(as_of, week.end_at)),
        ltv_method=METHOD,
        regions=_regions(engine, Window(trailing_start.date(), week.end, clock)),
        verticals=_verticals(facts.contacts, week, trailing_start),
        gaps=_gaps(db_session, facts, week, as_of),
        attribution=_attribution(db_session, facts, trailing_start, week.end_at),
        figures=_figures(facts, week, as_of),
        more=[
            panel
            for build in review_sections()
            for panel in build(db_session=db_session, facts=facts, week=week, as_of=as_of)
        ],
    )


#: The week's headline figures, from the registry.
WEEK_FIGURES = ("revenue_won", "deals_won", "win_rate", "reached_mql", "pipeline_created")


def _figures(facts: Facts, week: Period, as_of: datetime) -> list[FigureOut]:
    engine = engine_for(facts)
    at = Window(week.start, week.end, as_of)
    found = metrics.figures(engine, WEEK_FIGURES, at)
    return [FigureOut.of(found[n]) for n in WEEK_FIGURES]
