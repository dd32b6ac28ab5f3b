"""Reads the content analytics need, as Polars frames for the pure cores.

Deals, contacts (segment, owner), lifecycle stays and the content events (buyers' consumption
of assets and reps' shares) come from the dashboards' columnar copy
(`tandem.analytics.frames.Facts`, read once and cached); the library, the contact roles and the
contacts of accounts whose deals have no roles are read here, one small statement each.
"""

from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Connection, Integer, exists, func, literal, select
from sqlalchemy.orm import Session

from tandem.activities.models import Activity
from tandem.analytics.dims import UNKNOWN
from tandem.analytics.extra import Relation
from tandem.analytics.frames import Facts
from tandem.analytics.relations import CONTACT_DIMENSIONS, contacts, seconds
from tandem.attribution.query import TS, read_frame, timestamp
from tandem.contacts.models import Contact
from tandem.content.models import Asset, AssetShare
from tandem.opportunities.models import Opportunity, OpportunityContactRole

#: One row per content event: a buyer consuming an asset ("view": any activity naming one) or
#: a rep sharing one ("share"), as `content_events` reads them.
NO_CONTENT = pl.DataFrame(
    schema={
        "kind": pl.String,
        "asset_id": pl.Int64,
        "contact_id": pl.Int64,
        "user_id": pl.Int64,
        "at": TS,
        "asset_type": pl.String,
        "journey_stage": pl.String,
        "activity_id": pl.Int64,  # the view's activity; null for a share
    }
)

#: Activity types naming an asset that are not a buyer consuming it (a rep's share is logged
#: in `asset_shares`; should it also be an activity, it is the rep's act, not the buyer's).
NOT_CONSUMPTION: tuple[str, ...] = ("content_share",)


@dataclass(frozen=True, eq=False)
class ContentFrames:
    """Everything the influence, gaps and suggestions compute on."""

    assets: pl.DataFrame  # asset_id, title, type, journey_stage, personas, products, status...
    consumption: pl.DataFrame  # activity_id, contact_id, asset_id, occurred_at
    deals: pl.DataFrame  # opportunity_id, account_id, segment, amount_cents, dates, outcome
    roles: pl.DataFrame  # opportunity_id, contact_id
    accounts: pl.DataFrame  # contact_id, account_id
    shares: pl.DataFrame  # asset_id, user_id, contact_id, created_at
    contacts: pl.DataFrame  # contact_id, segment, owner_id (from the facts)


def assets(connection: Connection) -> pl.DataFrame:
    """The whole library (every status), lists as lists of text."""
    rows = connection.execute(
        select(
            Asset.id,
            Asset.title,
            Asset.type,
            Asset.journey_stage,
            Asset.personas,
            Asset.products,
            Asset.status,
            Asset.owner_id,
        )
    ).all()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        schema={
            "asset_id": pl.Int64,
            "title": pl.String,
            "type": pl.String,
            "journey_stage": pl.String,
            "personas": pl.List(pl.String),
            "products": pl.List(pl.String),
            "status": pl.String,
            "owner_id": pl.Int64,
        },
        orient="row",
    ).with_columns(pl.col("personas", "products").fill_null([]))


def roles(connection: Connection) -> pl.DataFrame:
    query = select(OpportunityContactRole.opportunity_id, OpportunityContactRole.contact_id)
    return read_frame(connection, query, {"opportunity_id": pl.Int64, "contact_id": pl.Int64})


def accounts(connection: Connection) -> pl.DataFrame:
    """The contacts of accounts having a deal without contact roles (the committee fallback)."""
    bare = (
        select(Opportunity.account_id)
        .where(
            Opportunity.account_id.is_not(None),
            ~exists().where(OpportunityContactRole.opportunity_id == Opportunity.id),
        )
        .distinct()
    )
    query = select(Contact.id, Contact.account_id).where(Contact.account_id.in_(bare))
    return read_frame(connection, query, {"contact_id": pl.Int64, "account_id": pl.Int64})


def shares(connection: Connection) -> pl.DataFrame:
    query = select(
        AssetShare.asset_id,
        AssetShare.user_id,
        AssetShare.contact_id,
        AssetShare.deal_id,
        timestamp(connection, AssetShare.created_at),
    )
    schema = {
        "asset_id": pl.Int64,
        "user_id": pl.Int64,
        "contact_id": pl.Int64,
        "deal_id": pl.Int64,
        "created_at": TS,
    }
    return read_frame(connection, query, schema)


