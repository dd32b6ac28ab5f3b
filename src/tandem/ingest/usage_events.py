"""The usage event API's service (`POST /api/v1/usage/events`): account-level and user-level
usage in one batch, each event stored once per `event_key`.

An event naming a user (`contact_email`, `contact_external_id` or `contact_id`) is a
`user_usage` fact, any other a `usage` fact of the account; both are validated and written as
the CSV imports of those kinds are (the same fields, bounds and quarantine reasons). An event
key already stored is a duplicate and changes nothing, whatever its value: a client retrying
a batch cannot apply an event twice. A key repeated within the batch is stored for its first
item only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.ingest import events
from tandem.ingest.fields import get_kind
from tandem.ingest.rows import validate_record
from tandem.ingest.store import WRITERS, Context, Item, Written
from tandem.ingest.upsert import IN_BATCH
from tandem.sql import dialect_insert
from tandem.usage.models import UsageEventKey

KEY_LENGTH = 200
USER_FIELDS = ("contact_email", "contact_external_id", "contact_id")
STORED = ("new", "updated", "unchanged")
_KEYS = UsageEventKey.__table__


def _key_error(key: Any) -> str | None:
    if not isinstance(key, str) or not key.strip():
        return "required: a text key naming the event (the same event sent again: the same key)"
    if len(key) > KEY_LENGTH:
        return f"at most {KEY_LENGTH} characters"
    return None


def level_of(item: dict[str, Any]) -> str:
    """`user` for an event naming a user, `account` otherwise."""
    return "user" if any(item.get(name) is not None for name in USER_FIELDS) else "account"


def _rejected(index: int, key: str | None, errors: list[tuple[str | None, str, str | None]]):
    return (index, "rejected", None, key, tuple(errors))


def _known(db_session: Session, keys: list[str]) -> dict[str, int | None]:
    """The event keys already stored, with their fact's id."""
    found: dict[str, int | None] = {}
    for at in range(0, len(keys), IN_BATCH):
        query = select(_KEYS.c.event_key, _KEYS.c.fact_id).where(
            _KEYS.c.event_key.in_(keys[at : at + IN_BATCH])
        )
        found.update((key, id_) for key, id_ in db_session.execute(query))
    return found


def ingest(
    *,
    db_session: Session,
    items: list[Any],
    now: datetime,
    actor: str,
    source_id: int | None = None,
) -> events.Ingested:
    """Store the valid events of a batch in the session's transaction; one outcome per item
    (index, status, the fact's id, the event key, errors naming field and reason)."""
    results: list[events.Outcome | None] = [None] * len(items)
    valid: dict[str, list[Item]] = {"account": [], "user": []}
    keys: dict[int, str] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            results[index] = (index, "rejected", None, None, events.NOT_AN_OBJECT)
            continue
        key = item.get("event_key")
        if (why := _key_error(key)) is not None:
            shown = None if key is None else str(key)[:100]
            results[index] = _rejected(index, None, [("event_key", why, shown)])
            continue
        level = level_of(item)
        fields = {k: v for k, v in item.items() if k != "event_key"}
        spec = get_kind("user_usage" if level == "user" else "usage")
        record, errors = validate_record(spec, fields, index)
        if record is None:
            results[index] = _rejected(index, key, [(e.field, e.reason, e.value) for e in errors])
            continue
        keys[index] = key
        valid[level].append((index, record))
    first: dict[str, int] = {}
    for index in sorted(keys):
        first.setdefault(keys[index], index)
    events._write_lock(db_session)  # validated: now the database
    known = _known(db_session, sorted(set(keys.values())))
    for index, key in keys.items():
        if key in known or first[key] != index:
            results[index] = (index, "duplicate", known.get(key), key, ())
    context = Context(db_session.connection(), now, actor, session=db_session, source_id=source_id)
    stored_keys = []
    for level, kind in (("account", "usage"), ("user", "user_usage")):
        rows = [(i, r) for i, r in valid[level] if results[i] is None]
        written: list[Written] = WRITERS[kind](context, rows) if rows else []
        for w in written:
            errors = ((w.error.field, w.error.reason, None),) if w.error else ()
            results[w.line] = (w.line, w.status, w.id, keys[w.line], errors)
            if w.status in STORED:
                stored_keys.append(
                    {"event_key": keys[w.line], "level": level, "fact_id": w.id, "received_at": now}
                )
    if stored_keys:  # a concurrent request with the same key: its row stands, no error
        db_session.execute(dialect_insert(db_session, _KEYS).on_conflict_do_nothing(), stored_keys)
    return events.Ingested(len(items), [r for r in results if r is not None])
