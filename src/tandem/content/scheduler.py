"""Expired assets told to their owner: a background task inside `tandem serve` (when the
scheduler setting TANDEM_SLA_SCHEDULER is on, as for the SLA ticks) checking once an hour;
`tandem content expired` does the same from cron. Each owner hears once per expiry date."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import FastAPI

from tandem.db import session_scope, utcnow
from tandem.settings import Settings
from tandem.web.background import run_while_up

log = logging.getLogger("tandem.content.scheduler")
EVERY_SECONDS = 3600


def mail_sender(settings: Settings) -> Any:
    """`send(to, subject, text)` through the SMTP settings, or None when mail is off."""
    if not settings.smtp_host:
        return None
    from email.message import EmailMessage

    from tandem import mail

    def send(to: str, subject: str, text: str) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = settings.smtp_from, to, subject
        msg.set_content(text)
        mail.send(settings, msg, timeout=10)

    return send


def check_once(settings: Settings, session_factory: Any) -> dict[str, int]:
    from tandem.content.purge import notify_expired
    from tandem.content.shares import link_base

    with session_scope(session_factory) as db:
        return notify_expired(db, as_of=utcnow(), send=mail_sender(settings),
                              base_url=link_base(settings))  # fmt: skip


async def _loop(app: FastAPI) -> None:
    while True:
        try:
            told = await asyncio.to_thread(
                check_once, app.state.settings, app.state.session_factory
            )
            if told["owners"]:
                log.info("expired assets told: %s", told)
        except Exception:  # keep the loop alive; the next hour retries
            log.exception("expired asset check failed")
        await asyncio.sleep(EVERY_SECONDS)


def install(app: FastAPI) -> None:
    """Run the hourly check inside the app's lifespan (not under tests)."""
    run_while_up(app, _loop, when="sla_scheduler")
