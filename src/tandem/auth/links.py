"""The emails carrying one-time links (invitation, password reset), sent through
`tandem.mail`. When mail cannot be sent the admin is shown the link to pass on by hand."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from tandem import mail
from tandem.auth.models import User
from tandem.settings import Settings

#: How long each kind of link works (hours).
HOURS = {"invite": 72, "reset": 2}
SUBJECTS = {
    "invite": "You are invited to Tandem",
    "reset": "Reset your Tandem password",
}


def link_url(settings: Settings, base_url: str, token: str) -> str:
    """The address of the set-password page for `token` (the public URL when one is set)."""
    return f"{(settings.public_url or base_url).rstrip('/')}/password/{token}"


def message(settings: Settings, user: User, purpose: str, url: str, hours: int) -> EmailMessage:
    """The email for `user` with the link to follow."""
    msg = EmailMessage()
    msg["Subject"] = SUBJECTS[purpose]
    msg["From"] = settings.smtp_from
    msg["To"] = user.email
    opening = (
        f"You have been invited to Tandem as a {user.role.replace('_', ' ')}."
        if purpose == "invite"
        else "A password reset was asked for your Tandem account."
    )
    msg.set_content(
        f"Hello {user.name},\n\n{opening}\nChoose your password here (the link works once, "
        f"for {hours} hours):\n\n{url}\n\nSign in with your email, {user.email}.\n"
    )
    return msg


def deliver(settings: Settings, msg: EmailMessage) -> str | None:
    """Send `msg`; None when sent, else why not (for the admin to read, beside the link)."""
    try:
        mail.send(settings, msg, timeout=10)
    except mail.MailNotConfigured as exc:
        return str(exc)
    except (smtplib.SMTPException, OSError) as exc:
        return f"the mail server refused or could not be reached: {exc}"
    return None


def send(settings: Settings, base_url: str, user: User, purpose: str, token: str) -> dict:
    """Email `user` the link of `token`: who, why, and, when it could not be sent, the reason
    and the link itself (for the admin to pass on by hand)."""
    url = link_url(settings, base_url, token)
    hours = HOURS[purpose]
    failed = deliver(settings, message(settings, user, purpose, url, hours))
    return {
        "email": user.email,
        "purpose": purpose,
        "mail_error": failed,
        "link": url if failed else None,
    }
