"""Timeline entries people add to a record: notes, tasks, logged calls and meetings.

An entry belongs to exactly one record (a contact, an account or a deal), so deleting the
record deletes its entries. A call or meeting logged on a contact (or on a deal with a primary
contact) is also stored as an activity (`activity_id`): the handoff's first-touch clock and
scoring read activities, not these rows.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tandem.activities.models import BigId
from tandem.db import Base, UTCDateTime, utcnow


class EntryKind(StrEnum):
    """What a person added to a record's timeline."""

    NOTE = "note"
    TASK = "task"
    CALL = "call"
    MEETING = "meeting"


#: A logged call or meeting as an activity type (tandem.activities.types).
ACTIVITY_TYPE = {EntryKind.CALL: "sales_call", EntryKind.MEETING: "meeting"}


#: Exactly one of the three record columns is set (portable: no boolean arithmetic).
ONE_RECORD = (
    " + ".join(
        f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)"
        for c in ("contact_id", "account_id", "opportunity_id")
    )
    + " = 1"
)


class TimelineEntry(Base):
    """One note, task, call or meeting on a contact, an account or a deal."""

    __tablename__ = "timeline_entries"
    __table_args__ = (
        CheckConstraint(ONE_RECORD, name="ck_timeline_entries_one_record"),
        Index("ix_timeline_entries_contact", "contact_id", "created_at"),
        Index("ix_timeline_entries_account", "account_id", "created_at"),
        Index("ix_timeline_entries_opportunity", "opportunity_id", "created_at"),
        Index("ix_timeline_entries_open_tasks", "owner_id", "done_at", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    opportunity_id: Mapped[int | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE")
    )
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Calls and meetings: when they happened. Tasks: due date, owner and when done.
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_on: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activity_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("activities.id", ondelete="SET NULL")
    )
