"""Turn each dashboard view-model into tiles and panels (charts + tables) for the page."""

from tandem.analytics.charts import Chart, Panel, Series, Table, fmt, label, panel, table
from tandem.analytics.frames import STAGES
from tandem.analytics.schemas import (
    FunnelView,
    HandoffView,
    PipelineView,
    RevenueView,
    VelocityView,
)

Tile = tuple[str, str]


def _pivot(rows: list, key: str, series_key: str, value: str, series_order: list[str]):
    categories = sorted({getattr(r, key) for r in rows})
    cells = {(getattr(r, key), getattr(r, series_key)): getattr(r, value) for r in rows}
    names = [s for s in series_order if any(k[1] == s for k in cells)]
    return categories, [
        Series(name=label(n), values=[cells.get((c, n), 0) for c in categories]) for n in names
    ]


def funnel(vm: FunnelView) -> tuple[list[Tile], list[Panel]]:
    months, series = _pivot(vm.monthly, "month", "stage", "contacts", list(STAGES))
    view = "reached each stage per month" if vm.filters.view == "period" else "by cohort month"
    by = vm.filters.by or "channel"
    return [], [
        panel(
            "Contacts reaching each stage",
            Chart(
                id="funnel-totals",
                title="Contacts reaching each stage",
                kind="hbar",
                categories=[label(t.stage) for t in vm.totals],
                series=[Series(name="Contacts", values=[t.contacts for t in vm.totals])],
            ),
            None,
            "No contact reached any stage in this range.",
        ),
        panel(
            f"Contacts {view}",
            Chart(id="funnel-monthly", title=f"Contacts {view}", categories=months, series=series),
            None,
            "Nothing to show by month in this range.",
        ),
        Panel(title="Stage-to-stage conversion", table=_conversion_table(vm)),
        Panel(
            title=f"By {by}",
            table=table(
                [label(by), *[label(s) for s in STAGES], "MQL→SQL", "Lead→customer"],
                [
                    [
                        label(r.value),
                        *[r.stages[s] for s in STAGES],
                        r.mql_to_sql,
                        r.lead_to_customer,
                    ]
                    for r in vm.breakdown
                ],
                [None, *["count"] * len(STAGES), "percent", "percent"],  # type: ignore[list-item]
            ),
            empty=None if vm.breakdown else f"No {by} has contacts in this range.",
        ),
    ]


def _conversion_table(vm: FunnelView) -> Table:
    """The conversions, each count linked to its records and each rate to its definition."""
    out = table(
        ["From", "To", "Reached from-stage", "Went on", "Of which implied", "Conversion"],
        [
            [label(c.from_stage), label(c.to_stage), c.entered, c.converted, c.implied, c.rate]
            for c in vm.conversions
        ],
        [None, None, "count", "count", "count", "percent"],
    )
    query = vm.figures[0].records_url.partition("?")[2] if vm.figures else ""
    names = [f"conversion_{c.from_stage}_to_{c.to_stage}" for c in vm.conversions]
    out.links = [
        [None, None, f"/metrics/{n}/records?{query}", None, None, f"/metrics/{n}?{query}"]
        for n in names
    ]
    return out


def velocity(vm: VelocityView) -> tuple[list[Tile], list[Panel]]:
    measured = [s for s in vm.stages if s.count]
    return [], [
        panel(
            "Days in each stage (median and p90)",
            Chart(
                id="velocity-stages",
                title="Days in each stage",
                categories=[label(s.stage) for s in measured],
                series=[
                    Series(name="Median", values=[s.median_days for s in measured]),
                    Series(name="p90", values=[s.p90_days for s in measured]),
                ],
                unit="days",
            ),
            None,
            "No stay in a stage both began and ended in this range.",
        ),
        Panel(
            title="Time in stage",
            table=table(
                ["Stage", "Stays ended", "Median", "p90", "Still in stage"],
                [
                    [label(s.stage), s.count, s.median_days, s.p90_days, s.still_in_stage]
                    for s in vm.stages
                ],
                [None, "count", "days", "days", "count"],
            ),
        ),
        Panel(
            title="Sales cycle: created to closed",
            table=table(
                ["Deal type", "Outcome", "Deals", "Median", "p90"],
                [
                    [label(c.deal_type), c.outcome, c.count, c.median_days, c.p90_days]
                    for c in vm.sales_cycle
                ],
                [None, None, "count", "days", "days"],
            ),
        ),
    ]


