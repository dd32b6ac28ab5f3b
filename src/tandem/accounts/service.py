"""Reading accounts: the account page with its buying committee and deals."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.accounts.schemas import AccountDetail, BuyingRoleGroup, CommitteeMember
from tandem.auth import visibility
from tandem.auth.models import User
from tandem.auth.visibility import Visibility
from tandem.contacts.buying_roles import BuyingRole
from tandem.contacts.models import Contact
from tandem.contacts.schemas import OpportunitySummary
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
