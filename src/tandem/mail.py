"""The one way Tandem sends email: an `EmailMessage` through the SMTP server the settings name
(TANDEM_SMTP_*: host, port, STARTTLS, login). The handoff's notifications and the weekly review
build their messages; this delivers them."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from email.message import EmailMessage

from tandem.settings import Settings


class MailNotConfigured(RuntimeError):
    """TANDEM_SMTP_HOST is not set."""


def send(
    settings: Settings,
    msg: EmailMessage,
    *,
    recipients: Sequence[str] | None = None,
    timeout: float = 30,
) -> None:
    """Deliver `msg` (to `recipients`, else its To header); raises smtplib/OS errors for the
    caller to record, MailNotConfigured without a host."""
    if not settings.smtp_host:
        raise MailNotConfigured("set TANDEM_SMTP_HOST (and TANDEM_SMTP_PORT) to send email")
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username and settings.smtp_password:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        smtp.send_message(msg, to_addrs=list(recipients) if recipients is not None else None)
