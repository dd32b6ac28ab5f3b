"""One asset's page: its tags and usage, reps' feedback, shares and the buyers who looked.

A rep sees the shares they made and the views of contacts they may open (the object rules of
`tandem.auth.visibility`); managers, marketers and admins see all of them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.activities.models import Activity
from tandem.auth import visibility
from tandem.auth.models import User
from tandem.contacts.models import Contact
from tandem.content import service
from tandem.content.models import AssetDealUse, AssetFeedback, AssetShare
from tandem.content.schemas import AssetDetail, FeedbackRow, ShareRow, ViewRow
from tandem.content.shares import VIEW
from tandem.opportunities.models import Opportunity

SHOWN = 200


def _name(first: str | None, last: str | None, email: str) -> str:
    return " ".join(p for p in (first, last) if p) or email


def asset_detail(
    db_session: Session, *, asset_id: int, user: User, visible_to: visibility.Visibility
) -> AssetDetail:
    asset = service.get_asset(db_session, asset_id)
    row = service.asset_row(db_session, asset)
    feedback = [
        FeedbackRow(
            user_id=f.user_id,
            user_name=name,
            rating=f.rating,
            comment=f.comment,
            updated_at=f.updated_at,
        )  # fmt: skip
        for f, name in db_session.execute(
            select(AssetFeedback, User.name)
            .join(User, User.id == AssetFeedback.user_id)
            .where(AssetFeedback.asset_id == asset_id)
            .order_by(AssetFeedback.updated_at.desc())
        )
    ]
    views_query = (
        select(Activity.contact_id, Contact.first_name, Contact.last_name, Contact.email,
               Activity.type, Activity.occurred_at, Activity.idempotency_key, Activity.properties)
        .join(Contact, Contact.id == Activity.contact_id)
        .where(Activity.asset_id == asset_id, visibility.contacts(visible_to))
        .order_by(Activity.occurred_at.desc())
        .limit(SHOWN * 5)
    )  # fmt: skip
    views, per_share = [], {}
    for cid, first, last, email, kind, at, key, props in db_session.execute(views_query):
        forwarded = bool((props or {}).get("forwarded"))
        if kind == VIEW and key.startswith("cv:"):
            share_id = int(key.split(":")[1])
            n, fw, last_at = per_share.get(share_id, (0, 0, None))
            per_share[share_id] = (n + 1, fw + forwarded, last_at or at)
        if len(views) < SHOWN:
            views.append(ViewRow(contact_id=cid, contact=_name(first, last, email), type=kind,
                                 occurred_at=at, forwarded=forwarded))  # fmt: skip
    shares_query = (
        select(AssetShare, Contact.first_name, Contact.last_name, Contact.email, User.name)
        .join(Contact, Contact.id == AssetShare.contact_id)
        .outerjoin(User, User.id == AssetShare.user_id)
        .where(AssetShare.asset_id == asset_id)
        .order_by(AssetShare.created_at.desc(), AssetShare.id.desc())
        .limit(SHOWN)
    )
    if visible_to is not None:
        shares_query = shares_query.where(AssetShare.user_id == user.id)
    shares = []
    for s, first, last, email, sharer in db_session.execute(shares_query):
        n, fw, last_at = per_share.get(s.id, (0, 0, None))
        shares.append(ShareRow(id=s.id, batch=s.batch, contact_id=s.contact_id,
                               contact=_name(first, last, email), sharer=sharer,
                               deal_id=s.deal_id, created_at=s.created_at, views=n,
                               forwarded_views=fw, last_view_at=last_at))  # fmt: skip
    deals = [
        {"deal_id": d, "name": name, "by": by, "at": at}
        for d, name, by, at in db_session.execute(
            select(AssetDealUse.deal_id, Opportunity.name, User.name, AssetDealUse.created_at)
            .join(Opportunity, Opportunity.id == AssetDealUse.deal_id)
            .outerjoin(User, User.id == AssetDealUse.user_id)
            .where(AssetDealUse.asset_id == asset_id, visibility.opportunities(visible_to))
            .order_by(AssetDealUse.created_at.desc())
        )
    ]
    warnings = []
    if row.expired:
        warnings.append(f"Expired on {row.expires_on}: update it, extend it or archive it.")
    if asset.status == "archived":
        warnings.append("Archived: its links show a neutral page and it cannot be shared.")
    mine = next((f for f in feedback if f.user_id == user.id), None)
    return AssetDetail(asset=row, feedback=feedback, my_feedback=mine, shares=shares,
                       views=views, deals=deals, can_edit=service.can_edit(user, asset),
                       warnings=warnings)  # fmt: skip
