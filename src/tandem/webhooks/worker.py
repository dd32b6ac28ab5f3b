"""Sending the queue: claim due deliveries, POST them signed, record the answer, back off.

Three short transactions per batch, none held open across the network: claim (a conditional
UPDATE moves each row's `next_attempt_at` past a lease, so two workers never send the same row
at once), send, record. A delivery is done on any 2xx; anything else (an error status, a
refused connection, a timeout) is retried after `retry.delay_after`, until it has failed
`MAX_ATTEMPTS` times.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tandem import __version__
from tandem.db import session_scope, utcnow
from tandem.web.background import run_while_up
from tandem.webhooks import retry, signing
from tandem.webhooks.models import Delivery, Subscription
from tandem.webhooks.schemas import DeliveryReport

log = logging.getLogger("tandem.webhooks")

#: A claimed row is left alone by other workers this long (longer than one send can take).
LEASE = dt.timedelta(seconds=120)
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Claimed:
    """A delivery taken by this worker, with what sending it needs."""

    id: int
    url: str
    secret: str
    event: str
    payload: str
    attempts: int


#: (url, body, headers) -> (HTTP status or None, error text or None)
Sender = Callable[[str, bytes, dict[str, str]], tuple[int | None, str | None]]


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
    """POST `body` to `url`; the status, or None and why it could not be sent."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            return answer.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code} {exc.reason}"[:500]
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"not sent: {reason}"[:500]


def claim(db_session: Session, *, now: dt.datetime, limit: int = 50) -> list[Claimed]:
    """Take up to `limit` due deliveries (oldest first) for this worker."""
    due = db_session.execute(
        select(
            Delivery.id,
            Delivery.next_attempt_at,
            Subscription.url,
            Subscription.secret,
            Delivery.event,
            Delivery.payload,
            Delivery.attempts,
        )
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    ).all()
    taken = []
    for row in due:
        won = db_session.execute(
            update(Delivery)
            .where(Delivery.id == row.id, Delivery.next_attempt_at == row.next_attempt_at)
            .values(next_attempt_at=now + LEASE)
        ).rowcount  # type: ignore[attr-defined]
        if won:
            taken.append(Claimed(row.id, row.url, row.secret, row.event, row.payload, row.attempts))
    return taken


def headers_for(item: Claimed, *, now: dt.datetime) -> dict[str, str]:
    """The request headers of one attempt, signed at `now`."""
    body = item.payload.encode()
    return {
        "Content-Type": "application/json",
        "User-Agent": f"Tandem-Webhooks/{__version__}",
        "X-Tandem-Event": item.event,
        "X-Tandem-Delivery": str(item.id),
        signing.HEADER: signing.header(item.secret, int(now.timestamp()), body),
    }


def record(
    db_session: Session, item: Claimed, status: int | None, error: str | None, *, now: dt.datetime
) -> str:
    """Store one attempt's outcome; returns the delivery's new status."""
    attempts = item.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_status": status, "last_error": error}
    if status is not None and 200 <= status < 300:
        values.update(status="delivered", delivered_at=now, last_error=None)
    elif (delay := retry.delay_after(attempts)) is None:
        values.update(status="failed")
    else:
        values.update(next_attempt_at=now + dt.timedelta(seconds=delay))
    db_session.execute(update(Delivery).where(Delivery.id == item.id).values(**values))
    return str(values.get("status", "pending"))


def deliver_due(
    session_factory: Callable[[], Session],
    *,
    now: Callable[[], dt.datetime] = utcnow,
    send: Sender = post,
    limit: int = 50,
) -> DeliveryReport:
    """Send one batch of due deliveries; what happened to them."""
    with session_scope(session_factory) as db:
        taken = claim(db, now=now(), limit=limit)
    report = DeliveryReport()
    for item in taken:
        status, error = send(item.url, item.payload.encode(), headers_for(item, now=now()))
        with session_scope(session_factory) as db:
            outcome = record(db, item, status, error, now=now())
        if outcome == "delivered":
            report.delivered += 1
        elif outcome == "failed":
            report.failed += 1
        else:
            report.retrying += 1
    return report


async def _loop(app: FastAPI) -> None:
    while True:
        try:
            report = await asyncio.to_thread(deliver_due, app.state.session_factory)
            if report.delivered or report.retrying or report.failed:
                log.info("webhooks: %s", report.model_dump_json())
        except Exception:  # keep the loop alive; the next round retries
            log.exception("webhook delivery round failed")
        await asyncio.sleep(app.state.settings.webhook_poll_seconds)


def install(app: FastAPI) -> None:
    """Send the queue from inside `tandem serve` (TANDEM_WEBHOOK_WORKER); tests call
    `deliver_due` themselves."""
    run_while_up(app, _loop, when="webhook_worker")
