"""Attributed revenue by campaign and channel, from the stored attribution results.

Pure: the stored credits come in as a frame (`tandem.attribution.store.stored_credits` reads
them), the won deals of the range as the dashboards' deal rows. Credits are whole cents; the
figures returned are in the currency unit, like every other amount on the scorecard.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import polars as pl

from tandem.analytics.schemas import CreditRow

#: The model the scorecard shows unless asked for another (marketing and sales both read it).
DEFAULT_MODEL = "w_shaped"


class StoredAttribution(Protocol):
    """What the scorecard reads of the stored attribution (`attribution.store.StoredCredits`)."""

    computed_at: datetime
    model: str  # the model of `credits`
    models: tuple[str, ...]
    config_version: str
    credits: pl.DataFrame  # opportunity_id, model, campaign_id, channel, cents
    deals: pl.DataFrame  # opportunity_id, amount_cents, touches


@dataclass(frozen=True)
class Attributed:
    """One model's credits over a set of won deals, plus what they leave out."""

    model: str
    by_campaign: list[CreditRow]
    by_channel: list[CreditRow]
    attributed: float  # credited to touches
    unattributed: float  # won deals the run found with no touch in their window
    not_computed_deals: int  # won deals with no stored result (won or changed since the run)
    not_computed_amount: float
    unknown_deals: int = 0  # won deals of unknown amount or creation date: never credited


def pick_model(models: tuple[str, ...], wanted: str | None) -> str | None:
    """`wanted` if the run stored it, else the default model, else the run's first."""
    for name in (wanted, DEFAULT_MODEL):
        if name and name in models:
            return name
    return models[0] if models else None


def _rows(frame: pl.DataFrame, key: str, labels: dict[int, str] | None = None) -> list[CreditRow]:
    grouped = (
        frame.group_by(key)
        .agg(
            pl.col("cents").sum(),
            pl.col("opportunity_id").filter(pl.col("cents") > 0).n_unique().alias("deals"),
        )
        .filter(pl.col("cents") > 0)  # touched, but this model gave it nothing
        .sort("cents", descending=True)
    )
    rows = []
    for value, cents, deals in grouped.iter_rows():
        if labels is not None:
            name = "(no campaign)" if value is None else labels.get(value, f"campaign {value}")
        else:
            name = "unknown" if value is None else str(value)
        rows.append(CreditRow(key=name, revenue=cents / 100, deals=deals))
    return rows


def attributed(
    won: pl.DataFrame,
    credits: pl.DataFrame,
    stored_deals: pl.DataFrame,
    *,
    model: str,
    campaign_names: dict[int, str],
) -> Attributed:
    """Credits of `model` over the won deals `won` (columns ``opportunity_id``, ``amount``,
    ``created_at``).

    `credits`: opportunity_id, model, campaign_id, channel, cents (summed per touch group);
    `stored_deals`: opportunity_id, amount_cents, touches (0 when no touch was in the window).
    """
    ids = won.select("opportunity_id")
    mine = credits.filter(pl.col("model") == model).join(ids, on="opportunity_id", how="semi")
    known = stored_deals.join(ids, on="opportunity_id", how="semi")
    # Attribution leaves out the deals of unknown amount or creation date (no money to split,
    # no window): they are counted apart, not as "not computed yet".
    valued = won.filter(pl.col("amount").is_not_null(), pl.col("created_at").is_not_null())
    missing = valued.join(stored_deals.select("opportunity_id"), on="opportunity_id", how="anti")
    return Attributed(
        model=model,
        by_campaign=_rows(mine, "campaign_id", campaign_names),
        by_channel=_rows(mine.with_columns(pl.col("channel").cast(pl.String)), "channel"),
        attributed=float(mine["cents"].sum()) / 100,
        unattributed=float(known.filter(pl.col("touches") == 0)["amount_cents"].sum()) / 100,
        not_computed_deals=missing.height,
        not_computed_amount=float(missing["amount"].sum()),
        unknown_deals=won.height - valued.height,
    )