def pipeline(vm: PipelineView) -> tuple[list[Tile], list[Panel]]:
    cov = vm.coverage
    tiles = [(f"Coverage {cov.period}", f"{cov.ratio:.1f}×" if cov.ratio is not None else "–")]
    months, series = _pivot(
        vm.open_by_close_month, "month", "stage", "amount", [s.stage for s in vm.open_by_stage]
    )
    return tiles, [
        panel(
            "Open pipeline by stage",
            Chart(
                id="pipeline-stage",
                title="Open pipeline by stage",
                kind="hbar",
                categories=[label(s.stage) for s in vm.open_by_stage],
                series=[Series(name="Amount", values=[s.amount for s in vm.open_by_stage])],
                unit="money",
            ),
            None,
            "No open deals.",
        ),
        panel(
            "Open pipeline by expected close month",
            Chart(
                id="pipeline-close",
                title="Open pipeline by expected close month",
                kind="stacked",
                categories=months,
                series=series,
                unit="money",
            ),
            None,
            "No open deals.",
        ),
        Panel(
            title=f"Coverage of the {cov.period} bookings target",
            table=table(
                ["Target", "Booked", "Still needed", "Open, due in period", "Coverage"],
                [[cov.target, cov.booked, cov.still_needed, cov.open_due, cov.ratio]],
                ["money", "money", "money", "money", "count"],
            ),
        ),
        deal_types_panel(vm),
        *[_dimension_panel(vm, d) for d in ("segment", "region", "vertical", "channel")],
    ]


def _dimension_panel(vm: PipelineView, dimension: str) -> Panel:
    rows = [r for r in vm.by_dimension if r.dimension == dimension]
    return Panel(
        title=f"Deals by {dimension}",
        table=table(
            [label(dimension), "Created", "Won", "Lost", "Win rate", "Won amount"],
            [[label(r.value), r.created, r.won, r.lost, r.win_rate, r.won_amount] for r in rows],
            [None, "count", "count", "count", "percent", "money"],
        ),
        empty=None if rows else f"No deals by {dimension} in this range.",
    )


def deal_types_panel(vm: PipelineView) -> Panel:
    """What types of deals close and which occur most."""
    return Panel(
        title="Deal types: what closes and what occurs most",
        table=table(
            ["Type", "Created", "Open", "Won", "Lost", "Win rate", "Won amount", "Average won"],
            [
                [
                    label(t.deal_type),
                    t.created,
                    t.open,
                    t.won,
                    t.lost,
                    t.win_rate,
                    t.won_amount,
                    t.average_won,
                ]
                for t in vm.deal_types
            ],
            [None, "count", "count", "count", "count", "percent", "money", "money"],
        ),
        empty=None if vm.deal_types else "No deals in this range.",
    )


