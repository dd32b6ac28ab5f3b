"""What scoring reads from the store: contacts' fields, activities and outcome history.

One SQL definition of each input serves both paths: the bulk readers return Polars frames (for
`rescore`, backtests and training), the per-contact readers return the engine's plain facts (for
the incremental update and the contact page). Only the fields and activity types a model uses
are read, so a model with three behaviour rules never drags every page view off disk.

Field sources: `contact.<x>` and `account.<x>` are the contact's and its account's columns
(`contact.lead_source` is the first-touch source, `contact.email_domain` the part of the email
after `@`); any other name is read from the `custom_fields` JSON, as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal, overload

import polars as pl
from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors

from tandem.accounts.models import Account
from tandem.activities.models import Activity
from tandem.attribution.query import TS, read_frame, timestamp
from tandem.audit.models import AuditEvent
from tandem.bounds import COUNT_MAX, read_money, read_number
from tandem.campaigns.models import Campaign
from tandem.contacts.models import Contact
from tandem.content.models import Asset
from tandem.lifecycle.models import StageTransition
from tandem.opportunities.models import Opportunity, OpportunityContactRole
from tandem.scoring.backtest import History
from tandem.scoring.facts import ActivityFact, ContactFacts
from tandem.scoring.model import ScoringModel
from tandem.scoring.rescore import filter_columns, filter_types

_TEXT, _NUMBER, _BOOL = pl.String, pl.Float64, pl.Boolean


@dataclass(frozen=True)
class _Source:
    column: Any
    dtype: Any


def _contact_columns() -> dict[str, _Source]:
    return {
        "job_level": _Source(Contact.job_level, _TEXT),
        "title": _Source(Contact.title, _TEXT),
        "budget": _Source(read_money(Contact.budget), _NUMBER),
        "authority": _Source(Contact.authority, _TEXT),
        "need": _Source(Contact.need, _TEXT),
        "timeline": _Source(Contact.timeline, _TEXT),
        "country": _Source(Contact.country, _TEXT),
        "buying_role": _Source(Contact.buying_role, _TEXT),
        "lead_source": _Source(Contact.first_touch_source, _TEXT),
        "lead_medium": _Source(Contact.first_touch_medium, _TEXT),
    }


def _account_columns() -> dict[str, _Source]:
    return {
        "name": _Source(Account.name, _TEXT),
        "industry": _Source(Account.industry, _TEXT),
        "employee_band": _Source(Account.employee_band, _TEXT),
        "employees": _Source(read_number(Account.employees, COUNT_MAX), _NUMBER),
        "annual_revenue": _Source(read_money(Account.annual_revenue), _NUMBER),
        "region": _Source(Account.region, _TEXT),
        "country": _Source(Account.country, _TEXT),
        "is_target": _Source(cast(Account.is_target, Boolean), _BOOL),
        "tier": _Source(Account.tier, _TEXT),
        "domain": _Source(Account.domain, _TEXT),
    }


def column_fields() -> set[str]:
    """Every field backed by a real column (the rest come from custom fields)."""
    return (
        {f"contact.{k}" for k in _contact_columns()}
        | {"contact.email_domain"}
        | {f"account.{k}" for k in _account_columns()}
    )


def _email_domain(dialect: str) -> ColumnElement[Any]:
    if dialect == "sqlite":
        return func.lower(func.substr(Contact.email, func.instr(Contact.email, "@") + 1))
    return func.lower(func.split_part(Contact.email, "@", 2))


def _source(dialect: str, field: str) -> _Source:
    entity, _, key = field.partition(".")
    if field == "contact.email_domain":
        return _Source(_email_domain(dialect), _TEXT)
    columns = _contact_columns() if entity == "contact" else _account_columns()
    if key in columns:
        return columns[key]
    json_column = Contact.custom_fields if entity == "contact" else Account.custom_fields
    return _Source(json_column[key].as_string(), _TEXT)


def model_fields(model: ScoringModel) -> list[str]:
    """The fields the model's fit rules read, in first-use order."""
    return list(dict.fromkeys(rule.field for rule in model.fit_rules))


