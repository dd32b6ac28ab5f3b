"""The weekly review as titled sections (charts + tables), in the order the issue asks."""

from tandem.analytics.charts import Chart, Panel, Series, fmt, label, panel, table
from tandem.analytics.schemas import DealTypeRow
from tandem.reports.schemas import WeeklyReview

#: Section titles, in order (the PDF test reads them back).
TITLES = (
    "What types of deals are closing",
    "Which deal types occur most often",
    "Revenue against target",
    "Lifetime value to expect per segment",
    "Which regions deals come from",
    "Which verticals leads come from",
    "Where we are falling short",
    "Attributed revenue by campaign and channel",
)
#: Campaigns listed in the review (the largest credit first); the page has them all.
TOP_CAMPAIGNS = 10


def _types_table(rows: list[DealTypeRow]):
    return table(
        ["Type", "Created", "Won", "Lost", "Win rate", "Won amount", "Average won"],
        [
            [label(t.deal_type), t.created, t.won, t.lost, t.win_rate, t.won_amount, t.average_won]
            for t in rows
        ],
        [None, "count", "count", "count", "percent", "money", "money"],
    )


def sections(vm: WeeklyReview) -> list[Panel]:
    """One panel per question; each says plainly when it has nothing to show."""
    closing, trailing = vm.closing_week, vm.closing_trailing
    rev = vm.revenue
    p = rev.pace
    target_rows = (
        [
            [
                rev.quarter,
                label(rev.target_metric or ""),
                p.target,
                p.actual,
                p.attainment,
                p.expected_to_date,
                p.pace_needed_per_week,
            ]
        ]
        if p is not None
        else []
    )
    return [
        Panel(
            title=TITLES[0],
            chart=_closing_chart(trailing),
            table=_types_table(closing or trailing) if trailing else None,
            empty=None
            if closing
            else f"No deal closed in {vm.week}"
            + (
                "; the table shows the trailing 13 weeks."
                if trailing
                else " nor in the 12 weeks before."
            ),
        ),
        panel(
            TITLES[1],
            Chart(
                id="report-occurring",
                title=TITLES[1],
                kind="hbar",
                categories=[label(t.deal_type) for t in trailing],
                series=[
                    Series(
                        name="Deals created, trailing 13 weeks",
                        values=[t.created for t in trailing],
                    )
                ],
            ),
            None,
            "No deal was created in the trailing 13 weeks.",
        ),
        Panel(
            title=TITLES[2],
            chart=None
            if not any(w.amount for w in rev.weekly)
            else Chart(
                id="report-revenue",
                title="Won revenue per week",
                categories=[w.week for w in rev.weekly],
                series=[Series(name="Won revenue", values=[w.amount for w in rev.weekly])],
                unit="money",
            ),
            table=table(
                [
                    "Quarter",
                    "Metric",
                    "Target",
                    "Won to date",
                    "Attainment",
                    "Expected to date",
                    "Pace needed / week",
                ],
                target_rows,
                [None, None, "money", "money", "percent", "money", "money"],
            )
            if target_rows
            else None,
            empty=(
                f"Won this week: {fmt(rev.week_won, 'money')} "
                f"(previous week {fmt(rev.previous_week_won, 'money')}); "
                f"quarter {rev.quarter} to date: {fmt(rev.quarter_won, 'money')}."
                + (
                    ""
                    if p is not None
                    else f" No revenue or bookings target is set for {rev.quarter}."
                )
            ),
        ),
        Panel(
            title=TITLES[3],
            table=table(
                [
                    "Segment",
                    "Customers",
                    "Revenue per account",
                    "Expansion",
                    "Renewals closed",
                    "Churn",
                    "Lifetime (years)",
                    "LTV",
                    "Note",
                ],
                [
                    [
                        label(s.segment),
                        s.customers,
                        s.revenue_per_account,
                        s.expansion_rate,
                        s.renewals_closed,
                        s.churn_rate,
                        _years(s.lifetime_years),
                        s.ltv,
                        s.note or "",
                    ]
                    for s in vm.ltv
                ],
                [None, "count", "money", "percent", "count", "percent", None, "money", None],
            )
            if vm.ltv
            else None,
            empty=("Method: " + vm.ltv_method)
            if vm.ltv
            else "No deal has closed yet: no lifetime value to estimate.",
        ),
        panel(
            TITLES[4],
            Chart(
                id="report-regions",
                title=TITLES[4],
                kind="hbar",
                categories=[label(r.region) for r in vm.regions],
                series=[
                    Series(
                        name="Won amount, trailing 13 weeks",
                        values=[r.won_amount for r in vm.regions],
                    )
                ],
                unit="money",
            ),
            table(
                ["Region", "Deals created", "Deals won", "Won amount"],
                [[label(r.region), r.created, r.won, r.won_amount] for r in vm.regions],
                [None, "count", "count", "money"],
            ),
            "No deal was created or won in the trailing 13 weeks.",
        ),
        panel(
            TITLES[5],
            Chart(
                id="report-verticals",
                title=TITLES[5],
                kind="hbar",
                categories=[label(v.vertical) for v in vm.verticals],
                series=[
                    Series(
                        name="New leads, trailing 13 weeks",
                        values=[v.leads_trailing for v in vm.verticals],
                    )
                ],
            ),
            table(
                ["Vertical", f"Leads {vm.week}", "Leads, 13 weeks", "MQLs, 13 weeks"],
                [
                    [label(v.vertical), v.leads_week, v.leads_trailing, v.mqls_trailing]
                    for v in vm.verticals
                ],
                [None, "count", "count", "count"],
            ),
            "No lead arrived in the trailing 13 weeks.",
        ),
        Panel(
            title=TITLES[6],
            table=table(
                ["Metric", "Against", "Actual", "Reference", "Short by", "Where the gap sits"],
                [
                    [
                        g.metric,
                        g.against,
                        _num(g.actual),
                        _num(g.reference),
                        f"{100 * g.gap_share:.0f}%",
                        g.where or "–",
                    ]
                    for g in vm.gaps
                ],
                [None, None, None, None, None, None],
            )
            if vm.gaps
            else None,
            empty=None
            if vm.gaps
            else "No shortfall: every metric met its target and the previous week.",
        ),
        _attribution_panel(vm),
        *vm.more,
    ]


