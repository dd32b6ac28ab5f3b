"""Buying committees in the store: roles from imports (the contact's HubSpot buying role,
Salesforce opportunity contact roles), guesses from title rules with a confidence, and the
rep's confirmation; coverage against the role template of the account's segment or deal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.accounts import committee as pure
from tandem.accounts import definitions
from tandem.accounts.errors import InvalidInput
from tandem.accounts.models import Account, CommitteeRole
from tandem.activities.models import Activity
from tandem.contacts.models import Contact
from tandem.db import utcnow
from tandem.opportunities.models import Opportunity, OpportunityContactRole

SOURCE_RANK = {"rep": 3, "import": 2, "title": 1}


def _rank(source: str) -> int:
    return SOURCE_RANK.get(source.split(":")[0], 0)


def _upsert(
    db_session: Session,
    *,
    account_id: int,
    contact_id: int,
    opportunity_id: int | None,
    role: str,
    confidence: int,
    source: str,
    user_id: int | None = None,
) -> bool:
    """Write a role unless a stronger source holds it already (a rep's word is never
    overwritten by an import or a guess)."""
    row = db_session.scalars(
        select(CommitteeRole).where(
            CommitteeRole.contact_id == contact_id,
            CommitteeRole.opportunity_id.is_(None)
            if opportunity_id is None
            else CommitteeRole.opportunity_id == opportunity_id,
        )
    ).first()
    if row is not None and _rank(row.source) > _rank(source):
        return False
    if row is None:
        row = CommitteeRole(
            account_id=account_id, contact_id=contact_id, opportunity_id=opportunity_id
        )
        db_session.add(row)
    row.role, row.confidence, row.source = role, confidence, source
    row.confirmed_by_id, row.updated_at = user_id, utcnow()
    return True


def assign(
    db_session: Session,
    *,
    account_id: int,
    contact_id: int,
    role: str,
    user_id: int | None,
    opportunity_id: int | None = None,
) -> None:
    """The rep confirms or changes a contact's role (on the account, or on one deal)."""
    d, _ = definitions.active(db_session, "buying_committee")
    problems = []
    if role not in d.roles:
        problems.append(f"role {role!r} is not a configured buying role ({', '.join(d.roles)})")
    contact = db_session.get(Contact, contact_id)
    if contact is None:
        problems.append(f"no contact {contact_id}")
    elif contact.account_id != account_id:
        problems.append(f"contact {contact_id} does not belong to account {account_id}")
    if opportunity_id is not None:
        opp = db_session.get(Opportunity, opportunity_id)
        if opp is None or opp.account_id != account_id:
            problems.append(f"opportunity {opportunity_id} is not a deal of account {account_id}")
    if problems:
        raise InvalidInput(problems)
    _upsert(
        db_session,
        account_id=account_id,
        contact_id=contact_id,
        opportunity_id=opportunity_id,
        role=role,
        confidence=100,
        source="rep",
        user_id=user_id,
    )
    db_session.flush()