def _contacts_query(
    dialect: str, fields: Sequence[str], with_account_id: bool
) -> tuple[Select[Any], dict[str, Any]]:
    sources = {f: _source(dialect, f) for f in fields}
    columns = [Contact.id.label("contact_id")]
    schema: dict[str, Any] = {"contact_id": pl.Int64}
    if with_account_id:
        columns.append(Contact.account_id.label("account_id"))
        schema["account_id"] = pl.Int64
    for field, src in sources.items():
        columns.append(src.column.label(field))
        schema[field] = src.dtype
    query = (
        select(*columns).select_from(Contact).outerjoin(Account, Contact.account_id == Account.id)
    )
    return query, schema


_CHUNK = 5_000  # ids per IN (...): well under every driver's parameter limit


def _read_for(
    connection: Connection,
    query: Select[Any],
    schema: dict[str, Any],
    column: Any,
    ids: Sequence[int] | None,
    key: Any,
) -> pl.DataFrame:
    """`query` for every row (in columns, in parts by the table's `key` read at once), or
    only for the rows whose `column` is in `ids` (chunked)."""
    if ids is None:
        return read_frame(connection, query, schema, split_by=key)
    frames = [
        read_frame(connection, query.where(column.in_(list(ids[i : i + _CHUNK]))), schema)
        for i in range(0, len(ids), _CHUNK)
    ]
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


def contacts_frame(
    connection: Connection,
    fields: Sequence[str],
    *,
    with_account_id: bool = False,
    ids: Sequence[int] | None = None,
) -> pl.DataFrame:
    """contact_id (and account_id) plus one column per field, for every contact (or `ids`)."""
    query, schema = _contacts_query(connection.dialect.name, fields, with_account_id)
    return _read_for(connection, query.order_by(Contact.id), schema, Contact.id, ids, Contact.id)


@lru_cache(maxsize=64)
def _contact_statement(dialect: str, fields: tuple[str, ...]) -> Select[Any]:
    # Built once per model and dialect: constructing a statement costs more than running it
    # for the one row the incremental update reads.
    query, _ = _contacts_query(dialect, fields, False)
    return query.where(Contact.id == bindparam("contact_id"))


@lru_cache(maxsize=64)
def _kinds(dialect: str, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: _source(dialect, f).dtype for f in fields}


def contact_facts(db_session: Session, model: ScoringModel, contact_id: int) -> ContactFacts:
    """One contact's fields as the engine takes them (numbers as floats, flags as bools)."""
    connection = db_session.connection()
    fields = tuple(model_fields(model))
    statement = _contact_statement(connection.dialect.name, fields)
    row = connection.execute(statement, {"contact_id": contact_id}).first()
    if row is None:
        raise LookupError(f"no contact with id {contact_id}")
    kinds = _kinds(connection.dialect.name, fields)
    values = {f: _plain(row._mapping[f], kinds[f]) for f in fields}
    return ContactFacts(contact_id, values)


def _plain(value: Any, dtype: Any) -> Any:
    if value is None:
        return None
    if dtype == _BOOL:
        return bool(value)
    if dtype == _NUMBER:
        return float(value)
    return value


def _optional_columns(dialect: str, typed: bool) -> dict[str, Any]:
    """The activity columns only some models read; `typed` keeps SQLAlchemy's types (JSON
    properties as dicts), otherwise properties come as JSON text for Polars."""
    if typed:
        properties: Any = Activity.properties
    elif dialect == "postgresql":
        properties = cast(Activity.properties, String())
    else:
        properties = type_coerce(Activity.properties, String)
    return {
        "channel": Activity.channel,
        "campaign": func.coalesce(Campaign.external_id, Campaign.name),
        "asset_stage": Asset.journey_stage,
        "url": Activity.url,
        "properties": properties,
    }


