"""Influence of content on revenue: won revenue credited to assets under every model. Pure.

An asset influenced a deal when a contact of the deal's buying committee consumed it (any
activity carrying the asset) before the deal closed. Each closed deal becomes one attribution
journey whose touchpoints are those consumptions, one per activity, with the asset as the
"channel": the position models (first, last, linear, U, W, full path, time decay) weigh the
touches by place and age, Markov and Shapley learn each asset's worth from won and lost
journeys alike. The models are `tandem.attribution`'s registry, not a copy of them: per won
deal, every model's credits sum to the deal's amount to the cent.

A won deal whose amount is unknown is counted (`unknown_amount` per asset and overall) and
credited to nobody: the project never invents an amount, not even 0.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from tandem.attribution import AttributionConfig, attribute, available, batch_from_frames
from tandem.attribution.touchpoints import CLOSE, FIRST_TOUCH, MILESTONES, OPPORTUNITY_CREATION

TS = pl.Datetime("us", "UTC")
#: What influence can be rolled up by (an asset with several personas counts in each).
ROLLUPS: tuple[str, ...] = ("asset", "type", "journey_stage", "persona")

_BIT = {m: 1 << k for k, m in enumerate(MILESTONES)}
#: Credits journeys elsewhere (an analytics engine, `tandem.engines.attribution`): given the
#: journeys, touches and models of `batch_from_frames`, the credits per touch with
#: ``opportunity_id, activity_id, asset_id`` and a cents column per model.
Credit = Callable[[pl.DataFrame, pl.DataFrame, Sequence[str]], pl.DataFrame]


@dataclass(frozen=True, eq=False)
class Influence:
    """Credits per touch, the per-asset table, and what could not be credited."""

    models: tuple[str, ...]
    credits: pl.DataFrame  # opportunity_id, activity_id, asset_id, one Int64 cents column/model
    by_asset: pl.DataFrame  # see `per_asset`
    won_deals: int  # won deals in the input (closed, with a close date)
    credited_deals: int  # won deals with a known amount and at least one consumption
    unknown_amount: int  # won deals with consumption whose amount is unknown: not credited
    without_content: int  # won deals whose committee consumed nothing before close


def committee(
    roles: pl.DataFrame, deals: pl.DataFrame, account_contacts: pl.DataFrame
) -> pl.DataFrame:
    """Each deal's buying committee: its contact roles, or else every contact of its account.

    roles: opportunity_id, contact_id. deals: opportunity_id, account_id. account_contacts:
    contact_id, account_id. Returns distinct (opportunity_id, contact_id).
    """
    roles = roles.select(
        pl.col("opportunity_id").cast(pl.Int64), pl.col("contact_id").cast(pl.Int64)
    )
    with_roles = roles.select("opportunity_id").unique()
    fallback = (
        deals.select(pl.col("opportunity_id").cast(pl.Int64), pl.col("account_id").cast(pl.Int64))
        .join(with_roles, on="opportunity_id", how="anti")
        .drop_nulls("account_id")
        .join(
            account_contacts.select(
                pl.col("contact_id").cast(pl.Int64), pl.col("account_id").cast(pl.Int64)
            ),
            on="account_id",
        )
        .select("opportunity_id", "contact_id")
    )
    return pl.concat([roles, fallback]).unique()


def touches(consumption: pl.DataFrame, members: pl.DataFrame, deals: pl.DataFrame) -> pl.DataFrame:
    """Consumptions by a deal's committee before the deal closed, one row per activity.

    consumption: activity_id, contact_id, asset_id, occurred_at. members: `committee`'s
    output. deals: opportunity_id, created_at, closed_at, is_won (closed deals only are
    kept). Rows come ordered by deal, time and activity id, with the milestone bits of the
    attribution touchpoint rule (first touch, last touch at or before creation, last touch).
    """
    closed = deals.filter(pl.col("closed_at").is_not_null()).select(
        pl.col("opportunity_id").cast(pl.Int64),
        pl.col("created_at").cast(TS),
        pl.col("closed_at").cast(TS),
    )
    rows = (
        consumption.select(
            pl.col("activity_id").cast(pl.Int64),
            pl.col("contact_id").cast(pl.Int64),
            pl.col("asset_id").cast(pl.Int64),
            pl.col("occurred_at").cast(TS),
        )
        .drop_nulls("asset_id")
        .join(members, on="contact_id")
        .join(closed, on="opportunity_id")
        .filter(pl.col("occurred_at") < pl.col("closed_at"))
        .sort("opportunity_id", "occurred_at", "activity_id")
    )
    same_next = pl.col("opportunity_id").shift(-1) == pl.col("opportunity_id")
    first = pl.col("opportunity_id").shift(1) != pl.col("opportunity_id")
    before = pl.col("occurred_at") <= pl.col("created_at")
    next_after = ~same_next.fill_null(False) | (
        pl.col("occurred_at").shift(-1) > pl.col("created_at")
    )
    mask = (
        first.fill_null(True).cast(pl.UInt8) * _BIT[FIRST_TOUCH]
        + (before.fill_null(False) & next_after).cast(pl.UInt8) * _BIT[OPPORTUNITY_CREATION]
        + (~same_next.fill_null(False)).cast(pl.UInt8) * _BIT[CLOSE]
    )
    return rows.with_columns(mask.cast(pl.UInt8).alias("milestones")).select(
        "opportunity_id", "activity_id", "contact_id", "asset_id", "occurred_at", "milestones"
    )


def influence(
    deals: pl.DataFrame,
    touched: pl.DataFrame,
    *,
    config: AttributionConfig,
    models: Sequence[str] | None = None,
    credit: Credit | None = None,
) -> Influence:
    """Credit every won deal's amount to the assets its committee consumed, under each model.

    deals: opportunity_id, amount_cents (Int64, null when unknown), closed_at, is_won.
    touched: `touches`' output. Lost deals with consumption enter the data-driven models as
    journeys that did not convert; they receive no credit. `credit` computes the credits
    elsewhere (default: `tandem.attribution.attribute` in this process).
    """
    names = tuple(models) if models is not None else available(config)
    closed = deals.filter(pl.col("closed_at").is_not_null()).select(
        pl.col("opportunity_id").cast(pl.Int64),
        pl.col("amount_cents").cast(pl.Int64),
        pl.col("closed_at").cast(TS),
        pl.col("is_won").cast(pl.Boolean),
    )
    with_touch = touched.select("opportunity_id").unique()
    journeys = closed.join(with_touch, on="opportunity_id", how="semi")
    won = closed.filter(pl.col("is_won"))
    unknown = journeys.filter(pl.col("is_won") & pl.col("amount_cents").is_null())
    # Unknown-amount won deals leave the batch: crediting them would need an amount.
    batch_journeys = journeys.join(unknown, on="opportunity_id", how="anti").select(
        "opportunity_id",
        pl.col("amount_cents").fill_null(0),
        pl.col("is_won").alias("converted"),
        pl.col("closed_at").alias("as_of"),
    )
    batch_touches = touched.join(
        batch_journeys.select("opportunity_id"), on="opportunity_id"
    ).select(
        "opportunity_id",
        "activity_id",
        "occurred_at",
        pl.col("asset_id").cast(pl.String).alias("channel"),
        "asset_id",
        "milestones",
    )
    if batch_touches.height and credit is not None:
        credits = credit(batch_journeys, batch_touches, names).select(
            "opportunity_id", "activity_id", "asset_id", *names
        )
    elif batch_touches.height:
        result = attribute(
            batch_from_frames(batch_journeys, batch_touches), config=config, models=names
        )
        credits = result.credits.select("opportunity_id", "activity_id", "asset_id", *names)
    else:
        credits = pl.DataFrame(
            schema={
                "opportunity_id": pl.Int64,
                "activity_id": pl.Int64,
                "asset_id": pl.Int64,
                **{n: pl.Int64 for n in names},
            }
        )
    return Influence(
        models=names,
        credits=credits,
        by_asset=per_asset(credits, touched, closed, unknown, names),
        won_deals=won.height,
        credited_deals=won.height
        - unknown.height
        - won.join(with_touch, on="opportunity_id", how="anti").height,
        unknown_amount=unknown.height,
        without_content=won.join(with_touch, on="opportunity_id", how="anti").height,
    )


def per_asset(
    credits: pl.DataFrame,
    touched: pl.DataFrame,
    closed: pl.DataFrame,
    unknown: pl.DataFrame,
    names: Sequence[str],
) -> pl.DataFrame:
    """One row per consumed asset: deals it touched (closed, won), revenue of those won deals,
    won deals of unknown amount, and its credit in cents under every model."""
    pairs = (
        touched.group_by("opportunity_id", "asset_id")
        .agg(pl.len().alias("touches"))
        .join(closed, on="opportunity_id")
        .join(
            unknown.select("opportunity_id", pl.lit(True).alias("_unknown")),
            on="opportunity_id",
            how="left",
        )
    )
    counts = pairs.group_by("asset_id").agg(
        pl.col("touches").sum(),
        pl.len().alias("closed_deals"),
        pl.col("is_won").sum().cast(pl.Int64).alias("won_deals"),
        pl.col("amount_cents").filter(pl.col("is_won")).sum().alias("won_revenue_cents"),
        pl.col("_unknown").fill_null(False).sum().cast(pl.Int64).alias("unknown_amount"),
    )
    summed = credits.group_by("asset_id").agg(*[pl.col(n).sum() for n in names])
    return (
        counts.join(summed, on="asset_id", how="left")
        .with_columns(*[pl.col(n).fill_null(0) for n in names])
        .sort("asset_id")
    )


def rollup(result: Influence, assets: pl.DataFrame, by: str) -> pl.DataFrame:
    """Influence summed by asset ``type``, ``journey_stage`` or ``persona`` (or per ``asset``).

    assets: asset_id, type, journey_stage, personas (list of text). Deal counts are distinct
    deals within the group, not sums over assets. An asset with several personas counts
    fully in each; an asset without any is under "(none)".
    """
    if by not in ROLLUPS:
        raise ValueError(f"cannot roll influence up by {by!r}; choose one of {ROLLUPS}")
    if by == "asset":
        return result.by_asset
    keys = assets.select(pl.col("asset_id").cast(pl.Int64), _group_key(by)).explode("group")
    names = list(result.models)
    deals = result.by_asset.select("asset_id").join(keys, on="asset_id").select("group").unique()
    touched = result.credits.join(keys, on="asset_id")
    summed = touched.group_by("group").agg(
        pl.col("opportunity_id").n_unique().alias("won_deals_credited"),
        *[pl.col(n).sum() for n in names],
    )
    assets_in = (
        result.by_asset.join(keys, on="asset_id")
        .group_by("group")
        .agg(
            pl.col("asset_id").n_unique().alias("assets"),
            pl.col("unknown_amount").sum(),
        )
    )
    return (
        deals.join(assets_in, on="group", how="left")
        .join(summed, on="group", how="left")
        .with_columns(
            pl.col("won_deals_credited").fill_null(0), *[pl.col(n).fill_null(0) for n in names]
        )
        .rename({"group": by})
        .sort(by)
    )


def _group_key(by: str) -> pl.Expr:
    if by == "persona":
        personas = pl.col("personas").cast(pl.List(pl.String))
        return (
            pl.when(personas.list.len() > 0)
            .then(personas)
            .otherwise(pl.lit(["(none)"], dtype=pl.List(pl.String)))
            .alias("group")
        )
    return pl.concat_list(pl.col(by).cast(pl.String).fill_null("(none)")).alias("group")
