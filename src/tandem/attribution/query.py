"""Read the attribution population from the store into polars frames: deals, their touch
candidates and MQL transitions (`lookups` has the smaller reads for names, costs and counts).

Speed: each reader is one SQL statement over the whole population (a join, no per-deal
queries and no IN list), whose rows are fetched straight from the DB-API cursor (no ORM or
Row objects) and turned into columns by polars. Timestamps never become Python datetimes:
SQLite hands back its stored text, parsed by polars in one vectorised call; PostgreSQL
sends epoch microseconds as integers. `docs/attribution.md` (Benchmark) has the
measurements behind this.

The window rule itself (`select_touchpoints_frame`) runs in polars; SQL only pre-filters
each deal's activities to its window plus a day on either side, which keeps the transfer
small without repeating the rule in two SQL dialects.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Select,
    String,
    cast,
    func,
    literal,
    select,
    type_coerce,
    union,
)

from tandem import columnar
from tandem.activities.models import Activity
from tandem.attribution.schemas import AttributionFilters, ContactScope
from tandem.bounds import read_money
from tandem.campaigns.models import Campaign
from tandem.contacts.models import Contact
from tandem.lifecycle.models import StageTransition
from tandem.opportunities.models import Opportunity, OpportunityContactRole

TS = pl.Datetime("us", "UTC")
_SQLITE_TS = "%Y-%m-%d %H:%M:%S%.f"  # how SQLAlchemy and tandem.bulk store SQLite timestamps


def timestamp(connection: Connection, column: Any) -> ColumnElement[Any]:
    """A timestamp column as cheap raw values: stored text (SQLite), epoch microseconds (PG)."""
    if connection.dialect.name == "sqlite":
        return type_coerce(column, String)  # no result processor: the text as stored
    return cast(func.round(func.extract("epoch", column) * 1_000_000), BigInteger)


def shifted(connection: Connection, column: Any, days: int) -> ColumnElement[Any]:
    """`column` plus `days` (negative: minus), in SQL, for coarse window pre-filters."""
    if connection.dialect.name == "sqlite":
        return func.datetime(column, f"{int(days):+d} days")
    return column + func.make_interval(0, 0, 0, int(days))


def read_frame(
    connection: Connection, query: Select[Any], schema: dict[str, Any], *, split_by: Any = None
) -> pl.DataFrame:
    """Run `query` and return its rows as a frame with `schema` (timestamps typed TS): in
    columns through Arrow where a separate connection sees the same rows (`tandem.columnar`),
    else through the DB-API; `split_by` as `columnar.read_table` takes it."""
    return columnar.read_table(
        connection, query, raw_schema(connection, schema), _typer(schema), split_by=split_by
    )


def read_frames(
    connection: Connection, reads: list[tuple[Select[Any], dict[str, Any], Any]]
) -> list[pl.DataFrame]:
    """`read_frame` of each (query, schema, split_by) of `reads`, all read at once
    (`columnar.read_many`)."""
    return columnar.read_many(
        connection,
        [
            columnar.Read(query, raw_schema(connection, schema), _typer(schema), split_by)
            for query, schema, split_by in reads
        ],
    )


def raw_schema(connection: Connection, schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with timestamps as `timestamp` selects them: text (SQLite), epoch us (PG)."""
    raw_ts = pl.String if connection.dialect.name == "sqlite" else pl.Int64
    return {name: raw_ts if dtype == TS else dtype for name, dtype in schema.items()}


def _typer(schema: dict[str, Any]) -> Any:
    return lambda frame: typed(frame, schema)


def typed(frame: pl.DataFrame, schema: dict[str, Any]) -> pl.DataFrame:
    """Name the columns after `schema` and turn raw timestamps (text or epoch us) into TS."""
    frame = frame.rename(dict(zip(frame.columns, schema, strict=True)))
    columns = []
    for name, dtype in schema.items():
        column = pl.col(name)
        if dtype != TS:
            columns.append(column.cast(dtype))
        elif frame.schema[name] == pl.String:
            columns.append(column.str.to_datetime(_SQLITE_TS, time_unit="us", time_zone="UTC"))
        else:
            columns.append(
                column.cast(pl.Int64).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
            )
    return frame.select(columns)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def creditable() -> list[ColumnElement[bool]]:
    """Deals attribution can credit: a known amount to split and a known creation date to run
    the window back from. The others are left out, never credited as 0 or from the import time."""
    return [Opportunity.amount.is_not(None), Opportunity.created_at.is_not(None)]


