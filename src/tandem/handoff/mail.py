"""Email for inbox notifications: one message each, or one digest per user every N hours.

A notification is claimed (its `emailed_at` set where still empty) before it is sent, so two
workers never send the same one; a failed send releases the claim and records the error.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from collections import defaultdict
from collections.abc import Callable
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tandem import mail
from tandem.auth.models import User
from tandem.auth.permissions import visible_owner_ids
from tandem.contacts.service import ContactNotFound
from tandem.handoff.models import Notification, RepSetting
from tandem.handoff.notify import Kind
from tandem.handoff.packet import build_packet, packet_text
from tandem.handoff.runtime import HandoffConfig
from tandem.handoff.scores import ScoreProvider, table_scores
from tandem.settings import Settings

MAX_PER_TICK = 500  # bound one tick's time; the rest goes out on the next
_PACKET_KINDS = (Kind.NEW_LEAD, Kind.SLA_REMINDER)


class Mailer(Protocol):
    """Sends one plain-text email."""

    def send(self, to: str, subject: str, text: str) -> None:
        """Send or raise."""


class SmtpMailer:
    """Sends through the SMTP server named in the settings (TANDEM_SMTP_*)."""

    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host:
            raise ValueError("TANDEM_SMTP_HOST is not set")
        self.settings = settings

    def send(self, to: str, subject: str, text: str) -> None:
        """Send one message; raises smtplib/OS errors for the caller to record."""
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.settings.smtp_from, to, subject
        msg.set_content(text)
        mail.send(self.settings, msg, timeout=10)


def mailer_for(settings: Settings) -> Mailer | None:
    """The configured mailer, or None when email is off (no TANDEM_SMTP_HOST)."""
    return SmtpMailer(settings) if settings.smtp_host else None


def link_base(settings: Settings) -> str:
    """Where links in emails point."""
    return (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")


def deliver(
    db_session: Session,
    config: HandoffConfig,
    mailer: Mailer,
    *,
    as_of: dt.datetime,
    digest_hours: int,
    base_url: str,
    scores: ScoreProvider = table_scores,
    settings: Settings | None = None,
) -> tuple[int, int]:
    """Email pending notifications; returns (single emails sent, digests sent). A packet in an
    email lists only what its recipient may open (the reps' visibility `settings`; defaults
    when not given).

    The first failed send ends this round (the server is likely down); the notifications stay
    pending, with the error recorded, and the next tick tries again.
    """
    pending = db_session.execute(
        select(Notification, User.email, RepSetting.email_mode, RepSetting.last_digest_at)
        .join(User, Notification.user_id == User.id)
        .outerjoin(RepSetting, RepSetting.user_id == User.id)
        .where(Notification.emailed_at.is_(None))
        .order_by(Notification.id)
        .limit(MAX_PER_TICK)
    ).all()
    singles, digests = 0, 0
    batches: dict[int, list[Notification]] = defaultdict(list)
    addresses: dict[int, str] = {}
    for note, email, mode, last_digest in pending:
        addresses[note.user_id] = email
        if mode == "digest":
            if last_digest is None or as_of - last_digest >= dt.timedelta(hours=digest_hours):
                batches[note.user_id].append(note)
        elif mode != "off":
            render = _single(db_session, config, as_of, base_url, scores, settings)
            sent = _send(db_session, mailer, [note], email, note.subject, render, as_of)
            if sent is None:
                return singles, digests
            singles += sent
    for user_id, notes in batches.items():
        subject = f"Tandem digest: {len(notes)} handoff notification(s)"
        sent = _send(
            db_session, mailer, notes, addresses[user_id], subject, _digest(base_url), as_of
        )
        if sent is None:
            break
        if sent:
            digests += 1
            setting = db_session.get(RepSetting, user_id) or RepSetting(user_id=user_id)
            setting.last_digest_at = as_of
            db_session.add(setting)
    db_session.flush()
    return singles, digests


Render = Callable[[list[Notification]], str]


def _link(base_url: str, note: Notification) -> str:
    if note.contact_id:
        return f"{base_url}/handoff/leads/{note.contact_id}"
    return f"{base_url}/handoff/inbox"


def _digest(base_url: str) -> Render:
    def render(notes: list[Notification]) -> str:
        return "\n".join(f"* {n.subject}\n  {n.body}\n  {_link(base_url, n)}\n" for n in notes)

    return render


def _single(
    db: Session,
    config: HandoffConfig,
    as_of: dt.datetime,
    base_url: str,
    scores: ScoreProvider,
    settings: Settings | None,
) -> Render:
    """One notification's email; lead notifications carry the handoff packet, holding only
    what the recipient may open."""
    rules = settings or Settings.model_construct()  # the defaults, read from no environment

    def render(notes: list[Notification]) -> str:
        (note,) = notes
        if note.kind in _PACKET_KINDS and note.contact_id:
            try:
                recipient = db.get(User, note.user_id)
                packet = build_packet(
                    db_session=db,
                    config=config,
                    contact_id=note.contact_id,
                    as_of=as_of,
                    scores=scores,
                    visible_to=visible_owner_ids(recipient, rules) if recipient else None,
                )
            except ContactNotFound:
                pass
            else:
                return f"{note.body}\n\n" + packet_text(packet, _link(base_url, note))
        return f"{note.body}\n\n{_link(base_url, note)}\n"

    return render


def _send(
    db: Session,
    mailer: Mailer,
    notes: list[Notification],
    to: str,
    subject: str,
    render: Render,
    as_of: dt.datetime,
) -> int | None:
    """Claim `notes`, send one message about those claimed; 1 sent, 0 nothing left to send
    (another worker claimed them), None when sending failed (the claim is released)."""
    claimed = set(
        db.execute(
            update(Notification)
            .where(Notification.id.in_([n.id for n in notes]), Notification.emailed_at.is_(None))
            .values(emailed_at=as_of, email_error=None)
            .returning(Notification.id)
        ).scalars()
    )
    mine = [n for n in notes if n.id in claimed]
    if not mine:
        return 0
    try:
        mailer.send(to, subject, render(mine))
    except (OSError, smtplib.SMTPException) as exc:
        db.execute(
            update(Notification)
            .where(Notification.id.in_(claimed))
            .values(emailed_at=None, email_error=f"{type(exc).__name__}: {exc}"[:500])
        )
        return None
    return 1