def _attribution_panel(vm: WeeklyReview) -> Panel:
    a = vm.attribution
    if a is None:
        return Panel(title=TITLES[7], empty="Not computed yet — run `tandem attribution run`.")
    note = (
        f"Won revenue of the 13 weeks {vm.trailing_start} to {vm.end}, credited by the "
        f"{a.model_label} model (attribution computed {a.computed_at:%Y-%m-%d %H:%M} UTC, "
        f"config {a.config_version}): {fmt(a.attributed, 'money')} to touches, "
        f"{fmt(a.unattributed, 'money')} to deals with no touch."
    )
    if a.not_computed_deals:
        note += (
            f" {a.not_computed_deals:,} deals ({fmt(a.not_computed_amount, 'money')}) were won "
            "or changed after that run and are not included: run "
            "`tandem attribution run --changed`."
        )
    chart = Chart(
        id="report-attributed",
        title="Attributed revenue by channel",
        kind="hbar",
        categories=[r.key for r in a.by_channel],
        series=[Series(name=a.model_label, values=[r.revenue for r in a.by_channel])],
        unit="money",
    )
    rows = [["Channel", r.key, r.revenue, r.deals] for r in a.by_channel] + [
        ["Campaign", r.key, r.revenue, r.deals] for r in a.by_campaign[:TOP_CAMPAIGNS]
    ]
    return Panel(
        title=TITLES[7],
        chart=None if chart.is_empty else chart,
        table=table(
            ["By", "Channel or campaign", "Attributed revenue", "Deals"],
            rows,
            [None, None, "money", "count"],
        )
        if rows
        else None,  # fmt: skip
        empty=note,
    )


def _closing_chart(trailing: list[DealTypeRow]) -> Chart | None:
    if not any(t.won or t.lost for t in trailing):
        return None
    return Chart(
        id="report-closing",
        title=TITLES[0],
        kind="hbar",
        categories=[label(t.deal_type) for t in trailing],
        series=[
            Series(name="Won, trailing 13 weeks", values=[t.won for t in trailing]),
            Series(name="Lost, trailing 13 weeks", values=[t.lost for t in trailing]),
        ],
    )


def _years(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _num(value: float) -> str:
    return f"{100 * value:.1f}%" if 0 < value < 1 else f"{value:,.0f}"
