"""Shares and views: a rep sends an asset to one or many contacts, each gets a personal tracked
link; opening it stores a `content_view` activity for that contact through the activity write
path (`tandem.ingest.store`: `ActivitiesStored` fires, scoring rescores) and tells the sharer.
Rep feedback (ratings, "used in this deal") lives here too."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import Session

from tandem.activities.models import Activity
from tandem.auth.models import User
from tandem.auth.permissions import may_read
from tandem.contacts.models import Contact
from tandem.content import links
from tandem.content.models import Asset, AssetDealUse, AssetFeedback, AssetShare, AssetStatus
from tandem.content.schemas import FeedbackIn, Refusal, ShareIn, ShareLink, ShareResult
from tandem.content.service import ContentError, NotAllowed, NotFound, get_asset
from tandem.db import utcnow
from tandem.opportunities.models import Opportunity
from tandem.settings import Settings

VIEW = "content_view"
UNSUBSCRIBE = "email_unsubscribe"
MAX_RECIPIENTS = 200


class ShareRefused(ContentError):
    """The whole share is refused (archived or draft asset, no recipients)."""


def link_base(settings: Settings) -> str:
    return (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")


def _unsubscribed(db_session: Session, contact_ids: list[int]) -> set[int]:
    """Contacts whose last email preference is an unsubscribe (an `email_unsubscribe`
    activity; any later resubscribe activity type would be read here too)."""
    if not contact_ids:
        return set()
    query = select(Activity.contact_id).where(
        Activity.contact_id.in_(contact_ids), Activity.type == UNSUBSCRIBE
    )
    return set(db_session.scalars(query.distinct()))


def share(
    db_session: Session,
    *,
    asset_id: int,
    request: ShareIn,
    by: User,
    settings: Settings,
    now: datetime | None = None,
    base_url: str | None = None,
) -> ShareResult:
    """One share action: a personal link per recipient the rep may reach. Refused for an
    archived or draft asset; an expired one is shared with a warning. A recipient who
    unsubscribed, is unknown or is not the rep's to contact is refused with the reason."""
    now = now or utcnow()
    asset = get_asset(db_session, asset_id)
    if asset.status == AssetStatus.ARCHIVED:
        raise ShareRefused("the asset is archived: it can no longer be shared")
    if asset.status == AssetStatus.DRAFT:
        raise ShareRefused("the asset is a draft: publish it (status live) before sharing")
    if not (asset.url or asset.file_name):
        raise ShareRefused("the asset has neither a URL nor a stored file to open")
    warnings = []
    if asset.expires_on and asset.expires_on < now.date():
        warnings.append(f"the asset expired on {asset.expires_on.isoformat()}: check it is "
                        "still right before the buyer reads it")  # fmt: skip
    recipients = len(request.contact_ids) + len(request.emails)
    if recipients == 0:
        raise ShareRefused("name at least one recipient")
    if recipients > MAX_RECIPIENTS:
        raise ShareRefused(f"at most {MAX_RECIPIENTS} recipients per share")
    if request.deal_id is not None:
        if db_session.get(Opportunity, request.deal_id) is None:
            raise NotFound(f"no deal {request.deal_id}")
        if not may_read(db_session, by, "opportunity", request.deal_id, settings):
            raise NotAllowed("the deal is not yours")
    refused: list[Refusal] = []
    wanted: dict[int, str] = {}
    if request.contact_ids:
        found = dict(
            db_session.execute(
                select(Contact.id, Contact.email).where(Contact.id.in_(request.contact_ids))
            ).all()
        )
        for cid in request.contact_ids:
            if cid in found:
                wanted[cid] = found[cid]
            else:
                refused.append(Refusal(recipient=f"contact {cid}", reason="no such contact"))
    if request.emails:
        lowered = {e.strip().lower(): e.strip() for e in request.emails if e.strip()}
        found_by_mail = dict(
            db_session.execute(
                select(func.lower(Contact.email), Contact.id).where(
                    func.lower(Contact.email).in_(list(lowered))
                )
            ).all()
        )
        for low, shown in lowered.items():
            if low in found_by_mail:
                wanted[found_by_mail[low]] = shown
            else:
                refused.append(Refusal(recipient=shown, reason="no contact has this email"))
    gone = _unsubscribed(db_session, list(wanted))
    batch = secrets.token_hex(8)
    made: list[ShareLink] = []
    base = (settings.public_url or base_url or link_base(settings)).rstrip("/")
    for cid, email in wanted.items():
        if cid in gone:
            refused.append(Refusal(recipient=email, reason="unsubscribed from email: not sent"))
            continue
        if not may_read(db_session, by, "contact", cid, settings):
            refused.append(Refusal(recipient=email, reason="not your contact: ask their owner"))
            continue
        token = links.new_token()
        row = AssetShare(asset_id=asset.id, user_id=by.id, contact_id=cid,
                         deal_id=request.deal_id, batch=batch, token_hash=links.token_hash(token),
                         note=request.note, created_at=now)  # fmt: skip
        db_session.add(row)
        db_session.flush()
        made.append(ShareLink(contact_id=cid, email=email, share_id=row.id,
                              url=f"{base}/c/{token}"))  # fmt: skip
    return ShareResult(asset_id=asset.id, batch=batch if made else None, links=made,
                       refused=refused, warnings=warnings)  # fmt: skip


