"""Reading accounts: the account page with its buying committee and deals."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.accounts.schemas import AccountDetail, BuyingRoleGroup, CommitteeMember
from tandem.activities.models import Activity
from tandem.auth import visibility
from tandem.auth.models import User
from tandem.auth.visibility import Visibility
from tandem.contacts.buying_roles import BuyingRole
from tandem.contacts.models import Contact
from tandem.contacts.schemas import OpportunitySummary
from tandem.content.models import Asset
from tandem.db import utcnow
from tandem.opportunities.models import Opportunity


class AccountNotFound(LookupError):
    """No account with that id."""


def account_detail(
    *, db_session: Session, account_id: int, visible_to: Visibility = None
) -> AccountDetail:
    """The account page: firmographics, contacts grouped by buying role, opportunities; the
    lists hold only what `visible_to` may open (see tandem.auth.visibility)."""
    row = db_session.execute(
        select(Account, User.name)
        .outerjoin(User, Account.owner_id == User.id)
        .where(Account.id == account_id)
    ).first()
    if row is None:
        raise AccountNotFound(f"no account with id {account_id}")
    account, owner_name = row
    contacts = db_session.scalars(
        select(Contact)
        .where(Contact.account_id == account_id, visibility.contacts(visible_to))
        .order_by(Contact.last_name)
    ).all()
    committee = []
    for role in BuyingRole:
        members = [
            CommitteeMember(
                id=c.id,
                full_name=c.full_name,
                email=c.email,
                title=c.title,
                lifecycle_stage=c.lifecycle_stage,
            )
            for c in contacts
            if c.buying_role == role.value
        ]
        if members:
            label = role.value.replace("_", " ").capitalize()
            committee.append(BuyingRoleGroup(role=role.value, label=label, contacts=members))
    opportunities = db_session.scalars(
        select(Opportunity)
        .where(Opportunity.account_id == account_id, visibility.opportunities(visible_to))
        .order_by(Opportunity.created_at)
    ).all()
    return AccountDetail(
        id=account.id,
        version=account.version,
        name=account.name,
        domain=account.domain,
        industry=account.industry,
        employee_band=account.employee_band,
        region=account.region,
        country=account.country,
        annual_revenue=account.annual_revenue,
        owner_name=owner_name,
        is_target=account.is_target,
        tier=account.tier,
        contact_count=len(contacts),
        roles_covered=[g.role for g in committee if g.role != BuyingRole.UNKNOWN.value],
        committee=committee,
        opportunities=[
            OpportunitySummary.model_validate(o, from_attributes=True) for o in opportunities
        ],
    )


def account_packet(
    *,
    db_session: Session,
    account_id: int,
    as_of: datetime | None = None,
    visible_to: Visibility = None,
) -> dict[str, Any]:
    """What sales gets with an MQA (the account handoff, issue 17 item 5): the score explained,
    the committee with its coverage gaps, the engaged contacts and what they consumed, the
    open deals and a suggested next step. A plain view-model; the handoff will render it."""
    from tandem.accounts import views
    from tandem.accounts.scores import score_accounts

    now = as_of or utcnow()
    account = db_session.get(Account, account_id)
    if account is None:
        raise AccountNotFound(f"no account with id {account_id}")
    found = score_accounts(db_session, [account_id], as_of=now, cause="packet")
    panel = views.account_panel(db_session, account_id, as_of=now, visible_to=visible_to)
    engaged = [m for m in panel["committee"]["members"] if m["engaged"]]
    consumed = db_session.execute(
        select(Activity.contact_id, Activity.type, Activity.occurred_at, Activity.url, Asset.title)
        .outerjoin(Asset, Asset.id == Activity.asset_id)
        .where(
            Activity.contact_id.in_([m["contact_id"] for m in engaged]), Activity.occurred_at <= now
        )
        .order_by(Activity.occurred_at.desc())
        .limit(50)
    ).all()
    deals = views.open_deals(db_session, account_id)
    missing = panel["committee"]["missing"]
    if missing:
        who = panel["committee"]["suggestions"].get(missing[0]) or []
        step = f"reach the {missing[0].replace('_', ' ')}" + (f": {who[0]['name']}" if who else "")
    elif deals:
        step = f"advance {deals[0]['name']} ({deals[0]['stage']})"
    else:
        step = "book a discovery meeting with the engaged contacts"
    return {
        "account": {
            "id": account.id,
            "name": account.name,
            "tier": account.tier,
            "owner_id": account.owner_id,
        },
        "score": found[0].as_dict() if found else None,
        "committee": panel["committee"],
        "engaged_contacts": engaged,
        "consumed": [
            {"contact_id": c, "type": t, "at": at.isoformat(), "url": url, "asset": title}
            for c, t, at, url, title in consumed
        ],
        "open_deals": deals,
        "next_step": step,
    }
