"""The event API's service: validate a batch item by item, store the good ones, say per item
whether it was new, a duplicate, updated, unchanged or rejected (with field and reason)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from tandem.ingest.fields import get_kind
from tandem.ingest.rows import validate_record
from tandem.ingest.store import WRITERS, Context, Item

MAX_BATCH = 10_000
MAX_BODY_BYTES = 20 * 1024 * 1024
API_KINDS = ("activities", "contacts", "accounts")
# JSON objects clients may send for a kind's free-form column.
_JSON_KEYS = {"properties": "properties", "custom_fields": "custom", "custom": "custom"}


class BatchTooLarge(ValueError):
    """More items than `MAX_BATCH` in one request."""


class FieldError(BaseModel):
    """Why an item (or one field of it) was rejected."""

    field: str | None
    reason: str
    value: str | None = None


class ItemResult(BaseModel):
    """What happened to item `index` of the batch."""

    index: int
    status: str
    id: int | None = None
    idempotency_key: str | None = None
    errors: list[FieldError] = []


class IngestResult(BaseModel):
    """Counts per outcome, then one result per item in request order."""

    received: int
    new: int
    updated: int
    unchanged: int
    duplicates: int
    rejected: int
    items: list[ItemResult]


def batch_items(body: Any, kind: str) -> list[Any]:
    """The items of a request body: one object, a list, or `{"<kind>": [...]}`."""
    if isinstance(body, dict) and isinstance(body.get(kind), list):
        items = body[kind]
    elif isinstance(body, list):
        items = body
    else:
        items = [body]
    if len(items) > MAX_BATCH:
        raise BatchTooLarge(
            f"a batch holds at most {MAX_BATCH:,} {kind}; this one has {len(items):,}: split it"
        )
    return items


def _flatten(item: dict[str, Any], prefix: str | None) -> dict[str, Any]:
    flat = {}
    for key, value in item.items():
        if prefix and _JSON_KEYS.get(key) == prefix and isinstance(value, dict):
            flat.update({f"{prefix}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


def ingest(
    *, db_session: Session, kind: str, items: list[Any], now: datetime, actor: str
) -> IngestResult:
    """Store the valid items of a batch in the session's transaction; report on each item."""
    spec = get_kind(kind)
    results: list[ItemResult | None] = [None] * len(items)
    valid: list[Item] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            error = FieldError(field=None, reason="expected a JSON object")
            results[index] = ItemResult(index=index, status="rejected", errors=[error])
            continue
        record, errors = validate_record(spec, _flatten(item, spec.json_prefix), index)
        if record is None:
            shown = [FieldError(field=e.field, reason=e.reason, value=e.value) for e in errors]
            results[index] = ItemResult(index=index, status="rejected", errors=shown)
        else:
            valid.append((index, record))
    context = Context(db_session.connection(), now, actor)
    for (index, record), written in zip(valid, WRITERS[kind](context, valid), strict=True):
        errors = (
            [FieldError(field=written.error.field, reason=written.error.reason)]
            if written.error
            else []
        )
        status = "duplicate" if written.status == "duplicate" else written.status
        results[index] = ItemResult(
            index=index,
            status=status,
            id=written.id,
            idempotency_key=record.get("idempotency_key"),
            errors=errors,
        )
    done = [r for r in results if r is not None]
    count = {
        s: sum(r.status == s for r in done)
        for s in ("new", "updated", "unchanged", "duplicate", "rejected")
    }
    return IngestResult(
        received=len(items),
        new=count["new"],
        updated=count["updated"],
        unchanged=count["unchanged"],
        duplicates=count["duplicate"],
        rejected=count["rejected"],
        items=done,
    )
