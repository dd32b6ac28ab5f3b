"""Saved views (a list's filters, sort and columns under a name, private or shared), static
lists (records someone put together by hand, e.g. from a bulk action), and the index the
lists add to contacts."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tandem.contacts.models import Contact
from tandem.db import Base, UTCDateTime, utcnow

# A list filtered by owner and sorted by its default (newest first) reads one index range,
# not the whole created-at index (bench/lists_bench.py: 5 s -> ms at 1M contacts).
Index("ix_contacts_owner_created", Contact.owner_id, Contact.created_at)
# A stage filter beside one on the account's fields (region, tier, segment) counts from the
# index alone: `account_id IN (...)` and the stage, no table row read (1 s -> ms at 1M).
Index("ix_contacts_account_stage", Contact.account_id, Contact.lifecycle_stage)


class SavedView(Base):
    """A named query of one list; `shared` ones are offered to everyone who may open the list."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_id", "list_name", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    list_name: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(String(2000))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaticList(Base):
    """A hand-made list of records of one kind (contact, account, opportunity)."""

    __tablename__ = "static_lists"
    __table_args__ = (UniqueConstraint("entity", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaticListMember(Base):
    """One record on a static list (its id in the list's entity table)."""

    __tablename__ = "static_list_members"
    __table_args__ = (Index("ix_static_list_members_record", "record_id"),)

    list_id: Mapped[int] = mapped_column(
        ForeignKey("static_lists.id", ondelete="CASCADE"), primary_key=True
    )
    record_id: Mapped[int] = mapped_column(primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