# --- opening a link -------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    """What a link open leads to: `outcome` is redirect, file, archived or unknown."""

    outcome: str
    asset_id: int | None = None
    url: str | None = None
    file_name: str | None = None
    title: str | None = None
    recorded: bool = False
    forwarded: bool = False
    notify: dict[str, Any] | None = None  # email to the sharer, sent after the response
    tag: str | None = None  # the browser's tag to keep in its cookie


# Built once: a link open runs these three reads on every request (tests/content bench).
_SHARE = (
    select(AssetShare.id, AssetShare.asset_id, AssetShare.contact_id, AssetShare.user_id,
           Asset.status, Asset.url, Asset.file_name, Asset.title)
    .join(Asset, Asset.id == AssetShare.asset_id)
    .where(AssetShare.token_hash == bindparam("token_hash"))
)  # fmt: skip
# The share's first view (its key names the browser): a contact's few activities, by index.
_FIRST_VIEW = (
    select(Activity.idempotency_key)
    .where(Activity.contact_id == bindparam("contact_id"), Activity.type == VIEW,
           Activity.asset_id == bindparam("asset_id"),
           Activity.idempotency_key.like(bindparam("prefix")))  # digits and ':': no wildcard
    .order_by(Activity.occurred_at, Activity.id)
    .limit(1)
)  # fmt: skip
_NAME = select(Contact.first_name, Contact.last_name, Contact.email).where(
    Contact.id == bindparam("contact_id")
)
_SHARER_EMAIL = select(User.email).where(User.id == bindparam("user_id"))


def open_link(
    db_session: Session,
    *,
    token: str,
    visitor: str,
    tag: str | None,
    now: datetime,
    settings: Settings,
) -> Opened:
    """Record one open of a personal link and say where it leads. A token Tandem did not
    issue (tampered, truncated, guessed) records nothing and says only `unknown`."""
    if not links.well_formed(token):
        return Opened("unknown")
    found = db_session.execute(_SHARE, {"token_hash": links.token_hash(token)}).first()
    if found is None:
        return Opened("unknown")
    share_id, asset_id, contact_id, sharer_id, status, url, file_name, title = found
    if status == AssetStatus.ARCHIVED:
        return Opened("archived", title=title)
    prefix = links.view_prefix(share_id) + "%"
    first = db_session.scalar(
        _FIRST_VIEW, {"contact_id": contact_id, "asset_id": asset_id, "prefix": prefix}
    )
    recipient_tag = links.browser_tag(settings.secret_key.get_secret_value(), contact_id)
    forwarded = links.forwarded(first, visitor, tag, recipient_tag)
    key = links.view_key(share_id, visitor, now)
    row = {
        "idempotency_key": key, "contact_id": contact_id, "type": VIEW, "occurred_at": now,
        "received_at": now, "campaign_id": None, "asset_id": asset_id, "channel": None,
        "url": url, "source_id": None,
        "properties": {"share_id": share_id, "seconds": None, "pages": None,
                       "forwarded": forwarded, "visitor": visitor},
    }  # fmt: skip
    recorded = _store_view(db_session, row, now)
    notify = None
    if recorded and sharer_id is not None and (first is None or forwarded):
        notify = _notify_sharer(db_session, share_id=share_id, sharer_id=sharer_id,
                                contact_id=contact_id, title=title, forwarded=forwarded,
                                visitor=visitor, now=now, settings=settings)  # fmt: skip
    outcome = "redirect" if url else "file"
    return Opened(outcome, asset_id=asset_id, url=url, file_name=file_name, title=title,
                  recorded=recorded, forwarded=forwarded, notify=notify,
                  tag=tag or recipient_tag)  # fmt: skip