def handoff(vm: HandoffView) -> tuple[list[Tile], list[Panel]]:
    acc, sla = vm.acceptance, vm.sla
    has_commitment = any(m.commitment is not None for m in vm.mql_monthly)
    return [], [
        panel(
            "MQL volume against marketing's commitment",
            Chart(
                id="handoff-mqls",
                title="MQLs per month",
                categories=[m.month for m in vm.mql_monthly],
                series=[Series(name="MQLs", values=[m.mqls for m in vm.mql_monthly])],
                target=Series(name="Commitment", values=[m.commitment for m in vm.mql_monthly])
                if has_commitment
                else None,
            ),
            None,
            "No MQLs in this range.",
        ),
        Panel(
            title="How sales answered MQLs (from the lifecycle log)",
            table=table(
                ["Decided", "Accepted (SAL)", "Recycled to nurture", "Disqualified", "Acceptance"],
                [[acc.decided, acc.accepted, acc.recycled, acc.disqualified, acc.rate]],
                ["count", "count", "count", "count", "percent"],
            ),
        ),
        Panel(
            title="SLA clocks of the MQLs handed off",
            table=table(
                [
                    "Handed off",
                    "Accepted",
                    "Rejected",
                    "Accept SLA met",
                    "First-touch SLA met",
                ],
                [
                    [
                        sla.handed_off,
                        sla.accepted,
                        sla.rejected,
                        sla.accept_sla,
                        sla.first_touch_sla,
                    ]
                ],
                ["count", "count", "count", "percent", "percent"],
            ),
        )
        if sla
        else Panel(
            title="SLA clocks",
            empty="Not configured: no MQL has been handed off with SLA clocks yet.",
        ),
        Panel(
            title="Reject reasons",
            table=table(
                ["Reason", "Contacts"],
                [[r.reason, r.contacts] for r in vm.reject_reasons],
                [None, "count"],
            ),
            empty=None if vm.reject_reasons else "No MQL was sent back in this range.",
        ),
    ]


def revenue(vm: RevenueView) -> tuple[list[Tile], list[Panel]]:
    months, series = _pivot(
        vm.bookings_monthly, "month", "deal_type", "amount", ["new", "upsell", "renewal"]
    )
    tiles = [
        (f"{label(t.metric)} {t.period}", fmt(t.attainment, "percent")) for t in vm.targets[:3]
    ]
    return tiles, [
        panel(
            "Won revenue by month and deal type",
            Chart(
                id="revenue-monthly",
                title="Won revenue by month",
                kind="stacked",
                categories=months,
                series=series,
                unit="money",
            ),
            None,
            "No deal was won in this range.",
        ),
        Panel(
            title="Against target",
            table=table(
                ["Period", "Metric", "Target", "Actual", "Attainment"],
                [[t.period, label(t.metric), t.target, t.actual, t.attainment] for t in vm.targets],
                [None, None, "money", "money", "percent"],
            ),
            empty=None if vm.targets else "No revenue or bookings target overlaps this range.",
        ),
        *attribution_panels(vm),
    ]


def attribution_panels(vm: RevenueView) -> list[Panel]:
    """Attributed revenue by channel and by campaign from the stored run, or why there is none."""
    if vm.attribution_model is None:
        return [
            Panel(
                title="Attributed revenue by campaign and channel",
                empty="Not computed yet — run `tandem attribution run`.",
            )
        ]
    from tandem.attribution.service import MODEL_LABELS

    model = MODEL_LABELS.get(vm.attribution_model, label(vm.attribution_model))
    when = f"{vm.attribution_computed_at:%Y-%m-%d %H:%M} UTC" if vm.attribution_computed_at else ""
    note = f"{model} model, computed {when} (config {vm.attribution_config_version})"
    units: list = [None, "money", "count"]
    return [
        panel(
            f"Attributed revenue by channel · {note}",
            Chart(
                id="revenue-by-channel",
                title="Attributed revenue by channel",
                kind="hbar",
                categories=[r.key for r in vm.by_channel],
                series=[Series(name=model, values=[r.revenue for r in vm.by_channel])],
                unit="money",
            ),
            table(
                ["Channel", "Attributed revenue", "Deals"],
                [[r.key, r.revenue, r.deals] for r in vm.by_channel],
                units,
            ),
            "No won deal in this range has stored credits.",
        ),
        Panel(
            title=f"Attributed revenue by campaign · {model}",
            table=table(
                ["Campaign", "Attributed revenue", "Deals"],
                [[r.key, r.revenue, r.deals] for r in vm.by_campaign],
                units,
            ),
            empty=None if vm.by_campaign else "No won deal in this range has stored credits.",
        ),
    ]
