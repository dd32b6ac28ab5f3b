"""Subscriptions and the delivery queue: keyword-only functions, `db_session` first, raising
`WebhookError` (never HTTP errors)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tandem.audit import service as audit
from tandem.errors import DomainError, NotFound
from tandem.webhooks.models import Delivery, Subscription
from tandem.webhooks.schemas import DeliveryOut, SubscriptionIn, SubscriptionOut
from tandem.webhooks.topics import parse_topics


class WebhookError(DomainError):
    """A subscription that cannot be stored, or one that is not there."""

    status = 422


class WebhookNotFound(WebhookError, NotFound):
    """No subscription with that id."""

    status = 404


def check_url(url: str) -> str:
    """`url` when it is an absolute http(s) URL with a host, else a `WebhookError` saying why."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(f"url {url[:100]!r} is not an http:// or https:// address with a host")
    if parts.username or parts.password:
        raise WebhookError("url: put no user name or password in the address; use the secret")
    return url.strip()


def _out(row: Subscription, *, secret: bool = False) -> SubscriptionOut:
    return SubscriptionOut(
        id=row.id,
        url=row.url,
        events=row.events.split(),
        description=row.description,
        active=row.active,
        created_at=row.created_at,
        secret=row.secret if secret else None,
    )


def add(
    *, db_session: Session, data: SubscriptionIn, by_user_id: int | None, now: dt.datetime
) -> SubscriptionOut:
    """Store a subscription with a new secret; the answer is the only one that carries it."""
    try:
        topics = parse_topics(data.events)
    except ValueError as exc:
        raise WebhookError(f"events: {exc}") from None
    row = Subscription(
        url=check_url(data.url),
        events=" ".join(topics),
        secret=secrets.token_hex(32),
        description=data.description.strip(),
        created_by=by_user_id,
        created_at=now,
    )
    db_session.add(row)
    db_session.flush()
    audit.record(
        db_session=db_session,
        actor_user_id=by_user_id,
        action="webhook.add",
        entity_type="webhook",
        entity_id=row.id,
        after={"url": row.url, "events": row.events},
    )
    return _out(row, secret=True)


def subscriptions(*, db_session: Session) -> list[SubscriptionOut]:
    """Every subscription, newest first (secrets left out)."""
    rows = db_session.scalars(select(Subscription).order_by(Subscription.id.desc()))
    return [_out(r) for r in rows]


def remove(*, db_session: Session, subscription_id: int, by_user_id: int | None) -> None:
    """Delete a subscription and its delivery log."""
    row = db_session.get(Subscription, subscription_id)
    if row is None:
        raise WebhookNotFound(f"no webhook {subscription_id}")
    audit.record(
        db_session=db_session,
        actor_user_id=by_user_id,
        action="webhook.remove",
        entity_type="webhook",
        entity_id=row.id,
        before={"url": row.url, "events": row.events},
    )
    db_session.delete(row)
    db_session.flush()


def deliveries(
    *, db_session: Session, subscription_id: int | None = None, limit: int = 100
) -> list[DeliveryOut]:
    """The newest deliveries (of one subscription, when given)."""
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if subscription_id is not None:
        if db_session.get(Subscription, subscription_id) is None:
            raise WebhookNotFound(f"no webhook {subscription_id}")
        query = query.where(Delivery.subscription_id == subscription_id)
    return [DeliveryOut.model_validate(d) for d in db_session.scalars(query)]


def enqueue(
    db_session: Session, items: Iterable[tuple[str, dict[str, Any]]], at: dt.datetime
) -> int:
    """Queue one delivery per (event, data) per active subscription asking for that event, in
    the caller's transaction (so a change and its webhooks commit or roll back together)."""
    listeners: dict[str, list[int]] = {}
    for sub_id, events in db_session.execute(
        select(Subscription.id, Subscription.events).where(Subscription.active)
    ):
        for event in events.split():
            listeners.setdefault(event, []).append(sub_id)
    if not listeners:
        return 0  # the usual case: one small query per event, nothing else
    rows = []
    for event, data in items:
        for sub_id in listeners.get(event, ()):
            body = {
                "id": uuid.uuid4().hex,
                "event": event,
                "created_at": at.isoformat(),
                "data": data,
            }
            rows.append(
                {
                    "subscription_id": sub_id,
                    "event": event,
                    "payload": json.dumps(body, separators=(",", ":")),
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": at,
                    "created_at": at,
                }
            )
    for start in range(0, len(rows), 5_000):
        db_session.execute(insert(Delivery), rows[start : start + 5_000])
    return len(rows)