def _store_view(db_session: Session, row: dict[str, Any], now: datetime) -> bool:
    """Through the activity write path: stored once per key, `ActivitiesStored` published."""
    from tandem.ingest.store import Context, insert_new_activities

    connection = db_session.connection()
    stored = insert_new_activities(connection, [row])
    Context(connection, now, "content:link", session=db_session).announce(list(stored.values()))
    return bool(stored)


def _notify_sharer(
    db_session: Session,
    *,
    share_id: int,
    sharer_id: int,
    contact_id: int,
    title: str,
    forwarded: bool,
    visitor: str,
    now: datetime,
    settings: Settings,
) -> dict[str, Any] | None:
    """An inbox entry for the sharer on the recipient's first open and on each new browser a
    forwarded link is opened from; the email (when SMTP is set) goes after the response."""
    from tandem.handoff.notify import add_notifications, notification

    who = db_session.execute(_NAME, {"contact_id": contact_id}).one()
    name = " ".join(p for p in who[:2] if p) or who[2]
    if forwarded:
        subject = f"\u201c{title}\u201d you sent {name} was opened by someone else (forwarded)"
        key = f"content_view:{share_id}:{visitor}"
    else:
        subject = f"{name} opened \u201c{title}\u201d"
        key = f"content_view:{share_id}"
    body = f"{subject}, at {now:%Y-%m-%d %H:%M} UTC.\n{link_base(settings)}/contacts/{contact_id}"
    landed = add_notifications(db_session, [notification(
        user_id=sharer_id, kind="content_view", subject=subject, body=body, at=now,
        contact_id=contact_id, key=key)])  # fmt: skip
    if not landed or not settings.smtp_host:
        return None
    to = db_session.scalar(_SHARER_EMAIL, {"user_id": sharer_id})
    return {"to": to, "subject": subject, "body": body}


def send_notice(settings: Settings, notice: dict[str, Any]) -> None:
    """Email the sharer (run after the link's response; a failure is only logged)."""
    import logging

    from tandem import mail

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = settings.smtp_from, notice["to"], notice["subject"]
    msg.set_content(notice["body"])
    try:
        mail.send(settings, msg, timeout=10)
    except Exception:  # the view is stored; the inbox entry stays
        logging.getLogger("tandem.content").exception("content view email failed")


# --- feedback -------------------------------------------------------------------------------


def rate(db_session: Session, *, asset_id: int, by: User, feedback: FeedbackIn) -> AssetFeedback:
    """The rep's rating and comment; rating again replaces their earlier one."""
    get_asset(db_session, asset_id)
    row = db_session.scalar(
        select(AssetFeedback).where(
            AssetFeedback.asset_id == asset_id, AssetFeedback.user_id == by.id
        )
    )
    if row is None:
        row = AssetFeedback(asset_id=asset_id, user_id=by.id)
        db_session.add(row)
    row.rating, row.comment = feedback.rating, feedback.comment
    row.updated_at = utcnow()
    db_session.flush()
    return row


def use_in_deal(
    db_session: Session, *, asset_id: int, deal_id: int, by: User, settings: Settings
) -> bool:
    """Mark the asset used in the deal (True when newly marked; once per asset and deal)."""
    get_asset(db_session, asset_id)
    if db_session.get(Opportunity, deal_id) is None:
        raise NotFound(f"no deal {deal_id}")
    if not may_read(db_session, by, "opportunity", deal_id, settings):
        raise NotAllowed("the deal is not yours")
    there = db_session.scalar(
        select(exists().where(AssetDealUse.asset_id == asset_id, AssetDealUse.deal_id == deal_id))
    )
    if there:
        return False
    db_session.add(AssetDealUse(asset_id=asset_id, deal_id=deal_id, user_id=by.id))
    db_session.flush()
    return True
