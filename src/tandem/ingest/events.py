"""The event API's service: validate a batch, store the good items, say per item whether it was
new, a duplicate, updated, unchanged or rejected (with field and reason)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
from pydantic import BaseModel
from sqlalchemy.orm import Session

from tandem.ingest import bulkwrite, frames
from tandem.ingest.chunks import LINE, column
from tandem.ingest.fields import Kind, get_kind
from tandem.ingest.mapping import Mapping
from tandem.ingest.rows import ColumnPlan, validate_record
from tandem.ingest.store import WRITERS, Context, Item, Written

MAX_BATCH = 10_000
# Below this many items a batch is validated item by item: the frame path's fixed cost (some
# sixty Polars queries) is worth it only for many items.
FRAME_MIN_ITEMS = 200
API_KINDS = ("activities", "contacts", "accounts")
# JSON objects clients may send for a kind's free-form column.
_JSON_KEYS = {"properties": "properties", "custom_fields": "custom", "custom": "custom"}
_TEXT = (str, type(None))  # `str | None` would build a union object per value


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
    """Store the valid items of a batch in the session's transaction; report on each item.

    In a batch of at least `FRAME_MIN_ITEMS` activities, those whose values are all text take
    the frame path (validated column by column, written set-based); the others, and smaller
    batches and other kinds, are validated and written item by item.
    An idempotency key repeated in the batch is stored at most once, for its first item."""
    spec = get_kind(kind)
    if db_session.get_bind().dialect.name == "sqlite":
        # Write what is pending (the token's last use) before reading anything: the
        # transaction then holds SQLite's write lock, or waits for it (busy_timeout), instead
        # of failing at its first insert because another writer committed after its reads.
        db_session.flush()
    results: list[ItemResult | None] = [None] * len(items)
    flat: dict[int, dict[str, Any]] = {}
    for index, item in enumerate(items):
        if isinstance(item, dict):
            flat[index] = _flatten(item, spec.json_prefix)
        else:
            error = FieldError(field=None, reason="expected a JSON object")
            results[index] = ItemResult(index=index, status="rejected", errors=[error])
    frame = pl.DataFrame()
    rest = list(flat)
    if kind in frames.FAST_KINDS and kind == "activities" and len(flat) >= FRAME_MIN_ITEMS:
        frame, rest = _frame_path(spec, flat)
    valid: list[Item] = []
    for index in rest:
        record, errors = validate_record(spec, flat[index], index)
        if record is None:
            shown = [FieldError(field=e.field, reason=e.reason, value=e.value) for e in errors]
            results[index] = ItemResult(index=index, status="rejected", errors=shown)
        else:
            valid.append((index, record))
    keys: dict[int, str | None] = {i: r.get("idempotency_key") for i, r in valid}
    if frame.height:
        keys.update(frame.select(LINE, "idempotency_key").iter_rows())
    first: dict[str, int] = {}
    for index in sorted(keys):
        if keys[index] is not None:
            first.setdefault(keys[index], index)  # type: ignore[index]
    repeated = {i for i, k in keys.items() if k is not None and first[k] != i}
    context = Context(db_session.connection(), now, actor, session=db_session)
    written: list[Written] = []
    if frame.height:
        frame = frame.filter(~pl.col(LINE).is_in(list(repeated)))
        outcome = bulkwrite.write_activities(
            context, frame, bulkwrite.ContactIds(), exclusive=False
        )
        written += outcome.rejected
        written += [Written(line, status) for line, status, _ in outcome.status.iter_rows()]
    rows = [(i, r) for i, r in valid if i not in repeated]
    written += WRITERS[kind](context, rows) if rows else []
    written += [Written(i, "duplicate") for i in repeated]
    for w in written:
        errors = [FieldError(field=w.error.field, reason=w.error.reason)] if w.error else []
        results[w.line] = ItemResult(
            index=w.line,
            status=w.status,
            id=w.id if kind != "activities" else None,
            idempotency_key=keys.get(w.line),
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


def _frame_path(spec: Kind, flat: dict[int, dict[str, Any]]) -> tuple[pl.DataFrame, list[int]]:
    """The items the frame path accepts (`_line` = the item's index), and the other indexes."""
    text = [
        i
        for i, item in flat.items()
        if item and all(isinstance(v, _TEXT) and spec.accepts(k) for k, v in item.items())
    ]
    if not text:
        return pl.DataFrame(), list(flat)
    header = list(dict.fromkeys(k for i in text for k in flat[i]))
    columns = {
        column(n): pl.Series([flat[i].get(name) for i in text], dtype=pl.String)
        for n, name in enumerate(header)
    }
    frame = pl.DataFrame(columns).with_columns(pl.Series(LINE, text, dtype=pl.Int64))
    plan = ColumnPlan(
        header=tuple(header),
        sources={name: (n,) for n, name in enumerate(header)},
        unknown=(),
        internal={},
        missing=(),
        duplicates=(),
    )
    mapped = frames.FrameMapper(spec, Mapping(), plan, strict=True)(frame)
    taken = set(mapped.frame[LINE].to_list())
    return mapped.frame, [i for i in flat if i not in taken]