def sync(db_session: Session, account_ids: Sequence[int] | None = None) -> dict[str, int]:
    """Roles from imports and title rules for the accounts' contacts (all accounts: None)."""
    d, _ = definitions.active(db_session, "buying_committee")
    counts = {"imported": 0, "deal_roles": 0, "guessed": 0}
    query = select(Contact.id, Contact.account_id, Contact.title, Contact.buying_role).where(
        Contact.account_id.is_not(None)
    )
    if account_ids is not None:
        query = query.where(Contact.account_id.in_(account_ids))
    for cid, aid, title, label in db_session.execute(query).all():
        role = pure.imported_role(d, label) if label != "unknown" else None
        if role is not None:
            counts["imported"] += _upsert(
                db_session,
                account_id=aid,
                contact_id=cid,
                opportunity_id=None,
                role=role,
                confidence=100,
                source="import:hubspot",
            )
        elif (guess := pure.guess_role(d, title)) is not None:
            counts["guessed"] += _upsert(
                db_session,
                account_id=aid,
                contact_id=cid,
                opportunity_id=None,
                role=guess.role,
                confidence=guess.confidence,
                source=f"title:{guess.rule_id}",
            )
    deal_query = (
        select(
            OpportunityContactRole.contact_id,
            OpportunityContactRole.role,
            Opportunity.id,
            Opportunity.account_id,
        )
        .join(Opportunity, Opportunity.id == OpportunityContactRole.opportunity_id)
        .join(Contact, Contact.id == OpportunityContactRole.contact_id)
        .where(Opportunity.account_id.is_not(None), Contact.account_id == Opportunity.account_id)
    )
    if account_ids is not None:
        deal_query = deal_query.where(Opportunity.account_id.in_(account_ids))
    for cid, label, oid, aid in db_session.execute(deal_query).all():
        role = pure.imported_role(d, label)
        if role is not None:
            counts["deal_roles"] += _upsert(
                db_session,
                account_id=aid,
                contact_id=cid,
                opportunity_id=oid,
                role=role,
                confidence=100,
                source="import:salesforce",
            )
    db_session.flush()
    return counts


def committee(
    db_session: Session,
    account_id: int,
    *,
    opportunity_id: int | None = None,
    as_of: datetime | None = None,
    engaged_days: int = 90,
) -> tuple[list[pure.Member], pure.Coverage]:
    """The committee (every contact of the account, with role, confidence, source and whether
    engaged in the last `engaged_days`) and its coverage of the template that applies."""
    d, _ = definitions.active(db_session, "buying_committee")
    account = db_session.get(Account, account_id)
    if account is None:
        raise InvalidInput([f"no account {account_id}"])
    now = as_of or utcnow()
    contacts = db_session.execute(
        select(
            Contact.id,
            Contact.first_name,
            Contact.last_name,
            Contact.email,
            Contact.title,
            Contact.buying_role,
        )
        .where(Contact.account_id == account_id)
        .order_by(Contact.id)
    ).all()
    ids = [c.id for c in contacts]
    engaged = (
        set(
            db_session.scalars(
                select(Activity.contact_id)
                .where(
                    Activity.contact_id.in_(ids),
                    Activity.occurred_at > now - timedelta(days=engaged_days),
                    Activity.occurred_at <= now,
                )
                .distinct()
            )
        )
        if ids
        else set()
    )
    roles = {
        (r.contact_id, r.opportunity_id): r
        for r in db_session.scalars(
            select(CommitteeRole).where(CommitteeRole.account_id == account_id)
        )
    }
    members, guesses = [], {}
    for c in contacts:
        row = roles.get((c.id, opportunity_id)) or roles.get((c.id, None))
        role, conf, source = (row.role, row.confidence, row.source) if row else (None, 0, "")
        if row is None and (imp := pure.imported_role(d, c.buying_role)) is not None:
            role, conf, source = imp, 100, "import:hubspot"
        if (g := pure.guess_role(d, c.title)) is not None:
            guesses[c.id] = g  # a guess not yet synced is a suggestion, not a role
        name = " ".join(p for p in (c.first_name, c.last_name) if p) or c.email
        members.append(pure.Member(c.id, name, c.title, role, conf, source, c.id in engaged))
    # The deal's segment and product choose the template; for the account, its latest deal's.
    deal = select(Opportunity.segment, Opportunity.product_line).where(
        Opportunity.account_id == account_id
    )
    if opportunity_id is not None:
        deal = deal.where(Opportunity.id == opportunity_id)
    found = db_session.execute(deal.order_by(Opportunity.created_at.desc()).limit(1)).first()
    segment, product = (found.segment, found.product_line) if found else (None, None)
    template = pure.template_for(d, segment=segment, product=product)
    return members, pure.coverage(d, template, members, guesses)