def deals(facts: Facts) -> pl.DataFrame:
    """The facts' deals with the amount in whole cents (null when unknown)."""
    frame = facts.opportunities
    return frame.select(
        "opportunity_id",
        "account_id",
        pl.col("segment").cast(pl.String),
        (pl.col("amount") * 100).round().cast(pl.Int64).alias("amount_cents"),
        "created_at",
        "closed_at",
        pl.col("is_closed").fill_null(False),
        pl.col("is_won").fill_null(False),
        "owner_id",
    )


def load(connection: Connection, facts: Facts) -> ContentFrames:
    """Everything at once (the influence and the suggestions need it all). Consumption and
    shares come from the copy's content events; the library, the roles and the fallback
    committees from the store."""
    events = CONTENT.frame(facts)
    views = events.filter(pl.col("kind") == "view")
    sent = events.filter(pl.col("kind") == "share")
    return ContentFrames(
        assets=assets(connection),
        consumption=views.select(
            "activity_id", "contact_id", "asset_id", pl.col("at").alias("occurred_at")
        ),
        deals=deals(facts),
        roles=roles(connection),
        accounts=accounts(connection),
        shares=sent.select("asset_id", "user_id", "contact_id", pl.col("at").alias("created_at")),
        contacts=facts.contacts.select("contact_id", pl.col("segment").cast(pl.String), "owner_id"),
    )


def content_events(connection: Connection) -> pl.DataFrame:
    """The columnar copy's content events (`NO_CONTENT`'s columns):
    every activity naming an asset (a buyer's "view", except NOT_CONSUMPTION types) and every
    share, with the asset's type and journey stage."""
    views = (
        select(
            literal("view"),
            Activity.asset_id,
            Activity.contact_id,
            literal(None, Integer),
            timestamp(connection, Activity.occurred_at),
            Asset.type,
            Asset.journey_stage,
            Activity.id,
        )
        .join(Asset, Asset.id == Activity.asset_id)
        .where(Activity.asset_id.is_not(None), Activity.type.not_in(NOT_CONSUMPTION))
    )
    sent = select(
        literal("share"),
        AssetShare.asset_id,
        AssetShare.contact_id,
        AssetShare.user_id,
        timestamp(connection, AssetShare.created_at),
        Asset.type,
        Asset.journey_stage,
        literal(None, Integer),
    ).join(Asset, Asset.id == AssetShare.asset_id)
    schema = dict(NO_CONTENT.schema)
    return pl.concat([read_frame(connection, q, schema) for q in (views, sent)])


def content(facts: Facts) -> pl.DataFrame:
    """The `content` relation: one row per content event, a buyer consuming an asset (``kind``
    "view") or a rep sharing one ("share"), dated ``at_s``, with the contact's dimensions."""
    people = contacts(facts).select("contact_id", *CONTACT_DIMENSIONS)
    return (
        CONTENT.frame(facts)
        .join(people, on="contact_id", how="left")
        .select(
            "kind",
            "asset_id",
            "contact_id",
            seconds("at"),
            *[pl.col(d).fill_null(UNKNOWN) for d in CONTACT_DIMENSIONS],
            pl.col("asset_id").cast(pl.String).fill_null(UNKNOWN).alias("asset"),
            pl.col("asset_type").fill_null(UNKNOWN),
            pl.col("journey_stage").fill_null(UNKNOWN),
            pl.col("user_id").cast(pl.String).fill_null(UNKNOWN).alias("rep"),
        )
    )


def _mark(db_session: Session) -> tuple[Any, ...]:
    """Reps' shares change the content figures; buyers' views arrive with the activities,
    which the fingerprint leaves out (every event would rebuild the copy)."""
    return (db_session.scalar(select(func.max(AssetShare.id))),)


#: The `content` relation, declared in the manifest (`relations=`).
CONTENT = Relation(
    "content", "contact_id", content, read=content_events, empty=lambda: NO_CONTENT, stamp=_mark
)
RELATIONS = (CONTENT,)
