"""The event API's service: validate a batch, store the good items, say per item whether it was
new, a duplicate, updated, unchanged or rejected (with field and reason)."""

from __future__ import annotations

import json
from datetime import datetime
from json.encoder import encode_basestring  # type: ignore[attr-defined]
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
# SQLite settings of a connection that served the event API: page cache, and WAL pages (4 KB)
# before the committing connection copies them into the database.
API_CACHE_KIB = 65_536
API_CHECKPOINT_PAGES = 10_000
# JSON objects clients may send for a kind's free-form column.
_JSON_KEYS = {"properties": "properties", "custom_fields": "custom", "custom": "custom"}
# The value types the frame path takes (JSON's own: exactly these, never a subclass).
_TEXT = frozenset((str, type(None)))


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

    # The documented answer; `Ingested.json` writes it.

    received: int
    new: int
    updated: int
    unchanged: int
    duplicates: int
    rejected: int
    items: list[ItemResult]


# One item's outcome: (index, status, id, idempotency key, errors as (field, reason, value)).
Outcome = tuple[int, str, int | None, str | None, tuple[tuple[str | None, str, str | None], ...]]
STATUSES = ("new", "updated", "unchanged", "duplicate", "rejected")


class Ingested:
    """What `ingest` answers: counts per outcome and one outcome per item, in request order.
    Kept as tuples and written as JSON directly (`IngestResult` through pydantic cost more than
    storing a batch); `items` gives the documented objects."""

    __slots__ = ("duplicates", "new", "outcomes", "received", "rejected", "unchanged", "updated")

    def __init__(self, received: int, outcomes: list[Outcome]) -> None:
        self.received, self.outcomes = received, outcomes
        count = dict.fromkeys(STATUSES, 0)
        for outcome in outcomes:
            count[outcome[1]] += 1
        self.new, self.updated, self.unchanged = count["new"], count["updated"], count["unchanged"]
        self.duplicates, self.rejected = count["duplicate"], count["rejected"]

    @property
    def items(self) -> list[ItemResult]:
        return [
            ItemResult(
                index=index,
                status=status,
                id=id_,
                idempotency_key=key,
                errors=[FieldError(field=f, reason=r, value=v) for f, r, v in errors],
            )
            for index, status, id_, key, errors in self.outcomes
        ]

    def json(self) -> bytes:
        """The answer as `IngestResult` serialises it (UTF-8, no whitespace)."""
        items = ",".join(
            f'{{"index":{index},"status":{_text(status)},"id":{"null" if id_ is None else id_},'
            f'"idempotency_key":{_text(key)},"errors":{_errors(errors) if errors else "[]"}}}'
            for index, status, id_, key, errors in self.outcomes
        )
        return (
            f'{{"received":{self.received},"new":{self.new},"updated":{self.updated},'
            f'"unchanged":{self.unchanged},"duplicates":{self.duplicates},'
            f'"rejected":{self.rejected},"items":[{items}]}}'
        ).encode()


