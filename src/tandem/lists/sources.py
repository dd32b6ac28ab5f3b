"""Each list's fields as SQL: the whitelist `tandem.lists.catalog` names, mapped to columns.

A field's expression says which outer joins it needs, so a page that neither shows, sorts nor
filters by the account does not join accounts (a million-row sort stays on one table's index).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from tandem.accounts.models import Account, AccountScore, AccountStageSnapshot
from tandem.activities.models import Activity
from tandem.analytics.dims import _BAND_EMPLOYEES, _SEGMENT_LIMITS
from tandem.auth import visibility
from tandem.auth.models import User
from tandem.auth.visibility import Visibility
from tandem.contacts.models import Contact
from tandem.handoff.models import Handoff
from tandem.opportunities.models import Opportunity
from tandem.scoring.models import ContactScore
from tandem.search.terms import Terms

Join = tuple[Any, Any]  # (target, on clause)


@dataclass(frozen=True)
class Expr:
    """A field's SQL and the joins it needs (names in `Source.joins`)."""

    sql: Any
    joins: tuple[str, ...] = ()
    is_day: bool = False  # a DATE column (compared with days, not timestamps)
    # A filter on it may read as `key IN (SELECT ...)` over its one join (see `Source.semi`);
    # not when a row without the joined one still has a value (a coalesce, an else branch).
    semi_ok: bool = True


@dataclass(frozen=True)
class Source:
    """How one list reads: its table's id, joins, field expressions and who may see a row."""

    table: Any
    id: InstrumentedAttribute[int]
    owner_id: InstrumentedAttribute[int | None]
    joins: dict[str, Join]
    exprs: dict[str, Expr]
    visible: Callable[[Visibility], ColumnElement[bool]]
    search: Callable[[str], ColumnElement[bool]]
    base: tuple[str, ...] = ()  # joins every query needs (the leads' handoff)
    # join name -> (outer key, inner key, the join's other conditions): a filter on a joined
    # field reads `outer IN (SELECT inner WHERE ...)`, so a million-row count walks an index
    # of the outer table instead of joining every row.
    semi: dict[str, tuple[Any, Any, Any]] = field(default_factory=dict)
    where: ColumnElement[bool] = field(default_factory=true)


def segment(employees: Any, band: Any) -> ColumnElement[str | None]:
    """SMB, mid-market or enterprise from head count (else the band), as in
    `tandem.analytics.dims.segment_expr`: the same limits, read from there."""
    count = func.coalesce(employees, case(_BAND_EMPLOYEES, value=band, else_=None))
    whens = [(count.is_(None), literal(None))]
    whens += [(count <= limit, literal(name)) for limit, name in _SEGMENT_LIMITS]
    return case(*whens, else_=literal("enterprise"))


def starts(q: str, *columns: Any) -> ColumnElement[bool]:
    """Any of `columns` starts with `q` (lower-cased): index ranges, as the search box reads
    (`tandem.search`), never a scan of every row."""
    low, high = Terms.prefix_range(q.lower())
    return or_(*(and_(c >= low, c < high) for c in columns))


def _name_search(q: str) -> ColumnElement[bool]:
    # Emails are stored lower-cased; names through their lower-cased indexes.
    return starts(q, func.lower(Contact.first_name), func.lower(Contact.last_name), Contact.email)


def _people(db_session: Session, leads: bool) -> Source:
    owner = aliased(User, name="owner")
    last = (
        select(func.max(Activity.occurred_at))
        .where(Activity.contact_id == Contact.id)
        .correlate(Contact)
        .scalar_subquery()
    )
    account = ("account",)
    exprs = {
        "name": Expr(func.lower(Contact.last_name)),
        "email": Expr(Contact.email),
        "title": Expr(Contact.title),
        "account": Expr(Account.name, account),
        "stage": Expr(Contact.lifecycle_stage),
        "owner": Expr(owner.name, ("owner",)),
        "score": Expr(ContactScore.total, ("score",)),
        "grade": Expr(ContactScore.grade, ("score",)),
        "segment": Expr(segment(Account.employees, Account.employee_band), account),
        "region": Expr(Account.region, account),
        "tier": Expr(Account.tier, account),
        "country": Expr(Contact.country),
        "last_activity": Expr(last),
        "created": Expr(Contact.created_at),
    }
    joins: dict[str, Join] = {
        "account": (Account, Account.id == Contact.account_id),
        "owner": (owner, owner.id == Contact.owner_id),
        "score": (ContactScore, ContactScore.contact_id == Contact.id),
    }
    # One row per lead: the contact's latest handoff. Aliases, so the visibility rule's own
    # EXISTS over handoffs does not correlate to these.
    lead, earlier = aliased(Handoff, name="lead"), aliased(Handoff, name="earlier")
    if leads:
        latest = select(func.max(earlier.id)).where(earlier.contact_id == Contact.id)
        joins["handoff"] = (lead, lead.id == latest.correlate(Contact).scalar_subquery())
        exprs["status"] = Expr(lead.status, ("handoff",))
        exprs["mql_at"] = Expr(lead.mql_at, ("handoff",))
    return Source(
        table=Contact,
        id=Contact.id,
        owner_id=Contact.owner_id,
        joins=joins,
        exprs=exprs,
        visible=visibility.contacts,
        search=_name_search,
        base=("handoff",) if leads else (),
        semi={
            "account": (Contact.account_id, Account.id, true()),
            "score": (Contact.id, ContactScore.contact_id, true()),
        },
        where=lead.id.is_not(None) if leads else true(),
    )


