"""Import jobs (with their checkpoint) and the quarantine of rows that could not be imported."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, UTCDateTime, utcnow


class ImportJob(Base):
    """One import of one file. `checkpoint_line` is the last line whose chunk is committed;
    it is written in the same transaction as that chunk, so a resumed job neither repeats nor
    skips a row."""

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    profile: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(500))
    file_path: Mapped[str] = mapped_column(String(2000))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(20), default="running")
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_new: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    checkpoint_line: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    message: Mapped[str | None] = mapped_column(Text)
    parent_job_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_jobs.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class QuarantinedRow(Base):
    """A row (or one field of it) that was not imported, kept with its raw values for a retry."""

    __tablename__ = "import_errors"
    __table_args__ = (Index("ix_import_errors_job_line", "job_id", "line"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(100))
    value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(500))
    raw: Mapped[list[str] | None] = mapped_column(JSON)
    resolved_by_job_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_jobs.id", ondelete="SET NULL")
    )


class PendingLink(Base):
    """A link an import could not make yet: record `record_id` of `record_kind` (a contact or a
    deal) names `external_id` of a `target` (account or contact) not imported so far. Made
    when that record arrives (any later import), reported while it has not."""

    __tablename__ = "import_pending_links"
    __table_args__ = (
        Index("ix_import_pending_links_target", "target", "external_id"),
        Index("ix_import_pending_links_job", "job_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("import_jobs.id", ondelete="SET NULL"))
    record_kind: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)  # a deal's contacts: 0 = primary
    role: Mapped[str | None] = mapped_column(String(20))  # a contact's role on the deal
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MergedId(Base):
    """The external id of a record an import merged into another (e.g. a second company with
    the same domain): links naming it lead to the record kept."""

    __tablename__ = "import_merged_ids"
    __table_args__ = (UniqueConstraint("target", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))
    record_id: Mapped[int] = mapped_column(Integer)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("import_jobs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
