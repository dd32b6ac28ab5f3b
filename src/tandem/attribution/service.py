"""Attribution over the store: query the deals and touches, run the pure core, keep the frames.

`run_attribution` is the one path from database rows to credits; the report, the deal
retrospective, the CSV export and the CLI all start from it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy.orm import Session

from tandem.activities import types as activity_types
from tandem.attribution import (
    AttributionConfig,
    AttributionResult,
    attribute,
    batch_from_frames,
    query,
    select_touchpoints_frame,
)
from tandem.attribution.schemas import AttributionFilters, ContactScope

#: How the pages name the built-in models; custom models show their own name.
MODEL_LABELS = {
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "linear": "Linear",
    "u_shaped": "U-shaped",
    "w_shaped": "W-shaped",
    "full_path": "Full path",
    "time_decay": "Time decay",
    "markov": "Markov",
    "shapley": "Shapley",
}


class OpportunityNotFound(LookupError):
    """No opportunity with that id."""


@dataclass(frozen=True, eq=False)
class AttributionRun:
    """Everything one attribution produced, kept as frames for the views to slice."""

    filters: AttributionFilters
    scope: ContactScope
    config: AttributionConfig
    deals: pl.DataFrame  # one row per deal: ids, amount_cents, dates, outcome, converted, mql_at
    touches: pl.DataFrame  # touchpoints in the window, with contact_id, type, team, milestones
    result: AttributionResult


def team_of_type() -> pl.Expr:
    """The team of each touch from the activity type registry (``unknown`` if unregistered)."""
    teams = {t.key: t.team.value for t in activity_types.all_types()}
    return pl.col("type").replace_strict(teams, default="unknown", return_dtype=pl.String)


def first_mql_in_window(
    transitions: pl.DataFrame, deals: pl.DataFrame, lookback_days: int
) -> pl.DataFrame:
    """Each deal's lead-creation moment: the first MQL of any of its contacts in its window.

    The window is the lookback before the deal was created: an MQL from an earlier buying
    cycle, or one after the deal existed, did not create this deal's lead.
    """
    created = pl.col("created_at")
    return (
        transitions.join(deals.select("opportunity_id", "created_at"), on="opportunity_id")
        .filter(
            pl.col("mql_at") >= created - pl.duration(days=lookback_days),
            pl.col("mql_at") <= created,
        )
        .group_by("opportunity_id")
        .agg(pl.col("mql_at").min())
    )


def attribution_inputs(
    *, db_session: Session, filters: AttributionFilters, config: AttributionConfig
) -> tuple[ContactScope, pl.DataFrame, pl.DataFrame]:
    """(contact scope, deals, touch candidates) of `filters`: what every engine credits from.

    Deals carry ``converted``, ``as_of`` and ``mql_at``; candidates their ``team``.
    """
    connection = db_session.connection()
    window = config.window
    scope = filters.contacts or window.contacts
    won = filters.basis == "won"
    deals, transitions, candidates = query.population(
        connection,
        filters,
        scope=scope,
        lookback_days=window.lookback_days,
        until_close=window.until_close,
    )
    mql = first_mql_in_window(transitions, deals, window.lookback_days)
    deals = deals.join(mql, on="opportunity_id", how="left").with_columns(
        (pl.col("is_won") if won else pl.lit(True)).alias("converted"),
        pl.col("closed_at" if won else "created_at").alias("as_of"),
    )
    return scope, deals, candidates.with_columns(team_of_type().alias("team"))


def run_attribution(
    *,
    db_session: Session,
    filters: AttributionFilters,
    config: AttributionConfig,
    models: Sequence[str] | None = None,
) -> AttributionRun:
    """Credit the deals of `filters` under every model of `config`.

    Won revenue: won deals are credited, lost ones only teach Markov and Shapley what did
    not convert; time decay measures age from the close. Pipeline: every opportunity is
    credited its amount, age measured from its creation. `models` defaults to every model.
    """
    window = config.window
    scope, deals, candidates = attribution_inputs(
        db_session=db_session, filters=filters, config=config
    )
    touches = select_touchpoints_frame(
        candidates,
        deals.select("opportunity_id", "created_at", "closed_at", "mql_at"),
        lookback_days=window.lookback_days,
        until_close=window.until_close,
    )
    batch = batch_from_frames(
        deals.select("opportunity_id", "amount_cents", "converted", "as_of"), touches
    )
    return AttributionRun(
        filters=filters,
        scope=scope,
        config=config,
        deals=deals,
        touches=touches,
        result=attribute(batch, config=config, models=models),
    )


@dataclass(frozen=True)
class FilterText:
    """The report's filters as text from a query string, before `parse_filters` reads them."""

    basis: str | None = None
    start: str | None = None
    end: str | None = None
    segment: str | None = None
    region: str | None = None
    vertical: str | None = None
    contacts: str | None = None


def parse_filters(
    *,
    basis: str | None = None,
    start: str | None = None,
    end: str | None = None,
    segment: str | None = None,
    region: str | None = None,
    vertical: str | None = None,
    contacts: str | None = None,
) -> tuple[AttributionFilters, dict[str, str]]:
    """Filters from form or query-string text; a bad value is dropped and explained by field."""
    errors: dict[str, str] = {}
    if basis not in (None, "", "won", "pipeline"):
        errors["basis"] = f"{basis!r} is not a basis; use won or pipeline"
        basis = None
    if contacts not in (None, "", "contact_roles", "account"):
        errors["contacts"] = f"{contacts!r} is not a contact scope; use contact_roles or account"
        contacts = None
    days: dict[str, date | None] = {}
    for name, text in (("start", start), ("end", end)):
        try:
            days[name] = date.fromisoformat(text) if text else None
        except ValueError:
            errors[name] = f"{text!r} is not a date (YYYY-MM-DD)"
            days[name] = None
    if days["start"] and days["end"] and days["end"] < days["start"]:
        errors["end"] = "the end date is before the start date"
        days["end"] = None
    filters = AttributionFilters(
        basis=basis or "won",  # type: ignore[arg-type]
        start=days["start"],
        end=days["end"],
        segment=segment or None,
        region=region or None,
        vertical=vertical or None,
        contacts=contacts or None,  # type: ignore[arg-type]
    )
    return filters, errors
