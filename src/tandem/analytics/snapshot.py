"""Read the store into `Facts`: a columnar copy of what the dashboards need.

Timestamps are selected as epoch seconds (one float per value) rather than through the ORM's
datetime processing, which is what makes reading millions of transition rows take seconds
instead of minutes. Activities are never read here: no dashboard needs touch-level rows.
"""

from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Connection, Float, case, cast, func, select
from sqlalchemy.orm import Session, aliased

from tandem import columnar
from tandem.accounts import facts as account_facts
from tandem.accounts.models import Account
from tandem.analytics.dims import channel_expr, segment_expr
from tandem.analytics.frames import TS, Facts, build_facts
from tandem.auth.models import Team, User
from tandem.bounds import read_money
from tandem.campaigns.models import Campaign
from tandem.contacts.models import Contact, RecordSource
from tandem.lifecycle.models import StageTransition
from tandem.opportunities.models import Opportunity


def _epoch(connection: Connection, column: Any) -> ColumnElement[float]:
    if connection.dialect.name == "sqlite":
        return (func.julianday(column) - 2440587.5) * 86400.0
    return cast(func.extract("epoch", column), Float)


def _frame(connection: Connection, query: Any, schema: dict[str, Any]) -> pl.DataFrame:
    raw = {
        name: (pl.Float64 if dtype in (TS, pl.Date) else dtype) for name, dtype in schema.items()
    }
    frame = columnar.read_table(connection, query, raw)  # Arrow where it can, else the DB-API
    return frame.with_columns(
        (pl.col(name) * 1e6).cast(pl.Int64).cast(dtype if dtype == TS else TS).cast(dtype)
        for name, dtype in schema.items()
        if dtype in (TS, pl.Date)
    )


def _contacts(connection: Connection) -> pl.DataFrame:
    query = (
        select(
            Contact.id,
            Contact.owner_id,
            _epoch(connection, Contact.created_at),
            _epoch(connection, Contact.stage_entered_at),
            Contact.lifecycle_stage,
            Account.employees,
            Account.employee_band,
            Account.region,
            Account.industry,
            Campaign.channel,
            Contact.first_touch_medium,
            Contact.first_touch_source,
            Campaign.name,
            RecordSource.name,
        )
        .outerjoin(Account, Contact.account_id == Account.id)
        .outerjoin(Campaign, Contact.first_touch_campaign_id == Campaign.id)
        .outerjoin(RecordSource, Contact.source_id == RecordSource.id)
    )
    schema = {
        "contact_id": pl.Int64,
        "owner_id": pl.Int64,
        "created_at": TS,
        "stage_entered_at": TS,
        "stage": pl.String,
        "employees": pl.Int64,
        "employee_band": pl.String,
        "region": pl.String,
        "vertical": pl.String,
        "campaign_channel": pl.String,
        "medium": pl.String,
        "source": pl.String,
        "campaign": pl.String,
        "origin": pl.String,
    }
    frame = _frame(connection, query, schema)
    return frame.select(
        "contact_id",
        "owner_id",
        "created_at",
        "stage_entered_at",
        "stage",
        segment_expr().alias("segment"),
        "region",
        "vertical",
        channel_expr().alias("channel"),
        "campaign",
        # The record's source (import profile, API token, demo): the `source` dimension.
        pl.col("origin").alias("source"),
    )


def _transitions(connection: Connection) -> pl.DataFrame:
    query = select(
        StageTransition.id,
        StageTransition.contact_id,
        StageTransition.from_stage,
        StageTransition.to_stage,
        _epoch(connection, StageTransition.occurred_at),
        StageTransition.reason,
    )
    schema = {
        "id": pl.Int64,
        "contact_id": pl.Int64,
        "from_stage": pl.String,
        "to_stage": pl.String,
        "at": TS,
        "reason": pl.String,
    }
    return _frame(connection, query, schema)


def _opportunities(connection: Connection, contacts: pl.DataFrame) -> pl.DataFrame:
    # A deal's rep, manager and team as its source named them; for a deal a Tandem user owns
    # (none named), the owner, the owner's team and that team's manager.
    owner, manager = aliased(User), aliased(User)
    query = select(
        Opportunity.id,
        Opportunity.owner_id,
        Opportunity.primary_contact_id,
        Opportunity.stage,
        read_money(Opportunity.amount),
        _epoch(connection, Opportunity.created_at),
        _epoch(connection, Opportunity.expected_close_on),
        _epoch(connection, Opportunity.closed_at),
        Opportunity.is_closed,
        Opportunity.is_won,
        Opportunity.deal_type,
        Opportunity.source,
        Opportunity.lost_reason,
        Opportunity.segment,
        func.coalesce(Opportunity.region, Account.region),
        func.coalesce(Opportunity.vertical, Account.industry),
        Account.employees,
        Account.employee_band,
        Opportunity.account_id,
        RecordSource.name,
        Opportunity.product_line,
        func.coalesce(Opportunity.rep_name, owner.name),
        func.coalesce(Opportunity.manager_name, manager.name),
        func.coalesce(Opportunity.team_name, Team.name),
    )
    query = (
        query.outerjoin(Account, Opportunity.account_id == Account.id)
        .outerjoin(RecordSource, Opportunity.source_id == RecordSource.id)
        .outerjoin(owner, Opportunity.owner_id == owner.id)
        .outerjoin(Team, owner.team_id == Team.id)
        .outerjoin(manager, Team.manager_id == manager.id)
    )
    schema = {
        "opportunity_id": pl.Int64,
        "owner_id": pl.Int64,
        "contact_id": pl.Int64,
        "stage": pl.String,
        "amount": pl.Float64,
        "created_at": TS,
        "expected_close_on": pl.Date,
        "closed_at": TS,
        "is_closed": pl.Boolean,
        "is_won": pl.Boolean,
        "deal_type": pl.String,
        "source": pl.String,
        "lost_reason": pl.String,
        "segment": pl.String,
        "region": pl.String,
        "vertical": pl.String,
        "employees": pl.Int64,
        "employee_band": pl.String,
        "account_id": pl.Int64,
        "origin": pl.String,
        "product": pl.String,
        "rep": pl.String,
        "manager": pl.String,
        "team": pl.String,
    }
    # `source` is the record's source (the dimension); the deal's own lead source is kept apart.
    frame = _frame(connection, query, schema).rename({"source": "lead_source", "origin": "source"})
    # A deal's channel is how its primary contact first arrived.
    return (
        frame.with_columns(pl.col("segment").fill_null(segment_expr()))
        .join(contacts.select("contact_id", "channel", "campaign"), on="contact_id", how="left")
        .drop("employees", "employee_band")
    )