def deal_conditions(filters: AttributionFilters) -> list[ColumnElement[bool]]:
    """WHERE clauses on Opportunity picking the deals of `filters`.

    Won revenue: closed deals (lost ones too, for Markov and Shapley to learn from), dated by
    close. Pipeline: every opportunity, dated by creation. End days are inclusive. Only
    `creditable` deals.
    """
    won = filters.basis == "won"
    dated = Opportunity.closed_at if won else Opportunity.created_at
    conditions = creditable()
    if won:
        conditions += [Opportunity.is_closed.is_(True), Opportunity.closed_at.is_not(None)]
    if filters.start is not None:
        conditions.append(dated >= day_start(filters.start))
    if filters.end is not None:
        conditions.append(dated < day_start(filters.end + timedelta(days=1)))
    for name in ("segment", "region", "vertical"):
        value = getattr(filters, name)
        if value:
            conditions.append(getattr(Opportunity, name) == value)
    if filters.opportunity_ids is not None:
        conditions.append(Opportunity.id.in_(filters.opportunity_ids))
    return conditions


def deals(connection: Connection, filters: AttributionFilters) -> pl.DataFrame:
    """One row per deal of `filters`: ids, amount in cents, dates and outcome."""
    return deals_frame(read_frame(connection, deals_query(connection, filters), DEAL_SCHEMA))


DEAL_SCHEMA = {
    "opportunity_id": pl.Int64,
    "name": pl.String,
    "account_id": pl.Int64,
    "amount": pl.Float64,
    "created_at": TS,
    "closed_at": TS,
    "is_closed": pl.Boolean,
    "is_won": pl.Boolean,
}


def deals_query(connection: Connection, filters: AttributionFilters) -> Select[Any]:
    """The SELECT behind `deals`: rows of `DEAL_SCHEMA`, in id order (`deals_frame` ends them)."""
    return (
        select(
            Opportunity.id,
            Opportunity.name,
            Opportunity.account_id,
            read_money(Opportunity.amount),
            timestamp(connection, Opportunity.created_at),
            timestamp(connection, Opportunity.closed_at),
            Opportunity.is_closed,
            Opportunity.is_won,
        )
        .where(*deal_conditions(filters))
        .order_by(Opportunity.id)
    )


def deals_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """`deals_query`'s rows with the amount in cents."""
    return frame.with_columns(
        (pl.col("amount") * 100).round().cast(pl.Int64).alias("amount_cents")
    ).drop("amount")


