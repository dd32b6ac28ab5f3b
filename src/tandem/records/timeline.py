"""Notes, tasks, logged calls and meetings on a record's timeline, and a rep's open tasks.

A call or meeting logged on a contact, or on a deal with a primary contact, is also stored as
an activity (`sales_call`, `meeting`) by the person who logged it: the handoff's first-touch
clock stops on it and scoring reads it like any other activity (a model gives it points only
where it has a rule for that type). On an account, or a deal without a contact, there is no one
to credit the touch to, so it stays a timeline entry.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from tandem.activities.models import Activity
from tandem.audit import service as audit
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.errors import Forbidden
from tandem.events import ActivitiesStored, StoredActivity, publish
from tandem.ids import BodyId
from tandem.opportunities.models import Opportunity
from tandem.records import editing
from tandem.records.editing import FieldError
from tandem.records.fields import required, text
from tandem.records.models import ACTIVITY_TYPE, EntryKind, TimelineEntry

RecordKind = Literal["contact", "account", "opportunity"]
COLUMN = {"contact": "contact_id", "account": "account_id", "opportunity": "opportunity_id"}
#: Entries shown on a record's page, newest first (the rest are counted).
SHOWN = 200
FIRST_DAY, LAST_DAY = dt.date(1990, 1, 1), dt.date(2100, 12, 31)
MANAGERS = frozenset({Role.ADMIN, Role.SALES_MANAGER})


class EntryIn(BaseModel):
    """A new note, task, call or meeting. Tasks need a due date and have an owner (the author
    unless named); calls and meetings happened at `occurred_at` (now unless given)."""

    model_config = ConfigDict(extra="forbid")

    kind: EntryKind
    subject: required(200)
    body: text(5000) = None
    occurred_at: dt.datetime | None = None
    due_on: dt.date | None = Field(None, ge=FIRST_DAY, le=LAST_DAY)
    owner_id: BodyId | None = None

    @model_validator(mode="after")
    def _fits_kind(self) -> EntryIn:
        if self.kind is EntryKind.TASK and self.due_on is None:
            raise ValueError("due_on: a task needs a due date")
        if self.kind is not EntryKind.TASK and (self.due_on or self.owner_id):
            raise ValueError("due_on: only a task has a due date and an owner")
        if self.occurred_at is not None and self.occurred_at.tzinfo is None:
            self.occurred_at = self.occurred_at.replace(tzinfo=dt.UTC)
        return self


class TaskDone(BaseModel):
    """Mark a task done (or open again)."""

    model_config = ConfigDict(extra="forbid")

    done: bool = True


class EntryView(BaseModel):
    """One entry as the timeline shows it."""

    id: int
    kind: str
    subject: str
    body: str | None
    author: str | None
    created_at: dt.datetime
    occurred_at: dt.datetime | None
    due_on: dt.date | None
    owner: str | None
    owner_id: int | None
    done_at: dt.datetime | None
    overdue: bool
    activity_id: int | None
    record: str  # e.g. "contact 12": the record the entry is on
    url: str


def _check_time(data: EntryIn, at: dt.datetime) -> dt.datetime | None:
    if data.kind not in ACTIVITY_TYPE:
        if data.occurred_at is not None:
            raise FieldError("occurred_at", "only a call or a meeting happened at a time")
        return None
    when = data.occurred_at or at
    if when > at + dt.timedelta(days=1) or when.year < FIRST_DAY.year:
        raise FieldError("occurred_at", "a logged call or meeting happened in the past")
    return when


def add_entry(
    *,
    db_session: Session,
    record_kind: RecordKind,
    record: object,
    data: EntryIn,
    actor: User,
    at: dt.datetime,
) -> TimelineEntry:
    """Add `data` to the timeline of `record` (the caller checked the actor may open it)."""
    when = _check_time(data, at)
    owner = None
    if data.kind is EntryKind.TASK:
        owner = data.owner_id or actor.id
        if actor.role == Role.SALES_REP and owner != actor.id:
            raise FieldError("owner_id", "a sales rep gives tasks to themselves")
        editing.check_user(db_session, "owner_id", owner)
    entry = TimelineEntry(
        kind=data.kind.value,
        subject=data.subject,
        body=data.body,
        author_id=actor.id,
        created_at=at,
        occurred_at=when,
        due_on=data.due_on,
        owner_id=owner,
        **{COLUMN[record_kind]: record.id},  # type: ignore[attr-defined]
    )
    db_session.add(entry)
    db_session.flush()
    contact_id = _credited_contact(record_kind, record)
    if when is not None and contact_id is not None:
        entry.activity_id = _log_activity(db_session, entry, contact_id, actor, when)
    audit.record(
        db_session=db_session,
        actor_user_id=actor.id,
        action=f"{data.kind.value}.add",
        entity_type=record_kind,
        entity_id=record.id,  # type: ignore[attr-defined]
        after={"entry": entry.id, "subject": entry.subject, "due_on": editing.plain(data.due_on)},
    )
    return entry


def _credited_contact(record_kind: RecordKind, record: object) -> int | None:
    if record_kind == "contact":
        return record.id  # type: ignore[attr-defined]
    if isinstance(record, Opportunity):
        return record.primary_contact_id
    return None


def _log_activity(
    db_session: Session, entry: TimelineEntry, contact_id: int, actor: User, when: dt.datetime
) -> int:
    kind = ACTIVITY_TYPE[EntryKind(entry.kind)]
    activity = Activity(
        idempotency_key=f"timeline:{entry.id}",
        contact_id=contact_id,
        type=kind,
        occurred_at=when,
        channel="sales",
        actor_user_id=actor.id,
        properties={"subject": entry.subject, "timeline_entry": entry.id},
    )
    db_session.add(activity)
    db_session.flush()
    publish(db_session, ActivitiesStored((StoredActivity(activity.id, contact_id, kind, when),)))
    return activity.id


def set_done(
    *, db_session: Session, entry: TimelineEntry, done: bool, actor: User, at: dt.datetime
) -> TimelineEntry:
    """Mark a task done or open; its owner, its author, admins and sales managers may."""
    if entry.kind != EntryKind.TASK:
        raise FieldError("done", "only a task is done")
    if actor.id not in (entry.owner_id, entry.author_id) and actor.role not in MANAGERS:
        raise Forbidden("this task is someone else's")
    before = editing.plain(entry.done_at)
    entry.done_at = at if done else None
    audit.record(
        db_session=db_session,
        actor_user_id=actor.id,
        action="task.done" if done else "task.reopen",
        entity_type="task",
        entity_id=entry.id,
        before={"done_at": before},
        after={"done_at": editing.plain(entry.done_at)},
    )
    db_session.flush()
    return entry


_OWNER = aliased(User)


def _views(db_session: Session, query, today: dt.date) -> list[EntryView]:  # type: ignore[no-untyped-def]
    rows = db_session.execute(
        query.add_columns(User.name, _OWNER.name)
        .outerjoin(User, User.id == TimelineEntry.author_id)
        .outerjoin(_OWNER, _OWNER.id == TimelineEntry.owner_id)
    ).all()
    out = []
    for entry, author, owner in rows:
        kind, rid = next((k, getattr(entry, c)) for k, c in COLUMN.items() if getattr(entry, c))
        out.append(
            EntryView(
                id=entry.id,
                kind=entry.kind,
                subject=entry.subject,
                body=entry.body,
                author=author,
                created_at=entry.created_at,
                occurred_at=entry.occurred_at,
                due_on=entry.due_on,
                owner=owner,
                owner_id=entry.owner_id,
                done_at=entry.done_at,
                overdue=bool(entry.due_on and entry.done_at is None and entry.due_on < today),
                activity_id=entry.activity_id,
                record=f"{kind} {rid}",
                url=f"/{'opportunities' if kind == 'opportunity' else kind + 's'}/{rid}",
            )
        )
    return out


def entries_for(
    db_session: Session, record_kind: RecordKind, record_id: int, today: dt.date
) -> list[EntryView]:
    """The record's newest entries (at most SHOWN), open tasks first."""
    column = getattr(TimelineEntry, COLUMN[record_kind])
    still_open = (TimelineEntry.kind == EntryKind.TASK.value) & TimelineEntry.done_at.is_(None)
    query = (
        select(TimelineEntry)
        .where(column == record_id)
        .order_by(still_open.desc(), TimelineEntry.created_at.desc(), TimelineEntry.id.desc())
        .limit(SHOWN)
    )
    return _views(db_session, query, today)


def open_tasks(db_session: Session, owner_id: int, today: dt.date, limit: int) -> list[EntryView]:
    """The owner's open tasks, soonest due first (overdue ones marked)."""
    query = (
        select(TimelineEntry)
        .where(
            TimelineEntry.owner_id == owner_id,
            TimelineEntry.kind == EntryKind.TASK.value,
            TimelineEntry.done_at.is_(None),
        )
        .order_by(TimelineEntry.due_on, TimelineEntry.id)
        .limit(limit)
    )
    return _views(db_session, query, today)


def view_of(db_session: Session, entry_id: int, today: dt.date) -> EntryView:
    """One entry as the timeline shows it."""
    return _views(db_session, select(TimelineEntry).where(TimelineEntry.id == entry_id), today)[0]