def _campaigns(connection: Connection) -> pl.DataFrame:
    query = select(Campaign.id, Campaign.name, Campaign.channel)
    return _frame(
        connection, query, {"campaign_id": pl.Int64, "name": pl.String, "channel": pl.String}
    )


def _handoffs(connection: Connection) -> pl.DataFrame:
    """The handoff records (one per MQL handed to sales), or none while that capability has no
    table: the dashboards then say "not configured"."""
    schema = {
        "contact_id": pl.Int64,
        "mql_at": TS,
        "clock_started_at": TS,
        "status": pl.String,
        "accept_due_at": TS,
        "first_touch_due_at": TS,
        "accepted_at": TS,
        "rejected_at": TS,
        "first_touch_at": TS,
        "reject_code": pl.String,
    }
    try:
        from tandem.handoff.models import Handoff
    except ImportError:
        return pl.DataFrame(schema=schema)
    query = select(
        Handoff.contact_id,
        *(
            _epoch(connection, getattr(Handoff, name)) if dtype == TS else getattr(Handoff, name)
            for name, dtype in list(schema.items())[1:]
        ),
    )
    return _frame(connection, query, schema)


def _subscriptions(connection: Connection) -> pl.DataFrame:
    """Customers' subscription events (`tandem.usage`) with their account's dimensions."""
    from tandem.usage.models import SubscriptionEvent

    query = select(
        SubscriptionEvent.account_id,
        Account.owner_id,
        SubscriptionEvent.kind,
        _epoch(connection, SubscriptionEvent.occurred_at),
        SubscriptionEvent.mrr_before,
        SubscriptionEvent.mrr_after,
        Account.region,
        Account.industry,
        Account.employees,
        Account.employee_band,
    ).join(Account, Account.id == SubscriptionEvent.account_id)
    schema = {
        "account_id": pl.Int64, "owner_id": pl.Int64, "kind": pl.String, "occurred_at": TS,
        "mrr_before": pl.Float64, "mrr_after": pl.Float64, "region": pl.String,
        "vertical": pl.String, "employees": pl.Int64, "employee_band": pl.String,
    }  # fmt: skip
    frame = _frame(connection, query, schema)
    return frame.with_columns(segment=segment_expr()).drop("employees", "employee_band")


def load_facts(*, db_session: Session, loaded_at: datetime) -> Facts:
    """Read contacts, transitions, opportunities and campaigns into dashboard facts."""
    connection = db_session.connection()
    from tandem.content.frames import content_events  # the content capability's reader
    from tandem.usage.facts import pql_frame  # the usage capability's reader

    contacts = _contacts(connection)
    return build_facts(
        contacts=contacts,
        transitions=_transitions(connection),
        opportunities=_opportunities(connection, contacts),
        campaigns=_campaigns(connection),
        handoffs=_handoffs(connection),
        loaded_at=loaded_at,
        subscriptions=_subscriptions(connection),
        content=content_events(connection),
        accounts=account_facts.accounts_frame(connection),
        pqls=pql_frame(connection),
    )


def fingerprint(*, db_session: Session) -> tuple[Any, ...]:
    """A cheap summary that changes when data the dashboards read changes.

    Contacts, accounts and transitions are append-mostly, so their largest id tells; deals
    change in place (stage, amount, outcome), so their few thousand rows are summed.
    """
    deals = db_session.execute(
        select(
            func.count(),
            func.max(Opportunity.id),
            func.sum(Opportunity.amount),
            func.sum(case((Opportunity.is_closed, 1), else_=0)),
            func.sum(case((Opportunity.is_won, 1), else_=0)),
            func.sum(func.length(Opportunity.stage)),
        )
    ).one()
    return (
        db_session.scalar(select(func.max(Contact.id))),
        db_session.scalar(select(func.max(Account.id))),
        db_session.scalar(select(func.max(StageTransition.id))),
        db_session.scalar(select(func.count()).select_from(Campaign)),
        *deals,
        *_subscription_stamp(db_session),
        _content_mark(db_session),
        *account_facts.fingerprint(db_session),
    )


def _subscription_stamp(db_session: Session) -> tuple[Any, ...]:
    from tandem.usage.models import SubscriptionEvent

    return tuple(
        db_session.execute(
            select(
                func.count(), func.max(SubscriptionEvent.id), func.sum(SubscriptionEvent.mrr_after)
            )
        ).one()
    )


def _content_mark(db_session: Session) -> Any:
    """Reps' shares change the content figures; buyers' views arrive with the activities,
    which the fingerprint leaves out (every event would rebuild the copy)."""
    from tandem.content.models import AssetShare

    return db_session.scalar(select(func.max(AssetShare.id)))