def _activities_select(
    dialect: str,
    needs: tuple[str, ...],
    types: tuple[str, ...],
    time_column: Any,
    typed: bool,
    read_by: dict[str, tuple[str, ...]] | None = None,
) -> Select[Any]:
    optional = _optional_columns(dialect, typed)
    if read_by is not None:
        # A column only on the activities whose rules filter on it (NULL elsewhere, never
        # read there): the whole-table read then carries 13M short rows, not 13M URLs.
        optional = {
            name: case((Activity.type.in_(read_by[name]), column))
            for name, column in optional.items()
            if name in read_by
        }
    # The per-contact reads need the activity id; the bulk read does not (one column fewer
    # of tens of millions of rows through the DB-API).
    ids = [Activity.id.label("activity_id")] if typed else []
    query = select(
        *ids,
        Activity.contact_id.label("contact_id"),
        Activity.type.label("activity_type"),
        time_column.label("occurred_at"),
        *(optional[name].label(name) for name in needs),
    ).select_from(Activity)
    joins = {"campaign": (Campaign, Activity.campaign_id == Campaign.id),
             "asset_stage": (Asset, Activity.asset_id == Asset.id)}  # fmt: skip
    for name, (table, on) in joins.items():
        if name in needs:
            only = () if read_by is None else (Activity.type.in_(read_by[name]),)
            query = query.outerjoin(table, and_(on, *only))
    kind: Any = Activity.type
    if dialect == "sqlite" and not typed:
        # The whole table, read once: a scan. On the bare column SQLite walks the type index
        # and fetches each row on its own, 10x the time when the types are most of the table
        # (13M of 20M rows: 129 s against 10 s). PostgreSQL chooses by its statistics.
        kind = Activity.type.concat("")
    return query.where(kind.in_(types))


def _model_needs(model: ScoringModel) -> tuple[tuple[str, ...], tuple[str, ...]]:
    needs = tuple(filter_columns(model))
    return needs, tuple(sorted({r.activity_type for r in model.behaviour_rules}))


def _activities_query(
    connection: Connection, model: ScoringModel
) -> tuple[Select[Any], dict[str, Any]]:
    needs, types = _model_needs(model)
    dialect = connection.dialect.name
    time_column = timestamp(connection, Activity.occurred_at)
    query = _activities_select(
        dialect, needs, types, time_column, typed=False, read_by=filter_types(model)
    )
    schema: dict[str, Any] = {
        "contact_id": pl.Int64,
        "activity_type": pl.String,
        "occurred_at": TS,
        **{name: pl.String for name in needs},
    }
    return query, schema


def activities_frame(
    connection: Connection, model: ScoringModel, *, ids: Sequence[int] | None = None
) -> pl.DataFrame:
    """The activities any behaviour rule could match (of every contact, or of the contacts
    `ids`), with the columns its filters read."""
    query, schema = _activities_query(connection, model)
    return _read_for(connection, query, schema, Activity.contact_id, ids, Activity.id)


@lru_cache(maxsize=64)
def _activity_statement(
    dialect: str, needs: tuple[str, ...], types: tuple[str, ...], by_contact: bool
) -> Select[Any]:
    # Cached, with bound parameters, for the same reason as `_contact_statement`.
    query = _activities_select(dialect, needs, types, Activity.occurred_at, typed=True)
    if by_contact:
        query = query.where(Activity.contact_id == bindparam("contact_id"))
    else:
        query = query.where(Activity.id.in_(bindparam("ids", expanding=True)))
    return query.order_by(Activity.occurred_at, Activity.id)


@overload
def activity_facts(
    db_session: Session,
    model: ScoringModel,
    *,
    contact_id: int | None = None,
    ids: Iterable[int] | None = None,
    exclude: Iterable[int] = (),
    with_ids: Literal[False] = False,
) -> list[ActivityFact]: ...