def _accounts(db_session: Session) -> Source:
    owner = aliased(User, name="owner")
    day = db_session.scalar(select(func.max(AccountStageSnapshot.day)))
    last = (
        select(func.max(Activity.occurred_at))
        .join(Contact, Contact.id == Activity.contact_id)
        .where(Contact.account_id == Account.id)
        .correlate(Account)
        .scalar_subquery()
    )
    score = ("score",)
    return Source(
        table=Account,
        id=Account.id,
        owner_id=Account.owner_id,
        joins={
            "owner": (owner, owner.id == Account.owner_id),
            "score": (AccountScore, AccountScore.account_id == Account.id),
            "stage": (
                AccountStageSnapshot,
                and_(
                    AccountStageSnapshot.account_id == Account.id, AccountStageSnapshot.day == day
                ),
            ),
        },
        exprs={
            "name": Expr(func.lower(Account.name)),
            "domain": Expr(Account.domain),
            "industry": Expr(Account.industry),
            "segment": Expr(segment(Account.employees, Account.employee_band)),
            "region": Expr(Account.region),
            "tier": Expr(Account.tier),
            "stage": Expr(AccountStageSnapshot.stage, ("stage",)),
            "owner": Expr(owner.name, ("owner",)),
            "score": Expr(AccountScore.total, score),
            "mqa": Expr(case((AccountScore.is_mqa, "yes"), else_="no"), score, semi_ok=False),
            "people_engaged": Expr(
                func.coalesce(AccountScore.people_engaged, 0), score, semi_ok=False
            ),
            "last_activity": Expr(last),
            "created": Expr(Account.created_at),
        },
        visible=visibility.accounts,
        semi={
            "score": (Account.id, AccountScore.account_id, true()),
            "stage": (Account.id, AccountStageSnapshot.account_id, AccountStageSnapshot.day == day),
        },
        search=lambda q: starts(q, func.lower(Account.name), Account.domain),
    )


def _deals(db_session: Session) -> Source:
    owner = aliased(User, name="owner")
    return Source(
        table=Opportunity,
        id=Opportunity.id,
        owner_id=Opportunity.owner_id,
        joins={
            "account": (Account, Account.id == Opportunity.account_id),
            "owner": (owner, owner.id == Opportunity.owner_id),
        },
        exprs={
            "name": Expr(func.lower(Opportunity.name)),
            "account": Expr(Account.name, ("account",)),
            "stage": Expr(Opportunity.stage),
            "amount": Expr(Opportunity.amount),
            "owner": Expr(owner.name, ("owner",)),
            "segment": Expr(Opportunity.segment),
            "region": Expr(Opportunity.region),
            "vertical": Expr(Opportunity.vertical),
            "close": Expr(Opportunity.expected_close_on, is_day=True),
            "created": Expr(Opportunity.created_at),
        },
        visible=visibility.opportunities,
        semi={"account": (Opportunity.account_id, Account.id, true())},
        search=lambda q: starts(q, func.lower(Opportunity.name)),
    )


def source(name: str, db_session: Session) -> Source:
    """The SQL of the list called `name` (a key of `tandem.lists.catalog.LISTS`)."""
    if name == "accounts":
        return _accounts(db_session)
    if name == "deals":
        return _deals(db_session)
    return _people(db_session, leads=name == "leads")


def shown(src: Source, key: str) -> Any:
    """What a column shows for `key`: the readable value where the sort key is a lower-cased
    copy (names sort case-insensitively but show as written)."""
    if key == "name":
        if src.table is Contact:
            full = func.trim(
                func.coalesce(Contact.first_name, "") + " " + func.coalesce(Contact.last_name, "")
            )
            return case((full == "", Contact.email), else_=full)
        return src.table.name
    return src.exprs[key].sql


def day_value(expr: Expr, day: date) -> Any:
    """A range bound for `expr`: the day itself for DATE columns, else its UTC midnight."""
    if expr.is_day:
        return day
    return datetime.combine(day, time.min, tzinfo=UTC)
