"""Unused and stale assets, and the purge both teams agree on.

An asset is on the purge list when it was never shared, never viewed by a buyer (no activity
names it), has had no buyer view and no deal use in the last N months, or is past its expiry.
One team proposes a purge (the list with its evidence, as of the proposal); the other team
approves it, which archives the listed assets still live; every step is audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.activities.models import Activity
from tandem.audit import service as audit
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.content.models import Asset, AssetDealUse, AssetShare, AssetStatus, ContentPurge
from tandem.content.schemas import PurgeRow, UnusedRow
from tandem.content.service import ContentError, NotAllowed, NotFound

TEAMS = {Role.MARKETER: "marketing", Role.SALES_MANAGER: "sales"}
REASONS = {
    "never_shared": "never shared by a rep",
    "never_viewed": "never viewed by a buyer",
    "no_recent_use": "no buyer view or deal use in the period",
    "expired": "past its expiry date",
}


def unused(db_session: Session, *, as_of: datetime, months: int = 6) -> list[UnusedRow]:
    """Live and draft assets with at least one reason to go, and the evidence."""
    since = as_of - timedelta(days=round(months * 30.44))
    shares = dict(
        db_session.execute(
            select(AssetShare.asset_id, func.count()).group_by(AssetShare.asset_id)
        ).all()
    )
    views = {
        a: (n, last)
        for a, n, last in db_session.execute(
            select(Activity.asset_id, func.count(), func.max(Activity.occurred_at))
            .where(Activity.asset_id.is_not(None))
            .group_by(Activity.asset_id)
        )
    }
    recent_uses = set(
        db_session.scalars(
            select(AssetDealUse.asset_id).where(AssetDealUse.created_at >= since).distinct()
        )
    )
    out = []
    query = (
        select(Asset, User.name)
        .outerjoin(User, User.id == Asset.owner_id)
        .where(Asset.status != AssetStatus.ARCHIVED)
        .order_by(Asset.title)
    )
    for asset, owner in db_session.execute(query):
        n_views, last = views.get(asset.id, (0, None))
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=as_of.tzinfo)
        reasons = []
        if not shares.get(asset.id):
            reasons.append("never_shared")
        if not n_views:
            reasons.append("never_viewed")
        elif last < since and asset.id not in recent_uses:
            reasons.append("no_recent_use")
        if asset.expires_on and asset.expires_on < as_of.date():
            reasons.append("expired")
        if reasons:
            out.append(UnusedRow(
                asset_id=asset.id, title=asset.title, type=asset.type,
                journey_stage=asset.journey_stage, owner_name=owner, status=asset.status,
                reasons=reasons, shares=shares.get(asset.id, 0), buyer_views=n_views,
                last_view_at=last, expires_on=asset.expires_on,
            ))  # fmt: skip
    return out


def _team(user: User) -> str:
    team = TEAMS.get(Role(user.role))
    if team is None:
        raise NotAllowed("a marketer proposes and a sales manager approves a purge, or the "
                         "other way round")  # fmt: skip
    return team


def propose(db_session: Session, *, by: User, as_of: datetime, months: int = 6) -> ContentPurge:
    """Propose archiving today's purge list; the other team decides."""
    team = _team(by)
    rows = unused(db_session, as_of=as_of, months=months)
    if not rows:
        raise ContentError("nothing to purge: every asset is in use")
    purge = ContentPurge(
        status="proposed", months=months, proposed_by_id=by.id, proposed_team=team,
        evidence=[r.model_dump(mode="json") for r in rows], created_at=as_of,
    )  # fmt: skip
    db_session.add(purge)
    db_session.flush()
    audit.record(db_session=db_session, actor_user_id=by.id, action="content.purge.propose",
                 entity_type="content_purge", entity_id=purge.id,
                 after={"assets": [r.asset_id for r in rows], "months": months})  # fmt: skip
    return purge