@overload
def activity_facts(
    db_session: Session,
    model: ScoringModel,
    *,
    contact_id: int | None = None,
    ids: Iterable[int] | None = None,
    exclude: Iterable[int] = (),
    with_ids: Literal[True],
) -> list[tuple[int, ActivityFact]]: ...


def activity_facts(
    db_session: Session,
    model: ScoringModel,
    *,
    contact_id: int | None = None,
    ids: Iterable[int] | None = None,
    exclude: Iterable[int] = (),
    with_ids: bool = False,
) -> list[ActivityFact] | list[tuple[int, ActivityFact]]:
    """One contact's activities (or the activities `ids`) as engine facts, in time order;
    with `with_ids`, as (activity id, fact) pairs."""
    connection = db_session.connection()
    needs, types = _model_needs(model)
    by_contact = contact_id is not None
    statement = _activity_statement(connection.dialect.name, needs, types, by_contact)
    params = {"contact_id": contact_id} if by_contact else {"ids": list(ids or ())}
    skip = set(exclude)
    rows = connection.execute(statement, params).all()
    if with_ids:
        return [(row[0], _activity_fact(row, needs)) for row in rows if row[0] not in skip]
    return [_activity_fact(row, needs) for row in rows if row[0] not in skip]


def _activity_fact(row: Sequence[Any], needs: tuple[str, ...]) -> ActivityFact:
    # Positional: activity_id, contact_id, activity_type, occurred_at, then `needs` in order.
    extra = dict(zip(needs, row[4:], strict=True))
    properties = extra.pop("properties", None) or {}
    return ActivityFact(row[1], row[2], row[3], properties=properties, **extra)


def transitions_frame(connection: Connection) -> pl.DataFrame:
    """contact_id, to_stage, occurred_at of every logged stage move."""
    query = select(
        StageTransition.contact_id,
        StageTransition.to_stage,
        timestamp(connection, StageTransition.occurred_at).label("occurred_at"),
    )
    schema = {"contact_id": pl.Int64, "to_stage": pl.String, "occurred_at": TS}
    return read_frame(connection, query, schema)


def opportunities_frame(connection: Connection) -> pl.DataFrame:
    """opportunity_id, contact_id (primary contact or a contact role), account_id, created_at,
    closed_at, won, amount: one row per deal and linked contact (account-only deals have no
    contact)."""
    cols = (
        Opportunity.id.label("opportunity_id"),
        Opportunity.account_id.label("account_id"),
        timestamp(connection, Opportunity.created_at).label("created_at"),
        timestamp(connection, Opportunity.closed_at).label("closed_at"),
        cast(Opportunity.is_won, Boolean).label("won"),
        read_money(Opportunity.amount).label("amount"),
    )
    primary = select(Opportunity.primary_contact_id.label("contact_id"), *cols)
    roles = (
        select(OpportunityContactRole.contact_id.label("contact_id"), *cols)
        .select_from(OpportunityContactRole)
        .join(Opportunity, Opportunity.id == OpportunityContactRole.opportunity_id)
    )
    query = select(union_all(primary, roles).subquery())
    schema = {
        "contact_id": pl.Int64,
        "opportunity_id": pl.Int64,
        "account_id": pl.Int64,
        "created_at": TS,
        "closed_at": TS,
        "won": pl.Boolean,
        "amount": pl.Float64,
    }
    return read_frame(connection, query, schema).unique()


def history(connection: Connection, model: ScoringModel) -> History:
    """Everything a backtest or the predictive trainer of `model` reads."""
    contacts = contacts_frame(connection, model_fields(model), with_account_id=True)
    return History(
        contacts=contacts,
        activities=activities_frame(connection, model),
        transitions=transitions_frame(connection),
        opportunities=opportunities_frame(connection),
    )


