"""The daily stage snapshot inside `tandem serve`: a background task (manifest `tasks`) that,
once an hour, writes today's account stage snapshot if it is not written yet. It runs where
the app's background work is switched on (TANDEM_SLA_SCHEDULER, as the SLA ticks); otherwise
run `tandem accounts stages --snapshot` from cron. Idempotent per day, so several workers only
waste work."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from tandem.db import session_scope, utcnow
from tandem.web.background import run_while_up

log = logging.getLogger("tandem.accounts.scheduler")
EVERY_SECONDS = 3600


def snapshot_if_due(session_factory: Any) -> bool:
    """Write today's snapshot unless it exists; True when written."""
    from tandem.accounts import journey
    from tandem.accounts.models import AccountStageSnapshot

    today = utcnow().date()
    with session_scope(session_factory) as db:
        if db.scalar(
            select(AccountStageSnapshot.day).where(AccountStageSnapshot.day == today).limit(1)
        ):
            return False
        journey.snapshot(db, day=today)
        return True


async def _loop(app: FastAPI) -> None:
    while True:
        try:
            if await asyncio.to_thread(snapshot_if_due, app.state.session_factory):
                log.info("account stage snapshot written")
        except Exception:  # keep the loop alive; the next hour retries
            log.exception("account stage snapshot failed")
        await asyncio.sleep(EVERY_SECONDS)


def install(app: FastAPI) -> None:
    """Run the loop inside the app's lifespan, around whatever lifespan it already has."""
    run_while_up(app, _loop, when="sla_scheduler")