def decide(
    db_session: Session, *, purge_id: int, by: User, approve: bool, as_of: datetime,
    comment: str | None = None,
) -> ContentPurge:  # fmt: skip
    """Approve (archives the listed assets still not archived) or reject, by the other team."""
    purge = db_session.get(ContentPurge, purge_id)
    if purge is None:
        raise NotFound(f"no purge {purge_id}")
    team = _team(by)
    if purge.status != "proposed":
        raise ContentError(f"purge {purge_id} is already {purge.status}")
    if team == purge.proposed_team:
        raise NotAllowed(f"the {team} team proposed this purge: the other team decides")
    purge.status = "approved" if approve else "rejected"
    purge.decided_by_id, purge.decided_at, purge.comment = by.id, as_of, comment
    archived = []
    if approve:
        ids = [int(e["asset_id"]) for e in purge.evidence]
        for asset in db_session.scalars(
            select(Asset).where(Asset.id.in_(ids), Asset.status != AssetStatus.ARCHIVED)
        ):
            asset.status, asset.archived_at = AssetStatus.ARCHIVED, as_of
            archived.append(asset.id)
    db_session.flush()
    audit.record(db_session=db_session, actor_user_id=by.id,
                 action=f"content.purge.{purge.status}", entity_type="content_purge",
                 entity_id=purge.id, after={"archived": archived, "comment": comment})  # fmt: skip
    return purge


def purges(db_session: Session, limit: int = 20) -> list[PurgeRow]:
    names = dict(db_session.execute(select(User.id, User.name)).all())
    rows = db_session.scalars(select(ContentPurge).order_by(ContentPurge.id.desc()).limit(limit))
    return [
        PurgeRow(
            id=p.id,
            status=p.status,
            months=p.months,
            proposed_team=p.proposed_team,
            proposed_by=names.get(p.proposed_by_id),
            decided_by=names.get(p.decided_by_id),
            created_at=p.created_at,
            decided_at=p.decided_at,
            comment=p.comment,
            evidence=list(p.evidence),
        )  # fmt: skip
        for p in rows
    ]


def can_propose(user: User) -> bool:
    return Role(user.role) in TEAMS


# --- expired assets, told to their owner once ------------------------------------------------


def expired_to_tell(db_session: Session, *, as_of: datetime) -> dict[int, list[Asset]]:
    """Live assets past expiry whose owner was not told about this expiry date yet."""
    query = select(Asset).where(
        Asset.status == AssetStatus.LIVE,
        Asset.expires_on < as_of.date(),
        Asset.owner_id.is_not(None),
        (Asset.expiry_notified_on.is_(None)) | (Asset.expiry_notified_on < Asset.expires_on),
    )
    out: dict[int, list[Asset]] = {}
    for asset in db_session.scalars(query.order_by(Asset.expires_on)):
        out.setdefault(asset.owner_id, []).append(asset)  # type: ignore[arg-type]
    return out


def notify_expired(
    db_session: Session, *, as_of: datetime, send: Any | None, base_url: str
) -> dict[str, int]:
    """One message per owner listing their expired live assets (once per expiry date): by
    email through `send(to, subject, text)` when mail is set, in their inbox always."""
    from tandem.handoff.notify import add_notifications, notification

    told = {"owners": 0, "assets": 0}
    for owner_id, assets in expired_to_tell(db_session, as_of=as_of).items():
        to = db_session.scalar(select(User.email).where(User.id == owner_id))
        subject = f"{len(assets)} of your assets are past their expiry date"
        body = "\n".join(
            ["These live assets expired; update, extend or archive them:", ""]
            + [f"- {a.title} (expired {a.expires_on}): {base_url}/content/{a.id}" for a in assets]
        )
        key = f"content_expired:{owner_id}:{as_of.date().isoformat()}"
        add_notifications(db_session, [notification(user_id=owner_id, kind="content_expired",
                          subject=subject, body=body, at=as_of, key=key)])  # fmt: skip
        if send is not None and to:
            send(to, subject, body)
        for asset in assets:
            asset.expiry_notified_on = as_of.date()
        told["owners"] += 1
        told["assets"] += len(assets)
    db_session.flush()
    return told