def custom_field_exists(db_session: Session, field: str) -> bool:
    """Does any contact (or account) carry the custom field `field` (e.g. contact.persona)?"""
    entity, _, key = field.partition(".")
    json_column = Contact.custom_fields if entity == "contact" else Account.custom_fields
    table = Contact if entity == "contact" else Account
    probe = select(literal(1)).select_from(table).where(json_column[key].as_string().is_not(None))
    return bool(db_session.scalar(select(exists(probe.limit(1).subquery().select()))))


def contacts_in_stages(db_session: Session, ids: Sequence[int], stages: Sequence[str]) -> list[Any]:
    """(contact id, stage) of the given contacts that are in one of `stages`."""
    out: list[Any] = []
    for start in range(0, len(ids), 5_000):
        chunk = ids[start : start + 5_000]
        out += db_session.execute(
            select(Contact.id, Contact.lifecycle_stage).where(
                and_(Contact.id.in_(chunk), Contact.lifecycle_stage.in_(list(stages)))
            )
        ).all()
    return out


def occurred_at_bounds(connection: Connection) -> tuple[datetime | None, datetime | None]:
    """The first and last activity times in the store (the default backtest period)."""
    first, last = connection.execute(
        select(func.min(Activity.occurred_at), func.max(Activity.occurred_at))
    ).one()
    return first, last


def activity_times_frame(connection: Connection) -> pl.DataFrame:
    """contact_id, activity_type, occurred_at of every activity (for predictive features)."""
    query = select(
        Activity.contact_id,
        Activity.type.label("activity_type"),
        timestamp(connection, Activity.occurred_at).label("occurred_at"),
    )
    schema = {"contact_id": pl.Int64, "activity_type": pl.String, "occurred_at": TS}
    return read_frame(connection, query, schema)


def created_frame(connection: Connection) -> pl.DataFrame:
    """contact_id, created_at of every contact."""
    query = select(
        Contact.id.label("contact_id"),
        timestamp(connection, Contact.created_at).label("created_at"),
    )
    return read_frame(connection, query, {"contact_id": pl.Int64, "created_at": TS})


def stored_columns(field: str) -> set[str]:
    """The names of the contacts/accounts table columns a field is read from (`custom_fields`
    for a custom field)."""
    column = _source("postgresql", field).column
    expression = column.__clause_element__() if hasattr(column, "__clause_element__") else column
    return {c.name for c in visitors.iterate(expression) if isinstance(c, Column)}


def row_changes_frame(connection: Connection) -> pl.DataFrame:
    """contact_id, contact_updated_at, account_updated_at: when each contact's row and its
    account's row last changed, a bound on when any of their fields last changed."""
    query = (
        select(
            Contact.id.label("contact_id"),
            timestamp(connection, Contact.updated_at).label("contact_updated_at"),
            timestamp(connection, Account.updated_at).label("account_updated_at"),
        )
        .select_from(Contact)
        .outerjoin(Account, Contact.account_id == Account.id)
    )
    schema = {"contact_id": pl.Int64, "contact_updated_at": TS, "account_updated_at": TS}
    return read_frame(connection, query, schema)


def merged_fields_frame(db_session: Session, fields: Sequence[str]) -> pl.DataFrame:
    """contact_id, field, changed_at: the contact fields a merge filled in (audit
    `contact.merge`, its `after.filled` columns), the store's only dated per-field changes."""
    columns = {f: stored_columns(f) for f in fields if f.startswith("contact.")}
    rows = db_session.execute(
        select(AuditEvent.entity_id, AuditEvent.occurred_at, AuditEvent.after).where(
            AuditEvent.action == "contact.merge", AuditEvent.entity_type == "contact"
        )
    ).all()
    out = [
        (int(entity_id), field, at)
        for entity_id, at, after in rows
        for field, read in columns.items()
        if read & set((after or {}).get("filled", ()))
    ]
    schema = {"contact_id": pl.Int64, "field": pl.String, "changed_at": pl.Datetime("us", "UTC")}
    return pl.DataFrame(out, schema=schema, orient="row")