def population(
    connection: Connection,
    filters: AttributionFilters,
    *,
    scope: ContactScope,
    lookback_days: int,
    until_close: bool,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(`deals`, `mql_transitions`, `touch_candidates`) of `filters`, read at once: the
    candidates, most of the rows, in ranges of the deals' ids beside the two small reads."""
    candidates = touch_candidates_query(
        connection, filters, scope=scope, lookback_days=lookback_days, until_close=until_close
    )
    deals, transitions, touches = read_frames(
        connection,
        [
            (deals_query(connection, filters), DEAL_SCHEMA, None),
            (mql_transitions_query(connection, filters, scope=scope), MQL_SCHEMA, None),
            (candidates, TOUCH_SCHEMA, Opportunity.id),
        ],
    )
    return deals_frame(deals), transitions, touches


def contact_map(conditions: list[ColumnElement[bool]], scope: ContactScope) -> Any:
    """(opportunity_id, contact_id) of the deals matching `conditions`: whose touches count.

    Contact roles plus the primary contact; with ``account`` also every contact at the
    deal's account. UNION removes the duplicates.
    """
    parts: list[Select[Any]] = [
        select(OpportunityContactRole.opportunity_id, OpportunityContactRole.contact_id)
        .join(Opportunity, Opportunity.id == OpportunityContactRole.opportunity_id)
        .where(*conditions),
        select(Opportunity.id, Opportunity.primary_contact_id).where(
            Opportunity.primary_contact_id.is_not(None), *conditions
        ),
    ]
    if scope == "account":
        parts.append(
            select(Opportunity.id, Contact.id)
            .join(Contact, Contact.account_id == Opportunity.account_id)
            .where(*conditions)
        )
    return union(*parts).subquery("deal_contacts")


TOUCH_SCHEMA = {
    "opportunity_id": pl.Int64,
    "activity_id": pl.Int64,
    "contact_id": pl.Int64,
    "occurred_at": TS,
    "type": pl.String,
    "channel": pl.String,
    "campaign_id": pl.Int64,
    "asset_id": pl.Int64,
    "source": pl.String,
}


def touch_candidates(
    connection: Connection,
    filters: AttributionFilters,
    *,
    scope: ContactScope,
    lookback_days: int,
    until_close: bool,
) -> pl.DataFrame:
    """The deals' contacts' activities near each deal's window (`select_touchpoints_frame`
    makes the exact cut), columns TOUCH_SCHEMA. A touch's channel is the activity's, else its
    campaign's, else ``unknown``; its source is how the touching contact first arrived."""
    query = touch_candidates_query(
        connection, filters, scope=scope, lookback_days=lookback_days, until_close=until_close
    )
    return read_frame(connection, query, TOUCH_SCHEMA)


def touch_candidates_query(
    connection: Connection,
    filters: AttributionFilters,
    *,
    scope: ContactScope,
    lookback_days: int,
    until_close: bool,
) -> Select[Any]:
    """The SELECT behind `touch_candidates` (the benchmark runs it through other readers)."""
    deal_contacts = contact_map(deal_conditions(filters), scope)
    opportunity_id, contact_id = deal_contacts.c
    end = Opportunity.created_at
    if until_close:
        end = func.coalesce(Opportunity.closed_at, Opportunity.created_at)
    return (
        select(
            opportunity_id,
            Activity.id,
            Activity.contact_id,
            timestamp(connection, Activity.occurred_at),
            Activity.type,
            func.coalesce(Activity.channel, Campaign.channel, literal("unknown")),
            Activity.campaign_id,
            Activity.asset_id,
            Contact.first_touch_source,
        )
        .select_from(deal_contacts)
        .join(Opportunity, Opportunity.id == opportunity_id)
        .join(Activity, Activity.contact_id == contact_id)
        .join(Contact, Contact.id == Activity.contact_id)
        .outerjoin(Campaign, Campaign.id == Activity.campaign_id)
        .where(
            Activity.occurred_at >= shifted(connection, Opportunity.created_at, -lookback_days - 1),
            Activity.occurred_at <= shifted(connection, end, 1),
        )
    )


MQL_SCHEMA = {"opportunity_id": pl.Int64, "mql_at": TS}


def mql_transitions(
    connection: Connection, filters: AttributionFilters, *, scope: ContactScope
) -> pl.DataFrame:
    """Every MQL transition of the deals' contacts: ``opportunity_id, mql_at``."""
    query = mql_transitions_query(connection, filters, scope=scope)
    return read_frame(connection, query, MQL_SCHEMA)


def mql_transitions_query(
    connection: Connection, filters: AttributionFilters, *, scope: ContactScope
) -> Select[Any]:
    """The SELECT behind `mql_transitions` (rows of `MQL_SCHEMA`)."""
    deal_contacts = contact_map(deal_conditions(filters), scope)
    opportunity_id, contact_id = deal_contacts.c
    return (
        select(opportunity_id, timestamp(connection, StageTransition.occurred_at))
        .select_from(deal_contacts)
        .join(StageTransition, StageTransition.contact_id == contact_id)
        .where(StageTransition.to_stage == "mql")
    )