def _text(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def _errors(errors: tuple[tuple[str | None, str, str | None], ...]) -> str:
    shown = [{"field": f, "reason": r, "value": v} for f, r, v in errors]
    return json.dumps(shown, ensure_ascii=False, separators=(",", ":"))


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
    if not prefix or _JSON_KEYS.keys().isdisjoint(item):
        return item  # nothing to flatten (read only from here on)
    flat = {}
    for key, value in item.items():
        if _JSON_KEYS.get(key) == prefix and isinstance(value, dict):
            flat.update({f"{prefix}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


NOT_AN_OBJECT = ((None, "expected a JSON object", None),)


def ingest(
    *,
    db_session: Session,
    kind: str,
    items: list[Any],
    now: datetime,
    actor: str,
    source_id: int | None = None,
) -> Ingested:
    """Store the valid items of a batch in the session's transaction; report on each item.
    New records get `source_id` (`tandem.contacts.sources`: the API token's source).

    In a batch of at least `FRAME_MIN_ITEMS` activities, those whose values are all text take
    the frame path (validated column by column, written set-based); the others, and smaller
    batches and other kinds, are validated and written item by item.
    An idempotency key repeated in the batch is stored at most once, for its first item."""
    spec = get_kind(kind)
    results: list[Outcome | None] = [None] * len(items)
    flat: dict[int, dict[str, Any]] = {}
    prefix = spec.json_prefix
    for index, item in enumerate(items):
        if isinstance(item, dict):
            flat[index] = _flatten(item, prefix)
        else:
            results[index] = (index, "rejected", None, None, NOT_AN_OBJECT)
    frame = pl.DataFrame()
    rest = list(flat)
    if kind in frames.FAST_KINDS and kind == "activities" and len(flat) >= FRAME_MIN_ITEMS:
        frame, rest = _frame_path(spec, flat)
    valid: list[Item] = []
    for index in rest:
        record, errors = validate_record(spec, flat[index], index)
        if record is None:
            shown = tuple((e.field, e.reason, e.value) for e in errors)
            results[index] = (index, "rejected", None, None, shown)
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
    locked = _write_lock(db_session)  # validated: now the database
    context = Context(db_session.connection(), now, actor, session=db_session, source_id=source_id)
    written: list[Written] = []
    if frame.height:
        if repeated:
            frame = frame.filter(~pl.col(LINE).is_in(list(repeated)))
        outcome = bulkwrite.write_activities(
            context, frame, bulkwrite.ContactIds(), exclusive=locked
        )
        written += outcome.rejected
        for line, status, _ in outcome.status.iter_rows():
            results[line] = (line, status, None, keys.get(line), ())
    rows = [(i, r) for i, r in valid if i not in repeated]
    written += WRITERS[kind](context, rows) if rows else []
    written += [Written(i, "duplicate") for i in repeated]
    shown_id = kind != "activities"
    for w in written:
        errors = ((w.error.field, w.error.reason, None),) if w.error else ()
        results[w.line] = (
            w.line,
            w.status,
            w.id if shown_id else None,
            keys.get(w.line),
            errors,
        )
    return Ingested(len(items), [r for r in results if r is not None])


def _write_lock(db_session: Session) -> bool:
    """SQLite has one writer: take its lock before the batch's first read, so the transaction
    waits for it (busy_timeout) instead of failing at its first insert because another writer
    committed after those reads. `BEGIN IMMEDIATE` when no transaction is open (True: from
    here to the commit nothing else writes, so the frame path may insert with `exclusive`);
    otherwise what is pending (the token's last use) is written first. PostgreSQL: False."""
    connection = db_session.connection()
    if connection.dialect.name != "sqlite":
        return False
    raw = connection.connection.driver_connection
    info = connection.connection.info  # lives as long as the DB-API connection
    if not info.get("tandem_api_pragmas"):
        # A batch dirties pages all over the indexes (random keys): SQLite's default 2 MB
        # page cache re-read them for every request (a fifth of a batch's CPU), and its
        # checkpoint every 1,000 WAL pages (4 MB) ran, with its fsyncs, every other batch.
        raw.execute(f"PRAGMA cache_size = -{API_CACHE_KIB}")
        raw.execute(f"PRAGMA wal_autocheckpoint = {API_CHECKPOINT_PAGES}")
        info["tandem_api_pragmas"] = True
    began = not raw.in_transaction
    if began:
        raw.execute("BEGIN IMMEDIATE")
    db_session.flush()
    return began


def _frame_path(spec: Kind, flat: dict[int, dict[str, Any]]) -> tuple[pl.DataFrame, list[int]]:
    """The items the frame path accepts (`_line` = the item's index), and the other indexes."""
    known: dict[tuple[str, ...], bool] = {}  # items mostly repeat one set of fields
    shapes: dict[tuple[str, ...], None] = {}  # those of the items taken, in order
    text = []
    for index, item in flat.items():
        names = tuple(item)
        ok = known.get(names)
        if ok is None:
            ok = known[names] = bool(names) and all(spec.accepts(k) for k in names)
        if ok and _TEXT.issuperset(map(type, item.values())):
            text.append(index)
            shapes[names] = None
    if not text:
        return pl.DataFrame(), list(flat)
    header = list(dict.fromkeys(k for names in shapes for k in names))
    columns = {
        column(n): pl.Series([flat[i].get(name) for i in text], dtype=pl.String)
        for n, name in enumerate(header)
    }
    frame = pl.DataFrame({**columns, LINE: pl.Series(text, dtype=pl.Int64)})
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
