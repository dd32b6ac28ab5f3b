"""Credits summed by campaign, channel, asset, team or source, and campaign ROI.

Run `attribute` once on won journeys (won revenue) and once on every opportunity's journey
(pipeline created); aggregate each result the same way.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

import polars as pl

from tandem.attribution.engine import AttributionResult
from tandem.attribution.money import CENT, from_cents
from tandem.attribution.touchpoints import Key

Dimension = Literal["campaign", "channel", "asset", "team", "source"]
_COLUMN = {
    "campaign": "campaign_id",
    "channel": "channel",
    "asset": "asset_id",
    "team": "team",
    "source": "source",
}
_RATIO = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class AggregateRow:
    """Credits of one campaign/channel/... per model; `key` None collects touches without one."""

    key: Key | None
    touches: int
    opportunities: int
    credits: Mapping[str, Decimal]


def aggregate(
    result: AttributionResult, *, by: Dimension, models: tuple[str, ...] | None = None
) -> tuple[AggregateRow, ...]:
    """Sum each model's credits by `by`; rows ordered by key, the None key last."""
    if by not in _COLUMN:
        raise ValueError(f"cannot aggregate by {by!r}; choose one of {tuple(_COLUMN)}")
    models = result.models if models is None else models
    column = _COLUMN[by]
    grouped = (
        result.credits.group_by(column)
        .agg(
            pl.len().alias("_touches"),
            pl.col("opportunity_id").n_unique().alias("_opportunities"),
            *[pl.col(m).sum() for m in models],
        )
        .sort(column, nulls_last=True)
    )
    return tuple(
        AggregateRow(
            key=row[column],
            touches=row["_touches"],
            opportunities=row["_opportunities"],
            credits={m: from_cents(row[m]) for m in models},
        )
        for row in grouped.iter_rows(named=True)
    )


@dataclass(frozen=True, slots=True)
class FunnelCounts:
    """What a campaign produced, counted by the caller: MQLs, SQLs, opportunities, won deals."""

    mqls: int = 0
    sqls: int = 0
    opportunities: int = 0
    won: int = 0


@dataclass(frozen=True, slots=True)
class CampaignRoi:
    """Cost efficiency of one campaign; ratios are None where the divisor is zero."""

    campaign_id: Key
    cost: Decimal
    counts: FunnelCounts
    cost_per_mql: Decimal | None
    cost_per_sql: Decimal | None
    cost_per_opportunity: Decimal | None
    cost_per_won: Decimal | None
    attributed: Mapping[str, Decimal]  # attributed revenue per model
    roi: Mapping[str, Decimal | None]  # attributed revenue / cost per model


def _ratio(numerator: Decimal, denominator: Decimal | int, quantum: Decimal) -> Decimal | None:
    if denominator == 0:
        return None
    return (numerator / Decimal(denominator)).quantize(quantum, rounding=ROUND_HALF_EVEN)


def campaign_roi(
    by_campaign: tuple[AggregateRow, ...],
    *,
    costs: Mapping[Key, Decimal],
    counts: Mapping[Key, FunnelCounts],
) -> tuple[CampaignRoi, ...]:
    """ROI per campaign and model from `aggregate(..., by="campaign")` rows, costs and counts.

    Every campaign with a cost, counts or credit gets a row (ordered by id). Cost-per figures
    are rounded to the cent, ROI (attributed revenue / cost) to 4 decimal places.
    """
    credited = {row.key: row.credits for row in by_campaign if row.key is not None}
    models = next(iter(credited.values())).keys() if credited else ()
    rows = []
    for campaign in sorted(set(costs) | set(counts) | set(credited), key=str):
        cost = Decimal(costs.get(campaign, Decimal("0")))
        count = counts.get(campaign, FunnelCounts())
        attributed = credited.get(campaign, {m: Decimal("0.00") for m in models})
        rows.append(
            CampaignRoi(
                campaign_id=campaign,
                cost=cost,
                counts=count,
                cost_per_mql=_ratio(cost, count.mqls, CENT),
                cost_per_sql=_ratio(cost, count.sqls, CENT),
                cost_per_opportunity=_ratio(cost, count.opportunities, CENT),
                cost_per_won=_ratio(cost, count.won, CENT),
                attributed=attributed,
                roi={m: _ratio(value, cost, _RATIO) for m, value in attributed.items()},
            )
        )
    return tuple(rows)
