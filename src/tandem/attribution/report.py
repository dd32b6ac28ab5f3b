"""The attribution report: every model side by side per dimension, campaign ROI, CSV export.

Built once from `run_attribution`; the page renders it, the API returns it, the CSV export
writes it. Per model, the credits of any dimension plus the unattributed deals add up to the
total (won revenue or pipeline created) exactly, to the cent.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from tandem.attribution import (
    AggregateRow,
    AttributionConfig,
    FunnelCounts,
    aggregate,
    campaign_roi,
    lookups,
)
from tandem.attribution.money import from_cents
from tandem.attribution.schemas import (
    DIMENSIONS,
    AttributionFilters,
    AttributionReport,
    Breakdown,
    BreakdownRow,
    CampaignRoiRow,
    ModelInfo,
    UnattributedDeal,
)
from tandem.attribution.service import MODEL_LABELS, AttributionRun, run_attribution
from tandem.csv_export import to_csv

#: How many rows per dimension are flagged as "models disagree most here".
LOOK_HERE = 3
_NO_VALUE = {"campaign": "(no campaign)", "asset": "(no asset)", "source": "(no source)"}


def model_infos(models: tuple[str, ...]) -> list[ModelInfo]:
    """Models with their display labels."""
    return [ModelInfo(name=m, label=MODEL_LABELS.get(m, m.replace("_", " "))) for m in models]


def breakdown(
    dimension: str, rows: tuple[AggregateRow, ...], labels: Mapping[object, str]
) -> Breakdown:
    """Rows of one dimension, largest credit first, with the spread between models."""
    built = []
    for row in rows:
        values = list(row.credits.values())
        top = max(values, default=Decimal("0"))
        spread = top - min(values, default=Decimal("0"))
        built.append(
            BreakdownRow(
                key=None if row.key is None else str(row.key),
                label=(
                    _NO_VALUE.get(dimension, "(none)")
                    if row.key is None
                    else labels.get(row.key, str(row.key))
                ),
                touches=row.touches,
                opportunities=row.opportunities,
                credits=dict(row.credits),
                spread=spread,
                spread_share=float(spread / top) if top > 0 else None,
                look_here=False,
            )
        )
    built.sort(key=lambda r: (-max(r.credits.values(), default=Decimal("0")), r.label))
    widest = sorted((r for r in built if r.spread > 0), key=lambda r: -r.spread)[:LOOK_HERE]
    for row in widest:
        row.look_here = True
    return Breakdown(dimension=dimension, rows=built)


def _labels(run: AttributionRun, campaigns: pl.DataFrame, db_session: Session) -> dict:
    credits = run.result.credits
    assets = credits["asset_id"].drop_nulls().unique().to_list() if credits.height else []
    return {
        "campaign": dict(zip(campaigns["campaign_id"], campaigns["name"], strict=True)),
        "asset": lookups.asset_titles(db_session.connection(), assets),
        "channel": {},
        "team": {},
        "source": {},
    }


def _funnel_counts(run: AttributionRun, stages: pl.DataFrame) -> dict[int, FunnelCounts]:
    """MQLs and SQLs a campaign touched first; opportunities and won deals it touched."""
    touched = (
        run.touches.filter(pl.col("campaign_id").is_not_null())
        .join(run.deals.select("opportunity_id", "is_won"), on="opportunity_id")
        .group_by("campaign_id")
        .agg(
            pl.col("opportunity_id").n_unique().alias("opportunities"),
            pl.col("opportunity_id").filter(pl.col("is_won")).n_unique().alias("won"),
        )
    )
    merged = touched.join(stages, on="campaign_id", how="full", coalesce=True).fill_null(0)
    return {
        row["campaign_id"]: FunnelCounts(
            mqls=row["mqls"], sqls=row["sqls"], opportunities=row["opportunities"], won=row["won"]
        )
        for row in merged.iter_rows(named=True)
    }


def _roi_rows(
    run: AttributionRun, by_campaign: tuple[AggregateRow, ...], campaigns: pl.DataFrame, stages
) -> list[CampaignRoiRow]:
    info = {r["campaign_id"]: r for r in campaigns.iter_rows(named=True)}
    costs = {k: Decimal(r["cost"] or "0") for k, r in info.items() if Decimal(r["cost"] or "0")}
    rows = campaign_roi(by_campaign, costs=costs, counts=_funnel_counts(run, stages))
    return [
        CampaignRoiRow(
            campaign_id=r.campaign_id,
            name=info.get(r.campaign_id, {}).get("name") or str(r.campaign_id),
            channel=info.get(r.campaign_id, {}).get("channel"),
            cost=r.cost,
            mqls=r.counts.mqls,
            sqls=r.counts.sqls,
            opportunities=r.counts.opportunities,
            won=r.counts.won,
            cost_per_mql=r.cost_per_mql,
            cost_per_sql=r.cost_per_sql,
            cost_per_opportunity=r.cost_per_opportunity,
            cost_per_won=r.cost_per_won,
            attributed=dict(r.attributed) or {m: Decimal("0.00") for m in run.result.models},
            roi=dict(r.roi) or {m: None for m in run.result.models},
        )
        for r in rows
        if isinstance(r.campaign_id, int)
    ]


NOT_COMPUTED = "Not computed yet — run `tandem attribution run`."


def _nothing_stored(
    db_session: Session, filters: AttributionFilters, config: AttributionConfig
) -> AttributionReport:
    """The report when no attribution is stored: no number, only what to do."""
    zero = Decimal("0.00")
    return AttributionReport(
        filters=filters, contacts=filters.contacts or config.window.contacts,
        config_version=config.version, lookback_days=config.window.lookback_days,
        until_close=config.window.until_close, models=[], opportunities=0, learning_only=0,
        total=zero, attributed={}, unattributed_total=zero, unattributed=[],
        breakdowns=[Breakdown(dimension=d, rows=[]) for d in DIMENSIONS], roi=[],
        filter_values=lookups.filter_values(db_session.connection()), source="none",
    )  # fmt: skip


def build_report(
    *,
    db_session: Session,
    filters: AttributionFilters,
    config: AttributionConfig,
    stored: bool = False,
) -> AttributionReport:
    """The attribution page's data for `filters`.

    With `stored`, won revenue is read from the stored results (`tandem attribution run`)
    in the stored run's contact scope; pipeline created, or another contact scope, is
    computed for the request. Without it, everything is computed for the request.
    """
    from tandem.attribution.store import latest_run, stored_run

    found = None
    if stored and filters.basis == "won":
        full = latest_run(db_session, kind="full")
        if full is None:
            return _nothing_stored(db_session, filters, config)
        scope = full.config["window"]["contacts"]
        if filters.contacts in (None, scope):
            found = stored_run(db_session=db_session, filters=filters)
    run = (
        found.run
        if found
        else run_attribution(db_session=db_session, filters=filters, config=config)
    )
    connection = db_session.connection()
    result = run.result
    credited = run.deals.filter(pl.col("converted"))
    touched = result.credits["opportunity_id"].unique().implode()
    missing = credited.filter(~pl.col("opportunity_id").is_in(touched)).sort(
        "amount_cents", "opportunity_id", descending=[True, False]
    )
    campaigns = lookups.campaigns(connection)
    labels = _labels(run, campaigns, db_session)
    aggregates = {d: aggregate(result, by=d) for d in DIMENSIONS}  # type: ignore[arg-type]
    config = run.config
    if found:
        from tandem.attribution.store import cached_stage_counts

        stages = cached_stage_counts(db_session, filters, lookback_days=config.window.lookback_days)
    else:
        stages = lookups.stage_counts(
            connection, filters, lookback_days=config.window.lookback_days
        )
    late = found.not_computed if found else run.deals.clear()
    return AttributionReport(
        filters=filters,
        contacts=run.scope,
        config_version=result.config_version,
        lookback_days=config.window.lookback_days,
        until_close=config.window.until_close,
        models=model_infos(result.models),
        opportunities=credited.height,
        learning_only=run.deals.height - credited.height - late.height,
        total=from_cents(credited["amount_cents"].sum()),
        attributed={m: from_cents(result.credits[m].sum()) for m in result.models},
        unattributed_total=from_cents(result.unattributed_cents),
        unattributed=[
            UnattributedDeal(
                opportunity_id=r["opportunity_id"],
                name=r["name"],
                amount=from_cents(r["amount_cents"]),
            )
            for r in missing.iter_rows(named=True)
        ],
        breakdowns=[breakdown(d, aggregates[d], labels[d]) for d in DIMENSIONS],
        roi=_roi_rows(run, aggregates["campaign"], campaigns, stages),
        filter_values=lookups.filter_values(connection),
        source="stored" if found else "computed",
        run_id=found.last.id if found else None,
        computed_at=found.last.finished_at if found else None,
        full_run_at=found.record.finished_at if found else None,
        not_computed=[
            UnattributedDeal(
                opportunity_id=r["opportunity_id"],
                name=r["name"],
                amount=from_cents(r["amount_cents"]),
            )
            for r in late.iter_rows(named=True)
        ],
        not_computed_total=from_cents(late["amount_cents"].sum() if late.height else 0),
    )


def report_table(report: AttributionReport, by: str) -> tuple[list[str], list[list[Any]]]:
    """One dimension (or ``roi``) of the report as a header and rows.

    A dimension's rows end with the unattributed deals, so each model's column adds up to
    the report's total.
    """
    models = [m.name for m in report.models]
    if by == "roi":
        header = [
            "campaign_id", "name", "channel", "cost", "mqls", "sqls", "opportunities", "won",
            "cost_per_mql", "cost_per_sql", "cost_per_opportunity", "cost_per_won",
            *[f"attributed_{m}" for m in models], *[f"roi_{m}" for m in models],
        ]  # fmt: skip
        rows = [
            [
                r.campaign_id,
                r.name,
                r.channel,
                r.cost,
                r.mqls,
                r.sqls,
                r.opportunities,
                r.won,
                r.cost_per_mql,
                r.cost_per_sql,
                r.cost_per_opportunity,
                r.cost_per_won,
                *[r.attributed.get(m) for m in models],
                *[r.roi.get(m) for m in models],
            ]  # fmt: skip
            for r in report.roi
        ]
        return header, rows
    found = next((b for b in report.breakdowns if b.dimension == by), None)
    if found is None:
        raise ValueError(f"cannot export by {by!r}; choose one of {(*DIMENSIONS, 'roi')}")
    header = [by, "label", "touches", "opportunities", *models, "spread"]
    rows = [
        [r.key, r.label, r.touches, r.opportunities, *[r.credits[m] for m in models], r.spread]
        for r in found.rows
    ]
    unattributed = report.unattributed_total
    rows.append(
        ["", "(unattributed: deals with no touch)", 0, len(report.unattributed),
         *[unattributed for _ in models], Decimal("0.00")]
    )  # fmt: skip
    return header, rows


def report_csv(report: AttributionReport, by: str) -> str:
    """`report_table` as CSV, text cells neutralised against formula injection."""
    return to_csv(*report_table(report, by))
