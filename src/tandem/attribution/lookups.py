"""Smaller reads for the report and the retrospective: names, costs, stage counts, one deal.

The population readers (deals, touch candidates, MQL transitions) and the raw-row reader are
in `tandem.attribution.query`.
"""

from datetime import datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, Select, String, and_, cast, func, literal, select, true

from tandem.accounts.models import Account
from tandem.activities.models import Activity
from tandem.attribution.query import (
    TS,
    contact_map,
    day_start,
    read_frame,
    shifted,
    timestamp,
)
from tandem.attribution.schemas import AttributionFilters, ContactScope
from tandem.campaigns.models import Campaign
from tandem.contacts.models import Contact
from tandem.content.models import Asset
from tandem.lifecycle.models import StageTransition
from tandem.opportunities.models import Opportunity


def campaigns(connection: Connection) -> pl.DataFrame:
    """Every campaign: ``campaign_id, name, channel, cost`` (cost as text, exact)."""
    query = select(Campaign.id, Campaign.name, Campaign.channel, cast(Campaign.cost, String))
    schema = {"campaign_id": pl.Int64, "name": pl.String, "channel": pl.String, "cost": pl.String}
    return read_frame(connection, query.order_by(Campaign.id), schema)


def asset_titles(connection: Connection, ids: list[int]) -> dict[int, str]:
    """Titles of the assets `ids`."""
    if not ids:
        return {}
    rows = connection.execute(select(Asset.id, Asset.title).where(Asset.id.in_(ids))).all()
    return {asset_id: title for asset_id, title in rows}


def stage_counts(
    connection: Connection, filters: AttributionFilters, *, lookback_days: int
) -> pl.DataFrame:
    """Contacts reaching MQL and SQL per campaign that touched them in the lookback before.

    ``campaign_id, mqls, sqls``. Dated by the transition, within `filters`' days; segment
    filters do not apply (contacts carry no deal segment).
    """
    query = stage_counts_query(connection, filters, lookback_days=lookback_days)
    return stage_count_frame(read_frame(connection, query, STAGE_COUNT_SCHEMA))


STAGE_COUNT_SCHEMA = {"campaign_id": pl.Int64, "stage": pl.String, "contacts": pl.Int64}


def stage_counts_query(
    connection: Connection, filters: AttributionFilters, *, lookback_days: int
) -> Select[Any]:
    """The SELECT behind `stage_counts`: contacts per campaign and stage reached, rows of
    `STAGE_COUNT_SCHEMA` (`stage_count_frame` shapes them)."""
    conditions = [
        StageTransition.to_stage.in_(("mql", "sql")),
        Activity.campaign_id.is_not(None),
    ]
    if filters.start is not None:
        conditions.append(StageTransition.occurred_at >= day_start(filters.start))
    if filters.end is not None:
        conditions.append(StageTransition.occurred_at < day_start(filters.end + timedelta(days=1)))
    window = and_(
        Activity.contact_id == StageTransition.contact_id,
        Activity.occurred_at <= StageTransition.occurred_at,
        Activity.occurred_at >= shifted(connection, StageTransition.occurred_at, -lookback_days),
    )
    return (
        select(
            Activity.campaign_id,
            StageTransition.to_stage,
            func.count(func.distinct(StageTransition.contact_id)),
        )
        .join(Activity, window)
        .where(*conditions)
        .group_by(Activity.campaign_id, StageTransition.to_stage)
    )


def stage_count_frame(counts: pl.DataFrame) -> pl.DataFrame:
    """`stage_counts_query`'s rows as ``campaign_id, mqls, sqls``."""
    return counts.group_by("campaign_id").agg(
        pl.col("contacts").filter(pl.col("stage") == stage).sum().alias(f"{stage}s")
        for stage in ("mql", "sql")
    )


def filter_values(connection: Connection) -> dict[str, list[str]]:
    """The segments, regions and verticals deals have, for the filter form."""
    values = {}
    for name in ("segment", "region", "vertical"):
        column = getattr(Opportunity, name)
        rows = connection.execute(select(column).where(column.is_not(None)).distinct()).scalars()
        values[name] = sorted(rows)
    return values


def account_name(connection: Connection, account_id: int | None) -> str | None:
    """The name of an account (for the retrospective header)."""
    if account_id is None:
        return None
    return connection.execute(select(Account.name).where(Account.id == account_id)).scalar()


def deal_touches(
    connection: Connection,
    opportunity_id: int,
    *,
    scope: ContactScope,
    since: datetime,
    until: datetime | None,
) -> pl.DataFrame:
    """One deal's contacts' activities from `since` to `until` (inclusive; None: no end),
    with names, for the retrospective."""
    deal_contacts = contact_map([Opportunity.id == opportunity_id], scope)
    contact_id = deal_contacts.c[1]
    query = (
        select(
            Activity.id,
            Activity.contact_id,
            Contact.first_name,
            Contact.last_name,
            Contact.email,
            timestamp(connection, Activity.occurred_at),
            Activity.type,
            func.coalesce(Activity.channel, Campaign.channel, literal("unknown")),
            Campaign.name,
            Asset.title,
        )
        .select_from(deal_contacts)
        .join(Activity, Activity.contact_id == contact_id)
        .join(Contact, Contact.id == Activity.contact_id)
        .outerjoin(Campaign, Campaign.id == Activity.campaign_id)
        .outerjoin(Asset, Asset.id == Activity.asset_id)
        .where(
            Activity.occurred_at >= since,
            Activity.occurred_at <= until if until is not None else true(),
        )
        .order_by(Activity.occurred_at, Activity.id)
    )
    schema = {
        "activity_id": pl.Int64,
        "contact_id": pl.Int64,
        "first_name": pl.String,
        "last_name": pl.String,
        "email": pl.String,
        "occurred_at": TS,
        "type": pl.String,
        "channel": pl.String,
        "campaign": pl.String,
        "asset": pl.String,
    }
    return read_frame(connection, query, schema)
