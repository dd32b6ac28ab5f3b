"""Reading the audit log: filters, pages and the CSV export (reads only; nothing here writes)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from tandem.audit.models import AuditEvent
from tandem.audit.schemas import AuditFilters, AuditPage, AuditRow
from tandem.auth.models import User
from tandem.csv_export import to_csv
from tandem.ids import as_id

#: Most events one CSV export holds (docs/security.md): narrow the filters for more.
MAX_EXPORT_ROWS = 100_000

CSV_HEADER = (
    "id",
    "occurred_at",
    "actor_user_id",
    "actor",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
)


def _query(filters: AuditFilters) -> Select[tuple[AuditEvent, str | None]]:
    query = select(AuditEvent, User.email).outerjoin(User, User.id == AuditEvent.actor_user_id)
    if filters.actor:
        actor = filters.actor.strip()
        if (actor_id := as_id(actor)) is not None:
            query = query.where(AuditEvent.actor_user_id == actor_id)
        elif actor == "system":
            query = query.where(AuditEvent.actor_user_id.is_(None))
        else:
            query = query.where(func.lower(User.email) == actor.lower())
    if filters.entity_type:
        query = query.where(AuditEvent.entity_type == filters.entity_type)
    if filters.action:
        query = query.where(
            or_(
                AuditEvent.action == filters.action,
                AuditEvent.action.startswith(filters.action + "."),
            )
        )
    if filters.start:
        query = query.where(AuditEvent.occurred_at >= filters.start)
    if filters.end:
        query = query.where(AuditEvent.occurred_at < filters.end)
    return query


def _row(event: AuditEvent, email: str | None) -> AuditRow:
    return AuditRow(
        id=event.id,
        occurred_at=event.occurred_at,
        actor_user_id=event.actor_user_id,
        actor=email,
        action=event.action,
        entity_type=event.entity_type,
        entity_id=event.entity_id,
        before=event.before,
        after=event.after,
    )


def audit_page(
    *, db_session: Session, filters: AuditFilters, page: int = 1, page_size: int = 50
) -> AuditPage:
    """One page of events matching `filters`, newest first."""
    query = _query(filters)
    total = db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, math.ceil(total / page_size))
    page = min(max(page, 1), pages)
    rows = db_session.execute(
        query.order_by(AuditEvent.id.desc()).limit(page_size).offset((page - 1) * page_size)
    ).all()
    distinct = lambda column: list(  # noqa: E731
        db_session.scalars(select(column).distinct().order_by(column))
    )
    return AuditPage(
        filters=filters,
        items=[_row(event, email) for event, email in rows],
        total=total,
        page=page,
        pages=pages,
        entity_types=distinct(AuditEvent.entity_type),
        actions=distinct(AuditEvent.action),
    )


def _cells(row: AuditRow) -> list[object]:
    dump = lambda value: None if value is None else json.dumps(value, sort_keys=True, default=str)  # noqa: E731
    return [
        row.id,
        row.occurred_at.isoformat(),
        row.actor_user_id,
        row.actor,
        row.action,
        row.entity_type,
        row.entity_id,
        dump(row.before),
        dump(row.after),
    ]


def export_size(*, db_session: Session, filters: AuditFilters) -> int:
    """How many events an export of `filters` holds (checked against MAX_EXPORT_ROWS)."""
    return db_session.scalar(select(func.count()).select_from(_query(filters).subquery())) or 0


def audit_csv(
    *, session_factory: Callable[[], Session], filters: AuditFilters, chunk: int = 1000
) -> Iterator[str]:
    """Every matching event as CSV (header first), oldest first, streamed in chunks.

    Each chunk is read with a session of its own, closed before the chunk is sent: nothing is
    held while the client reads, so a stream that is abandoned (and never closed) holds no
    connection. (The request's session is closed before a streamed body is sent; reading with
    it took a pooled connection nothing gave back: issue 21, exports exhausted the pool.)
    Chunks follow the id, so none is read twice or skipped."""
    query = _query(filters).order_by(AuditEvent.id)
    yield to_csv(CSV_HEADER, [])
    last = 0
    while True:
        with session_factory() as db_session:
            rows = db_session.execute(query.where(AuditEvent.id > last).limit(chunk)).all()
            if not rows:
                return
            body = to_csv(CSV_HEADER, [_cells(_row(event, email)) for event, email in rows])
            last = rows[-1][0].id
        yield body.split("\n", 1)[1]


def parse_day(
    raw: str | None, field: str, errors: dict[str, str], *, end: bool = False
) -> datetime | None:
    """A date or date-time from a filter field (UTC when no zone is given); an end date
    alone covers that whole day. A bad value is named in `errors`."""
    if not raw or not raw.strip():
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        errors[field] = f"{raw!r} is not a date (YYYY-MM-DD)"
        return None
    if end and len(raw.strip()) == 10:
        value += timedelta(days=1)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
