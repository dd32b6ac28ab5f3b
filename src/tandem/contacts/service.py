"""Reading contacts: the filtered list and the detail page's data."""

import math

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from tandem.accounts.models import Account
from tandem.activities import types as activity_types
from tandem.activities.models import Activity
from tandem.auth import visibility
from tandem.auth.models import User
from tandem.auth.visibility import Visibility
from tandem.campaigns.models import Campaign
from tandem.contacts.models import Contact
from tandem.contacts.schemas import (
    ConsumedAsset,
    ContactDetail,
    ContactPage,
    ContactRow,
    FirstArrival,
    OpportunitySummary,
    TimelineEntry,
    TransitionRow,
)
from tandem.content.models import Asset
from tandem.lifecycle.models import StageTransition
from tandem.opportunities.models import Opportunity, OpportunityContactRole

TIMELINE_LIMIT = 500


class ContactNotFound(LookupError):
    """No contact with that id."""


def _filtered(
    q: str | None,
    stage: str | None,
    owner_id: int | None,
    visible_to: tuple[bool, int] | None = None,
) -> Select[tuple[int]]:
    # A rep's view: what the object rule lets them open (tandem.auth.visibility).
    query = select(Contact.id).where(visibility.contacts(visible_to))
    if q:
        pattern = f"%{q.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Contact.email).like(pattern),
                func.lower(Contact.first_name).like(pattern),
                func.lower(Contact.last_name).like(pattern),
            )
        )
    if stage:
        query = query.where(Contact.lifecycle_stage == stage)
    if owner_id is not None:
        query = query.where(Contact.owner_id == owner_id)
    return query


def list_contacts(
    *,
    db_session: Session,
    q: str | None = None,
    stage: str | None = None,
    owner_id: int | None = None,
    page: int = 1,
    page_size: int = 50,
    visible_to: tuple[bool, int] | None = None,
) -> ContactPage:
    """One page of contacts matching the search and filters, newest first. `visible_to`
    (unassigned too?, user id) limits it to what a sales rep may see."""
    ids = _filtered(q, stage, owner_id, visible_to)
    total = db_session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    pages = max(1, math.ceil(total / page_size))
    page = min(max(page, 1), pages)
    rows = db_session.execute(
        select(Contact, Account.name, User.name)
        .outerjoin(Account, Contact.account_id == Account.id)
        .outerjoin(User, Contact.owner_id == User.id)
        .where(Contact.id.in_(ids.scalar_subquery()))
        .order_by(Contact.created_at.desc(), Contact.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    items = [
        ContactRow(
            id=c.id,
            email=c.email,
            full_name=c.full_name,
            title=c.title,
            account_id=c.account_id,
            account_name=account_name,
            lifecycle_stage=c.lifecycle_stage,
            owner_name=owner_name,
            created_at=c.created_at,
        )
        for c, account_name, owner_name in rows
    ]
    return ContactPage(
        items=items, total=total, page=page, pages=pages, q=q, stage=stage, owner_id=owner_id
    )


def _timeline(db_session: Session, contact_id: int) -> list[TimelineEntry]:
    rows = db_session.execute(
        select(Activity, Campaign.name, Asset.title, Asset.journey_stage)
        .outerjoin(Campaign, Activity.campaign_id == Campaign.id)
        .outerjoin(Asset, Activity.asset_id == Asset.id)
        .where(Activity.contact_id == contact_id)
        .order_by(Activity.occurred_at, Activity.id)
        .limit(TIMELINE_LIMIT)
    ).all()
    entries = []
    for activity, campaign, asset, asset_stage in rows:
        known = activity_types.is_known(activity.type)
        kind = activity_types.get(activity.type) if known else None
        entries.append(
            TimelineEntry(
                id=activity.id,
                type=activity.type,
                label=kind.label if kind else activity.type,
                team=kind.team.value if kind else "unknown",
                occurred_at=activity.occurred_at,
                channel=activity.channel,
                campaign=campaign,
                asset=asset,
                asset_stage=asset_stage,
                url=activity.url,
            )
        )
    return entries


def _content(db_session: Session, contact_id: int) -> list[ConsumedAsset]:
    rows = db_session.execute(
        select(
            Asset.id, Asset.title, Asset.journey_stage, func.min(Activity.occurred_at), func.count()
        )
        .join(Activity, Activity.asset_id == Asset.id)
        .where(Activity.contact_id == contact_id)
        .group_by(Asset.id, Asset.title, Asset.journey_stage)
        .order_by(func.min(Activity.occurred_at))
    ).all()
    return [
        ConsumedAsset(asset_id=i, title=t, journey_stage=s, first_at=f, times=n)
        for i, t, s, f, n in rows
    ]


def _opportunities(
    db_session: Session, contact_id: int, visible_to: Visibility
) -> list[OpportunitySummary]:
    role_opps = select(OpportunityContactRole.opportunity_id).where(
        OpportunityContactRole.contact_id == contact_id
    )
    opps = db_session.scalars(
        select(Opportunity)
        .where(or_(Opportunity.primary_contact_id == contact_id, Opportunity.id.in_(role_opps)))
        .where(visibility.opportunities(visible_to))
        .order_by(Opportunity.created_at)
    ).all()
    return [OpportunitySummary.model_validate(o, from_attributes=True) for o in opps]


def contact_detail(
    *, db_session: Session, contact_id: int, visible_to: Visibility = None
) -> ContactDetail:
    """The contact page: profile, how they arrived, timeline, content, stages and deals
    (those `visible_to` may open: see tandem.auth.visibility)."""
    owner = aliased(User)
    first_campaign = aliased(Campaign)
    row = db_session.execute(
        select(Contact, Account.name, owner.name, first_campaign.name)
        .outerjoin(Account, Contact.account_id == Account.id)
        .outerjoin(owner, Contact.owner_id == owner.id)
        .outerjoin(first_campaign, Contact.first_touch_campaign_id == first_campaign.id)
        .where(Contact.id == contact_id)
    ).first()
    if row is None:
        raise ContactNotFound(f"no contact with id {contact_id}")
    contact, account_name, owner_name, campaign_name = row
    timeline_total = db_session.scalar(
        select(func.count()).select_from(Activity).where(Activity.contact_id == contact_id)
    )
    timeline = _timeline(db_session, contact_id)
    transitions = db_session.scalars(
        select(StageTransition)
        .where(StageTransition.contact_id == contact_id)
        .order_by(StageTransition.occurred_at, StageTransition.id)
    ).all()
    return ContactDetail(
        id=contact.id,
        version=contact.version,
        email=contact.email,
        full_name=contact.full_name,
        title=contact.title,
        job_level=contact.job_level,
        buying_role=contact.buying_role,
        lifecycle_stage=contact.lifecycle_stage,
        owner_name=owner_name,
        account_id=contact.account_id,
        account_name=account_name,
        budget=contact.budget,
        authority=contact.authority,
        need=contact.need,
        timeline=contact.timeline,
        first_arrival=FirstArrival(
            source=contact.first_touch_source,
            medium=contact.first_touch_medium,
            campaign=campaign_name,
            landing_page=contact.first_touch_landing_page,
            first_activity_at=timeline[0].occurred_at if timeline else None,
        ),
        timeline_entries=timeline,
        timeline_total=timeline_total or 0,
        content=_content(db_session, contact_id),
        transitions=[TransitionRow.model_validate(t, from_attributes=True) for t in transitions],
        opportunities=_opportunities(db_session, contact_id, visible_to),
    )
