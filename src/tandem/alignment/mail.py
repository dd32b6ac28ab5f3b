"""Survey invitations and reminders by email, each with its personal one-time link."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage

from sqlalchemy.orm import Session

from tandem import mail
from tandem.alignment import service
from tandem.alignment.models import SurveyInvitation, SurveyWave
from tandem.settings import Settings


@dataclass
class Sent:
    sent: int = 0
    failed: list[str] = field(default_factory=list)  # addresses not delivered (the operator's)


def link(settings: Settings, token: str) -> str:
    base = (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    return f"{base}/survey/{token}"


def message(
    settings: Settings,
    wave: SurveyWave,
    title: str,
    invitation: SurveyInvitation,
    token: str,
    *,
    reminder: bool,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = invitation.email
    msg["Subject"] = f"{'Reminder: ' if reminder else ''}{title} ({wave.name})"
    msg.set_content(
        "\n".join(
            [
                "Hello,",
                "",
                f"{'A reminder: we' if reminder else 'We'} would value your answers to a short "
                "survey on how marketing and sales work together.",
                "",
                f"Your personal link (it works once): {link(settings, token)}",
                "",
                f"Answers are anonymous: reports show only groups of at least {wave.min_group} "
                "people, never who said what.",
                *(["", "This link replaces the one we sent before."] if reminder else []),
            ]
        )
    )
    return msg


def deliver(
    *,
    db_session: Session,
    settings: Settings,
    wave: SurveyWave,
    made: Sequence[tuple[SurveyInvitation, str]],
    at: dt.datetime,
    reminder: bool = False,
) -> Sent:
    """Send each invitation; one not delivered is removed again (a first invitation) so a later
    `send` retries it, and its address is reported."""
    _, inst = service.instrument_of(db_session=db_session, wave=wave)
    out = Sent()
    for invitation, token in made:
        try:
            mail.send(
                settings, message(settings, wave, inst.title, invitation, token, reminder=reminder)
            )
        except mail.MailNotConfigured:
            raise
        except (OSError, mail.smtplib.SMTPException):
            out.failed.append(invitation.email)
            if not reminder:
                db_session.delete(invitation)
            continue
        if reminder:
            invitation.reminded_at = at
        else:
            invitation.sent_at = at
        out.sent += 1
    db_session.flush()
    return out
